//! The certificate watcher notices files replaced by other programs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cert_support.rs"]
mod support;

use std::fs;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use skyport_core::cert::{CertEvent, CertState, CertWatcher, WatchConfig};
use support::*;

fn start(config: WatchConfig) -> (CertWatcher, mpsc::Receiver<(Instant, CertEvent)>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let w = CertWatcher::start(config, move |e| {
        let _ = tx.lock().unwrap().send((Instant::now(), e));
    })
    .unwrap();
    (w, rx)
}

/// Waits for the first event that is not a tick.
fn next_change(
    rx: &mpsc::Receiver<(Instant, CertEvent)>,
    within: Duration,
) -> Option<(Instant, CertEvent)> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match rx.recv_timeout(left) {
            Ok((_, CertEvent::Tick { .. })) => continue,
            Ok(e) => return Some(e),
            Err(_) => return None,
        }
    }
}

#[test]
fn copying_a_new_certificate_in_is_noticed_within_a_second() {
    let home = tempfile::tempdir().unwrap();
    let path = skyport_core::cert::default_cert_path(home.path());
    let old = fresh_bundle(1, 10);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, old.cadc_bundle()).unwrap();

    let (watcher, rx) = start(WatchConfig::new(path.clone()));
    match next_change(&rx, Duration::from_secs(5)) {
        Some((_, CertEvent::Loaded { info, state })) => {
            assert_eq!(info.not_after.timestamp(), old.not_after.timestamp());
            assert_eq!(state, CertState::Fine);
        }
        other => panic!("expected the initial state, got {other:?}"),
    }

    // Another program copies a new certificate in (in place, like `cp`).
    let new = fresh_bundle(2, 20);
    let staged = home.path().join("downloaded.pem");
    fs::write(&staged, new.cadc_bundle()).unwrap();
    let t0 = Instant::now();
    let status = std::process::Command::new("cp")
        .arg(&staged)
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let (at, event) = next_change(&rx, Duration::from_secs(1)).expect("change noticed within 1 s");
    match event {
        CertEvent::Loaded { info, .. } => {
            assert_eq!(info.not_after.timestamp(), new.not_after.timestamp())
        }
        other => panic!("expected the new certificate, got {other:?}"),
    }
    let latency = at - t0;
    println!("new certificate noticed after {latency:?}");
    assert!(latency < Duration::from_secs(1));

    // Replaced by rename (how renewals write), then removed.
    let newer = fresh_bundle(3, 30);
    fs::write(&staged, newer.cadc_bundle()).unwrap();
    fs::rename(&staged, &path).unwrap();
    match next_change(&rx, Duration::from_secs(1)) {
        Some((_, CertEvent::Loaded { info, .. })) => {
            assert_eq!(info.not_after.timestamp(), newer.not_after.timestamp())
        }
        other => panic!("expected the renamed-in certificate, got {other:?}"),
    }
    fs::remove_file(&path).unwrap();
    assert!(matches!(
        next_change(&rx, Duration::from_secs(1)),
        Some((_, CertEvent::Missing))
    ));
    // A damaged file is reported as invalid.
    fs::write(&path, b"<html>error</html>").unwrap();
    assert!(matches!(
        next_change(&rx, Duration::from_secs(1)),
        Some((_, CertEvent::Invalid { .. }))
    ));
    // Events for other files in the folder are ignored.
    fs::write(path.with_file_name("other.txt"), b"x").unwrap();
    assert!(next_change(&rx, Duration::from_millis(600)).is_none());
    drop(watcher);
}

#[test]
fn burst_of_writes_is_coalesced() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(".ssl").join("cadcproxy.pem");
    let (watcher, rx) = start(WatchConfig::new(path.clone()));
    assert!(matches!(
        next_change(&rx, Duration::from_secs(5)),
        Some((_, CertEvent::Missing))
    ));
    let new = fresh_bundle(2, 20).cadc_bundle();
    // Write in many small pieces, as a slow download would.
    {
        use std::io::Write as _;
        let mut f = fs::File::create(&path).unwrap();
        for chunk in new.as_bytes().chunks(512) {
            f.write_all(chunk).unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let mut loaded = 0;
    let mut other = 0;
    while let Some((_, e)) = next_change(&rx, Duration::from_millis(800)) {
        match e {
            CertEvent::Loaded { .. } => loaded += 1,
            _ => other += 1,
        }
    }
    assert_eq!(loaded, 1, "one Loaded event for the burst");
    assert!(other <= 1, "at most one transient event, got {other}");
    // `recheck_now` without a change sends nothing.
    watcher.recheck_now();
    assert!(next_change(&rx, Duration::from_millis(300)).is_none());
}

#[test]
fn periodic_tick_reports_a_wall_clock_jump() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(".ssl").join("cadcproxy.pem");
    // A wall clock that jumps 8 hours ahead after the first reading, as after sleep.
    let calls = Arc::new(Mutex::new(0u32));
    let base: DateTime<Utc> = Utc::now();
    let c = calls.clone();
    let mut config = WatchConfig::new(path);
    config.recheck_every = Duration::from_millis(200);
    config.clock = Arc::new(move || {
        let mut n = c.lock().unwrap();
        *n += 1;
        if *n <= 2 {
            base
        } else {
            base + chrono::Duration::hours(8)
        }
    });
    let (watcher, rx) = start(config);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut jump = None;
    while Instant::now() < deadline && jump.is_none() {
        if let Ok((_, CertEvent::Tick { clock_jump, .. })) = rx.recv_timeout(Duration::from_secs(1))
        {
            jump = clock_jump;
        }
    }
    let jump = jump.expect("a tick reporting the jump");
    assert!(jump > chrono::Duration::hours(7), "{jump}");
    drop(watcher);
    // After drop the thread is gone: the channel closes.
    let end = loop {
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert_eq!(end, mpsc::RecvTimeoutError::Disconnected);
}
