//! A request sent with the credential bound to its URL (`skyport curl`): chosen per hop,
//! never sent to an origin it is not bound to, none at all once a redirect has left the
//! first origin, only over https (loopback excepted). A refused login cookie is renewed
//! once by logging in again.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;

use super::{bound_to, cookies, entries, entry, save_cookies, Bound, Kind, VaultError};
use crate::auth::password::{login_answer, LoginStyle, PasswordLoginError};
use crate::error::{Coded, ErrorCode};
use crate::http::{build_client, HttpOptions};
use crate::keyring::{SecretStore, SecretStoreExt};
use crate::paths::Paths;
use crate::secret::{Secret, SecretString};

/// Redirects followed, as curl's default with `-L`.
const MAX_REDIRECTS: usize = 10;

/// What to send.
#[derive(Clone)]
pub struct Request {
    pub url: Url,
    pub method: Method,
    /// The caller's own headers (`-H`). An `Authorization` or `Cookie` among them wins over
    /// the credential, and is dropped too once a redirect leaves the first origin.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values and the body may be secrets: names and a length only.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("url", &self.url.origin().ascii_serialization())
            .field("method", &self.method)
            .field("headers", &names)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// Headers of the caller's that still go once a redirect has left the first origin: none
/// that could carry a credential (`Authorization`, `Cookie`, `X-Auth-Token`, API keys, …).
const FOLLOWING_HEADERS: [&str; 5] = [
    "accept",
    "accept-language",
    "content-type",
    "range",
    "user-agent",
];

/// How to send it.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub timeout: Option<Duration>,
    /// Extra trusted CAs (PEM), e.g. the local platform's.
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// The SSH key's passphrase, asked now (when the keyring keeps none).
    pub ssh_passphrase: Option<SecretString>,
}

/// The answer, with its body still to read (stream it).
#[derive(Debug)]
pub struct Answer {
    pub response: reqwest::Response,
    /// The credential sent on the last hop, if any.
    pub sent: Option<(String, Kind)>,
    /// Hops that went without a credential because a redirect had left the first origin.
    pub left_origin: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("{url} did not answer: {detail}. Check the address and your network.")]
    Unreachable { url: String, detail: String },
    #[error("{url} did not answer in time; try again, or give more time with --timeout")]
    Timeout { url: String },
    #[error("more than {MAX_REDIRECTS} redirects from {url}")]
    TooManyRedirects { url: String },
    #[error("logging in for {id} failed: {source}")]
    Login {
        id: String,
        source: PasswordLoginError,
    },
    #[error("{0}")]
    Credential(String),
    #[error(transparent)]
    Http(#[from] crate::http::HttpSetupError),
    #[error(transparent)]
    Oidc(#[from] crate::auth::oidc::OidcError),
    #[error(transparent)]
    Jwt(#[from] super::jwt::JwtError),
    #[error(transparent)]
    Keyring(#[from] crate::keyring::KeyringError),
}

impl Coded for FetchError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Vault(e) => e.code(),
            Self::Unreachable { .. } => ErrorCode::PlatformUnreachable,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::TooManyRedirects { .. } => ErrorCode::PlatformError,
            Self::Login { source, .. } => source.code(),
            Self::Credential(_) => ErrorCode::SignInNeeded,
            Self::Http(e) => e.code(),
            Self::Oidc(e) => e.code(),
            Self::Jwt(e) => e.code(),
            Self::Keyring(e) => e.code(),
        }
    }
}

/// What goes on one hop.
enum Presented {
    None,
    Header(HeaderValue),
    Cookies(String),
    Certificate(Secret<Vec<u8>>),
}

