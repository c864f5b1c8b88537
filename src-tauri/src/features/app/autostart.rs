//! Start at login: what the setting does to the system. On Linux core writes the user's XDG
//! autostart entry; on macOS and Windows tauri-plugin-autostart registers the login item.
//! Either way the app starts with `--hidden` and only watches, renews and notifies.

use skyport_core::error::{ErrorCode, ErrorPayload};
use tauri::{AppHandle, Runtime};

/// Whether Skyport starts at login now (read from the system each time: a desktop tool may
/// have changed it).
pub fn is_enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
    imp::is_enabled(app)
}

/// Turn the start at login on or off, when it is not already so.
pub fn apply<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<(), ErrorPayload> {
    if imp::is_enabled(app) == on {
        return Ok(());
    }
    imp::set(app, on).map_err(|reason| ErrorPayload::new(ErrorCode::Io, reason))?;
    tracing::info!("start at login turned {}", if on { "on" } else { "off" });
    Ok(())
}

/// At start: an entry that no longer starts this program (the app was moved) is rewritten.
pub fn init<R: Runtime>(app: &AppHandle<R>) {
    imp::refresh(app);
}

#[cfg(target_os = "linux")]
mod imp {
    use skyport_core::autostart::Autostart;
    use tauri::{AppHandle, Runtime};

    pub fn is_enabled<R: Runtime>(_app: &AppHandle<R>) -> bool {
        Autostart::for_this_run().is_ok_and(|a| a.is_enabled())
    }

    pub fn set<R: Runtime>(_app: &AppHandle<R>, on: bool) -> Result<(), String> {
        Autostart::for_this_run()
            .and_then(|a| a.set(on))
            .map_err(|e| e.to_string())
    }

    pub fn refresh<R: Runtime>(_app: &AppHandle<R>) {
        match Autostart::for_this_run().and_then(|a| a.refresh()) {
            Ok(true) => tracing::info!("start-at-login entry now starts this program"),
            Ok(false) => {}
            Err(e) => tracing::warn!("could not update the start-at-login entry: {e}"),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use tauri::{AppHandle, Runtime};
    use tauri_plugin_autostart::ManagerExt;

    pub fn is_enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
        app.autolaunch().is_enabled().unwrap_or(false)
    }

    pub fn set<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<(), String> {
        let manager = app.autolaunch();
        let done = if on {
            manager.enable()
        } else {
            manager.disable()
        };
        done.map_err(|e| {
            format!("Could not change the start at login: {e}. Check the login items in your system settings.")
        })
    }

    /// The plugin registers the running program each time; nothing to refresh.
    pub fn refresh<R: Runtime>(_app: &AppHandle<R>) {}
}
