//! The background poller: fetch, publish, notify; the next fetch when the policy says.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use skyport_core::error::ErrorCode;
use skyport_core::launch::quota;
use skyport_core::sessions::{
    ChangeClock, PollPolicy, SessionNotice, SessionTracker, SessionsSnapshot,
};
use skyport_core::skaha::{ListQuery, Session, SessionList, SkahaClient};
use skyport_core::why::{self, Why};
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use super::SessionsHub;
use crate::kernel::events::{SessionsConfirmed, SessionsUpdated};
use crate::kernel::lifetime::Lifetime;
use crate::kernel::{self, payload, Bus, Platform, SettingsStore};

fn notices_file(paths: &skyport_core::paths::Paths) -> std::path::PathBuf {
    paths.state_dir.join("session-notices.json")
}

/// Fetch once, publish, notify, with the tracker the poller uses (a Refresh that finds a
/// change says it once, and the poller does not say it again). Returns the new snapshot
/// and whether it failed.
pub async fn refresh_now<R: Runtime>(app: &AppHandle<R>) -> (SessionsSnapshot, bool) {
    let failed = poll_shared(app, true).await;
    (app.state::<Bus>().sessions(), failed)
}

/// One poll with the shared tracker; true when it failed. `asked`: a Refresh, which asks
/// and looks again whatever the pace (told once the poll's turn came, so that a poll of
/// the poller's, already under way, does not take it).
async fn poll_shared<R: Runtime>(app: &AppHandle<R>, asked: bool) -> bool {
    let hub = app.state::<SessionsHub>();
    let mut held = hub.tracker.lock().await;
    if asked {
        hub.look_again_next();
    }
    let tracker = held
        .get_or_insert_with(|| SessionTracker::load(&notices_file(&app.state::<Platform>().paths)));
    poll_once(app, tracker).await
}

/// Fetch once, publish, notify, with the given tracker (the tests' own). Returns the new
/// snapshot and whether it failed.
#[cfg(test)]
pub async fn refresh<R: Runtime>(
    app: &AppHandle<R>,
    tracker: &mut SessionTracker,
) -> (SessionsSnapshot, bool) {
    let failed = poll_once(app, tracker).await;
    (app.state::<Bus>().sessions(), failed)
}

/// What one poll brought.
enum Fetched {
    /// The very answer the list held was read from: nothing to read again.
    Held,
    /// A new answer, read, with its digest.
    Read(SessionList, u64),
}

impl Fetched {
    /// `f` of this answer's sessions: the list just read, or the one the bus holds (borrowed
    /// for the call only: a borrow held on would keep the channel's writer waiting).
    fn with_sessions<T>(&self, bus: &Bus, f: impl FnOnce(&[Session]) -> T) -> T {
        match self {
            Fetched::Held => f(&bus.sessions.borrow().sessions),
            Fetched::Read(list, _) => f(&list.sessions),
        }
    }
}

