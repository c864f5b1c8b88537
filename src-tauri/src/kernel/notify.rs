//! Desktop notifications: one per event, and never a failure when the desktop has no
//! notification service (the in-app notice still shows).

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::Notification;

/// Show a desktop notification; without a notification daemon (e.g. a bare X session), or
/// without the plugin (tests), it is logged and skipped.
pub fn show<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    let Some(plugin) = app.try_state::<Notification<R>>() else {
        tracing::info!("desktop notification not shown (no notification plugin): {title}");
        return;
    };
    if let Err(e) = plugin.builder().title(title).body(body).show() {
        tracing::warn!("desktop notification not shown: {e}");
    }
}
