//! Watching a session list over time: how often to poll, and which changes deserve one
//! desktop notification each (a session became Running, failed, finished, or will expire
//! soon). Pure logic on an injected clock; the shell does the polling and the notifying.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::batches::{Batch, BatchWatch};
use crate::error::ErrorPayload;
use crate::skaha::{Session, SessionId, SessionKind, SessionStatus};
use crate::why::Why;

/// The session list as the app shows it: the last good list, when it was fetched, and why
/// the latest refresh failed when it did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
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
    /// Why Pending sessions wait, by session id (`why::explain_list`; the first few only).
    #[serde(default)]
    pub why: BTreeMap<String, Why>,
    /// The replicas of headless launches, grouped ([`crate::batches::batches`]).
    #[serde(default)]
    pub batches: Vec<Batch>,
    /// The digest of the server's answer the list was read from (`ListAnswer::digest`): the
    /// same answer next time need not be read again. Not for the UI.
    #[serde(skip)]
    #[specta(skip)]
    pub answer: Option<u64>,
}

impl SessionsSnapshot {
    /// Before the first answer.
    pub fn loading() -> Self {
        Self {
            loading: true,
            ..Self::default()
        }
    }

    /// The list of a successful refresh.
    pub fn fetched(sessions: Vec<Session>, skipped: u32, now: DateTime<Utc>) -> Self {
        Self {
            batches: crate::batches::batches(&sessions),
            sessions,
            as_of: Some(now),
            error: None,
            skipped,
            loading: false,
            why: BTreeMap::new(),
            answer: None,
        }
    }

    /// Note the digest of the answer this list was read from.
    pub fn read_from(self, answer: u64) -> Self {
        Self {
            answer: Some(answer),
            ..self
        }
    }

    /// A failed refresh: the previous list stays, with the error beside it.
    pub fn failed(self, error: ErrorPayload) -> Self {
        Self {
            error: Some(error),
            loading: false,
            ..self
        }
    }

    /// Whether this fresh list shows what `before` showed (the same sessions, in the same
    /// state, no error then or now): only the time it was read differs.
    pub fn same_list_as(&self, before: &SessionsSnapshot) -> bool {
        self.is_fresh()
            && before.is_fresh()
            && self.skipped == before.skipped
            && self.sessions == before.sessions
            && self.why == before.why
    }

    /// Whether this is a list the server gave just now (not an error, not the placeholder).
    pub fn is_fresh(&self) -> bool {
        self.error.is_none() && self.as_of.is_some()
    }
}

/// How often to ask for the list.
#[derive(Debug, Clone)]
pub struct PollPolicy {
    /// While a session is Pending or Terminating and the list changed lately.
    pub fast: Duration,
    /// While a session is Pending or Terminating but nothing changed for a while (a session
    /// queued for hours on a full platform).
    pub waiting: Duration,
    /// Otherwise.
    pub slow: Duration,
    /// Longest wait after repeated failures.
    pub max_backoff: Duration,
    /// How long after the last change the fast pace lasts, and after which the waiting pace
    /// gives way to the slow one.
    pub fast_for: Duration,
    pub waiting_for: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        // The Science Portal polls every 5–10 s while something changes; 30 s is enough
        // otherwise. A session that stays Pending for hours must not keep the app (and the
        // platform) busy every few seconds: the pace eases off when nothing changes.
        Self {
            fast: Duration::from_secs(3),
            waiting: Duration::from_secs(10),
            slow: Duration::from_secs(30),
            max_backoff: Duration::from_secs(120),
            fast_for: Duration::from_secs(120),
            waiting_for: Duration::from_secs(600),
        }
    }
}

impl PollPolicy {
    /// The wait before the next poll, the list having last changed `unchanged_for` ago (a
    /// session's status, or one added or gone). While the window is `hidden` nobody watches
    /// the list, only its notifications: the pace is one step slower (a session that starts
    /// is told at most 10 s late, one queued for minutes at most 30 s late).
    pub fn next(
        &self,
        sessions: &[Session],
        consecutive_errors: u32,
        unchanged_for: Duration,
        hidden: bool,
    ) -> Duration {
        if consecutive_errors > 0 {
            let exp = self.fast.saturating_mul(1u32 << consecutive_errors.min(8));
            return exp.min(self.max_backoff);
        }
        let paces = [self.fast, self.waiting, self.slow];
        let step = if !sessions.iter().any(|s| s.status.is_transitional()) {
            2
        } else if unchanged_for < self.fast_for {
            0
        } else if unchanged_for < self.waiting_for {
            1
        } else {
            2
        };
        paces[(step + usize::from(hidden)).min(2)]
    }
}

