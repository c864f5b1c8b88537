//! Sessions: the list kept fresh by a background poller (adaptive timing, the last good
//! list with its "as of" time, one desktop notification per session event), and the
//! actions on sessions (details, logs, events, launch, renew, delete, prune, load).
//!
//! Publishes the list on the kernel's `Bus::sessions` channel; fetches again when told the
//! credential was replaced.

pub mod actions;
pub mod commands;
pub mod keep_alive;
mod poller;

use std::time::{Duration, Instant};

use skyport_core::paths::Paths;
use skyport_core::skaha::{Context, Session};
use skyport_core::usage::{history_file, Track, UsageHistory};
use tauri::{AppHandle, Manager, Runtime};

use crate::kernel::{bus, Bus, Signal};

/// The feature's state: a way to ask the poller for a refresh now, and which platform the
/// list it holds came from.
#[derive(Default)]
pub struct SessionsHub {
    poke: tokio::sync::Notify,
    /// The main window was shown: the slower pace of the tray no longer holds.
    shown: tokio::sync::Notify,
    /// The platform generation the last list came from (`None` before the first).
    generation: std::sync::Mutex<Option<u64>>,
    /// The platform's context (resource options, quota) for explaining waits, by generation.
    context: std::sync::Mutex<Option<(u64, Context)>>,
    /// What running sessions used, watched on every new answer.
    usage: std::sync::Mutex<Usage>,
    /// One change of the keep-alive rules' file at a time.
    rules: std::sync::Mutex<()>,
    /// One pass over the keep-alive rules at a time (the poller's, or a Refresh's).
    keep_turn: tokio::sync::Mutex<()>,
    /// What was seen and said, shared by the poller and a Refresh (read from its file at
    /// first use): a list fetched either way is news once, never twice.
    tracker: tokio::sync::Mutex<Option<skyport_core::sessions::SessionTracker>>,
    /// The minute of the list's time the page heard last (see `poller::confirm`).
    told: bus::LastSaid<Option<i64>>,
    /// When the waits of an unchanged list were last explained to a shown window.
    explained: Every,
    /// When an answer was last looked at for notices and usage (a new one always is).
    looked: Every,
}

/// Something done at most once per period: when it was done last.
#[derive(Default)]
struct Every(std::sync::Mutex<Option<Instant>>);

impl Every {
    /// Whether it is due at `now` (never done, or `period` ago); when it is, it counts as
    /// done now.
    fn due(&self, period: Duration, now: Instant) -> bool {
        let mut at = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match *at {
            Some(t) if now.saturating_duration_since(t) < period => false,
            _ => {
                *at = Some(now);
                true
            }
        }
    }

