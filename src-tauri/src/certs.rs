//! Watches the X.509 certificate file for the app: every change (a renewal, a copy from
//! another tool, removal) updates the Credentials view, the status bar and the tray.

use std::sync::{Mutex, RwLock};

use serde::Serialize;
use skyport_core::cert::{
    cert_state, format_countdown, CertEvent, CertInfo, CertState, CertWatcher, WatchConfig,
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

/// The latest reading and the watcher that keeps it current.
#[derive(Default)]
pub struct CertMonitor {
    summary: RwLock<Option<(String, CertSummary)>>,
    watcher: Mutex<Option<CertWatcher>>,
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
    let sink = move |event: CertEvent| {
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
