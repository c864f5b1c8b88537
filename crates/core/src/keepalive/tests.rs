use serde_json::json;

use super::*;

fn t0() -> DateTime<Utc> {
    "2026-12-01T08:00:00Z".parse().expect("time")
}

fn session(status: &str, expiry: Option<DateTime<Utc>>) -> Session {
    let mut s = Session::from_json(&json!({
        "id": "k3x9q2ab", "userid": "alice", "image": "images.canfar.net/skaha/astroml:24.07",
        "type": "notebook", "status": status, "name": "nb1",
        "startTime": "2026-12-01T08:00:00Z",
    }))
    .expect("session");
    s.expiry_time = expiry;
    s
}

fn rule(days: u32) -> KeepAlive {
    KeepAlive::new("canfar", "k3x9q2ab", "nb1", days, 24, t0()).expect("rule")
}

#[test]
fn extends_only_when_less_than_the_margin_is_left() {
    let r = rule(7);
    let expiry = t0() + Duration::days(4);
    let running = session("Running", Some(expiry));
    assert_eq!(
        r.step(Some(&running), t0()),
        Step::WaitUntil(expiry - Duration::days(1))
    );
    assert_eq!(
        r.step(Some(&running), expiry - Duration::hours(23)),
        Step::Extend
    );
    // A Pending session without an expiry yet is looked at again later.
    let pending = session("Pending", None);
    assert!(matches!(r.step(Some(&pending), t0()), Step::WaitUntil(_)));
}

#[test]
fn a_rule_ends_with_its_session_its_time_or_the_platform() {
    let r = rule(7);
    assert_eq!(r.step(None, t0()), Step::Done(Ended::SessionEnded));
    let done = session("Completed", Some(t0() + Duration::days(1)));
    assert_eq!(r.step(Some(&done), t0()), Step::Done(Ended::SessionEnded));
    // Already running past the rule's end: nothing to renew; the rule stays until its end.
    let long = session("Running", Some(t0() + Duration::days(8)));
    assert_eq!(r.step(Some(&long), t0()), Step::WaitUntil(r.until));
    assert_eq!(r.step(Some(&long), r.until), Step::Done(Ended::Reached));
    // A margin edited by hand past reason is held to three days.
    let wild = KeepAlive {
        within_hours: u32::MAX,
        ..rule(7)
    };
    let soon = session("Running", Some(t0() + Duration::days(4)));
    assert_eq!(
        wild.step(Some(&soon), t0()),
        Step::WaitUntil(t0() + Duration::days(1))
    );
    assert_eq!(
        wild.step(Some(&soon), t0() + Duration::days(1)),
        Step::Extend
    );
    // A renewal that moved nothing: the platform's limit.
    let mut r = rule(7);
    let e = t0() + Duration::days(1);
    assert_eq!(r.extended_to(e, e, t0()), Some(Ended::PlatformLimit));
    assert_eq!(r.extended_to(e, e + Duration::days(3), t0()), None);
    assert_eq!(
        (r.extended, r.last_expiry),
        (1, Some(e + Duration::days(3)))
    );
}

#[test]
fn ten_days_of_renewals_keep_it_alive_and_never_past_the_rule() {
    // The platform: a renewal moves the expiry to four days from now, never more.
    let mut r = rule(10);
    let mut expiry = t0() + Duration::days(4);
    let mut now = t0();
    let mut renewals = Vec::new();
    let ended = loop {
        let s = session("Running", Some(expiry));
        match r.step(Some(&s), now) {
            Step::Extend => {
                let after = expiry.max(now + Duration::days(4));
                assert_eq!(r.extended_to(expiry, after, now), None);
                renewals.push(now);
                expiry = after;
            }
            Step::WaitUntil(at) => now = at.max(now + Duration::minutes(1)),
            Step::Done(why) => break why,
        }
        assert!(now < t0() + Duration::days(30), "runs away");
    };
    assert_eq!(ended, Ended::Reached);
    assert_eq!(
        renewals,
        vec![t0() + Duration::days(3), t0() + Duration::days(6)]
    );
    assert!(expiry >= r.until, "alive to the end of the rule");
    assert!(
        expiry <= r.until + Duration::days(4),
        "and not asked beyond a renewal past it"
    );
}

