//! Session pages, served by one listener by path like the real ingress
//! (`/session/<type>/<id>/...`). Only Running sessions answer; each page opens a websocket to
//! `/session/<type>/<id>/ws`, which echoes frames, so windows and relays are tested for real.
//! Pages also carry what session windows must handle like a browser: a file to download
//! (`files/<name>`, Jupyter's `?download=1` convention), a script-made (blob) download, text to
//! copy and a text box to paste into. Access keys (Alt+D, Alt+B, Alt+S) reach them from the
//! keyboard alone, for tests that type through the X server instead of WebDriver.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::app::App;
use crate::auth::{self, AuthOutcome};
use crate::store::{Kind, Status};

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/session/{kind}/{id}/ws", any(ws))
        .fallback(page)
        .layer(middleware::from_fn_with_state(
            app.faults.clone(),
            crate::faults::apply,
        ))
        .with_state(app)
}

/// Traefik's answer for a path no route matches.
fn not_found() -> Response {
    let mut r = (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

struct Target {
    kind: Kind,
    id: String,
    name: String,
    user: String,
}

/// The Running session a path points at, if any.
fn lookup(app: &Arc<App>, seg: &str, id: &str) -> Option<Target> {
    let kind = Kind::from_path_segment(seg)?;
    app.store
        .with(id, None, |s| {
            (s.kind == kind && s.status == Status::Running).then(|| Target {
                kind,
                id: s.id.clone(),
                name: s.name.clone(),
                user: s.user.clone(),
            })
        })
        .flatten()
}

/// When the sim demands credentials on session pages, a Bearer token or the SSO cookie.
async fn check_auth(app: &Arc<App>, headers: &HeaderMap) -> Result<(), Response> {
    if !app.cfg.session_auth_required {
        return Ok(());
    }
    let outcome = app
        .auth
        .authenticate(headers, None, &app.clock, false)
        .await;
    if matches!(outcome, AuthOutcome::Ok(_)) {
        return Ok(());
    }
    Err(auth::require(&outcome, &app.urls.http, &app.cfg)
        .err()
        .map(IntoResponse::into_response)
        .unwrap_or_else(|| StatusCode::UNAUTHORIZED.into_response()))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn title_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Notebook => "Notebook",
        Kind::Desktop => "Desktop",
        Kind::Carta => "CARTA",
        Kind::Contributed => "Contributed app",
        Kind::Firefly => "Firefly",
        Kind::Headless => "Headless",
        Kind::DesktopApp => "Desktop app",
    }
}

fn render(t: &Target) -> String {
    let title = format!("{} · {}", title_of(t.kind), html_escape(&t.name));
    let seg = t.kind.path_segment();
    let id = html_escape(&t.id);
    let user = html_escape(&t.user);
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; background: #0f1424; color: #e6e9f2; }}
code {{ background: #1c2340; padding: 0 .3em; border-radius: 3px; }}
a {{ color: #8fb4ff; }}
.card {{ max-width: 40rem; padding: 1.5rem; border-radius: 8px; background: #161d36; }}
</style>
</head>
<body>
<div class="card">
<h1 id="session-title">{title}</h1>
<p>Signed in as <strong id="session-user">{user}</strong></p>
<p>Session <code id="session-id">{id}</code>, type <span id="session-type">{kind}</span></p>
<p>Connection: <span id="ws-status">connecting…</span></p>
</div>
<div class="card">
<h2>Files</h2>
<p><a id="download-link" accesskey="d" href="/session/{seg}/{id}/files/summary.csv?download=1">summary.csv</a>
 · <a id="download-slow" accesskey="l" href="/session/{seg}/{id}/files/cube.csv?download=1&amp;slow=1">cube.csv (slow)</a>
 · <button id="download-blob" accesskey="b" type="button">Save the scratch pad as notes.txt</button></p>
<h2>Scratch pad</h2>
<p id="copy-source">target M42 ra 83.8221 dec -5.3911</p>
<p><textarea id="scratch" accesskey="s" aria-label="Scratch pad" rows="3" cols="50"></textarea></p>
<p><button id="copy-id" type="button">Copy session id</button> <span id="copy-status"></span></p>
</div>
<div class="card">
<h2>Elsewhere</h2>
<p><a id="docs-link" href="https://docs.example.org/skyport-sim">Documentation</a>
 · <a id="ssh-link" href="ssh://login.example.org">Log in with SSH</a>
 · <a id="vscode-link" href="vscode://vscode.git/clone?url=https%3A%2F%2Fexample.org%2Fx">Open in VS Code</a></p>
</div>
<script>
(function () {{
  document.getElementById("download-blob").onclick = function () {{
    var text = document.getElementById("scratch").value || "(empty scratch pad)";
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text + "\n"], {{ type: "text/plain" }}));
    a.download = "notes.txt";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () {{ URL.revokeObjectURL(a.href); a.remove(); }}, 60000);
  }};
  document.getElementById("copy-id").onclick = function () {{
    var out = document.getElementById("copy-status");
    navigator.clipboard.writeText("{id}").then(
      function () {{ out.textContent = "copied"; }},
      function (e) {{ out.textContent = "copy failed: " + e; }});
  }};
}})();
(function () {{
  var status = document.getElementById("ws-status");
  var scheme = location.protocol === "https:" ? "wss:" : "ws:";
  var ws = new WebSocket(scheme + "//" + location.host + "/session/{seg}/{id}/ws");
  ws.onopen = function () {{ ws.send("hello from {id}"); }};
  ws.onmessage = function (e) {{ status.textContent = "echo: " + e.data; }};
  ws.onerror = function () {{ status.textContent = "error"; }};
  ws.onclose = function () {{ if (status.textContent.indexOf("echo") !== 0) status.textContent = "closed"; }};
}})();
</script>
</body>
</html>
"#,
        kind = t.kind.as_str(),
    )
}

async fn page(State(app): State<Arc<App>>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = req.uri().path().to_string();
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    let (Some("session"), Some(seg), Some(id)) = (segs.next(), segs.next(), segs.next()) else {
        return not_found();
    };
    let Some(target) = lookup(&app, seg, id) else {
        return not_found();
    };
    let headers = req.headers().clone();
    if let Err(r) = check_auth(&app, &headers).await {
        return r;
    }
    if let (Some("files"), Some(name)) = (segs.next(), segs.next()) {
        let has = |flag: &str| {
            req.uri()
                .query()
                .is_some_and(|q| q.split('&').any(|p| p == flag))
        };
        let slow = has("slow=1").then(|| app.hold_slow_files.subscribe());
        return file(&target, name, has("download=1"), slow);
    }
    let mut r = render(&target).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// A file in the session's home, made up: a small CSV table named after the session. With
/// `?download=1` it is sent as an attachment, as Jupyter's file handler does; with `slow=1`
/// it trickles in over about three seconds (a large file on a slow link, for progress and for
/// answering before it has arrived), its last part held while `slow` (the sim's hold) says.
fn file(
    t: &Target,
    name: &str,
    download: bool,
    slow: Option<tokio::sync::watch::Receiver<bool>>,
) -> Response {
    if name.is_empty() || name.contains(['"', '\\']) || name.chars().any(char::is_control) {
        return not_found();
    }
    let mut body = String::from("row,session,ra,dec\n");
    for i in 0..100 {
        body.push_str(&format!(
            "{i},{},{:.4},{:.4}\n",
            t.id,
            83.8221 + f64::from(i) * 0.001,
            -5.3911
        ));
    }
    let mut r = if let Some(hold) = slow {
        let chunks: Vec<bytes::Bytes> = body
            .as_bytes()
            .chunks(body.len().div_ceil(12).max(1))
            .map(bytes::Bytes::copy_from_slice)
            .collect();
        let parts = chunks.into_iter().peekable();
        let stream =
            futures_util::stream::unfold((parts, hold), |(mut rest, mut hold)| async move {
                let chunk = rest.next()?;
                tokio::time::sleep(Duration::from_millis(250)).await;
                if rest.peek().is_none() {
                    // Never released: the wait ends with the connection (a sim shutting
                    // down drops its connections, and this stream with them).
                    let _ = hold.wait_for(|held| !held).await;
                }
                Some((Ok::<_, std::io::Error>(chunk), (rest, hold)))
            });
        axum::body::Body::from_stream(stream).into_response()
    } else {
        body.into_response()
    };
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if download {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

async fn ws(
    State(app): State<Arc<App>>,
    Path((seg, id)): Path<(String, String)>,
    req: Request,
) -> Response {
    let Some(target) = lookup(&app, &seg, &id) else {
        return not_found();
    };
    let headers = req.headers().clone();
    if let Err(r) = check_auth(&app, &headers).await {
        return r;
    }
    let (mut parts, _) = req.into_parts();
    let upgrade =
        match <WebSocketUpgrade as axum::extract::FromRequestParts<()>>::from_request_parts(
            &mut parts,
            &(),
        )
        .await
        {
            Ok(u) => u,
            Err(rej) => return rej.into_response(),
        };
    let app2 = app.clone();
    upgrade.on_upgrade(move |socket| echo(app2, target.id, socket))
}

/// Echoes frames until the client leaves, the session stops running, or the sim shuts down.
async fn echo(app: Arc<App>, id: String, mut socket: WebSocket) {
    let mut shutdown = app.shutdown.clone();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    if socket.send(Message::Text(t)).await.is_err() { break; }
                }
                Some(Ok(Message::Binary(b))) => {
                    if socket.send(Message::Binary(b)).await.is_err() { break; }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = tick.tick() => {
                let running = app.store.with(&id, None, |s| s.status == Status::Running).unwrap_or(false);
                if !running {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}
