//! App-level commands: what the shell shows before any platform call, and the settings.

use serde::Serialize;
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::status::CredentialStatus;
use tauri::{AppHandle, State};

use super::autostart;
use crate::kernel::lifetime::{Lifetime, Missed, PageTimes};
use crate::kernel::platform::{Platform, PlatformSetting};
use crate::kernel::{Settings, SettingsStore};

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

/// The user clicked or typed in the main window: it is in use again after having been
/// closed, so closing the last session window must not quit.
#[tauri::command]
#[specta::specta]
pub fn main_window_used(lifetime: State<'_, Lifetime>) {
    lifetime.main_in_use();
}

/// What the main page missed while it rested in the tray (a view it was asked to show,
/// session notices): the page takes it once when it loads.
#[tauri::command]
#[specta::specta]
pub fn take_missed(lifetime: State<'_, Lifetime>) -> Missed {
    lifetime.take_missed()
}

#[tauri::command]
#[specta::specta]
pub fn app_info(platform: State<'_, Platform>) -> AppInfo {
    let p = &platform.paths;
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
pub fn credential_status(platform: State<'_, Platform>) -> CredentialStatus {
    platform.credential_status()
}

#[tauri::command]
#[specta::specta]
pub fn platform_status(platform: State<'_, Platform>) -> Result<PlatformStatus, ErrorPayload> {
    match platform.setting() {
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
                    platform.paths.config_file().display()
                )
            },
        }),
        PlatformSetting::Invalid(e) => Err(ErrorPayload::new(ErrorCode::Config, e)),
    }
}

#[tauri::command]
#[specta::specta]
pub fn get_settings(app: AppHandle, settings: State<'_, SettingsStore>) -> Settings {
    Settings {
        start_at_login: autostart::is_enabled(&app),
        ..settings.get()
    }
}

/// The UI painted the session list (once per run it counts: the start-up figure).
#[tauri::command]
#[specta::specta]
pub fn list_painted(sessions: u32, page: PageTimes) {
    crate::kernel::lifetime::list_painted(sessions, page);
}

/// Keep new settings; they apply at once.
#[tauri::command]
#[specta::specta]
pub fn save_settings(
    app: AppHandle,
    store: State<'_, SettingsStore>,
    settings: Settings,
) -> Result<Settings, ErrorPayload> {
    settings.check()?;
    autostart::apply(&app, settings.start_at_login)?;
    store.save(settings)
}
