//! A per-session loopback relay that adds the platform credential for embedded session
//! windows.
//!
//! On CANFAR the session id in a connect URL is the only protection, but other
//! deployments answer session pages with 401 and `WWW-Authenticate` challenges. A
//! webview cannot add an `Authorization` header (or a client certificate) itself, so the
//! shell [`probe`]s the URL first and, when it needs auth, [`start`]s a relay:
//!
//! * it listens on `127.0.0.1` on a random port, for one session window only: the
//!   webview enters through [`RelayHandle::entry_url`], which sets a cookie carrying a
//!   per-window secret; anything without it gets 403 (see `entry.rs`);
//! * it forwards only to the session's origin (scheme, host and port fixed at start;
//!   request targets and `Host` cannot change it), adding the credential there and
//!   nowhere else; `Location`s to that origin come back through the relay, anything else
//!   is left pointing elsewhere so the shell opens it outside (without the credential);
//! * responses stream back, websockets are spliced through both ways, and the listener
//!   and its connections stop when the [`RelayHandle`] is dropped.

mod entry;
mod probe;
mod rewrite;
mod scope;
mod server;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use crate::auth::challenge::{
    choose_challenge, Challenge, ChallengeError, CredentialKind, HeldCredentials,
};
use crate::error::{Coded, ErrorCode};
use crate::http::{HttpSetupError, USER_AGENT};
use crate::secret::{Secret, SecretString};

pub use probe::{probe, probe_client, Probe};
pub use scope::PathScope;

/// How the relay reaches the session's origin.
#[derive(Debug, Default, Clone)]
pub struct RelayOptions {
    /// Extra trusted CA certificates, PEM (e.g. the local demo platform's CA).
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// How long to wait for the session's response headers (default 30 s). Bodies and
    /// websockets may then stream for as long as they like.
    pub timeout: Option<Duration>,
}

/// The credential the relay adds to requests for the session's origin.
#[derive(Debug, Clone)]
pub enum RelayCredential {
    /// `Authorization: Bearer <token>` (answers `Bearer` and `ivoa_bearer`).
    Bearer(SecretString),
    /// A cookie such as `CADC_SSO` (answers `ivoa_cookie`).
    Cookie { name: String, value: SecretString },
    /// `Authorization: Basic` (answers `Basic`).
    Basic {
        username: String,
        password: SecretString,
    },
    /// PEM identity (certificate, key, chain) presented on the upstream TLS connection
    /// (answers `ivoa_x509`); needs an `https` session origin.
    ClientCert(Secret<Vec<u8>>),
}

impl RelayCredential {
    /// What kind of credential this is (for status lines; never the secret).
    pub fn kind(&self) -> CredentialKind {
        match self {
            Self::Bearer(_) => CredentialKind::Token,
            Self::Cookie { .. } => CredentialKind::Cookie,
            Self::Basic { .. } => CredentialKind::Password,
            Self::ClientCert(_) => CredentialKind::Certificate,
        }
    }
}

/// The credentials the app holds for the session's platform right now.
#[derive(Debug, Clone, Default)]
pub struct Available {
    /// A bearer token (OIDC access token, CADC token).
    pub token: Option<SecretString>,
    /// A cookie: name and value.
    pub cookie: Option<(String, SecretString)>,
    /// Username and password for HTTP Basic.
    pub password: Option<(String, SecretString)>,
    /// A PEM client certificate with its key.
    pub certificate_pem: Option<Secret<Vec<u8>>>,
}

