//! Authorization code + PKCE (S256) with a loopback redirect (RFC 8252).
//!
//! A listener on 127.0.0.1 and a random port catches the browser's redirect. Anything on
//! the machine can connect to it, so it serves each connection in its own task with a
//! deadline for the request head (an idle or slow connection cannot hold up the real
//! redirect), answers what is not this sign-in's redirect (other paths, a wrong or missing
//! `state`, garbage) with a short 400 or 404 and keeps waiting, shows a plain "you can
//! close this tab" page, and gives up after a timeout or when cancelled.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::error::{from_request, OidcError};
use super::provider::Provider;
use super::tokens::{tokens_from_response, TokenSet};

/// How long a connection may take to send its request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; more are closed unanswered until some finish.
const MAX_CONNECTIONS: usize = 64;

/// What a browser sign-in needs.
pub struct BrowserSignIn<'a> {
    pub provider: &'a Provider,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub scopes: &'a [String],
    /// How long to wait for the user to finish in the browser.
    pub timeout: Duration,
}

/// This sign-in's redirect (its `state` already checked).
enum Callback {
    Code(String),
    Error {
        error: String,
        description: Option<String>,
    },
}

const PAGE_OK: &str = "<!doctype html><html lang=en><meta charset=utf-8><title>Skyport</title>\
<body style=\"font-family:system-ui,sans-serif;margin:3rem\"><h1>Signed in</h1>\
<p>You can close this tab and return to Skyport.</p></body></html>";

fn page_error(msg: &str) -> String {
    let safe: String = msg
        .chars()
        .filter(|c| !"<>&\"'".contains(*c))
        .take(300)
        .collect();
    format!(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Skyport</title>\
<body style=\"font-family:system-ui,sans-serif;margin:3rem\"><h1>Sign-in failed</h1>\
<p>{safe}</p><p>Return to Skyport to try again.</p></body></html>"
    )
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Read one request head and return its target (path + query), if it is a GET.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_HEAD {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let line = head.lines().next()?;
    let mut parts = line.split_whitespace();
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_string)
}

fn same(a: &str, b: &str) -> bool {
    // Constant-time comparison of the state values.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What one request to the listener was.
enum Request {
    /// This sign-in's redirect.
    Ours(Callback),
    /// Anything else, with the answer it gets.
    Stray(&'static str, &'static str),
}

fn classify(target: &str, state: &str) -> Request {
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
        return Request::Stray("400 Bad Request", "Unexpected request.");
    };
    if url.path() != "/callback" {
        return Request::Stray("404 Not Found", "Not found.");
    }
    let q = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    // Only an answer carrying this attempt's state may end it, with a code or an error.
    if !q("state").is_some_and(|s| same(&s, state)) {
        return Request::Stray(
            "400 Bad Request",
            "This answer does not belong to the current sign-in.",
        );
    }
    match (q("code"), q("error")) {
        (_, Some(error)) => Request::Ours(Callback::Error {
            error,
            description: q("error_description"),
        }),
        (Some(code), None) => Request::Ours(Callback::Code(code)),
        (None, None) => Request::Stray("400 Bad Request", "The answer had no code."),
    }
}

/// Serve one connection: hand this sign-in's redirect (and its stream, for the final page)
/// to the waiter; answer anything else here.
async fn serve(mut stream: TcpStream, state: Arc<str>, found: mpsc::Sender<(Callback, TcpStream)>) {
    let target = tokio::time::timeout(HEAD_DEADLINE, read_target(&mut stream))
        .await
        .ok()
        .flatten();
    let request = match target {
        Some(t) => classify(&t, &state),
        None => Request::Stray("400 Bad Request", "Unexpected request."),
    };
    match request {
        Request::Ours(callback) => {
            // Fails only when the waiter has already taken a redirect; this one is dropped.
            let _ = found.send((callback, stream)).await;
        }
        Request::Stray(status, message) => respond(&mut stream, status, &page_error(message)).await,
    }
}

/// Serve the listener until this sign-in's redirect (the right `state`) arrives.
async fn wait_for_callback(
    listener: &TcpListener,
    state: &str,
) -> Result<(Callback, TcpStream), OidcError> {
    let state: Arc<str> = Arc::from(state);
    let (tx, mut rx) = mpsc::channel(1);
    // Dropped when the wait ends, which aborts the connections still being served.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted.map_err(|e| OidcError::Listener(e.to_string()))?;
                while connections.try_join_next().is_some() {}
                if connections.len() < MAX_CONNECTIONS {
                    connections.spawn(serve(stream, state.clone(), tx.clone()));
                }
            }
            Some(found) = rx.recv() => return Ok(found),
        }
    }
}

