//! Getting a certificate from a CADC credential service (`cred`), as `cadc-get-cert` does:
//! `GET <cred_url>?daysValid=N`, authenticated with HTTP Basic (username and password,
//! from the keyring or a `~/.netrc` entry for the credential service's host), a bearer
//! token or the `CADC_SSO` cookie. The service cannot renew a certificate with the
//! certificate itself, so one of those is always needed.
//!
//! The answer is validated as a bundle (certificate, matching key, chain) and written
//! with [`write_bundle_atomic`], so a failed request or a bad answer leaves the current
//! certificate intact.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use url::Url;
use zeroize::Zeroizing;

use super::error::CertError;
use super::write::{valid_at, write_bundle_atomic, WriteOutcome};
use super::CertBundle;
use crate::error::{Coded, ErrorCode};
use crate::http::{read_capped, read_error_text, BodyError, ByteSize, CERT_BODY_LIMIT};
use crate::netrc::Netrc;
use crate::platform::ServiceUrl;
use crate::secret::SecretString;

/// `cadc-get-cert`'s default lifetime.
pub const DEFAULT_DAYS_VALID: f64 = 10.0;
/// CANFAR's credential service; its Skaha service lives on another host.
pub const CANFAR_CRED_URL: &str = "https://ws-cadc.canfar.net/cred/generate";

/// How to authenticate to the credential service.
#[derive(Debug, Clone)]
pub enum CredAuth {
    /// HTTP Basic, as `cadc-get-cert -u USER` or `-n` (netrc) does.
    Basic {
        username: String,
        password: SecretString,
    },
    /// `Authorization: Bearer` (a token from `/ac/login`, OIDC or `SKYPORT_TOKEN`).
    Bearer(SecretString),
    /// The `CADC_SSO` cookie value.
    Cookie(SecretString),
}

impl CredAuth {
    /// Words for messages ("the password of alice"); never the secret.
    pub fn describe(&self) -> String {
        match self {
            Self::Basic { username, .. } => format!("the password of {username}"),
            Self::Bearer(_) => "the token".into(),
            Self::Cookie(_) => "the CADC_SSO cookie".into(),
        }
    }