/// Picks the credential to relay for these challenges, in [`choose_challenge`]'s order
/// (certificate, token, cookie, password). `None`: nothing held answers them.
pub fn credential_for(challenges: &[Challenge], available: &Available) -> Option<RelayCredential> {
    let held = HeldCredentials {
        certificate: available.certificate_pem.is_some(),
        token: available.token.is_some(),
        cookie: available.cookie.is_some(),
        password: available.password.is_some(),
    };
    let chosen = choose_challenge(challenges, &held)?;
    match chosen.kind {
        CredentialKind::Certificate => available
            .certificate_pem
            .clone()
            .map(RelayCredential::ClientCert),
        CredentialKind::Token => available.token.clone().map(RelayCredential::Bearer),
        CredentialKind::Cookie => available
            .cookie
            .clone()
            .map(|(name, value)| RelayCredential::Cookie { name, value }),
        CredentialKind::Password => available
            .password
            .clone()
            .map(|(username, password)| RelayCredential::Basic { username, password }),
    }
}

/// Why a probe or a relay failed. Messages name the session's origin, never its path
/// (notebook URLs carry the session id as a token) and never a credential.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("could not reach {origin} ({detail}); check the network connection and that the session is still running")]
    Unreachable { origin: String, detail: String },
    #[error(
        "{origin} did not answer within {secs} s; the platform may be busy, try again in a moment"
    )]
    Timeout { origin: String, secs: u64 },
    #[error("the session page at {origin} was not found (404); the session may have ended or not be running yet")]
    NotFound { origin: String },
    #[error("{origin} refused to open the session page ({status}): {advice}")]
    Refused {
        origin: String,
        status: u16,
        advice: String,
    },
    #[error("{origin} answered {status} for the session page; the platform may be having trouble, try again later")]
    Upstream { origin: String, status: u16 },
    #[error("{origin} keeps redirecting the session page to itself; try again later or report it to the platform's operators")]
    RedirectLoop { origin: String },
    #[error(transparent)]
    BadChallenge(#[from] ChallengeError),
    #[error("the session URL {0} cannot be relayed: only http and https URLs with a host can")]
    BadTarget(String),
    #[error("the session page at {0} is at the root of its site, so Skyport cannot tell which pages belong to the session and will not send credentials there; open the session in your browser instead")]
    NoSessionPath(String),
    #[error("Skyport sends credentials only over HTTPS, but the session is at {origin}; ask the platform's operators for an https address")]
    Insecure { origin: String },
    #[error("a client certificate can only be presented over HTTPS, but the session is at {origin}; use a token instead")]
    CertNeedsHttps { origin: String },
    #[error("the {0} cannot be sent in an HTTP header (it contains characters that are not allowed); sign in again to get a new one")]
    BadCredential(&'static str),
    #[error(transparent)]
    Setup(#[from] HttpSetupError),
    #[error("could not open a loopback port for the session window ({0})")]
    Bind(#[source] std::io::Error),
    #[error("the system's random number generator failed ({0}); this is a bug or a broken system, please report it with the log file")]
    Random(String),
}

impl Coded for RelayError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Unreachable { .. } => ErrorCode::PlatformUnreachable,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Refused { .. } => ErrorCode::PermissionDenied,
            Self::Upstream { .. } | Self::RedirectLoop { .. } | Self::BadChallenge(_) => {
                ErrorCode::PlatformError
            }
            Self::BadTarget(_) | Self::NoSessionPath(_) => ErrorCode::Validation,
            Self::CertNeedsHttps { .. } | Self::Insecure { .. } => ErrorCode::Config,
            Self::BadCredential(_) => ErrorCode::SignInNeeded,
            Self::Setup(e) => e.code(),
            Self::Bind(_) => ErrorCode::Io,
            Self::Random(_) => ErrorCode::Internal,
        }
    }
}

impl RelayError {
    /// Classifies a client error; the detail is the innermost cause (e.g. "Connection
    /// refused"), which names no URL.
    pub(crate) fn from_reqwest(origin: &str, e: reqwest::Error, wait: Option<Duration>) -> Self {
        // A connect timeout is "unreachable"; only a slow answer is a timeout.
        if e.is_timeout() && !e.is_connect() {
            return Self::Timeout {
                origin: origin.to_string(),
                secs: wait.unwrap_or(probe::DEFAULT_TIMEOUT).as_secs(),
            };
        }
        let e = e.without_url();
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        Self::Unreachable {
            origin: origin.to_string(),
            detail,
        }
    }
}

