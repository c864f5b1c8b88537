//! The background poller: fetch, publish, notify; the next fetch when the policy says.

use std::time::Duration;

use chrono::Utc;
use skyport_core::error::ErrorCode;
use skyport_core::sessions::{
    ChangeClock, PollPolicy, SessionNotice, SessionTracker, SessionsSnapshot,
};
use skyport_core::skaha::ListQuery;
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use super::SessionsHub;
use crate::kernel::events::{SessionNotified, SessionsConfirmed, SessionsUpdated};
use crate::kernel::lifetime::Lifetime;
use crate::kernel::{self, payload, Bus, Platform, SettingsStore};

fn notices_file(paths: &skyport_core::paths::Paths) -> std::path::PathBuf {
    paths.state_dir.join("session-notices.json")
}

/// Fetch once, publish, notify. Returns the new snapshot and whether it failed.
pub async fn refresh<R: Runtime>(
    app: &AppHandle<R>,
    tracker: &mut SessionTracker,
) -> (SessionsSnapshot, bool) {
    let platform = app.state::<Platform>();
    let bus = app.state::<Bus>();
    let mut previous = bus.sessions();
    // Another platform: none of the last list is its, and its running sessions are not news.
    let generation = platform.generation();
    if app
        .try_state::<SessionsHub>()
        .is_some_and(|hub| hub.switch_to(generation))
    {
        let profile = platform.profile().map(|p| p.name).unwrap_or_default();
        tracker.switched_platform(&profile);
        previous = SessionsSnapshot::default();
    }
    let result = match platform.client() {
        Ok(c) => c
            .list_sessions(&ListQuery::default())
            .await
            .map_err(payload),
        Err(e) => Err(e),
    };
    // The platform changed while this list was fetched: it belongs to the one before.
    if platform.generation() != generation {
        return (bus.sessions(), false);
    }
    let (snap, failed, same) = match result {
        Ok(list) => {
            if platform.is_refused() {
                platform.clear_refused();
                kernel::credential_changed(app, false);
            }
            let settings = app.state::<SettingsStore>().get();
            let notices = tracker.observe(&list.sessions, Utc::now(), settings.expiry_warning());
            if !notices.is_empty() {
                let _ = tracker.save(&notices_file(&platform.paths));
            }
            for n in notices {
                notify(app, &n, settings.notifications);
            }
            let snap = SessionsSnapshot::fetched(list.sessions, list.skipped, Utc::now());
            let same = snap.same_list_as(&previous);
            (snap, false, same)
        }
        Err(err) => {
            if err.code == ErrorCode::SignInNeeded && platform.client().is_ok() {
                platform.mark_refused(err.message.clone());
                kernel::credential_changed(app, false);
            }
            (previous.failed(err), true, false)
        }
    };
    if let Some(as_of) = snap.as_of.filter(|_| same) {
        // Nothing the UI or the other features show changed: no wake-up for them, and the
        // UI only learns the new time — not even that while the window is hidden in the
        // tray (it hears it when shown again).
        bus.sessions.send_if_modified(|s| {
            s.as_of = Some(as_of);
            false
        });
        let hidden = app.try_state::<Lifetime>().is_some_and(|l| l.main_hidden());
        if !hidden {
            let _ = SessionsConfirmed { as_of }.emit(app);
        }
    } else {
        bus.sessions.send_replace(snap.clone());
        let _ = SessionsUpdated(snap.clone()).emit(app);
    }
    (snap, failed)
}

/// The window is shown again: the list's time, held back while it was hidden (the list
/// itself, when it changed, was sent as usual).
pub(super) fn confirm_shown<R: Runtime>(app: &AppHandle<R>) {
    let snap = app.state::<Bus>().sessions();
    if let (Some(as_of), None) = (snap.as_of, snap.error) {
        let _ = SessionsConfirmed { as_of }.emit(app);
    }
}

fn notify<R: Runtime>(app: &AppHandle<R>, notice: &SessionNotice, desktop: bool) {
    let _ = SessionNotified(notice.clone()).emit(app);
    if desktop {
        let (title, body) = notice.text();
        kernel::notify::show(app, &title, &body);
    }
}

/// The background poller; runs for the life of the app.
pub(super) fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let policy = PollPolicy::default();
        let mut changes = ChangeClock::default();
        let mut tracker = SessionTracker::load(&notices_file(&app.state::<Platform>().paths));
        let mut errors: u32 = 0;
        loop {
            let (snap, failed) = refresh(&app, &mut tracker).await;
            errors = if failed { errors.saturating_add(1) } else { 0 };
            let configured = app.state::<Platform>().client().is_ok();
            // Nothing to poll until a platform and credential exist; wait for a poke.
            let wait = if configured {
                let unchanged = changes.observe(&snap.sessions, std::time::Instant::now());
                policy.next(&snap.sessions, errors, unchanged)
            } else {
                Duration::from_secs(3600)
            };
            let hub = app.state::<SessionsHub>();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                // A launch, a delete or a refresh: something is about to change.
                _ = hub.poke.notified() => changes.poke(std::time::Instant::now()),
            }
        }
    });
}
