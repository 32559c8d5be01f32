//! Where the CLI's credentials come from: environment variables or named profiles in a TOML
//! file (`~/.config/rollcall/config.toml` on Linux), written with mode 0600.
//!
//! Precedence: `--profile NAME` (or `ROLLCALL_PROFILE`) names a profile and wins; otherwise
//! `KEEPNET_CLIENT_ID` / `KEEPNET_CLIENT_SECRET` (with `KEEPNET_API_BASE_URL`) when set;
//! otherwise the file's `default_profile`, or the profile called `default`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::exit::CliError;

/// The environment variable holding the client id.
pub const ENV_CLIENT_ID: &str = "KEEPNET_CLIENT_ID";
/// The environment variable holding the client secret.
pub const ENV_CLIENT_SECRET: &str = "KEEPNET_CLIENT_SECRET";
/// The environment variable holding the API base URL.
pub const ENV_BASE_URL: &str = "KEEPNET_API_BASE_URL";

/// The config file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One set of credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    /// API base URL; Keepnet's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// REST API client id.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
}

/// Credentials ready to build a client with.
#[derive(Clone)]
pub struct Credentials {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where they came from, for messages (never the secret).
    pub source: String,
}

/// The config file path: `--config`, `ROLLCALL_CONFIG`, else the platform's config directory.
pub fn path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let dir = dirs::config_dir().context(
        "cannot find a config directory (set HOME or XDG_CONFIG_HOME, or pass --config FILE)",
    )?;
    Ok(dir.join("rollcall").join("config.toml"))
}

/// Reads the config file; a missing file is an empty config.
pub fn load(path: &Path) -> Result<ConfigFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    warn_if_readable_by_others(path);
    toml::from_str(&text).with_context(|| format!("{} is not a valid config file", path.display()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "warning: {} holds client secrets and is readable by others; run chmod 600 on it",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Writes the config file atomically, readable by its owner only (mode 0600, directory 0700).
pub fn save(path: &Path, config: &ConfigFile) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let text = toml::to_string_pretty(config).context("cannot encode the config")?;
    let tmp = path.with_extension("toml.tmp");
    let _ = std::fs::remove_file(&tmp);
    {
        let mut f = private_file(&tmp)?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// Creates `dir` (and its missing parents) with mode 0700.
#[cfg(unix)]
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

#[cfg(not(unix))]
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Creates a new file readable and writable by its owner only (mode 0600).
#[cfg(unix)]
pub(crate) fn private_file(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

#[cfg(not(unix))]
pub(crate) fn private_file(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Picks the credentials per the precedence in the module docs.
pub fn credentials(config_path: Option<&Path>, profile: Option<&str>) -> Result<Credentials> {
    let env_base = env(ENV_BASE_URL);
    let from_profile = |name: &str, explicit: bool| -> Result<Option<Credentials>> {
        let path = path(config_path)?;
        let config = load(&path)?;
        match config.profiles.get(name) {
            Some(p) => Ok(Some(Credentials {
                base_url: p
                    .base_url
                    .clone()
                    .or_else(|| env_base.clone())
                    .unwrap_or_else(|| rollcall_client::DEFAULT_BASE_URL.to_owned()),
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.clone(),
                source: format!("profile '{name}' in {}", path.display()),
            })),
            None if explicit => Err(CliError::Credentials(format!(
                "no profile '{name}' in {}; create it with `rollcall profile add {name} --client-id ID`",
                path.display()
            ))
            .into()),
            None => Ok(None),
        }
    };
    if let Some(name) = profile {
        return from_profile(name, true)?.context("unreachable: explicit profile");
    }
    let (id, secret) = (env(ENV_CLIENT_ID), env(ENV_CLIENT_SECRET));
    match (id, secret) {
        (Some(client_id), Some(client_secret)) => {
            return Ok(Credentials {
                base_url: env_base.unwrap_or_else(|| rollcall_client::DEFAULT_BASE_URL.to_owned()),
                client_id,
                client_secret,
                source: format!("{ENV_CLIENT_ID} / {ENV_CLIENT_SECRET}"),
            })
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(CliError::Credentials(format!(
                "set both {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} (only one is set)"
            ))
            .into())
        }
        (None, None) => {}
    }
    let path = path(config_path)?;
    let config = load(&path)?;
    let name = config
        .default_profile
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    if let Some(c) = from_profile(&name, false)? {
        return Ok(c);
    }
    Err(CliError::Credentials(format!(
        "no credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} (and {ENV_BASE_URL} for a server other than Keepnet's), \
         or save a profile with `rollcall profile add NAME --client-id ID`"
    ))
    .into())
}
