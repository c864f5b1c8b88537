//! Why a session waits (or failed): the platform's events table, its load, the user's quota
//! and what the session asked for, turned into one plain sentence and the next step.
//!
//! The events are Kubernetes' own (`kubectl get event` columns, skaha-api.md §2.6); the
//! wording they are read from is the kubelet's and the scheduler's ("0/12 nodes are
//! available: 3 Insufficient memory, …", "Back-off pulling image …"). Pure: the caller
//! fetches, this module reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::launch::Quota;
use crate::skaha::{Context, PlatformStats, Session, SessionEvent, SessionKind, SessionStatus};

/// What holds a session, in one sentence, with what the user can do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Why {
    pub cause: Cause,
    /// A few words for a list's line ("No room: memory", "Pulling image").
    pub short: String,
    /// What is happening, in plain words.
    pub sentence: String,
    /// What the user can do, when there is something to do.
    pub next_step: Option<String>,
    /// The platform's own words it was read from (an event's reason and message).
    pub evidence: Option<String>,
    /// Since when this has been so, as the platform reports it.
    #[specta(type = Option<String>)]
    pub since: Option<DateTime<Utc>>,
}

/// The kinds of hold, for icons, tests and scripts (`skyport why --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// No pod yet: the platform's queue holds the request.
    Queued,
    /// The platform has it but has not acted on it yet.
    Accepted,
    /// No node has room for what it asks.
    NoRoom,
    /// The image is being pulled onto the node.
    Pulling,
    /// The image cannot be pulled.
    ImageUnavailable,
    /// Its program stops right after starting, over and over.
    Crashing,
    /// The storage it mounts cannot be attached.
    StorageUnavailable,
    /// The platform stopped it to make room or because the node failed.
    Evicted,
    /// On its way: placed, image there, container starting.
    Starting,
    /// It ran and ended with an error.
    Ended,
    /// Something else the platform reports as a warning.
    Other,
}

impl Cause {
    /// The few words a list's line shows.
    pub fn label(self) -> &'static str {
        match self {
            Cause::Queued => "In the queue",
            Cause::Accepted => "Accepted",
            Cause::NoRoom => "No room",
            Cause::Pulling => "Pulling image",
            Cause::ImageUnavailable => "Image unavailable",
            Cause::Crashing => "Keeps crashing",
            Cause::StorageUnavailable => "Storage not ready",
            Cause::Evicted => "Evicted",
            Cause::Starting => "Starting",
            Cause::Ended => "Ended with an error",
            Cause::Other => "See details",
        }
    }
}

/// Everything the explanation is read from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub session: &'a Session,
    /// The events table; `None` when the platform has no pod for it yet (it answers 404).
    pub events: Option<&'a [SessionEvent]>,
    /// The platform's load, when known.
    pub stats: Option<&'a PlatformStats>,
    /// The resource options, when known.
    pub context: Option<&'a Context>,
    /// The user's interactive-session quota and use (`launch::quota`), when known.
    pub quota: Option<Quota>,
}

/// Why the session is not running: for a Pending or Failed session, what holds (or held)
/// it; `None` for any other state.
pub fn explain(f: &Facts) -> Option<Why> {
    let mut why = reason(f)?;
    if why.short.is_empty() {
        why.short = why.cause.label().into();
    }
    Some(why)
}

fn reason(f: &Facts) -> Option<Why> {
    if !matches!(
        f.session.status,
        SessionStatus::Pending | SessionStatus::Failed
    ) {
        return None;
    }
    let failed = f.session.status == SessionStatus::Failed;
    let ended = || {
        plain(
            Cause::Ended,
            "It ended with an error.",
            Some("Read its logs for the error."),
        )
    };
    let Some(events) = f.events else {
        return Some(if failed {
            ended()
        } else {
            with_quota(f, queued(f))
        });
    };
    let Some(latest) = latest(events) else {
        if failed {
            return Some(ended());
        }
        return Some(plain(
            Cause::Accepted,
            "Accepted: the platform has not acted on it yet.",
            None,
        ));
    };
    let why = read_event(f, events, latest);
    Some(match why.cause {
        Cause::NoRoom => with_quota(f, why),
        // Placed and started, then failed: the events say nothing of why.
        Cause::Starting | Cause::Accepted if failed => Why {
            evidence: why.evidence,
            since: why.since,
            ..ended()
        },
        _ => why,
    })
}

