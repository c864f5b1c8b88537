//! Where Skyport keeps its files: one place, one override.
//!
//! Every file the app, the CLI or a test touches is found through [`Paths`]. Setting
//! `SKYPORT_HOME` moves *everything* (config, data, state, cache and the `~/.ssl` folder)
//! under that directory, so tests and demos never read or write a real user's files.

use std::path::{Path, PathBuf};

/// Environment variable that relocates every Skyport path (tests, demos, CI).
pub const HOME_ENV: &str = "SKYPORT_HOME";

/// File name of the CADC proxy certificate inside the SSL folder.
pub const CERT_FILE_NAME: &str = "cadcproxy.pem";

/// The directories Skyport uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub state_dir: PathBuf,
    pub cache_dir: PathBuf,
    /// The user's `~/.ssl`, shared with `cadc-get-cert` and the `canfar` client.
    pub ssl_dir: PathBuf,
    /// Where files downloaded from session pages are saved (the user's Downloads folder).
    pub downloads_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "cannot find your home directory; set HOME (or {HOME_ENV} to keep Skyport's files elsewhere)"
    )]
    NoHome,
    #[error("{HOME_ENV} must be an absolute path, got {0:?}; set it to a full path such as /tmp/skyport")]
    RelativeOverride(PathBuf),
}

impl Paths {
    /// Paths from the environment: `SKYPORT_HOME` if set, else the platform's conventions.
    pub fn from_env() -> Result<Self, PathsError> {
        match std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            Some(root) => Self::under(PathBuf::from(root)),
            None => Self::platform(),
        }
    }

    /// Everything below one root: `config/`, `data/`, `state/`, `cache/`, `.ssl/` and
    /// `Downloads/`.
    pub fn under(root: PathBuf) -> Result<Self, PathsError> {
        if !root.is_absolute() {
            return Err(PathsError::RelativeOverride(root));
        }
        Ok(Self {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            state_dir: root.join("state"),
            cache_dir: root.join("cache"),
            ssl_dir: root.join(".ssl"),
            downloads_dir: root.join("Downloads"),
        })
    }

    /// The OS conventions (XDG on Linux, ~/Library on macOS, AppData on Windows).
    fn platform() -> Result<Self, PathsError> {
        let base = directories::BaseDirs::new().ok_or(PathsError::NoHome)?;
        let project = directories::ProjectDirs::from("org", "Skyport", "skyport")
            .ok_or(PathsError::NoHome)?;
        // XDG has a state dir; other platforms keep state beside local data.
        let state_dir = project
            .state_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| project.data_local_dir().join("state"));
        Ok(Self {
            config_dir: project.config_dir().to_path_buf(),
            data_dir: project.data_dir().to_path_buf(),
            state_dir,
            cache_dir: project.cache_dir().to_path_buf(),
            ssl_dir: base.home_dir().join(".ssl"),
            // XDG_DOWNLOAD_DIR when the desktop names one, else ~/Downloads (created on use).
            downloads_dir: directories::UserDirs::new()
                .and_then(|u| u.download_dir().map(Path::to_path_buf))
                .unwrap_or_else(|| base.home_dir().join("Downloads")),
        })
    }

    /// The main configuration file (profiles and settings; never secrets).
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// Default location of the X.509 proxy certificate.
    pub fn cert_file(&self) -> PathBuf {
        self.ssl_dir.join(CERT_FILE_NAME)
    }

    /// Rotating log files.
    pub fn log_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_moves_everything_under_one_root() {
        let root = PathBuf::from("/tmp/skyport-test-root");
        let p = Paths::under(root.clone()).expect("absolute root");
        for dir in [
            &p.config_dir,
            &p.data_dir,
            &p.state_dir,
            &p.cache_dir,
            &p.ssl_dir,
            &p.downloads_dir,
        ] {
            assert!(dir.starts_with(&root), "{dir:?} escapes {root:?}");
        }
        assert_eq!(p.cert_file(), root.join(".ssl/cadcproxy.pem"));
        assert!(p.log_dir().starts_with(&p.state_dir));
        assert!(p.config_file().starts_with(&p.config_dir));
    }

    #[test]
    fn relative_override_is_refused_with_advice() {
        let err = Paths::under(PathBuf::from("relative/dir")).expect_err("relative");
        assert!(err.to_string().contains("absolute path"), "{err}");
    }

    #[test]
    fn platform_paths_are_distinct_and_absolute() {
        if let Ok(p) = Paths::platform() {
            let all = [
                &p.config_dir,
                &p.data_dir,
                &p.state_dir,
                &p.cache_dir,
                &p.ssl_dir,
            ];
            for d in all {
                assert!(d.is_absolute(), "{d:?}");
            }
            assert!(p.ssl_dir.ends_with(".ssl"));
        }
    }
}