/// When the list last changed in a way that matters to the pace: which sessions there are
/// and in which status (not their CPU figures, which move at every poll).
#[derive(Debug, Default)]
pub struct ChangeClock {
    seen: Vec<(SessionId, SessionStatus)>,
    changed_at: Option<std::time::Instant>,
    /// How long ago the first list counts as changed.
    head_start: Duration,
    /// The digest of the answer last compared (`SessionsSnapshot::answer`).
    answer: Option<u64>,
}

impl ChangeClock {
    /// A clock whose first list counts as changed `head_start` ago: the fast pace follows a
    /// change seen or an action (a launch, a delete), not the start of the app, when nothing
    /// says a session that is already Pending is about to start.
    pub fn new(head_start: Duration) -> Self {
        Self {
            head_start,
            ..Self::default()
        }
    }

    /// [`ChangeClock::observe`] for a list read from the server's answer `answer` (its
    /// digest): the answer compared last time is not compared again (with 2,000 sessions
    /// that is a copy and a sort at every poll, for a list known to be the same).
    pub fn observe_answer(
        &mut self,
        answer: Option<u64>,
        sessions: &[Session],
        now: std::time::Instant,
    ) -> Duration {
        if answer.is_some() && answer == self.answer {
            return self.unchanged_for(now);
        }
        self.answer = answer;
        self.observe(sessions, now)
    }

    /// Note a list read at `now`; answers how long it has been unchanged.
    pub fn observe(&mut self, sessions: &[Session], now: std::time::Instant) -> Duration {
        let mut seen: Vec<(SessionId, SessionStatus)> = sessions
            .iter()
            .map(|s| (s.id.clone(), s.status.clone()))
            .collect();
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        if self.changed_at.is_none() {
            self.seen = seen;
            self.changed_at = Some(now.checked_sub(self.head_start).unwrap_or(now));
        } else if seen != self.seen {
            self.seen = seen;
            self.changed_at = Some(now);
        }
        self.unchanged_for(now)
    }

    fn unchanged_for(&self, now: std::time::Instant) -> Duration {
        self.changed_at
            .map(|at| now.saturating_duration_since(at))
            .unwrap_or_default()
    }

    /// Something was done to the list (a launch, a delete): the fast pace starts again.
    pub fn poke(&mut self, now: std::time::Instant) {
        self.changed_at = Some(now);
    }
}

/// Something worth one notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "event")]
pub enum SessionNotice {
    /// The session is ready to open.
    Running {
        id: SessionId,
        name: String,
        kind: SessionKind,
    },
    /// It failed (or expired, which Skaha reports as Failed).
    Failed {
        id: SessionId,
        name: String,
        kind: SessionKind,
    },
    /// A headless job finished.
    Completed { id: SessionId, name: String },
    /// It will be stopped soon unless renewed.
    ExpiringSoon {
        id: SessionId,
        name: String,
        kind: SessionKind,
        #[specta(type = String)]
        expires_at: DateTime<Utc>,
    },
    /// Renewed by its keep-alive rule; `last` when that covers the rule's time.
    Extended {
        id: SessionId,
        name: String,
        #[specta(type = String)]
        expires_at: DateTime<Utc>,
        #[specta(type = String)]
        until: DateTime<Utc>,
        last: bool,
    },
    /// Its keep-alive rule stopped before its time, and why.
    KeepAliveStopped {
        id: SessionId,
        name: String,
        title: String,
        reason: String,
    },
    /// Every replica of a headless launch has ended (one notice for the batch, none for
    /// its replicas). `id`: its first replica's.
    BatchEnded {
        id: SessionId,
        name: String,
        /// Its progress in words ("18 of 20 done, 2 failed").
        progress: String,
        /// The failed replicas, in replica order.
        failed_ids: Vec<String>,
    },
}