#[test]
fn bounds_and_the_file() {
    assert!(KeepAlive::new("canfar", "k3x9q2ab", "nb1", 0, 24, t0()).is_err());
    assert!(KeepAlive::new("canfar", "k3x9q2ab", "nb1", MAX_DAYS + 1, 24, t0()).is_err());
    assert!(KeepAlive::new("canfar", "k3x9q2ab", "nb1", 3, 0, t0()).is_err());
    assert_eq!(
        KeepAlive::new("canfar", "k3x9q2ab", "", 3, 24, t0()).map(|r| r.name),
        Ok("k3x9q2ab".to_string()),
        "a session with no name is called by its id"
    );

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keep-alive.json");
    let mut rules = KeepAliveRules::load(&path);
    assert!(rules.rules.is_empty());
    rules.set(rule(3));
    rules.set(rule(5));
    let mut other = rule(2);
    other.profile = "src".into();
    rules.set(other);
    assert_eq!(rules.rules.len(), 2, "one rule per session and platform");
    rules.save(&path).expect("save");
    let back = KeepAliveRules::load(&path);
    assert_eq!(back, rules);
    assert_eq!(
        back.get("canfar", "k3x9q2ab").map(|r| r.until),
        Some(t0() + Duration::days(5))
    );
    assert_eq!(back.of_profile("src").count(), 1);
    let mut back = back;
    assert!(back.remove("canfar", "k3x9q2ab"));
    assert!(!back.remove("canfar", "k3x9q2ab"));
    std::fs::write(&path, b"{\"rules\": [{").expect("write");
    assert!(KeepAliveRules::load(&path).rules.is_empty());
    // A damaged file is left as it is, not replaced by an empty one.
    let ((), saved) = KeepAliveRules::change(&path, |r| {
        r.set(rule(2));
        ((), true)
    });
    assert!(saved.is_err());
    assert_eq!(std::fs::read(&path).expect("read"), b"{\"rules\": [{");
}

#[test]
fn the_notices_say_what_happened() {
    let until = t0() + Duration::days(7);
    assert_eq!(Ended::SessionEnded.text("nb1", until), None);
    let (title, body) = Ended::PlatformLimit.text("nb1", until).expect("said");
    assert_eq!(title, "nb1 cannot be extended further");
    assert!(body.contains("did not move its expiry"));
    let (title, body) = Ended::TimeUp.text("nb1", until).expect("said");
    assert_eq!(title, "Stopped keeping nb1 alive");
    assert!(body.contains("2026-12-08 08:00 UTC"));
}

#[test]
fn a_platform_that_gives_less_than_the_margin_is_not_renewed_on_every_poll() {
    // Sessions live 20 hours; renewals give 20 hours from the renewal.
    let mut r = rule(3);
    let mut expiry = t0() + Duration::hours(20);
    let mut now = t0() + Duration::minutes(1);
    let mut renewals = 0;
    while now < t0() + Duration::days(2) {
        let s = session("Running", Some(expiry));
        if r.step(Some(&s), now) == Step::Extend {
            let after = now + Duration::hours(20);
            assert_eq!(r.extended_to(expiry, after, now), None);
            expiry = after;
            renewals += 1;
        }
        now += Duration::minutes(1);
    }
    // At once (less than a day left), then every ten hours (half of what a renewal gives).
    assert_eq!(renewals, 1 + 4, "{renewals}");
    assert!(expiry > now, "never lapsed");
}

#[test]
fn changes_made_at_once_all_land() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("keep-alive.json");
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let ((), saved) = KeepAliveRules::change(&path, |rules| {
                    let r =
                        KeepAlive::new("canfar", &format!("s{i}"), "n", 2, 24, t0()).expect("rule");
                    rules.set(r);
                    ((), true)
                });
                saved.expect("saved")
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(KeepAliveRules::load(&path).rules.len(), 8);
    // Read-only changes leave the file as it is.
    let before = std::fs::read(&path).expect("read");
    let (n, saved) = KeepAliveRules::change(&path, |r| (r.rules.len(), false));
    saved.expect("nothing to write");
    assert_eq!(n, 8);
    assert_eq!(std::fs::read(&path).expect("read"), before);
}
