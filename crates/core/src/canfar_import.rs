//! Import of the official `canfar` client's `~/.canfar/config.yaml` (skaha-api.md §5.1): its
//! servers become profiles, its OIDC contexts give their issuer, and its plain-text access
//! tokens are copied into the keyring only when the user says so. The file is only read:
//! Skyport never changes it (the `canfar` client keeps working as before).
//!
//! Its refresh tokens are not taken: they belong to the canfar client's own registered client,
//! and a provider that rotates refresh tokens (SKA IAM does) would invalidate the canfar
//! client's copy at Skyport's first refresh, signing it out. An imported access token is used
//! until it lapses; then Skyport asks for its own sign-in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{
    default_scopes, validate_profile_name, Config, ConfigError, OidcSettings, Profile,
};
use crate::error::{Coded, ErrorCode};
use crate::keyring::{entries, EntryKey, KeyringError, SecretStore, SecretStoreExt};
use crate::paths::Paths;
use crate::secret::SecretString;

/// Real files are a few kilobytes; anything this big is not one.
const MAX_BYTES: u64 = 1024 * 1024;

/// Where the `canfar` client keeps its settings (beside `~/.ssl`, so under `SKYPORT_HOME`
/// when that is set).
pub fn default_path(paths: &Paths) -> PathBuf {
    paths
        .ssl_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join(".canfar")
        .join("config.yaml")
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("{path} is not a canfar client configuration Skyport can read ({detail}). Check the file with `canfar config show`; nothing was imported.")]
    Malformed { path: String, detail: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

impl Coded for ImportError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Read { .. } | Self::Malformed { .. } => ErrorCode::Config,
            Self::Config(e) => e.code(),
            Self::Keyring(e) => e.code(),
        }
    }
}

// ---- the file, read tolerantly (unknown keys ignored, every field optional) ---------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct File {
    active: Active,
    authentication: BTreeMap<String, AuthContext>,
    servers: BTreeMap<String, Server>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Active {
    server: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuthContext {
    mode: Option<String>,
    path: Option<String>,
    endpoints: Endpoints,
    client: Client,
    token: Tokens,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Endpoints {
    discovery: Option<String>,
}

/// The canfar client's registered OIDC client is its own (a confidential one, with a secret):
/// Skyport registers its own at the first sign-in instead, so its id is not read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Client {}

/// Only the access token is read (see the module's notes on refresh tokens).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Tokens {
    access: Option<SecretString>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Server {
    idp: Option<String>,
    uri: Option<String>,
    url: Option<String>,
    version: Option<String>,
}

// ---- what an import would do ---------------------------------------------------------------

/// One server of the file, as a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    /// The profile name (the server's name in the file).
    pub name: String,
    /// The session service, with its version.
    pub url: String,
    /// Its sign-in: `x509` (a certificate file) or `oidc` (an OpenID provider).
    pub sign_in: Option<String>,
    /// The file keeps a plain-text access token for it.
    pub has_token: bool,
    /// Why it is not imported (a profile of that name exists, no URL, …), if it is not.
    pub skipped: Option<String>,
    /// The server the `canfar` client uses now.
    pub active: bool,
}

/// What importing the file would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    pub path: String,
    pub servers: Vec<Planned>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub added: Vec<String>,
    /// Access tokens copied into the keyring.
    pub tokens: u32,
}

struct Found {
    planned: Planned,
    profile: Option<Profile>,
    access: Option<SecretString>,
}

