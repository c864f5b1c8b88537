//! Certificate commands: thin adapters over [`super::renewal`].

use skyport_core::cert::CertView;
use skyport_core::error::ErrorPayload;
use skyport_core::secret::SecretString;
use tauri::AppHandle;

use super::renewal;

#[tauri::command]
#[specta::specta]
pub fn cert_status(app: AppHandle) -> Option<CertView> {
    super::view(&app)
}

/// Renew with the stored password, ~/.netrc or the signed-in token.
#[tauri::command]
#[specta::specta]
pub async fn renew_certificate_now(app: AppHandle) -> Result<CertView, ErrorPayload> {
    renewal::renew_with_stored(&app).await
}

/// Get a certificate with a username and password typed now; optionally remember the
/// password in the keyring so later renewals need nobody.
#[tauri::command]
#[specta::specta]
pub async fn obtain_certificate(
    app: AppHandle,
    username: String,
    password: String,
    remember: bool,
) -> Result<CertView, ErrorPayload> {
    renewal::obtain(&app, &username, SecretString::new(password), remember).await
}