impl SessionNotice {
    fn key(&self) -> (String, &'static str) {
        match self {
            Self::Running { id, .. } => (id.0.clone(), "running"),
            Self::Failed { id, .. } => (id.0.clone(), "failed"),
            Self::Completed { id, .. } => (id.0.clone(), "completed"),
            Self::ExpiringSoon { id, expires_at, .. } => {
                (format!("{}@{}", id.0, expires_at.timestamp()), "expiring")
            }
            Self::Extended { id, expires_at, .. } => {
                (format!("{}@{}", id.0, expires_at.timestamp()), "extended")
            }
            Self::KeepAliveStopped { id, .. } => (id.0.clone(), "keep-alive-stopped"),
            Self::BatchEnded { id, .. } => (id.0.clone(), "batch-ended"),
        }
    }

    /// Title and body for a desktop notification.
    pub fn text(&self) -> (String, String) {
        let label = |name: &str, id: &SessionId| {
            if name.is_empty() {
                id.0.clone()
            } else {
                name.to_string()
            }
        };
        match self {
            Self::Running { id, name, kind } => {
                (format!("{} is ready", label(name, id)), format!("Your {kind} session is running. Open it from Skyport."))
            }
            Self::Failed { id, name, kind } => (
                format!("{} stopped", label(name, id)),
                format!("Your {kind} session failed or reached its time limit. Its logs and events are in Skyport."),
            ),
            Self::Completed { id, name } => {
                (format!("{} finished", label(name, id)), "Your headless job completed. Its logs are in Skyport.".into())
            }
            Self::ExpiringSoon { id, name, kind, expires_at } => (
                format!("{} expires soon", label(name, id)),
                format!(
                    "Your {kind} session will be stopped at {} UTC. Renew it in Skyport to keep it.",
                    expires_at.format("%Y-%m-%d %H:%M")
                ),
            ),
            Self::Extended { id, name, expires_at, until, last } => (
                format!("Extended {}", label(name, id)),
                if *last {
                    format!(
                        "It now runs until {} UTC, past the {} UTC you asked for; Skyport stops extending it.",
                        expires_at.format("%Y-%m-%d %H:%M"),
                        until.format("%Y-%m-%d %H:%M")
                    )
                } else {
                    format!(
                        "It now runs until {} UTC; kept alive until {} UTC.",
                        expires_at.format("%Y-%m-%d %H:%M"),
                        until.format("%Y-%m-%d %H:%M")
                    )
                },
            ),
            Self::KeepAliveStopped { title, reason, .. } => (title.clone(), reason.clone()),
            Self::BatchEnded { name, progress, failed_ids, .. } => {
                if failed_ids.is_empty() {
                    (format!("Batch {name} finished"), format!("{progress}. Their logs are in Skyport."))
                } else {
                    (
                        format!("Batch {name} ended, {} failed", failed_ids.len()),
                        format!("{progress}. The failed ones' logs are in Skyport."),
                    )
                }
            }
        }
    }
}

/// Remembers what it has seen and what it has already announced.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SessionTracker {
    #[serde(skip)]
    last: HashMap<String, SessionStatus>,
    #[serde(skip)]
    primed: bool,
    /// The platform (profile) whose lists are observed now; the keys of its notices carry it,
    /// so that another platform's list never makes them look gone.
    #[serde(skip)]
    scope: String,
    /// Batches seen running, to say once when each has ended.
    #[serde(skip)]
    batches: BatchWatch,
    /// Keys of notices already sent (kept across restarts so nothing repeats), as
    /// `<scope>|<id>:<what>`.
    sent: HashSet<String>,
}