/// The upstream client: no redirects (the webview follows them, through the relay or
/// not), no decompression (bytes pass through with their `Content-Encoding`), no cookie
/// store (the webview keeps cookies), the same trust settings as the app's own client.
/// Websocket upgrades need HTTP/1.1, hence `http1_only`.
pub(crate) fn upstream_client(
    opts: &RelayOptions,
    identity: Option<&Secret<Vec<u8>>>,
    http1_only: bool,
) -> Result<reqwest::Client, RelayError> {
    let mut b = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_zstd()
        .use_rustls_tls();
    for pem in &opts.extra_roots_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| HttpSetupError::BadRoot(e.to_string()))?;
        if certs.is_empty() {
            return Err(HttpSetupError::BadRoot("no certificate in it".into()).into());
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if let Some(pem) = identity {
        let id = reqwest::Identity::from_pem(pem.expose())
            .map_err(|e| HttpSetupError::BadIdentity(e.to_string()))?;
        b = b.identity(id);
    }
    if http1_only {
        b = b.http1_only();
    }
    b.build()
        .map_err(|e| HttpSetupError::Build(e.to_string()).into())
}

/// A running relay. Dropping it closes the listener and every connection through it.
pub struct RelayHandle {
    addr: std::net::SocketAddr,
    shared: Arc<server::Shared>,
    accept: tokio::task::JoinHandle<()>,
    // Dropping the sender tells open connections and websockets to stop.
    _stop: watch::Sender<()>,
}

impl std::fmt::Debug for RelayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayHandle")
            .field("addr", &self.addr)
            .field("target", &self.shared.target_origin)
            .finish_non_exhaustive()
    }
}

