//! `rollcall backup FILE`: a consistent copy of the embedded SQLite database, taken while the
//! server runs (SQLite's `VACUUM INTO`: one read transaction, so writers carry on and the copy
//! is the database as of its start).
//!
//! PostgreSQL has its own tools (`pg_dump`), which this command names instead of copying.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::migrate::DatabaseArgs;
use crate::output::{human_size, thousands};

/// `rollcall backup`.
#[derive(Args)]
pub struct BackupCmd {
    /// The copy to write: a new SQLite database file (FILE.PID.partial until it is complete).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Replace FILE if it exists (it is replaced only once the new copy is complete).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

/// The refusal for a PostgreSQL database, with the commands to use instead.
fn use_pg_dump(database_url: &str) -> anyhow::Error {
    let url = rollcall_store::postgres_url_without_password(database_url)
        .unwrap_or_else(|_| "postgres://USER@HOST:5432/DATABASE".to_owned());
    anyhow::anyhow!(
        "rollcall backup copies the embedded SQLite database, and this server uses PostgreSQL: back it up with pg_dump (the password from PGPASSWORD or ~/.pgpass), while the servers run:\n  \
         pg_dump --format=custom --file=rollcall-$(date +%Y%m%d-%H%M%S).dump '{url}'\n\
         Restore into a new, empty database with pg_restore (servers stopped), then point --database-url at it:\n  \
         pg_restore --no-owner --dbname='postgres://USER@HOST:5432/NEW_DATABASE' rollcall-DATE.dump\n\
         (README, \"Backups\")"
    )
}

/// The paths of a backup into `file`: the file itself (absolute) and the temporary name it is
/// written under. Refuses what must not be overwritten.
fn destination(file: &Path, force: bool, source: &Path) -> Result<(PathBuf, PathBuf)> {
    let dest = std::path::absolute(file)
        .with_context(|| format!("cannot resolve the path {}", file.display()))?;
    let Some(name) = dest.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        anyhow::bail!(
            "{} names no file: give the backup a file name, e.g. rollcall-backup.db",
            file.display()
        );
    };
    if dest.is_dir() {
        anyhow::bail!(
            "{} is a directory: give the backup a file name inside it, e.g. {}",
            dest.display(),
            dest.join("rollcall-backup.db").display()
        );
    }
    if dest.exists() {
        let same = std::fs::canonicalize(&dest).ok() == std::fs::canonicalize(source).ok();
        if same {
            anyhow::bail!(
                "{} is the server's database itself: write the backup to another file",
                dest.display()
            );
        }
        if !force {
            anyhow::bail!(
                "{} exists: pass --force to replace it (once the new copy is complete), or choose another file name",
                dest.display()
            );
        }
    }
    let dir = dest.parent().unwrap_or(Path::new("/"));
    if !dir.is_dir() {
        anyhow::bail!(
            "the directory {} does not exist: create it first (mkdir -p), or choose another place",
            dir.display()
        );
    }
    let partial = dir.join(format!("{name}.{}.partial", std::process::id()));
    Ok((dest, partial))
}

