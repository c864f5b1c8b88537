//! The relay's HTTP side: hyper 1 on the loopback listener, reqwest to the session.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hyper::body::{Body as _, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use reqwest::Body;
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

use super::entry::{Access, Gate};
use super::{rewrite, RelayCredential, RelayError};
use crate::secret::SecretString;

/// How the credential appears on the wire (a certificate lives in the TLS client).
pub(crate) enum CredentialHeaders {
    /// The whole `Authorization` value.
    Authorization(SecretString),
    /// `name=value`, added to the `Cookie` header.
    Cookie {
        name: String,
        pair: SecretString,
    },
    None,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_cookie_octet(c: char) -> bool {
    // RFC 6265 §4.1.1: visible ASCII except DQUOTE, comma, semicolon and backslash.
    ('\x21'..='\x7e').contains(&c) && !matches!(c, '"' | ',' | ';' | '\\')
}

impl CredentialHeaders {
    /// Checks the credential once, at start, so requests never fail on it later.
    pub(crate) fn new(c: &RelayCredential) -> Result<Self, RelayError> {
        let valid = |v: &str| HeaderValue::from_str(v).is_ok();
        match c {
            RelayCredential::Bearer(token) => {
                let t = token.expose().trim();
                let value = SecretString::new(format!("Bearer {t}"));
                if t.is_empty() || t.contains(' ') || !valid(value.expose()) {
                    return Err(RelayError::BadCredential("token"));
                }
                Ok(Self::Authorization(value))
            }
            RelayCredential::Basic { username, password } => {
                if username.contains(':') || username.chars().any(char::is_control) {
                    return Err(RelayError::BadCredential("username"));
                }
                let raw = SecretString::new(format!("{username}:{}", password.expose()));
                let b64 = base64::engine::general_purpose::STANDARD.encode(raw.expose());
                Ok(Self::Authorization(SecretString::new(format!(
                    "Basic {b64}"
                ))))
            }
            RelayCredential::Cookie { name, value } => {
                let v = value.expose();
                if name.is_empty()
                    || !name.chars().all(is_tchar)
                    || v.is_empty()
                    || !v.chars().all(is_cookie_octet)
                {
                    return Err(RelayError::BadCredential("cookie"));
                }
                Ok(Self::Cookie {
                    name: name.clone(),
                    pair: SecretString::new(format!("{name}={v}")),
                })
            }
            RelayCredential::ClientCert(_) => Ok(Self::None),
        }
    }

