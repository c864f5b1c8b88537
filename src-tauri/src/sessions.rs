//! Keeps the session list fresh: a background poller with adaptive timing, the last good
//! snapshot with its "as of" time, and one desktop notification per session event.

use std::sync::RwLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::sessions::{PollPolicy, SessionNotice, SessionTracker};
use skyport_core::skaha::{ListQuery, Session};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event;

use crate::events::{CredentialStatusChanged, SessionNotified, SessionsUpdated};
use crate::settings::Settings;
use crate::state::AppState;

/// What the Sessions view shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SessionsSnapshot {
    pub sessions: Vec<Session>,
    /// When this list was fetched; `None` before the first success.
    #[specta(type = Option<String>)]
    pub as_of: Option<DateTime<Utc>>,
    /// Why the latest refresh failed, when it did (the list above is then older).
    pub error: Option<ErrorPayload>,
    /// Entries the server sent that could not be read at all.
    pub skipped: u32,
    /// True until the first answer (success or failure) arrives.
    pub loading: bool,
}

/// The latest snapshot and a way to ask the poller for an immediate refresh.
pub struct SessionsHub {
    snapshot: RwLock<SessionsSnapshot>,
    poke: tokio::sync::Notify,
}

impl Default for SessionsHub {
    fn default() -> Self {
        Self {
            snapshot: RwLock::new(SessionsSnapshot {
                loading: true,
                ..Default::default()
            }),
            poke: Default::default(),
        }
    }
}

impl SessionsHub {
    pub fn snapshot(&self) -> SessionsSnapshot {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Refresh now (after a launch, renew or delete).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    fn set(&self, snap: SessionsSnapshot) {
        if let Ok(mut s) = self.snapshot.write() {
            *s = snap;
        }
    }
}

/// Fetch once, store, emit, notify. Returns the new snapshot and whether it failed.
pub async fn refresh<R: Runtime>(
    app: &AppHandle<R>,
    tracker: &mut SessionTracker,
) -> (SessionsSnapshot, bool) {
    let state = app.state::<AppState>();
    let previous = state.sessions.snapshot();
    let result = match state.client() {
        Ok(c) => c
            .list_sessions(&ListQuery::default())
            .await
            .map_err(crate::state::payload),
        Err(e) => Err(e),
    };
    let (snap, failed) = match result {
        Ok(list) => {
            let was_rejected =
                state.credential_status().state == skyport_core::status::CredentialState::Expired;
            state.clear_rejected();
            if was_rejected {
                let _ = CredentialStatusChanged(state.credential_status()).emit(app);
            }
            let settings = Settings::load(&state.paths);
            let notices = tracker.observe(&list.sessions, Utc::now(), settings.expiry_warning());
            if !notices.is_empty() {
                let _ = tracker.save(&notices_file(&state.paths));
            }
            for n in notices {
                notify(app, &n, settings.notifications);
            }
            (
                SessionsSnapshot {
                    sessions: list.sessions,
                    as_of: Some(Utc::now()),
                    error: None,
                    skipped: list.skipped,
                    loading: false,
                },
                false,
            )
        }
        Err(err) => {
            if err.code == ErrorCode::SignInNeeded && state.client().is_ok() {
                state.mark_rejected(err.message.clone());
                let _ = CredentialStatusChanged(state.credential_status()).emit(app);
            }
            (
                SessionsSnapshot {
                    error: Some(err),
                    loading: false,
                    ..previous
                },
                true,
            )
        }
    };
    state.sessions.set(snap.clone());
    let _ = SessionsUpdated(snap.clone()).emit(app);
    (snap, failed)
}

fn notices_file(paths: &skyport_core::paths::Paths) -> std::path::PathBuf {
    paths.state_dir.join("session-notices.json")
}

fn notify<R: Runtime>(app: &AppHandle<R>, notice: &SessionNotice, enabled: bool) {
    let _ = SessionNotified(notice.clone()).emit(app);
    if !enabled {
        return;
    }
    let (title, body) = notice.text();
    if let Err(e) = app
        .notification()
        .builder()
        .title(&title)
        .body(&body)
        .show()
    {
        // No notification daemon (e.g. a bare X session): the in-app notice still shows.
        tracing::warn!("desktop notification not shown: {e}");
    }
}

/// With "reopen session windows" on, open the windows of the last run once the first list
/// has arrived (only sessions still Running; the others are forgotten).
async fn reopen_windows<R: Runtime>(app: &AppHandle<R>, snap: &SessionsSnapshot) {
    let settings = crate::settings::Settings::load(&app.state::<AppState>().paths);
    if !settings.reopen_windows {
        return;
    }
    for id in crate::windows::load_memory(app).open {
        let running = snap
            .sessions
            .iter()
            .any(|s| s.id.0 == id && s.status == skyport_core::skaha::SessionStatus::Running);
        if running {
            if let Err(e) = crate::commands::sessions::open_window(app, &id).await {
                tracing::warn!("could not reopen a session window: {}", e.message);
            }
        }
    }
}

/// The background poller; runs for the life of the app.
pub fn spawn_poller<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let policy = PollPolicy::default();
        let mut tracker = SessionTracker::load(&notices_file(&app.state::<AppState>().paths));
        let mut errors: u32 = 0;
        let mut reopened = false;
        loop {
            let (snap, failed) = refresh(&app, &mut tracker).await;
            errors = if failed { errors.saturating_add(1) } else { 0 };
            if !failed && !reopened && snap.as_of.is_some() {
                reopened = true;
                reopen_windows(&app, &snap).await;
            }
            let configured = app.state::<AppState>().client().is_ok();
            // Nothing to poll until a platform and credential exist; wait for a poke.
            let wait = if configured {
                policy.next(&snap.sessions, errors)
            } else {
                Duration::from_secs(3600)
            };
            let hub = &app.state::<AppState>().sessions;
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = hub.poke.notified() => {}
            }
        }
    });
}
