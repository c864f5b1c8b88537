//! The keyring daemon ends and another takes its place (gnome-keyring aborted, and systemd
//! or the bus started it again): Skyport's kept Secret Service connection is made again,
//! for a write as for a read. On a D-Bus session of this test's own, so that ending its
//! daemon touches no other test; the only test of its binary, as it sets the process's
//! environment. Linux only; skipped with a message without dbus-daemon and
//! gnome-keyring-daemon (failed in CI).
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use skyport_core::keyring::{EntryKey, OsKeyring, SecretStoreExt};
use skyport_core::secret::SecretString;

/// A process ended when the test ends, also when it fails.
struct Ends(Child);

impl Drop for Ends {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A session bus of the test's own, which starts no services (no other keyring daemon, no
/// unlock prompt that nobody answers); its address.
fn bus(dir: &Path) -> (Ends, String) {
    let config = dir.join("bus.conf");
    let listen = dir.join("bus");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            listen.display()
        ),
    )
    .expect("bus config");
    let mut child = Command::new("dbus-daemon")
        .args(["--nofork", "--print-address=1"])
        .arg(format!("--config-file={}", config.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon");
    let out = child.stdout.take().expect("stdout");
    let mut address = String::new();
    BufReader::new(out)
        .read_line(&mut address)
        .expect("the bus's address");
    (Ends(child), address.trim().to_string())
}

/// An unlocked gnome-keyring on the test's bus, once it owns the Secret Service's name.
fn keyring_daemon(address: &str) -> Ends {
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--foreground", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"restart-test").expect("password");
    drop(stdin);
    let daemon = Ends(child);
    wait_for("the Secret Service on the bus", || owner(address).is_some());
    daemon
}

fn owner(address: &str) -> Option<String> {
    let mut channel = dbus::channel::Channel::open_private(address).ok()?;
    channel.register().ok()?;
    let c = dbus::blocking::Connection::from(channel);
    let proxy = c.with_proxy(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        Duration::from_secs(2),
    );
    let (name,): (String,) = proxy
        .method_call(
            "org.freedesktop.DBus",
            "GetNameOwner",
            ("org.freedesktop.secrets",),
        )
        .ok()?;
    Some(name)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_keyring_daemon_started_again_is_found_again() {
    if !have("dbus-daemon") || !have("gnome-keyring-daemon") {
        assert!(
            std::env::var_os("CI").is_none(),
            "dbus-daemon and gnome-keyring-daemon are needed in CI"
        );
        eprintln!("SKIPPED: needs dbus-daemon and gnome-keyring-daemon");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, run) = (dir.path().join("data"), dir.path().join("run"));
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::create_dir_all(&run).expect("run dir");
    // The only test of this binary: no other thread reads the environment.
    std::env::set_var("XDG_DATA_HOME", &data);
    std::env::set_var("XDG_RUNTIME_DIR", &run);
    let (_bus, address) = bus(dir.path());
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);

    let key = EntryKey::new("restart", "token");
    let first = keyring_daemon(&address);
    // A fresh daemon can answer the first calls before its keyring is in place.
    wait_for("a first write", || {
        OsKeyring
            .set(&key, &SecretString::new("kept".into()))
            .is_ok()
    });
    let first_owner = owner(&address);

    // Started again, a first write goes through the session the first daemon made (the new
    // one knows it not); started again once more, a first read. Like the first daemon, a
    // fresh one can answer before its keyring is open: each is waited for.
    drop(first); // the daemon ends (killed, as an abort ends it)
    let second = restart(&address, first_owner);
    wait_for("a write through the second daemon", || {
        OsKeyring
            .set(&key, &SecretString::new("again".into()))
            .is_ok()
    });
    let second_owner = owner(&address);
    drop(second);
    let _third = restart(&address, second_owner);
    wait_for("a read through the third daemon", || {
        OsKeyring
            .get(&key)
            .ok()
            .flatten()
            .is_some_and(|s| s.expose() == "again")
    });
    assert!(OsKeyring.delete(&key).expect("delete"));
}

/// The daemon that was `before` is gone: another on the bus in its place.
fn restart(address: &str, before: Option<String>) -> Ends {
    wait_for("the name let go", || owner(address).is_none());
    let next = keyring_daemon(address);
    let now = owner(address);
    assert!(now.is_some() && now != before, "another daemon: {now:?}");
    next
}