    fn cookie_name(&self) -> Option<&str> {
        match self {
            Self::Cookie { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// Everything a connection needs, shared read-only.
pub(crate) struct Shared {
    pub(crate) gate: Gate,
    /// `scheme://host:port/` of the session.
    pub(crate) target: Url,
    /// The same without the trailing slash.
    pub(crate) target_origin: String,
    /// The session's own paths: the only ones forwarded.
    pub(crate) scope: super::PathScope,
    /// `http://127.a.b.c:PORT`.
    pub(crate) relay_origin: String,
    /// The `Host` value that names this relay (`127.a.b.c:PORT`).
    pub(crate) host: String,
    pub(crate) auth: CredentialHeaders,
    pub(crate) client: reqwest::Client,
    pub(crate) ws_client: reqwest::Client,
    /// Wait for response headers.
    pub(crate) timeout: Duration,
}

/// Accepts connections until the handle is dropped.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, stop: watch::Receiver<()>) {
    loop {
        let mut stop_accept = stop.clone();
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::debug!(error = %e, "relay accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop_accept.changed() => return,
        };
        let shared = shared.clone();
        let mut stop_conn = stop.clone();
        let stop_svc = stop.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let shared = shared.clone();
                let stop = stop_svc.clone();
                async move { Ok::<_, Infallible>(handle(&shared, req, stop).await) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30));
            let conn = builder
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades();
            tokio::select! {
                r = conn => if let Err(e) = r {
                    tracing::debug!(error = %e, "relay connection ended with an error");
                },
                _ = stop_conn.changed() => {}
            }
        });
    }
}

/// A short plain-text answer from the relay itself.
fn plain(status: StatusCode, text: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Body::from(text.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

const DENIED: &str = "Skyport relay: access denied.\n\nThis address belongs to one Skyport \
    session window and only answers that window. Open the session from Skyport.\n";

const OUTSIDE_SCOPE: &str = "Skyport relay: refused.\n\nThis session window may only load its \
    own session's pages; Skyport does not send your credentials anywhere else on the \
    platform. Use Skyport itself to list, launch or manage sessions.\n";

fn gateway_error(status: StatusCode, e: &RelayError) -> Response<Body> {
    plain(
        status,
        format!(
            "Skyport could not load this page ({} {}).\n\n{e}.\n\nThe session window stays \
             open; reload it once the session is back, or check the session's status in \
             Skyport.\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
        ),
    )
}

fn header_strs<'a>(h: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    h.get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// The entry answer: the secret cookie, then on to the session page.
fn entry_response(shared: &Shared, next: &str) -> Response<Body> {
    let mut r = plain(StatusCode::SEE_OTHER, "");
    let h = r.headers_mut();
    match (
        HeaderValue::from_str(&shared.gate.set_cookie()),
        HeaderValue::from_str(next),
    ) {
        (Ok(cookie), Ok(location)) => {
            h.insert(header::SET_COOKIE, cookie);
            h.insert(header::LOCATION, location);
        }
        // `next` is sanitised and the cookie is hex, so this cannot happen; stay safe.
        _ => return plain(StatusCode::BAD_REQUEST, "Skyport relay: bad entry URL.\n"),
    }
    // The entry URL holds the secret: never pass it on as a referrer.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// Methods that change nothing (RFC 9110 §9.2.1).
fn is_safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_websocket(req: &Request<Incoming>) -> bool {
    req.method() == Method::GET
        && header_strs(req.headers(), &header::UPGRADE)
            .iter()
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
            })
}

async fn handle(
    shared: &Shared,
    mut req: Request<Incoming>,
    stop: watch::Receiver<()>,
) -> Response<Body> {
    if req.method() == Method::CONNECT {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "Skyport relay: this is not a proxy.\n",
        );
    }
    // The relay answers only to its own name: a forged Host or an absolute-form target
    // naming another server is refused, never forwarded (also blocks DNS rebinding).
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
    else {
        return plain(
            StatusCode::BAD_REQUEST,
            "Skyport relay: missing Host header.\n",
        );
    };
    let ours = |h: &str| h.eq_ignore_ascii_case(&shared.host);
    let absolute_elsewhere = req.uri().authority().is_some_and(|a| !ours(a.as_str()))
        || req.uri().scheme_str().is_some_and(|s| s != "http");
    if !ours(host) || absolute_elsewhere {
        return plain(
            StatusCode::FORBIDDEN,
            "Skyport relay: refusing to forward to another server; the relay only serves its \
             own session.\n",
        );
    }
    let Some(pq) = req.uri().path_and_query().map(|p| p.as_str().to_string()) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "Skyport relay: bad request target.\n",
        );
    };
    if !pq.starts_with('/') {
        return plain(
            StatusCode::BAD_REQUEST,
            "Skyport relay: bad request target.\n",
        );
    }
    let cookies = header_strs(req.headers(), &header::COOKIE);
    let (forward_pq, prefixed) = match shared.gate.check(&pq, cookies.iter().copied()) {
        Access::Denied => return plain(StatusCode::FORBIDDEN, DENIED),
        Access::Entry { next } => return entry_response(shared, &next),
        Access::Prefixed { rest } => (rest, true),
        Access::Cookie => (pq, false),
    };
    // Only the session's own paths: on Skaha the same origin serves the API and every
    // other session, none of which a session page may reach with the user's credential.
    let raw_path = forward_pq
        .split_once('?')
        .map_or(forward_pq.as_str(), |(p, _)| p);
    if !shared.scope.allows(raw_path) {
        tracing::debug!("relay refused a request outside the session's own paths");
        return plain(StatusCode::FORBIDDEN, OUTSIDE_SCOPE);
    }
    let origin = match req.headers().get(header::ORIGIN) {
        None => None,
        Some(v) => {
            let v = v.to_str().unwrap_or("");
            // `Origin: null` comes from opaque origins: sandboxed frames and pages reached
            // through a cross-origin redirect. Such a page may read nothing, but a POST
            // from it through this window's relay would act with this window's credential,
            // and so would a websocket (a notebook kernel runs what it is sent).
            if v.trim() == "null" && (!is_safe_method(req.method()) || is_websocket(&req)) {
                return plain(
                    StatusCode::FORBIDDEN,
                    "Skyport relay: a change sent from a page with no origin was refused.\n",
                );
            }
            match rewrite::upstream_origin(v, &shared.relay_origin, &shared.target_origin) {
                Some(o) => Some(o),
                None => {
                    return plain(
                        StatusCode::FORBIDDEN,
                        "Skyport relay: cross-origin request refused.\n",
                    )
                }
            }
        }
    };
    // The request target is only ever a path on the fixed origin.
    let url = match Url::parse(&format!("{}{forward_pq}", shared.target_origin)) {
        Ok(u) if u.origin() == shared.target.origin() && shared.scope.allows(u.path()) => u,
        _ => {
            return plain(
                StatusCode::BAD_REQUEST,
                "Skyport relay: bad request target.\n",
            )
        }
    };

    let ws = is_websocket(&req);
    let secret_prefix = shared.gate.secret_prefix();
    let mut headers = HeaderMap::new();
    {
        let connection = header_strs(req.headers(), &header::CONNECTION);
        for (name, value) in req.headers() {
            if rewrite::forward_request_header(name.as_str(), connection.iter().copied()) {
                headers.append(name.clone(), value.clone());
            }
        }
    }
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert(header::ORIGIN, o);
    }
    let referer = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            rewrite::upstream_referer(
                r,
                &shared.relay_origin,
                &shared.target_origin,
                &secret_prefix,
            )
        })
        .and_then(|r| HeaderValue::from_str(&r).ok());
    if let Some(r) = referer {
        headers.insert(header::REFERER, r);
    }
    let mut up_cookies = rewrite::upstream_cookies(
        cookies.iter().copied(),
        &shared.gate,
        shared.auth.cookie_name(),
    );
    let mut auth_value = None;
    match &shared.auth {
        CredentialHeaders::Authorization(v) => auth_value = Some(v.expose().as_str()),
        CredentialHeaders::Cookie { pair, .. } => up_cookies.push(pair.expose().clone()),
        CredentialHeaders::None => {}
    }
    if let Some(mut v) = auth_value.and_then(|v| HeaderValue::from_str(v).ok()) {
        v.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, v);
    }
    if !up_cookies.is_empty() {
        let joined = SecretString::new(up_cookies.join("; "));
        if let Ok(mut v) = HeaderValue::from_str(joined.expose()) {
            v.set_sensitive(true);
            headers.insert(header::COOKIE, v);
        }
    }
    up_cookies.iter_mut().for_each(zeroize::Zeroize::zeroize);
    if ws {
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    }

    let on_upgrade = ws.then(|| hyper::upgrade::on(&mut req));
    let method = req.method().clone();
    let body = req.into_body();
    let client = if ws {
        &shared.ws_client
    } else {
        &shared.client
    };
    let mut rb = client.request(method, url.clone()).headers(headers);
    if !ws && !body.is_end_stream() {
        rb = rb.body(Body::wrap(body));
    }
    let resp = match tokio::time::timeout(shared.timeout, rb.send()).await {
        Err(_) => {
            let e = RelayError::Timeout {
                origin: shared.target_origin.clone(),
                secs: shared.timeout.as_secs(),
            };
            return gateway_error(StatusCode::GATEWAY_TIMEOUT, &e);
        }
        Ok(Err(e)) => {
            let e = RelayError::from_reqwest(&shared.target_origin, e, Some(shared.timeout));
            tracing::debug!(error = %e, "relay upstream request failed");
            let status = if matches!(e, RelayError::Timeout { .. }) {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            };
            return gateway_error(status, &e);
        }
        Ok(Ok(r)) => r,
    };
    let relay_base = if prefixed {
        format!("{}{secret_prefix}", shared.relay_origin)
    } else {
        shared.relay_origin.clone()
    };
    match on_upgrade {
        Some(on_upgrade) if resp.status() == StatusCode::SWITCHING_PROTOCOLS => {
            splice(shared, resp, on_upgrade, stop)
        }
        _ => respond(shared, resp, &url, &relay_base, prefixed),
    }
}

