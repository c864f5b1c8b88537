use chrono::Duration;
use serde_json::json;

use super::*;
use crate::auth::oidc::Identity;

fn t0() -> DateTime<Utc> {
    "2026-12-01T08:00:00Z".parse().expect("time")
}

fn cert(days_left: i64) -> CertInfo {
    CertInfo {
        subject: "CN=alice".into(),
        issuer: "CN=cadc".into(),
        not_before: t0() - Duration::days(10 - days_left),
        not_after: t0() + Duration::days(days_left),
        serial: "01".into(),
        path: None,
        chain_len: 0,
        key_matches: true,
        key_type: "RSA 2048".into(),
    }
}

fn session(id: &str, name: &str, status: &str, hours_left: i64) -> Session {
    let mut s = Session::from_json(&json!({
        "id": id, "userid": "alice", "image": "images.canfar.net/skaha/astroml:24.07",
        "type": "notebook", "status": status, "name": name,
    }))
    .expect("session");
    s.expiry_time = Some(t0() + Duration::hours(hours_left));
    s
}

fn sign_in(minutes_left: i64, refresh: bool) -> SignInRecord {
    SignInRecord {
        issuer: "https://iam.example".into(),
        client_id: "skyport".into(),
        identity: Identity::default(),
        access_expires_at: Some(t0() + Duration::minutes(minutes_left)),
        has_refresh_token: refresh,
        signed_in_at: t0(),
        refreshed_at: t0(),
    }
}

#[test]
fn everything_that_runs_out_in_time_order_with_its_action() {
    let sessions = [
        session("a1", "nb1", "Running", 30),
        session("b2", "fit", "Pending", 90),
        session("c3", "done", "Completed", 5),
    ];
    let rule = KeepAlive::new("canfar", "a1", "nb1", 3, 24, t0()).expect("rule");
    let c = cert(6);
    let record = sign_in(50, true);
    let items = build(
        &Sources {
            cert: Some(&c),
            cert_auto_renew: true,
            sign_in: Some(&record),
            sessions: &sessions,
            rules: std::slice::from_ref(&rule),
        },
        t0(),
    );
    let order: Vec<_> = items
        .iter()
        .map(|e| (e.kind, e.label.as_str(), e.action, e.automatic))
        .collect();
    assert_eq!(
        order,
        vec![
            (ExpiryKind::SignIn, "", ExpiryAction::SignIn, true),
            (ExpiryKind::Session, "nb1", ExpiryAction::RenewSession, true),
            (
                ExpiryKind::Session,
                "fit",
                ExpiryAction::RenewSession,
                false
            ),
            (
                ExpiryKind::Certificate,
                "",
                ExpiryAction::RenewCertificate,
                true
            ),
        ],
        "an ended session runs out of nothing"
    );
    assert_eq!(items[1].kept_until, Some(rule.until));
    assert_eq!(items[1].session_id.as_deref(), Some("a1"));
    assert!(items.iter().all(|e| !e.expired));
}

#[test]
fn what_ran_out_says_so_and_waits_for_the_user() {
    let c = cert(-1);
    let record = sign_in(-5, false);
    let items = build(
        &Sources {
            cert: Some(&c),
            cert_auto_renew: true,
            sign_in: Some(&record),
            sessions: &[],
            rules: &[],
        },
        t0(),
    );
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|e| e.expired && !e.automatic), "{items:?}");
    // With a refresh token, an access token past its time is refreshed, not lost.
    let record = sign_in(-5, true);
    let items = build(
        &Sources {
            cert: None,
            cert_auto_renew: false,
            sign_in: Some(&record),
            sessions: &[],
            rules: &[],
        },
        t0(),
    );
    assert!(!items[0].expired && items[0].automatic);
    // A rule that ends before the session does not keep it past its expiry.
    let s = [session("a1", "nb1", "Running", 80)];
    let rule = KeepAlive::new("canfar", "a1", "nb1", 1, 24, t0()).expect("rule");
    let items = build(
        &Sources {
            cert: None,
            cert_auto_renew: false,
            sign_in: None,
            sessions: &s,
            rules: std::slice::from_ref(&rule),
        },
        t0(),
    );
    assert!(!items[0].automatic);
}

#[test]
fn a_long_list_gives_its_soonest_sessions_and_keeps_the_certificate() {
    // 2,000 sessions ending within days, a certificate valid for weeks.
    let sessions: Vec<Session> = (0..2000)
        .map(|i| session(&format!("s{i:04}"), &format!("job-{i}"), "Running", 10 + i))
        .collect();
    let c = cert(30);
    let all = build(
        &Sources {
            cert: Some(&c),
            cert_auto_renew: true,
            sign_in: None,
            sessions: &sessions,
            rules: &[],
        },
        t0(),
    );
    let kept: Vec<_> = all
        .iter()
        .filter(|e| e.kind == ExpiryKind::Session)
        .collect();
    assert_eq!(kept.len(), MOST_SESSIONS);
    assert_eq!(kept[0].label, "job-0", "the soonest");
    assert_eq!(
        kept[MOST_SESSIONS - 1].label,
        format!("job-{}", MOST_SESSIONS - 1)
    );
    assert_eq!(
        all.last().map(|e| e.kind),
        Some(ExpiryKind::Certificate),
        "later than them all, still there"
    );
}
