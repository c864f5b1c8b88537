//! Downloads from session windows: asked about in a small prompt window of the app's own.
//!
//! The webview's download events feed [`skyport_core::downloads::Downloads`]: a transfer starts
//! at once into a private staging folder while a prompt ("Save summary.csv?") opens over the
//! session window; the file reaches the Downloads folder only after "Save". The prompt is an
//! app page (`download-<id>`, IPC allowed by capabilities/prompts.json); the session page never
//! sees it and cannot answer it. Which window carries the download handler is the kernel's
//! rule (`kernel::windows`); on Linux it is the main window, and the handler works out from
//! the URL which session a download came from.
//!
//! Registers its handler and a quit guard ("a Save is still to be carried out") with the
//! kernel at start.

pub mod commands;
mod handler;
mod prompt;

use std::sync::{Arc, Mutex};

use skyport_core::downloads::Downloads;
use skyport_core::paths::Paths;
use tauri::webview::DownloadEvent;
use tauri::{AppHandle, Manager, Runtime};

use crate::kernel::lifetime::Lifetime;
use crate::kernel::{windows, Platform};

/// The downloads of this run.
pub struct DownloadBook {
    book: Mutex<Downloads>,
    /// When a page was last told it started too many downloads (told once per burst).
    last_refusal: Mutex<Option<std::time::Instant>>,
    /// Prompts whose buttons are armed: shown, focused for the arming delay, no key held
    /// over from the session. Save is refused for any other (a second line behind the UI).
    armed: Mutex<std::collections::BTreeSet<u32>>,
}

impl DownloadBook {
    pub fn new(paths: &Paths) -> Self {
        Self {
            book: Mutex::new(Downloads::new(
                paths.cache_dir.join("downloads"),
                paths.downloads_dir.clone(),
            )),
            last_refusal: Mutex::new(None),
            armed: Mutex::new(Default::default()),
        }
    }

    /// The prompt of download `id` says whether its buttons are armed.
    pub fn set_armed(&self, id: u32, armed: bool) {
        let mut set = self.armed.lock().unwrap_or_else(|e| e.into_inner());
        if armed {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    fn is_armed(&self, id: u32) -> bool {
        self.armed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&id)
    }

    /// Whether a "Save" is still to be carried out.
    pub fn saves_pending(&self) -> bool {
        self.with(|b| b.saves_pending())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Downloads) -> T) -> T {
        let mut guard = match self.book.lock() {
            Ok(g) => g,
            // A panic elsewhere must not lose the downloads: the book is still consistent.
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}

pub fn init<R: Runtime>(app: &AppHandle<R>) {
    let paths = app.state::<Platform>().paths.clone();
    app.manage(DownloadBook::new(&paths));
    let handler_app = app.clone();
    windows::set_download_handler(
        app,
        Arc::new(
            move |_webview: &tauri::Webview<R>, event: DownloadEvent<'_>| {
                handler::on_event(&handler_app, event)
            },
        ),
    );
    let guard_app = app.clone();
    app.state::<Lifetime>().add_quit_guard(Arc::new(move || {
        guard_app
            .try_state::<DownloadBook>()
            .is_some_and(|b| b.saves_pending())
    }));
}
