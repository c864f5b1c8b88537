//! Renewing (or first obtaining) a profile's certificate with the best credential at
//! hand. One function, [`renew_certificate`], shared by the app's monitor and tray and
//! by `skyport cert renew`, so both pick the same credential and say the same things.
//!
//! The credential service refuses to renew a certificate with the certificate itself
//! (auth.md §1.2), so the order is, unless the caller passes one explicitly:
//!
//! 1. the password remembered in the keyring (`<profile>/password`) with the profile's
//!    username;
//! 2. a netrc `machine` entry for the credential service's host (cadcutils' realm rule);
//! 3. a token: `SKYPORT_TOKEN` when the caller passes it, the OIDC access token
//!    (refreshed first when it is about to run out), or the saved token.
//!
//! Exactly one credential is tried. When it is refused the error names it and says how
//! to fix it; in particular a remembered password that stopped working (changed) is
//! reported rather than hidden behind a fallback, because unattended renewal would keep
//! failing with it. The certificate is written by [`obtain`], which validates the
//! answer first and replaces the file atomically (keeping `.bak`), so the current
//! certificate survives every failure.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::obtain::{
    default_cred_url, obtain, parse_cred_url, CredAuth, ObtainError, DEFAULT_DAYS_VALID,
};
use super::{CertBundle, CertErrorKind, CertInfo};
use crate::auth::oidc::{self, OidcError};
use crate::config::ResolvedProfile;
use crate::connect::{cert_path, TokenSlot};
use crate::error::{Coded, ErrorCode, ErrorPayload};
use crate::http::{build_client, HttpOptions, USER_AGENT};
use crate::keyring::{EntryKey, SecretStore, SecretStoreExt};
use crate::netrc::Netrc;
use crate::paths::Paths;
use crate::secret::SecretString;

/// Keyring entries of a remembered password and a username (see [`crate::keyring::entries`]).
pub use crate::keyring::entries::{PASSWORD as PASSWORD_ENTRY, USERNAME as USERNAME_ENTRY};
/// Refresh the OIDC access token first when it runs out within this many seconds.
pub const OIDC_LEEWAY_SECS: i64 = 120;

/// How to renew.
#[derive(Debug, Clone)]
pub struct RenewOptions {
    /// Lifetime to ask for (the service may cap it). More is asked when the current
    /// certificate outlasts it (see [`days_to_ask`]): a renewal never shortens it.
    pub days: f64,
    /// A credential the user just gave (a password typed into a dialog): used as is.
    pub explicit: Option<CredAuth>,
    /// Whole-request timeout (default 30 s).
    pub timeout: Option<Duration>,
    /// The netrc file to read; `None` reads `$NETRC` or `~/.netrc`.
    pub netrc_path: Option<PathBuf>,
    /// `SKYPORT_TOKEN`, already read by the caller; tried before the stored tokens.
    pub env_token: Option<SecretString>,
}

impl Default for RenewOptions {
    fn default() -> Self {
        Self {
            days: DEFAULT_DAYS_VALID,
            explicit: None,
            timeout: None,
            netrc_path: None,
            env_token: None,
        }
    }
}

/// Where the credential came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// Given by the caller ([`RenewOptions::explicit`]).
    Explicit,
    /// The password remembered in the keyring.
    RememberedPassword,
    /// A netrc entry for the credential service's host.
    Netrc,
    /// `SKYPORT_TOKEN`.
    EnvToken,
    /// The OIDC access token of the sign-in.
    SignIn,
    /// A token saved in the keyring (pasted, or from a CADC password sign-in).
    SavedToken,
}

/// A renewed certificate.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Renewed {
    /// The new certificate, as now on disk.
    pub info: CertInfo,
    /// What authenticated the request, in words ("the password remembered for alice").
    pub used: String,
    pub source: CredentialSource,
    /// The lifetime asked for, after the service's cap.
    pub days_valid: f64,
    /// Where the certificate was written.
    pub path: String,
    /// Where the previous certificate is kept, if there was one.
    pub backup: Option<String>,
    /// Expiry of the certificate that was replaced, if it parsed.
    #[specta(type = Option<String>)]
    pub replaced_not_after: Option<DateTime<Utc>>,
}

