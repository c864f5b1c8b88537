//! Sign-in commands: browser (PKCE + loopback) and device-code OIDC, CADC-style password
//! sign-in, sign-out, and what the Credentials view shows.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use skyport_core::auth::oidc::{self, DevicePrompt, SignInRecord};
use skyport_core::auth::password;
use skyport_core::auth::signin::{self, SignInHooks, SignInMode};
use skyport_core::connect::TokenSlot;
use skyport_core::error::ErrorPayload;
use skyport_core::keyring::{EntryKey, SecretStoreExt};
use skyport_core::secret::SecretString;
use skyport_core::status::CredentialStatus;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::events::{CredentialStatusChanged, SignInProgress};
use crate::state::{payload, AppState};

/// Keyring entry of a remembered CADC password (for unattended certificate renewal); the
/// same entry the renewal code reads.
pub use skyport_core::cert::renew::PASSWORD_ENTRY;

/// How the user can sign in to the current platform, and how they are signed in now.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfo {
    pub profile: Option<String>,
    /// The OIDC issuer, when the profile has one (browser and device sign-in).
    pub oidc_issuer: Option<String>,
    /// Where password sign-in goes (the profile's login URL or the platform's `/ac/login`).
    pub password_login_url: Option<String>,
    pub username: Option<String>,
    pub sign_in: Option<SignInRecord>,
    pub credential: CredentialStatus,
    /// Where secrets are kept, in words.
    pub storage: String,
    /// Whether a password is remembered for unattended certificate renewal.
    pub password_remembered: bool,
    /// Only in sign-out's answer: which tokens the provider revoked, and why not the others.
    pub sign_out: Option<oidc::SignOutReport>,
}

/// Progress of a running sign-in, for the words shown while it runs.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "stage")]
pub enum SignInStage {
    OpeningBrowser,
    WaitingForBrowser { url: String },
    DeviceCode { prompt: DevicePromptView },
    Done,
    Failed { error: ErrorPayload },
}

/// Wire form of the device prompt.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DevicePromptView {
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in_secs: u32,
}

impl From<&DevicePrompt> for DevicePromptView {
    fn from(p: &DevicePrompt) -> Self {
        Self {
            user_code: p.user_code.clone(),
            verification_uri: p.verification_uri.clone(),
            verification_uri_complete: p.verification_uri_complete.clone(),
            expires_in_secs: u32::try_from(p.expires_in_secs).unwrap_or(u32::MAX),
        }
    }
}

#[tauri::command]
#[specta::specta]
pub fn auth_info(state: State<'_, AppState>) -> AuthInfo {
    let profile = state.resolved().ok();
    let name = profile.as_ref().map(|p| p.name.clone());
    AuthInfo {
        oidc_issuer: profile
            .as_ref()
            .and_then(|p| p.profile.oidc.as_ref().map(|o| o.issuer.clone())),
        password_login_url: profile.as_ref().map(|p| {
            p.profile
                .login_url
                .clone()
                .unwrap_or_else(|| password::default_login_url(&p.service).to_string())
        }),
        username: profile.as_ref().and_then(|p| p.profile.username.clone()),
        sign_in: name
            .as_deref()
            .and_then(|n| oidc::load_record(&state.paths, n)),
        password_remembered: name.as_deref().is_some_and(|n| {
            matches!(
                state.secrets.get(&EntryKey::new(n, PASSWORD_ENTRY)),
                Ok(Some(_))
            )
        }),
        credential: state.credential_status(),
        storage: state.secrets.describe(),
        profile: name,
        sign_out: None,
    }
}

fn announce(app: &AppHandle, state: &AppState) -> CredentialStatus {
    let status = state.credential_status();
    let _ = CredentialStatusChanged(status.clone()).emit(app);
    state.sessions.poke();
    status
}

/// Browser or device sign-in with the profile's OpenID Connect provider.
#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    mode: SignInMode,
) -> Result<AuthInfo, ErrorPayload> {
    let profile = state.resolved()?;
    let cancel = state.sign_in_cancel.arm();
    let _ = SignInProgress(SignInStage::OpeningBrowser).emit(&app);
    let opener_app = app.clone();
    let progress_app = app.clone();
    let device_app = app.clone();
    let hooks = SignInHooks {
        open: move |url: &str| {
            let _ = SignInProgress(SignInStage::WaitingForBrowser {
                url: url.to_string(),
            })
            .emit(&progress_app);
            match signin::open_with_env_browser(url) {
                Some(r) => r,
                None => tauri::Url::parse(url)
                    .map_err(|e| e.to_string())
                    .and_then(|u| crate::external::open(&opener_app, &u).map_err(|e| e.message)),
            }
        },
        show: move |p: &DevicePrompt| {
            let _ = SignInProgress(SignInStage::DeviceCode { prompt: p.into() }).emit(&device_app);
        },
        cancel: async move {
            let _ = cancel.await;
        },
    };
    let timeout = Duration::from_secs(600);
    match signin::sign_in(
        &state.paths,
        state.secrets.as_ref(),
        &profile,
        mode,
        timeout,
        hooks,
    )
    .await
    {
        Ok(record) => {
            tracing::info!(profile = %profile.name, subject = %record.identity.subject, "signed in");
            state.clear_rejected();
            state.refresh_notice_sent(false);
            crate::certs::resume_auto_renew(&app);
            let _ = SignInProgress(SignInStage::Done).emit(&app);
            announce(&app, &state);
            Ok(auth_info(state))
        }
        Err(e) => {
            let err = payload(e);
            let _ = SignInProgress(SignInStage::Failed { error: err.clone() }).emit(&app);
            Err(err)
        }
    }
}