/// The event that says where things stand: the latest one (by its time, the table's order
/// for ties and missing times), passing over the scheduler's later retries once placed.
fn latest(events: &[SessionEvent]) -> Option<&SessionEvent> {
    let time = |e: &SessionEvent| {
        e.last_time
            .as_deref()
            .or(e.first_time.as_deref())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let mut best: Option<(&SessionEvent, Option<DateTime<Utc>>)> = None;
    for e in events.iter().filter(|e| !e.reason.is_empty()) {
        let t = time(e);
        best = match best {
            Some((b, bt)) if t.is_some() && bt.is_some() && t < bt => Some((b, bt)),
            Some((b, bt)) if t.is_none() && bt.is_some() => Some((b, bt)),
            _ => Some((e, t)),
        };
    }
    best.map(|(e, _)| e)
}

fn read_event(f: &Facts, events: &[SessionEvent], e: &SessionEvent) -> Why {
    let reason = e.reason.as_str();
    let message = e.message.as_str();
    let lower = message.to_ascii_lowercase();
    let evidence = Some(format!("{reason}: {message}"));
    let since = e
        .first_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let mut why = match reason {
        "FailedScheduling" => no_room(f, message),
        "Pulling" => plain(
            Cause::Pulling,
            "Pulling the image (first use on this node).",
            Some("Large images take a few minutes the first time; nothing to do."),
        ),
        "Pulled" | "Created" | "Started" => plain(
            Cause::Starting,
            "The container is starting; the session opens when it answers.",
            None,
        ),
        "Scheduled" => plain(
            Cause::Starting,
            "A node has been chosen; it is getting ready.",
            None,
        ),
        "FailedMount" | "FailedAttachVolume" => plain(
            Cause::StorageUnavailable,
            "The platform cannot attach the session's storage (/arc) yet.",
            Some(
                "This usually clears by itself within minutes; if it lasts, delete the \
                 session and launch it again, or ask the platform's support.",
            ),
        ),
        "Evicted" | "Preempted" | "Preempting" | "NodeNotReady" => plain(
            Cause::Evicted,
            "The platform stopped it to make room, or its node failed.",
            Some("Launch it again; save work to /arc often in long sessions."),
        ),
        // The last of these is often a bare "Error: ImagePullBackOff": the registry's
        // answer is in the earlier ones.
        _ if is_pull_failure(reason, &lower) => image_unavailable(
            &events
                .iter()
                .filter(|e| is_pull_failure(&e.reason, &e.message.to_ascii_lowercase()))
                .map(|e| e.message.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        "BackOff" | "CrashLoopBackOff" if lower.contains("restarting failed container") => {
            crashing(f)
        }
        "Failed" | "CreateContainerError" | "RunContainerError" => crashing(f),
        _ if e.kind.eq_ignore_ascii_case("Warning") => Why {
            cause: Cause::Other,
            short: String::new(),
            sentence: format!("The platform reports a problem: {reason}."),
            next_step: Some(
                "If it lasts, ask the platform's support, quoting the message below.".into(),
            ),
            evidence: None,
            since: None,
        },
        _ => plain(Cause::Starting, "On its way.", None),
    };
    why.evidence = evidence;
    why.since = since;
    why
}

fn plain(cause: Cause, sentence: &str, next_step: Option<&str>) -> Why {
    Why {
        cause,
        short: String::new(),
        sentence: sentence.into(),
        next_step: next_step.map(Into::into),
        evidence: None,
        since: None,
    }
}

fn queued(f: &Facts) -> Why {
    let load = f
        .stats
        .and_then(busiest)
        .map(|(what, pct)| format!(" The platform's {what} {} {pct}% taken.", verb(what)));
    Why {
        cause: Cause::Queued,
        short: String::new(),
        sentence: format!(
            "Waiting in the platform's queue: no node has been chosen yet.{}",
            load.unwrap_or_default()
        ),
        next_step: Some("It starts when room frees up; nothing to do but wait.".into()),
        evidence: None,
        since: None,
    }
}

/// The scheduler's "0/N nodes are available: 3 Insufficient memory, …".
fn no_room(f: &Facts, message: &str) -> Why {
    let s = f.session;
    let lacks = |what: &str| message.contains(&format!("Insufficient {what}"));
    let stats = f.stats;
    let ctx = f.context;
    let (label, sentence, next) = if lacks("nvidia.com/gpu") || lacks("amd.com/gpu") {
        let n = s.requested_gpus.filter(|g| *g > 0.0);
        let sentence = match n {
            Some(n) => format!("No node has {} free.", count(n, "GPU", "GPUs")),
            None => "No node has a GPU free.".to_string(),
        };
        let next = match n.and_then(|n| smaller(n, ctx.map(|c| c.gpus.options.as_slice()), None)) {
            Some(fewer) => format!("Try {}, or wait.", count(fewer, "GPU", "GPUs")),
            None => "Wait: GPUs free up as other sessions end.".to_string(),
        };
        ("No room: GPUs", sentence, next)
    } else if lacks("memory") {
        let pct = stats.and_then(|st| percent(st.ram_requested_gb, st.ram_available_gb));
        let free = stats.and_then(|st| Some(st.ram_available_gb? - st.ram_requested_gb?));
        let load = pct.map(|p| format!(": the platform's RAM is {p}% taken"));
        let asked = s
            .requested_ram_gb
            .map(|gb| crate::skaha::model::as_chosen(gb, ctx));
        let sentence = match asked {
            Some(gb) => format!(
                "No node has {} free{}.",
                gb_text(gb),
                load.unwrap_or_default()
            ),
            None => format!(
                "No node has the memory it asks for free{}.",
                load.unwrap_or_default()
            ),
        };
        let fit =
            asked.and_then(|gb| smaller(gb, ctx.map(|c| c.memory_gb.options.as_slice()), free));
        let next = match fit {
            Some(gb) => format!("Try {}, or wait.", gb_text(gb)),
            None => "Wait: memory frees up as other sessions end.".to_string(),
        };
        ("No room: memory", sentence, next)
    } else if lacks("cpu") {
        let pct = stats.and_then(|st| percent(st.cores_requested, st.cores_available));
        let free = stats.and_then(|st| Some(st.cores_available? - st.cores_requested?));
        let load = pct.map(|p| format!(": the platform's CPUs are {p}% taken"));
        let sentence = match s.requested_cores {
            Some(n) => format!(
                "No node has {} free{}.",
                count(n, "core", "cores"),
                load.unwrap_or_default()
            ),
            None => format!(
                "No node has the cores it asks for free{}.",
                load.unwrap_or_default()
            ),
        };
        let fit = s
            .requested_cores
            .and_then(|n| smaller(n, ctx.map(|c| c.cores.options.as_slice()), free));
        let next = match fit {
            Some(n) => format!("Try {}, or wait.", count(n, "core", "cores")),
            None => "Wait: cores free up as other sessions end.".to_string(),
        };
        ("No room: cores", sentence, next)
    } else {
        (
            "No node fits",
            "No node can take it now (none fits its placement rules).".to_string(),
            "Wait; if it lasts, ask the platform's support, quoting the message below.".to_string(),
        )
    };
    Why {
        cause: Cause::NoRoom,
        short: label.into(),
        sentence,
        next_step: Some(next),
        evidence: None,
        since: None,
    }
}

fn is_pull_failure(reason: &str, lower: &str) -> bool {
    matches!(
        reason,
        "ErrImagePull" | "ImagePullBackOff" | "ErrImageNeverPull" | "InspectFailed"
    ) || (matches!(reason, "Failed" | "BackOff")
        && (lower.contains("pull") || lower.contains("errimage")))
}

fn image_unavailable(lower: &str) -> Why {
    let auth = [
        "unauthorized",
        "403 forbidden",
        "denied",
        "failed to authorize",
        "authentication required",
        "authorization failed",
    ];
    let missing = [
        "not found",
        "manifest unknown",
        "notfound",
        "does not exist",
    ];
    let (label, sentence, next) = if auth.iter().any(|w| lower.contains(w)) {
        (
            "Registry refused the image",
            "The image could not be pulled: its registry refused access (it is private or \
             the name is wrong).",
            "Check the image name; for a private image, give your registry user name and \
             CLI secret when you launch. Then delete this session and launch again.",
        )
    } else if missing.iter().any(|w| lower.contains(w)) {
        (
            "Image not found",
            "The image could not be pulled: it does not exist under that name.",
            "Check the image name and tag; delete this session and launch again.",
        )
    } else {
        (
            "Image unavailable",
            "The image could not be pulled: it does not exist or needs registry credentials.",
            "Check the image name; for a private image, give your registry credentials when \
             you launch. Then delete this session and launch again.",
        )
    };
    Why {
        short: label.into(),
        ..plain(Cause::ImageUnavailable, sentence, Some(next))
    }
}

fn crashing(f: &Facts) -> Why {
    let logs = if f.session.kind == SessionKind::Headless {
        "Read its logs for the error"
    } else {
        "Read its logs for the error (the image may not fit this kind of session)"
    };
    Why {
        cause: Cause::Crashing,
        short: String::new(),
        sentence: "Its program stops right after starting; the platform keeps restarting it."
            .into(),
        next_step: Some(format!(
            "{logs}, then delete it and launch again with a fixed image or command."
        )),
        evidence: None,
        since: None,
    }
}

/// A session that waits for room counts toward the quota all the same: say so when the
/// user is at the limit, since deleting a waiting session is then the way to launch another.
fn with_quota(f: &Facts, mut why: Why) -> Why {
    let Some(q) = f.quota else {
        return why;
    };
    if !f.session.kind.is_interactive() || f.session.kind == SessionKind::DesktopApp {
        return why;
    }
    if let Some(max) = q.max.filter(|m| q.used >= *m) {
        why.sentence.push_str(&format!(
            " You are at your limit of {}; this one counts toward it while it waits.",
            count(
                f64::from(max),
                "interactive session",
                "interactive sessions"
            )
        ));
    }
    why
}

/// The fullest of the platform's resources, as a whole percentage.
fn busiest(st: &PlatformStats) -> Option<(&'static str, u32)> {
    let cpu = percent(st.cores_requested, st.cores_available).map(|p| ("CPUs", p));
    let ram = percent(st.ram_requested_gb, st.ram_available_gb).map(|p| ("RAM", p));
    [cpu, ram].into_iter().flatten().max_by_key(|(_, p)| *p)
}

fn verb(what: &str) -> &'static str {
    if what.ends_with('s') {
        "are"
    } else {
        "is"
    }
}

/// How full the platform must be for its load to be worth a word: below this, no node
/// having room is fragmentation (or one big request), and "12% taken" would only puzzle.
const BUSY_PERCENT: u32 = 60;

/// The share taken, as a whole percentage, when it is at least `BUSY_PERCENT`.
fn percent(used: Option<f64>, total: Option<f64>) -> Option<u32> {
    let (used, total) = (used?, total?);
    (total > 0.0 && used >= 0.0)
        .then(|| ((used / total) * 100.0).round().min(100.0) as u32)
        .filter(|p| *p >= BUSY_PERCENT)
}

/// A smaller request likely to fit: the largest offered option at most half of what was
/// asked (and not above what is free on the whole platform, when known).
fn smaller(asked: f64, options: Option<&[f64]>, free: Option<f64>) -> Option<f64> {
    let mut target = asked / 2.0;
    if let Some(free) = free.filter(|f| *f > 0.0) {
        target = target.min(free);
    }
    let pick = match options.filter(|o| !o.is_empty()) {
        Some(o) => o
            .iter()
            .copied()
            .filter(|v| *v >= 1.0 && *v <= target)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v)))),
        None => Some(target.floor()).filter(|v| *v >= 1.0),
    };
    pick.filter(|p| *p < asked)
}

fn gb_text(gb: f64) -> String {
    format!("{} GB", trim(gb))
}

fn count(n: f64, one: &str, many: &str) -> String {
    if (n - 1.0).abs() < f64::EPSILON {
        format!("1 {one}")
    } else {
        format!("{} {many}", trim(n))
    }
}

fn trim(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n:.1}")
    }
}

mod ask;
pub use ask::{ask, explain_list, waiting, MAX_EXPLAINED};

#[cfg(test)]
mod tests;
