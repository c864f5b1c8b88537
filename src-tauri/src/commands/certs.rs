//! Certificate commands: status, renew (with the best stored credential), and obtain
//! (with a username and password typed now).

use skyport_core::cert::obtain::CredAuth;
use skyport_core::cert::{renew_certificate, RenewOptions};
use skyport_core::error::ErrorPayload;
use skyport_core::keyring::{EntryKey, SecretStoreExt};
use skyport_core::secret::SecretString;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_notification::NotificationExt;

use crate::certs::{CertMonitor, CertView};
use crate::commands::auth::PASSWORD_ENTRY;
use crate::state::{payload, AppState};

#[tauri::command]
#[specta::specta]
pub fn cert_status(monitor: State<'_, CertMonitor>) -> Option<CertView> {
    monitor.view()
}

async fn renew<R: Runtime>(
    app: &AppHandle<R>,
    opts: RenewOptions,
) -> Result<CertView, ErrorPayload> {
    let state = app.state::<AppState>();
    let profile = state.resolved()?;
    let opts = RenewOptions {
        env_token: state.env_token(),
        ..opts
    };
    let renewed = renew_certificate(&state.paths, state.secrets.as_ref(), &profile, &opts)
        .await
        .map_err(payload)?;
    tracing::info!(used = %renewed.used, not_after = %renewed.info.not_after, "certificate renewed");
    // The watcher sees the new file too; publish now so the UI updates without waiting.
    crate::certs::refresh_now(app);
    app.state::<CertMonitor>().view().ok_or_else(|| {
        ErrorPayload::new(
            skyport_core::error::ErrorCode::Internal,
            "the certificate monitor is not running",
        )
    })
}

/// Renew with the stored password, ~/.netrc or the signed-in token.
#[tauri::command]
#[specta::specta]
pub async fn renew_certificate_now(app: AppHandle) -> Result<CertView, ErrorPayload> {
    renew(&app, RenewOptions::default()).await
}

/// Get a certificate with a username and password typed now; optionally remember the
/// password in the keyring so later renewals need nobody.
#[tauri::command]
#[specta::specta]
pub async fn obtain_certificate(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
    remember: bool,
) -> Result<CertView, ErrorPayload> {
    let profile = state.resolved()?;
    let password = SecretString::new(password);
    let auth = CredAuth::Basic {
        username: username.trim().to_string(),
        password: password.clone(),
    };
    let view = renew(
        &app,
        RenewOptions {
            explicit: Some(auth),
            ..Default::default()
        },
    )
    .await?;
    let key = EntryKey::new(profile.name.as_str(), PASSWORD_ENTRY);
    if remember {
        state.secrets.set(&key, &password).map_err(payload)?;
    }
    state.remember_username(&profile, username.trim());
    Ok(view)
}

/// The tray's "Renew certificate now": one notification with the outcome.
pub async fn renew_now<R: Runtime>(app: &AppHandle<R>) {
    let (title, body) = match renew(app, RenewOptions::default()).await {
        Ok(v) => (
            "Certificate renewed".to_string(),
            format!(
                "It is valid for {}.",
                v.countdown.unwrap_or_default().trim_end_matches(" left")
            ),
        ),
        Err(e) => ("Certificate not renewed".to_string(), e.message),
    };
    if let Err(e) = app
        .notification()
        .builder()
        .title(&title)
        .body(&body)
        .show()
    {
        tracing::warn!("notification not shown: {e}");
    }
}

/// An automatic renewal (the policy said it is due): the new certificate, or the error
/// code the policy needs to decide about retrying.
pub async fn renew_auto<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<skyport_core::cert::CertInfo, skyport_core::error::ErrorCode> {
    match renew(app, RenewOptions::default()).await {
        Ok(view) => view.info.ok_or(skyport_core::error::ErrorCode::Internal),
        Err(e) => {
            tracing::warn!("automatic certificate renewal failed: {}", e.message);
            Err(e.code)
        }
    }
}
