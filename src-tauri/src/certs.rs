//! Watches the X.509 certificate file for the app: every change (a renewal, a copy from
//! another tool, removal) updates the Credentials view, the status bar and the tray.

use std::sync::{Mutex, RwLock};

use serde::Serialize;
use skyport_core::cert::lifecycle::{CertObservation, Lifecycle, LifecycleAction, LifecycleConfig};
use skyport_core::cert::{
    cert_state, format_countdown, CertEvent, CertInfo, CertState, CertWatcher, RandomJitter,
    RenewPolicy, Threshold, WatchConfig,
};
use skyport_core::tray::CertSummary;
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use crate::events::{CertStatusChanged, CredentialStatusChanged};
use crate::state::AppState;

/// The certificate as the UI shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CertView {
    pub path: String,
    pub state: CertState,
    pub info: Option<CertInfo>,
    /// "6 d 4 h left", "expired 2 h ago".
    pub countdown: Option<String>,
    /// Why the file cannot be used, with what to do.
    pub problem: Option<String>,
}

/// The latest reading, the watcher that keeps it current, and the renewal policy.
#[derive(Default)]
pub struct CertMonitor {
    summary: RwLock<Option<(String, CertSummary)>>,
    watcher: Mutex<Option<CertWatcher>>,
    lifecycle: Mutex<Option<Lifecycle>>,
    wake: tokio::sync::Notify,
}

fn lifecycle_config(settings: &crate::settings::Settings) -> LifecycleConfig {
    LifecycleConfig {
        policy: match settings.cert_renew_days_before {
            Some(n) if n > 0 => RenewPolicy::DaysBefore(n),
            _ => RenewPolicy::TwoThirds,
        },
        auto_renew: settings.auto_renew_cert,
        ..LifecycleConfig::default()
    }
}

fn threshold_text(t: Threshold) -> (&'static str, &'static str) {
    match t {
        Threshold::ThreeDays => (
            "Certificate expires in 3 days",
            "Skyport renews it before then when it can; you can renew it now from the tray.",
        ),
        Threshold::OneDay => (
            "Certificate expires within a day",
            "Renew it from the tray or under Credentials to keep using CANFAR tools.",
        ),
        Threshold::OneHour => (
            "Certificate expires within the hour",
            "Renew it now from the tray or under Credentials.",
        ),
        Threshold::Expired => (
            "Certificate expired",
            "Get a new one under Credentials (Obtain a certificate).",
        ),
    }
}

/// Carry out what the policy asks: notify (once per event) and refresh the displays.
fn act<R: Runtime>(app: &AppHandle<R>, actions: Vec<LifecycleAction>) {
    use tauri_plugin_notification::NotificationExt;
    for a in actions {
        let note = match a {
            LifecycleAction::Notify(t) => Some(threshold_text(t)),
            LifecycleAction::RenewalNeedsYou { reason } => {
                Some(("Certificate needs you", reason.message()))
            }
            LifecycleAction::ScheduleRenewal(at) => {
                tracing::info!(%at, "certificate renewal scheduled");
                None
            }
            LifecycleAction::StateChanged(_) => None,
        };
        if let Some((title, body)) = note {
            if let Err(e) = app.notification().builder().title(title).body(body).show() {
                tracing::warn!("notification not shown: {e}");
            }
        }
    }
}

/// The renewal timer: sleeps until the policy's next wake-up (at most a minute, so a
/// suspend/resume is noticed against the wall clock), then renews when due.
fn spawn_driver<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let now = chrono::Utc::now();
            let wait = {
                let monitor = app.state::<CertMonitor>();
                let next = monitor
                    .lifecycle
                    .lock()
                    .ok()
                    .and_then(|l| l.as_ref().and_then(|l| l.next_wake(now)));
                next.map(|t| (t - now).to_std().unwrap_or_default())
                    .unwrap_or(std::time::Duration::from_secs(60))
            };
            let wait = wait.clamp(
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(60),
            );
            let monitor = app.state::<CertMonitor>();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = monitor.wake.notified() => {}
            }
            let now = chrono::Utc::now();
            let (actions, due) = {
                let monitor = app.state::<CertMonitor>();
                let mut guard = match monitor.lifecycle.lock() {
                    Ok(g) => g,
                    Err(_) => continue,
                };
                match guard.as_mut() {
                    Some(l) => (l.tick(now), l.renewal_due(now)),
                    None => (vec![], false),
                }
            };
            act(&app, actions);
            if due {
                let result = crate::commands::certs::renew_auto(&app).await;
                let now = chrono::Utc::now();
                let actions = {
                    let monitor = app.state::<CertMonitor>();
                    let mut guard = match monitor.lifecycle.lock() {
                        Ok(g) => g,
                        Err(_) => continue,
                    };
                    match (guard.as_mut(), &result) {
                        (Some(l), Ok(info)) => l.on_renewal_succeeded(info, now, &mut RandomJitter),
                        (Some(l), Err(code)) => l.on_renewal_failed(*code, now, &mut RandomJitter),
                        (None, _) => vec![],
                    }
                };
                act(&app, actions);
            }
        }
    });
}

