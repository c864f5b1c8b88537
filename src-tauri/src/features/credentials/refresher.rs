//! Keeps the OIDC access token fresh in the background; when the provider refuses the
//! refresh, says "sign-in needed" once (one notification per event).

use std::time::Duration;

use skyport_core::auth::oidc;
use tauri::{AppHandle, Manager, Runtime};

use super::Credentials;
use crate::kernel::{self, Platform};

/// How often the token is looked at, and how long before its expiry it is refreshed.
const EVERY: Duration = Duration::from_secs(30);
const AHEAD_SECS: i64 = 120;

pub(super) fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let Ok(http) = oidc::http_client(Duration::from_secs(30)) else {
            return;
        };
        loop {
            once(&app, &http).await;
            tokio::time::sleep(EVERY).await;
        }
    });
}

async fn once<R: Runtime>(app: &AppHandle<R>, http: &reqwest::Client) {
    let platform = app.state::<Platform>();
    let Ok(profile) = platform.profile() else {
        return;
    };
    let now = chrono::Utc::now();
    match oidc::ensure_fresh(
        http,
        &platform.paths,
        platform.secrets.as_ref(),
        &profile.name,
        chrono::Duration::seconds(AHEAD_SECS),
        now,
    )
    .await
    {
        Ok(Some(rec)) if rec.refreshed_at == now => {
            tracing::info!(profile = %profile.name, "access token refreshed");
            kernel::credential_changed(app, true);
        }
        Ok(_) => {}
        Err(oidc::OidcError::RefreshRefused { .. }) => {
            if app.state::<Credentials>().refresh_notice_sent(true) {
                kernel::credential_changed(app, true);
                kernel::notify::show(
                    app,
                    "Sign-in needed",
                    &format!(
                        "{} no longer accepts your sign-in. Open Skyport to sign in again.",
                        profile.service.as_str()
                    ),
                );
            }
        }
        Err(e) => tracing::warn!("token refresh failed, will retry: {e}"),
    }
}