/// Why a renewal failed. Every message says what to do; none contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum RenewError {
    /// No credential is available at all.
    #[error("there is nothing to renew the certificate of {profile} with: remember your password (sign in with your password and keep it), add a ~/.netrc entry for {host}, or sign in{}", notes_text(.notes))]
    NoCredential {
        profile: String,
        host: String,
        /// Credentials that exist but could not be used (keyring locked, netrc too open, ...).
        notes: Vec<String>,
    },
    /// The credential service refused the credential (401 or 403).
    #[error("the credential service at {url} refused {used} (HTTP {status}{}). {advice} Your current certificate is unchanged.", detail_text(.detail))]
    Refused {
        used: String,
        source_kind: CredentialSource,
        url: String,
        status: u16,
        detail: Option<String>,
        advice: String,
    },
    /// The request or the answer failed (unreachable, 5xx, garbage, write failure, ...).
    #[error("renewing the certificate with {used} failed: {source}")]
    Service {
        used: String,
        #[source]
        source: Box<ObtainError>,
    },
    /// Refreshing the sign-in failed and nothing else was available.
    #[error("renewing the certificate needs your sign-in, which could not be refreshed: {0}")]
    SignIn(#[source] OidcError),
    /// The profile's settings are unusable (credential URL, CA file).
    #[error("{0}")]
    Config(String),
}

fn notes_text(notes: &[String]) -> String {
    if notes.is_empty() {
        ".".into()
    } else {
        format!(". ({})", notes.join("; "))
    }
}

fn detail_text(detail: &Option<String>) -> String {
    match detail {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

impl Coded for RenewError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NoCredential { .. } => ErrorCode::SignInNeeded,
            Self::Refused { .. } => ErrorCode::PermissionDenied,
            Self::Service { source, .. } => match source.as_ref() {
                // The local file could not be read or written: an I/O problem here, not
                // a bad certificate from the service.
                ObtainError::Save(e)
                    if matches!(
                        e.kind(),
                        CertErrorKind::Unreadable | CertErrorKind::WriteFailed
                    ) =>
                {
                    ErrorCode::Io
                }
                other => other.code(),
            },
            Self::SignIn(e) => e.code(),
            Self::Config(_) => ErrorCode::Config,
        }
    }
}

impl From<RenewError> for ErrorPayload {
    fn from(e: RenewError) -> Self {
        ErrorPayload::from_coded(&e)
    }
}

/// A chosen credential and how to talk about it.
struct Chosen {
    auth: CredAuth,
    source: CredentialSource,
    used: String,
    /// Where a netrc entry came from, for the advice when it is refused.
    netrc_file: Option<String>,
}

/// The credential service URL of a profile: its `cred_url`, else the default for its
/// Skaha service.
pub fn cred_url_for(profile: &ResolvedProfile) -> Result<Url, RenewError> {
    match profile.profile.cred_url.as_deref() {
        Some(u) => parse_cred_url(u).map_err(|e| {
            RenewError::Config(format!(
                "the credential URL of profile {}: {e}",
                profile.name
            ))
        }),
        None => Ok(default_cred_url(&profile.service)),
    }
}

/// Extra trusted roots (`ca_file`), as `connect` uses them, so HTTPS test platforms work.
fn extra_roots(profile: &ResolvedProfile) -> Result<Vec<Vec<u8>>, RenewError> {
    match &profile.profile.ca_file {
        Some(p) => std::fs::read(p).map(|b| vec![b]).map_err(|e| {
            RenewError::Config(format!(
                "cannot read the CA file {} of profile {}: {e}",
                p.display(),
                profile.name
            ))
        }),
        None => Ok(vec![]),
    }
}