fn read(path: &Path) -> Result<File, ImportError> {
    let shown = path.display().to_string();
    let read_err = |detail: String| ImportError::Read {
        path: shown.clone(),
        detail,
    };
    let meta = std::fs::metadata(path).map_err(|e| read_err(e.to_string()))?;
    if meta.len() > MAX_BYTES {
        return Err(ImportError::Malformed {
            path: shown,
            detail: format!("it is {} bytes long", meta.len()),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
    parse(&text).map_err(|detail| ImportError::Malformed {
        path: shown,
        detail,
    })
}

/// Parse the file's text (outside input: fuzzed). A document with no servers is an empty
/// import, not an error.
fn parse(text: &str) -> Result<File, String> {
    if text.trim().is_empty() {
        return Ok(File::default());
    }
    serde_saphyr::from_str::<File>(text).map_err(|e| {
        // Only where: the parser's own text may quote the document, and with it a token.
        match e.location() {
            Some(l) => format!(
                "YAML it cannot read at line {}, column {}",
                l.line(),
                l.column()
            ),
            None => "YAML it cannot read".to_string(),
        }
    })
}

/// For the fuzzer: the number of servers read, or the error's detail.
pub fn parse_for_fuzzing(text: &str) -> Result<usize, String> {
    parse(text).map(|f| f.servers.len())
}

fn issuer_of(discovery: &str) -> String {
    let d = discovery.trim();
    d.strip_suffix("/.well-known/openid-configuration")
        .map(|s| format!("{s}/"))
        .unwrap_or_else(|| d.to_string())
}

fn plan(file: File, cfg: &Config) -> Vec<Found> {
    file.servers
        .into_iter()
        .map(|(name, s)| {
            let ctx = s.idp.as_deref().and_then(|i| file.authentication.get(i));
            let mode = ctx.and_then(|c| c.mode.clone());
            let access = ctx
                .and_then(|c| c.token.access.clone())
                .filter(|t| !t.expose().is_empty());
            let url = s
                .url
                .as_deref()
                .map(|u| u.trim().trim_end_matches('/').to_string());
            let full = url.as_ref().map(|u| match s.version.as_deref() {
                Some(v) if v != "v1" && !u.ends_with(&format!("/{v}")) => format!("{u}/{v}"),
                _ => u.clone(),
            });
            let mut profile = Profile {
                url: full.clone().unwrap_or_default(),
                display_name: Some(name.clone()),
                resource_id: s.uri.clone(),
                ..Profile::default()
            };
            if let Some(c) = ctx {
                if mode.as_deref() == Some("x509") {
                    profile.cert_path = c.path.as_deref().map(PathBuf::from);
                }
                if let Some(d) = c.endpoints.discovery.as_deref() {
                    profile.oidc = Some(OidcSettings {
                        issuer: issuer_of(d),
                        // Registered at the first sign-in (see `Client`).
                        client_id: None,
                        scopes: default_scopes(),
                    });
                }
            }
            let skipped = if validate_profile_name(&name).is_err() {
                Some("its name cannot be a profile name".to_string())
            } else if cfg.profiles.contains_key(&name) {
                Some("a profile of that name exists (it is left as it is)".to_string())
            } else if full.is_none() {
                Some("it has no URL".to_string())
            } else if let Err(e) = profile.service() {
                Some(e.to_string())
            } else {
                None
            };
            Found {
                planned: Planned {
                    active: file.active.server.as_deref() == Some(name.as_str()),
                    name,
                    url: full.unwrap_or_default(),
                    sign_in: mode,
                    has_token: access.is_some(),
                    skipped: skipped.clone(),
                },
                profile: skipped.is_none().then_some(profile),
                access,
            }
        })
        .collect()
}

/// What importing `path` would do, or `None` when there is no such file.
pub fn preview(paths: &Paths, path: &Path) -> Result<Option<ImportPreview>, ImportError> {
    if !path.exists() {
        return Ok(None);
    }
    let cfg = Config::load(&paths.config_file())?;
    let servers = plan(read(path)?, &cfg)
        .into_iter()
        .map(|f| f.planned)
        .collect();
    Ok(Some(ImportPreview {
        path: path.display().to_string(),
        servers,
    }))
}

/// Import every server that can be: profiles saved at once (atomically); the file's tokens
/// copied into the keyring only with `tokens`. The `canfar` client's active server becomes
/// the active profile when none is set yet.
pub fn import(
    paths: &Paths,
    store: &dyn SecretStore,
    path: &Path,
    tokens: bool,
) -> Result<ImportReport, ImportError> {
    Config::update(&paths.config_file(), |cfg| {
        let found = plan(read(path)?, cfg);
        let mut report = ImportReport {
            added: vec![],
            tokens: 0,
        };
        // The keyring first: if it refuses, nothing is saved and the import can simply be run
        // again (a saved profile would be skipped the next time, with its tokens).
        if tokens {
            for f in found.iter().filter(|f| f.profile.is_some()) {
                if let Some(v) = &f.access {
                    let key = EntryKey::new(f.planned.name.as_str(), entries::OIDC_ACCESS_TOKEN);
                    store.set(&key, v)?;
                    report.tokens += 1;
                }
            }
        }
        let mut active = None;
        for f in &found {
            if let Some(p) = &f.profile {
                cfg.upsert(&f.planned.name, p.clone())?;
                report.added.push(f.planned.name.clone());
                if f.planned.active {
                    active = Some(f.planned.name.clone());
                }
            }
        }
        if let (Some(a), true) = (
            &active,
            cfg.active.is_none() || report.added.len() == cfg.profiles.len(),
        ) {
            cfg.use_profile(a)?;
        }
        Ok(report)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::MemoryStore;

    /// The shape of skaha-api.md §5.1, with a CADC certificate context and an SRCNet one.
    const SAMPLE: &str = "\
version: 1
active: {authentication: srcnet, server: swesrc, servers: {cadc: canfar, srcnet: swesrc}}
authentication:
  cadc: {mode: x509, path: /home/u/.ssl/cadcproxy.pem, expiry: 1767225600.0}
  srcnet:
    mode: oidc
    endpoints: {discovery: 'https://ska-iam.stfc.ac.uk/.well-known/openid-configuration', token: 'https://ska-iam.stfc.ac.uk/token'}
    client: {identity: client-123, secret: not-a-real-secret}
    token: {access: acc-TOKEN-1, refresh: ref-TOKEN-2}
    expiry: {access: 1767225600.0, refresh: 1769817600.0}
servers:
  canfar: {idp: cadc, uri: 'ivo://cadc.nrc.ca/skaha', url: 'https://ws-uv.canfar.net/skaha', version: v1, auths: [x509]}
  swesrc: {idp: srcnet, uri: 'ivo://swesrc.chalmers.se/skaha', url: 'https://services.swesrc.chalmers.se/skaha', version: v0, auths: [oidc]}
  broken: {idp: cadc}
registry: {url: images.canfar.net, username: u, secret: s}
console: {width: 120, banner: true}
";

    fn setup() -> (tempfile::TempDir, Paths, PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        let file = default_path(&paths);
        std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
        std::fs::write(&file, SAMPLE).expect("write");
        (dir, paths, file)
    }

    #[test]
    fn servers_become_profiles_and_tokens_move_only_when_asked() {
        let (_d, paths, file) = setup();
        let before = std::fs::read(&file).expect("read");
        let p = preview(&paths, &file).expect("preview").expect("exists");
        let names: Vec<_> = p
            .servers
            .iter()
            .map(|s| (s.name.as_str(), s.skipped.is_none()))
            .collect();
        assert_eq!(
            names,
            [("broken", false), ("canfar", true), ("swesrc", true)]
        );
        assert!(p.servers[2].has_token && p.servers[2].active);

        let store = MemoryStore::default();
        let r = import(&paths, &store, &file, false).expect("import");
        assert_eq!((r.added.len(), r.tokens), (2, 0));
        assert!(store
            .get(&EntryKey::new("swesrc", entries::OIDC_ACCESS_TOKEN))
            .expect("get")
            .is_none());
        let cfg = Config::load(&paths.config_file()).expect("load");
        assert_eq!(cfg.active.as_deref(), Some("swesrc"));
        assert_eq!(
            cfg.profiles["swesrc"].url,
            "https://services.swesrc.chalmers.se/skaha/v0"
        );
        let oidc = cfg.profiles["swesrc"].oidc.clone().expect("oidc");
        assert_eq!(oidc.issuer, "https://ska-iam.stfc.ac.uk/");
        assert_eq!(oidc.client_id, None, "Skyport registers its own client");
        assert_eq!(
            cfg.profiles["canfar"].cert_path.as_deref(),
            Some(Path::new("/home/u/.ssl/cadcproxy.pem"))
        );
        // Nothing secret lands in config.toml, and the canfar file is untouched.
        let toml = std::fs::read_to_string(paths.config_file()).expect("toml");
        for secret in ["acc-TOKEN-1", "ref-TOKEN-2", "not-a-real-secret"] {
            assert!(!toml.contains(secret), "{secret} in config.toml");
        }
        assert_eq!(std::fs::read(&file).expect("read"), before);

        // A second import skips what exists; with tokens, they go to the keyring.
        let store = MemoryStore::default();
        std::fs::remove_file(paths.config_file()).expect("rm");
        let r = import(&paths, &store, &file, true).expect("import");
        assert_eq!(r.tokens, 1, "the access token only");
        assert!(
            store
                .get(&EntryKey::new("swesrc", entries::OIDC_REFRESH_TOKEN))
                .expect("get")
                .is_none(),
            "the canfar client's refresh token stays its own"
        );
        let got = store
            .get(&EntryKey::new("swesrc", entries::OIDC_ACCESS_TOKEN))
            .expect("get");
        assert_eq!(
            got.map(|s| s.expose().to_string()).as_deref(),
            Some("acc-TOKEN-1")
        );
        let again = preview(&paths, &file).expect("preview").expect("exists");
        assert!(again.servers.iter().all(|s| s.skipped.is_some()));
    }

    #[test]
    fn a_broken_file_says_so_and_imports_nothing() {
        let (_d, paths, file) = setup();
        std::fs::write(&file, "servers: [unclosed\n  token: {access: SECRET-XYZ").expect("write");
        let e = import(&paths, &MemoryStore::default(), &file, true).expect_err("broken");
        let msg = e.to_string();
        assert!(
            msg.contains("is not a canfar client configuration"),
            "{msg}"
        );
        assert!(!msg.contains("SECRET-XYZ"), "{msg}");
        assert!(!paths.config_file().exists());
        assert_eq!(
            preview(&paths, &paths.config_dir.join("none.yaml")).expect("none"),
            None
        );
    }
}
