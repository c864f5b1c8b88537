//! The certificate lifecycle driven by a fake clock: a 10-day certificate lived hour by
//! hour, warnings once per threshold, renewal near 2/3 of the lifetime, backoff after
//! failures, stopping for the user, sleep/resume, the DaysBefore policy, resets on a new
//! certificate and state that survives a restart.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use skyport_core::cert::lifecycle::{default_state_file, load_record};
use skyport_core::cert::{
    CertEvent, CertInfo, CertObservation, CertState, Lifecycle, LifecycleAction as A,
    LifecycleConfig, NeedsYouReason, NoJitter, RandomJitter, RenewPolicy, Threshold,
};
use skyport_core::error::ErrorCode;
use skyport_core::paths::Paths;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .single()
        .expect("time")
}

fn cert(nb: DateTime<Utc>, lifetime: Duration, serial: &str) -> CertInfo {
    CertInfo {
        subject: "CN=alice,OU=sim".into(),
        issuer: "CN=sim CA".into(),
        not_before: nb,
        not_after: nb + lifetime,
        serial: serial.into(),
        path: None,
        chain_len: 1,
        key_matches: true,
        key_type: "RSA 2048".into(),
    }
}

fn ten_days(nb: DateTime<Utc>, serial: &str) -> CertInfo {
    cert(nb, Duration::days(10), serial)
}

fn warn_only() -> LifecycleConfig {
    LifecycleConfig {
        auto_renew: false,
        ..LifecycleConfig::default()
    }
}

fn notes(actions: &[(DateTime<Utc>, A)]) -> Vec<(Threshold, DateTime<Utc>)> {
    actions
        .iter()
        .filter_map(|(t, a)| match a {
            A::Notify(th) => Some((*th, *t)),
            _ => None,
        })
        .collect()
}

fn states(actions: &[(DateTime<Utc>, A)]) -> Vec<(CertState, DateTime<Utc>)> {
    actions
        .iter()
        .filter_map(|(t, a)| match a {
            A::StateChanged(s) => Some((*s, *t)),
            _ => None,
        })
        .collect()
}

/// Ticks every hour from `from` to `to`; checks on the way that nothing happens before
/// the wake-up time the lifecycle announced.
fn hour_by_hour(
    lc: &mut Lifecycle,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, A)> {
    let mut out = Vec::new();
    let mut now = from;
    let mut wake = lc.next_wake(now);
    while now <= to {
        let acts = lc.tick(now);
        if !acts.is_empty() {
            let w = wake.expect("something happened, so a wake-up was due");
            assert!(
                w <= now,
                "{acts:?} at {now} came before the announced wake {w}"
            );
        }
        out.extend(acts.into_iter().map(|a| (now, a)));
        now += Duration::hours(1);
        wake = lc.next_wake(now - Duration::hours(1));
    }
    out
}

#[test]
fn a_ten_day_certificate_warns_once_hour_by_hour() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(warn_only());
    let first = lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    assert_eq!(first, vec![A::StateChanged(CertState::Fine)]);
    let log = hour_by_hour(&mut lc, nb, c.not_after + Duration::hours(5));
    assert_eq!(
        notes(&log),
        vec![(Threshold::Early, c.not_after - Duration::hours(12))],
        "one early warning; the expiry shows in the tray's state, not in a popup"
    );
    assert_eq!(
        states(&log),
        vec![
            (CertState::Expiring, nb + Duration::days(7)),
            (CertState::Expired, c.not_after),
        ]
    );
    assert!(log.iter().all(|(_, a)| !matches!(a, A::ScheduleRenewal(_))));
    assert!(
        !lc.renewal_due(c.not_after + Duration::days(1)),
        "auto-renewal is off"
    );
    // Everything is done: nothing more to wake up for.
    assert_eq!(lc.next_wake(c.not_after + Duration::hours(6)), None);

    // The setting says when; with no early warning, the expiry is the one notice.
    let mut lc = Lifecycle::new(LifecycleConfig {
        warn_before: Some(Duration::days(3)),
        ..warn_only()
    });
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let log = hour_by_hour(&mut lc, nb, c.not_after + Duration::hours(5));
    assert_eq!(
        notes(&log),
        vec![(Threshold::Early, nb + Duration::days(7))]
    );
    let mut lc = Lifecycle::new(LifecycleConfig {
        warn_before: None,
        ..warn_only()
    });
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let log = hour_by_hour(&mut lc, nb, c.not_after + Duration::hours(5));
    assert_eq!(notes(&log), vec![(Threshold::Expired, c.not_after)]);
}

