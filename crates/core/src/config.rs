//! Profiles and settings in `config.toml` (never secrets: those live in the keyring).
//!
//! A profile is one platform: its Skaha service URL and how to sign in there (OIDC issuer
//! and client, CADC login and credential-service URLs, username). The app and the CLI read
//! and write the same file, so choosing a profile in one chooses it in the other.
//!
//! `SKYPORT_URL` (+ `SKYPORT_TOKEN`) selects a platform with no file at all; it wins over
//! the active profile, like `CANFAR_URL`/`CANFAR_TOKEN` for the canfar client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Coded, ErrorCode};
use crate::platform::{ServiceUrl, URL_ENV};

pub const CONFIG_VERSION: u32 = 1;

/// OIDC sign-in settings for a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub struct OidcSettings {
    /// The issuer exactly as the provider states it (mind a trailing slash).
    pub issuer: String,
    /// Omit to register a client dynamically (RFC 7591) where the provider allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

pub fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "offline_access"]
        .map(String::from)
        .to_vec()
}

/// One platform.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub struct Profile {
    /// Shown in the UI ("CANFAR", "SRCNet Spain").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The Skaha service URL, `https://host/skaha`.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcSettings>,
    /// CADC-style password login (`/ac/login`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// Credential service that issues X.509 certificates (`/cred/generate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cred_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Keep the password in the keyring so the certificate can be renewed unattended.
    #[serde(default)]
    pub remember_password: bool,
    /// Certificate file; default `~/.ssl/cadcproxy.pem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(type = Option<String>)]
    pub cert_path: Option<PathBuf>,
    /// The platform's storage (VOSpace nodes URL, `https://host/arc/nodes`), when discovery
    /// found one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_url: Option<String>,
    /// The registry id of its session service (`ivo://cadc.nrc.ca/skaha`), when it came from
    /// a registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The registry it was found in (its resource-caps URL), for discovering it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Extra CA certificates (PEM) to trust for this platform (e.g. a local test platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(type = Option<String>)]
    pub ca_file: Option<PathBuf>,
}

impl Profile {
    pub fn service(&self) -> Result<ServiceUrl, ConfigError> {
        ServiceUrl::parse(&self.url).map_err(|e| ConfigError::Invalid(e.to_string()))
    }
}

/// How long a change of the config file waits for another process's change to finish.
const UPDATE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub struct Config {
    #[serde(default = "version")]
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

fn version() -> u32 {
    CONFIG_VERSION
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            active: None,
            profiles: BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path} is not valid ({detail}). Fix or remove it; Skyport has not changed it.")]
    Malformed { path: String, detail: String },
    #[error("{path} was written by a newer Skyport (version {found}); update Skyport. The file was left unchanged.")]
    TooNew { path: String, found: u32 },
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("cannot save {path}: {detail}")]
    Write { path: String, detail: String },
    #[error("no profile named {0:?}; `skyport profiles list` shows the profiles")]
    NoSuchProfile(String),
    #[error("profile names must start with a letter and contain only letters, digits, '-' and '_' (got {0:?})")]
    BadName(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Locked(String),
    #[error("no platform is configured: add a profile (`skyport profiles add NAME URL`) or set {URL_ENV}")]
    NoPlatform,
}

impl Coded for ConfigError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NoSuchProfile(_) | Self::BadName(_) | Self::Invalid(_) => ErrorCode::Validation,
            Self::Read { .. } | Self::Write { .. } | Self::Locked(_) => ErrorCode::Io,
            _ => ErrorCode::Config,
        }
    }
}

pub fn validate_profile_name(name: &str) -> Result<(), ConfigError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadName(name.to_string()))
    }
}

