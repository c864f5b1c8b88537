//! App-level commands: what the shell shows before any platform call.

use serde::Serialize;
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::status::CredentialStatus;
use tauri::State;

use crate::state::{AppState, PlatformSetting};

/// Facts about this installation, for the Settings and About views.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub config_dir: String,
    pub data_dir: String,
    pub log_dir: String,
    pub cert_file: String,
    /// Where downloads from session windows are saved.
    pub downloads_dir: String,
}

/// The platform the app is pointed at.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlatformStatus {
    /// The service URL, e.g. `https://ws-uv.canfar.net/skaha`; absent when none is set.
    pub service_url: Option<String>,
    /// Where the setting came from, in words.
    pub source: String,
}

/// The user clicked or typed in the main window: it is in use again after having been closed
/// (see tray::MainClosed), so closing the last session window must not quit.
#[tauri::command]
#[specta::specta]
pub fn main_window_used(app: tauri::AppHandle) {
    use tauri::Manager;
    if let Some(flag) = app.try_state::<crate::tray::MainClosed>() {
        if flag.0.swap(false, std::sync::atomic::Ordering::SeqCst) {
            tracing::info!("main window in use again");
        }
    }
}

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    let p = &state.paths;
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_dir: p.config_dir.display().to_string(),
        data_dir: p.data_dir.display().to_string(),
        log_dir: p.log_dir().display().to_string(),
        cert_file: p.cert_file().display().to_string(),
        downloads_dir: p.downloads_dir.display().to_string(),
    }
}

#[tauri::command]
#[specta::specta]
pub fn credential_status(state: State<'_, AppState>) -> CredentialStatus {
    state.credential_status()
}

#[tauri::command]
#[specta::specta]
pub fn platform_status(state: State<'_, AppState>) -> Result<PlatformStatus, ErrorPayload> {
    match state.platform() {
        PlatformSetting::None => Ok(PlatformStatus {
            service_url: None,
            source: "No platform configured yet".into(),
        }),
        PlatformSetting::Ready(p) => Ok(PlatformStatus {
            service_url: Some(p.service.as_str().to_string()),
            source: if p.from_env {
                format!(
                    "From the {} environment variable",
                    skyport_core::platform::URL_ENV
                )
            } else {
                format!(
                    "Profile \"{}\" in {}",
                    p.name,
                    state.paths.config_file().display()
                )
            },
        }),
        PlatformSetting::Invalid(e) => Err(ErrorPayload::new(ErrorCode::Config, e)),
    }
}
