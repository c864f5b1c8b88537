//! Opening a session: in its own window (a second open focuses it), or in the browser.
//!
//! The page is remote and untrusted: the window gets no Tauri IPC (capabilities/main.json
//! lists only the app's windows, and no capability has `remote` URLs), and any navigation
//! or new window that leaves the session's origin opens in the system browser instead.

use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::relay::{self, PathScope, Probe, RelayHandle, RelayOptions};
use skyport_core::skaha::{Session, SessionId, SessionStatus};
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindowBuilder};

use super::memory::{self, Geometry};
use super::Relays;
use crate::kernel::windows::{self, Carrier};
use crate::kernel::{external, lifetime, payload, Platform};

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn no_page() -> ErrorPayload {
    ErrorPayload::new(
        ErrorCode::Validation,
        "This session has no page to open (headless sessions run without one).",
    )
}

fn not_running(status: &SessionStatus) -> ErrorPayload {
    ErrorPayload::new(
        ErrorCode::Validation,
        format!(
            "The session is {}; it can be opened once it is Running.",
            status.as_str()
        ),
    )
}

/// Open a running session's page in the system browser.
pub async fn open_in_browser<R: Runtime>(
    app: &AppHandle<R>,
    session_id: &str,
) -> Result<(), ErrorPayload> {
    let s = app
        .state::<Platform>()
        .client()?
        .get_session(&SessionId::parse(session_id).map_err(payload)?)
        .await
        .map_err(payload)?;
    let url = match (&s.status, &s.connect_url) {
        (SessionStatus::Running, Some(u)) => u.clone(),
        (SessionStatus::Running, None) => return Err(no_page()),
        (st, _) => return Err(not_running(st)),
    };
    let url = skyport_core::links::connect_url(&url).map_err(payload)?;
    external::open(app, &url)
}

/// Open a Running session in its own Skyport window (a second call focuses it).
pub async fn open_window<R: Runtime>(
    app: &AppHandle<R>,
    session_id: &str,
) -> Result<(), ErrorPayload> {
    let platform = app.state::<Platform>();
    let s = platform
        .client()?
        .get_session(&SessionId::parse(session_id).map_err(payload)?)
        .await
        .map_err(payload)?;
    let url = s.connect_url.as_deref().ok_or_else(no_page)?;
    let page = skyport_core::links::connect_url(url).map_err(payload)?;
    if let Some(w) = app.get_webview_window(&windows::session_label(&s.id.0)) {
        let _ = w.set_focus();
        return Ok(());
    }
    // Most deployments protect pages by the session id alone; some ask for credentials.
    let opts = RelayOptions::default();
    let probe_http = relay::probe_client(&opts).map_err(payload)?;
    match relay::probe(&probe_http, &page).await.map_err(payload)? {
        Probe::Open => build_window(app, &s, page, None),
        Probe::NeedsAuth { challenges } => {
            let credential = relay::credential_for(&challenges, &platform.relay_credentials())
                .ok_or_else(|| {
                    ErrorPayload::new(
                        ErrorCode::SignInNeeded,
                        "The session page asks for credentials Skyport does not hold. Sign in (or get a certificate), then open it again.",
                    )
                })?;
            let scope = PathScope::for_session(&page, &s.id.0).map_err(payload)?;
            let relay = relay::start(page.clone(), scope, credential, opts)
                .await
                .map_err(payload)?;
            let entry = relay.entry_url_for(&page).ok_or_else(|| {
                ErrorPayload::new(
                    ErrorCode::Internal,
                    "Could not route the session page through the credential relay.",
                )
            })?;
            build_window(app, &s, entry, Some(relay))
        }
    }
}