impl Config {
    /// Load; a missing file is an empty config. A malformed file is an error and is never
    /// overwritten automatically (the user's data is not lost).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })
            }
        };
        let cfg: Config = toml::from_str(&text).map_err(|e| ConfigError::Malformed {
            path: path.display().to_string(),
            detail: e.to_string().trim().replace('\n', " "),
        })?;
        if cfg.version > CONFIG_VERSION {
            return Err(ConfigError::TooNew {
                path: path.display().to_string(),
                found: cfg.version,
            });
        }
        for name in cfg.profiles.keys() {
            validate_profile_name(name)?;
        }
        Ok(cfg)
    }

    /// Save atomically (temp file + fsync + rename, mode 0600).
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Write {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let body = format!("# Skyport configuration. Secrets are never stored here (they live in the OS keyring).\n{text}");
        crate::fsutil::write_atomic(path, body.as_bytes()).map_err(|e| ConfigError::Write {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    }

    /// Change the file at `path` as one step among processes: the app and any CLI run take
    /// the same lock around load, `change` and save, so that two changes made at once both
    /// land. Saved only when `change` succeeds and changed something.
    pub fn update<T, E: From<ConfigError>>(
        path: &Path,
        change: impl FnOnce(&mut Config) -> Result<T, E>,
    ) -> Result<T, E> {
        let lock = path.with_file_name(format!(
            "{}.lock",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "config".into())
        ));
        let _held = crate::lockfile::LockFile::acquire_blocking(&lock, UPDATE_PATIENCE)
            .map_err(|e| ConfigError::Locked(e.to_string()))?;
        let mut cfg = Config::load(path)?;
        let before = cfg.clone();
        let out = change(&mut cfg)?;
        if cfg != before {
            cfg.save(path)?;
        }
        Ok(out)
    }

    pub fn upsert(&mut self, name: &str, profile: Profile) -> Result<(), ConfigError> {
        validate_profile_name(name)?;
        profile.service()?;
        self.profiles.insert(name.to_string(), profile);
        if self.active.is_none() {
            self.active = Some(name.to_string());
        }
        Ok(())
    }

    pub fn use_profile(&mut self, name: &str) -> Result<(), ConfigError> {
        if !self.profiles.contains_key(name) {
            return Err(ConfigError::NoSuchProfile(name.to_string()));
        }
        self.active = Some(name.to_string());
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Result<Profile, ConfigError> {
        let p = self
            .profiles
            .remove(name)
            .ok_or_else(|| ConfigError::NoSuchProfile(name.to_string()))?;
        if self.active.as_deref() == Some(name) {
            self.active = self.profiles.keys().next().cloned();
        }
        Ok(p)
    }

    /// The profile in use: `SKYPORT_URL` (as an unnamed "env" profile) wins, then `--profile`
    /// (`requested`), then the active one.
    pub fn resolve(
        &self,
        requested: Option<&str>,
        env_url: Option<&str>,
    ) -> Result<ResolvedProfile, ConfigError> {
        if let Some(url) = env_url.filter(|u| !u.trim().is_empty()) {
            let service = ServiceUrl::parse(url)
                .map_err(|e| ConfigError::Invalid(format!("{URL_ENV}: {e}")))?;
            // Keep sign-in settings of a saved profile for the same service, if any.
            let (name, mut profile) = self
                .profiles
                .iter()
                .find(|(_, p)| p.service().is_ok_and(|s| s == service))
                .map(|(n, p)| (n.clone(), p.clone()))
                .unwrap_or_else(|| (env_profile_name(&service), Profile::default()));
            profile.url = service.as_str().to_string();
            return Ok(ResolvedProfile {
                name,
                profile,
                service,
                from_env: true,
            });
        }
        let name = match requested.or(self.active.as_deref()) {
            Some(n) => n.to_string(),
            None => return Err(ConfigError::NoPlatform),
        };
        let profile = self
            .profiles
            .get(&name)
            .cloned()
            .ok_or_else(|| ConfigError::NoSuchProfile(name.clone()))?;
        let service = profile.service()?;
        Ok(ResolvedProfile {
            name,
            profile,
            service,
            from_env: false,
        })
    }
}

/// A stable keyring namespace for a platform given only by URL: its host and port.
pub fn env_profile_name(service: &ServiceUrl) -> String {
    let u = &service.service;
    let host = u.host_str().unwrap_or("platform");
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The profile a command or the app works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedProfile {
    /// Profile name; also the keyring namespace of its secrets.
    pub name: String,
    pub profile: Profile,
    pub service: ServiceUrl,
    /// Selected by `SKYPORT_URL` rather than the config file.
    pub from_env: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canfar() -> Profile {
        Profile {
            display_name: Some("CANFAR".into()),
            url: "https://ws-uv.canfar.net/skaha".into(),
            login_url: Some("https://ws-cadc.canfar.net/ac/login".into()),
            oidc: Some(OidcSettings {
                issuer: "https://ska-iam.stfc.ac.uk/".into(),
                client_id: None,
                scopes: default_scopes(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn round_trip_and_first_profile_becomes_active() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("config.toml");
        let mut c = Config::load(&path).expect("missing file is empty");
        assert!(c.profiles.is_empty());
        c.upsert("canfar", canfar()).expect("add");
        c.upsert(
            "src-es",
            Profile {
                url: "https://spsrc.example/skaha/v1".into(),
                ..Default::default()
            },
        )
        .expect("add");
        assert_eq!(c.active.as_deref(), Some("canfar"));
        c.save(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("[profiles.canfar]"), "{text}");
        let back = Config::load(&path).expect("load");
        assert_eq!(back, c);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn malformed_files_are_reported_and_left_alone() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "active = \"x\"\n[profiles.x\nurl = 3").expect("write");
        let err = Config::load(&path).expect_err("malformed");
        assert!(err.to_string().contains("has not changed it"), "{err}");
        assert_eq!(err.code(), ErrorCode::Config);
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "active = \"x\"\n[profiles.x\nurl = 3"
        );
        std::fs::write(&path, "version = 99\n").expect("write");
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::TooNew { found: 99, .. })
        ));
        std::fs::write(&path, "[profiles.\"9bad\"]\nurl = \"https://x/skaha\"\n").expect("write");
        assert!(matches!(Config::load(&path), Err(ConfigError::BadName(_))));
    }

    #[test]
    fn resolution_order_env_then_flag_then_active() {
        let mut c = Config::default();
        c.upsert("canfar", canfar()).expect("add");
        c.upsert(
            "other",
            Profile {
                url: "https://other.example/skaha".into(),
                ..Default::default()
            },
        )
        .expect("add");
        assert_eq!(c.resolve(None, None).expect("active").name, "canfar");
        assert_eq!(c.resolve(Some("other"), None).expect("flag").name, "other");
        let env = c
            .resolve(Some("other"), Some("https://ws-uv.canfar.net/skaha/v1"))
            .expect("env");
        assert!(env.from_env);
        assert_eq!(
            env.name, "canfar",
            "a saved profile for the same service keeps its sign-in settings"
        );
        assert!(env.profile.oidc.is_some());
        let bare = c
            .resolve(None, Some("http://127.0.0.1:8080/skaha"))
            .expect("env");
        assert_eq!(bare.name, "127.0.0.1:8080");
        assert!(matches!(
            Config::default().resolve(None, None),
            Err(ConfigError::NoPlatform)
        ));
        assert!(matches!(
            c.resolve(Some("nope"), None),
            Err(ConfigError::NoSuchProfile(_))
        ));
        assert!(c.resolve(None, Some("not a url")).is_err());
    }

    #[test]
    fn names_and_removal() {
        let mut c = Config::default();
        assert!(c.upsert("has space", canfar()).is_err());
        assert!(c
            .upsert(
                "ok",
                Profile {
                    url: "nope".into(),
                    ..Default::default()
                }
            )
            .is_err());
        c.upsert("a", canfar()).expect("a");
        c.upsert("b", canfar()).expect("b");
        c.use_profile("b").expect("use");
        c.remove("b").expect("remove");
        assert_eq!(c.active.as_deref(), Some("a"));
        assert!(c.use_profile("zzz").is_err());
    }

    /// Changes made at once by several processes (the app and CLI runs) all land: each
    /// load-change-save holds the lock. Threads with their own open files stand in for the
    /// processes (an flock is held per open file description).
    #[test]
    fn changes_made_at_once_all_land() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("config.toml");
        let writers: Vec<_> = (0..6)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        Config::update(&path, |c| c.upsert(&format!("p{w}x{i}"), canfar()))
                            .expect("update");
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        assert_eq!(Config::load(&path).expect("load").profiles.len(), 60);
        // A failed change saves nothing.
        let before = std::fs::read(&path).expect("read");
        let err = Config::update(&path, |c| {
            c.active = Some("p0x0".into());
            Err::<(), _>(ConfigError::Invalid("no".into()))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }
}