#[test]
fn waking_only_when_told_sees_the_same_events_at_the_exact_times() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(warn_only());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let mut now = nb;
    let mut log = Vec::new();
    let mut wakes = 0;
    while let Some(w) = lc.next_wake(now) {
        assert!(w > now, "no busy loop: {w} after {now}");
        now = w;
        wakes += 1;
        log.extend(lc.tick(now).into_iter().map(|a| (now, a)));
        assert!(wakes < 20, "too many wake-ups");
    }
    assert_eq!(
        notes(&log),
        vec![(Threshold::Early, c.not_after - Duration::hours(12))]
    );
    assert_eq!(
        states(&log).last(),
        Some(&(CertState::Expired, c.not_after))
    );
    assert_eq!(wakes, 3, "expiring, the warning, expiry");
}

#[test]
fn renewal_is_planned_near_two_thirds_with_jitter_under_a_twentieth() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let two_thirds = nb + Duration::hours(160); // day 6.67
    let lifetime_20th = Duration::hours(12);

    let mut lc = Lifecycle::new(LifecycleConfig::default());
    let a = lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    assert_eq!(
        a,
        vec![
            A::ScheduleRenewal(two_thirds),
            A::StateChanged(CertState::Fine)
        ]
    );
    assert_eq!(lc.next_wake(nb), Some(two_thirds));
    // Hour by hour, renewal becomes due exactly then.
    let mut now = nb;
    while !lc.renewal_due(now) {
        lc.tick(now);
        now += Duration::hours(1);
        assert!(now < c.not_after, "never due");
    }
    assert_eq!(now, two_thirds);

    // Maximal and random jitter stay within lifetime/20 before 2/3.
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut || {
        0.999_999_999
    });
    let at = lc.next_attempt().expect("planned");
    assert!(at > two_thirds - lifetime_20th && at < two_thirds, "{at}");
    for i in 0..200 {
        let mut lc = Lifecycle::new(LifecycleConfig::default());
        let c = ten_days(nb, &format!("{i}"));
        lc.observe(&CertObservation::Loaded(c), nb, &mut RandomJitter);
        let at = lc.next_attempt().expect("planned");
        assert!(at > two_thirds - lifetime_20th && at <= two_thirds, "{at}");
    }
}

#[test]
fn a_month_of_successful_auto_renewals_never_warns() {
    let nb = t0();
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    lc.observe(
        &CertObservation::Loaded(ten_days(nb, "0")),
        nb,
        &mut NoJitter,
    );
    let mut renewals = Vec::new();
    let mut log = Vec::new();
    let end = nb + Duration::days(30);
    let mut now = nb;
    while now <= end {
        log.extend(lc.tick(now).into_iter().map(|a| (now, a)));
        if lc.renewal_due(now) {
            renewals.push(now);
            let new = ten_days(now, &format!("{}", renewals.len()));
            let acts = lc.on_renewal_succeeded(&new, now, &mut NoJitter);
            assert!(
                acts.contains(&A::ScheduleRenewal(now + Duration::hours(160))),
                "{acts:?}"
            );
            // The watcher then reports the same file: nothing new.
            assert!(lc
                .observe(&CertObservation::Loaded(new), now, &mut NoJitter)
                .is_empty());
            log.extend(acts.into_iter().map(|a| (now, a)));
        }
        now += Duration::hours(1);
    }
    assert_eq!(renewals.len(), 4, "{renewals:?}");
    assert_eq!(renewals[0], nb + Duration::hours(160));
    assert!(notes(&log).is_empty(), "{log:?}");
    assert!(states(&log).is_empty(), "stays Fine: {log:?}");
}

#[test]
fn failed_renewals_back_off_from_a_minute_to_an_hour_and_recover() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let mut now = lc.next_wake(nb).expect("renewal");
    let mut delays = Vec::new();
    for _ in 0..9 {
        assert!(lc.renewal_due(now));
        let acts = lc.on_renewal_failed(ErrorCode::PlatformUnreachable, now, &mut NoJitter);
        let [A::ScheduleRenewal(at)] = acts.as_slice() else {
            panic!("one retry planned: {acts:?}");
        };
        assert!(!lc.renewal_due(now), "not again at once");
        assert_eq!(lc.next_wake(now), Some(*at));
        delays.push((*at - now).num_minutes());
        now = *at;
    }
    assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(lc.failures(), 9);

    // Every transient kind of failure retries.
    for code in [
        ErrorCode::PlatformUnavailable,
        ErrorCode::PlatformError,
        ErrorCode::CertificateInvalid,
        ErrorCode::Io,
        ErrorCode::Timeout,
    ] {
        let acts = lc.on_renewal_failed(code, now, &mut RandomJitter);
        assert!(
            matches!(acts.as_slice(), [A::ScheduleRenewal(at)] if *at > now && *at <= now + Duration::hours(1)),
            "{code:?}: {acts:?}"
        );
    }

    // Success resets the backoff.
    let new = ten_days(now, "02");
    lc.on_renewal_succeeded(&new, now, &mut NoJitter);
    assert_eq!(lc.failures(), 0);
    assert_eq!(lc.next_attempt(), Some(now + Duration::hours(160)));
    let due = now + Duration::hours(160);
    let acts = lc.on_renewal_failed(ErrorCode::Timeout, due, &mut NoJitter);
    assert_eq!(acts, vec![A::ScheduleRenewal(due + Duration::minutes(1))]);
}

