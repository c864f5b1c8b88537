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

/// Look at every rule of `profile` against `sessions` (the list just fetched); renew what
/// is due. `warn_hours`: sessions are extended before the expiry warning would come, so a
/// kept session never nags.
pub async fn carry_out(
    hub: &SessionsHub,
    paths: &Paths,
    client: &SkahaClient,
    profile: &str,
    sessions: &[Session],
    warn_hours: u32,
    now: DateTime<Utc>,
) -> Vec<SessionNotice> {
    let due: Vec<(KeepAlive, Step)> = {
        let rules = hub.rules(paths);
        rules
            .of_profile(profile)
            .map(|r| {
                let margin = KeepAlive {
                    within_hours: r.within_hours.max(warn_hours.saturating_add(1)),
                    ..r.clone()
                };
                let listed = sessions.iter().find(|s| s.id.0 == r.session_id);
                (r.clone(), margin.step(listed, now))
            })
            .filter(|(_, step)| !matches!(step, Step::WaitUntil(_)))
            .collect()
    };
    let mut notices = Vec::new();
    for (mut rule, step) in due {
        let id = SessionId(rule.session_id.clone());
        let ended = match step {
            Step::Done(ended) => Some(ended),
            Step::WaitUntil(_) => continue,
            Step::Extend => {
                let before = sessions
                    .iter()
                    .find(|s| s.id == id)
                    .and_then(|s| s.expiry_time);
                match renewed(client, &id).await {
                    Ok(after) => match rule.extended_to(before.unwrap_or(now), after, now) {
                        None => {
                            let last = after >= rule.until;
                            notices.push(SessionNotice::Extended {
                                id: id.clone(),
                                name: rule.name.clone(),
                                expires_at: after,
                                until: rule.until,
                                last,
                            });
                            last.then_some(skyport_core::keepalive::Ended::Reached)
                        }
                        limit => limit,
                    },
                    Err(e) => {
                        notices.push(SessionNotice::KeepAliveStopped {
                            id: id.clone(),
                            name: rule.name.clone(),
                            title: format!("Could not extend {}", rule.name),
                            reason: format!(
                                "{} Skyport stops keeping it alive; renew it yourself from its details.",
                                e.message
                            ),
                        });
                        hub.with_rules(paths, |rules| {
                            ((), rules.remove(profile, &rule.session_id))
                        });
                        continue;
                    }
                }
            }
        };
        match ended {
            Some(ended) => {
                if let Some((title, reason)) = ended.text(&rule.name, rule.until) {
                    notices.push(SessionNotice::KeepAliveStopped {
                        id: id.clone(),
                        name: rule.name.clone(),
                        title,
                        reason,
                    });
                }
                hub.with_rules(paths, |rules| ((), rules.remove(profile, &rule.session_id)));
            }
            None => hub.with_rules(paths, |rules| {
                rules.set(rule.clone());
                ((), true)
            }),
        }
    }
    notices
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
