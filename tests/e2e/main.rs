//! End-to-end tests of the real desktop app (see harness.rs for how it is driven).
//! Run under a display: `make test` wraps them in xvfb-run and dbus-run-session.

mod certs;
mod credentials;
mod harness;
mod installed;
mod links;
mod login_start;
mod platforms;
mod sessions;
mod shell;
mod signin;
mod stand_in_watcher;
mod storage;
mod tray;
mod windows;
