//! The shell's kernel: what every feature stands on, and nothing feature-specific.
//!
//! - [`settings`]: the user's settings, owned once, cached and published on change;
//! - [`platform`]: the platform in use, its credential and the kept connection;
//! - [`bus`]: the signals and watch channels by which features reach each other;
//! - [`events`]: the typed events the UI hears;
//! - [`lifetime`] and [`windows`]: window lifetime, the quit rules, window labels;
//! - [`notify`] and [`external`]: desktop notifications and the system opener.
//!
//! The kernel depends on core only; features depend on the kernel and never on each other.

pub mod bus;
pub mod events;
pub mod external;
pub mod lifetime;
pub mod notify;
pub mod platform;
pub mod settings;
pub mod windows;

use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

pub use bus::{Bus, Signal};
pub use platform::Platform;
pub use settings::{Settings, SettingsStore};

/// Map any coded core error for the UI (`{code, message}`).
pub fn payload<E: skyport_core::error::Coded>(e: E) -> skyport_core::error::ErrorPayload {
    skyport_core::error::ErrorPayload::from_coded(&e)
}

/// Put the kernel's state in place; before any feature starts.
pub fn init<R: Runtime>(app: &AppHandle<R>, platform: Platform) {
    let config = platform.paths.config_file();
    app.manage(SettingsStore::load(&platform.paths));
    app.manage(platform);
    app.manage(Bus::default());
    app.manage(lifetime::Lifetime::default());
    app.manage(windows::DownloadHook::<R>::default());
    app.manage(watch_config(app, config));
}

/// The config file, watched: `skyport profiles use` in a terminal switches the app too.
pub struct ConfigWatch(#[allow(dead_code)] Option<skyport_core::fswatch::FileWatch>);

fn watch_config<R: Runtime>(app: &AppHandle<R>, file: std::path::PathBuf) -> ConfigWatch {
    if let Some(dir) = file.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            tracing::warn!("cannot create the config folder {}: {e}", dir.display());
        }
    }
    let handle = app.clone();
    match skyport_core::fswatch::FileWatch::start(file, move || platform_changed(&handle)) {
        Ok(w) => ConfigWatch(Some(w)),
        Err(e) => {
            tracing::warn!(
                "cannot watch the config file (a switch in the CLI needs a restart): {e}"
            );
            ConfigWatch(None)
        }
    }
}

/// The configuration changed (here or in the CLI): read it again, and when another
/// platform is in use now, tell the UI and every feature (lists, tray, sign-in follow it).
pub fn platform_changed<R: Runtime>(app: &AppHandle<R>) {
    let platform = app.state::<Platform>();
    if platform.reload() {
        tracing::info!(platform = %platform.summary(), "the platform in use changed");
        // Nothing of the last platform's list may show under the new one.
        let empty = skyport_core::sessions::SessionsSnapshot::default();
        app.state::<Bus>().sessions.send_replace(empty.clone());
        let _ = events::SessionsUpdated(empty).emit(app);
        let _ = events::PlatformChanged.emit(app);
        app.state::<Bus>().send(Signal::PlatformChanged);
        credential_changed(app, true);
    }
}

/// The credential, or what is known about it, changed: the UI hears the new status and the
/// features listening on the bus are told. `replaced`: a different credential is in use
/// now, so the kept connection is dropped and lists are fetched again.
///
/// The certificate's watcher calls this every 30 s (the status moves with time: expiring,
/// expired); the UI hears a status only when it differs from the last one it heard, or for
/// a replaced credential, so an idle window is not woken for nothing.
pub fn credential_changed<R: Runtime>(app: &AppHandle<R>, replaced: bool) {
    let platform = app.state::<Platform>();
    if replaced {
        platform.forget_connection();
    }
    let status = platform.credential_status();
    let bus = app.state::<Bus>();
    if bus.credential_said.news(&status, replaced) {
        let _ = events::CredentialStatusChanged(status).emit(app);
    }
    bus.send(Signal::CredentialChanged { replaced });
}

#[cfg(test)]
mod tests {
    use skyport_core::keyring::SecretStoreExt as _;
    use tauri::Manager;

    use super::{credential_changed, Platform};

    /// The 30 s re-checks of an unchanged credential send the page nothing; a changed status
    /// or a replaced credential is sent. (Rust listeners hear an event as it is emitted.)
    #[test]
    fn the_page_hears_a_credential_status_once() {
        let m = crate::testing::app_at("http://127.0.0.1:9/skaha");
        let app = m.app.handle();
        let heard = crate::testing::Heard::on(app, &["credential-status-changed"]);
        let count = || heard.len();
        credential_changed(app, false);
        assert_eq!(count(), 1, "the first status");
        for _ in 0..3 {
            credential_changed(app, false);
        }
        assert_eq!(count(), 1, "unchanged re-checks are not sent");
        // Another status (a token now): heard; the same again with `replaced`: heard.
        app.state::<Platform>()
            .secrets
            .set(
                &skyport_core::connect::TokenSlot::Token.key("lab"),
                &skyport_core::secret::SecretString::new("t0ken".into()),
            )
            .expect("token");
        credential_changed(app, false);
        assert_eq!(count(), 2, "a new status");
        credential_changed(app, true);
        credential_changed(app, false);
        assert_eq!(count(), 3, "a replaced credential, once");
        let said = heard.payloads();
        assert_ne!(said[0], said[1], "{said:?}");
    }
}