/// The client for refreshing the sign-in: like `oidc::http_client` (no redirects on a
/// token endpoint) but trusting the profile's CA file too.
fn oidc_client(
    timeout: Option<Duration>,
    roots: &[Vec<u8>],
) -> Result<reqwest::Client, RenewError> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout.unwrap_or(Duration::from_secs(30)))
        .user_agent(USER_AGENT)
        .use_rustls_tls();
    for pem in roots {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| RenewError::Config(format!("the CA file is not usable PEM ({e})")))?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build()
        .map_err(|e| RenewError::Config(format!("could not set up HTTPS ({e})")))
}

fn username_of(
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
) -> Result<Option<String>, String> {
    if let Some(u) = profile
        .profile
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        return Ok(Some(u.to_string()));
    }
    match store.get(&EntryKey::new(profile.name.as_str(), USERNAME_ENTRY)) {
        Ok(u) => Ok(u
            .map(|u| u.expose().trim().to_string())
            .filter(|u| !u.is_empty())),
        Err(e) => Err(e.to_string()),
    }
}

/// (a) The remembered password with the profile's username.
fn remembered_password(
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    notes: &mut Vec<String>,
) -> Option<Chosen> {
    let password = match store.get(&EntryKey::new(profile.name.as_str(), PASSWORD_ENTRY)) {
        Ok(Some(p)) if !p.expose().is_empty() => p,
        Ok(_) => return None,
        Err(e) => {
            notes.push(format!("the remembered password could not be read: {e}"));
            return None;
        }
    };
    match username_of(store, profile) {
        Ok(Some(username)) => Some(Chosen {
            used: format!("the password remembered for {username}"),
            auth: CredAuth::Basic { username, password },
            source: CredentialSource::RememberedPassword,
            netrc_file: None,
        }),
        Ok(None) => {
            notes.push(format!(
                "a password is remembered for {} but no username is set",
                profile.name
            ));
            None
        }
        Err(e) => {
            notes.push(format!("the username could not be read: {e}"));
            None
        }
    }
}

/// (b) A netrc entry for the credential service's host.
fn netrc_entry(opts: &RenewOptions, cred_url: &Url, notes: &mut Vec<String>) -> Option<Chosen> {
    let path = opts.netrc_path.clone().or_else(Netrc::default_path)?;
    let shown = path.display().to_string();
    match Netrc::load(&path) {
        Ok(Some(n)) => {
            let auth = CredAuth::from_netrc(&n, cred_url)?;
            let login = match &auth {
                CredAuth::Basic { username, .. } => username.clone(),
                _ => String::new(),
            };
            Some(Chosen {
                used: format!(
                    "the netrc entry for {} (login {login}) in {shown}",
                    cred_url.host_str().unwrap_or_default()
                ),
                auth,
                source: CredentialSource::Netrc,
                netrc_file: Some(shown),
            })
        }
        Ok(None) => None,
        Err(e) => {
            notes.push(format!("{shown} was skipped: {e}"));
            None
        }
    }
}

/// (c) The OIDC access token, refreshed first when it is about to run out.
async fn sign_in_token(
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    opts: &RenewOptions,
    roots: &[Vec<u8>],
    notes: &mut Vec<String>,
    refresh_error: &mut Option<OidcError>,
) -> Result<Option<Chosen>, RenewError> {
    let now = Utc::now();
    let mut expires_at = None;
    if oidc::load_record(paths, &profile.name).is_some() {
        let http = oidc_client(opts.timeout, roots)?;
        match oidc::ensure_fresh(
            &http,
            paths,
            store,
            &profile.name,
            chrono::Duration::seconds(OIDC_LEEWAY_SECS),
            now,
        )
        .await
        {
            Ok(record) => expires_at = record.and_then(|r| r.access_expires_at),
            // The provider refused: `refresh` has already removed the stored sign-in.
            Err(e @ (OidcError::RefreshRefused { .. } | OidcError::NotSignedIn)) => {
                notes.push(format!("your sign-in has ended ({e})"));
                return Ok(None);
            }
            Err(e) => {
                // Unreachable provider and the like: the current token may still work.
                tracing::info!(error = %e, "could not refresh the sign-in before renewing");
                expires_at =
                    oidc::load_record(paths, &profile.name).and_then(|r| r.access_expires_at);
                *refresh_error = Some(e);
            }
        }
    }
    match store.get(&TokenSlot::Access.key(&profile.name)) {
        Ok(Some(token)) => {
            if expires_at.is_some_and(|exp| exp <= Utc::now()) {
                notes.push("the sign-in's access token has expired".into());
                return Ok(None);
            }
            Ok(Some(Chosen {
                auth: CredAuth::Bearer(token),
                source: CredentialSource::SignIn,
                used: "your sign-in".into(),
                netrc_file: None,
            }))
        }
        Ok(None) => Ok(None),
        Err(e) => {
            notes.push(format!("the sign-in token could not be read: {e}"));
            Ok(None)
        }
    }
}