/// Send `req`, following redirects (as `curl -L`), with the credential bound to each hop's
/// URL until a redirect leaves the first origin.
pub async fn send(
    http_paths: &Paths,
    store: &dyn SecretStore,
    req: Request,
    opts: &Options,
) -> Result<Answer, FetchError> {
    let first = req.url.origin();
    let (mut url, mut method, mut body) = (req.url.clone(), req.method.clone(), req.body.clone());
    let mut left_origin = false;
    for _ in 0..=MAX_REDIRECTS {
        if url.origin() != first {
            left_origin = true;
        }
        let bound = if left_origin {
            vec![]
        } else {
            bound_to(http_paths, store, &url)?
        };
        let chosen = choose(&bound, &url, opts).await;
        let (resp, sent) = send_hop(
            http_paths,
            store,
            &url,
            &method,
            &req,
            body.as_deref(),
            chosen,
            left_origin,
            opts,
        )
        .await?;
        let status = resp.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let Some(next) = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok())
            else {
                return Ok(Answer {
                    response: resp,
                    sent,
                    left_origin,
                });
            };
            // 303, and 301/302 after a POST, go on as GET without the body (as browsers and
            // curl do); 307/308 repeat the request.
            if status == StatusCode::SEE_OTHER
                || (matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                    && method == Method::POST)
            {
                method = Method::GET;
                body = None;
            }
            // Origins only: a URL may carry a pre-authorised token.
            tracing::debug!(
                from = %url.origin().ascii_serialization(),
                to = %next.origin().ascii_serialization(),
                "redirect"
            );
            url = next;
            continue;
        }
        return Ok(Answer {
            response: resp,
            sent,
            left_origin,
        });
    }
    Err(FetchError::TooManyRedirects {
        url: req.url.to_string(),
    })
}

/// The credential to send to `url`: with one kind bound there, that one; with several
/// kinds, the one the service's challenges prefer (asked anonymously first), as `probe` says.
async fn choose<'a>(bound: &'a [Bound], url: &Url, opts: &Options) -> Option<&'a Bound> {
    let kinds: std::collections::BTreeSet<Kind> = bound.iter().map(|b| b.record.kind).collect();
    if kinds.len() <= 1
        || bound
            .first()
            .is_some_and(|b| b.record.kind == Kind::Anonymous)
    {
        return super::probe::pick(bound, &[]);
    }
    let http = build_client(HttpOptions {
        timeout: opts.timeout,
        extra_roots_pem: opts.extra_roots_pem.clone(),
        no_redirects: true,
        direct: url.scheme() == "http",
        ..Default::default()
    })
    .ok()?;
    let accepted = match super::probe::ask(&http, url).await {
        Ok(answer) => super::probe::accepted(&answer.challenges),
        Err(_) => vec![],
    };
    super::probe::pick(bound, &accepted).or_else(|| super::probe::pick(bound, &[]))
}

#[allow(clippy::too_many_arguments)]
async fn send_hop(
    paths: &Paths,
    store: &dyn SecretStore,
    url: &Url,
    method: &Method,
    req: &Request,
    body: Option<&[u8]>,
    chosen: Option<&Bound>,
    left_origin: bool,
    opts: &Options,
) -> Result<(reqwest::Response, Option<(String, Kind)>), FetchError> {
    let mut relogged = false;
    loop {
        // Whether a kept cookie goes (a fresh login that is refused is not tried again).
        let kept_cookie = chosen.is_some_and(|b| b.record.kind == Kind::Cookie)
            && !relogged
            && chosen.is_some_and(|b| cookies(store, &b.id).is_ok_and(|c| !c.is_empty()));
        let presented = match chosen {
            Some(b) => present(paths, store, b, opts, relogged).await?,
            None => Presented::None,
        };
        let identity = match &presented {
            Presented::Certificate(pem) => Some(pem.clone()),
            _ => None,
        };
        let http = build_client(HttpOptions {
            timeout: opts.timeout,
            extra_roots_pem: opts.extra_roots_pem.clone(),
            identity_pem: identity,
            no_redirects: true,
            // Plain http here is loopback (scopes allow no other): past any proxy.
            direct: url.scheme() == "http",
        })?;
        let mut headers = HeaderMap::new();
        for (name, value) in &req.headers {
            let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            ) else {
                return Err(FetchError::Credential(format!(
                    "the header {name:?} cannot be sent (a name and a value of printable characters)"
                )));
            };
            // What the user gave for the first origin does not follow a redirect away.
            if left_origin && !FOLLOWING_HEADERS.contains(&n.as_str()) {
                continue;
            }
            headers.append(n, v);
        }
        match &presented {
            Presented::Header(v) if !headers.contains_key(AUTHORIZATION) => {
                headers.insert(AUTHORIZATION, v.clone());
            }
            Presented::Cookies(c) if !c.is_empty() => {
                let mut all = c.clone();
                if let Some(user) = headers.get(COOKIE).and_then(|v| v.to_str().ok()) {
                    all = format!("{user}; {all}");
                }
                if let Ok(mut v) = HeaderValue::from_str(&all) {
                    v.set_sensitive(true);
                    headers.insert(COOKIE, v);
                }
            }
            _ => {}
        }
        let mut rb = http.request(method.clone(), url.clone()).headers(headers);
        if let Some(b) = body {
            rb = rb.body(b.to_vec());
        }
        let resp = rb.send().await.map_err(|e| {
            if e.is_timeout() {
                FetchError::Timeout {
                    url: url.to_string(),
                }
            } else {
                FetchError::Unreachable {
                    url: url.to_string(),
                    detail: crate::http::short_cause(&e),
                }
            }
        })?;
        let sent = chosen.map(|b| (b.id.clone(), b.record.kind));
        // A kept login cookie that is refused (401) has lapsed: log in again, once. A 403
        // is "not allowed", which a new login would not change.
        if resp.status() == StatusCode::UNAUTHORIZED && kept_cookie {
            relogged = true;
            continue;
        }
        return Ok((resp, sent));
    }
}