/// Fetch once, publish, notify; true when it failed. An answer the same as the last one is
/// not read again (2,000 sessions cost tens of milliseconds to read, every poll).
async fn poll_once<R: Runtime>(app: &AppHandle<R>, tracker: &mut SessionTracker) -> bool {
    let platform = app.state::<Platform>();
    let bus = app.state::<Bus>();
    // Another platform: none of the last list is its, and its running sessions are not news.
    let generation = platform.generation();
    let switched = app
        .try_state::<SessionsHub>()
        .is_some_and(|hub| hub.switch_to(generation));
    if switched {
        let profile = platform.profile().map(|p| p.name).unwrap_or_default();
        tracker.switched_platform(&profile);
    }
    let client = platform.client();
    let asked_at = Utc::now();
    let result = match &client {
        Ok(c) => c.list_answer(&ListQuery::default()).await.map_err(payload),
        Err(e) => Err(e.clone()),
    };
    // The platform changed while this list was fetched: it belongs to the one before.
    if platform.generation() != generation {
        return false;
    }
    let result = result.and_then(|answer| {
        let digest = answer.digest();
        if !switched && bus.sessions.borrow().answer == Some(digest) {
            return Ok(Fetched::Held);
        }
        let list = answer.read().map_err(payload)?;
        Ok(Fetched::Read(list, digest))
    });
    let fetched = match result {
        Ok(fetched) => fetched,
        Err(err) => {
            if err.code == ErrorCode::SignInNeeded && platform.client().is_ok() {
                platform.mark_refused(err.message.clone());
                kernel::credential_changed(app, false);
            }
            let previous = if switched {
                SessionsSnapshot::default()
            } else {
                bus.sessions()
            };
            publish(app, previous.failed(err));
            return true;
        }
    };
    if platform.is_refused() {
        platform.clear_refused();
        kernel::credential_changed(app, false);
    }
    let settings = app.state::<SettingsStore>().get();
    let now = Utc::now();
    // Notices are about time too (a session soon to expire), and an unchanged answer still
    // counts as watched time: the same answer is looked at again now and then.
    let look = app.try_state::<SessionsHub>().is_none_or(|hub| {
        hub.look_due(
            matches!(fetched, Fetched::Read(..)),
            std::time::Instant::now(),
        )
    });
    let notices = if look {
        fetched.with_sessions(&bus, |all| {
            tracker.observe(all, now, settings.expiry_warning())
        })
    } else {
        Vec::new()
    };
    if !notices.is_empty() {
        let _ = tracker.save(&notices_file(&platform.paths));
    }
    // What running sessions use.
    if let (true, Some(hub), Ok(profile)) =
        (look, app.try_state::<SessionsHub>(), platform.profile())
    {
        fetched.with_sessions(&bus, |all| {
            hub.observe_usage(&platform.paths, &profile.name, all, now)
        });
    }
    // The sessions some rule keeps alive (usually none): they are renewed, not warned about.
    let ids = match (app.try_state::<SessionsHub>(), platform.profile()) {
        (Some(hub), Ok(profile)) => {
            super::keep_alive::kept_ids(&hub, &platform.paths, &profile.name)
        }
        _ => Vec::new(),
    };
    for n in notices {
        if matches!(&n, SessionNotice::ExpiringSoon { id, .. } if ids.contains(&id.0)) {
            continue;
        }
        notify(app, &n, settings.notifications);
    }
    if let (Ok(c), Some(hub), Ok(profile)) =
        (&client, app.try_state::<SessionsHub>(), platform.profile())
    {
        // Only the sessions some rule keeps (nothing is copied when none is).
        let pick = |all: &[Session]| -> Vec<_> {
            all.iter()
                .filter(|s| ids.contains(&s.id.0))
                .cloned()
                .collect()
        };
        let listed = if ids.is_empty() {
            Vec::new()
        } else {
            fetched.with_sessions(&bus, pick)
        };
        let kept = super::keep_alive::carry_out(
            &hub,
            &platform.paths,
            c,
            &profile.name,
            &listed,
            asked_at,
            settings.expiry_warning_hours,
            now,
        )
        .await;
        if kept
            .iter()
            .any(|n| matches!(n, SessionNotice::Extended { .. }))
        {
            hub.poke();
        }
        for n in kept {
            notify(app, &n, settings.notifications);
        }
    }
    let why = match &client {
        Ok(c) => explain_waiting(app, c, &fetched, generation).await,
        Err(_) => BTreeMap::new(),
    };
    if platform.generation() != generation {
        return false;
    }
    // One borrow at a time: a second read lock of the channel, taken while a writer waits,
    // would never be granted.
    let unchanged = |why: &BTreeMap<String, Why>| {
        let shown = bus.sessions.borrow();
        shown.is_fresh() && shown.why == *why
    };
    let snap = match fetched {
        Fetched::Held if unchanged(&why) => None,
        Fetched::Held => Some(SessionsSnapshot {
            as_of: Some(now),
            error: None,
            why,
            ..bus.sessions()
        }),
        Fetched::Read(list, digest) => {
            let snap = SessionsSnapshot {
                why,
                ..SessionsSnapshot::fetched(list.sessions, list.skipped, now).read_from(digest)
            };
            (switched || !snap.same_list_as(&bus.sessions.borrow())).then_some(snap)
        }
    };
    match snap {
        Some(snap) => publish(app, snap),
        None => confirm(app, now),
    }
    false
}

