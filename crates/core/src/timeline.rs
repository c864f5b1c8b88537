//! One expiry timeline: everything that runs out — the certificate, the sign-in, each
//! session — in time order, each with what the user can do about it (or what Skyport does
//! by itself). The app shows it on one time axis; the words are the UI's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::oidc::SignInRecord;
use crate::cert::CertInfo;
use crate::keepalive::KeepAlive;
use crate::skaha::{Session, SessionStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryKind {
    Certificate,
    /// The sign-in's access token.
    SignIn,
    Session,
}

/// What answers an expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryAction {
    /// Renew the certificate (Skyport does it by itself when `automatic`).
    RenewCertificate,
    /// Sign in again.
    SignIn,
    /// Renew (extend) the session.
    RenewSession,
}

/// One thing that runs out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Expiry {
    pub kind: ExpiryKind,
    /// The session's name; empty for the certificate and the sign-in.
    pub label: String,
    pub session_id: Option<String>,
    #[specta(type = String)]
    pub at: DateTime<Utc>,
    pub action: ExpiryAction,
    /// Skyport acts by itself before then (renews the certificate, refreshes the sign-in,
    /// keeps the session alive).
    pub automatic: bool,
    /// A keep-alive rule's end.
    #[specta(type = Option<String>)]
    pub kept_until: Option<DateTime<Utc>>,
    pub expired: bool,
}

/// What the timeline is drawn from.
pub struct Sources<'a> {
    pub cert: Option<&'a CertInfo>,
    /// The certificate is renewed unattended.
    pub cert_auto_renew: bool,
    pub sign_in: Option<&'a SignInRecord>,
    pub sessions: &'a [Session],
    pub rules: &'a [KeepAlive],
}

/// The most sessions a timeline holds: the soonest to run out. A platform list of 2,000
/// sessions would otherwise be drawn (and sent to the page) whole at every refresh; the
/// session list has them all.
pub const MOST_SESSIONS: usize = 20;

/// Everything that runs out, soonest first (what has run out first of all): the
/// certificate, the sign-in and the [`MOST_SESSIONS`] soonest sessions.
pub fn build(src: &Sources, now: DateTime<Utc>) -> Vec<Expiry> {
    let mut out = Vec::new();
    if let Some(c) = src.cert {
        out.push(Expiry {
            kind: ExpiryKind::Certificate,
            label: String::new(),
            session_id: None,
            at: c.not_after,
            action: ExpiryAction::RenewCertificate,
            automatic: src.cert_auto_renew && c.not_after > now,
            kept_until: None,
            expired: c.not_after <= now,
        });
    }
    if let Some(at) = src.sign_in.and_then(|r| r.access_expires_at) {
        let refreshed = src.sign_in.is_some_and(|r| r.has_refresh_token);
        out.push(Expiry {
            kind: ExpiryKind::SignIn,
            label: String::new(),
            session_id: None,
            at,
            action: ExpiryAction::SignIn,
            // Refreshed before it runs out, as long as the provider takes the refresh token.
            automatic: refreshed,
            kept_until: None,
            expired: at <= now && !refreshed,
        });
    }
    for s in src.sessions {
        let Some(at) = s.expiry_time else { continue };
        if !matches!(s.status, SessionStatus::Running | SessionStatus::Pending) {
            continue;
        }
        let rule = src.rules.iter().find(|r| r.session_id == s.id.0);
        out.push(Expiry {
            kind: ExpiryKind::Session,
            label: if s.name.is_empty() {
                s.id.0.clone()
            } else {
                s.name.clone()
            },
            session_id: Some(s.id.0.clone()),
            at,
            action: ExpiryAction::RenewSession,
            automatic: rule.is_some_and(|r| r.until > at),
            kept_until: rule.map(|r| r.until),
            expired: at <= now,
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.label.cmp(&b.label)));
    let mut sessions = 0;
    out.retain(|e| {
        if e.kind != ExpiryKind::Session {
            return true;
        }
        sessions += 1;
        sessions <= MOST_SESSIONS
    });
    out
}

#[cfg(test)]
mod tests;
