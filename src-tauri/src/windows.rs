//! Interactive sessions in their own Skyport windows.
//!
//! One window per session (label `session-<id>`; a second open focuses it), titled with the
//! session's name and kind, its size and position remembered per kind. The page is remote
//! and untrusted: the window gets no Tauri IPC (capabilities/main.json lists only the main
//! window, and no capability has `remote` URLs), and any navigation or new window that
//! leaves the session's origin opens in the system browser instead.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::skaha::{Session, SessionStatus};
use tauri::webview::NewWindowResponse;
use tauri::Url;
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::state::AppState;

/// Window label for a session.
pub fn label(session_id: &str) -> String {
    format!("session-{session_id}")
}

/// Size and position of a window, remembered per session kind.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Geometry {
    pub width: f64,
    pub height: f64,
    pub x: Option<f64>,
    pub y: Option<f64>,
}

/// What is remembered between runs (a field missing from the file is taken as empty, not
/// a reason to forget the rest).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowMemory {
    pub geometry: BTreeMap<String, Geometry>,
    /// Session windows open when the app last quit: offered again at start.
    pub open: Vec<String>,
}

fn memory_file(app: &AppHandle<impl Runtime>) -> PathBuf {
    app.state::<AppState>()
        .paths
        .state_dir
        .join("session-windows.json")
}

pub fn load_memory<R: Runtime>(app: &AppHandle<R>) -> WindowMemory {
    std::fs::read(memory_file(app))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_memory<R: Runtime>(app: &AppHandle<R>, m: &WindowMemory) {
    if let Ok(bytes) = serde_json::to_vec_pretty(m) {
        if let Err(e) = skyport_core::fsutil::write_atomic(&memory_file(app), &bytes) {
            tracing::warn!("could not remember session windows: {e}");
        }
    }
}

fn update_memory<R: Runtime>(app: &AppHandle<R>, f: impl FnOnce(&mut WindowMemory)) {
    let mut m = load_memory(app);
    f(&mut m);
    save_memory(app, &m);
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Relays that serve session windows, by window label; dropped (stopped) with the window.
#[derive(Default)]
pub struct Relays(std::sync::Mutex<BTreeMap<String, skyport_core::relay::RelayHandle>>);

/// Open (or focus) the window of a Running interactive session. With a relay, `page` is the
/// relay's entry URL and the relay lives as long as the window.
pub fn open_session_window<R: Runtime>(
    app: &AppHandle<R>,
    session: &Session,
    page: Url,
    relay: Option<skyport_core::relay::RelayHandle>,
) -> Result<(), ErrorPayload> {
    if session.status != SessionStatus::Running {
        return Err(ErrorPayload::new(
            ErrorCode::Validation,
            format!(
                "The session is {}; it can be opened once it is Running.",
                session.status.as_str()
            ),
        ));
    }
    let label = label(session.id.as_str());
    if let Some(w) = app.get_webview_window(&label) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        return Ok(());
    }
    let origin = page.clone();
    let kind = session.kind.as_str().to_string();
    let name = if session.name.is_empty() {
        session.id.0.clone()
    } else {
        session.name.clone()
    };
    let geometry = load_memory(app).geometry.get(&kind).copied();
    let nav_app = app.clone();
    let nav_origin = origin.clone();
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
            if same_origin(url, &nav_origin)
                || url.scheme() == "about"
                || url.scheme() == "blob"
                || url.scheme() == "data"
            {
                return true;
            }
            tracing::info!("session page navigates to another origin; opening it in the browser");
            crate::external::open_from_page(&nav_app, url, &nav_label, &nav_from);
            false
        })
        // Pop-ups open in the browser, same-origin ones too (e.g. a notebook opened in a new
        // tab): the session id in the URL is the only protection, so the browser is fine.
        .on_new_window(move |url, _features| {
            crate::external::open_from_page(&new_app, &url, &new_label, &from);
            NewWindowResponse::Deny
        });
    // A state line for people reading the log (and for the end-to-end tests, which wait for
    // it): no URL, it may carry the session id.
    let builder = builder.on_page_load(|_, payload| {
        if matches!(payload.event(), tauri::webview::PageLoadEvent::Finished) {
            tracing::info!("a session window finished loading its page");
        }
    });
    let mut builder = crate::downloads::attach(app, builder, crate::downloads::Carrier::Session);
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
        if let Some(relays) = app.try_state::<Relays>() {
            if let Ok(mut map) = relays.0.lock() {
                map.insert(label.clone(), relay);
            }
        }
    }
    let id = session.id.0.clone();
    update_memory(app, |m| {
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
                update_memory(&app2, |m| {
                    m.geometry.insert(kind.clone(), g);
                });
            }
        }
        tauri::WindowEvent::CloseRequested { .. } => {
            // Closed by the user: not offered again at the next start.
            update_memory(&app2, |m| m.open.retain(|s| s != &id));
        }
        tauri::WindowEvent::Destroyed => {
            let label = format!("session-{id}");
            if let Some(relays) = app2.try_state::<Relays>() {
                if let Ok(mut map) = relays.0.lock() {
                    map.remove(&label);
                }
            }
            crate::tray::maybe_quit(&app2, Some(&label));
        }
        _ => {}
    });
    Ok(())
}

/// The app's own pages: the only place IPC is allowed.
fn is_app_page(url: &Url) -> bool {
    matches!(url.scheme(), "tauri" | "asset") || url.host_str() == Some("tauri.localhost")
}

/// Keep a window of the app's own pages on them: links to the web (including
/// `target="_blank"` ones such as the device-code page) open in the system browser.
pub fn app_pages_only<'a, R: Runtime, M: Manager<R>>(
    app: &AppHandle<R>,
    builder: WebviewWindowBuilder<'a, R, M>,
) -> WebviewWindowBuilder<'a, R, M> {
    let nav_app = app.clone();
    let new_app = app.clone();
    builder
        .on_navigation(move |url| {
            if is_app_page(url) {
                return true;
            }
            crate::external::open_from_page(&nav_app, url, "main", "Skyport");
            false
        })
        .on_new_window(move |url, _| {
            crate::external::open_from_page(&new_app, &url, "main", "Skyport");
            NewWindowResponse::Deny
        })
}

/// Create the main window from its configuration, kept on the app's own pages.
pub fn create_main_window<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let Some(config) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
    else {
        return Ok(());
    };
    let builder = app_pages_only(app, WebviewWindowBuilder::from_config(app, &config)?);
    crate::downloads::attach(app, builder, crate::downloads::Carrier::Main).build()?;
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

    #[test]
    fn memory_with_a_missing_field_keeps_the_rest() {
        let m: WindowMemory = serde_json::from_str(r#"{"open": ["abc"]}"#).expect("parse");
        assert_eq!(m.open, ["abc"]);
        assert!(m.geometry.is_empty());
    }

    #[test]
    fn labels_are_valid_window_labels() {
        let l = label("k3x9q2ab");
        assert!(
            l.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-/:_".contains(c)),
            "{l}"
        );
    }
}