/// Stop a running browser or device sign-in.
#[tauri::command]
#[specta::specta]
pub fn cancel_sign_in(state: State<'_, AppState>) -> bool {
    state.sign_in_cancel.fire()
}

/// CADC-style sign-in: username and password to the login service; the token it returns
/// is used as a Bearer token (48 h). Optionally remember the password in the keyring so
/// the certificate can be renewed unattended.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_password(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
    remember: bool,
) -> Result<AuthInfo, ErrorPayload> {
    let profile = state.resolved()?;
    let password = SecretString::new(password);
    let login_url = match &profile.profile.login_url {
        Some(u) => password::parse_login_url(u).map_err(payload)?,
        None => password::default_login_url(&profile.service),
    };
    let http = skyport_core::http::build_client(Default::default()).map_err(payload)?;
    let login = password::login(&http, &login_url, username.trim(), &password)
        .await
        .map_err(payload)?;
    state
        .secrets
        .set(&TokenSlot::Token.key(&profile.name), &login.token)
        .map_err(payload)?;
    let pw_key = EntryKey::new(profile.name.as_str(), PASSWORD_ENTRY);
    if remember {
        state.secrets.set(&pw_key, &password).map_err(payload)?;
    } else {
        state.secrets.delete(&pw_key).map_err(payload)?;
    }
    state.remember_username(&profile, username.trim());
    state.clear_rejected();
    announce(&app, &state);
    Ok(auth_info(state))
}

/// Sign out: revoke OIDC tokens where the provider allows it, delete every secret of the
/// profile from the keyring. Returns what could not be revoked, if anything.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AuthInfo, ErrorPayload> {
    let profile = state.resolved()?;
    let http = oidc::http_client(Duration::from_secs(15)).map_err(payload)?;
    let report = oidc::sign_out(&http, &state.paths, state.secrets.as_ref(), &profile.name)
        .await
        .map_err(payload)?;
    if let Some(note) = &report.revocation_note {
        tracing::info!("sign-out: {note}");
    }
    // Everything of the user's, the same entries `skyport logout` removes; one that cannot be
    // deleted does not keep the others (the first error is reported after).
    let mut first_error = None;
    for name in skyport_core::keyring::entries::SIGN_OUT {
        if let Err(e) = state
            .secrets
            .delete(&EntryKey::new(profile.name.as_str(), name))
        {
            first_error.get_or_insert(e);
        }
    }
    // A refusal seen by a poll that raced the sign-out belongs to the deleted credential.
    state.clear_rejected();
    announce(&app, &state);
    if let Some(e) = first_error {
        return Err(payload(e));
    }
    Ok(AuthInfo {
        sign_out: Some(report),
        ..auth_info(state)
    })
}

/// Keep the OIDC access token fresh in the background; when the provider refuses the
/// refresh, say "sign-in needed" once (one notification per event).
pub fn spawn_refresher(app: AppHandle) {
    use tauri::Manager;
    use tauri_plugin_notification::NotificationExt;
    tauri::async_runtime::spawn(async move {
        let Ok(http) = oidc::http_client(Duration::from_secs(30)) else {
            return;
        };
        loop {
            let state = app.state::<AppState>();
            if let Ok(profile) = state.resolved() {
                let now = chrono::Utc::now();
                match oidc::ensure_fresh(
                    &http,
                    &state.paths,
                    state.secrets.as_ref(),
                    &profile.name,
                    chrono::Duration::seconds(120),
                    now,
                )
                .await
                {
                    Ok(Some(rec)) if rec.refreshed_at == now => {
                        tracing::info!(profile = %profile.name, "access token refreshed");
                        announce(&app, &state);
                    }
                    Ok(_) => {}
                    Err(oidc::OidcError::RefreshRefused { .. }) => {
                        if state.refresh_notice_sent(true) {
                            announce(&app, &state);
                            let _ = app
                                .notification()
                                .builder()
                                .title("Sign-in needed")
                                .body(format!("{} no longer accepts your sign-in. Open Skyport to sign in again.", profile.service.as_str()))
                                .show();
                        }
                    }
                    Err(e) => tracing::warn!("token refresh failed, will retry: {e}"),
                }
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    });
}