fn saved_token(
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    notes: &mut Vec<String>,
) -> Option<Chosen> {
    match store.get(&TokenSlot::Token.key(&profile.name)) {
        Ok(Some(token)) if !token.expose().trim().is_empty() => Some(Chosen {
            auth: CredAuth::Bearer(token),
            source: CredentialSource::SavedToken,
            used: "the saved token".into(),
            netrc_file: None,
        }),
        Ok(_) => None,
        Err(e) => {
            notes.push(format!("the saved token could not be read: {e}"));
            None
        }
    }
}

fn explicit_words(auth: &CredAuth) -> String {
    match auth {
        CredAuth::Basic { username, .. } => format!("the password you entered for {username}"),
        CredAuth::Bearer(_) => "the token you gave".into(),
        CredAuth::Cookie(_) => "the CADC_SSO cookie you gave".into(),
    }
}

/// The best credential, in the documented order.
async fn choose(
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    opts: &RenewOptions,
    cred_url: &Url,
    roots: &[Vec<u8>],
) -> Result<Chosen, RenewError> {
    if let Some(auth) = &opts.explicit {
        return Ok(Chosen {
            used: explicit_words(auth),
            auth: auth.clone(),
            source: CredentialSource::Explicit,
            netrc_file: None,
        });
    }
    let mut notes = Vec::new();
    if let Some(c) = remembered_password(store, profile, &mut notes) {
        return Ok(c);
    }
    if let Some(c) = netrc_entry(opts, cred_url, &mut notes) {
        return Ok(c);
    }
    if let Some(t) = opts
        .env_token
        .as_ref()
        .filter(|t| !t.expose().trim().is_empty())
    {
        return Ok(Chosen {
            auth: CredAuth::Bearer(t.clone()),
            source: CredentialSource::EnvToken,
            used: format!("the token from {}", crate::platform::TOKEN_ENV),
            netrc_file: None,
        });
    }
    let mut refresh_error = None;
    if let Some(c) = sign_in_token(
        paths,
        store,
        profile,
        opts,
        roots,
        &mut notes,
        &mut refresh_error,
    )
    .await?
    {
        return Ok(c);
    }
    if let Some(c) = saved_token(store, profile, &mut notes) {
        return Ok(c);
    }
    // A sign-in that exists but could not be refreshed is the real cause.
    if let Some(e) = refresh_error {
        return Err(RenewError::SignIn(e));
    }
    Err(RenewError::NoCredential {
        profile: profile.name.clone(),
        host: cred_url
            .host_str()
            .unwrap_or("the credential service")
            .to_string(),
        notes,
    })
}

fn advice(chosen: &Chosen, status: u16, host: &str) -> String {
    let basic_user = match &chosen.auth {
        CredAuth::Basic { username, .. } => username.as_str(),
        _ => "",
    };
    if status == 403 {
        return match chosen.source {
            CredentialSource::Explicit
            | CredentialSource::RememberedPassword
            | CredentialSource::Netrc => format!(
                "The account {basic_user} may not get a certificate here; ask the platform's support."
            ),
            _ => "This sign-in may not get a certificate here; sign in with your password instead, or ask the platform's support.".into(),
        };
    }
    match chosen.source {
        CredentialSource::RememberedPassword => format!(
            "The password remembered for {basic_user} no longer works (was it changed?): sign in with your password again and keep it, or forget the remembered password."
        ),
        CredentialSource::Netrc => format!(
            "Fix the login and password of `machine {host}` in {}.",
            chosen.netrc_file.as_deref().unwrap_or("~/.netrc")
        ),
        CredentialSource::Explicit => match chosen.auth {
            CredAuth::Basic { .. } => "Check the username and password and try again.".into(),
            _ => "Check the token and try again.".into(),
        },
        CredentialSource::EnvToken => format!(
            "The token in {} has expired or is not valid here; replace it or unset it.",
            crate::platform::TOKEN_ENV
        ),
        CredentialSource::SignIn | CredentialSource::SavedToken => {
            "Your sign-in has expired or is not accepted here: sign in again.".into()
        }
    }
}