impl RelayHandle {
    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The loopback address and port (each relay has an address of its own where the
    /// system allows, see [`start`]).
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The relay's origin, `http://127.a.b.c:PORT/`: navigations elsewhere leave the
    /// relay and belong in the system browser.
    pub fn origin(&self) -> Url {
        Url::parse(&format!("{}/", self.shared.relay_origin))
            .unwrap_or_else(|_| self.shared.target.clone())
    }

    /// The session origin the relay forwards to.
    pub fn target_origin(&self) -> &Url {
        &self.shared.target
    }

    /// The URL to open in the webview: `http://127.a.b.c:PORT/__skyport/<secret>?next=...`.
    /// `path_and_query` is the session URL's path and query (anything that is not a path
    /// becomes `/`). Contains the window's secret: hand it to the webview, never log it.
    pub fn entry_url(&self, path_and_query: &str) -> Url {
        let s = format!(
            "{}{}",
            self.shared.relay_origin,
            self.shared.gate.entry_path(path_and_query)
        );
        Url::parse(&s).unwrap_or_else(|_| self.origin())
    }

    /// [`RelayHandle::entry_url`] for a full session URL; `None` when it is not on the
    /// relay's target origin.
    pub fn entry_url_for(&self, session_url: &Url) -> Option<Url> {
        if session_url.origin() != self.shared.target.origin() {
            return None;
        }
        let mut pq = session_url.path().to_string();
        if let Some(q) = session_url.query() {
            pq.push('?');
            pq.push_str(q);
        }
        Some(self.entry_url(&pq))
    }
}

impl Drop for RelayHandle {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Starts a relay for one session window (see the module docs). The credential goes to
/// `session_url`'s origin, and there only to the paths in `scope` (everything else gets
/// 403). Must run inside a Tokio runtime.
pub async fn start(
    session_url: Url,
    scope: PathScope,
    credential: RelayCredential,
    opts: RelayOptions,
) -> Result<RelayHandle, RelayError> {
    let scheme = session_url.scheme();
    if !matches!(scheme, "http" | "https") || session_url.host_str().is_none() {
        return Err(RelayError::BadTarget(rewrite::origin_of(&session_url)));
    }
    let origin = rewrite::origin_of(&session_url);
    if !crate::secure::may_carry_credentials(&session_url) {
        return Err(RelayError::Insecure { origin });
    }
    let target =
        Url::parse(&format!("{origin}/")).map_err(|_| RelayError::BadTarget(origin.clone()))?;
    let identity = match &credential {
        RelayCredential::ClientCert(_) if scheme != "https" => {
            return Err(RelayError::CertNeedsHttps { origin });
        }
        RelayCredential::ClientCert(pem) => Some(pem),
        _ => None,
    };
    let client = upstream_client(&opts, identity, false)?;
    let ws_client = upstream_client(&opts, identity, true)?;
    let auth = server::CredentialHeaders::new(&credential)?;
    let gate = entry::Gate::generate()?;
    let listener = bind_own_loopback().await?;
    let addr = listener.local_addr().map_err(RelayError::Bind)?;
    let (stop, stopped) = watch::channel(());
    let shared = Arc::new(server::Shared {
        gate,
        target,
        target_origin: origin,
        scope,
        relay_origin: format!("http://{addr}"),
        host: addr.to_string(),
        auth,
        client,
        ws_client,
        timeout: opts.timeout.unwrap_or(probe::DEFAULT_TIMEOUT),
    });
    let accept = tokio::spawn(server::serve(listener, shared.clone(), stopped));
    tracing::debug!(port = addr.port(), target = %shared.target_origin, "session relay started");
    Ok(RelayHandle {
        addr,
        shared,
        accept,
        _stop: stop,
    })
}

/// A listener on a loopback address of the relay's own (127.a.b.c, random): browsers keep
/// cookies per host and ignore ports, so relays on one address would share a cookie jar
/// (a script cookie set through one window's relay would go to another platform through
/// the next). Where only 127.0.0.1 exists (macOS), the relay falls back to it and the
/// per-relay cookie namespace still keeps HttpOnly cookies apart.
async fn bind_own_loopback() -> Result<TcpListener, RelayError> {
    for _ in 0..4 {
        let mut r = [0u8; 3];
        getrandom::fill(&mut r).map_err(|e| RelayError::Random(e.to_string()))?;
        // 127.0.0.0/8 without .0 and .255 host parts, and never 127.0.0.1 itself.
        let ip = Ipv4Addr::new(127, r[0], r[1], r[2].clamp(2, 254));
        if let Ok(l) = TcpListener::bind((ip, 0)).await {
            return Ok(l);
        }
    }
    tracing::debug!("no loopback address of its own for the relay; using 127.0.0.1");
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(RelayError::Bind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::challenge::parse_challenges;

    const CADC: &str = "Bearer, ivoa_bearer standard_id=\"ivo://ivoa.net/sso#tls-with-password\", \
        access_url=\"https://h/ac/login\", ivoa_x509";

    fn secret(s: &str) -> SecretString {
        SecretString::new(s.into())
    }

    #[test]
    fn credential_for_follows_the_shared_preference() {
        let c = parse_challenges([CADC]).expect("parse");
        let mut avail = Available {
            token: Some(secret("tok")),
            cookie: Some(("CADC_SSO".into(), secret("c"))),
            ..Default::default()
        };
        match credential_for(&c, &avail) {
            Some(RelayCredential::Bearer(t)) => assert_eq!(t.expose(), "tok"),
            other => panic!("{other:?}"),
        }
        avail.certificate_pem = Some(Secret::new(b"pem".to_vec()));
        assert!(matches!(
            credential_for(&c, &avail),
            Some(RelayCredential::ClientCert(_))
        ));
        // No ivoa_cookie or Basic challenge: a cookie or password alone answers nothing.
        let only_cookie = Available {
            cookie: Some(("CADC_SSO".into(), secret("c"))),
            password: Some(("alice".into(), secret("pw"))),
            ..Default::default()
        };
        assert!(credential_for(&c, &only_cookie).is_none());
        let c = parse_challenges([
            "Basic realm=\"r\", ivoa_cookie standard_id=\"x\", access_url=\"https://h/login\"",
        ])
        .expect("parse");
        assert!(matches!(
            credential_for(&c, &only_cookie),
            Some(RelayCredential::Cookie { ref name, .. }) if name == "CADC_SSO"
        ));
        let pw = Available {
            password: only_cookie.password.clone(),
            ..Default::default()
        };
        assert!(matches!(
            credential_for(&c, &pw),
            Some(RelayCredential::Basic { ref username, .. }) if username == "alice"
        ));
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let creds = [
            RelayCredential::Bearer(secret("tok-SECRET")),
            RelayCredential::Cookie {
                name: "CADC_SSO".into(),
                value: secret("tok-SECRET"),
            },
            RelayCredential::Basic {
                username: "alice".into(),
                password: secret("tok-SECRET"),
            },
            RelayCredential::ClientCert(Secret::new(b"tok-SECRET".to_vec())),
        ];
        for c in creds {
            assert!(!format!("{c:?}").contains("SECRET"));
        }
    }

    #[tokio::test]
    async fn start_refuses_what_it_cannot_do_safely() {
        let cert = RelayCredential::ClientCert(Secret::new(b"pem".to_vec()));
        let http = Url::parse("http://127.0.0.1:1/session/notebook/abc/").expect("url");
        let scope = PathScope::for_session(&http, "abc").expect("scope");
        let go = |url: &Url, c: RelayCredential| {
            start(url.clone(), scope.clone(), c, RelayOptions::default())
        };
        assert!(matches!(
            go(&http, cert).await,
            Err(RelayError::CertNeedsHttps { .. })
        ));
        let bad = RelayCredential::Bearer(secret("a\nb"));
        assert!(matches!(
            go(&http, bad).await,
            Err(RelayError::BadCredential(_))
        ));
        let bad = RelayCredential::Cookie {
            name: "a b".into(),
            value: secret("x"),
        };
        assert!(matches!(
            go(&http, bad).await,
            Err(RelayError::BadCredential(_))
        ));
        let file = Url::parse("file:///etc/passwd").expect("url");
        assert!(matches!(
            go(&file, RelayCredential::Bearer(secret("t"))).await,
            Err(RelayError::BadTarget(_))
        ));
        // Plain HTTP to another machine never gets a credential.
        let remote = Url::parse("http://ws.example.org/session/notebook/abc/").expect("url");
        match go(&remote, RelayCredential::Bearer(secret("t"))).await {
            Err(e @ RelayError::Insecure { .. }) => {
                assert!(e.to_string().contains("only over HTTPS"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }

    // Linux (and Windows) route all of 127.0.0.0/8 to loopback; macOS has only 127.0.0.1.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn each_relay_listens_on_a_loopback_address_of_its_own() {
        let url = Url::parse("http://127.0.0.1:1/session/notebook/abc/").expect("url");
        let scope = PathScope::for_session(&url, "abc").expect("scope");
        let mut addrs = Vec::new();
        let mut relays = Vec::new();
        for _ in 0..3 {
            let r = start(
                url.clone(),
                scope.clone(),
                RelayCredential::Bearer(secret("t")),
                RelayOptions::default(),
            )
            .await
            .expect("relay");
            assert!(r.addr().ip().is_loopback());
            addrs.push(r.addr().ip());
            relays.push(r);
        }
        // Browsers keep cookies per host, so distinct hosts are distinct cookie jars.
        addrs.sort();
        addrs.dedup();
        assert_eq!(addrs.len(), 3, "{addrs:?}");
        assert!(!addrs.contains(&std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
}
