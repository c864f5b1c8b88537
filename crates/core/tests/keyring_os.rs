//! The real OS keyring: gnome-keyring's Secret Service under `dbus-run-session`
//! (`make test` starts one with scripts/keyring-session.sh). Outside CI, with no Secret
//! Service on the bus, these tests skip with a message; in CI they fail instead.

use skyport_core::keyring::{EntryKey, OsKeyring, SecretStore, SecretStoreExt};
use skyport_core::secret::SecretString;

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn keyring_or_skip() -> Option<OsKeyring> {
    let k = OsKeyring;
    match k.probe() {
        Ok(()) => Some(k),
        Err(e) if std::env::var_os("CI").is_some() => panic!("no Secret Service in CI: {e}"),
        Err(e) => {
            eprintln!("SKIPPED keyring test (run under `make test` for a real keyring): {e}");
            None
        }
    }
}

fn unique(name: &str) -> EntryKey {
    EntryKey::new(format!("test-{}", std::process::id()), name)
}

#[test]
fn store_read_replace_delete() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(k) = keyring_or_skip() else { return };
    let key = unique("token");
    k.set(&key, &SecretString::new("first-secret".into()))
        .expect("set");
    // A second handle (as another process would) reads the same entry.
    assert_eq!(
        OsKeyring.get(&key).expect("get").expect("present").expose(),
        "first-secret"
    );
    k.set(&key, &SecretString::new("second-secret".into()))
        .expect("replace");
    assert_eq!(
        k.get(&key).expect("get").expect("present").expose(),
        "second-secret"
    );
    assert!(k.delete(&key).expect("delete"));
    assert!(k.get(&key).expect("get after delete").is_none());
    assert!(!k.delete(&key).expect("second delete is not an error"));
}

#[test]
fn long_tokens_round_trip_in_chunks() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(k) = keyring_or_skip() else { return };
    let key = unique("long");
    let jwt_like: String = (0..4321)
        .map(|i| char::from(b'A' + (i % 26) as u8))
        .collect();
    k.set(&key, &SecretString::new(jwt_like.clone()))
        .expect("set long");
    assert_eq!(
        k.get(&key).expect("get").expect("present").expose(),
        &jwt_like
    );
    assert!(k
        .get_raw(&EntryKey::new(key.profile.clone(), "long#5"))
        .expect("raw")
        .is_some());
    k.delete(&key).expect("delete");
    assert!(
        k.get_raw(&EntryKey::new(key.profile.clone(), "long#1"))
            .expect("raw")
            .is_none(),
        "parts must go too"
    );
}

#[test]
fn profiles_do_not_see_each_others_entries() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(k) = keyring_or_skip() else { return };
    let a = EntryKey::new(format!("a-{}", std::process::id()), "token");
    let b = EntryKey::new(format!("b-{}", std::process::id()), "token");
    k.set(&a, &SecretString::new("for-a".into()))
        .expect("set a");
    assert!(k.get(&b).expect("get b").is_none());
    k.delete(&a).expect("cleanup");
}

/// Threads of one process reading an entry while another deletes it: every call answers
/// ("there", "not there"), none reports a missing keyring. (They take turns in `OsKeyring`;
/// the same race across processes — CI saw it once — is retried; see the unit test
/// `a_call_whose_item_vanished_is_done_again`.)
#[test]
fn reads_while_another_thread_deletes_all_answer() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_) = keyring_or_skip() else { return };
    let key = unique("churn");
    let stop = std::sync::atomic::AtomicBool::new(false);
    // The readers stop when the writer ends, also when it fails.
    struct Stop<'a>(&'a std::sync::atomic::AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let _stop = Stop(&stop);
            for i in 0..60 {
                OsKeyring
                    .set(&key, &SecretString::new(format!("v{i}")))
                    .expect("set while others read");
                OsKeyring.delete(&key).expect("delete while others read");
            }
        });
        let readers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut reads = 0;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        if let Some(v) = OsKeyring.get(&key).expect("read while deleted") {
                            assert!(v.expose().starts_with('v'));
                        }
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        writer.join().expect("writer");
        for r in readers {
            assert!(r.join().expect("reader") > 0);
        }
    });
}

/// Many calls, one connection: gnome-keyring's daemon aborts when clients that each open a
/// connection and a session for one call come and go quickly (the `keyring` crate's way, two
/// per write), so this process keeps one. The bus numbers its connections in order: the
/// calls between two new connections of the test's own made at most one. Only on the bus of
/// scripts/keyring-session.sh: on a desktop's, other programs connect meanwhile.
#[cfg(target_os = "linux")]
#[test]
fn calls_share_one_connection() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if std::env::var_os("SKYPORT_TEST_KEYRING_SESSION").is_none() {
        eprintln!("SKIPPED calls_share_one_connection (run under scripts/keyring-session.sh)");
        return;
    }
    let Some(k) = keyring_or_skip() else { return };
    let serial = || -> u64 {
        let c = dbus::blocking::Connection::new_session().expect("session bus");
        let name = c.unique_name().to_string(); // ":1.42"
        name.rsplit('.')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a unique name")
    };
    let key = unique("one-connection");
    let before = serial();
    for i in 0..20 {
        k.set(&key, &SecretString::new(format!("v{i}")))
            .expect("set");
        assert!(k.get(&key).expect("get").is_some());
        k.delete(&key).expect("delete");
    }
    let made = serial() - before - 1;
    assert!(
        made <= 1,
        "20 rounds of set, get and delete made {made} connections"
    );
}

/// An entry written by the `keyring` crate itself (as Skyport did before it kept its
/// connection) is read, replaced and deleted, and one Skyport writes the crate reads: the
/// same items, found by the same attributes.
#[test]
fn entries_of_the_keyring_crate_are_the_same_entries() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(k) = keyring_or_skip() else { return };
    let key = unique("crate-written");
    let theirs =
        keyring::Entry::new(skyport_core::keyring::SERVICE, &key.account()).expect("entry");
    theirs.set_password("from-the-crate").expect("crate set");
    assert_eq!(
        k.get(&key)
            .expect("get")
            .map(|s| s.expose().clone())
            .as_deref(),
        Some("from-the-crate")
    );
    k.set(&key, &SecretString::new("from-skyport".into()))
        .expect("set");
    assert_eq!(theirs.get_password().expect("crate get"), "from-skyport");
    assert!(k.delete(&key).expect("delete"));
    assert!(matches!(
        theirs.get_password(),
        Err(keyring::Error::NoEntry)
    ));
}
