//! Settings commands.

use skyport_core::error::{ErrorCode, ErrorPayload};
use tauri::State;

use crate::settings::Settings;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    Settings::load(&state.paths)
}

#[tauri::command]
#[specta::specta]
pub fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, ErrorPayload> {
    if !(1..=336).contains(&settings.expiry_warning_hours) {
        return Err(ErrorPayload::new(
            ErrorCode::Validation,
            "Warn between 1 and 336 hours (14 days) before expiry.",
        ));
    }
    settings.save(&state.paths).map_err(|e| {
        ErrorPayload::new(ErrorCode::Io, format!("Could not save the settings: {e}"))
    })?;
    Ok(settings)
}
