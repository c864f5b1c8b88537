//! Keep-alive rules carried out: on every poll, each rule of the platform in use is looked
//! at against the list; a session close to its end is renewed (one notice per renewal),
//! and a rule that is over is dropped (with a notice when it stopped short). Core's
//! `keepalive` decides; this module renews, keeps the file and tells.

use chrono::{DateTime, Utc};
use skyport_core::error::ErrorPayload;
use skyport_core::keepalive::{KeepAlive, KeepAliveRules, Step, DEFAULT_WITHIN_HOURS};
use skyport_core::paths::Paths;
use skyport_core::sessions::SessionNotice;
use skyport_core::skaha::{Session, SessionId, SkahaClient};

use super::SessionsHub;
use crate::kernel::payload;

impl SessionsHub {
    /// Read (and perhaps change) the rules in their file, which the CLI writes too; the
    /// file is written when `change` says so.
    pub fn with_rules<T>(
        &self,
        paths: &Paths,
        change: impl FnOnce(&mut KeepAliveRules) -> (T, bool),
    ) -> T {
        // One change at a time in this process; the file's lock orders the processes.
        let _one = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        KeepAliveRules::change(&KeepAliveRules::file(paths), change).0
    }

    /// The rules as they are (no lock: the file is replaced whole, never half-written).
    pub fn rules(&self, paths: &Paths) -> KeepAliveRules {
        KeepAliveRules::load(&KeepAliveRules::file(paths))
    }
}

/// The sessions of `profile` that a rule keeps.
pub fn kept_ids(hub: &SessionsHub, paths: &Paths, profile: &str) -> Vec<String> {
    hub.rules(paths)
        .of_profile(profile)
        .map(|r| r.session_id.clone())
        .collect()
}

/// Set, replace or (`days: None`) remove a session's rule.
pub fn set_rule(
    hub: &SessionsHub,
    paths: &Paths,
    profile: &str,
    session: &Session,
    days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Option<KeepAlive>, ErrorPayload> {
    let rule = match days {
        None => None,
        Some(d) => Some(
            KeepAlive::new(
                profile,
                &session.id.0,
                &session.name,
                d,
                DEFAULT_WITHIN_HOURS,
                now,
            )
            .map_err(|m| ErrorPayload::new(skyport_core::error::ErrorCode::Validation, m))?,
        ),
    };
    hub.with_rules(paths, |rules| match &rule {
        Some(r) => {
            rules.set(r.clone());
            (rule.clone(), true)
        }
        None => (None, rules.remove(profile, &session.id.0)),
    });
    Ok(rule)
}

/// Stop keeping a session alive (it may be gone, or the platform out of reach).
pub fn stop_rule(hub: &SessionsHub, paths: &Paths, profile: &str, session_id: &str) {
    hub.with_rules(paths, |rules| ((), rules.remove(profile, session_id)));
}

/// Look at every rule of `profile` against `sessions` (the list fetched at `listed_at`);
/// renew what is due. `warn_hours`: sessions are extended before the expiry warning would
/// come. One pass at a time: a Refresh while the poller is at it does not renew twice.
#[allow(clippy::too_many_arguments)]
pub async fn carry_out(
    hub: &SessionsHub,
    paths: &Paths,
    client: &SkahaClient,
    profile: &str,
    sessions: &[Session],
    listed_at: DateTime<Utc>,
    warn_hours: u32,
    now: DateTime<Utc>,
) -> Vec<SessionNotice> {
    let Ok(_turn) = hub.keep_turn.try_lock() else {
        return Vec::new();
    };
    let due: Vec<(KeepAlive, Step)> = hub
        .rules(paths)
        .of_profile(profile)
        .filter_map(|r| {
            let margin = KeepAlive {
                within_hours: r.within_hours.max(warn_hours.saturating_add(1)),
                ..r.clone()
            };
            let listed = sessions.iter().find(|s| s.id.0 == r.session_id);
            let step = margin.step(listed, now);
            // Set after this list was fetched: its session may not be in it yet.
            let too_new = listed.is_none() && r.created > listed_at;
            (!matches!(step, Step::WaitUntil(_)) && !too_new).then(|| (r.clone(), step))
        })
        .collect();
    let mut notices = Vec::new();
    for (seen, step) in due {
        let id = SessionId(seen.session_id.clone());
        let mut rule = seen.clone();
        let keep = match step {
            Step::WaitUntil(_) => continue,
            Step::Done(ended) => {
                notices.extend(stopped(&rule, ended.text(&rule.name, rule.until)));
                None
            }
            Step::Extend => {
                let before = sessions
                    .iter()
                    .find(|s| s.id == id)
                    .and_then(|s| s.expiry_time);
                match renewed(client, &id).await {
                    Ok(after) => match rule.extended_to(before.unwrap_or(now), after, now) {
                        None => {
                            notices.push(SessionNotice::Extended {
                                id: id.clone(),
                                name: rule.name.clone(),
                                expires_at: after,
                                until: rule.until,
                                last: after >= rule.until,
                            });
                            Some(rule)
                        }
                        Some(limit) => {
                            notices.extend(stopped(&rule, limit.text(&rule.name, rule.until)));
                            None
                        }
                    },
                    Err(e) => {
                        let words = Some((
                            format!("Could not extend {}", rule.name),
                            format!(
                                "{} Skyport stops keeping it alive; renew it yourself from its details.",
                                e.message
                            ),
                        ));
                        notices.extend(stopped(&rule, words));
                        None
                    }
                }
            }
        };
        settle(hub, paths, profile, &seen, keep);
    }
    notices
}

fn stopped(rule: &KeepAlive, words: Option<(String, String)>) -> Option<SessionNotice> {
    words.map(|(title, reason)| SessionNotice::KeepAliveStopped {
        id: SessionId(rule.session_id.clone()),
        name: rule.name.clone(),
        title,
        reason,
    })
}

/// Keep (or drop) a rule after acting on it, unless it was changed meanwhile (stopped or
/// set anew from the app or the CLI): then the newer one stands.
fn settle(
    hub: &SessionsHub,
    paths: &Paths,
    profile: &str,
    seen: &KeepAlive,
    keep: Option<KeepAlive>,
) {
    hub.with_rules(paths, |rules| {
        let unchanged = rules
            .get(profile, &seen.session_id)
            .is_some_and(|now| now.until == seen.until && now.created == seen.created);
        if !unchanged {
            return ((), false);
        }
        match keep {
            Some(rule) => rules.set(rule),
            None => {
                rules.remove(profile, &seen.session_id);
            }
        }
        ((), true)
    });
}

/// Renew, then the expiry the platform gives now.
async fn renewed(client: &SkahaClient, id: &SessionId) -> Result<DateTime<Utc>, ErrorPayload> {
    client.renew(id).await.map_err(payload)?;
    let s = client.get_session(id).await.map_err(payload)?;
    s.expiry_time.ok_or_else(|| {
        ErrorPayload::new(
            skyport_core::error::ErrorCode::PlatformError,
            "The platform gave no expiry after the renewal.",
        )
    })
}
