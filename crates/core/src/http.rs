//! One place that builds the HTTP client every platform call shares.
//!
//! The Skaha client, the sign-in code and the certificate renewal all take a
//! `reqwest::Client` built here, so TLS settings, timeouts and the user agent are the same
//! everywhere. A client certificate (X.509 proxy) is part of the client itself, because TLS
//! presents it during the handshake.

use std::time::Duration;

use crate::error::{Coded, ErrorCode};
use crate::secret::Secret;

/// How to build the shared client.
#[derive(Debug, Default)]
pub struct HttpOptions {
    /// Whole-request timeout (default 30 s, like the canfar client).
    pub timeout: Option<Duration>,
    /// Extra trusted CA certificates, PEM (e.g. the local demo platform's CA).
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// Client certificate + key (PEM bundle) to present over TLS.
    pub identity_pem: Option<Secret<Vec<u8>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("the certificate authority file is not usable PEM ({0}); remove it from the settings or replace it")]
    BadRoot(String),
    #[error("the client certificate cannot be used for TLS ({0}); get a new certificate with `skyport cert obtain`")]
    BadIdentity(String),
    #[error("could not set up HTTPS ({0}); this is a bug, please report it with the log file")]
    Build(String),
}

impl Coded for HttpSetupError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::BadRoot(_) => ErrorCode::Config,
            Self::BadIdentity(_) => ErrorCode::CertificateInvalid,
            Self::Build(_) => ErrorCode::Internal,
        }
    }
}

pub const USER_AGENT: &str = concat!("skyport/", env!("CARGO_PKG_VERSION"));

/// Build the shared HTTP client.
pub fn build_client(opts: HttpOptions) -> Result<reqwest::Client, HttpSetupError> {
    let mut b = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(opts.timeout.unwrap_or(Duration::from_secs(30)))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .https_only(false)
        // Never follow more than a few redirects; reqwest drops credentials on a host change.
        .redirect(reqwest::redirect::Policy::limited(5))
        .use_rustls_tls();
    for pem in &opts.extra_roots_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| HttpSetupError::BadRoot(e.to_string()))?;
        if certs.is_empty() {
            return Err(HttpSetupError::BadRoot("no certificate in it".into()));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if let Some(pem) = &opts.identity_pem {
        let id = reqwest::Identity::from_pem(pem.expose())
            .map_err(|e| HttpSetupError::BadIdentity(e.to_string()))?;
        b = b.identity(id);
    }
    b.build().map_err(|e| HttpSetupError::Build(e.to_string()))
}
