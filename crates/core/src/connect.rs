//! From "which profile" to a ready Skaha client: the one place that decides which
//! credential a request carries, shared by the desktop app and the CLI.
//!
//! Precedence (like the canfar client's): `SKYPORT_TOKEN` from the environment, then a
//! token saved in the keyring for the profile (a pasted token or one from a CADC password
//! sign-in), then the X.509 certificate file. Sign-in (OIDC) tokens join this list through
//! [`TokenSlot::Access`].

use std::time::Duration;

use chrono::Utc;

use crate::cert::{CertBundle, CertError};
use crate::config::ResolvedProfile;
use crate::error::{Coded, ErrorCode, ErrorPayload};
use crate::http::{build_client, HttpOptions};
use crate::keyring::{EntryKey, KeyringError, SecretStore, SecretStoreExt};
use crate::paths::Paths;
use crate::platform::TOKEN_ENV;
use crate::secret::{Secret, SecretString};
use crate::skaha::{Auth, SkahaClient};

/// Keyring entry names within a profile's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSlot {
    /// A bearer token the user pasted, or one from CADC password sign-in.
    Token,
    /// An OIDC access token.
    Access,
}

impl TokenSlot {
    pub fn key(self, profile: &str) -> EntryKey {
        EntryKey::new(
            profile,
            match self {
                Self::Token => crate::keyring::entries::TOKEN,
                Self::Access => crate::keyring::entries::OIDC_ACCESS_TOKEN,
            },
        )
    }
}

/// Which credential a connection uses, for status lines (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialUsed {
    EnvToken,
    SavedToken,
    OidcToken,
    Certificate {
        path: String,
        subject: String,
        not_after: chrono::DateTime<Utc>,
    },
}

impl CredentialUsed {
    pub fn describe(&self) -> String {
        match self {
            Self::EnvToken => format!("a token from {TOKEN_ENV}"),
            Self::SavedToken => "a saved token".into(),
            Self::OidcToken => "your sign-in".into(),
            Self::Certificate { path, .. } => format!("the certificate {path}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("you are not signed in to {profile}: sign in (`skyport login`), set {TOKEN_ENV}, or get a certificate (`skyport cert obtain`)")]
    SignInNeeded { profile: String },
    #[error(
        "the certificate {path} expired at {when}; renew it (`skyport cert renew`) or sign in"
    )]
    CertificateExpired { path: String, when: String },
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Cert(CertError),
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Insecure(#[from] crate::secure::InsecureUrl),
}

impl Coded for ConnectError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::SignInNeeded { .. } => ErrorCode::SignInNeeded,
            Self::CertificateExpired { .. } => ErrorCode::CertificateExpired,
            Self::Keyring(e) => e.code(),
            Self::Cert(_) => ErrorCode::CertificateInvalid,
            Self::Setup(_) | Self::Insecure(_) => ErrorCode::Config,
        }
    }
}

impl From<ConnectError> for ErrorPayload {
    fn from(e: ConnectError) -> Self {
        ErrorPayload::from_coded(&e)
    }
}

/// A client ready to use, and what it authenticates with.
#[derive(Debug, Clone)]
pub struct Connection {
    pub client: SkahaClient,
    pub credential: CredentialUsed,
}

/// Options for [`connect`].
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// A token from the environment (`SKYPORT_TOKEN`), already read by the caller.
    pub env_token: Option<SecretString>,
    pub timeout: Option<Duration>,
}

/// Extra trusted roots for a profile (`ca_file`), e.g. a local test platform's CA.
fn roots(profile: &ResolvedProfile) -> Result<Vec<Vec<u8>>, ConnectError> {
    match &profile.profile.ca_file {
        Some(p) => std::fs::read(p).map(|b| vec![b]).map_err(|e| {
            ConnectError::Setup(format!(
                "cannot read the CA file {} of profile {}: {e}",
                p.display(),
                profile.name
            ))
        }),
        None => Ok(vec![]),
    }
}