/// The credential as it goes on the wire. `fresh_login`: log in again even when cookies
/// are kept (they were refused).
async fn present(
    paths: &Paths,
    store: &dyn SecretStore,
    b: &Bound,
    opts: &Options,
    fresh_login: bool,
) -> Result<Presented, FetchError> {
    let secret = |name: &str| -> Result<SecretString, FetchError> {
        store.get(&entry(&b.id, name))?.ok_or_else(|| {
            FetchError::Credential(format!(
                "the keyring holds no secret for {} any more; remove it (`skyport credentials remove {}`) and add it again",
                b.id, b.id
            ))
        })
    };
    let header = |text: String| {
        HeaderValue::from_str(&text)
            .map(|mut v| {
                v.set_sensitive(true);
                Presented::Header(v)
            })
            .map_err(|_| {
                FetchError::Credential(format!(
                    "the secret of {} cannot go in a header (it holds a line break or other control characters); add it again",
                    b.id
                ))
            })
    };
    if let Some(profile) = &b.profile {
        return present_platform(paths, store, b, profile, opts).await;
    }
    use base64::Engine as _;
    match b.record.kind {
        Kind::Anonymous => Ok(Presented::None),
        Kind::Bearer | Kind::CadcToken => {
            header(format!("Bearer {}", secret(entries::SECRET)?.expose()))
        }
        Kind::BasicToken => header(format!("Basic {}", secret(entries::SECRET)?.expose())),
        Kind::Basic => {
            let user = b.record.username.clone().unwrap_or_default();
            let pair = format!("{user}:{}", secret(entries::SECRET)?.expose());
            header(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ))
        }
        Kind::Certificate => {
            let file = b.record.file.as_deref().ok_or_else(|| {
                FetchError::Credential(format!("{} names no certificate file", b.id))
            })?;
            let bundle = crate::cert::CertBundle::load(file)
                .map_err(|e| FetchError::Credential(format!("the certificate of {}: {e}", b.id)))?;
            Ok(Presented::Certificate(Secret::new(
                bundle.identity_pem().to_vec(),
            )))
        }
        Kind::Cookie => {
            let kept = cookies(store, &b.id)?;
            if !kept.is_empty() && !fresh_login {
                return Ok(Presented::Cookies(cookie_header(&kept)));
            }
            let login = b.record.login_url.as_deref().ok_or_else(|| {
                FetchError::Credential(format!("{} names no login address", b.id))
            })?;
            let login = Url::parse(login).map_err(|e| {
                FetchError::Credential(format!("the login address of {}: {e}", b.id))
            })?;
            // The password goes only where the credential may go.
            if !b
                .record
                .origins
                .iter()
                .filter_map(|o| super::scope::Scope::parse(o).ok())
                .any(|s| s.contains(&login))
            {
                return Err(FetchError::Credential(format!(
                    "the login address of {} is outside its places; add it again",
                    b.id
                )));
            }
            let http = build_client(HttpOptions {
                timeout: opts.timeout,
                extra_roots_pem: opts.extra_roots_pem.clone(),
                identity_pem: None,
                no_redirects: true,
                direct: login.scheme() == "http",
            })?;
            let user = b.record.username.clone().unwrap_or_default();
            let answer = login_answer(
                &http,
                &login,
                LoginStyle::Form,
                &user,
                &secret(entries::SECRET)?,
            )
            .await
            .map_err(|source| FetchError::Login {
                id: b.id.clone(),
                source,
            })?;
            if answer.cookies.is_empty() {
                return Err(FetchError::Credential(format!(
                    "the login at {login} answered without a cookie; check the login address of {}",
                    b.id
                )));
            }
            save_cookies(store, &b.id, &answer.cookies)?;
            tracing::info!(credential = %b.id, "logged in again for a new cookie");
            Ok(Presented::Cookies(cookie_header(&answer.cookies)))
        }
        Kind::SshJwt => {
            let user = b.record.username.clone().unwrap_or_default();
            let file =
                b.record.file.as_deref().ok_or_else(|| {
                    FetchError::Credential(format!("{} names no SSH key file", b.id))
                })?;
            let passphrase = store
                .get(&entry(&b.id, entries::PASSPHRASE))?
                .or_else(|| opts.ssh_passphrase.clone());
            let token = super::jwt::sign(&user, file, passphrase.as_ref()).await?;
            header(format!("Bearer {}", token.expose()))
        }
        // The sign-in of the platform at that provider, refreshed when due.
        Kind::Oidc => {
            let issuer = b.record.login_url.as_deref().unwrap_or_default();
            let profile = super::profile_for_issuer(paths, issuer)?.ok_or_else(|| {
                FetchError::Credential(format!(
                    "{}: none of your platforms signs in at {issuer} any more; add one and sign in",
                    b.id
                ))
            })?;
            present_platform(paths, store, b, &profile, opts).await
        }
    }
}

