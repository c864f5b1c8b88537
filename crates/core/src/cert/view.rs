//! The certificate as the app's Credentials view shows it: one reading of the file, worded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{cert_state, format_countdown, CertInfo, CertState};
use crate::tray::CertSummary;

/// The certificate file, read and worded for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CertView {
    pub path: String,
    pub state: CertState,
    pub info: Option<CertInfo>,
    /// "6 d 4 h left", "expired 2 h ago".
    pub countdown: Option<String>,
    /// Why the file cannot be used, with what to do.
    pub problem: Option<String>,
}

impl CertView {
    /// The view of a reading of the file at `path`, as of `now`.
    pub fn new(path: String, summary: &CertSummary, now: DateTime<Utc>) -> Self {
        let blank = |state, problem| CertView {
            path: path.clone(),
            state,
            info: None,
            countdown: None,
            problem,
        };
        match summary {
            CertSummary::Unknown | CertSummary::Missing => blank(CertState::Missing, None),
            CertSummary::Invalid(p) => blank(CertState::Invalid, Some(p.clone())),
            CertSummary::Present(info) => CertView {
                path,
                state: cert_state(Ok(info), now),
                countdown: Some(format_countdown(info.not_after, now)),
                info: Some(info.clone()),
                problem: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn info(not_after: DateTime<Utc>) -> CertInfo {
        CertInfo {
            subject: "CN=alice".into(),
            issuer: "CN=ca".into(),
            not_before: not_after - Duration::days(10),
            not_after,
            serial: "01".into(),
            path: None,
            chain_len: 0,
            key_matches: true,
            key_type: "RSA 2048".into(),
        }
    }

    #[test]
    fn a_present_certificate_counts_down_and_an_unreadable_one_says_why() {
        let now = Utc::now();
        let v = CertView::new(
            "c.pem".into(),
            &CertSummary::Present(info(now + Duration::days(6))),
            now,
        );
        assert_eq!(v.state, CertState::Fine);
        assert!(
            v.countdown.as_deref().is_some_and(|c| c.ends_with("left")),
            "{v:?}"
        );
        let v = CertView::new("c.pem".into(), &CertSummary::Invalid("not PEM".into()), now);
        assert_eq!(
            (v.state, v.problem.as_deref()),
            (CertState::Invalid, Some("not PEM"))
        );
        let v = CertView::new("c.pem".into(), &CertSummary::Missing, now);
        assert_eq!((v.state, v.info), (CertState::Missing, None));
    }
}
