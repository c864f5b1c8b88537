//! Download prompt commands: what a prompt shows, and the user's answer.

use skyport_core::downloads::Offer;
use skyport_core::error::ErrorPayload;
use tauri::AppHandle;

use super::prompt;

/// The download a prompt window asks about.
#[tauri::command]
#[specta::specta]
pub async fn download_offer(
    app: AppHandle,
    window: tauri::Window,
    id: u32,
) -> Result<Offer, ErrorPayload> {
    prompt::offer(&app, window.label(), id)
}

/// Save the download in the Downloads folder (now, or when it arrives), or not. Async, so it
/// runs off the UI thread.
#[tauri::command]
#[specta::specta]
pub async fn decide_download(
    app: AppHandle,
    window: tauri::Window,
    id: u32,
    save: bool,
) -> Result<Offer, ErrorPayload> {
    prompt::decide(&app, window.label(), id, save)
}

/// The prompt's buttons are armed (`ready`), or no longer (it lost focus). Save is refused
/// until its own prompt says so.
#[tauri::command]
#[specta::specta]
pub fn download_prompt_ready(
    app: AppHandle,
    window: tauri::Window,
    id: u32,
    ready: bool,
) -> Result<(), ErrorPayload> {
    prompt::prompt_ready(&app, window.label(), id, ready)
}
