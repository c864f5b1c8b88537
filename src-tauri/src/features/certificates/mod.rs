//! Certificates: watches the X.509 certificate file (every change — a renewal, a copy from
//! another tool, removal — updates the Credentials view, the status bar and the tray) and
//! renews it by the lifecycle policy, unattended when the settings allow.
//!
//! Publishes the reading on the kernel's `Bus::cert` channel; listens for
//! `Signal::SignedIn` (a paused automatic renewal may work again), `Signal::RenewCertificate`
//! (the tray), `Signal::PlatformChanged` (the new profile's certificate file is watched) and
//! settings changes (the renewal policy applies at once).

pub mod commands;
mod monitor;
mod renewal;

use std::sync::Mutex;

use skyport_core::cert::lifecycle::Lifecycle;
use skyport_core::cert::{CertView, CertWatcher, RandomJitter};
use tauri::{AppHandle, Manager, Runtime};

use crate::kernel::{bus, Bus, SettingsStore, Signal};

/// The feature's state: the watcher that keeps the reading current and the renewal policy.
#[derive(Default)]
pub struct CertMonitor {
    /// The file watched and its watcher: the certificate of the profile in use.
    watcher: Mutex<Option<(std::path::PathBuf, CertWatcher)>>,
    lifecycle: Mutex<Option<Lifecycle>>,
    wake: tokio::sync::Notify,
    /// The view the UI heard last: the 30 s re-check sends it again only when it changed.
    said: crate::kernel::bus::LastSaid<CertView>,
}

impl CertMonitor {
    /// Work on the renewal policy (none before `init`).
    fn with_lifecycle<T: Default>(&self, f: impl FnOnce(&mut Lifecycle) -> T) -> T {
        let mut guard = self.lifecycle.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_mut().map(f).unwrap_or_default()
    }

    /// Whether the renewal policy renews unattended now (for tests and the log).
    pub fn auto_renews(&self) -> bool {
        self.with_lifecycle(|l| l.config().auto_renew)
    }
}

/// The certificate as the Credentials view shows it.
pub fn view<R: Runtime>(app: &AppHandle<R>) -> Option<CertView> {
    let reading = app.state::<Bus>().cert()?;
    Some(CertView::new(
        reading.path,
        &reading.summary,
        chrono::Utc::now(),
    ))
}

pub fn init<R: Runtime>(app: &AppHandle<R>) {
    app.manage(CertMonitor::default());
    monitor::start(app);
    renewal::spawn_driver(app.clone());
    spawn_listener(app.clone());
}

/// Signals from the others, and settings changes.
fn spawn_listener<R: Runtime>(app: AppHandle<R>) {
    let mut signals = app.state::<Bus>().subscribe();
    let mut settings = app.state::<SettingsStore>().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::select! {
                signal = bus::next(&mut signals) => match signal {
                    Some(Signal::SignedIn) => renewal::resume_auto_renew(&app),
                    Some(Signal::RenewCertificate) => renewal::renew_now(&app).await,
                    Some(Signal::PlatformChanged) => monitor::follow_platform(&app),
                    Some(_) => {}
                    None => return,
                },
                changed = settings.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = settings.borrow_and_update().clone();
                    renewal::apply_settings(&app, &now);
                }
            }
        }
    });
}

/// Replan with new settings (policy, unattended renewal), now.
fn replan<R: Runtime>(app: &AppHandle<R>, config: skyport_core::cert::lifecycle::LifecycleConfig) {
    let monitor = app.state::<CertMonitor>();
    let actions =
        monitor.with_lifecycle(|l| l.set_config(config, chrono::Utc::now(), &mut RandomJitter));
    renewal::act(app, actions);
    monitor.wake.notify_one();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::Settings;
    use crate::testing::{app_at, wait_until};

    /// Settings item 2: unattended renewal follows the setting from the moment it is saved.
    #[test]
    fn the_renewal_policy_follows_the_settings_at_once() {
        let m = app_at("http://127.0.0.1:9/skaha");
        let app = m.app.handle();
        init(app);
        let monitor = app.state::<CertMonitor>();
        assert!(monitor.auto_renews());
        // The watcher's first reading arrives on the bus (no file: "missing").
        wait_until("the certificate is read", || {
            app.state::<Bus>().cert().is_some()
        });
        let store = app.state::<SettingsStore>();
        store
            .save(Settings {
                auto_renew_cert: false,
                ..store.get()
            })
            .expect("save");
        wait_until("automatic renewal is off", || !monitor.auto_renews());
        store
            .save(Settings {
                auto_renew_cert: true,
                cert_renew_days_before: Some(5),
                ..store.get()
            })
            .expect("save");
        wait_until("the new policy is in place", || {
            monitor.with_lifecycle(|l| {
                l.config().auto_renew
                    && l.config().policy == skyport_core::cert::RenewPolicy::DaysBefore(5)
            })
        });
    }

    /// Platforms item 4: the certificate monitor follows the platform in use — a profile
    /// that keeps its certificate in another file gets that file watched after a switch
    /// (here made as the CLI makes it, by writing the config file).
    #[test]
    fn a_switch_watches_the_new_profiles_certificate() {
        let certs = tempfile::tempdir().expect("tmp");
        let (a, b) = (certs.path().join("a.pem"), certs.path().join("b.pem"));
        let config = |active: &str| {
            format!(
                "active = \"{active}\"\n[profiles.a]\nurl = \"http://127.0.0.1:9/skaha\"\ncert_path = {a:?}\n\
                 [profiles.b]\nurl = \"http://127.0.0.1:9/skaha\"\ncert_path = {b:?}\n"
            )
        };
        let m = crate::testing::app_with_config(&config("a"));
        let app = m.app.handle();
        init(app);
        let watched = || app.state::<Bus>().cert().map(|r| r.path);
        wait_until("a's certificate is read", || {
            watched() == Some(a.display().to_string())
        });
        std::fs::write(m.paths.config_file(), config("b")).expect("switch");
        wait_until("b's certificate is read", || {
            watched() == Some(b.display().to_string())
        });
        let monitor = app.state::<CertMonitor>();
        let guard = monitor.watcher.lock().expect("lock");
        assert_eq!(guard.as_ref().map(|(p, _)| p.clone()), Some(b.clone()));
    }
}
