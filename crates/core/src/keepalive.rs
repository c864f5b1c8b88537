//! Keeping sessions alive: a rule per session ("keep it alive while Skyport runs, up to N
//! days; extend when less than a day is left") that the app carries out on its polls, with
//! one notice per extension. The platform decides how far a renewal reaches (Skaha moves
//! the expiry to four days from the renewal, never more, and leaves a later one as it is):
//! a rule stops renewing once the expiry reaches its end, renews a platform that gives little at half of
//! what it gives (not on every poll), and stops when a renewal no longer moves the expiry.
//!
//! The rules live in `keep-alive.json` in the state folder, per platform profile; they end
//! with their session.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::skaha::{Session, SessionStatus};

/// The longest a rule may keep a session alive.
pub const MAX_DAYS: u32 = 30;
/// Extend when less than this is left, unless the rule says otherwise.
pub const DEFAULT_WITHIN_HOURS: u32 = 24;

/// One session's rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KeepAlive {
    pub profile: String,
    pub session_id: String,
    /// The session's name, for the notices.
    pub name: String,
    /// Keep it alive until then, at most.
    #[specta(type = String)]
    pub until: DateTime<Utc>,
    /// Extend when less than this many hours are left.
    pub within_hours: u32,
    /// How many times it was extended, and the expiry the last extension gave.
    #[serde(default)]
    pub extended: u32,
    #[serde(default)]
    #[specta(type = Option<String>)]
    pub last_expiry: Option<DateTime<Utc>>,
    /// How long the platform's last renewal reached (seconds): a platform that gives less
    /// than the margin is renewed at half of it, not on every poll.
    #[serde(default)]
    pub granted_secs: Option<u32>,
    /// When the rule was set: a list fetched before then may not hold its session yet.
    #[serde(default = "epoch")]
    #[specta(type = String)]
    pub created: DateTime<Utc>,
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// What to do about a rule now.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Renew the session now.
    Extend,
    /// Nothing until then.
    WaitUntil(DateTime<Utc>),
    /// The rule is over, and why (said once, in the notice).
    Done(Ended),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// The session is gone or has ended.
    SessionEnded,
    /// Its expiry already reaches the rule's end: nothing more to do.
    Reached,
    /// The rule's time is over.
    TimeUp,
    /// A renewal did not move the expiry: the platform allows no more.
    PlatformLimit,
}

/// How long a rule may keep a session: 1 to [`MAX_DAYS`] days.
pub fn check_days(days: u32) -> Result<(), String> {
    if (1..=MAX_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(format!("keep a session alive for 1 to {MAX_DAYS} days"))
    }
}

impl KeepAlive {
    /// A rule for the session `session_id` (named `name`), from `now` for `days` days.
    pub fn new(
        profile: &str,
        session_id: &str,
        name: &str,
        days: u32,
        within_hours: u32,
        now: DateTime<Utc>,
    ) -> Result<KeepAlive, String> {
        check_days(days)?;
        if !(1..=72).contains(&within_hours) {
            return Err("extend when 1 to 72 hours are left".into());
        }
        Ok(KeepAlive {
            profile: profile.into(),
            session_id: session_id.into(),
            name: if name.is_empty() { session_id } else { name }.into(),
            until: now + Duration::days(i64::from(days)),
            within_hours,
            extended: 0,
            last_expiry: None,
            granted_secs: None,
            created: now,
        })
    }

    /// What to do now, for the session as listed (`None`: not in the list).
    pub fn step(&self, session: Option<&Session>, now: DateTime<Utc>) -> Step {
        let Some(s) =
            session.filter(|s| matches!(s.status, SessionStatus::Running | SessionStatus::Pending))
        else {
            return Step::Done(Ended::SessionEnded);
        };
        let Some(expiry) = s.expiry_time else {
            // Not started yet: its expiry is not known.
            return Step::WaitUntil(now + Duration::minutes(5));
        };
        if expiry >= self.until {
            // It already runs past the rule's end: nothing to renew; the rule stays (and
            // shows) until its time is over.
            return if now >= self.until {
                Step::Done(Ended::Reached)
            } else {
                Step::WaitUntil(self.until)
            };
        }
        if now >= self.until {
            return Step::Done(Ended::TimeUp);
        }
        // A file edited by hand cannot ask for more than three days' margin.
        let mut margin = Duration::hours(i64::from(self.within_hours.min(72)));
        if let Some(granted) = self.granted_secs {
            margin = margin.min(Duration::seconds(i64::from(granted / 2)));
        }
        let due = expiry - margin;
        if now >= due {
            Step::Extend
        } else {
            Step::WaitUntil(due)
        }
    }