/// The lifetime to ask for: `days`, or a little more than the current certificate has
/// left when that is longer. The write refuses a certificate that expires no later than
/// the current one, so asking for less would fail on every attempt (e.g. renewing a
/// 30-day certificate from the canfar client at 2/3 of its life with `days` = 10).
pub fn days_to_ask(days: f64, current_not_after: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    let Some(na) = current_not_after else {
        return days;
    };
    let left_hours = (na - now).num_minutes() as f64 / 60.0;
    // Within an hour counts too: the service rounds to hours, so a renewal right after
    // another could otherwise get the very same expiry.
    if !days.is_finite() || left_hours + 1.0 < days * 24.0 {
        return days;
    }
    // Whole hours, as the service rounds (notAfter = now + round(days × 24) h), plus one.
    (left_hours.ceil() + 1.0) / 24.0
}

/// Renew (or obtain) the profile's certificate with the best credential available.
///
/// The certificate goes to the profile's `cert_path` (default `~/.ssl/cadcproxy.pem`);
/// the previous one is kept as `.bak`, and on every failure the current file is left
/// untouched. The certificate itself is never used to authenticate.
pub async fn renew_certificate(
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    opts: &RenewOptions,
) -> Result<Renewed, RenewError> {
    let cred_url = cred_url_for(profile)?;
    let roots = extra_roots(profile)?;
    let chosen = choose(paths, store, profile, opts, &cred_url, &roots).await?;
    // No client identity here: the service refuses certificate-authenticated renewal.
    let http = build_client(HttpOptions {
        timeout: opts.timeout,
        extra_roots_pem: roots,
        identity_pem: None,
        no_redirects: false,
        ..Default::default()
    })
    .map_err(|e| RenewError::Config(e.to_string()))?;
    let path = cert_path(paths, profile);
    let current = CertBundle::load(&path).ok().map(|b| b.not_after());
    let days = days_to_ask(opts.days, current, Utc::now());
    tracing::info!(
        profile = %profile.name,
        url = %cred_url,
        with = %chosen.used,
        days,
        "renewing the certificate"
    );
    let host = cred_url.host_str().unwrap_or_default().to_string();
    match obtain(&http, &cred_url, &chosen.auth, days, &path).await {
        Ok(got) => Ok(Renewed {
            info: got.outcome.info,
            used: chosen.used,
            source: chosen.source,
            days_valid: got.days_valid,
            path: path.display().to_string(),
            backup: got.outcome.backup,
            replaced_not_after: got.outcome.replaced_not_after,
        }),
        Err(ObtainError::BadCredentials { url, .. }) => Err(RenewError::Refused {
            advice: advice(&chosen, 401, &host),
            used: chosen.used,
            source_kind: chosen.source,
            url,
            status: 401,
            detail: None,
        }),
        Err(ObtainError::Forbidden { url, message }) => Err(RenewError::Refused {
            advice: advice(&chosen, 403, &host),
            used: chosen.used,
            source_kind: chosen.source,
            url,
            status: 403,
            detail: Some(message),
        }),
        Err(source) => Err(RenewError::Service {
            used: chosen.used,
            source: Box::new(source),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Profile;
    use crate::keyring::MemoryStore;
    use crate::platform::ServiceUrl;

    fn profile(cred_url: Option<&str>, username: Option<&str>) -> ResolvedProfile {
        let url = "http://127.0.0.1:9/skaha";
        ResolvedProfile {
            name: "p".into(),
            profile: Profile {
                url: url.into(),
                cred_url: cred_url.map(str::to_string),
                username: username.map(str::to_string),
                ..Default::default()
            },
            service: ServiceUrl::parse(url).expect("url"),
            from_env: false,
        }
    }

    fn paths(dir: &tempfile::TempDir) -> Paths {
        Paths::under(dir.path().to_path_buf()).expect("paths")
    }

    fn no_netrc(dir: &tempfile::TempDir) -> RenewOptions {
        RenewOptions {
            netrc_path: Some(dir.path().join("no-netrc")),
            ..Default::default()
        }
    }

    fn set(store: &MemoryStore, name: &str, value: &str) {
        store
            .set(&EntryKey::new("p", name), &SecretString::new(value.into()))
            .expect("set");
    }

    async fn chosen(
        store: &MemoryStore,
        p: &ResolvedProfile,
        opts: &RenewOptions,
        dir: &tempfile::TempDir,
    ) -> Result<Chosen, RenewError> {
        let url = cred_url_for(p)?;
        choose(&paths(dir), store, p, opts, &url, &[]).await
    }

    #[tokio::test]
    async fn order_is_password_then_netrc_then_tokens() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = MemoryStore::default();
        let p = profile(None, Some("alice"));
        let netrc = dir.path().join("netrc");
        std::fs::write(&netrc, "machine 127.0.0.1 login nora password pw\n").expect("netrc");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
        }
        let opts = RenewOptions {
            netrc_path: Some(netrc),
            ..Default::default()
        };
        set(&store, "token", "saved");
        set(&store, "oidc-access-token", "oidc");
        set(&store, PASSWORD_ENTRY, "secret-pw");

        let c = chosen(&store, &p, &opts, &dir).await.expect("password");
        assert_eq!(c.source, CredentialSource::RememberedPassword);
        assert_eq!(c.used, "the password remembered for alice");
        assert!(!c.used.contains("secret-pw"));

        store
            .delete(&EntryKey::new("p", PASSWORD_ENTRY))
            .expect("delete");
        let c = chosen(&store, &p, &opts, &dir).await.expect("netrc");
        assert_eq!(c.source, CredentialSource::Netrc);
        assert!(c.used.contains("login nora"), "{}", c.used);

        let opts = RenewOptions {
            env_token: Some(SecretString::new("env".into())),
            ..no_netrc(&dir)
        };
        let c = chosen(&store, &p, &opts, &dir).await.expect("env");
        assert_eq!(c.source, CredentialSource::EnvToken);

        let opts = no_netrc(&dir);
        let c = chosen(&store, &p, &opts, &dir).await.expect("oidc");
        assert_eq!(c.source, CredentialSource::SignIn);
        store.delete(&TokenSlot::Access.key("p")).expect("delete");
        let c = chosen(&store, &p, &opts, &dir).await.expect("saved");
        assert_eq!(c.source, CredentialSource::SavedToken);
        assert!(matches!(c.auth, CredAuth::Bearer(ref t) if t.expose() == "saved"));

        // An explicit credential wins over everything.
        set(&store, PASSWORD_ENTRY, "secret-pw");
        let opts = RenewOptions {
            explicit: Some(CredAuth::Basic {
                username: "bob".into(),
                password: SecretString::new("typed".into()),
            }),
            ..no_netrc(&dir)
        };
        let c = chosen(&store, &p, &opts, &dir).await.expect("explicit");
        assert_eq!(c.source, CredentialSource::Explicit);
        assert_eq!(c.used, "the password you entered for bob");
    }

    #[tokio::test]
    async fn nothing_available_gives_sign_in_needed_with_advice_and_notes() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = MemoryStore::default();
        // A password without a username cannot be used; the note says why.
        let p = profile(Some("https://cred.example.org/cred/generate"), None);
        set(&store, PASSWORD_ENTRY, "pw");
        let netrc = dir.path().join("netrc");
        std::fs::write(&netrc, "machine cred.example.org login a password b\n").expect("w");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o644))
                .expect("chmod");
        }
        let opts = RenewOptions {
            netrc_path: Some(netrc),
            ..Default::default()
        };
        let e = chosen(&store, &p, &opts, &dir)
            .await
            .err()
            .expect("nothing usable");
        assert_eq!(e.code(), ErrorCode::SignInNeeded);
        let msg = e.to_string();
        assert!(msg.contains("remember your password"), "{msg}");
        assert!(msg.contains("~/.netrc entry for cred.example.org"), "{msg}");
        assert!(msg.contains("or sign in"), "{msg}");
        assert!(msg.contains("no username is set"), "{msg}");
        #[cfg(unix)]
        assert!(msg.contains("chmod 600"), "{msg}");
        assert!(
            !msg.contains(" b\n") && !msg.contains("password b"),
            "{msg}"
        );

        // A username from the keyring (platforms given by SKYPORT_URL) is enough.
        set(&store, USERNAME_ENTRY, "carol");
        let c = chosen(&store, &p, &no_netrc(&dir), &dir)
            .await
            .expect("keyring username");
        assert_eq!(c.used, "the password remembered for carol");
    }

    #[tokio::test]
    async fn bad_settings_are_config_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = MemoryStore::default();
        let p = profile(Some("ftp://x/cred"), Some("a"));
        let e = renew_certificate(&paths(&dir), &store, &p, &no_netrc(&dir))
            .await
            .expect_err("bad url");
        assert_eq!(e.code(), ErrorCode::Config);
        let mut p = profile(None, Some("a"));
        p.profile.ca_file = Some(dir.path().join("missing-ca.pem"));
        let e = renew_certificate(&paths(&dir), &store, &p, &no_netrc(&dir))
            .await
            .expect_err("missing CA file");
        assert_eq!(e.code(), ErrorCode::Config);
        assert!(e.to_string().contains("missing-ca.pem"), "{e}");
    }

    #[test]
    fn a_renewal_never_asks_for_less_than_the_current_certificate_has_left() {
        let now = Utc::now();
        assert_eq!(days_to_ask(10.0, None, now), 10.0);
        assert_eq!(
            days_to_ask(10.0, Some(now + chrono::Duration::days(3)), now),
            10.0
        );
        assert_eq!(
            days_to_ask(10.0, Some(now - chrono::Duration::days(3)), now),
            10.0
        );
        let longer = days_to_ask(10.0, Some(now + chrono::Duration::hours(250)), now);
        assert_eq!(longer, 251.0 / 24.0);
        assert_eq!(
            days_to_ask(10.0, Some(now + chrono::Duration::hours(240)), now),
            241.0 / 24.0
        );
        assert!(
            days_to_ask(f64::NAN, Some(now), now).is_nan(),
            "left to validation"
        );
    }

    #[test]
    fn refusal_messages_name_the_credential_and_the_fix() {
        let c = Chosen {
            auth: CredAuth::Basic {
                username: "alice".into(),
                password: SecretString::new("hunter2".into()),
            },
            source: CredentialSource::RememberedPassword,
            used: "the password remembered for alice".into(),
            netrc_file: None,
        };
        let e = RenewError::Refused {
            advice: advice(&c, 401, "h"),
            used: c.used.clone(),
            source_kind: c.source,
            url: "https://h/cred/generate".into(),
            status: 401,
            detail: None,
        };
        assert_eq!(e.code(), ErrorCode::PermissionDenied);
        let m = e.to_string();
        assert!(
            m.contains("refused the password remembered for alice"),
            "{m}"
        );
        assert!(m.contains("was it changed"), "{m}");
        assert!(m.contains("unchanged"), "{m}");
        assert!(!m.contains("hunter2"));
        let n = Chosen {
            source: CredentialSource::Netrc,
            netrc_file: Some("/home/a/.netrc".into()),
            ..c
        };
        assert!(advice(&n, 401, "h").contains("`machine h` in /home/a/.netrc"));
        assert!(advice(&n, 403, "h").contains("alice may not get a certificate"));
    }
}
