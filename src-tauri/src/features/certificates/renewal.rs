//! Renewing the certificate: by the policy (unattended), from the tray, from the
//! Credentials view, or with a username and password typed now.

use std::time::Duration;

use skyport_core::cert::lifecycle::{LifecycleAction, LifecycleConfig};
use skyport_core::cert::obtain::CredAuth;
use skyport_core::cert::{
    renew_certificate, CertView, RandomJitter, RenewOptions, RenewPolicy, Threshold,
};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::secret::SecretString;
use tauri::{AppHandle, Manager, Runtime};

use super::CertMonitor;
use crate::kernel::{self, payload, Platform, Settings};

pub(super) fn lifecycle_config(settings: &Settings) -> LifecycleConfig {
    LifecycleConfig {
        policy: match settings.cert_renew_days_before {
            Some(n) if n > 0 => RenewPolicy::DaysBefore(n),
            _ => RenewPolicy::TwoThirds,
        },
        auto_renew: settings.auto_renew_cert,
        warn_before: chrono::Duration::from_std(settings.expiry_warning()).ok(),
    }
}

/// New settings: the policy changes now, not at the next start.
pub(super) fn apply_settings<R: Runtime>(app: &AppHandle<R>, settings: &Settings) {
    let config = lifecycle_config(settings);
    let monitor = app.state::<CertMonitor>();
    let unchanged = monitor.with_lifecycle(|l| {
        let c = l.config();
        Some(
            c.policy == config.policy
                && c.auto_renew == config.auto_renew
                && c.warn_before == config.warn_before,
        )
    });
    if unchanged != Some(true) {
        tracing::info!(
            auto_renew = config.auto_renew,
            "certificate renewal settings changed"
        );
        super::replan(app, config);
    }
}

/// The one notice a certificate gets: early, while there is time (the tray shows the rest),
/// or at expiry when nothing was said before.
fn threshold_text(t: Threshold, lead_hours: u32) -> (String, &'static str) {
    match t {
        Threshold::Early => (
            format!(
                "Certificate expires within {}",
                if lead_hours.is_multiple_of(24) {
                    plural(lead_hours / 24, "day")
                } else {
                    plural(lead_hours, "hour")
                }
            ),
            "Skyport renews it before then when it can; renew it now from the tray or under Credentials.",
        ),
        Threshold::Expired => (
            "Certificate expired".into(),
            "Get a new one under Credentials (Obtain a certificate).",
        ),
    }
}

fn plural(n: u32, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Carry out what the policy asks: notify (once per event).
pub(super) fn act<R: Runtime>(app: &AppHandle<R>, actions: Vec<LifecycleAction>) {
    for a in actions {
        let note = match a {
            LifecycleAction::Notify(t) => Some(threshold_text(
                t,
                app.state::<crate::kernel::SettingsStore>()
                    .get()
                    .expiry_warning_hours,
            )),
            LifecycleAction::RenewalNeedsYou { reason } => {
                Some(("Certificate needs you".to_string(), reason.message()))
            }
            LifecycleAction::ScheduleRenewal(at) => {
                tracing::info!(%at, "certificate renewal scheduled");
                None
            }
            LifecycleAction::StateChanged(_) => None,
        };
        if let Some((title, body)) = note {
            kernel::notify::show(app, &title, body);
        }
    }
}

/// The renewal timer: sleeps until the policy's next wake-up (at most a minute, so a
/// suspend/resume is noticed against the wall clock), then renews when due.
pub(super) fn spawn_driver<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let now = chrono::Utc::now();
            let monitor = app.state::<CertMonitor>();
            let wait = monitor
                .with_lifecycle(|l| l.next_wake(now))
                .map(|t| (t - now).to_std().unwrap_or_default())
                .unwrap_or(Duration::from_secs(60))
                .clamp(Duration::from_secs(1), Duration::from_secs(60));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = monitor.wake.notified() => {}
            }
            let now = chrono::Utc::now();
            let (actions, due) = monitor.with_lifecycle(|l| (l.tick(now), l.renewal_due(now)));
            act(&app, actions);
            if due {
                let result = renew_auto(&app).await;
                let now = chrono::Utc::now();
                let actions = monitor.with_lifecycle(|l| match &result {
                    Ok(info) => l.on_renewal_succeeded(info, now, &mut RandomJitter),
                    Err(code) => l.on_renewal_failed(*code, now, &mut RandomJitter),
                });
                act(&app, actions);
            }
        }
    });
}

/// After a sign-in: a paused automatic renewal may work again.
pub(super) fn resume_auto_renew<R: Runtime>(app: &AppHandle<R>) {
    let monitor = app.state::<CertMonitor>();
    let actions = monitor.with_lifecycle(|l| l.resume_auto_renew(&mut RandomJitter));
    act(app, actions);
    monitor.wake.notify_one();
}

async fn renew<R: Runtime>(
    app: &AppHandle<R>,
    opts: RenewOptions,
) -> Result<CertView, ErrorPayload> {
    let platform = app.state::<Platform>();
    let profile = platform.profile()?;
    let opts = RenewOptions {
        env_token: platform.env_token(),
        ..opts
    };
    let renewed = renew_certificate(&platform.paths, platform.secrets.as_ref(), &profile, &opts)
        .await
        .map_err(payload)?;
    tracing::info!(used = %renewed.used, not_after = %renewed.info.not_after, "certificate renewed");
    // The watcher sees the new file too; publish now so the UI updates without waiting.
    super::monitor::refresh_now(app);
    super::view(app).ok_or_else(|| {
        ErrorPayload::new(
            ErrorCode::Internal,
            "the certificate monitor is not running",
        )
    })
}

/// Renew with the stored password, ~/.netrc or the signed-in token.
pub async fn renew_with_stored<R: Runtime>(app: &AppHandle<R>) -> Result<CertView, ErrorPayload> {
    renew(app, RenewOptions::default()).await
}

/// Get a certificate with a username and password typed now; optionally remember the
/// password in the keyring so later renewals need nobody.
pub async fn obtain<R: Runtime>(
    app: &AppHandle<R>,
    username: &str,
    password: SecretString,
    remember: bool,
) -> Result<CertView, ErrorPayload> {
    let platform = app.state::<Platform>();
    let profile = platform.profile()?;
    let username = username.trim();
    let auth = CredAuth::Basic {
        username: username.to_string(),
        password: password.clone(),
    };
    let view = renew(
        app,
        RenewOptions {
            explicit: Some(auth),
            ..Default::default()
        },
    )
    .await?;
    if remember {
        skyport_core::account::keep_password(
            platform.secrets.as_ref(),
            &profile.name,
            Some(&password),
        )
        .map_err(payload)?;
    }
    platform.remember_username(&profile, username, remember);
    Ok(view)
}

/// The tray's "Renew certificate now": one notification with the outcome.
pub(super) async fn renew_now<R: Runtime>(app: &AppHandle<R>) {
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
    kernel::notify::show(app, &title, &body);
}

/// An automatic renewal (the policy said it is due): the new certificate, or the error
/// code the policy needs to decide about retrying.
async fn renew_auto<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<skyport_core::cert::CertInfo, ErrorCode> {
    match renew(app, RenewOptions::default()).await {
        Ok(view) => view.info.ok_or(ErrorCode::Internal),
        Err(e) => {
            tracing::warn!("automatic certificate renewal failed: {}", e.message);
            Err(e.code)
        }
    }
}