    /// Note the expiry a renewal made at `now` gave; `Some(PlatformLimit)` when it did not
    /// move it.
    pub fn extended_to(
        &mut self,
        before: DateTime<Utc>,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Ended> {
        if after <= before {
            return Some(Ended::PlatformLimit);
        }
        self.extended += 1;
        self.last_expiry = Some(after);
        self.granted_secs = u32::try_from((after - now).num_seconds()).ok();
        None
    }
}

impl Ended {
    /// The notice's words, for the session `name`.
    pub fn text(self, name: &str, until: DateTime<Utc>) -> Option<(String, String)> {
        let until = until.format("%Y-%m-%d %H:%M UTC");
        match self {
            // The last extension's notice said how far it reaches; an ended session says
            // so itself.
            Ended::SessionEnded | Ended::Reached => None,
            Ended::TimeUp => Some((
                format!("Stopped keeping {name} alive"),
                format!("The time you set ended at {until}. Renew it yourself, or set a new rule."),
            )),
            Ended::PlatformLimit => Some((
                format!("{name} cannot be extended further"),
                "The platform did not move its expiry; it stops when it says. Save your work in it."
                    .into(),
            )),
        }
    }
}

/// Every rule, as kept in the state folder.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeepAliveRules {
    #[serde(default)]
    pub rules: Vec<KeepAlive>,
}

impl KeepAliveRules {
    pub fn file(paths: &crate::paths::Paths) -> PathBuf {
        paths.state_dir.join("keep-alive.json")
    }

    /// Read the rules; a file that cannot be read keeps no rule (logged): the sessions
    /// then end as the platform says, which is what they do without Skyport.
    pub fn load(path: &Path) -> KeepAliveRules {
        Self::try_load(path).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "keep-alive rules cannot be read");
            KeepAliveRules::default()
        })
    }

    /// The rules, or why the file cannot be read (a missing file holds none).
    fn try_load(path: &Path) -> Result<KeepAliveRules, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeepAliveRules::default()),
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(path, &bytes)
    }

    /// Read, change and (when `change` says so) write the file as one step among Skyport's
    /// processes: the CLI adds rules that the running app carries out. Returns what
    /// `change` gave, and whether it was kept: without the lock, or when the file cannot be
    /// read (it is then left as it is for the user to see), nothing is written.
    pub fn change<T>(
        path: &Path,
        change: impl FnOnce(&mut KeepAliveRules) -> (T, bool),
    ) -> (T, std::io::Result<()>) {
        let lock = path.with_extension("lock");
        let held =
            crate::lockfile::LockFile::acquire_blocking(&lock, std::time::Duration::from_secs(5));
        let loaded = Self::try_load(path);
        let mut rules = loaded.clone().unwrap_or_default();
        let (out, changed) = change(&mut rules);
        let saved = match (&held, loaded, changed) {
            (_, _, false) => Ok(()),
            (Err(e), _, true) => Err(std::io::Error::other(format!(
                "another Skyport process holds the keep-alive rules: {e}"
            ))),
            (Ok(_), Err(e), true) => Err(std::io::Error::other(format!(
                "{} cannot be read ({e}); fix or remove it",
                path.display()
            ))),
            (Ok(_), Ok(_), true) => rules.save(path),
        };
        if let Err(e) = &saved {
            tracing::warn!(error = %e, "keep-alive rules not saved");
        }
        drop(held);
        (out, saved)
    }

    pub fn get(&self, profile: &str, session_id: &str) -> Option<&KeepAlive> {
        self.rules
            .iter()
            .find(|r| r.profile == profile && r.session_id == session_id)
    }

    /// Set (or replace) a session's rule.
    pub fn set(&mut self, rule: KeepAlive) {
        self.remove(&rule.profile.clone(), &rule.session_id.clone());
        self.rules.push(rule);
    }

    pub fn remove(&mut self, profile: &str, session_id: &str) -> bool {
        let before = self.rules.len();
        self.rules
            .retain(|r| !(r.profile == profile && r.session_id == session_id));
        self.rules.len() != before
    }

    pub fn of_profile<'a>(&'a self, profile: &'a str) -> impl Iterator<Item = &'a KeepAlive> {
        self.rules.iter().filter(move |r| r.profile == profile)
    }
}

#[cfg(test)]
mod tests;
