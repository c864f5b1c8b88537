//! Test support: the app on Tauri's mock runtime, with the kernel in place over a fresh
//! home folder and an in-memory keyring.

use std::sync::Arc;
use std::time::{Duration, Instant};

use skyport_core::keyring::MemoryStore;
use skyport_core::paths::Paths;
use tauri::test::MockRuntime;
use tauri::App;

use crate::kernel::{self, Platform};

pub struct MockApp {
    pub app: App<MockRuntime>,
    pub paths: Paths,
    _home: tempfile::TempDir,
}

/// A mock app whose config holds `config` (TOML), with the kernel started.
pub fn app_with_config(config: &str) -> MockApp {
    let home = tempfile::tempdir().expect("tmp");
    let paths = Paths::under(home.path().to_path_buf()).expect("paths");
    std::fs::create_dir_all(&paths.config_dir).expect("config dir");
    std::fs::write(paths.config_file(), config).expect("config");
    let app = tauri::test::mock_app();
    tauri_specta::Builder::<MockRuntime>::new()
        .events(crate::events())
        .mount_events(&app);
    let platform = Platform::with_store(paths.clone(), Arc::new(MemoryStore::default()), None);
    kernel::init(app.handle(), platform);
    MockApp {
        app,
        paths,
        _home: home,
    }
}

/// A mock app with one profile, `lab`, at `url`.
pub fn app_at(url: &str) -> MockApp {
    app_with_config(&format!(
        "active = \"lab\"\n[profiles.lab]\nurl = \"{url}\"\n"
    ))
}

/// Wait until `ok` holds (a state, not a time), or fail after a generous deadline.
pub fn wait_until(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The events of the given names the app emits, in order (Rust listeners hear an event as
/// it is emitted).
#[derive(Clone, Default)]
pub struct Heard(Arc<std::sync::Mutex<Vec<(&'static str, String)>>>);

impl Heard {
    /// Start listening on `app` for `names`.
    pub fn on(app: &tauri::AppHandle<MockRuntime>, names: &[&'static str]) -> Heard {
        use tauri::Listener;
        let heard = Heard::default();
        for &name in names {
            let h = heard.clone();
            app.listen_any(name, move |e| {
                h.0.lock()
                    .expect("lock")
                    .push((name, e.payload().to_string()));
            });
        }
        heard
    }

    pub fn len(&self) -> usize {
        self.0.lock().expect("lock").len()
    }

    /// The events' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .map(|(n, _)| *n)
            .collect()
    }

    /// The events' payloads (JSON), in order.
    pub fn payloads(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, p)| p.clone())
            .collect()
    }
}
