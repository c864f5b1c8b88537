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
    /// Follow no redirect (the caller decides, per hop, what may be sent where).
    pub no_redirects: bool,
    /// Go direct, past any proxy of the environment (plain http on this machine carries
    /// credentials that must not cross the network to a proxy).
    pub direct: bool,
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

/// Redirects the shared client follows: at most five, and only where a credential may go.
///
/// reqwest drops `Authorization` and cookies when the host or port changes, but not on a
/// scheme change, and a 307/308 re-sends the body (a login form's password) anywhere. So a
/// hop to plain HTTP off this machine is refused ([`crate::secure`]), and so is a
/// body-preserving hop to another origin.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let keeps_body = matches!(attempt.status().as_u16(), 307 | 308);
        let other_origin = attempt
            .previous()
            .last()
            .is_some_and(|prev| prev.origin() != attempt.url().origin());
        if attempt.previous().len() > 5 {
            attempt.error("the service redirected more than five times")
        } else if !crate::secure::may_carry_credentials(attempt.url()) {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(format!(
                "the service redirected to {to}, plain HTTP; Skyport sends credentials only over HTTPS"
            ))
        } else if keeps_body && other_origin {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(format!(
                "the service redirected a request with its content to another site ({to}); Skyport does not follow that"
            ))
        } else {
            attempt.follow()
        }
    })
}

/// Build the shared HTTP client.
pub fn build_client(opts: HttpOptions) -> Result<reqwest::Client, HttpSetupError> {
    let mut b = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(opts.timeout.unwrap_or(Duration::from_secs(30)))
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .https_only(false)
        .redirect(if opts.no_redirects {
            reqwest::redirect::Policy::none()
        } else {
            redirect_policy()
        })
        .use_rustls_tls();
    if opts.direct {
        b = b.no_proxy();
    }
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

/// The largest Skaha API answer read (JSON, logs, events): a list of 2,000 sessions is
/// about 1.5 MB, so this leaves room without letting a broken or hostile server fill memory.
pub const API_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// The largest certificate bundle read from a credential service (a real one is ~10 KB).
pub const CERT_BODY_LIMIT: usize = 1024 * 1024;
/// The largest answer read from a sign-in service or identity provider (tokens, discovery
/// documents, keys).
pub const TOKEN_BODY_LIMIT: usize = 1024 * 1024;
/// The largest error page read; only its first line ends up in a message.
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// A byte count shown the way people read it (`16 MiB`, `64 KiB`, `300 bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const KIB: usize = 1024;
        const MIB: usize = 1024 * 1024;
        match self.0 {
            n if n >= MIB && n % MIB == 0 => write!(f, "{} MiB", n / MIB),
            n if n >= KIB && n % KIB == 0 => write!(f, "{} KiB", n / KIB),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// Why a response body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the cap for its use; reading stopped there.
    #[error("the answer is larger than the {limit} Skyport reads for it, so it was not read")]
    TooLarge { limit: ByteSize },
    /// The connection failed while the body was arriving.
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

impl Coded for BodyError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::PlatformError,
            Self::Transport(e) if e.is_timeout() => ErrorCode::Timeout,
            Self::Transport(_) => ErrorCode::PlatformUnreachable,
        }
    }
}

/// Read a whole response body, but never more than `limit` bytes.
///
/// Every body core reads from the network goes through here. A `Content-Length` over the
/// cap is refused before anything is read; otherwise chunks are counted as they arrive
/// and reading stops at the first one that would cross the cap, so at most `limit` bytes
/// plus one chunk are ever held. Dropping the response then closes the connection.
pub async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let too_large = || BodyError::TooLarge {
        limit: ByteSize(limit),
    };
    let declared = resp.content_length();
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // The declared length is at most `limit` here, so trusting it for capacity is safe.
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = resp.chunk().await? {
        if chunk.len() > limit - body.len() {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The text of an error answer, for a message: at most [`ERROR_BODY_LIMIT`] bytes. A
/// bigger page is not read and is described instead, so the status still decides the error.
pub async fn read_error_text(resp: reqwest::Response) -> Result<String, reqwest::Error> {
    match read_capped(resp, ERROR_BODY_LIMIT).await {
        Ok(body) => Ok(text_lossy(body)),
        Err(BodyError::TooLarge { limit }) => {
            Ok(format!("an error page larger than {limit}, not read"))
        }
        Err(BodyError::Transport(e)) => Err(e),
    }
}

/// A transport error with its whole chain of causes, on one line ("error sending request:
/// client error (Connect): tcp connect error: Connection refused"): the last cause is often
/// the one that tells the user what to do.
pub fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut detail = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        detail = format!("{detail}: {s}");
        src = s.source();
    }
    detail
}

/// The innermost cause of `e` in a few words, for a message a person reads ("connection
/// refused", "the host name is not known"), where [`cause_chain`] is for the log.
pub fn short_cause(e: &dyn std::error::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    let text = last.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("failed to lookup address") || lower.contains("name or service not known") {
        return "the host name is not known".into();
    }
    // "Connection refused (os error 111)" → "connection refused".
    let text = match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => &text[..i],
        _ => text.as_str(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// The delay a 503 or 429 answer asks for (`Retry-After` in seconds; an HTTP date is not
/// honoured, as the services Skyport talks to send seconds).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// " (it asked to retry after N s)", or nothing: for messages about an unavailable service.
pub fn retry_hint(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!(" (it asked to retry after {} s)", d.as_secs()),
        None => String::new(),
    }
}

/// Bytes as text, replacing invalid UTF-8 (as `reqwest::Response::text` does) without a
/// second copy when the bytes are valid.
pub fn text_lossy(body: Vec<u8>) -> String {
    match String::from_utf8(body) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_its_words() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, " 7 ".parse().expect("value"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_hint(&retry_after(&h)),
            " (it asked to retry after 7 s)"
        );
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2026 07:28:00 GMT".parse().expect("value"),
        );
        assert_eq!(retry_after(&h), None);
        assert_eq!(retry_hint(&None), "");
    }

    #[test]
    fn the_cause_chain_reads_to_the_last_cause() {
        let inner =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let outer = std::io::Error::other(Chained("tcp connect error", inner));
        let text = cause_chain(&outer);
        assert!(text.starts_with("tcp connect error"), "{text}");
        assert!(text.ends_with(": Connection refused"), "{text}");
    }

    #[test]
    fn the_short_cause_is_the_innermost_in_few_words() {
        let chained = |inner: &str| {
            std::io::Error::other(Chained(
                "tcp connect error",
                std::io::Error::other(inner.to_string()),
            ))
        };
        assert_eq!(
            short_cause(&chained("Connection refused (os error 111)")),
            "connection refused"
        );
        assert_eq!(
            short_cause(&chained(
                "failed to lookup address information: Name or service not known"
            )),
            "the host name is not known"
        );
        assert_eq!(
            short_cause(&chained("TLS handshake eof")),
            "TLS handshake eof"
        );
    }

    #[derive(Debug)]
    struct Chained(&'static str, std::io::Error);
    impl std::fmt::Display for Chained {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Chained {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(ByteSize(API_BODY_LIMIT).to_string(), "16 MiB");
        assert_eq!(ByteSize(ERROR_BODY_LIMIT).to_string(), "64 KiB");
        assert_eq!(ByteSize(1500).to_string(), "1500 bytes");
        assert_eq!(ByteSize(0).to_string(), "0 bytes");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        assert_eq!(text_lossy(b"ok".to_vec()), "ok");
        assert_eq!(text_lossy(vec![b'a', 0xff, b'b']), "a\u{fffd}b");
    }
}