impl SessionTracker {
    /// Load what was already announced (a missing or unreadable file starts afresh).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<SessionTracker>(&b).ok())
            .unwrap_or_default()
    }

    /// Save what was announced (atomically: temp file + rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(path, &bytes)
    }

    /// Lists come from `profile` now: its first list only primes again (its running sessions
    /// are not news), and what was announced on any platform stays announced.
    pub fn switched_platform(&mut self, profile: &str) {
        self.last.clear();
        self.primed = false;
        self.batches = BatchWatch::default();
        self.scope = profile.to_string();
    }

    /// Compare a fresh list with the previous one and return what deserves a notification.
    ///
    /// The first list after start only primes the tracker (no "is ready" burst for sessions
    /// that were already running), except expiry warnings, which matter at any time.
    pub fn observe(
        &mut self,
        sessions: &[Session],
        now: DateTime<Utc>,
        warn_before: Duration,
    ) -> Vec<SessionNotice> {
        let mut out = Vec::new();
        let warn = chrono::Duration::from_std(warn_before).unwrap_or(chrono::Duration::hours(12));
        // A batch's replicas end one by one; it is said once, when all have.
        let batches = crate::batches::batches(sessions);
        let in_batch: HashSet<&str> = batches
            .iter()
            .flat_map(|b| b.ids.iter().map(String::as_str))
            .collect();
        for s in sessions {
            let prev = self.last.get(s.id.as_str());
            let changed = self.primed && prev != Some(&s.status);
            let was_active = prev.is_none_or(|p| p.is_active());
            let notice = match &s.status {
                SessionStatus::Running if changed && s.kind.is_interactive() => {
                    Some(SessionNotice::Running {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        kind: s.kind.clone(),
                    })
                }
                SessionStatus::Failed | SessionStatus::Completed
                    if in_batch.contains(s.id.as_str()) =>
                {
                    None
                }
                SessionStatus::Failed if changed && was_active => Some(SessionNotice::Failed {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    kind: s.kind.clone(),
                }),
                SessionStatus::Completed
                    if changed && was_active && s.kind == SessionKind::Headless =>
                {
                    Some(SessionNotice::Completed {
                        id: s.id.clone(),
                        name: s.name.clone(),
                    })
                }
                _ => None,
            };
            out.extend(notice);
            if s.status == SessionStatus::Running {
                if let Some(exp) = s.expiry_time {
                    if exp > now && exp - now <= warn {
                        out.push(SessionNotice::ExpiringSoon {
                            id: s.id.clone(),
                            name: s.name.clone(),
                            kind: s.kind.clone(),
                            expires_at: exp,
                        });
                    }
                }
            }
        }
        out.extend(self.batches.observe(&batches).into_iter().filter_map(|b| {
            Some(SessionNotice::BatchEnded {
                id: SessionId(b.ids.first()?.clone()),
                name: b.name,
                progress: b.progress,
                failed_ids: b.failed_ids,
            })
        }));
        self.last = sessions
            .iter()
            .map(|s| (s.id.0.clone(), s.status.clone()))
            .collect();
        self.primed = true;
        // Forget keys of this platform's sessions that are gone, so the file stays small.
        let live: HashSet<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
        let scope = self.scope.as_str();
        self.sent.retain(|k| {
            let (of, rest) = k.split_once('|').unwrap_or(("", k));
            of != scope || live.contains(rest.split(['@', ':']).next().unwrap_or(""))
        });
        out.retain(|n| {
            // A batch's end is said once by its watch; its key (the first replica's id)
            // can be a replica of an earlier launch of the same name, still listed.
            if matches!(n, SessionNotice::BatchEnded { .. }) {
                return true;
            }
            let (id, what) = n.key();
            self.sent.insert(format!("{scope}|{id}:{what}"))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: &str, kind: SessionKind, status: SessionStatus, expiry: Option<&str>) -> Session {
        Session {
            id: SessionId(id.into()),
            name: format!("n-{id}"),
            kind,
            status,
            image: String::new(),
            userid: None,
            start_time: None,
            expiry_time: expiry.map(|e| e.parse().expect("time")),
            connect_url: None,
            requested_cores: None,
            requested_ram_gb: None,
            requested_gpus: None,
            cores_in_use: None,
            ram_in_use_gb: None,
            fixed_resources: None,
            app_id: None,
        }
    }

    #[test]
    fn another_platforms_list_neither_repeats_nor_forgets_what_was_said() {
        let soon = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
        let a = [s(
            "abcd1234",
            SessionKind::Notebook,
            SessionStatus::Running,
            Some(&soon),
        )];
        let b = [s(
            "wxyz9876",
            SessionKind::Notebook,
            SessionStatus::Running,
            None,
        )];
        let warn = Duration::from_secs(12 * 3600);
        let mut t = SessionTracker::default();
        t.switched_platform("a");
        assert_eq!(
            t.observe(&a, Utc::now(), warn).len(),
            1,
            "the expiry warning"
        );
        // On B its running session is not news; back on A the warning is not repeated.
        t.switched_platform("b");
        assert!(t.observe(&b, Utc::now(), warn).is_empty());
        t.switched_platform("a");
        assert!(t.observe(&a, Utc::now(), warn).is_empty());
    }

    fn t(x: &str) -> DateTime<Utc> {
        x.parse().expect("time")
    }

    const H12: Duration = Duration::from_secs(12 * 3600);

    #[test]
    fn running_is_announced_once_after_pending() {
        let mut tr = SessionTracker::default();
        let now = t("2026-01-01T00:00:00Z");
        assert!(tr
            .observe(
                &[s("a", SessionKind::Notebook, SessionStatus::Pending, None)],
                now,
                H12
            )
            .is_empty());
        let running = [s(
            "a",
            SessionKind::Notebook,
            SessionStatus::Running,
            Some("2026-01-05T00:00:00Z"),
        )];
        let n = tr.observe(&running, now, H12);
        assert_eq!(n.len(), 1);
        assert!(matches!(&n[0], SessionNotice::Running { id, .. } if id.0 == "a"));
        assert!(tr.observe(&running, now, H12).is_empty(), "never repeated");
    }

    #[test]
    fn the_first_list_only_primes_except_expiry() {
        let mut tr = SessionTracker::default();
        let now = t("2026-01-01T00:00:00Z");
        let list = [
            s(
                "a",
                SessionKind::Notebook,
                SessionStatus::Running,
                Some("2026-01-03T00:00:00Z"),
            ),
            s(
                "b",
                SessionKind::Desktop,
                SessionStatus::Running,
                Some("2026-01-01T06:00:00Z"),
            ),
            s("c", SessionKind::Carta, SessionStatus::Failed, None),
        ];
        let n = tr.observe(&list, now, H12);
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(matches!(&n[0], SessionNotice::ExpiringSoon { id, .. } if id.0 == "b"));
        assert!(tr.observe(&list, now, H12).is_empty());
    }

    #[test]
    fn failure_and_headless_completion() {
        let mut tr = SessionTracker::default();
        let now = t("2026-01-01T00:00:00Z");
        tr.observe(
            &[
                s("a", SessionKind::Notebook, SessionStatus::Running, None),
                s("j", SessionKind::Headless, SessionStatus::Running, None),
            ],
            now,
            H12,
        );
        let n = tr.observe(
            &[
                s("a", SessionKind::Notebook, SessionStatus::Failed, None),
                s("j", SessionKind::Headless, SessionStatus::Completed, None),
            ],
            now,
            H12,
        );
        assert!(matches!(&n[0], SessionNotice::Failed { .. }));
        assert!(matches!(&n[1], SessionNotice::Completed { .. }));
        assert_eq!(n.len(), 2);
        // A headless job becoming Running is not worth a popup.
        let mut tr = SessionTracker::default();
        tr.observe(
            &[s("h", SessionKind::Headless, SessionStatus::Pending, None)],
            now,
            H12,
        );
        assert!(tr
            .observe(
                &[s("h", SessionKind::Headless, SessionStatus::Running, None)],
                now,
                H12
            )
            .is_empty());
    }

    #[test]
    fn a_batch_is_said_once_when_all_its_replicas_have_ended_and_no_replica_alone() {
        let replica = |n: u32, status: SessionStatus| Session {
            name: format!("fit-{n}"),
            image: "images.canfar.net/skaha/astroml:24.07".into(),
            ..s(&format!("j{n}"), SessionKind::Headless, status, None)
        };
        let warn = Duration::from_secs(3600);
        let mut t = SessionTracker::default();
        let running = [
            replica(1, SessionStatus::Running),
            replica(2, SessionStatus::Pending),
            replica(3, SessionStatus::Running),
        ];
        assert!(t.observe(&running, Utc::now(), warn).is_empty(), "primes");
        // One fails, one completes: the others still run, nothing is said yet (a lone
        // headless job would have had its notice by now).
        let partly = [
            replica(1, SessionStatus::Failed),
            replica(2, SessionStatus::Running),
            replica(3, SessionStatus::Completed),
        ];
        assert_eq!(t.observe(&partly, Utc::now(), warn), []);
        let snap = SessionsSnapshot::fetched(partly.to_vec(), 0, Utc::now());
        assert_eq!(snap.batches.len(), 1);
        assert_eq!(snap.batches[0].progress, "1 of 3 done, 1 failed, 1 running");
        let done = [
            replica(1, SessionStatus::Failed),
            replica(2, SessionStatus::Completed),
            replica(3, SessionStatus::Completed),
        ];
        let said = t.observe(&done, Utc::now(), warn);
        assert_eq!(
            said,
            [SessionNotice::BatchEnded {
                id: SessionId("j1".into()),
                name: "fit".into(),
                progress: "2 of 3 done, 1 failed".into(),
                failed_ids: vec!["j1".into()],
            }]
        );
        let (title, body) = said[0].text();
        assert_eq!(title, "Batch fit ended, 1 failed");
        assert!(body.starts_with("2 of 3 done, 1 failed."), "{body}");
        // Said once: the same list again, or after another platform and back, says nothing.
        assert_eq!(t.observe(&done, Utc::now(), warn), []);
        t.switched_platform("other");
        t.switched_platform("");
        assert_eq!(t.observe(&done, Utc::now(), warn), []);

        // Launched again under the same name while the first replicas are still listed:
        // its end is said too (the first replica's id, the notice's, is the old one's).
        let again = |status: SessionStatus| -> Vec<Session> {
            let mut l = done.to_vec();
            l.extend((1..=3).map(|n| Session {
                id: SessionId(format!("k{n}")),
                ..replica(n, status.clone())
            }));
            l
        };
        assert_eq!(
            t.observe(&again(SessionStatus::Running), Utc::now(), warn),
            []
        );
        let said = t.observe(&again(SessionStatus::Completed), Utc::now(), warn);
        assert!(
            matches!(&said[..], [SessionNotice::BatchEnded { name, .. }] if name == "fit"),
            "{said:?}"
        );
    }

    #[test]
    fn a_renewed_session_can_warn_again_for_its_new_expiry() {
        let mut tr = SessionTracker::default();
        let list = |e: &str| {
            [s(
                "a",
                SessionKind::Notebook,
                SessionStatus::Running,
                Some(e),
            )]
        };
        assert_eq!(
            tr.observe(
                &list("2026-01-01T10:00:00Z"),
                t("2026-01-01T00:00:00Z"),
                H12
            )
            .len(),
            1
        );
        assert!(tr
            .observe(
                &list("2026-01-01T10:00:00Z"),
                t("2026-01-01T01:00:00Z"),
                H12
            )
            .is_empty());
        // Renewed to four days later: no warning now...
        assert!(tr
            .observe(
                &list("2026-01-05T01:00:00Z"),
                t("2026-01-01T01:00:00Z"),
                H12
            )
            .is_empty());
        // ...but one again when the new expiry comes close.
        assert_eq!(
            tr.observe(
                &list("2026-01-05T01:00:00Z"),
                t("2026-01-04T20:00:00Z"),
                H12
            )
            .len(),
            1
        );
    }

    #[test]
    fn announced_notices_survive_a_restart() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("notices.json");
        let list = [s(
            "a",
            SessionKind::Notebook,
            SessionStatus::Running,
            Some("2026-01-01T10:00:00Z"),
        )];
        let mut tr = SessionTracker::default();
        assert_eq!(tr.observe(&list, t("2026-01-01T00:00:00Z"), H12).len(), 1);
        tr.save(&path).expect("save");
        let mut again = SessionTracker::load(&path);
        assert!(
            again
                .observe(&list, t("2026-01-01T00:30:00Z"), H12)
                .is_empty(),
            "no repeat after restart"
        );
        std::fs::write(&path, b"garbage").expect("write");
        let mut fresh = SessionTracker::load(&path);
        assert_eq!(
            fresh.observe(&list, t("2026-01-01T00:30:00Z"), H12).len(),
            1,
            "unreadable file starts afresh"
        );
    }

    #[test]
    fn polling_adapts() {
        let p = PollPolicy::default();
        let pending = [s("a", SessionKind::Notebook, SessionStatus::Pending, None)];
        let running = [s("a", SessionKind::Notebook, SessionStatus::Running, None)];
        let now = Duration::ZERO;
        assert_eq!(p.next(&pending, 0, now, false), p.fast);
        assert_eq!(p.next(&running, 0, now, false), p.slow);
        assert_eq!(p.next(&running, 1, now, false), p.fast * 2);
        assert_eq!(p.next(&running, 30, now, false), p.max_backoff);
        // Hidden in the tray: one step slower, never slower than the slow pace; failures
        // back off as before.
        assert_eq!(p.next(&pending, 0, now, true), p.waiting);
        assert_eq!(p.next(&pending, 0, p.fast_for, true), p.slow);
        assert_eq!(p.next(&running, 0, now, true), p.slow);
        assert_eq!(p.next(&running, 1, now, true), p.fast * 2);
    }

    #[test]
    fn the_first_list_is_not_a_change() {
        let p = PollPolicy::default();
        let pending = [s("a", SessionKind::Notebook, SessionStatus::Pending, None)];
        let mut clock = ChangeClock::new(p.fast_for);
        let t0 = std::time::Instant::now() + Duration::from_secs(3600);
        let at = |secs| t0 + Duration::from_secs(secs);
        // Pending when the app starts: the waiting pace, which eases off as usual.
        assert_eq!(
            p.next(&pending, 0, clock.observe(&pending, at(0)), false),
            p.waiting
        );
        let left = p.waiting_for - p.fast_for;
        assert_eq!(
            p.next(
                &pending,
                0,
                clock.observe(&pending, at(left.as_secs() - 1)),
                false
            ),
            p.waiting
        );
        assert_eq!(
            p.next(
                &pending,
                0,
                clock.observe(&pending, at(left.as_secs() + 1)),
                false
            ),
            p.slow
        );
        // A launch brings the fast pace.
        clock.poke(at(700));
        assert_eq!(
            p.next(&pending, 0, clock.observe(&pending, at(701)), false),
            p.fast
        );
    }

    #[test]
    fn an_unchanged_list_is_told_apart_from_a_changed_one() {
        let t1 = t("2026-01-01T00:00:00Z");
        let t2 = t("2026-01-01T00:00:30Z");
        let a = vec![s("a", SessionKind::Notebook, SessionStatus::Running, None)];
        let before = SessionsSnapshot::fetched(a.clone(), 0, t1);
        assert!(SessionsSnapshot::fetched(a.clone(), 0, t2).same_list_as(&before));
        let mut busier = a.clone();
        busier[0].cores_in_use = Some(1.5);
        assert!(!SessionsSnapshot::fetched(busier, 0, t2).same_list_as(&before));
        assert!(!SessionsSnapshot::fetched(a.clone(), 1, t2).same_list_as(&before));
        assert!(
            !SessionsSnapshot::fetched(a.clone(), 0, t2).same_list_as(&SessionsSnapshot::default())
        );
        let failed = before
            .clone()
            .failed(ErrorPayload::new(crate::error::ErrorCode::Internal, "x"));
        assert!(
            !SessionsSnapshot::fetched(a, 0, t2).same_list_as(&failed),
            "the error goes away"
        );
    }

    #[test]
    fn the_same_answer_is_not_compared_again() {
        let pending = [s("a", SessionKind::Notebook, SessionStatus::Pending, None)];
        let running = [s("a", SessionKind::Notebook, SessionStatus::Running, None)];
        let mut clock = ChangeClock::default();
        let t0 = std::time::Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        assert_eq!(
            clock.observe_answer(Some(1), &pending, at(0)),
            Duration::ZERO
        );
        // The same digest is the same list: its sessions are not looked at (those given
        // here differ only to show that).
        assert_eq!(
            clock.observe_answer(Some(1), &running, at(50)),
            Duration::from_secs(50)
        );
        // Another answer is compared: the same statuses are no change...
        assert_eq!(
            clock.observe_answer(Some(2), &pending, at(80)),
            Duration::from_secs(80)
        );
        // ...a new status is.
        assert_eq!(
            clock.observe_answer(Some(3), &running, at(90)),
            Duration::ZERO
        );
        // A list from no answer (none read yet) is always compared.
        assert_eq!(
            clock.observe_answer(None, &running, at(95)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_session_pending_for_long_eases_the_pace_off() {
        let p = PollPolicy::default();
        let pending = [s("a", SessionKind::Notebook, SessionStatus::Pending, None)];
        let mut clock = ChangeClock::default();
        let t0 = std::time::Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        let mut pace = |secs| p.next(&pending, 0, clock.observe(&pending, at(secs)), false);
        assert_eq!(pace(0), p.fast);
        assert_eq!(pace(119), p.fast);
        assert_eq!(pace(121), p.waiting);
        assert_eq!(pace(599), p.waiting);
        assert_eq!(pace(601), p.slow, "queued for ten minutes: the slow pace");
        assert_eq!(pace(3600), p.slow);
        // A change (the session starts, another is launched) brings the fast pace back.
        let both = [
            s("a", SessionKind::Notebook, SessionStatus::Pending, None),
            s("b", SessionKind::Notebook, SessionStatus::Pending, None),
        ];
        assert_eq!(
            p.next(&both, 0, clock.observe(&both, at(3601)), false),
            p.fast
        );
        assert_eq!(
            p.next(&both, 0, clock.observe(&both, at(3700)), false),
            p.fast
        );
        assert_eq!(
            p.next(&both, 0, clock.observe(&both, at(4400)), false),
            p.slow
        );
        clock.poke(at(4401));
        assert_eq!(
            p.next(&both, 0, clock.observe(&both, at(4402)), false),
            p.fast
        );
    }
}

/// Which sessions a prune removes: name prefix or regular expression, kind and status
/// (like `canfar prune PREFIX [KIND] [STATUS]`, with regex support).
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PruneRule {
    /// A literal name prefix, or a regular expression when `regex` is true.
    pub pattern: String,
    pub regex: bool,
    pub kind: Option<SessionKind>,
    pub status: Option<SessionStatus>,
}

/// A prune rule that cannot be used; says what to give instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PruneError(pub String);

impl crate::error::Coded for PruneError {
    fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::Validation
    }
}

impl PruneRule {
    /// The sessions the rule selects. An empty pattern selects by kind/status alone.
    pub fn select<'a>(&self, sessions: &'a [Session]) -> Result<Vec<&'a Session>, PruneError> {
        let re = if self.regex {
            Some(regex::Regex::new(&self.pattern).map_err(|e| {
                PruneError(format!(
                    "the pattern is not a valid regular expression: {e}"
                ))
            })?)
        } else {
            None
        };
        if self.pattern.is_empty() && self.kind.is_none() && self.status.is_none() {
            return Err(PruneError(
                "give a name prefix, a kind or a status; pruning everything is not allowed".into(),
            ));
        }
        Ok(sessions
            .iter()
            .filter(|s| match &re {
                Some(re) => re.is_match(&s.name),
                None => s.name.starts_with(&self.pattern.to_ascii_lowercase()),
            })
            .filter(|s| self.kind.as_ref().is_none_or(|k| &s.kind == k))
            .filter(|s| self.status.as_ref().is_none_or(|st| &s.status == st))
            .collect())
    }
}

