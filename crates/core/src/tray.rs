//! What the system tray shows, computed from the certificate, the credential state and the
//! session list. Pure, so the wording and the icon choice are tested without a desktop.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cert::{cert_state, format_countdown, CertInfo, CertState};
use crate::skaha::{Session, SessionStatus};

/// Which tray icon to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TrayIcon {
    Fine,
    Expiring,
    Expired,
    Error,
}

/// The certificate as the tray knows it.
#[derive(Debug, Clone)]
pub enum CertSummary {
    /// Not looked at yet.
    Unknown,
    Missing,
    Invalid(String),
    Present(CertInfo),
}

/// Everything the tray renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    pub icon: TrayIcon,
    pub tooltip: String,
    /// First menu line, e.g. "Certificate: 6 d 4 h left".
    pub cert_line: String,
    /// "Renew certificate now", or "Get a certificate now" when there is none.
    pub renew_label: String,
    /// Renewal needs a platform to ask.
    pub can_renew: bool,
    pub show_sign_in: bool,
    /// Running interactive sessions: (id, label).
    pub sessions: Vec<(String, String)>,
}

pub fn model(
    cert: &CertSummary,
    platform_set: bool,
    sign_in_needed: bool,
    sessions: &[Session],
    now: DateTime<Utc>,
) -> TrayModel {
    let (cert_icon, cert_line, can_renew) = match cert {
        CertSummary::Unknown => (TrayIcon::Fine, "Certificate: checking…".to_string(), false),
        CertSummary::Missing => (TrayIcon::Fine, "Certificate: none".to_string(), true),
        CertSummary::Invalid(_) => (TrayIcon::Error, "Certificate: unreadable".to_string(), true),
        CertSummary::Present(info) => {
            let left = format_countdown(info.not_after, now);
            // The same rule as the status bar and the Credentials view.
            let icon = match cert_state(Ok(info), now) {
                CertState::Fine => TrayIcon::Fine,
                CertState::Expiring => TrayIcon::Expiring,
                CertState::Expired => TrayIcon::Expired,
                CertState::Missing | CertState::Invalid => TrayIcon::Error,
            };
            (icon, format!("Certificate: {left}"), true)
        }
    };
    // Sign-in trouble outranks a fine certificate; an expired certificate outranks all.
    let icon = match (cert_icon, sign_in_needed) {
        (TrayIcon::Fine, true) => TrayIcon::Error,
        (i, _) => i,
    };
    let mut running: Vec<(String, String)> = sessions
        .iter()
        .filter(|s| {
            s.status == SessionStatus::Running && s.kind.is_interactive() && s.connect_url.is_some()
        })
        .map(|s| {
            let name = if s.name.is_empty() {
                s.id.0.clone()
            } else {
                s.name.clone()
            };
            (s.id.0.clone(), format!("{name} ({})", s.kind))
        })
        .collect();
    running.sort_by(|a, b| a.1.cmp(&b.1));
    let mut tooltip = format!(
        "Skyport — {}",
        cert_line
            .to_lowercase()
            .replacen("certificate: ", "certificate ", 1)
    );
    if sign_in_needed {
        tooltip.push_str(" — sign-in needed");
    }
    if !running.is_empty() {
        tooltip.push_str(&format!(" — {} running", running.len()));
    }
    let renew_label = if matches!(cert, CertSummary::Missing) {
        "Get a certificate now"
    } else {
        "Renew certificate now"
    }
    .to_string();
    TrayModel {
        icon,
        tooltip,
        cert_line,
        renew_label,
        can_renew: can_renew && platform_set,
        show_sign_in: sign_in_needed,
        sessions: running,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(days_left: i64, now: DateTime<Utc>) -> CertInfo {
        CertInfo {
            subject: "CN=alice".into(),
            issuer: "CN=ca".into(),
            not_before: now - chrono::Duration::days(9),
            not_after: now + chrono::Duration::days(days_left) + chrono::Duration::hours(4),
            serial: "1".into(),
            path: None,
            chain_len: 0,
            key_matches: true,
            key_type: "RSA 2048".into(),
        }
    }

    fn session(id: &str, status: &str, kind: &str) -> Session {
        let v = serde_json::json!({"id": id, "name": format!("n{id}"), "type": kind, "status": status, "connectURL": "http://x"});
        Session::from_json(&v).expect("session")
    }

    #[test]
    fn countdown_icon_and_sessions() {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("time");
        let m = model(&CertSummary::Present(info(6, now)), true, false, &[], now);
        assert_eq!(m.cert_line, "Certificate: 6 d 4 h left");
        assert_eq!(m.renew_label, "Renew certificate now");
        assert!(m.can_renew);
        assert_eq!(m.icon, TrayIcon::Fine);
        assert!(!m.show_sign_in);
        let m = model(&CertSummary::Present(info(1, now)), true, false, &[], now);
        assert_eq!(m.icon, TrayIcon::Expiring);
        let m = model(&CertSummary::Present(info(-2, now)), true, false, &[], now);
        assert_eq!(m.icon, TrayIcon::Expired);
        assert!(m.cert_line.contains("expired"), "{}", m.cert_line);
        let sessions = [
            session("b", "Running", "notebook"),
            session("a", "Pending", "desktop"),
            session("c", "Running", "headless"),
        ];
        let m = model(&CertSummary::Missing, true, true, &sessions, now);
        assert_eq!(m.icon, TrayIcon::Error);
        assert_eq!(m.renew_label, "Get a certificate now");
        assert!(m.can_renew);
        assert!(m.show_sign_in);
        assert_eq!(
            m.sessions,
            vec![("b".to_string(), "nb (notebook)".to_string())]
        );
        assert!(
            m.tooltip.contains("sign-in needed") && m.tooltip.contains("1 running"),
            "{}",
            m.tooltip
        );
    }

    #[test]
    fn without_a_platform_there_is_nothing_to_renew_from() {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("time");
        let m = model(&CertSummary::Missing, false, false, &[], now);
        assert_eq!(m.cert_line, "Certificate: none");
        assert!(!m.can_renew);
        assert_eq!(
            m.icon,
            TrayIcon::Fine,
            "no certificate is not an error by itself"
        );
        let m = model(&CertSummary::Present(info(6, now)), false, false, &[], now);
        assert!(!m.can_renew);
    }
}