/// Open (or focus) the window of a Running interactive session. With a relay, `page` is the
/// relay's entry URL and the relay lives as long as the window.
fn build_window<R: Runtime>(
    app: &AppHandle<R>,
    session: &Session,
    page: Url,
    relay: Option<RelayHandle>,
) -> Result<(), ErrorPayload> {
    if session.status != SessionStatus::Running {
        return Err(not_running(&session.status));
    }
    let label = windows::session_label(session.id.as_str());
    if let Some(w) = app.get_webview_window(&label) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        return Ok(());
    }
    let paths = app.state::<Platform>().paths.clone();
    let origin = page.clone();
    let kind = session.kind.as_str().to_string();
    let name = if session.name.is_empty() {
        session.id.0.clone()
    } else {
        session.name.clone()
    };
    let geometry = memory::load(&paths).geometry.get(&kind).copied();
    let nav_app = app.clone();
    let new_app = app.clone();
    let (nav_label, new_label) = (label.clone(), label.clone());
    let from = format!("{name} ({kind})");
    let nav_from = from.clone();
    let builder = WebviewWindowBuilder::new(app, &label, WebviewUrl::External(page))
        .title(format!("{name} — {kind} · Skyport"))
        .inner_size(
            geometry.map_or(1280.0, |g| g.width),
            geometry.map_or(820.0, |g| g.height),
        )
        .min_inner_size(480.0, 320.0)
        // Leaving the session's origin opens the system browser, never inside the app.
        .on_navigation(move |url| {
            if same_origin(url, &origin)
                || url.scheme() == "about"
                || url.scheme() == "blob"
                || url.scheme() == "data"
            {
                return true;
            }
            tracing::info!("session page navigates to another origin; opening it in the browser");
            external::open_from_page(&nav_app, url, &nav_label, &nav_from);
            false
        })
        // Pop-ups open in the browser, same-origin ones too (e.g. a notebook opened in a new
        // tab): the session id in the URL is the only protection, so the browser is fine.
        .on_new_window(move |url, _features| {
            external::open_from_page(&new_app, &url, &new_label, &from);
            NewWindowResponse::Deny
        })
        // A state line for people reading the log (and for the end-to-end tests, which wait
        // for it): no URL, it may carry the session id.
        .on_page_load(|_, payload| {
            if matches!(payload.event(), tauri::webview::PageLoadEvent::Finished) {
                tracing::info!("a session window finished loading its page");
            }
        });
    let mut builder = windows::with_download_handler(app, builder, Carrier::Session);
    if let (Some(x), Some(y)) = (geometry.and_then(|g| g.x), geometry.and_then(|g| g.y)) {
        builder = builder.position(x, y);
    }
    let window = builder.build().map_err(|e| {
        ErrorPayload::new(
            ErrorCode::Internal,
            format!("Could not open a window for the session: {e}"),
        )
    })?;
    if let Some(relay) = relay {
        app.state::<Relays>().insert(label.clone(), relay);
    }
    let id = session.id.0.clone();
    memory::update(&paths, |m| {
        if !m.open.contains(&id) {
            m.open.push(id.clone());
        }
    });
    let app2 = app.clone();
    let w2 = window.clone();
    window.on_window_event(move |event| match event {
        tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_) => {
            let scale = w2.scale_factor().unwrap_or(1.0);
            if let (Ok(size), Ok(pos)) = (w2.inner_size(), w2.outer_position()) {
                let g = Geometry {
                    width: f64::from(size.width) / scale,
                    height: f64::from(size.height) / scale,
                    x: Some(f64::from(pos.x) / scale),
                    y: Some(f64::from(pos.y) / scale),
                };
                memory::update(&paths, |m| {
                    m.geometry.insert(kind.clone(), g);
                });
            }
        }
        tauri::WindowEvent::CloseRequested { .. } => {
            // Closed by the user: not offered again at the next start.
            memory::update(&paths, |m| m.open.retain(|s| s != &id));
        }
        tauri::WindowEvent::Destroyed => {
            app2.state::<Relays>().remove(&label);
            lifetime::maybe_quit(&app2, Some(&label));
        }
        _ => {}
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let a = Url::parse("https://ws-uv.canfar.net/session/notebook/abc/lab").expect("url");
        assert!(same_origin(
            &a,
            &Url::parse("https://ws-uv.canfar.net/other").expect("url")
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://evil.example/").expect("url")
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("http://ws-uv.canfar.net/").expect("url")
        ));
        assert!(!same_origin(
            &a,
            &Url::parse("https://ws-uv.canfar.net:8443/").expect("url")
        ));
    }
}