/// Copies upstream response headers for the webview, rewriting `Location` and
/// `Set-Cookie`.
fn response_headers(shared: &Shared, from: &HeaderMap, url: &Url, relay_base: &str) -> HeaderMap {
    let connection = header_strs(from, &header::CONNECTION);
    let mut out = HeaderMap::new();
    for (name, value) in from {
        if !rewrite::forward_response_header(name.as_str(), connection.iter().copied()) {
            continue;
        }
        let rewritten = if name == header::LOCATION {
            value
                .to_str()
                .ok()
                .and_then(|v| rewrite::location(v, url, relay_base, &shared.scope))
        } else if name == header::SET_COOKIE {
            value
                .to_str()
                .ok()
                .and_then(|v| rewrite::set_cookie(v, &shared.gate))
        } else {
            out.append(name.clone(), value.clone());
            continue;
        };
        if let Some(v) = rewritten.and_then(|v| HeaderValue::from_str(&v).ok()) {
            out.append(name.clone(), v);
        }
    }
    out
}

fn respond(
    shared: &Shared,
    resp: reqwest::Response,
    url: &Url,
    relay_base: &str,
    prefixed: bool,
) -> Response<Body> {
    let headers = response_headers(shared, resp.headers(), url, relay_base);
    let mut out: Response<Body> = resp.into();
    *out.headers_mut() = headers;
    *out.version_mut() = Version::HTTP_11;
    if prefixed {
        // The page's URL holds the secret: never pass it on as a referrer.
        out.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    out
}

/// Answers 101 to the webview and joins the two upgraded connections byte for byte
/// (frames, masking and extensions stay end to end).
fn splice(
    shared: &Shared,
    resp: reqwest::Response,
    on_upgrade: hyper::upgrade::OnUpgrade,
    mut stop: watch::Receiver<()>,
) -> Response<Body> {
    let headers = response_headers(shared, resp.headers(), resp.url(), &shared.relay_origin);
    let mut out = Response::new(Body::from(Vec::new()));
    *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *out.headers_mut() = headers;
    out.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    out.headers_mut()
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    tokio::spawn(async move {
        let (browser, upstream) = tokio::join!(on_upgrade, resp.upgrade());
        match (browser, upstream) {
            (Ok(browser), Ok(mut upstream)) => {
                let mut browser = TokioIo::new(browser);
                tokio::select! {
                    r = tokio::io::copy_bidirectional(&mut browser, &mut upstream) => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "relay websocket ended with an error");
                        }
                    }
                    _ = stop.changed() => {}
                }
            }
            (Err(e), _) => tracing::debug!(error = %e, "webview websocket upgrade failed"),
            (_, Err(e)) => {
                tracing::debug!(error = %e.without_url(), "upstream websocket upgrade failed")
            }
        }
    });
    out
}