    /// Basic credentials from a netrc entry for the credential service's host (the realm
    /// cadcutils uses), or its `default` entry.
    pub fn from_netrc(netrc: &Netrc, cred_url: &Url) -> Option<CredAuth> {
        let host = cred_url.host_str()?;
        netrc.credentials(host).map(|c| CredAuth::Basic {
            username: c.login,
            password: c.password,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ObtainError {
    #[error(transparent)]
    Insecure(#[from] crate::secure::InsecureUrl),
    #[error("the credential service at {url} did not accept {how} (wrong username or password, or an expired token); check them and try again")]
    BadCredentials { url: String, how: String },
    #[error("the credential service at {url} refused ({message}). Sign in with a password or token instead.")]
    Forbidden { url: String, message: String },
    #[error("the credential service at {url} rejected the request: {message}")]
    Rejected { url: String, message: String },
    #[error("there is no credential service at {url} (HTTP {status}); set the profile's credential URL (`skyport profiles add NAME URL --cred-url https://.../cred/generate`)")]
    NoService { url: String, status: u16 },
    #[error("the credential service at {url} is temporarily unavailable{}; try again shortly. Your current certificate is unchanged.", crate::http::retry_hint(.retry_after))]
    Unavailable {
        url: String,
        retry_after: Option<Duration>,
    },
    #[error("the credential service at {url} could not be reached ({detail}); check your network or VPN. Your current certificate is unchanged.")]
    Unreachable { url: String, detail: String },
    #[error("the credential service at {url} did not answer in time; try again. Your current certificate is unchanged.")]
    Timeout { url: String },
    #[error("the credential service at {url} failed with HTTP {status} ({message}); try again, and if it persists report it to the platform's support. Your current certificate is unchanged.")]
    Server {
        url: String,
        status: u16,
        message: String,
    },
    #[error("the credential service at {url} answered with something that is not a usable certificate: {source}")]
    BadAnswer {
        url: String,
        #[source]
        source: CertError,
    },
    #[error("the credential service at {url} answered with more than {limit}, which is not a certificate, so it was not read. Check the profile's credential URL. Your current certificate is unchanged.")]
    TooLarge { url: String, limit: ByteSize },
    #[error("{0}")]
    Save(#[source] CertError),
    #[error("{0}")]
    Invalid(String),
}

/// The error code of a certificate problem (for exit codes and the UI).
pub fn cert_error_code(e: &CertError) -> ErrorCode {
    match e {
        CertError::NotFound { .. } => ErrorCode::CertificateMissing,
        CertError::Expired { .. } => ErrorCode::CertificateExpired,
        CertError::Write { .. } | CertError::Watch { .. } => ErrorCode::Io,
        _ => ErrorCode::CertificateInvalid,
    }
}

impl Coded for ObtainError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::BadCredentials { .. } => ErrorCode::SignInNeeded,
            Self::Forbidden { .. } => ErrorCode::PermissionDenied,
            Self::Rejected { .. } | Self::Invalid(_) => ErrorCode::Validation,
            Self::NoService { .. } | Self::Insecure(_) => ErrorCode::Config,
            Self::Unavailable { .. } => ErrorCode::PlatformUnavailable,
            Self::Unreachable { .. } => ErrorCode::PlatformUnreachable,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Server { .. } | Self::TooLarge { .. } => ErrorCode::PlatformError,
            Self::BadAnswer { .. } => ErrorCode::CertificateInvalid,
            Self::Save(e) => cert_error_code(e),
        }
    }
}

/// The credential service to use when a profile names none: CANFAR's for
/// `*.canfar.net`, else `/cred/generate` on the Skaha service's own host.
pub fn default_cred_url(service: &ServiceUrl) -> Url {
    crate::platform::companion_url(service, CANFAR_CRED_URL, "/cred/generate")
}

/// Parse a credential-service URL given by a person or a profile.
pub fn parse_cred_url(input: &str) -> Result<Url, ObtainError> {
    crate::platform::parse_http_url(input, "the credential service URL", CANFAR_CRED_URL)
        .map_err(|e| ObtainError::Invalid(e.0))
}

/// Check a requested lifetime in days.
pub fn validate_days(days: f64) -> Result<(), ObtainError> {
    if !days.is_finite() || days <= 0.0 || days > 3650.0 {
        return Err(ObtainError::Invalid(format!(
            "the certificate lifetime must be a positive number of days (got {days})"
        )));
    }
    Ok(())
}

fn days_param(days: f64) -> String {
    if days.fract() == 0.0 {
        format!("{}", days as i64)
    } else {
        format!("{days}")
    }
}

/// The server's cap from "daysValid larger than maximum allowed: 7.0".
fn server_cap(message: &str) -> Option<f64> {
    let (_, rest) = message.split_once("maximum allowed:")?;
    let num: String = rest
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    num.trim_end_matches('.')
        .parse::<f64>()
        .ok()
        .filter(|d| d.is_finite() && *d > 0.0)
}

/// A certificate as the service sent it, and the lifetime actually asked for.
pub struct Fetched {
    pub pem: Zeroizing<Vec<u8>>,
    pub days_valid: f64,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("pem", &"<redacted>")
            .field("days_valid", &self.days_valid)
            .finish()
    }
}

async fn get_once(
    http: &reqwest::Client,
    cred_url: &Url,
    auth: &CredAuth,
    days: f64,
) -> Result<Zeroizing<Vec<u8>>, ObtainError> {
    crate::secure::require_secure(cred_url, "the credential service")?;
    let url = cred_url.to_string();
    let mut rb = http
        .get(cred_url.clone())
        .query(&[("daysValid", days_param(days))])
        .header("Accept", "application/x-pem-file, text/plain");
    rb = match auth {
        CredAuth::Basic { username, password } => rb.basic_auth(username, Some(password.expose())),
        CredAuth::Bearer(t) => rb.bearer_auth(t.expose()),
        CredAuth::Cookie(c) => rb.header("Cookie", format!("CADC_SSO=\"{}\"", c.expose())),
    };
    let resp = rb.send().await.map_err(|e| transport(&url, &e))?;
    let status = resp.status().as_u16();
    let retry_after = crate::http::retry_after(resp.headers());
    if (200..300).contains(&status) {
        return match read_capped(resp, CERT_BODY_LIMIT).await {
            Ok(body) => Ok(Zeroizing::new(body)),
            Err(BodyError::TooLarge { limit }) => Err(ObtainError::TooLarge { url, limit }),
            Err(BodyError::Transport(e)) => Err(transport(&url, &e)),
        };
    }
    let body = read_error_text(resp)
        .await
        .map_err(|e| transport(&url, &e))?;
    let message = crate::skaha::error::clean_message(&body, status);
    Err(match status {
        401 => ObtainError::BadCredentials {
            url,
            how: auth.describe(),
        },
        403 => ObtainError::Forbidden { url, message },
        400 => ObtainError::Rejected { url, message },
        404 | 405 => ObtainError::NoService { url, status },
        503 => ObtainError::Unavailable { url, retry_after },
        _ => ObtainError::Server {
            url,
            status,
            message,
        },
    })
}

/// Ask the credential service for a certificate valid `days` days. When the service
/// caps the lifetime below that ("daysValid larger than maximum allowed: 7.0"), ask
/// again for its maximum. The answer is checked to be a usable bundle.
pub async fn fetch(
    http: &reqwest::Client,
    cred_url: &Url,
    auth: &CredAuth,
    days: f64,
) -> Result<Fetched, ObtainError> {
    validate_days(days)?;
    let mut days_used = days;
    let pem = match get_once(http, cred_url, auth, days).await {
        Err(ObtainError::Rejected { message, url }) => match server_cap(&message) {
            Some(cap) if cap < days => {
                tracing::info!(
                    requested = days,
                    cap,
                    "the credential service caps the lifetime; asking for its maximum"
                );
                days_used = cap;
                get_once(http, cred_url, auth, cap).await?
            }
            _ => return Err(ObtainError::Rejected { message, url }),
        },
        other => other?,
    };
    CertBundle::parse_named(&pem, "the certificate from the credential service").map_err(
        |source| ObtainError::BadAnswer {
            url: cred_url.to_string(),
            source,
        },
    )?;
    Ok(Fetched {
        pem,
        days_valid: days_used,
    })
}

/// What [`obtain`] did.
#[derive(Debug, Clone)]
pub struct Obtained {
    pub outcome: WriteOutcome,
    /// The lifetime asked for (after the server's cap).
    pub days_valid: f64,
}

/// Fetch a certificate and save it at `path` atomically (the old one kept as
/// `<path>.bak`). On any failure the current file is unchanged.
pub async fn obtain(
    http: &reqwest::Client,
    cred_url: &Url,
    auth: &CredAuth,
    days: f64,
    path: &Path,
) -> Result<Obtained, ObtainError> {
    let fetched = fetch(http, cred_url, auth, days).await?;
    let outcome =
        write_bundle_atomic(path, &fetched.pem, valid_at(Utc::now())).map_err(ObtainError::Save)?;
    Ok(Obtained {
        outcome,
        days_valid: fetched.days_valid,
    })
}

fn transport(url: &str, e: &reqwest::Error) -> ObtainError {
    if e.is_timeout() {
        return ObtainError::Timeout {
            url: url.to_string(),
        };
    }
    let detail = crate::http::cause_chain(e);
    ObtainError::Unreachable {
        url: url.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_is_read_from_the_server_message() {
        assert_eq!(
            server_cap("daysValid larger than maximum allowed: 7.0"),
            Some(7.0)
        );
        assert_eq!(
            server_cap("daysValid larger than maximum allowed: 2.5 "),
            Some(2.5)
        );
        assert_eq!(server_cap("something else"), None);
        assert_eq!(days_param(10.0), "10");
        assert_eq!(days_param(0.5), "0.5");
        assert!(validate_days(0.0).is_err());
        assert!(validate_days(f64::NAN).is_err());
        assert!(validate_days(10.0).is_ok());
    }

    #[test]
    fn default_cred_urls() {
        let canfar = ServiceUrl::parse("https://ws-uv.canfar.net/skaha").expect("url");
        assert_eq!(default_cred_url(&canfar).as_str(), CANFAR_CRED_URL);
        let local = ServiceUrl::parse("http://127.0.0.1:9/skaha").expect("url");
        assert_eq!(
            default_cred_url(&local).as_str(),
            "http://127.0.0.1:9/cred/generate"
        );
    }

    #[test]
    fn netrc_entries_match_the_cred_host() {
        let n =
            Netrc::parse("machine ws-cadc.canfar.net login alice password pw\n").expect("netrc");
        let url = Url::parse(CANFAR_CRED_URL).expect("url");
        match CredAuth::from_netrc(&n, &url) {
            Some(CredAuth::Basic { username, password }) => {
                assert_eq!(username, "alice");
                assert_eq!(password.expose(), "pw");
            }
            other => panic!("unexpected {other:?}"),
        }
        let other = Url::parse("https://elsewhere.example/cred/generate").expect("url");
        assert!(CredAuth::from_netrc(&n, &other).is_none());
    }
}
