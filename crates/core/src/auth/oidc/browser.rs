//! Authorization code + PKCE (S256) with a loopback redirect (RFC 8252).
//!
//! A listener on 127.0.0.1 and a random port catches the browser's redirect. It answers
//! other paths (a favicon request, say) with 404 and keeps waiting, checks `state`, shows a
//! plain "you can close this tab" page, and gives up after a timeout or when cancelled.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl, Scope};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::error::{from_request, OidcError};
use super::provider::Provider;
use super::tokens::{tokens_from_response, TokenSet};

/// What a browser sign-in needs.
pub struct BrowserSignIn<'a> {
    pub provider: &'a Provider,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub scopes: &'a [String],
    /// How long to wait for the user to finish in the browser.
    pub timeout: Duration,
}

enum Callback {
    Code {
        code: String,
        state: String,
    },
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
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
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
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

/// Wait for the redirect to `/callback`.
async fn wait_for_callback(listener: &TcpListener) -> Result<(Callback, TcpStream), OidcError> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| OidcError::Listener(e.to_string()))?;
        let Some(target) = read_target(&mut stream).await else {
            respond(
                &mut stream,
                "400 Bad Request",
                &page_error("Unexpected request."),
            )
            .await;
            continue;
        };
        let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
            respond(
                &mut stream,
                "400 Bad Request",
                &page_error("Unexpected request."),
            )
            .await;
            continue;
        };
        if url.path() != "/callback" {
            respond(&mut stream, "404 Not Found", &page_error("Not found.")).await;
            continue;
        }
        let q = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        let cb = match (q("code"), q("state"), q("error")) {
            (_, state, Some(error)) => Callback::Error {
                error,
                description: q("error_description"),
                state,
            },
            (Some(code), Some(state), None) => Callback::Code { code, state },
            _ => {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    &page_error("The answer had no code."),
                )
                .await;
                continue;
            }
        };
        return Ok((cb, stream));
    }
}

fn same(a: &str, b: &str) -> bool {
    // Constant-time comparison of the state values.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Run the browser sign-in. `open` opens the authorization URL (the system browser in the
/// app; a scripted browser in tests); `cancel` resolves when the user clicks Cancel.
pub async fn browser_sign_in(
    http: &reqwest::Client,
    req: BrowserSignIn<'_>,
    open: impl FnOnce(&str) -> Result<(), String>,
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
    open(url.as_str()).map_err(OidcError::Browser)?;

    let waited = tokio::select! {
        r = tokio::time::timeout(req.timeout, wait_for_callback(&listener)) => r.map_err(|_| OidcError::Timeout)?,
        _ = cancel => return Err(OidcError::Cancelled),
    };
    let (callback, mut stream) = waited?;
    let code = match callback {
        Callback::Error {
            error,
            description,
            state,
        } => {
            // Only trust an error that belongs to this attempt.
            if state.as_deref().is_some_and(|s| same(s, csrf.secret())) {
                respond(
                    &mut stream,
                    "200 OK",
                    &page_error(description.as_deref().unwrap_or(&error)),
                )
                .await;
                return Err(OidcError::Denied { error, description });
            }
            respond(
                &mut stream,
                "400 Bad Request",
                &page_error("This answer does not belong to the current sign-in."),
            )
            .await;
            return Err(OidcError::StateMismatch);
        }
        Callback::Code { code, state } => {
            if !same(&state, csrf.secret()) {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    &page_error("This answer does not belong to the current sign-in."),
                )
                .await;
                return Err(OidcError::StateMismatch);
            }
            code
        }
    };
    let result = async {
        let resp = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Other(e.to_string()))?
            .set_pkce_verifier(verifier)
            .request_async(http)
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
