//! Fetching what `explain` reads: a session's events (a 404 means no pod yet), the
//! platform's load and context, and the user's other sessions.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::launch::{quota, Quota};
use crate::skaha::{
    Context, ListQuery, PlatformStats, Session, SessionEvent, SessionId, SessionStatus,
    SkahaClient, SkahaError,
};

use super::{explain, Cause, Facts, Why};

/// One session and, when it waits or failed, why (`skyport why ID`).
pub async fn ask(
    client: &SkahaClient,
    id: &SessionId,
) -> Result<(Session, Option<Why>), SkahaError> {
    let session = client.get_session(id).await?;
    if !waits_or_failed(&session) {
        return Ok((session, None));
    }
    let all = ListQuery::default();
    let (events, context, list) = tokio::join!(
        events_or_none(client, id),
        client.context(),
        client.list_sessions(&all)
    );
    let events = events?;
    let context = context.ok();
    let quota = match (&list, &context) {
        (Ok(l), Some(c)) => Some(quota(&l.sessions, c)),
        _ => None,
    };
    let stats = match needs_load(&session, events.as_deref()) {
        true => client.stats().await.ok(),
        false => None,
    };
    let why = explain(&Facts {
        session: &session,
        events: events.as_deref(),
        stats: stats.as_ref(),
        context: context.as_ref(),
        quota,
    });
    Ok((session, why))
}

/// The most sessions of one list explained at a time: one events request each, and a
/// batch of hundreds of queued replicas all wait for the same reason.
pub const MAX_EXPLAINED: usize = 8;

/// The Pending sessions of a list worth explaining, the first `MAX_EXPLAINED` of them.
pub fn waiting(sessions: &[Session]) -> Vec<Session> {
    sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Pending)
        .take(MAX_EXPLAINED)
        .cloned()
        .collect()
}

/// Why each of `waiting` (from `waiting`) is so, keyed by id: one events request per
/// session (four at a time), the platform's load once when some wait for room. A session
/// whose events cannot be read is left out (the list still shows it).
pub async fn explain_list(
    client: &SkahaClient,
    waiting: &[Session],
    context: Option<&Context>,
    quota: Option<Quota>,
) -> BTreeMap<String, Why> {
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let events = crate::concurrent::all(waiting.iter().map(|s| {
        let (client, id, gate) = (client.clone(), s.id.clone(), gate.clone());
        async move {
            let _turn = gate.acquire().await;
            events_or_none(&client, &id).await
        }
    }))
    .await;
    let read: Vec<(&Session, Option<Vec<SessionEvent>>)> = waiting
        .iter()
        .zip(events)
        .filter_map(|(s, e)| e.and_then(Result::ok).map(|e| (s, e)))
        .collect();
    let load = read.iter().any(|(s, e)| needs_load(s, e.as_deref()));
    let stats: Option<PlatformStats> = match load {
        true => client.stats().await.ok(),
        false => None,
    };
    read.iter()
        .filter_map(|(s, e)| {
            let why = explain(&Facts {
                session: s,
                events: e.as_deref(),
                stats: stats.as_ref(),
                context,
                quota,
            })?;
            Some((s.id.as_str().to_string(), why))
        })
        .collect()
}

fn waits_or_failed(s: &Session) -> bool {
    matches!(s.status, SessionStatus::Pending | SessionStatus::Failed)
}

/// The events; `None` when the platform has no pod for the session yet (404).
async fn events_or_none(
    client: &SkahaClient,
    id: &SessionId,
) -> Result<Option<Vec<SessionEvent>>, SkahaError> {
    match client.events(id).await {
        Ok(e) => Ok(Some(e)),
        Err(SkahaError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the explanation speaks of the platform's load (queued, or no room).
fn needs_load(s: &Session, events: Option<&[SessionEvent]>) -> bool {
    let facts = Facts {
        session: s,
        events,
        stats: None,
        context: None,
        quota: None,
    };
    matches!(
        explain(&facts).map(|w| w.cause),
        Some(Cause::Queued | Cause::NoRoom)
    )
}