/// Why the first few Pending sessions wait (one events request each, on every poll while
/// some wait and the window is shown: nobody reads them in the tray, where the last ones are
/// kept; the context is fetched once per platform).
async fn explain_waiting<R: Runtime>(
    app: &AppHandle<R>,
    client: &SkahaClient,
    fetched: &Fetched,
    generation: u64,
) -> BTreeMap<String, Why> {
    let bus = app.state::<Bus>();
    let hidden = app.try_state::<Lifetime>().is_some_and(|l| l.main_hidden());
    // An unchanged list: its waits are asked about again at most once a minute while shown,
    // never while hidden (each costs a request per waiting session, and the platform's load).
    let hub = app.try_state::<SessionsHub>();
    if matches!(fetched, Fetched::Held)
        && !hub.as_ref().map_or(!hidden, |h| {
            h.explain_due(!hidden, std::time::Instant::now())
        })
    {
        return bus.sessions.borrow().why.clone();
    }
    let waiting = fetched.with_sessions(&bus, why::waiting);
    if waiting.is_empty() {
        return BTreeMap::new();
    }
    let Some(hub) = hub else {
        return BTreeMap::new();
    };
    let context = match hub.context(generation) {
        Some(c) => Some(c),
        None => client
            .context()
            .await
            .ok()
            .inspect(|c| hub.keep_context(generation, c.clone())),
    };
    let quota = context
        .as_ref()
        .map(|c| fetched.with_sessions(&bus, |all| quota(all, c)));
    why::explain_list(client, &waiting, context.as_ref(), quota).await
}

/// A list that differs from the one shown: to every feature and the UI.
fn publish<R: Runtime>(app: &AppHandle<R>, snap: SessionsSnapshot) {
    if let Some(hub) = app.try_state::<SessionsHub>() {
        hub.told.news(&snap.as_of.map(shown_minute), true);
    }
    app.state::<Bus>().sessions.send_replace(snap.clone());
    let _ = SessionsUpdated(snap).emit(app);
}

/// What the page shows of a list's time: its minute ("as of 14:05"). Every time zone is a
/// whole number of minutes from UTC, so a new UTC minute is a new minute on screen.
pub(super) fn shown_minute(as_of: chrono::DateTime<Utc>) -> i64 {
    as_of.timestamp().div_euclid(60)
}

/// The same list as shown, read again at `as_of`: no wake-up for the other features, and
/// the UI learns the new time only when the minute it shows moves — not at every poll, and
/// not at all while the window is hidden in the tray (it hears it when shown again). An
/// open window then wakes for a poll at most once a minute.
fn confirm<R: Runtime>(app: &AppHandle<R>, as_of: chrono::DateTime<Utc>) {
    app.state::<Bus>().sessions.send_if_modified(|s| {
        s.as_of = Some(as_of);
        false
    });
    let hidden = app.try_state::<Lifetime>().is_some_and(|l| l.main_hidden());
    let news = app
        .try_state::<SessionsHub>()
        .is_none_or(|hub| hub.told.news(&Some(shown_minute(as_of)), false));
    if !hidden && news {
        let _ = SessionsConfirmed { as_of }.emit(app);
    }
}

/// The window is shown again: the list's time, held back while it was hidden (the list
/// itself, when it changed, was sent as usual).
pub(super) fn confirm_shown<R: Runtime>(app: &AppHandle<R>) {
    let snap = app.state::<Bus>().sessions();
    if let (Some(as_of), None) = (snap.as_of, snap.error) {
        if let Some(hub) = app.try_state::<SessionsHub>() {
            hub.told.news(&Some(shown_minute(as_of)), true);
        }
        let _ = SessionsConfirmed { as_of }.emit(app);
    }
}