#[test]
fn warnings_still_come_while_renewal_keeps_failing() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let mut log = Vec::new();
    let mut attempts = 0;
    let mut now = nb;
    while now <= c.not_after + Duration::hours(2) {
        log.extend(lc.tick(now).into_iter().map(|a| (now, a)));
        if lc.renewal_due(now) {
            attempts += 1;
            lc.on_renewal_failed(ErrorCode::PlatformUnavailable, now, &mut NoJitter);
        }
        now += Duration::minutes(10);
    }
    let kinds: Vec<_> = notes(&log).into_iter().map(|n| n.0).collect();
    assert_eq!(
        kinds,
        vec![Threshold::Early],
        "one warning, however many retries"
    );
    // About one attempt an hour once the backoff is capped, over ~3.4 days.
    assert!((70..=100).contains(&attempts), "{attempts}");
}

#[test]
fn sign_in_needed_or_refused_stops_auto_renewal_and_asks_once() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let due = lc.next_attempt().expect("planned");
    let acts = lc.on_renewal_failed(ErrorCode::SignInNeeded, due, &mut NoJitter);
    assert_eq!(
        acts,
        vec![A::RenewalNeedsYou {
            reason: NeedsYouReason::SignInNeeded
        }]
    );
    assert_eq!(lc.needs_you(), Some(NeedsYouReason::SignInNeeded));
    assert!(NeedsYouReason::SignInNeeded.message().contains("sign in"));
    assert!(!lc.renewal_due(due + Duration::days(2)));
    assert_eq!(lc.next_attempt(), None);
    // The next wake-up is the state turning to 'expiring', not a retry.
    assert_eq!(lc.next_wake(due), Some(nb + Duration::days(7)));
    // Asked once: a further failure says nothing.
    assert!(lc
        .on_renewal_failed(ErrorCode::PermissionDenied, due, &mut NoJitter)
        .is_empty());
    // The warning still comes.
    let log = hour_by_hour(&mut lc, due, c.not_after);
    assert_eq!(notes(&log).len(), 1);
    assert!(log
        .iter()
        .all(|(_, a)| !matches!(a, A::RenewalNeedsYou { .. })));

    // After a sign-in it tries again at once (the planned time has passed) ...
    let now = nb + Duration::days(8);
    let acts = lc.resume_auto_renew(&mut NoJitter);
    assert!(
        matches!(acts.as_slice(), [A::ScheduleRenewal(_)]),
        "{acts:?}"
    );
    assert!(lc.renewal_due(now));
    // ... and a refused password is reported the same way.
    let acts = lc.on_renewal_failed(ErrorCode::PermissionDenied, now, &mut NoJitter);
    assert_eq!(
        acts,
        vec![A::RenewalNeedsYou {
            reason: NeedsYouReason::CredentialRefused
        }]
    );
    assert!(!lc.renewal_due(now + Duration::hours(1)));
    // A manual renewal succeeds: auto-renewal is back.
    lc.on_renewal_succeeded(&ten_days(now, "02"), now, &mut NoJitter);
    assert_eq!(lc.needs_you(), None);
    assert_eq!(lc.next_attempt(), Some(now + Duration::hours(160)));
}

#[test]
fn a_two_day_sleep_acts_at_once_on_resume() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let before = nb + Duration::hours(132); // day 5.5
    assert!(lc.tick(before).is_empty());
    assert_eq!(lc.next_wake(before), Some(nb + Duration::hours(160)));
    // The laptop sleeps for two days; the monitor's timer did not fire.
    let after = before + Duration::days(2);
    let wake = lc.next_wake(after).expect("something is due");
    assert!(wake <= after, "act at once: {wake}");
    let acts = lc.tick(after);
    assert_eq!(acts, vec![A::StateChanged(CertState::Expiring)]);
    assert!(lc.renewal_due(after));

    // A sleep past the warning time gives the warning, once.
    let mut lc = Lifecycle::new(warn_only());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let late = c.not_after - Duration::minutes(30);
    assert!(lc.next_wake(late).is_some_and(|w| w <= late));
    let acts = lc.tick(late);
    assert_eq!(
        acts,
        vec![
            A::StateChanged(CertState::Expiring),
            A::Notify(Threshold::Early)
        ]
    );
    assert!(lc.tick(late + Duration::minutes(1)).is_empty());
    assert_eq!(
        lc.next_wake(late),
        Some(c.not_after),
        "expiry is still ahead"
    );
}