    /// It was done at `now` another way.
    fn done(&self, now: Instant) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    /// It is due at once.
    fn forget(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The usage history (read from its file at the first poll), saved now and then: a few
/// minutes of it lost to a crash cost nothing, a write on every poll would.
#[derive(Default)]
struct Usage {
    history: Option<UsageHistory>,
    saved: Every,
    unsaved: bool,
}

const SAVE_USAGE_EVERY: Duration = Duration::from_secs(600);

/// How often the waits of an unchanged list are asked about again while the window is shown
/// (a changed list, a Refresh and a window shown again are asked about at once).
const EXPLAIN_EVERY: Duration = Duration::from_secs(60);

/// How often an unchanged answer is looked at again for what it says about time (a session
/// soon to expire, the time its use was watched): its statuses and figures are those
/// already seen, and with 2,000 sessions a look costs more than the poll. An expiry warning
/// (or a changed warning setting) then counts up to a minute and a poll later: against a
/// lead of hours, nothing.
const LOOK_AGAIN_EVERY: Duration = Duration::from_secs(60);

impl SessionsHub {
    /// Refresh now (after a launch, renew or delete).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    /// Whether the waits of an unchanged list are to be asked about again now (`shown`: the
    /// window is; hidden, nobody reads them, and the first poll shown again asks).
    fn explain_due(&self, shown: bool, now: Instant) -> bool {
        if !shown {
            self.explained.forget();
            return false;
        }
        self.explained.due(EXPLAIN_EVERY, now)
    }

    /// Whether the answer a poll brought is to be looked at for notices and usage: a new
    /// one (`read`) always, the same as the last at most once a minute.
    fn look_due(&self, read: bool, now: Instant) -> bool {
        if read {
            self.looked.done(now);
            return true;
        }
        self.looked.due(LOOK_AGAIN_EVERY, now)
    }

    /// The next poll asks and looks again, whatever the pace (a Refresh).
    fn look_again_next(&self) {
        self.explained.forget();
        self.looked.forget();
    }

    fn context(&self, generation: u64) -> Option<Context> {
        let held = self.context.lock().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|(g, _)| *g == generation)
            .map(|(_, c)| c.clone())
    }

    fn keep_context(&self, generation: u64, context: Context) {
        *self.context.lock().unwrap_or_else(|e| e.into_inner()) = Some((generation, context));
    }

    /// Note what the running sessions of `profile` use now.
    fn observe_usage(
        &self,
        paths: &Paths,
        profile: &str,
        sessions: &[Session],
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let file = history_file(paths);
        let history = usage
            .history
            .get_or_insert_with(|| UsageHistory::load(&file));
        if history.observe(profile, sessions, now) {
            usage.unsaved = true;
        }
        if usage.unsaved && usage.saved.due(SAVE_USAGE_EVERY, Instant::now()) {
            if let Some(Err(e)) = usage.history.as_ref().map(|h| h.save(&file)) {
                tracing::warn!(error = %e, "the usage history is not saved");
            }
            usage.unsaved = false;
        }
    }

    /// Read the usage history (loading it if no poll has yet).
    pub fn with_usage<T>(&self, paths: &Paths, read: impl FnOnce(&UsageHistory) -> T) -> T {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let history = usage
            .history
            .get_or_insert_with(|| UsageHistory::load(&history_file(paths)));
        read(history)
    }

    /// One session's history.
    pub fn usage_of(&self, paths: &Paths, profile: &str, id: &str) -> Option<Track> {
        self.with_usage(paths, |h| h.track(profile, id).cloned())
    }

    /// Note the platform generation the next list comes from; true when it is another than
    /// the last one's.
    fn switch_to(&self, generation: u64) -> bool {
        let mut held = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        if *held == Some(generation) {
            return false;
        }
        *held = Some(generation);
        true
    }
}

pub fn init<R: Runtime>(app: &AppHandle<R>) {
    app.manage(SessionsHub::default());
    poller::spawn(app.clone());
    answer_signals(app);
}

/// What other features ask of the session list, on the bus.
fn answer_signals<R: Runtime>(app: &AppHandle<R>) {
    let mut signals = app.state::<Bus>().subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(signal) = bus::next(&mut signals).await {
            match signal {
                Signal::CredentialChanged { replaced: true } => app.state::<SessionsHub>().poke(),
                Signal::MainShown => {
                    app.state::<SessionsHub>().shown.notify_one();
                    poller::confirm_shown(&app);
                }
                _ => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use skyport_core::connect::TokenSlot;
    use skyport_core::error::ErrorCode;
    use skyport_core::keyring::SecretStoreExt;
    use skyport_core::secret::SecretString;
    use skyport_core::sessions::{SessionNotice, SessionTracker};
    use skyport_core::skaha::SessionStatus;
    use skyport_core::status::CredentialState;
    use tauri::Manager;

    use super::poller::refresh;
    use crate::kernel::lifetime::Lifetime;
    use crate::kernel::{self, Bus, Platform};
    use crate::testing::app_at;

    /// The simulated platform, where `good-token` is alice's and `seed_sessions` are hers.
    fn start_sim(rt: &tokio::runtime::Runtime, seed_sessions: usize) -> skyport_sim::SimHandle {
        rt.block_on(skyport_sim::start(skyport_sim::SimConfig {
            tokens: vec![("good-token".into(), "alice".into())],
            seed_sessions,
            seed_owner: Some("alice".into()),
            ..Default::default()
        }))
        .expect("sim")
    }

    /// The profile's saved token, as if the user had pasted it.
    fn set_token(platform: &Platform, token: &str) {
        platform
            .secrets
            .set(
                &TokenSlot::Token.key("lab"),
                &SecretString::new(token.into()),
            )
            .expect("set");
    }

    /// The poller against the simulated platform: a refused token is shown as refused and
    /// the list kept; a new token (announced) is used at once, and the refusal cleared.
    #[test]
    fn a_refused_credential_shows_and_a_new_one_is_used_at_once() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = start_sim(&rt, 0);
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        let platform = app.state::<Platform>();
        let mut tracker = SessionTracker::default();

        set_token(&platform, "good-token");
        let (snap, failed) = rt.block_on(refresh(app, &mut tracker));
        assert!(!failed && snap.is_fresh(), "{snap:?}");
        assert_eq!(app.state::<Bus>().sessions(), snap, "published on the bus");

        // Replaced behind the app's back: the kept connection still works until the platform
        // refuses a credential; then the refusal shows and the list stays.
        set_token(&platform, "stale-token");
        platform.forget_connection();
        let (snap, failed) = rt.block_on(refresh(app, &mut tracker));
        assert!(failed);
        assert_eq!(
            snap.error.as_ref().map(|e| e.code),
            Some(ErrorCode::SignInNeeded)
        );
        assert!(snap.as_of.is_some(), "the previous list is kept");
        assert!(platform.is_refused());
        assert_eq!(platform.credential_status().state, CredentialState::Expired);

        set_token(&platform, "good-token");
        kernel::credential_changed(app, true);
        let (snap, failed) = rt.block_on(refresh(app, &mut tracker));
        assert!(!failed && snap.is_fresh(), "{snap:?}");
        assert!(!platform.is_refused());
        assert_eq!(
            platform.credential_status().state,
            CredentialState::SignedIn
        );
        rt.block_on(sim.shutdown());
    }

    /// A poll that gets the very answer the list was read from does not read it again (2,000
    /// sessions cost tens of milliseconds to read, on every poll); a new answer is read, and
    /// the same answer after a failed poll clears the failure.
    #[test]
    fn the_same_answer_is_not_read_again() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = start_sim(&rt, 2);
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        let platform = app.state::<Platform>();
        let bus = app.state::<Bus>();
        set_token(&platform, "good-token");
        let mut tracker = SessionTracker::default();
        let (first, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(first.sessions.len(), 2, "{first:?}");
        assert!(first.answer.is_some(), "the answer's digest is kept");

        // A mark on the list held: read again, the list would lose it.
        bus.sessions
            .send_modify(|s| s.sessions[0].name = "held".into());
        let (again, failed) = rt.block_on(refresh(app, &mut tracker));
        assert!(!failed && again.is_fresh(), "{again:?}");
        assert_eq!(again.sessions[0].name, "held", "not read again");
        assert!(again.as_of >= first.as_of);

        // A failed poll keeps the list; the same answer then clears the failure, unread.
        sim.set_fault(skyport_sim::FaultRule {
            method: Some("GET".into()),
            error_rate: 1.0,
            error_status: 403,
            ..Default::default()
        });
        let (down, failed) = rt.block_on(refresh(app, &mut tracker));
        assert!(failed && down.error.is_some(), "{down:?}");
        sim.clear_faults();
        let (back, failed) = rt.block_on(refresh(app, &mut tracker));
        assert!(!failed && back.is_fresh(), "{back:?}");
        assert_eq!(back.sessions[0].name, "held", "not read again");

        // The platform's list changes: the new answer is read.
        let gone = back.sessions[1].id.clone();
        let client = platform.client().expect("client");
        rt.block_on(client.delete(&gone)).expect("delete");
        let (changed, failed) = rt.block_on(refresh(app, &mut tracker));
        assert!(!failed, "{changed:?}");
        assert_eq!(changed.sessions[1].status, SessionStatus::Terminating);
        assert_eq!(
            changed.sessions[0].name, first.sessions[0].name,
            "read anew"
        );
        assert_ne!(changed.answer, first.answer);
        rt.block_on(sim.shutdown());
    }

    /// What running sessions use is watched on every new answer (the same answer once a
    /// minute), kept per platform and saved; the details read it back (how it sizes a
    /// relaunch is core's, tested there).
    #[test]
    fn running_sessions_use_is_watched() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = start_sim(&rt, 6);
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        let platform = app.state::<Platform>();
        app.manage(super::SessionsHub::default());
        let hub = app.state::<super::SessionsHub>();
        set_token(&platform, "good-token");
        let mut tracker = SessionTracker::default();
        let list = rt
            .block_on(
                platform
                    .client()
                    .expect("client")
                    .list_sessions(&Default::default()),
            )
            .expect("list");
        let running = list
            .sessions
            .iter()
            .find(|s| s.status == SessionStatus::Running)
            .expect("a running session among the seeded ones");
        let waiting = list
            .sessions
            .iter()
            .find(|s| s.status != SessionStatus::Running);
        assert!(sim.set_usage(running.id.as_str(), 0.25, 1.5));
        rt.block_on(refresh(app, &mut tracker));
        sim.set_usage(running.id.as_str(), 0.75, 1.0);
        rt.block_on(refresh(app, &mut tracker));

        let usage = super::actions::session_usage(&platform, &hub, running.id.as_str())
            .expect("usage")
            .expect("watched");
        assert_eq!(usage.track.peak_cores, Some(0.75));
        assert_eq!(
            usage.track.peak_ram_gb,
            Some(1.5),
            "as the platform reports it"
        );
        assert_eq!(usage.fit, None, "minutes of watching size nothing");

        // The same answer again: looked at once a minute, not at every poll; a Refresh
        // looks at once.
        let last = || {
            hub.usage_of(&platform.paths, "lab", running.id.as_str())
                .map(|t| t.last)
        };
        let seen = last();
        let (again, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(again.sessions.len(), list.sessions.len());
        assert_eq!(
            last(),
            seen,
            "the same answer a moment later: not looked at"
        );
        rt.block_on(super::poller::refresh_now(app));
        assert!(
            last() > seen,
            "a Refresh looks: {:?} after {seen:?}",
            last()
        );
        if let Some(w) = waiting {
            assert!(hub
                .usage_of(&platform.paths, "lab", w.id.as_str())
                .is_none());
        }
        // Saved at once the first time (then every few minutes), and read back.
        let saved = skyport_core::usage::UsageHistory::load(&skyport_core::usage::history_file(
            &platform.paths,
        ));
        assert!(saved.track("lab", running.id.as_str()).is_some());
        rt.block_on(sim.shutdown());
    }

    /// A kept session is renewed when less than a day is left, once, with one notice; a
    /// refused renewal, or a session that is gone, ends its rule.
    #[test]
    fn kept_sessions_are_extended_when_due() {
        use skyport_core::skaha::SessionKind;
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        // Jobs that run for weeks: the job is still running when its rule is due.
        let sim = rt
            .block_on(skyport_sim::start(skyport_sim::SimConfig {
                tokens: vec![("good-token".into(), "alice".into())],
                headless_run_time: std::time::Duration::from_secs(30 * 86_400),
                ..Default::default()
            }))
            .expect("sim");
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        app.manage(super::SessionsHub::default());
        let platform = app.state::<Platform>();
        let hub = app.state::<super::SessionsHub>();
        set_token(&platform, "good-token");
        let client = platform.client().expect("client");
        let launch = |name: &str, kind: SessionKind| {
            let req = skyport_core::skaha::CreateRequest {
                name: name.into(),
                image: "images.canfar.net/skaha/astroml:latest".into(),
                kind: Some(kind),
                cmd: None,
                ..Default::default()
            };
            rt.block_on(client.create_session(&req)).expect("launch")
        };
        let nb = launch("kept", SessionKind::Notebook);
        let jb = launch("job", SessionKind::Headless);
        sim.advance_clock(std::time::Duration::from_secs(120));
        let get =
            |id: &skyport_core::skaha::SessionId| rt.block_on(client.get_session(id)).expect("get");
        let (notebook, job) = (get(&nb), get(&jb));
        assert_eq!(
            (&notebook.status, &job.status),
            (&SessionStatus::Running, &SessionStatus::Running)
        );
        let rules = |hub: &super::SessionsHub| {
            hub.with_rules(&platform.paths, |r| (r.rules.clone(), false))
        };
        // On the platform's clock (the sim's runs ahead when told).
        let look = |hub: &super::SessionsHub| {
            let list = rt
                .block_on(client.list_sessions(&Default::default()))
                .expect("list");
            rt.block_on(super::keep_alive::carry_out(
                hub,
                &platform.paths,
                &client,
                "lab",
                &list.sessions,
                sim.now(),
                12,
                sim.now(),
            ))
        };
        super::keep_alive::set_rule(&hub, &platform.paths, "lab", &notebook, Some(10), sim.now())
            .expect("rule");
        assert!(look(&hub).is_empty());
        assert_eq!(rules(&hub)[0].extended, 0, "days left: nothing to do");

        // Three and a half days on, less than a day is left: renewed, once, and said once.
        sim.advance_clock(std::time::Duration::from_secs(84 * 3600));
        let before = get(&nb).expiry_time.expect("expiry");
        let said = look(&hub);
        let after = get(&nb).expiry_time.expect("expiry");
        assert!(
            after > before + chrono::Duration::days(3),
            "{before} -> {after}"
        );
        assert!(
            matches!(&said[..], [SessionNotice::Extended { expires_at, last: false, .. }] if *expires_at == after),
            "{said:?}"
        );
        let kept = rules(&hub);
        assert_eq!((kept[0].extended, kept[0].last_expiry), (1, Some(after)));
        assert!(look(&hub).is_empty(), "not again while days are left");
        assert_eq!(rules(&hub)[0].extended, 1);
        // Saved: a restart keeps the rule.
        let saved = skyport_core::keepalive::KeepAliveRules::load(
            &skyport_core::keepalive::KeepAliveRules::file(&platform.paths),
        );
        assert_eq!(saved.rules, rules(&hub));

        // Stopped by the user.
        super::keep_alive::set_rule(&hub, &platform.paths, "lab", &notebook, None, sim.now())
            .expect("removed");
        assert!(rules(&hub).is_empty());

        // A headless job near the end of its two weeks, and the platform refuses the
        // renewal: said once, the rule goes (renewing is left to the user).
        super::keep_alive::set_rule(&hub, &platform.paths, "lab", &job, Some(20), sim.now())
            .expect("rule");
        sim.advance_clock(std::time::Duration::from_secs(10 * 86_400));
        sim.set_fault(skyport_sim::FaultRule {
            method: Some("POST".into()),
            error_rate: 1.0,
            error_status: 503,
            ..Default::default()
        });
        let said = look(&hub);
        sim.clear_faults();
        assert!(
            matches!(&said[..], [SessionNotice::KeepAliveStopped { title, reason, .. }]
                if title == "Could not extend job" && reason.contains("renew it yourself")),
            "{said:?}"
        );
        assert!(rules(&hub).is_empty(), "a refusal ends the rule");
        assert!(look(&hub).is_empty());
        // A rule set after the list was fetched is not ended for its session's absence from
        // that list; from a later list it is.
        let job_now = get(&jb);
        super::keep_alive::set_rule(&hub, &platform.paths, "lab", &job_now, Some(20), sim.now())
            .expect("rule");
        let early = sim.now() - chrono::Duration::minutes(1);
        let said = rt.block_on(super::keep_alive::carry_out(
            &hub,
            &platform.paths,
            &client,
            "lab",
            &[],
            early,
            12,
            sim.now(),
        ));
        assert!(said.is_empty());
        assert_eq!(
            rules(&hub).len(),
            1,
            "kept: the list was older than the rule"
        );
        sim.advance_clock(std::time::Duration::from_secs(60));
        rt.block_on(super::keep_alive::carry_out(
            &hub,
            &platform.paths,
            &client,
            "lab",
            &[],
            sim.now(),
            12,
            sim.now(),
        ));
        assert!(rules(&hub).is_empty(), "a newer list without it ends it");

        // A session that is gone ends its rule without a word.
        super::keep_alive::set_rule(&hub, &platform.paths, "lab", &notebook, Some(3), sim.now())
            .expect("rule");
        rt.block_on(client.delete(&nb)).expect("delete");
        sim.advance_clock(std::time::Duration::from_secs(3600));
        assert!(look(&hub).is_empty());
        assert!(rules(&hub).is_empty());
        rt.block_on(sim.shutdown());
    }

    /// A launch asked to be kept alive leaves a rule for each session it started, and is
    /// remembered with it.
    #[test]
    fn a_launch_kept_alive_leaves_its_rules() {
        use skyport_core::skaha::{Resources, SessionKind};
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = start_sim(&rt, 0);
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        app.manage(super::SessionsHub::default());
        let platform = app.state::<Platform>();
        let hub = app.state::<super::SessionsHub>();
        set_token(&platform, "good-token");
        let form = super::actions::LaunchForm {
            kind: SessionKind::Headless,
            image: "images.canfar.net/skaha/astroml:latest".into(),
            name: "batch".into(),
            resources: Resources::Flexible,
            cmd: None,
            args: None,
            env: vec![],
            replicas: 2,
            registry: None,
            keep_alive_days: Some(3),
            name_is_default: false,
        };
        let out = rt
            .block_on(super::actions::launch(&platform, &hub, form.clone()))
            .expect("launch");
        assert!(out.iter().all(|o| o.error.is_none()), "{out:?}");
        let rules = hub.with_rules(&platform.paths, |r| (r.rules.clone(), false));
        let mut named: Vec<_> = rules
            .iter()
            .map(|r| (r.name.clone(), r.profile.clone()))
            .collect();
        named.sort();
        assert_eq!(
            named,
            vec![
                ("batch-1".into(), "lab".into()),
                ("batch-2".into(), "lab".into())
            ]
        );
        let recent = skyport_core::presets::LaunchMemory::new(&platform.paths)
            .recent("lab")
            .expect("recent");
        assert_eq!(recent[0].spec.keep_alive_days, Some(3));
        // Out of bounds: refused before anything starts.
        let too_long = super::actions::LaunchForm {
            keep_alive_days: Some(31),
            ..form
        };
        let err = rt
            .block_on(super::actions::launch(&platform, &hub, too_long))
            .expect_err("refused");
        assert!(err.message.contains("1 to 30 days"), "{}", err.message);
        rt.block_on(sim.shutdown());
    }

    /// Why a Pending session waits is asked while the window is shown (for an unchanged list
    /// at most once a minute, and at once on a Refresh or when shown again), and not while it
    /// is hidden in the tray (nobody reads it there; the last answer is kept).
    #[test]
    fn waiting_sessions_are_explained_while_shown() {
        use skyport_core::why::Cause;
        use skyport_sim::Stall;

        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = start_sim(&rt, 0);
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        app.manage(super::SessionsHub::default());
        let platform = app.state::<Platform>();
        set_token(&platform, "good-token");
        let client = platform.client().expect("client");
        let id = rt
            .block_on(client.create_session(&skyport_core::skaha::CreateRequest {
                name: "fit".into(),
                image: "images.canfar.net/skaha/astroml:latest".into(),
                kind: Some(skyport_core::skaha::SessionKind::Headless),
                ..Default::default()
            }))
            .expect("create");
        assert!(sim.stall(id.as_str(), Some(Stall::Pulling)));
        let mut tracker = SessionTracker::default();
        let cause = |snap: &skyport_core::sessions::SessionsSnapshot| {
            snap.why.get(id.as_str()).map(|w| w.cause)
        };

        let (snap, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(cause(&snap), Some(Cause::Pulling), "{snap:?}");

        let life = app.state::<Lifetime>();
        life.set_main_hidden(true);
        assert!(sim.stall(id.as_str(), Some(Stall::ImageMissing)));
        let (snap, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(
            cause(&snap),
            Some(Cause::Pulling),
            "hidden: not asked again"
        );

        life.set_main_hidden(false);
        let (snap, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(cause(&snap), Some(Cause::ImageUnavailable), "shown: asked");

        // The same list again within the minute: not asked; a Refresh asks.
        assert!(sim.stall(id.as_str(), Some(Stall::NoCpu)));
        let (snap, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(
            cause(&snap),
            Some(Cause::ImageUnavailable),
            "asked a moment ago"
        );
        let (snap, _) = rt.block_on(super::poller::refresh_now(app));
        assert_eq!(cause(&snap), Some(Cause::NoRoom), "a Refresh asks");
        rt.block_on(sim.shutdown());
    }

    /// A Refresh and the poller share what was said: an expiry warning found by either is
    /// given once, not again at every Refresh.
    #[test]
    fn a_refresh_repeats_no_notice() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        // Sessions that live two hours: within the warning lead time from the start.
        let sim = rt
            .block_on(skyport_sim::start(skyport_sim::SimConfig {
                tokens: vec![("good-token".into(), "alice".into())],
                pending_delay: std::time::Duration::ZERO,
                interactive_lifetime: std::time::Duration::from_secs(2 * 3600),
                ..Default::default()
            }))
            .expect("sim");
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        app.manage(super::SessionsHub::default());
        set_token(&app.state::<Platform>(), "good-token");
        let client = app.state::<Platform>().client().expect("client");
        rt.block_on(client.create_session(&skyport_core::skaha::CreateRequest {
            name: "nb".into(),
            image: "images.canfar.net/skaha/astroml:latest".into(),
            kind: Some(skyport_core::skaha::SessionKind::Notebook),
            ..Default::default()
        }))
        .expect("launch");
        let heard = crate::testing::Heard::on(app, &["session-notified"]);
        let (snap, failed) = rt.block_on(super::poller::refresh_now(app));
        assert!(!failed && snap.sessions.len() == 1, "{snap:?}");
        assert_eq!(snap.sessions[0].status, SessionStatus::Running);
        crate::testing::wait_until("the warning", || heard.len() == 1);
        for _ in 0..3 {
            rt.block_on(super::poller::refresh_now(app));
        }
        let said = heard.payloads();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("expiringSoon"), "{said:?}");
        rt.block_on(sim.shutdown());
    }

    /// An unchanged list sends the page only its time (once a minute), and not even that
    /// while the window is hidden in the tray; shown again, the page hears the latest time.
    #[test]
    fn an_unchanged_list_wakes_no_hidden_window() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = start_sim(&rt, 2);
        let m = app_at(sim.skaha_url().as_str());
        let app = m.app.handle();
        app.manage(super::SessionsHub::default());
        super::answer_signals(app);
        set_token(&app.state::<Platform>(), "good-token");
        let heard = crate::testing::Heard::on(app, &["sessions-confirmed", "sessions-updated"]);
        let names = || heard.names();
        let mut tracker = SessionTracker::default();

        let (first, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(first.sessions.len(), 2, "{first:?}");
        assert_eq!(names(), ["sessions-updated"]);
        let (second, _) = rt.block_on(refresh(app, &mut tracker));
        // Shown: the time, when the minute the page shows moved (poller's own test).
        let minute =
            |s: &skyport_core::sessions::SessionsSnapshot| s.as_of.map(super::poller::shown_minute);
        let told = if minute(&second) == minute(&first) {
            vec!["sessions-updated"]
        } else {
            vec!["sessions-updated", "sessions-confirmed"]
        };
        assert_eq!(names(), told, "shown: the time, once a minute");

        let life = app.state::<Lifetime>();
        life.set_main_hidden(true);
        let (hidden, _) = rt.block_on(refresh(app, &mut tracker));
        assert_eq!(names().len(), told.len(), "hidden: nothing for the page");
        assert_eq!(
            app.state::<Bus>().sessions().as_of,
            hidden.as_of,
            "the bus has the time"
        );

        crate::kernel::lifetime::show_main(app);
        assert!(!life.main_hidden());
        crate::testing::wait_until("the time is sent on show", || {
            names().len() == told.len() + 1
        });
        let last = heard.payloads().last().cloned().unwrap_or_default();
        let as_of = hidden
            .as_of
            .expect("time")
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        assert_eq!(heard.names().last(), Some(&"sessions-confirmed"));
        assert!(last.contains(&as_of), "{last} / {as_of}");
        rt.block_on(sim.shutdown());
    }
}