/// Run the browser sign-in. `open` opens the authorization URL (the system browser in the
/// app; a scripted browser in tests); `cancel` resolves when the user clicks Cancel.
pub async fn browser_sign_in<E: std::fmt::Display>(
    http: &reqwest::Client,
    req: BrowserSignIn<'_>,
    open: impl FnOnce(&str) -> Result<(), E>,
    cancel: impl Future<Output = ()>,
) -> Result<TokenSet, OidcError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| OidcError::Listener(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| OidcError::Listener(e.to_string()))?
        .port();
    let redirect = RedirectUrl::new(format!("http://127.0.0.1:{port}/callback"))
        .map_err(|e| OidcError::Other(e.to_string()))?;
    let client = req
        .provider
        .client(req.client_id, req.client_secret)
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut auth = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for s in req.scopes.iter().filter(|s| s.as_str() != "openid") {
        auth = auth.add_scope(Scope::new(s.clone()));
    }
    if req.scopes.iter().any(|s| s == "offline_access") {
        // OIDC Core §11: offline access (a refresh token) is granted only with prompt=consent.
        auth = auth.add_prompt(CoreAuthPrompt::Consent);
    }
    let (url, csrf, nonce) = auth.url();
    open(url.as_str()).map_err(|e| OidcError::Browser(e.to_string()))?;

    let waited = tokio::select! {
        r = tokio::time::timeout(req.timeout, wait_for_callback(&listener, csrf.secret())) => r.map_err(|_| OidcError::Timeout)?,
        _ = cancel => return Err(OidcError::Cancelled),
    };
    let (callback, mut stream) = waited?;
    let code = match callback {
        Callback::Error { error, description } => {
            respond(
                &mut stream,
                "200 OK",
                &page_error(description.as_deref().unwrap_or(&error)),
            )
            .await;
            return Err(OidcError::Denied { error, description });
        }
        Callback::Code(code) => code,
    };
    let result = async {
        let resp = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Other(e.to_string()))?
            .set_pkce_verifier(verifier)
            .request_async(&super::provider::CappedHttp(http))
            .await
            .map_err(|e| from_request(&req.provider.issuer, e, false))?;
        tokens_from_response(&client.id_token_verifier(), &resp, Some(&nonce), Utc::now())
    }
    .await;
    match &result {
        Ok(_) => respond(&mut stream, "200 OK", PAGE_OK).await,
        Err(e) => respond(&mut stream, "200 OK", &page_error(&e.to_string())).await,
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wait for `state` on a fresh listener, and the port to reach it.
    async fn waiting(state: &'static str) -> (tokio::task::JoinHandle<Option<Callback>>, u16) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let wait = tokio::spawn(async move {
            let found =
                tokio::time::timeout(Duration::from_secs(20), wait_for_callback(&listener, state))
                    .await;
            found.ok()?.ok().map(|(callback, _)| callback)
        });
        (wait, port)
    }

    const REDIRECT: &[u8] = b"GET /callback?code=the-code&state=right-state HTTP/1.1\r\n\r\n";

    async fn connect(port: u16) -> TcpStream {
        TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect")
    }

    /// A connection that has sent `raw` and waits for its answer (a browser's redirect).
    async fn sent(port: u16, raw: &[u8]) -> TcpStream {
        let mut s = connect(port).await;
        s.write_all(raw).await.expect("send");
        s
    }

    /// Send raw bytes and return the status line of the answer.
    async fn ask(port: u16, raw: &[u8]) -> String {
        let mut s = connect(port).await;
        s.write_all(raw).await.expect("send");
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.expect("answer");
        answer.lines().next().unwrap_or_default().to_string()
    }

    async fn get(port: u16, target: &str) -> String {
        ask(
            port,
            format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes(),
        )
        .await
    }

    /// No answer came back on `s` (it may still be open, or closed as the wait ended).
    fn unanswered(s: &TcpStream) -> bool {
        let mut buf = [0u8; 64];
        !matches!(s.try_read(&mut buf), Ok(n) if n > 0)
    }

    #[tokio::test]
    async fn strays_are_turned_away_and_the_wait_goes_on() {
        let (wait, port) = waiting("right-state").await;
        for (target, status) in [
            ("/callback?code=c&state=wrong-state", "400"),
            ("/callback?code=c", "400"),
            ("/callback?error=access_denied&state=wrong-state", "400"),
            ("/callback?state=right-state", "400"),
            ("/favicon.ico", "404"),
        ] {
            let line = get(port, target).await;
            assert!(
                line.starts_with(&format!("HTTP/1.1 {status}")),
                "{target}: {line}"
            );
        }
        let line = ask(port, b"\x16\x03\x01\x00garbage\r\n\r\n").await;
        assert!(line.starts_with("HTTP/1.1 400"), "{line}");
        assert!(!wait.is_finished(), "a stray ended the wait");

        let _browser = sent(port, REDIRECT).await;
        let found = wait.await.expect("join");
        assert!(
            matches!(&found, Some(Callback::Code(c)) if c == "the-code"),
            "the real redirect ends the wait"
        );
    }

    #[tokio::test]
    async fn an_error_with_the_right_state_ends_the_wait() {
        let (wait, port) = waiting("right-state").await;
        let _browser = sent(
            port,
            b"GET /callback?error=access_denied&error_description=no%20thanks&state=right-state HTTP/1.1\r\n\r\n",
        )
        .await;
        let found = wait.await.expect("join");
        assert!(
            matches!(
                &found,
                Some(Callback::Error { error, description })
                    if error == "access_denied" && description.as_deref() == Some("no thanks")
            ),
            "the provider's refusal ends the sign-in"
        );
    }

    #[tokio::test]
    async fn idle_and_slow_connections_do_not_hold_up_the_redirect() {
        let (wait, port) = waiting("right-state").await;
        let idle = connect(port).await;
        let mut slow = connect(port).await;
        slow.write_all(b"GET /callb").await.expect("half a line");
        let _browser = sent(port, REDIRECT).await;
        let found = wait.await.expect("join");
        assert!(matches!(&found, Some(Callback::Code(c)) if c == "the-code"));
        // Served beside them, not after them: neither has had its answer (a 400 when its
        // head deadline passes).
        assert!(unanswered(&idle) && unanswered(&slow));
    }
}
