//! File modes of the embedded database: the SQLite file holds every tenant's users and the token
//! signing keys, so it and its directory are readable by the server's own user only (issue #11,
//! part 2). Files made before this rule, or by hand with wider modes, are tightened at start, and
//! the server logs that it did so.

use std::path::Path;

use crate::{Result, StoreError};

/// Bits that let users other than the owner in.
#[cfg(unix)]
const OTHERS: u32 = 0o077;

/// Creates `dir` (and its parents) as `0700`, or tightens it to `0700` when it exists with
/// wider bits. A directory the server may not change (owned by someone else) is left as it is
/// with a warning: the files inside are still made private.
pub(crate) fn private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    StoreError::Filesystem(format!(
                        "cannot create the data directory {}: {e}; create it with chmod 700, or choose another --data-dir",
                        dir.display()
                    ))
                })?;
            return Ok(());
        }
        let mode = std::fs::metadata(dir)
            .map_err(|e| StoreError::Filesystem(format!("cannot read {}: {e}", dir.display())))?
            .permissions()
            .mode();
        if mode & OTHERS != 0 {
            match std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
                Ok(()) => tracing::warn!(
                    path = %dir.display(),
                    from = %format!("{:o}", mode & 0o777),
                    to = "700",
                    "tightened the data directory's mode: other users could list it"
                ),
                Err(e) => tracing::warn!(
                    path = %dir.display(),
                    mode = %format!("{:o}", mode & 0o777),
                    error = %e,
                    "the data directory is open to other users and its mode cannot be changed; make it 0700 (chmod 700) or choose another --data-dir"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::Filesystem(format!(
            "cannot create the data directory {}: {e}",
            dir.display()
        ))
    })?;
    Ok(())
}

/// Makes `file` `0600`: created empty with that mode when `create` and it is missing (SQLite
/// gives its `-wal` and `-shm` files the mode of the database file), tightened when it exists
/// with wider bits. Returns whether it had to be tightened (other users could read it).
pub(crate) fn private_file(file: &Path, create: bool) -> Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let meta = match std::fs::metadata(file) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if create {
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(file)
                        .map_err(|e| {
                            StoreError::Filesystem(format!("cannot create {}: {e}", file.display()))
                        })?;
                }
                return Ok(false);
            }
            Err(e) => {
                return Err(StoreError::Filesystem(format!(
                    "cannot read {}: {e}",
                    file.display()
                )))
            }
        };
        let mode = meta.permissions().mode();
        if mode & OTHERS != 0 {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).map_err(
                |e| {
                    StoreError::Filesystem(format!(
                        "{} is readable by other users (mode {:o}) and cannot be changed: {e}; run chmod 600 on it",
                        file.display(),
                        mode & 0o777
                    ))
                },
            )?;
            tracing::warn!(
                path = %file.display(),
                from = %format!("{:o}", mode & 0o777),
                to = "600",
                "tightened a database file's mode: other users could read it"
            );
            return Ok(true);
        }
    }
    #[cfg(not(unix))]
    let _ = (file, create);
    Ok(false)
}

/// The database file and the `-wal` / `-shm` files SQLite keeps beside it.
pub(crate) fn database_files(db: &Path) -> [std::path::PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}