/// A certificate file for scripts and automation, in place of every profile's.
pub const CERT_ENV: &str = "SKYPORT_CERT";

/// `SKYPORT_CERT`, when set.
pub fn env_cert_path() -> Option<std::path::PathBuf> {
    std::env::var_os(CERT_ENV)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

/// The certificate path for a profile: `SKYPORT_CERT`, else the profile's own, else
/// `~/.ssl/cadcproxy.pem`.
pub fn cert_path(paths: &Paths, profile: &ResolvedProfile) -> std::path::PathBuf {
    profile_cert_path(paths, &profile.profile)
}

/// [`cert_path`] for a profile as config.toml has it.
pub fn profile_cert_path(paths: &Paths, profile: &crate::config::Profile) -> std::path::PathBuf {
    env_cert_path()
        .or_else(|| profile.cert_path.clone())
        .unwrap_or_else(|| paths.cert_file())
}

/// Build a connection for `profile`, choosing the credential by precedence.
pub fn connect(
    paths: &Paths,
    profile: &ResolvedProfile,
    store: &dyn SecretStore,
    opts: &ConnectOptions,
) -> Result<Connection, ConnectError> {
    // Every way in below carries a credential: none over plain HTTP to another machine.
    crate::secure::require_secure(&profile.service.api_base(), "the platform")?;
    let extra_roots = roots(profile)?;
    let base = || HttpOptions {
        timeout: opts.timeout,
        extra_roots_pem: extra_roots.clone(),
        identity_pem: None,
        no_redirects: false,
        ..Default::default()
    };
    let with_token =
        |token: SecretString, used: CredentialUsed| -> Result<Connection, ConnectError> {
            let http = build_client(base()).map_err(|e| ConnectError::Setup(e.to_string()))?;
            Ok(Connection {
                client: SkahaClient::new(http, profile.service.clone(), Auth::Bearer(token)),
                credential: used,
            })
        };
    if let Some(t) = &opts.env_token {
        return with_token(t.clone(), CredentialUsed::EnvToken);
    }
    if let Some(t) = store.get(&TokenSlot::Access.key(&profile.name))? {
        return with_token(t, CredentialUsed::OidcToken);
    }
    if let Some(t) = store.get(&TokenSlot::Token.key(&profile.name))? {
        return with_token(t, CredentialUsed::SavedToken);
    }
    let path = cert_path(paths, profile);
    match CertBundle::load(&path) {
        Ok(bundle) => {
            let info = bundle.info().clone();
            if info.not_after <= Utc::now() {
                return Err(ConnectError::CertificateExpired {
                    path: path.display().to_string(),
                    when: info.not_after.format("%Y-%m-%d %H:%M UTC").to_string(),
                });
            }
            let identity = Secret::new(bundle.identity_pem().to_vec());
            let http = build_client(HttpOptions {
                identity_pem: Some(identity),
                ..base()
            })
            .map_err(|e| ConnectError::Setup(e.to_string()))?;
            Ok(Connection {
                client: SkahaClient::new(http, profile.service.clone(), Auth::None),
                credential: CredentialUsed::Certificate {
                    path: path.display().to_string(),
                    subject: info.subject.clone(),
                    not_after: info.not_after,
                },
            })
        }
        Err(_) if !path.exists() => Err(ConnectError::SignInNeeded {
            profile: profile.name.clone(),
        }),
        Err(e) => Err(ConnectError::Cert(e)),
    }
}

/// `SKYPORT_TOKEN` read once and removed from this process's environment, so that no
/// child (the browser, xdg-open, WebKit's own processes, notification helpers) inherits
/// it. For the desktop app, which starts children it does not spawn itself; call it first
/// thing in `main`, before any thread starts.
pub fn take_env_token() -> Option<SecretString> {
    let token = env_token();
    std::env::remove_var(TOKEN_ENV);
    token
}

/// `SKYPORT_TOKEN` from the environment, trimmed; empty counts as unset.
pub fn env_token() -> Option<SecretString> {
    std::env::var(TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(SecretString::new)
}
