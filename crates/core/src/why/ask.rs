//! Fetching what `explain` reads: a session's events (a 404 means no pod yet), the
//! platform's load and context, and the user's other sessions.

use std::collections::BTreeMap;
use std::sync::Arc;

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
    let sessions = list.map(|l| l.sessions).unwrap_or_default();
    let stats = match needs_load(&session, events.as_deref()) {
        true => client.stats().await.ok(),
        false => None,
    };
    let why = explain(&Facts {
        session: &session,
        events: events.as_deref(),
        stats: stats.as_ref(),
        context: context.ok().as_ref(),
        sessions: &sessions,
    });
    Ok((session, why))
}

/// Why each waiting or failed session of a list is so, keyed by id: one events request per
/// such session (a few at a time), the platform's load once when some wait for room. A
/// session whose events cannot be read is left out (the list still shows it).
pub async fn explain_list(
    client: &SkahaClient,
    sessions: &[Session],
    context: Option<&Context>,
) -> BTreeMap<String, Why> {
    let asked: Vec<&Session> = sessions.iter().filter(|s| waits_or_failed(s)).collect();
    let gate = Arc::new(tokio::sync::Semaphore::new(4));
    let events = crate::concurrent::all(asked.iter().map(|s| {
        let (client, id, gate) = (client.clone(), s.id.clone(), gate.clone());
        async move {
            let _turn = gate.acquire().await;
            events_or_none(&client, &id).await
        }
    }))
    .await;
    let read: Vec<(&Session, Option<Vec<SessionEvent>>)> = asked
        .into_iter()
        .zip(events)
        .filter_map(|(s, e)| e.and_then(Result::ok).map(|e| (s, e)))
        .collect();
    let stats: Option<PlatformStats> = match read.iter().any(|(s, e)| needs_load(s, e.as_deref())) {
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
                sessions,
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
        sessions: &[],
    };
    matches!(
        explain(&facts).map(|w| w.cause),
        Some(Cause::Queued | Cause::NoRoom)
    )
}
