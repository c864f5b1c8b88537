//! Credentials for any VO service, beside the platforms' own: each kept in the keyring and
//! bound to the places ([`scope::Scope`]) it may be sent to. What the service asks for is read
//! from its challenges ([`probe`]); [`fetch`] sends a request with the credential bound to
//! its URL, never to another origin, never after a redirect to another origin, never over
//! plain http (loopback excepted).
//!
//! `credentials.toml` (in the config folder) holds what a credential is and where it may go;
//! its secrets live only in the keyring, under `credential.<id>/…`. The platforms' own
//! credentials (a profile's sign-in, its certificate file) are listed beside them, bound to
//! the profile's services, and managed under Platforms.

pub mod fetch;
pub mod jwt;
pub mod probe;
pub mod scope;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Config;
use crate::error::{Coded, ErrorCode};
use crate::keyring::{EntryKey, KeyringError, SecretStore, SecretStoreExt};
use crate::paths::Paths;
use crate::secret::SecretString;
use scope::{Scope, ScopeError};

/// The kinds of credential, as the CLI and the app name them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "kebab-case", rename = "CredentialKind")]
pub enum Kind {
    /// An X.509 client certificate and key in a PEM file (`~/.ssl/cadcproxy.pem`).
    Certificate,
    /// An OpenID Connect sign-in (a platform's, per issuer).
    Oidc,
    /// A CADC token, from a login with username and password (`ivoa_bearer`).
    CadcToken,
    /// A bearer token given as it is (`Authorization: Bearer`).
    Bearer,
    /// A username and password (`Authorization: Basic`).
    Basic,
    /// A ready-made Basic token (`Authorization: Basic <token>`, as UNICORE takes it).
    BasicToken,
    /// A session cookie from a login page (`ivoa_cookie`): logged in again when refused.
    Cookie,
    /// A JWT signed with the user's SSH key for each request (as UNICORE's clients make).
    SshJwt,
    /// Explicitly none: requests to these places go without a credential.
    Anonymous,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Certificate,
        Kind::Oidc,
        Kind::CadcToken,
        Kind::Bearer,
        Kind::Basic,
        Kind::BasicToken,
        Kind::Cookie,
        Kind::SshJwt,
        Kind::Anonymous,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Certificate => "certificate",
            Kind::Oidc => "oidc",
            Kind::CadcToken => "cadc-token",
            Kind::Bearer => "bearer",
            Kind::Basic => "basic",
            Kind::BasicToken => "basic-token",
            Kind::Cookie => "cookie",
            Kind::SshJwt => "ssh-jwt",
            Kind::Anonymous => "anonymous",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// In words, for lists and messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Certificate => "X.509 certificate",
            Kind::Oidc => "OpenID Connect sign-in",
            Kind::CadcToken => "CADC token",
            Kind::Bearer => "bearer token",
            Kind::Basic => "username and password",
            Kind::BasicToken => "Basic token",
            Kind::Cookie => "login cookie",
            Kind::SshJwt => "SSH-key-signed JWT",
            Kind::Anonymous => "no credential (anonymous)",
        }
    }

    /// What it answers in a challenge's terms.
    pub fn answers(self) -> Option<crate::auth::challenge::CredentialKind> {
        use crate::auth::challenge::CredentialKind as C;
        match self {
            Kind::Certificate => Some(C::Certificate),
            Kind::Oidc | Kind::CadcToken | Kind::Bearer | Kind::SshJwt => Some(C::Token),
            Kind::Basic | Kind::BasicToken => Some(C::Password),
            Kind::Cookie => Some(C::Cookie),
            Kind::Anonymous => None,
        }
    }
}

