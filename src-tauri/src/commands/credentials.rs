//! Credential commands (for now: a bearer token pasted by the user, kept in the keyring).

use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::secret::SecretString;
use skyport_core::status::CredentialStatus;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::events::CredentialStatusChanged;
use crate::state::AppState;

/// Keep a pasted token in the OS keyring and use it for the platform.
#[tauri::command]
#[specta::specta]
pub fn save_token(
    app: AppHandle,
    state: State<'_, AppState>,
    token: String,
) -> Result<CredentialStatus, ErrorPayload> {
    let token = token.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(ErrorPayload::new(
            ErrorCode::Validation,
            "Paste the token alone, without spaces or line breaks.",
        ));
    }
    state.save_token(SecretString::new(token.to_string()))?;
    let status = state.credential_status();
    let _ = CredentialStatusChanged(status.clone()).emit(&app);
    state.sessions.poke();
    Ok(status)
}

/// Forget the saved token.
#[tauri::command]
#[specta::specta]
pub fn forget_token(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<CredentialStatus, ErrorPayload> {
    state.forget_token()?;
    let status = state.credential_status();
    let _ = CredentialStatusChanged(status.clone()).emit(&app);
    state.sessions.poke();
    Ok(status)
}