fn notify<R: Runtime>(app: &AppHandle<R>, notice: &SessionNotice, desktop: bool) {
    kernel::lifetime::tell_notice(app, notice);
    if desktop {
        let (title, body) = notice.text();
        kernel::notify::show(app, &title, &body);
    }
}

/// The background poller; runs for the life of the app.
pub(super) fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let policy = PollPolicy::default();
        let mut changes = ChangeClock::new(policy.fast_for);
        let mut errors: u32 = 0;
        loop {
            let failed = poll_shared(&app, false).await;
            errors = if failed { errors.saturating_add(1) } else { 0 };
            let configured = app.state::<Platform>().client().is_ok();
            let hidden = app.try_state::<Lifetime>().is_some_and(|l| l.main_hidden());
            // Nothing to poll until a platform and credential exist; wait for a poke.
            let (wait, wait_shown) = if configured {
                let bus = app.state::<Bus>();
                let snap = bus.sessions.borrow();
                // Only lists that were read count (a failed first poll is no list at all).
                let unchanged = if snap.is_fresh() {
                    changes.observe_answer(snap.answer, &snap.sessions, std::time::Instant::now())
                } else {
                    Duration::ZERO
                };
                let pace = |in_tray| policy.next(&snap.sessions, errors, unchanged, in_tray);
                (pace(hidden), pace(false))
            } else {
                (Duration::from_secs(3600), Duration::from_secs(3600))
            };
            let hub = app.state::<SessionsHub>();
            let asked = tokio::time::Instant::now();
            let mut until = asked + wait;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => break,
                    // A launch, a delete or a refresh: something is about to change.
                    _ = hub.poke.notified() => {
                        changes.poke(std::time::Instant::now());
                        break;
                    }
                    // Shown again: the list is due at the shown pace (at once when older).
                    _ = hub.shown.notified() => until = until.min(asked + wait_shown),
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use skyport_core::sessions::SessionsSnapshot;
    use tauri::Manager;

    use super::{confirm, confirm_shown, publish, SessionsHub};
    use crate::kernel::lifetime::Lifetime;

    /// An unchanged list read again tells the page its new time only when the minute it
    /// shows moves; hidden, not at all, until shown.
    #[test]
    fn the_page_hears_an_unchanged_list_once_a_minute() {
        let m = crate::testing::app_at("http://127.0.0.1:9/skaha");
        let app = m.app.handle();
        app.manage(SessionsHub::default());
        let heard = crate::testing::Heard::on(app, &["sessions-confirmed"]);
        let count = || heard.len();
        let at = |min: u32, sec: u32| {
            Utc.with_ymd_and_hms(2026, 12, 4, 14, min, sec)
                .single()
                .expect("a time")
        };

        publish(app, SessionsSnapshot::fetched(vec![], 0, at(0, 10)));
        confirm(app, at(0, 20));
        confirm(app, at(0, 50));
        assert_eq!(count(), 0, "the same minute as the list the page has");
        confirm(app, at(1, 0));
        confirm(app, at(1, 30));
        assert_eq!(count(), 1, "a new minute, once");
        assert!(heard.payloads()[0].contains("14:01:00"));

        app.state::<Lifetime>().set_main_hidden(true);
        confirm(app, at(2, 0));
        confirm(app, at(3, 0));
        assert_eq!(count(), 1, "nothing while hidden");
        app.state::<Lifetime>().set_main_hidden(false);
        confirm_shown(app);
        assert_eq!(count(), 2, "the time on showing");
        assert!(heard.payloads()[1].contains("14:03:00"));
        confirm(app, at(3, 40));
        assert_eq!(count(), 2, "then the minute rule again");
    }
}