/// One credential as `credentials.toml` keeps it (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub kind: Kind,
    /// Where it may be sent (scopes, as given).
    pub origins: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Where to log in (cookie, CADC token): a challenge's `access_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// A file: the certificate (PEM) or the SSH private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// When it runs out, when known (a token's `exp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub added_at: DateTime<Utc>,
}

/// The file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    credentials: BTreeMap<String, Record>,
}

/// The names of a credential's keyring entries.
pub mod entries {
    /// The token, the password, or the Basic token.
    pub const SECRET: &str = "secret";
    /// The cookies a login returned (`name=value` lines).
    pub const COOKIES: &str = "cookies";
    /// The SSH key's passphrase, when the user chose to keep it.
    pub const PASSPHRASE: &str = "passphrase";
    pub const ALL: [&str; 3] = [SECRET, COOKIES, PASSPHRASE];
}

/// The keyring entry `name` of credential `id`.
pub fn entry(id: &str, name: &str) -> EntryKey {
    // Profile names cannot hold a dot: no credential's entries meet a profile's.
    EntryKey::new(format!("credential.{id}"), name)
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error("{0}")]
    Invalid(String),
    #[error("no credential {0:?}; `skyport credentials list` shows them")]
    NoSuch(String),
    #[error("{0:?} is a platform's credential; manage it under Platforms (`skyport login`, `skyport logout`)")]
    Managed(String),
    #[error("{path} is not valid ({detail}). Fix or remove it; Skyport has not changed it.")]
    Malformed { path: String, detail: String },
    #[error("cannot read or save {path}: {detail}")]
    Io { path: String, detail: String },
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Login(String),
}

impl Coded for VaultError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Scope(_) | Self::Invalid(_) | Self::Managed(_) => ErrorCode::Validation,
            Self::NoSuch(_) => ErrorCode::NotFound,
            Self::Malformed { .. } => ErrorCode::Config,
            Self::Io { .. } => ErrorCode::Io,
            Self::Keyring(e) => e.code(),
            Self::Config(e) => e.code(),
            Self::Login(_) => ErrorCode::SignInNeeded,
        }
    }
}

/// Where `credentials.toml` is.
pub fn file_path(paths: &Paths) -> PathBuf {
    paths.config_dir.join("credentials.toml")
}

fn load(path: &Path) -> Result<File, VaultError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
        Err(e) => {
            return Err(VaultError::Io {
                path: path.display().to_string(),
                detail: e.to_string(),
            })
        }
    };
    toml::from_str(&text).map_err(|e| VaultError::Malformed {
        path: path.display().to_string(),
        detail: e.to_string().trim().replace('\n', " "),
    })
}

/// Change the file under a lock shared with other Skyport processes; saved atomically when
/// `change` succeeds.
fn update<T>(
    paths: &Paths,
    change: impl FnOnce(&mut File) -> Result<T, VaultError>,
) -> Result<T, VaultError> {
    let path = file_path(paths);
    let lock = paths.config_dir.join("credentials.toml.lock");
    let _held =
        crate::lockfile::LockFile::acquire_blocking(&lock, std::time::Duration::from_secs(10))
            .map_err(|e| VaultError::Io {
                path: lock.display().to_string(),
                detail: e.to_string(),
            })?;
    let mut file = load(&path)?;
    let out = change(&mut file)?;
    let text = toml::to_string_pretty(&file).map_err(|e| VaultError::Invalid(e.to_string()))?;
    let body = format!("# Skyport's credentials for VO services: what each is and where it may be sent.\n# The secrets are in the OS keyring, never here.\n{text}");
    crate::fsutil::write_atomic(&path, body.as_bytes()).map_err(|e| VaultError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    Ok(out)
}

/// A credential as listed: the user's own, or a platform's (`managed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", rename = "ServiceCredential")]
pub struct Listed {
    /// `gaia-cookie`, or `canfar/sign-in` for a platform's.
    pub id: String,
    pub kind: Kind,
    /// Where it may be sent.
    pub origins: Vec<String>,
    pub username: Option<String>,
    pub login_url: Option<String>,
    /// The file it reads (certificate, SSH key).
    pub file: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Where it is kept, in words ("GNOME Keyring (Secret Service)", "the file …").
    pub kept: String,
    /// A platform's (under Platforms), not added here.
    pub managed: bool,
}

