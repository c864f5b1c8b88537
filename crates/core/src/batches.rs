//! Headless batches: the replicas of one launch (`NAME-1` … `NAME-N`, as `create_replicas`
//! names them) seen as one job — how many are waiting, running, done and failed — and the
//! moment they have all ended, which is worth one notice for the whole batch rather than
//! one per replica.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::skaha::{Session, SessionKind, SessionStatus};

/// One batch, as the list shows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// The launch's name (`fit` for `fit-1` … `fit-20`).
    pub name: String,
    pub image: String,
    /// How many replicas the batch has: the highest number seen, or more when more are
    /// listed.
    pub total: u32,
    pub pending: u32,
    pub running: u32,
    pub completed: u32,
    pub failed: u32,
    /// The failed replicas' ids, in replica order (their logs are one click away).
    pub failed_ids: Vec<String>,
    /// Every replica's id, in replica order.
    pub ids: Vec<String>,
    /// Its progress in words ([`progress`]).
    pub progress: String,
}

impl Batch {
    /// No replica is waiting or running any more.
    pub fn ended(&self) -> bool {
        self.pending == 0 && self.running == 0
    }

    /// Replicas no longer listed (deleted, or gone after they ended).
    pub fn missing(&self) -> u32 {
        self.total
            .saturating_sub(self.pending + self.running + self.completed + self.failed)
    }
}

/// `fit-12` → (`fit`, 12).
fn replica_of(name: &str) -> Option<(&str, u32)> {
    let (base, n) = name.rsplit_once('-')?;
    if base.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().filter(|n| *n >= 1).map(|n| (base, n))
}

/// The batches among `sessions`: headless sessions named `BASE-k` with the same image, two
/// or more of them (one alone is just a session).
pub fn batches(sessions: &[Session]) -> Vec<Batch> {
    let mut groups: BTreeMap<(&str, &str), Vec<(u32, &Session)>> = BTreeMap::new();
    for s in sessions {
        if s.kind != SessionKind::Headless {
            continue;
        }
        if let Some((base, n)) = replica_of(&s.name) {
            groups.entry((base, &s.image)).or_default().push((n, s));
        }
    }
    groups
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .map(|((base, image), mut members)| {
            let mut b = batch_of(base, image, &mut members);
            b.progress = progress(&b);
            b
        })
        .collect()
}

/// One batch from its replicas (sorted here into replica order).
fn batch_of(base: &str, image: &str, members: &mut [(u32, &Session)]) -> Batch {
    members.sort_by_key(|(n, s)| (*n, s.id.0.clone()));
    let highest = members.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let count = |want: fn(&SessionStatus) -> bool| {
        members.iter().filter(|(_, s)| want(&s.status)).count() as u32
    };
    Batch {
        name: base.to_string(),
        image: image.to_string(),
        total: highest.max(members.len() as u32),
        pending: count(|s| matches!(s, SessionStatus::Pending)),
        // A status Skyport does not know is not an end.
        running: count(|s| {
            matches!(
                s,
                SessionStatus::Running | SessionStatus::Terminating | SessionStatus::Unknown(_)
            )
        }),
        completed: count(|s| matches!(s, SessionStatus::Completed)),
        failed: count(|s| matches!(s, SessionStatus::Failed)),
        failed_ids: members
            .iter()
            .filter(|(_, s)| s.status == SessionStatus::Failed)
            .map(|(_, s)| s.id.0.clone())
            .collect(),
        ids: members.iter().map(|(_, s)| s.id.0.clone()).collect(),
        progress: String::new(),
    }
}

/// "18 of 20 done, 2 failed" — the batch's progress in words.
pub fn progress(b: &Batch) -> String {
    let mut parts = vec![format!("{} of {} done", b.completed, b.total)];
    if b.failed > 0 {
        parts.push(format!("{} failed", b.failed));
    }
    if b.running > 0 {
        parts.push(format!("{} running", b.running));
    }
    if b.pending > 0 {
        parts.push(format!("{} waiting", b.pending));
    }
    if b.missing() > 0 {
        parts.push(format!("{} no longer listed", b.missing()));
    }
    parts.join(", ")
}

/// Remembers which batches were seen running, to say once when each has ended.
#[derive(Debug, Default)]
pub struct BatchWatch {
    active: BTreeSet<(String, String)>,
    primed: bool,
}

impl BatchWatch {
    /// The batches that ended since the last look (each once); the first look only learns
    /// what runs (a batch that ended before Skyport started is not news).
    pub fn observe(&mut self, now: &[Batch]) -> Vec<Batch> {
        let mut ended = Vec::new();
        let mut active = BTreeSet::new();
        for b in now {
            let key = (b.name.clone(), b.image.clone());
            if b.ended() {
                if self.primed && self.active.contains(&key) {
                    ended.push(b.clone());
                }
            } else {
                active.insert(key);
            }
        }
        self.active = active;
        self.primed = true;
        ended
    }
}

#[cfg(test)]
mod tests;