#[test]
fn days_before_policy() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let plan = |policy, jitter: f64| {
        let mut lc = Lifecycle::new(LifecycleConfig {
            policy,
            ..LifecycleConfig::default()
        });
        lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut move || jitter);
        lc.next_attempt().expect("planned")
    };
    assert_eq!(
        plan(RenewPolicy::DaysBefore(2), 0.0),
        c.not_after - Duration::days(2)
    );
    let j = plan(RenewPolicy::DaysBefore(2), 0.999_999);
    // Jitter up to (2 days)/20 = 2.4 h earlier.
    assert!(j < c.not_after - Duration::days(2));
    assert!(j > c.not_after - Duration::days(2) - Duration::minutes(144));
    assert_eq!(
        plan(RenewPolicy::DaysBefore(1), 0.0),
        c.not_after - Duration::days(1)
    );
    // Longer than the lifetime: falls back to 2/3 rather than renewing in a loop.
    assert_eq!(
        plan(RenewPolicy::DaysBefore(15), 0.0),
        nb + Duration::hours(160)
    );
    // Hour by hour, a DaysBefore(2) renewal becomes due on day 8.
    let mut lc = Lifecycle::new(LifecycleConfig {
        policy: RenewPolicy::DaysBefore(2),
        ..LifecycleConfig::default()
    });
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let first_due = (0..240)
        .map(|h| nb + Duration::hours(h))
        .find(|t| lc.renewal_due(*t));
    assert_eq!(first_due, Some(nb + Duration::days(8)));
}

#[test]
fn a_renewed_certificate_resets_the_warnings() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(warn_only());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let swap = nb + Duration::hours(230); // day 9.6, warned at 9.5
    let log = hour_by_hour(&mut lc, nb, swap);
    assert_eq!(notes(&log).len(), 1);
    // Renewed by another program (cadc-get-cert): the watcher reports it.
    let c2 = ten_days(swap, "02");
    let acts = lc.observe(&CertObservation::Loaded(c2.clone()), swap, &mut NoJitter);
    assert_eq!(acts, vec![A::StateChanged(CertState::Fine)]);
    assert_eq!(lc.record().thresholds.not_after, Some(c2.not_after));
    assert_eq!(lc.record().thresholds.notified, None);
    let log = hour_by_hour(&mut lc, swap, c2.not_after);
    assert_eq!(
        notes(&log),
        vec![(Threshold::Early, c2.not_after - Duration::hours(12))]
    );
}

#[test]
fn state_survives_a_restart() {
    let home = tempfile::tempdir().expect("tmp");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    let file = default_state_file(&paths, &paths.cert_file());
    let nb = t0();
    let c = ten_days(nb, "01");

    let mut lc = Lifecycle::with_state_file(LifecycleConfig::default(), file.clone());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let warned = nb + Duration::hours(228);
    assert!(lc.tick(warned).contains(&A::Notify(Threshold::Early)));
    let acts = lc.on_renewal_failed(ErrorCode::SignInNeeded, warned, &mut NoJitter);
    assert_eq!(acts.len(), 1);
    drop(lc);
    let saved = load_record(&file);
    assert_eq!(saved.thresholds.notified, Some(Threshold::Early));
    assert!(saved.needs_you.is_some());

    // The app restarts: the same certificate gives no repeated warning or notice.
    let mut lc = Lifecycle::with_state_file(LifecycleConfig::default(), file.clone());
    let later = warned + Duration::hours(3);
    let acts = lc.observe(&CertObservation::Loaded(c.clone()), later, &mut NoJitter);
    assert_eq!(acts, vec![A::StateChanged(CertState::Expiring)]);
    assert!(!lc.renewal_due(later), "still waiting for the user");
    assert!(lc
        .on_renewal_failed(ErrorCode::SignInNeeded, later, &mut NoJitter)
        .is_empty());
    // Expired after the warning: the state says so, no second popup.
    assert_eq!(
        lc.tick(c.not_after),
        vec![A::StateChanged(CertState::Expired)]
    );
    drop(lc);
    assert_eq!(
        load_record(&file).thresholds.notified,
        Some(Threshold::Expired)
    );

    // The file is private and replaced atomically (no temp files left).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let dir = file.parent().expect("dir");
    assert_eq!(std::fs::read_dir(dir).expect("ls").count(), 1);

    // A damaged file costs at most a repeated warning, never a failure.
    std::fs::write(&file, b"\0garbage").expect("write");
    let mut lc = Lifecycle::with_state_file(LifecycleConfig::default(), file.clone());
    let acts = lc.observe(&CertObservation::Loaded(c), later, &mut NoJitter);
    assert!(acts.contains(&A::Notify(Threshold::Early)), "{acts:?}");
    assert_eq!(
        load_record(&file).thresholds.notified,
        Some(Threshold::Early)
    );
}

