//! Sign-in, sign-out and a pasted token: the services behind the Credentials view.

use std::time::Duration;

use serde::Serialize;
use skyport_core::account;
use skyport_core::auth::oidc::{self, DevicePrompt, SignInRecord};
use skyport_core::auth::password;
use skyport_core::auth::signin::{self, BrowserError, SignInHooks, SignInMode, SignInStage};
use skyport_core::connect::TokenSlot;
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::keyring::{EntryKey, SecretStoreExt};
use skyport_core::secret::SecretString;
use skyport_core::status::CredentialStatus;
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use super::Credentials;
use crate::kernel::events::SignInProgress;
use crate::kernel::{self, payload, Bus, Platform, Signal};

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

pub fn auth_info(platform: &Platform) -> AuthInfo {
    let profile = platform.profile().ok();
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
            .and_then(|n| oidc::load_record(&platform.paths, n)),
        password_remembered: name.as_deref().is_some_and(|n| {
            matches!(
                platform.secrets.get(&EntryKey::new(n, PASSWORD_ENTRY)),
                Ok(Some(_))
            )
        }),
        credential: platform.credential_status(),
        storage: platform.secrets.describe(),
        profile: name,
        sign_out: None,
    }
}

/// Browser or device sign-in with the profile's OpenID Connect provider.
pub async fn sign_in<R: Runtime>(
    app: &AppHandle<R>,
    mode: SignInMode,
) -> Result<AuthInfo, ErrorPayload> {
    let platform = app.state::<Platform>();
    let profile = platform.profile()?;
    let cancel = app.state::<Credentials>().sign_in_cancel.arm();
    let _ = SignInProgress(SignInStage::OpeningBrowser).emit(app);
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
                    .map_err(|e| BrowserError(e.to_string()))
                    .and_then(|u| {
                        kernel::external::open(&opener_app, &u).map_err(|e| BrowserError(e.message))
                    }),
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
        &platform.paths,
        platform.secrets.as_ref(),
        &profile,
        mode,
        timeout,
        hooks,
    )
    .await
    {
        Ok(record) => {
            tracing::info!(profile = %profile.name, subject = %record.identity.subject, "signed in");
            platform.clear_refused();
            app.state::<Credentials>().refresh_notice_sent(false);
            app.state::<Bus>().send(Signal::SignedIn);
            let _ = SignInProgress(SignInStage::Done).emit(app);
            kernel::credential_changed(app, true);
            Ok(auth_info(&platform))
        }
        Err(e) => {
            let err = payload(e);
            let _ = SignInProgress(SignInStage::Failed { error: err.clone() }).emit(app);
            Err(err)
        }
    }
}

/// Stop a running browser or device sign-in.
pub fn cancel_sign_in(credentials: &Credentials) -> bool {
    credentials.sign_in_cancel.fire()
}

/// CADC-style sign-in: username and password to the login service; the token it returns
/// is used as a Bearer token (48 h). Optionally remember the password in the keyring so
/// the certificate can be renewed unattended.
pub async fn sign_in_password<R: Runtime>(
    app: &AppHandle<R>,
    username: &str,
    password: SecretString,
    remember: bool,
) -> Result<AuthInfo, ErrorPayload> {
    let platform = app.state::<Platform>();
    let profile = platform.profile()?;
    let login_url = match &profile.profile.login_url {
        Some(u) => password::parse_login_url(u).map_err(payload)?,
        None => password::default_login_url(&profile.service),
    };
    let http = skyport_core::http::build_client(Default::default()).map_err(payload)?;
    let login = password::login(&http, &login_url, username.trim(), &password)
        .await
        .map_err(payload)?;
    let (paths, store) = (&platform.paths, platform.secrets.as_ref());
    account::keep_token(paths, store, &profile.name, &login.token).map_err(payload)?;
    account::keep_password(store, &profile.name, remember.then_some(&password)).map_err(payload)?;
    let who = login.user.as_deref().unwrap_or(username.trim());
    platform.remember_username(&profile, who, remember);
    platform.clear_refused();
    kernel::credential_changed(app, true);
    Ok(auth_info(&platform))
}

/// Sign out: revoke OIDC tokens where the provider allows it, delete every secret of the
/// profile from the keyring. Returns what could not be revoked, if anything.
pub async fn sign_out<R: Runtime>(app: &AppHandle<R>) -> Result<AuthInfo, ErrorPayload> {
    let platform = app.state::<Platform>();
    let profile = platform.profile()?;
    let http = oidc::http_client(Duration::from_secs(15)).map_err(payload)?;
    let result = account::sign_out(
        &http,
        &platform.paths,
        platform.secrets.as_ref(),
        &profile.name,
    )
    .await;
    // A refusal seen by a poll that raced the sign-out belongs to the deleted credential.
    platform.clear_refused();
    platform.reload();
    kernel::credential_changed(app, true);
    let out = result.map_err(payload)?;
    if let Some(note) = out.report.as_ref().and_then(|r| r.revocation_note.as_ref()) {
        tracing::info!("sign-out: {note}");
    }
    let report = out.report.or_else(|| {
        out.revoke_failed.map(|why| oidc::SignOutReport {
            revoked: vec![],
            revocation_note: Some(why),
        })
    });
    Ok(AuthInfo {
        sign_out: report,
        ..auth_info(&platform)
    })
}

/// Keep a pasted token in the OS keyring and use it for the platform.
pub fn save_token<R: Runtime>(
    app: &AppHandle<R>,
    token: &str,
) -> Result<CredentialStatus, ErrorPayload> {
    let token = token.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(ErrorPayload::new(
            ErrorCode::Validation,
            "Paste the token alone, without spaces or line breaks.",
        ));
    }
    let platform = app.state::<Platform>();
    let profile = platform.profile()?;
    account::keep_token(
        &platform.paths,
        platform.secrets.as_ref(),
        &profile.name,
        &SecretString::new(token.to_string()),
    )
    .map_err(payload)?;
    platform.clear_refused();
    kernel::credential_changed(app, true);
    Ok(platform.credential_status())
}

/// Forget the saved token (an environment token, if any, stays in use).
pub fn forget_token<R: Runtime>(app: &AppHandle<R>) -> Result<CredentialStatus, ErrorPayload> {
    let platform = app.state::<Platform>();
    let profile = platform.profile()?;
    platform
        .secrets
        .delete(&TokenSlot::Token.key(&profile.name))
        .map_err(payload)?;
    kernel::credential_changed(app, true);
    Ok(platform.credential_status())
}
