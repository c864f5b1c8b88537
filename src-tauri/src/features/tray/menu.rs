//! The tray's menu and icon, built from `skyport_core::tray::model`, and what its items do.

use skyport_core::status::CredentialState;
use skyport_core::tray::{model, CertSummary, TrayIcon as IconKind, TrayModel};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Manager, Runtime};

use crate::kernel::{lifetime, Bus, Platform, Signal};

pub(super) fn icon(kind: IconKind) -> Option<Image<'static>> {
    let bytes: &'static [u8] = match kind {
        IconKind::Fine => include_bytes!("../../../../icons/tray-fine.png"),
        IconKind::Expiring => include_bytes!("../../../../icons/tray-expiring.png"),
        IconKind::Expired => include_bytes!("../../../../icons/tray-expired.png"),
        IconKind::Error => include_bytes!("../../../../icons/tray-error.png"),
    };
    Image::from_bytes(bytes).ok()
}

/// What the tray shows now.
pub(super) fn current<R: Runtime>(app: &AppHandle<R>) -> TrayModel {
    let platform = app.state::<Platform>();
    let bus = app.state::<Bus>();
    let platform_set = platform.profile().is_ok();
    let sign_in_needed = platform_set
        && matches!(
            platform.credential_status().state,
            CredentialState::SignedOut | CredentialState::Expired
        );
    let cert = bus
        .cert()
        .map(|r| r.summary)
        .unwrap_or(CertSummary::Unknown);
    model(
        &cert,
        platform_set,
        sign_in_needed,
        &bus.sessions().sessions,
        chrono::Utc::now(),
    )
}

pub(super) fn build_menu<R: Runtime>(app: &AppHandle<R>, m: &TrayModel) -> tauri::Result<Menu<R>> {
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

/// A menu item was chosen: the tray acts on the kernel, or asks the features by signal.
pub(super) fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "open" => lifetime::show_main(app),
        "quit" => app.exit(0),
        "sign-in" => lifetime::show_main_at(app, Some("credentials")),
        "cert-renew" => app.state::<Bus>().send(Signal::RenewCertificate),
        other => {
            if let Some(session) = other.strip_prefix("session:") {
                app.state::<Bus>()
                    .send(Signal::OpenSessionWindow(session.to_string()));
            }
        }
    }
}