/// A progress bar of the copy's bytes on stderr, on a terminal only.
fn bar(total: u64) -> ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total.max(1)).with_style(
        ProgressStyle::with_template(
            "{spinner} copying [{bar:30}] {bytes} of about {total_bytes} {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Removes the partial copy and the rollback journal SQLite keeps beside it while writing.
fn remove(partial: &Path) {
    let _ = std::fs::remove_file(partial);
    let mut journal = partial.as_os_str().to_owned();
    journal.push("-journal");
    let _ = std::fs::remove_file(journal);
}

/// Runs `rollcall backup`; `matches` are this subcommand's, to tell flags from variables.
pub async fn run(cmd: BackupCmd, matches: &clap::ArgMatches) -> Result<()> {
    let (data_dir, database_url) = cmd.db.resolve(matches)?;
    let Some(source) = rollcall_store::sqlite_database_file(&database_url, &data_dir)? else {
        return Err(use_pg_dump(&database_url));
    };
    // Absolute, so that the restore command printed at the end works from any directory.
    let source = std::path::absolute(&source).unwrap_or(source);
    if !source.is_file() {
        anyhow::bail!(
            "no rollcall database at {}: pass the server's --data-dir, or --database-url (the same settings as rollcall serve)",
            source.display()
        );
    }
    let (dest, partial) = destination(&cmd.file, cmd.force, &source)?;

    let estimate = {
        let file = source.clone();
        tokio::task::spawn_blocking(move || rollcall_store::sqlite_bytes_in_use(&file))
            .await
            .context("the size check stopped")?
            .with_context(|| {
                format!(
                    "cannot read the database {}; run the backup as the server's user",
                    source.display()
                )
            })?
    };
    eprintln!(
        "Backing up {} (about {}) to {} ...",
        source.display(),
        human_size(estimate),
        dest.display()
    );

    // Ctrl-C is caught from before the partial file exists, so that it never stays behind: the
    // first poll installs the handler.
    let mut interrupted = Box::pin(tokio::signal::ctrl_c());
    let _ = futures::poll!(&mut interrupted);
    let mut copy = {
        let (source, partial) = (source.clone(), partial.clone());
        tokio::task::spawn_blocking(move || rollcall_store::backup_sqlite(&source, &partial))
    };
    let progress = bar(estimate);
    let started = Instant::now();
    let mut last_note = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let copied = loop {
        tokio::select! {
            done = &mut copy => break done,
            _ = tick.tick() => {
                let written = std::fs::metadata(&partial).map_or(0, |m| m.len());
                progress.set_length(estimate.max(written));
                progress.set_position(written);
                // Off a terminal (cron, a systemd timer's journal) a line now and then says
                // it is still at work.
                if progress.is_hidden() && last_note.elapsed() >= Duration::from_secs(15) {
                    last_note = Instant::now();
                    eprintln!(
                        "still copying: {} of about {} written after {} s",
                        human_size(written),
                        human_size(estimate),
                        started.elapsed().as_secs()
                    );
                }
            }
            _ = &mut interrupted => {
                progress.finish_and_clear();
                remove(&partial);
                eprintln!(
                    "interrupted: removed {}; {} was not written (run the backup again)",
                    partial.display(),
                    dest.display()
                );
                // 128 + SIGINT, as a shell reports a command that Ctrl-C ended.
                std::process::exit(130);
            }
        }
    };
    progress.finish_and_clear();
    let checked = match copied {
        Ok(Ok(())) => {
            // The check reads the whole copy again: on a big database, say why it is waiting.
            if started.elapsed() >= Duration::from_secs(5) {
                eprintln!("Checking the copy (SQLite quick_check) ...");
            }
            let partial = partial.clone();
            tokio::task::spawn_blocking(move || rollcall_store::check_sqlite_copy(&partial)).await
        }
        Ok(Err(e)) => {
            remove(&partial);
            return Err(anyhow::Error::new(e).context(format!(
                "the backup of {} failed; nothing was written to {}",
                source.display(),
                dest.display()
            )));
        }
        Err(e) => {
            remove(&partial);
            anyhow::bail!("the backup stopped before it finished ({e}); run it again");
        }
    };
    let summary = match checked {
        Ok(Ok(summary)) => summary,
        Ok(Err(e)) => {
            remove(&partial);
            return Err(anyhow::Error::new(e).context(
                "the copy did not pass its check and was removed; run the backup again, and check the server's database with `sqlite3 FILE 'PRAGMA integrity_check'` if it fails again",
            ));
        }
        Err(e) => {
            remove(&partial);
            anyhow::bail!(
                "the copy's check stopped before it finished ({e}); run the backup again"
            );
        }
    };
    if let Err(e) = std::fs::rename(&partial, &dest) {
        remove(&partial);
        anyhow::bail!(
            "cannot rename the finished copy to {}: {e}; check that directory's permissions and run the backup again",
            dest.display()
        );
    }
    // The rename is durable only once the directory is on disk too.
    if let Some(dir) = dest.parent() {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    let bytes = std::fs::metadata(&dest).map_or(0, |m| m.len());
    println!(
        "Backed up {} target users ({} deleted) in {} companies to {} ({}) in {:.1} s.",
        thousands(summary.target_users),
        thousands(summary.deleted_target_users),
        thousands(summary.companies),
        dest.display(),
        human_size(bytes),
        started.elapsed().as_secs_f64()
    );
    println!(
        "It is a complete SQLite database (checked, readable by you only): keep it off this machine. To restore, stop the server, then `rm -f {src}-wal {src}-shm && cp {dest} {src}` as the server's user, and start it again.",
        src = source.display(),
        dest = dest.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postgres_refusal_names_pg_dump_without_the_password() {
        let e = use_pg_dump("postgres://rollcall:hunter2@db.internal/prod").to_string();
        assert!(e.contains("pg_dump --format=custom"), "{e}");
        assert!(
            e.contains("postgres://rollcall@db.internal:5432/prod"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
}
