//! Session window commands: thin adapters over [`super::open`].

use skyport_core::error::ErrorPayload;
use skyport_core::skaha::Session;
use tauri::AppHandle;

/// Open a running session's page in the system browser.
#[tauri::command]
#[specta::specta]
pub async fn open_session_in_browser(
    app: AppHandle,
    session_id: String,
) -> Result<(), ErrorPayload> {
    super::open::open_in_browser(&app, &session_id).await
}

/// Open a Running session in its own window.
#[tauri::command]
#[specta::specta]
pub async fn open_session_window(app: AppHandle, session_id: String) -> Result<(), ErrorPayload> {
    super::open::open_window(&app, &session_id).await
}

/// Session windows that were open when Skyport last quit and whose sessions still run.
#[tauri::command]
#[specta::specta]
pub fn windows_to_reopen(app: AppHandle) -> Vec<Session> {
    super::to_offer(&app)
}
