//! Link commands: the UI takes what arrived.

use tauri::State;

use super::{LinkRequest, PendingLinks};

/// The links received since the last call (each is handed out once).
#[tauri::command]
#[specta::specta]
pub fn take_links(pending: State<'_, PendingLinks>) -> Vec<LinkRequest> {
    pending.take()
}
