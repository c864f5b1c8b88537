//! Session windows: interactive sessions in their own Skyport windows — opening (through
//! the credential relay when the page asks for credentials), remembering size, position and
//! which were open, and reopening them at the next start.
//!
//! Listens for `Signal::OpenSessionWindow` (the tray) and reads the session list from the
//! kernel's `Bus::sessions` channel.

pub mod commands;
mod memory;
mod open;

use std::collections::BTreeMap;
use std::sync::Mutex;

use skyport_core::relay::RelayHandle;
use skyport_core::sessions::SessionsSnapshot;
use skyport_core::skaha::{Session, SessionStatus};
use tauri::{AppHandle, Manager, Runtime};

use crate::kernel::{bus, Bus, Platform, SettingsStore, Signal};

/// The feature's state: relays serving session windows, by window label; dropped (stopped)
/// with the window.
#[derive(Default)]
pub struct Relays(Mutex<BTreeMap<String, RelayHandle>>);

impl Relays {
    fn insert(&self, label: String, relay: RelayHandle) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(label, relay);
    }

    fn remove(&self, label: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(label);
    }
}

pub fn init<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Relays::default());
    let mut signals = app.state::<Bus>().subscribe();
    let tray_app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(signal) = bus::next(&mut signals).await {
            if let Signal::OpenSessionWindow(id) = signal {
                // The tray has nowhere to show an error: it is logged.
                if let Err(e) = open::open_window(&tray_app, &id).await {
                    tracing::warn!("could not open session {id} from the tray: {}", e.message);
                }
            }
        }
    });
    spawn_reopener(app.clone());
}

/// Remembered windows whose sessions are Running in `snap`.
fn remembered_running(remembered: &[String], snap: &SessionsSnapshot) -> Vec<Session> {
    snap.sessions
        .iter()
        .filter(|s| remembered.contains(&s.id.0) && s.status == SessionStatus::Running)
        .cloned()
        .collect()
}

/// The windows to offer again: with "reopen session windows" off, the remembered ones
/// still Running; with it on, none (they are reopened without asking).
pub fn to_offer<R: Runtime>(app: &AppHandle<R>) -> Vec<Session> {
    if app.state::<SettingsStore>().get().reopen_windows {
        return Vec::new();
    }
    let remembered = memory::load(&app.state::<Platform>().paths).open;
    remembered_running(&remembered, &app.state::<Bus>().sessions())
}

/// With "reopen session windows" on, open the windows of the last run once the first list
/// has arrived (only sessions still Running; the others are forgotten).
fn spawn_reopener<R: Runtime>(app: AppHandle<R>) {
    let mut sessions = app.state::<Bus>().sessions.subscribe();
    tauri::async_runtime::spawn(async move {
        // The borrow of the channel ends with this statement: never held across an await.
        let snap = match sessions.wait_for(SessionsSnapshot::is_fresh).await {
            Ok(snap) => snap.clone(),
            Err(_) => return,
        };
        if !app.state::<SettingsStore>().get().reopen_windows {
            return;
        }
        let remembered = memory::load(&app.state::<Platform>().paths).open;
        for s in remembered_running(&remembered, &snap) {
            if let Err(e) = open::open_window(&app, &s.id.0).await {
                tracing::warn!("could not reopen a session window: {}", e.message);
            }
        }
    });
}

#[cfg(test)]
mod tests;