/// A credential to add, with its secrets.
#[derive(Debug, Default)]
pub struct NewCredential {
    pub kind: Option<Kind>,
    pub origins: Vec<String>,
    pub username: Option<String>,
    pub login_url: Option<String>,
    pub file: Option<PathBuf>,
    /// The token, password or Basic token.
    pub secret: Option<SecretString>,
    /// The SSH key's passphrase, kept when given.
    pub passphrase: Option<SecretString>,
    /// The id to give it (default: kind and first host).
    pub id: Option<String>,
}

fn slug(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && id.len() <= 64
}

/// The platform (profile) that signs in at `issuer`, one with a sign-in first.
pub fn profile_for_issuer(paths: &Paths, issuer: &str) -> Result<Option<String>, VaultError> {
    let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    let want = norm(issuer);
    let cfg = Config::load(&paths.config_file())?;
    let mut found: Vec<&String> = cfg
        .profiles
        .iter()
        .filter(|(_, p)| p.oidc.as_ref().is_some_and(|o| norm(&o.issuer) == want))
        .map(|(name, _)| name)
        .collect();
    found.sort_by_key(|name| crate::auth::oidc::load_record(paths, name).is_none());
    Ok(found.first().map(|n| (*n).clone()))
}

/// Check what a new credential needs, in the user's terms.
fn check_new(paths: &Paths, n: &NewCredential, kind: Kind) -> Result<Vec<Scope>, VaultError> {
    if n.origins.is_empty() {
        return Err(VaultError::Invalid(format!(
            "say where the {} may be sent with --origin URL (repeatable)",
            kind.describe()
        )));
    }
    let scopes = n
        .origins
        .iter()
        .map(|o| Scope::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    let need = |what: bool, flag: &str| {
        if what {
            Ok(())
        } else {
            Err(VaultError::Invalid(format!(
                "a {} needs {flag}",
                kind.describe()
            )))
        }
    };
    match kind {
        Kind::Certificate => need(n.file.is_some(), "--identity FILE (the PEM file)")?,
        Kind::Bearer | Kind::BasicToken | Kind::CadcToken => {
            need(n.secret.is_some(), "the token (--token-stdin)")?
        }
        Kind::Basic => {
            need(n.username.is_some(), "--username")?;
            need(n.secret.is_some(), "the password (--password-stdin)")?;
        }
        Kind::Cookie => {
            need(n.username.is_some(), "--username")?;
            need(n.secret.is_some(), "the password (--password-stdin)")?;
            need(
                n.login_url.is_some(),
                "the login address (--login-url, or a probe of the service that names it)",
            )?;
        }
        Kind::SshJwt => {
            need(n.username.is_some(), "--username")?;
            need(n.file.is_some(), "--identity FILE (the SSH private key)")?;
        }
        Kind::Oidc => need(n.login_url.is_some(), "--issuer URL (the OpenID provider)")?,
        Kind::Anonymous => {}
    }
    match (&n.login_url, kind) {
        // The sign-in of a platform at that provider is what goes.
        (Some(issuer), Kind::Oidc) => {
            if profile_for_issuer(paths, issuer)?.is_none() {
                return Err(VaultError::Invalid(format!(
                    "none of your platforms signs in at {issuer}: add one that does (`skyport profiles add`) and sign in (`skyport login`) first"
                )));
            }
        }
        // The password goes there: it must be one of the credential's places.
        (Some(u), _) => {
            login_allowed(u, &n.origins)?;
        }
        (None, _) => {}
    }
    Ok(scopes)
}

/// Add a credential: the keyring first (if it refuses, nothing is saved), then the file.
/// Returns its id.
pub fn add(paths: &Paths, store: &dyn SecretStore, n: NewCredential) -> Result<String, VaultError> {
    let kind = n
        .kind
        .ok_or_else(|| VaultError::Invalid("say which kind of credential".into()))?;
    let scopes = check_new(paths, &n, kind)?;
    let file = match &n.file {
        Some(f) => {
            let abs = std::fs::canonicalize(f)
                .map_err(|e| VaultError::Invalid(format!("{}: {e}", f.display())))?;
            Some(abs)
        }
        None => None,
    };
    let id = match &n.id {
        Some(id) if valid_id(id) => id.clone(),
        Some(id) => {
            return Err(VaultError::Invalid(format!(
                "{id:?} cannot be a credential's name: letters, digits, '-' and '_', at most 64"
            )))
        }
        None => {
            let host = scopes.first().map(|s| s.to_string()).unwrap_or_default();
            let host = host.split("://").nth(1).unwrap_or(&host).to_string();
            let mut base = slug(&format!("{}-{}", kind.as_str(), host));
            base.truncate(56);
            base
        }
    };
    let current = load(&file_path(paths))?;
    let id = if n.id.is_none() {
        let mut candidate = id.clone();
        let mut i = 2;
        while current.credentials.contains_key(&candidate) {
            candidate = format!("{id}-{i}");
            i += 1;
        }
        candidate
    } else if current.credentials.contains_key(&id) {
        return Err(VaultError::Invalid(format!(
            "a credential named {id:?} exists; remove it first or choose another name"
        )));
    } else {
        id
    };
    if let Some(s) = &n.secret {
        store.set(&entry(&id, entries::SECRET), s)?;
    }
    if let Some(p) = &n.passphrase {
        store.set(&entry(&id, entries::PASSPHRASE), p)?;
    }
    let record = Record {
        kind,
        origins: scopes.iter().map(Scope::to_string).collect(),
        username: n.username,
        login_url: n.login_url,
        file,
        expires_at: n.secret.as_ref().and_then(|s| jwt_expiry(s.expose())),
        added_at: Utc::now(),
    };
    update(paths, |f| {
        f.credentials.insert(id.clone(), record);
        Ok(())
    })?;
    Ok(id)
}

/// Whether the password may go to `login_url`: it must be inside one of `origins` (the
/// places the credential is bound to), checked before anything is sent.
pub fn login_allowed(login_url: &str, origins: &[String]) -> Result<Url, VaultError> {
    let url = Url::parse(login_url.trim()).map_err(|e| {
        VaultError::Invalid(format!(
            "the login address {login_url:?} is not a URL ({e})"
        ))
    })?;
    let scopes = origins
        .iter()
        .map(|o| Scope::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    if !scopes.iter().any(|s| s.contains(&url)) {
        return Err(VaultError::Invalid(format!(
            "the login address {url} is outside the places given with --origin; add its origin too if you trust it (the password is sent there)"
        )));
    }
    Ok(url)
}

/// A CADC token, by logging in at `login_url` now (the password is not kept). The login
/// address must be inside `origins`, checked before the password goes anywhere.
pub async fn cadc_token(
    http: &reqwest::Client,
    login_url: &str,
    origins: &[String],
    username: &str,
    password: &SecretString,
) -> Result<SecretString, VaultError> {
    let url = login_allowed(login_url, origins)?;
    crate::auth::password::login(http, &url, username, password)
        .await
        .map(|l| l.token)
        .map_err(|e| VaultError::Login(e.to_string()))
}

/// Remove a credential of the user's and its keyring entries.
pub fn remove(paths: &Paths, store: &dyn SecretStore, id: &str) -> Result<(), VaultError> {
    if id.contains('/') {
        return Err(VaultError::Managed(id.to_string()));
    }
    if !load(&file_path(paths))?.credentials.contains_key(id) {
        return Err(VaultError::NoSuch(id.to_string()));
    }
    // The keyring first: a credential whose secrets could not be deleted stays listed.
    for name in entries::ALL {
        store.delete(&entry(id, name))?;
    }
    update(paths, |f| {
        f.credentials.remove(id);
        Ok(())
    })
}

/// The `exp` of a JWT, read without checking its signature (for showing when it runs out).
pub fn jwt_expiry(token: &str) -> Option<DateTime<Utc>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(v.get("exp")?.as_i64()?, 0)
}

/// Every credential: the user's, then each platform's.
pub fn list(paths: &Paths, store: &dyn SecretStore) -> Result<Vec<Listed>, VaultError> {
    let file = load(&file_path(paths))?;
    let keyring = store.describe();
    let mut out: Vec<Listed> = file
        .credentials
        .into_iter()
        .map(|(id, r)| Listed {
            kept: match (r.kind, &r.file) {
                (Kind::Certificate, Some(f)) => format!("the file {}", f.display()),
                (Kind::SshJwt, Some(f)) => {
                    format!("the key file {} (signed per request)", f.display())
                }
                (Kind::Anonymous, _) => "nothing to keep".into(),
                _ => keyring.clone(),
            },
            expires_at: match (r.kind, &r.file) {
                (Kind::Certificate, Some(f)) => crate::cert::CertBundle::load(f)
                    .ok()
                    .map(|b| b.info().not_after),
                _ => r.expires_at,
            },
            id,
            kind: r.kind,
            origins: r.origins,
            username: r.username,
            login_url: r.login_url,
            file: r.file.map(|f| f.display().to_string()),
            managed: false,
        })
        .collect();
    out.extend(platform_credentials(paths, store)?);
    Ok(out)
}

/// The platforms' own: each profile's sign-in (OIDC or token) and certificate, bound to
/// the profile's services.
fn platform_credentials(paths: &Paths, store: &dyn SecretStore) -> Result<Vec<Listed>, VaultError> {
    use crate::connect::TokenSlot;
    let cfg = Config::load(&paths.config_file())?;
    let mut out = Vec::new();
    for (name, p) in &cfg.profiles {
        let origins: Vec<String> = [Some(&p.url), p.storage_url.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|u| Url::parse(u).ok())
            .filter_map(|u| Scope::origin_of(&u).ok())
            .map(|s| s.to_string())
            .fold(Vec::new(), |mut v, s| {
                if !v.contains(&s) {
                    v.push(s);
                }
                v
            });
        if origins.is_empty() {
            continue;
        }
        let record = crate::auth::oidc::load_record(paths, name);
        let token = [TokenSlot::Access, TokenSlot::Token]
            .into_iter()
            .find(|slot| store.get(&slot.key(name)).ok().flatten().is_some());
        if let Some(slot) = token {
            let oidc = slot == TokenSlot::Access;
            out.push(Listed {
                id: format!("{name}/sign-in"),
                kind: if oidc { Kind::Oidc } else { Kind::CadcToken },
                origins: origins.clone(),
                username: p.username.clone(),
                login_url: if oidc {
                    p.oidc.as_ref().map(|o| o.issuer.clone())
                } else {
                    p.login_url.clone()
                },
                file: None,
                expires_at: if oidc {
                    record.as_ref().and_then(|r| r.access_expires_at)
                } else {
                    None
                },
                kept: store.describe(),
                managed: true,
            });
        }
        let cert = crate::connect::profile_cert_path(paths, p);
        if let Ok(bundle) = crate::cert::CertBundle::load(&cert) {
            out.push(Listed {
                id: format!("{name}/certificate"),
                kind: Kind::Certificate,
                origins,
                username: p.username.clone(),
                login_url: p.cred_url.clone(),
                file: Some(cert.display().to_string()),
                expires_at: Some(bundle.info().not_after),
                kept: format!("the file {}", cert.display()),
                managed: true,
            });
        }
    }
    Ok(out)
}

/// A user's credential with its record, for [`fetch`] and [`probe`].
#[derive(Debug, Clone)]
pub struct Bound {
    pub id: String,
    pub record: Record,
    pub scope: Scope,
    /// A platform's, by profile name.
    pub profile: Option<String>,
}

/// The credentials bound to `url`, the most specific binding first (an exact host before a
/// domain, a longer path before a shorter one; the user's own before a platform's).
pub fn bound_to(
    paths: &Paths,
    store: &dyn SecretStore,
    url: &Url,
) -> Result<Vec<Bound>, VaultError> {
    let mut found = Vec::new();
    for (id, record) in load(&file_path(paths))?.credentials {
        let best = record
            .origins
            .iter()
            .filter_map(|o| Scope::parse(o).ok())
            .filter(|s| s.contains(url))
            .max_by_key(Scope::specificity);
        if let Some(scope) = best {
            found.push(Bound {
                id,
                record,
                scope,
                profile: None,
            });
        }
    }
    for l in platform_credentials(paths, store)? {
        let best = l
            .origins
            .iter()
            .filter_map(|o| Scope::parse(o).ok())
            .filter(|s| s.contains(url))
            .max_by_key(Scope::specificity);
        if let Some(scope) = best {
            let profile = l.id.split('/').next().map(str::to_string);
            found.push(Bound {
                id: l.id,
                record: Record {
                    kind: l.kind,
                    origins: l.origins,
                    username: l.username,
                    login_url: l.login_url,
                    file: l.file.map(PathBuf::from),
                    expires_at: l.expires_at,
                    added_at: Utc::now(),
                },
                scope,
                profile,
            });
        }
    }
    found.sort_by(|a, b| {
        b.scope
            .specificity()
            .cmp(&a.scope.specificity())
            .then(a.profile.is_some().cmp(&b.profile.is_some()))
    });
    Ok(found)
}

/// The registry credential for a private image (`x-skaha-registry-auth`): a username and
/// password credential bound to the image's registry (`https://images.canfar.net`) and to
/// the platform it is sent to (`service`), since the platform receives it.
pub fn registry_auth(
    paths: &Paths,
    store: &dyn SecretStore,
    image: &str,
    service: &Url,
) -> Result<Option<(String, crate::skaha::RegistryAuth)>, VaultError> {
    let host = image.split('/').next().unwrap_or_default();
    let Ok(url) = Url::parse(&format!("https://{host}/")) else {
        return Ok(None);
    };
    for b in bound_to(paths, store, &url)? {
        let to_platform = b
            .record
            .origins
            .iter()
            .filter_map(|o| Scope::parse(o).ok())
            .any(|s| s.contains(service));
        if b.profile.is_some() || !to_platform {
            continue;
        }
        match b.record.kind {
            Kind::Basic => {
                let Some(secret) = store.get(&entry(&b.id, entries::SECRET))? else {
                    continue;
                };
                let username = b.record.username.clone().unwrap_or_default();
                return Ok(Some((
                    b.id,
                    crate::skaha::RegistryAuth { username, secret },
                )));
            }
            // Bound as anonymous: a public registry, nothing is sent.
            Kind::Anonymous => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

/// Every credential of the user's of one kind (for "you have one that would do").
pub fn of_kind(paths: &Paths, kinds: &[Kind]) -> Result<Vec<(String, Record)>, VaultError> {
    Ok(load(&file_path(paths))?
        .credentials
        .into_iter()
        .filter(|(_, r)| kinds.contains(&r.kind))
        .collect())
}

/// Keep the cookies a login returned (replacing the old ones).
pub fn save_cookies(
    store: &dyn SecretStore,
    id: &str,
    cookies: &[(String, String)],
) -> Result<(), VaultError> {
    let text: String = cookies.iter().map(|(n, v)| format!("{n}={v}\n")).collect();
    store.set(&entry(id, entries::COOKIES), &SecretString::new(text))?;
    Ok(())
}

/// The cookies kept for credential `id`.
pub fn cookies(store: &dyn SecretStore, id: &str) -> Result<Vec<(String, String)>, VaultError> {
    Ok(store
        .get(&entry(id, entries::COOKIES))?
        .map(|s| {
            s.expose()
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests;
