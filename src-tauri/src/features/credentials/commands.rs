//! Credential commands: thin adapters over [`super::account`].

use skyport_core::auth::signin::SignInMode;
use skyport_core::error::ErrorPayload;
use skyport_core::secret::SecretString;
use skyport_core::status::CredentialStatus;
use tauri::{AppHandle, State};

use super::account::{self, AuthInfo};
use super::Credentials;
use crate::kernel::Platform;

/// How the user can sign in to the current platform, and how they are signed in now.
#[tauri::command]
#[specta::specta]
pub fn auth_info(platform: State<'_, Platform>) -> AuthInfo {
    account::auth_info(&platform)
}

/// Browser or device sign-in with the profile's OpenID Connect provider.
#[tauri::command]
#[specta::specta]
pub async fn sign_in(app: AppHandle, mode: SignInMode) -> Result<AuthInfo, ErrorPayload> {
    account::sign_in(&app, mode).await
}

/// Stop a running browser or device sign-in.
#[tauri::command]
#[specta::specta]
pub fn cancel_sign_in(credentials: State<'_, Credentials>) -> bool {
    account::cancel_sign_in(&credentials)
}

/// CADC-style sign-in with a username and password (optionally remembered for renewals).
#[tauri::command]
#[specta::specta]
pub async fn sign_in_password(
    app: AppHandle,
    username: String,
    password: String,
    remember: bool,
) -> Result<AuthInfo, ErrorPayload> {
    account::sign_in_password(&app, &username, SecretString::new(password), remember).await
}

/// Sign out: revoke what the provider allows, delete the profile's secrets.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(app: AppHandle) -> Result<AuthInfo, ErrorPayload> {
    account::sign_out(&app).await
}

/// Keep a pasted token in the OS keyring and use it for the platform.
#[tauri::command]
#[specta::specta]
pub fn save_token(app: AppHandle, token: String) -> Result<CredentialStatus, ErrorPayload> {
    account::save_token(&app, &token)
}

/// Forget the saved token.
#[tauri::command]
#[specta::specta]
pub fn forget_token(app: AppHandle) -> Result<CredentialStatus, ErrorPayload> {
    account::forget_token(&app)
}
