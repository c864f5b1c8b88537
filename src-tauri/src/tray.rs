//! The system tray: the certificate countdown, renew, sign in, running sessions, open, quit.
//!
//! The menu is rebuilt from `skyport_core::tray::model` whenever something it shows
//! changes (certificate, credential, sessions) and once a minute for the countdown. With
//! no tray host on the desktop, the icon is invisible; closing the window then quits
//! instead of hiding, so the app is never stranded.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use crate::certs::CertMonitor;
use crate::events::Navigate;
use crate::state::AppState;
use skyport_core::status::CredentialState;
use skyport_core::tray::{model, TrayIcon as IconKind, TrayModel};

const TRAY_ID: &str = "skyport";

fn icon(kind: IconKind) -> Option<Image<'static>> {
    let bytes: &'static [u8] = match kind {
        IconKind::Fine => include_bytes!("../../icons/tray-fine.png"),
        IconKind::Expiring => include_bytes!("../../icons/tray-expiring.png"),
        IconKind::Expired => include_bytes!("../../icons/tray-expired.png"),
        IconKind::Error => include_bytes!("../../icons/tray-error.png"),
    };
    Image::from_bytes(bytes).ok()
}

/// Is there a StatusNotifier host to show tray icons? (Linux; elsewhere always yes.)
pub fn tray_host_present() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.kde.StatusNotifierWatcher",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
        .unwrap_or(false)
}

/// What the tray shows now.
fn current<R: Runtime>(app: &AppHandle<R>) -> TrayModel {
    let state = app.state::<AppState>();
    let platform_set = state.resolved().is_ok();
    let sign_in_needed = platform_set
        && matches!(
            state.credential_status().state,
            CredentialState::SignedOut | CredentialState::Expired
        );
    model(
        &app.state::<CertMonitor>().summary(),
        platform_set,
        sign_in_needed,
        &state.sessions.snapshot().sessions,
        chrono::Utc::now(),
    )
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, m: &TrayModel) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        "cert-status",
        &m.cert_line,
        false,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        "cert-renew",
        &m.renew_label,
        m.can_renew,
        None::<&str>,
    )?)?;
    if m.show_sign_in {
        menu.append(&MenuItem::with_id(
            app,
            "sign-in",
            "Sign in…",
            true,
            None::<&str>,
        )?)?;
    }
    let running = Submenu::with_id(app, "sessions", "Running sessions", !m.sessions.is_empty())?;
    for (id, label) in &m.sessions {
        running.append(&MenuItem::with_id(
            app,
            format!("session:{id}"),
            label,
            true,
            None::<&str>,
        )?)?;
    }
    menu.append(&running)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        "open",
        "Open Skyport",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        "quit",
        "Quit Skyport",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

/// Bring the main window back and to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "open" => show_main(app),
        "quit" => app.exit(0),
        "sign-in" => {
            show_main(app);
            let _ = Navigate {
                view: "credentials".into(),
            }
            .emit(app);
        }
        "cert-renew" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                crate::commands::certs::renew_now(&app).await;
            });
        }
        other => {
            if let Some(session) = other.strip_prefix("session:") {
                let app = app.clone();
                let session = session.to_string();
                tauri::async_runtime::spawn(async move {
                    crate::commands::sessions::open_from_tray(&app, &session).await;
                });
            }
        }
    }
}

/// Whether a tray host was found at start (managed state).
pub struct TrayHost(pub bool);

/// Whether closing the main window leaves Skyport in the tray.
fn stays_in_tray<R: Runtime>(app: &AppHandle<R>) -> bool {
    let host = app.try_state::<TrayHost>().is_some_and(|h| h.0);
    host && crate::settings::Settings::load(&app.state::<AppState>().paths).keep_in_tray
}

/// Set when the user closed the main window of a Skyport without a tray while other windows
/// stayed open; cleared when the user clicks or types in the main window again (focus alone
/// says nothing: it also arrives when a window above closes).
#[derive(Default)]
pub struct MainClosed(pub std::sync::atomic::AtomicBool);

/// Session windows and download prompts open now, other than `except`.
fn other_windows<R: Runtime>(app: &AppHandle<R>, except: Option<&str>) -> usize {
    app.webview_windows()
        .keys()
        .filter(|l| {
            (l.starts_with("session-") || l.starts_with(crate::downloads::PROMPT_PREFIX))
                && Some(l.as_str()) != except
        })
        .count()
}

/// Closing the main window: hide it to the tray when the setting says so and a tray host
/// exists. Otherwise Skyport lives as long as one of its windows: while session windows (or
/// download prompts) are open the main window is only minimized, so it can be brought back
/// from the taskbar (on Linux it also carries the download handler, see downloads.rs), and
/// closing the last window quits.
pub fn on_close_requested<R: Runtime>(window: &tauri::Window<R>, api: &tauri::CloseRequestApi) {
    if window.label() != "main" {
        return;
    }
    let app = window.app_handle();
    if stays_in_tray(app) {
        api.prevent_close();
        let _ = window.hide();
    } else if other_windows(app, None) > 0 {
        api.prevent_close();
        let _ = window.minimize();
        if let Some(flag) = app.try_state::<MainClosed>() {
            flag.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        tracing::info!("main window closed; Skyport stays while other windows are open");
    }
}

/// A window other than the main one has gone (`gone`), or a download ended: when the user had
/// closed the main window of a Skyport without a tray and nothing else is left — no session
/// window, no prompt, no "Save" still to carry out — quit.
pub fn maybe_quit<R: Runtime>(app: &AppHandle<R>, gone: Option<&str>) {
    let closed = app
        .try_state::<MainClosed>()
        .is_some_and(|f| f.0.load(std::sync::atomic::Ordering::SeqCst));
    if !closed || stays_in_tray(app) || other_windows(app, gone) > 0 {
        return;
    }
    if app
        .try_state::<crate::downloads::DownloadBook>()
        .is_some_and(|b| b.saves_pending())
    {
        return;
    }
    app.exit(0);
}

/// Create the tray icon. Errors are logged: the app works without a tray.
pub fn setup<R: Runtime>(app: &AppHandle<R>) {
    let host = tray_host_present();
    if !host {
        tracing::warn!("no StatusNotifier tray host on this desktop: the tray icon shows only in an old-style (XEmbed) tray, and closing the window quits Skyport");
    }
    app.manage(TrayHost(host));
    let m = current(app);
    let menu = match build_menu(app, &m) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("tray menu could not be built: {e}");
            return;
        }
    };
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(&m.tooltip)
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(i) = icon(m.icon) {
        builder = builder.icon(i);
    }
    if let Err(e) = builder.build(app) {
        tracing::warn!("no system tray: {e}; Skyport carries on without it");
    }
    // Keep the countdown live.
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            refresh(&handle);
        }
    });
}

/// Rebuild the menu, icon and tooltip from the current state.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray): Option<TrayIcon<R>> = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let m = current(app);
    if let Ok(menu) = build_menu(app, &m) {
        let _ = tray.set_menu(Some(menu));
        // A state line when the running sessions change (the end-to-end tests wait for it).
        static LISTED: std::sync::atomic::AtomicUsize =
            std::sync::atomic::AtomicUsize::new(usize::MAX);
        let n = m.sessions.len();
        if LISTED.swap(n, std::sync::atomic::Ordering::SeqCst) != n {
            tracing::info!("tray menu lists {n} running session(s)");
        }
    }
    let _ = tray.set_icon(icon(m.icon));
    let _ = tray.set_tooltip(Some(&m.tooltip));
}