#[test]
fn a_clock_set_back_never_repeats_a_warning() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(warn_only());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let warned = nb + Duration::hours(230);
    assert!(lc.tick(warned).contains(&A::Notify(Threshold::Early)));
    // Back to day 7.5, then forward again.
    let acts = lc.tick(nb + Duration::hours(180));
    assert!(acts.iter().all(|a| !matches!(a, A::Notify(_))), "{acts:?}");
    let acts = lc.tick(warned + Duration::hours(1));
    assert!(acts.iter().all(|a| !matches!(a, A::Notify(_))), "{acts:?}");
}

#[test]
fn a_short_certificate_is_warned_at_half_its_life_at_most() {
    let nb = t0();
    let c = cert(nb, Duration::days(1), "01");
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    let acts = lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    assert!(acts.contains(&A::ScheduleRenewal(nb + Duration::hours(16))));
    let mut lc = Lifecycle::new(warn_only());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let log = hour_by_hour(&mut lc, nb, c.not_after);
    assert_eq!(
        notes(&log),
        vec![(Threshold::Early, c.not_after - Duration::hours(12))]
    );
    // Twenty hours: the 12-hour lead is cut to half its life, and that is the one notice.
    let c = cert(nb, Duration::hours(20), "02");
    let mut lc = Lifecycle::new(warn_only());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    let log = hour_by_hour(&mut lc, nb, c.not_after + Duration::hours(2));
    assert_eq!(
        notes(&log),
        vec![(Threshold::Early, c.not_after - Duration::hours(10))]
    );
}

#[test]
fn settings_changes_replan_and_manual_failures_are_not_tracked() {
    let nb = t0();
    let c = ten_days(nb, "01");
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    lc.observe(&CertObservation::Loaded(c.clone()), nb, &mut NoJitter);
    assert!(lc.next_attempt().is_some());
    let acts = lc.set_config(warn_only(), nb + Duration::days(1), &mut NoJitter);
    assert!(acts.is_empty(), "{acts:?}");
    assert_eq!(lc.next_attempt(), None);
    assert!(!lc.renewal_due(nb + Duration::days(8)));
    // With auto-renewal off, failures (of manual renewals) change nothing.
    assert!(lc
        .on_renewal_failed(ErrorCode::SignInNeeded, nb, &mut NoJitter)
        .is_empty());
    assert_eq!(lc.needs_you(), None);
    let acts = lc.set_config(
        LifecycleConfig {
            policy: RenewPolicy::DaysBefore(1),
            ..LifecycleConfig::default()
        },
        nb + Duration::days(1),
        &mut NoJitter,
    );
    assert_eq!(
        acts,
        vec![A::ScheduleRenewal(c.not_after - Duration::days(1))]
    );
}

#[test]
fn watcher_events_map_to_observations() {
    let c = ten_days(t0(), "01");
    assert_eq!(
        CertObservation::from_event(&CertEvent::Loaded {
            info: c.clone(),
            state: CertState::Fine
        }),
        Some(CertObservation::Loaded(c))
    );
    assert_eq!(
        CertObservation::from_event(&CertEvent::Missing),
        Some(CertObservation::Missing)
    );
    assert_eq!(
        CertObservation::from_event(&CertEvent::Tick {
            now: t0(),
            clock_jump: None
        }),
        None
    );
    // An expired certificate seen at start-up is renewed at once.
    let old = ten_days(t0() - Duration::days(11), "00");
    let mut lc = Lifecycle::new(LifecycleConfig::default());
    let acts = lc.observe(&CertObservation::Loaded(old), t0(), &mut NoJitter);
    assert!(
        acts.contains(&A::StateChanged(CertState::Expired)),
        "{acts:?}"
    );
    assert!(lc.renewal_due(t0()));
}
