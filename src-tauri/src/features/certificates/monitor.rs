//! The certificate file, watched: each reading goes to the bus, the UI and the policy.

use skyport_core::cert::lifecycle::{CertObservation, Lifecycle};
use skyport_core::cert::{CertEvent, CertWatcher, RandomJitter, WatchConfig};
use skyport_core::tray::CertSummary;
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use super::{renewal, CertMonitor};
use crate::kernel::bus::CertReading;
use crate::kernel::events::CertStatusChanged;
use crate::kernel::{self, Bus, Platform, SettingsStore};

/// Start watching the profile's certificate file, with the policy of the settings now.
pub(super) fn start<R: Runtime>(app: &AppHandle<R>) {
    let platform = app.state::<Platform>();
    let path = platform.cert_path();
    let monitor = app.state::<CertMonitor>();
    let shown = path.display().to_string();
    let settings = app.state::<SettingsStore>().get();
    let state_file = skyport_core::cert::lifecycle::default_state_file(&platform.paths, &path);
    *monitor.lifecycle.lock().unwrap_or_else(|e| e.into_inner()) = Some(
        Lifecycle::with_state_file(renewal::lifecycle_config(&settings), state_file),
    );
    let handle = app.clone();
    let sink_path = shown.clone();
    let sink = move |event: CertEvent| {
        observe(&handle, &event);
        let summary = match event {
            CertEvent::Loaded { info, .. } => CertSummary::Present(info),
            CertEvent::Missing => CertSummary::Missing,
            CertEvent::Invalid { error } => CertSummary::Invalid(error.to_string()),
            // Periodic re-check: the countdown moves; refresh what shows it.
            CertEvent::Tick { .. } => handle
                .state::<Bus>()
                .cert()
                .map(|r| r.summary)
                .unwrap_or(CertSummary::Unknown),
        };
        publish(&handle, sink_path.clone(), summary);
    };
    match CertWatcher::start(WatchConfig::new(path.clone()), sink) {
        Ok(w) => {
            *monitor.watcher.lock().unwrap_or_else(|e| e.into_inner()) = Some((path, w));
        }
        Err(e) => {
            tracing::warn!("cannot watch the certificate file {shown}: {e}");
            publish(app, shown, CertSummary::Invalid(e.to_string()));
        }
    }
}

/// Another platform is in use: when its profile keeps its certificate in another file,
/// watch that one instead (with its own renewal state); the same file stays watched.
pub(super) fn follow_platform<R: Runtime>(app: &AppHandle<R>) {
    let path = app.state::<Platform>().cert_path();
    let monitor = app.state::<CertMonitor>();
    let old = {
        let mut watcher = monitor.watcher.lock().unwrap_or_else(|e| e.into_inner());
        if watcher
            .as_ref()
            .is_some_and(|(watched, _)| *watched == path)
        {
            return;
        }
        watcher.take()
    };
    // Stopped before the new one starts: no reading of the old file lands after.
    drop(old);
    tracing::info!("watching the certificate file {} now", path.display());
    start(app);
}

/// Feed a watcher reading to the policy.
fn observe<R: Runtime>(app: &AppHandle<R>, event: &CertEvent) {
    let monitor = app.state::<CertMonitor>();
    let now = chrono::Utc::now();
    let actions = monitor.with_lifecycle(|l| match CertObservation::from_event(event) {
        Some(obs) => l.observe(&obs, now, &mut RandomJitter),
        None => l.tick(now),
    });
    renewal::act(app, actions);
    monitor.wake.notify_one();
}

/// Whether a new reading means a different certificate than the one before (the first
/// reading does not: connections were made from the same file).
fn replaced(before: Option<&CertReading>, now: &CertSummary) -> bool {
    let Some(before) = before else {
        return false;
    };
    match (&before.summary, now) {
        (CertSummary::Present(a), CertSummary::Present(b)) => {
            a.serial != b.serial || a.not_after != b.not_after
        }
        (CertSummary::Missing, CertSummary::Missing)
        | (CertSummary::Invalid(_), CertSummary::Invalid(_))
        | (CertSummary::Unknown, CertSummary::Unknown) => false,
        _ => true,
    }
}

/// A new reading: on the bus (the tray), to the UI, and the credential status.
fn publish<R: Runtime>(app: &AppHandle<R>, path: String, summary: CertSummary) {
    let bus = app.state::<Bus>();
    let is_new = replaced(bus.cert().as_ref(), &summary);
    bus.cert.send_replace(Some(CertReading { path, summary }));
    if let Some(view) = super::view(app) {
        if app.state::<CertMonitor>().said.news(&view, is_new) {
            let _ = CertStatusChanged(view).emit(app);
        }
    }
    kernel::credential_changed(app, is_new);
}

/// Re-read the certificate file now (after a renewal), instead of waiting for the watcher.
pub(super) fn refresh_now<R: Runtime>(app: &AppHandle<R>) {
    let path = app.state::<Platform>().cert_path();
    let summary = match skyport_core::cert::CertBundle::load(&path) {
        Ok(b) => CertSummary::Present(b.info().clone()),
        Err(_) if !path.exists() => CertSummary::Missing,
        Err(e) => CertSummary::Invalid(e.to_string()),
    };
    publish(app, path.display().to_string(), summary);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_different_certificate_counts_as_replaced() {
        let reading = |summary| CertReading {
            path: "c.pem".into(),
            summary,
        };
        assert!(!replaced(None, &CertSummary::Missing));
        let m = reading(CertSummary::Missing);
        assert!(!replaced(Some(&m), &CertSummary::Missing));
        assert!(replaced(Some(&m), &CertSummary::Invalid("x".into())));
        let i = reading(CertSummary::Invalid("x".into()));
        assert!(!replaced(Some(&i), &CertSummary::Invalid("y".into())));
    }
}