/// A platform's own credential: its sign-in's token (refreshed when due, under the lock
/// the app takes too) or its certificate file.
async fn present_platform(
    paths: &Paths,
    store: &dyn SecretStore,
    b: &Bound,
    profile: &str,
    opts: &Options,
) -> Result<Presented, FetchError> {
    use crate::connect::TokenSlot;
    match b.record.kind {
        Kind::Certificate => {
            let file = b.record.file.as_deref().ok_or_else(|| {
                FetchError::Credential(format!("{} names no certificate file", b.id))
            })?;
            let bundle = crate::cert::CertBundle::load(file)
                .map_err(|e| FetchError::Credential(format!("the certificate of {}: {e}", b.id)))?;
            Ok(Presented::Certificate(Secret::new(
                bundle.identity_pem().to_vec(),
            )))
        }
        kind => {
            if kind == Kind::Oidc {
                // As every token request: no redirect followed, the profile's own CA.
                let roots = crate::config::Config::load(&paths.config_file())
                    .ok()
                    .and_then(|c| c.profiles.get(profile).and_then(|p| p.ca_file.clone()))
                    .and_then(|f| std::fs::read(f).ok())
                    .into_iter()
                    .collect();
                let http = build_client(HttpOptions {
                    timeout: opts.timeout,
                    extra_roots_pem: roots,
                    no_redirects: true,
                    ..Default::default()
                })?;
                crate::auth::oidc::ensure_fresh(
                    &http,
                    paths,
                    store,
                    profile,
                    chrono::Duration::seconds(60),
                    chrono::Utc::now(),
                )
                .await?;
            }
            let slot = if kind == Kind::Oidc {
                TokenSlot::Access
            } else {
                TokenSlot::Token
            };
            let token = store.get(&slot.key(profile))?.ok_or_else(|| {
                FetchError::Credential(format!(
                    "platform {profile} is not signed in any more; sign in again (`skyport --profile {profile} login`)"
                ))
            })?;
            let mut v =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    FetchError::Credential(format!("the token of {profile} cannot go in a header"))
                })?;
            v.set_sensitive(true);
            Ok(Presented::Header(v))
        }
    }
}

fn cookie_header(cookies: &[(String, String)]) -> String {
    cookies
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}