#[cfg(test)]
mod prune_tests {
    use super::*;

    fn s(name: &str, kind: SessionKind, status: SessionStatus) -> Session {
        let v = serde_json::json!({"id": format!("id{name}"), "name": name, "type": kind.as_str(), "status": status.as_str()});
        Session::from_json(&v).expect("session")
    }

    #[test]
    fn prefix_regex_kind_status() {
        let list = [
            s("job-1", SessionKind::Headless, SessionStatus::Completed),
            s("job-2", SessionKind::Headless, SessionStatus::Running),
            s("jobless", SessionKind::Notebook, SessionStatus::Running),
            s("fit-7", SessionKind::Headless, SessionStatus::Completed),
        ];
        let names = |r: &PruneRule| {
            r.select(&list)
                .expect("select")
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&PruneRule {
                pattern: "job".into(),
                ..Default::default()
            }),
            ["job-1", "job-2", "jobless"]
        );
        assert_eq!(
            names(&PruneRule {
                pattern: "JOB".into(),
                kind: Some(SessionKind::Headless),
                status: Some(SessionStatus::Completed),
                regex: false
            }),
            ["job-1"]
        );
        assert_eq!(
            names(&PruneRule {
                pattern: r"^(job|fit)-\d+$".into(),
                regex: true,
                ..Default::default()
            }),
            ["job-1", "job-2", "fit-7"]
        );
        assert!(PruneRule {
            pattern: "(".into(),
            regex: true,
            ..Default::default()
        }
        .select(&list)
        .is_err());
        assert!(
            PruneRule::default().select(&list).is_err(),
            "an empty rule must not select everything"
        );
    }
}