/// Feed a watcher reading to the policy.
fn observe<R: Runtime>(app: &AppHandle<R>, event: &CertEvent) {
    let actions = {
        let monitor = app.state::<CertMonitor>();
        let mut guard = match monitor.lifecycle.lock() {
            Ok(g) => g,
            Err(_) => return,
        };
        let now = chrono::Utc::now();
        match (guard.as_mut(), CertObservation::from_event(event)) {
            (Some(l), Some(obs)) => l.observe(&obs, now, &mut RandomJitter),
            (Some(l), None) => l.tick(now),
            _ => vec![],
        }
    };
    act(app, actions);
    app.state::<CertMonitor>().wake.notify_one();
}

/// After a sign-in: a paused automatic renewal may work again.
pub fn resume_auto_renew<R: Runtime>(app: &AppHandle<R>) {
    let monitor = app.state::<CertMonitor>();
    let actions = match monitor.lifecycle.lock() {
        Ok(mut g) => g
            .as_mut()
            .map(|l| l.resume_auto_renew(&mut RandomJitter))
            .unwrap_or_default(),
        Err(_) => vec![],
    };
    act(app, actions);
    monitor.wake.notify_one();
}

impl CertMonitor {
    pub fn summary(&self) -> CertSummary {
        self.summary
            .read()
            .ok()
            .and_then(|s| s.as_ref().map(|(_, c)| c.clone()))
            .unwrap_or(CertSummary::Unknown)
    }

    pub fn view(&self) -> Option<CertView> {
        let (path, summary) = self.summary.read().ok()?.clone()?;
        let now = chrono::Utc::now();
        Some(match summary {
            CertSummary::Unknown => CertView {
                path,
                state: CertState::Missing,
                info: None,
                countdown: None,
                problem: None,
            },
            CertSummary::Missing => CertView {
                path,
                state: CertState::Missing,
                info: None,
                countdown: None,
                problem: None,
            },
            CertSummary::Invalid(p) => CertView {
                path,
                state: CertState::Invalid,
                info: None,
                countdown: None,
                problem: Some(p),
            },
            CertSummary::Present(info) => CertView {
                path,
                state: cert_state(Ok(&info), now),
                countdown: Some(format_countdown(info.not_after, now)),
                info: Some(info),
                problem: None,
            },
        })
    }

    fn set(&self, path: String, summary: CertSummary) {
        if let Ok(mut s) = self.summary.write() {
            *s = Some((path, summary));
        }
    }
}

/// Start (or restart, after the profile changed) watching the profile's certificate file.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let path = state.cert_path();
    let monitor = app.state::<CertMonitor>();
    let shown = path.display().to_string();
    let handle = app.clone();
    let sink_path = shown.clone();
    let settings = crate::settings::Settings::load(&state.paths);
    let state_file = skyport_core::cert::lifecycle::default_state_file(&state.paths, &path);
    if let Ok(mut l) = monitor.lifecycle.lock() {
        *l = Some(Lifecycle::with_state_file(
            lifecycle_config(&settings),
            state_file,
        ));
    }
    let sink = move |event: CertEvent| {
        observe(&handle, &event);
        let summary = match event {
            CertEvent::Loaded { info, .. } => CertSummary::Present(info),
            CertEvent::Missing => CertSummary::Missing,
            CertEvent::Invalid { error } => CertSummary::Invalid(error.to_string()),
            // Periodic re-check: the countdown moves; refresh what shows it.
            CertEvent::Tick { .. } => handle.state::<CertMonitor>().summary(),
        };
        handle
            .state::<CertMonitor>()
            .set(sink_path.clone(), summary);
        publish(&handle);
    };
    spawn_driver(app.clone());
    match CertWatcher::start(WatchConfig::new(path), sink) {
        Ok(w) => {
            if let Ok(mut slot) = monitor.watcher.lock() {
                *slot = Some(w);
            }
        }
        Err(e) => {
            tracing::warn!("cannot watch the certificate file {shown}: {e}");
            monitor.set(shown, CertSummary::Invalid(e.to_string()));
            publish(app);
        }
    }
}

/// Tell the UI and the tray about the current certificate.
pub fn publish<R: Runtime>(app: &AppHandle<R>) {
    if let Some(view) = app.state::<CertMonitor>().view() {
        let _ = CertStatusChanged(view).emit(app);
    }
    let _ = CredentialStatusChanged(app.state::<AppState>().credential_status()).emit(app);
    crate::tray::refresh(app);
}

/// Re-read the certificate file now (after a renewal), instead of waiting for the watcher.
pub fn refresh_now<R: Runtime>(app: &AppHandle<R>) {
    let path = app.state::<AppState>().cert_path();
    let summary = match skyport_core::cert::CertBundle::load(&path) {
        Ok(b) => CertSummary::Present(b.info().clone()),
        Err(_) if !path.exists() => CertSummary::Missing,
        Err(e) => CertSummary::Invalid(e.to_string()),
    };
    app.state::<CertMonitor>()
        .set(path.display().to_string(), summary);
    publish(app);
}
