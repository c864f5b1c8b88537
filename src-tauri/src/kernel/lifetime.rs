//! How long Skyport lives: closing the main window, and when the app quits.
//!
//! Closing the main window hides it to the tray when the setting says so and a tray is
//! shown. Otherwise Skyport lives as long as one of its windows: while session windows (or
//! download prompts) are open the main window is only minimized, so it can be brought back
//! from the taskbar (on Linux it also carries the download handler), and closing the last
//! window quits — unless a feature still has work that must finish (a "Save" to carry out).
//!
//! A main window hidden in the tray for a minute (at once for a start in the tray) lets its
//! page rest: WebKit's page process ends, and the page loads again when the window is shown.
//! Weeks in the tray then cost no page process, its memory or its housekeeping.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event;

use super::bus::{Bus, Signal};
use super::events::MainWindowClosed;
use super::settings::SettingsStore;
use super::windows::{MAIN, PROMPT_PREFIX, SESSION_PREFIX};

/// Asks whether a feature still has work that must not be cut short by quitting.
pub type QuitGuard = Arc<dyn Fn() -> bool + Send + Sync>;

/// Managed state.
#[derive(Default)]
pub struct Lifetime {
    /// Set when the user closed the main window of a Skyport without a tray while other
    /// windows stayed open; cleared when the user clicks or types in the main window again
    /// (focus alone says nothing: it also arrives when a window above closes).
    main_closed: AtomicBool,
    /// Whether a tray icon is shown (set by the tray feature).
    tray_shown: AtomicBool,
    /// The main window is hidden in the tray (closed there, or started with `--hidden`).
    main_hidden: AtomicBool,
    /// Counts the times the main window was hidden or shown: a rest planned for one stay in
    /// the tray does not end the page of the next.
    hidings: AtomicU64,
    /// The main window's page rests (its web process ended) until the window is shown.
    page_resting: AtomicBool,
    guards: Mutex<Vec<QuitGuard>>,
}

/// What closing the main window does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Hide it; Skyport stays in the tray.
    Hide,
    /// Minimize it; Skyport stays while its other windows are open.
    Minimize,
    /// Let it close: Skyport quits.
    Close,
}

/// The rule, on its own.
pub fn close_action(keep_in_tray: bool, tray_shown: bool, other_windows: usize) -> CloseAction {
    if keep_in_tray && tray_shown {
        CloseAction::Hide
    } else if other_windows > 0 {
        CloseAction::Minimize
    } else {
        CloseAction::Close
    }
}

/// When this run began (set first thing in `run`), for the start-up figures.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
static LIST_PAINTED: AtomicBool = AtomicBool::new(false);

/// Note the start of this run.
pub fn mark_start() {
    STARTED.get_or_init(std::time::Instant::now);
}

/// The page's steps to its first session list, each on its own clock (ms since its
/// navigation began): where the start-up time inside the page goes.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PageTimes {
    /// The script bundle loaded and running.
    pub script_ms: Option<u32>,
    /// The platform setting read (the first view can mount).
    pub status_ms: Option<u32>,
    /// The first session list (with its time) in the page.
    pub list_ms: Option<u32>,
    /// The list painted.
    pub painted_ms: u32,
}

/// The UI painted the session list: the first time in this run it is logged with the time
/// since start (what `make bench` reads as start-up time, and what tests wait for).
/// `page_ms` is the page's own clock (since its navigation began): the rest of the time is
/// the process, Tauri and WebKit starting.
pub fn list_painted(sessions: u32, page: PageTimes) {
    if LIST_PAINTED.swap(true, Ordering::SeqCst) {
        // A rested page loaded again (not a start-up figure).
        tracing::info!(
            sessions,
            page_ms = page.painted_ms,
            "session list painted again"
        );
        return;
    }
    let since_start_ms = STARTED.get().map(|t| t.elapsed().as_millis()).unwrap_or(0);
    tracing::info!(
        sessions,
        since_start_ms,
        page_ms = page.painted_ms,
        script_ms = page.script_ms,
        status_ms = page.status_ms,
        list_ms = page.list_ms,
        "session list painted"
    );
    // Start-up is over: what it allocated and freed goes back to the system.
    skyport_core::memory::give_back_freed();
}

/// The command-line flag of a start at login: no window, only the tray (written into the
/// autostart entry by core).
pub const HIDDEN: &str = skyport_core::autostart::HIDDEN_FLAG;

/// Whether this launch asked to start in the tray.
pub fn started_hidden() -> bool {
    std::env::args_os().skip(1).any(|a| a == HIDDEN)
}

impl Lifetime {
    pub fn set_tray_shown(&self, shown: bool) {
        self.tray_shown.store(shown, Ordering::SeqCst);
    }

    pub fn tray_shown(&self) -> bool {
        self.tray_shown.load(Ordering::SeqCst)
    }

    /// Nobody can see the main window: news that changes nothing shown can wait.
    pub fn main_hidden(&self) -> bool {
        self.main_hidden.load(Ordering::SeqCst)
    }

    pub fn set_main_hidden(&self, hidden: bool) {
        self.main_hidden.store(hidden, Ordering::SeqCst);
    }

    /// Register a feature's "work still running" question.
    pub fn add_quit_guard(&self, guard: QuitGuard) {
        self.guards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(guard);
    }

    fn work_pending(&self) -> bool {
        let guards = self
            .guards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        guards.iter().any(|g| g())
    }

    /// The user clicked or typed in the main window: it is in use again.
    pub fn main_in_use(&self) {
        if self.main_closed.swap(false, Ordering::SeqCst) {
            tracing::info!("main window in use again");
        }
    }

    fn stays_in_tray(&self, settings: &SettingsStore) -> bool {
        self.tray_shown.load(Ordering::SeqCst) && settings.get().keep_in_tray
    }
}

/// Session windows and download prompts open now, other than `except`.
fn other_windows<R: Runtime>(app: &AppHandle<R>, except: Option<&str>) -> usize {
    app.webview_windows()
        .keys()
        .filter(|l| {
            (l.starts_with(SESSION_PREFIX) || l.starts_with(PROMPT_PREFIX))
                && Some(l.as_str()) != except
        })
        .count()
}

/// What closing the main window would do now (the settings as they are now).
pub fn on_main_close<R: Runtime>(app: &AppHandle<R>) -> CloseAction {
    let (Some(life), Some(settings)) = (
        app.try_state::<Lifetime>(),
        app.try_state::<SettingsStore>(),
    ) else {
        return CloseAction::Close;
    };
    close_action(
        settings.get().keep_in_tray,
        life.tray_shown.load(Ordering::SeqCst),
        other_windows(app, None),
    )
}

/// A window asks to close: for the main window, apply the rule.
pub fn on_close_requested<R: Runtime>(window: &tauri::Window<R>, api: &tauri::CloseRequestApi) {
    if window.label() != MAIN {
        return;
    }
    let app = window.app_handle();
    match on_main_close(app) {
        CloseAction::Hide => {
            api.prevent_close();
            let _ = window.hide();
            if let Some(life) = app.try_state::<Lifetime>() {
                life.set_main_hidden(true);
            }
            drop(rest_when_hidden(app, REST_AFTER)); // it runs on; nobody waits for it
            tracing::info!("main window closed; Skyport stays in the tray");
        }
        CloseAction::Minimize => {
            api.prevent_close();
            let _ = window.minimize();
            if let Some(life) = app.try_state::<Lifetime>() {
                life.main_closed.store(true, Ordering::SeqCst);
            }
            // Before the log line: the UI hears it ahead of any click that follows.
            let _ = MainWindowClosed.emit_to(app, MAIN);
            tracing::info!("main window closed; Skyport stays while other windows are open");
        }
        CloseAction::Close => {}
    }
}

/// A window other than the main one has gone (`gone`), or some work ended: when the user
/// had closed the main window of a Skyport without a tray and nothing else is left — no
/// session window, no prompt, no work a feature must finish — quit.
pub fn maybe_quit<R: Runtime>(app: &AppHandle<R>, gone: Option<&str>) {
    let (Some(life), Some(settings)) = (
        app.try_state::<Lifetime>(),
        app.try_state::<SettingsStore>(),
    ) else {
        return;
    };
    if !life.main_closed.load(Ordering::SeqCst)
        || life.stays_in_tray(&settings)
        || other_windows(app, gone) > 0
        || life.work_pending()
    {
        return;
    }
    app.exit(0);
}

/// How long the main window stays ready in the tray before its page rests: closing it and
/// opening it again soon after finds the page as it was; after a minute it is loaded again
/// (a third of a second) and the tray costs no page in the meantime.
pub const REST_AFTER: Duration = Duration::from_secs(60);

/// The main window was hidden in the tray: its page rests after `after` if it is still
/// hidden then (a start in the tray: at once). The handle ends when that was decided.
pub fn rest_when_hidden<R: Runtime>(
    app: &AppHandle<R>,
    after: Duration,
) -> tauri::async_runtime::JoinHandle<()> {
    let this = app
        .try_state::<Lifetime>()
        .map(|life| life.hidings.fetch_add(1, Ordering::SeqCst) + 1);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(this) = this else {
            return;
        };
        tokio::time::sleep(after).await;
        let life = app.state::<Lifetime>();
        if life.hidings.load(Ordering::SeqCst) != this || !life.main_hidden() {
            return;
        }
        let Some(window) = app.get_webview_window(MAIN) else {
            return;
        };
        if !life.page_resting.swap(true, Ordering::SeqCst) {
            if super::windows::rest_page(&window) {
                tracing::info!(
                    "the main window's page rests while Skyport is in the tray; it loads again when shown"
                );
            } else {
                life.page_resting.store(false, Ordering::SeqCst);
            }
        }
    })
}

/// Bring the main window back and to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    let life = app.try_state::<Lifetime>();
    if let Some(life) = &life {
        // No rest planned before this showing may end the page now.
        life.hidings.fetch_add(1, Ordering::SeqCst);
    }
    if let Some(w) = app.get_webview_window(MAIN) {
        if life
            .as_ref()
            .is_some_and(|l| l.page_resting.swap(false, Ordering::SeqCst))
        {
            super::windows::wake_page(&w);
            tracing::info!("the main window's page loads again");
        }
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
    let was_hidden = life.is_some_and(|life| life.main_hidden.swap(false, Ordering::SeqCst));
    if was_hidden {
        if let Some(bus) = app.try_state::<Bus>() {
            bus.send(Signal::MainShown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_the_main_window() {
        assert_eq!(close_action(true, true, 0), CloseAction::Hide);
        assert_eq!(close_action(true, true, 2), CloseAction::Hide);
        // No tray shown: never hidden where nobody can find it.
        assert_eq!(close_action(true, false, 1), CloseAction::Minimize);
        assert_eq!(close_action(true, false, 0), CloseAction::Close);
        assert_eq!(close_action(false, true, 1), CloseAction::Minimize);
        assert_eq!(close_action(false, true, 0), CloseAction::Close);
    }

    /// Settings item 2: "close to tray" applies from the moment it is saved.
    #[test]
    fn closing_follows_the_setting_at_once() {
        use crate::kernel::Settings;
        use tauri::{WebviewUrl, WebviewWindowBuilder};
        let m = crate::testing::app_at("http://127.0.0.1:9/skaha");
        let app = m.app.handle();
        app.state::<Lifetime>().set_tray_shown(true);
        assert_eq!(on_main_close(app), CloseAction::Hide);
        let store = app.state::<SettingsStore>();
        store
            .save(Settings {
                keep_in_tray: false,
                ..store.get()
            })
            .expect("save");
        assert_eq!(on_main_close(app), CloseAction::Close);
        // A session window open: the main window is only minimized.
        let page = "http://127.0.0.1:9/session/notebook/abcd1234/"
            .parse()
            .expect("url");
        WebviewWindowBuilder::new(app, "session-abcd1234", WebviewUrl::External(page))
            .build()
            .expect("session window");
        assert_eq!(on_main_close(app), CloseAction::Minimize);
        // No tray shown: never hidden, whatever the setting says.
        store
            .save(Settings {
                keep_in_tray: true,
                ..store.get()
            })
            .expect("save");
        app.state::<Lifetime>().set_tray_shown(false);
        assert_eq!(on_main_close(app), CloseAction::Minimize);
    }

    /// The page rests only if the window is still hidden when the rest comes due: showing
    /// it (and hiding it again) cancels a rest planned before.
    #[test]
    fn a_rest_planned_for_one_stay_in_the_tray_does_not_end_the_next() {
        use tauri::{WebviewUrl, WebviewWindowBuilder};
        let m = crate::testing::app_at("http://127.0.0.1:9/skaha");
        let app = m.app.handle();
        WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
            .build()
            .expect("main window");
        let life = app.state::<Lifetime>();
        let resting = || life.page_resting.load(Ordering::SeqCst);

        life.set_main_hidden(true);
        let _ = tauri::async_runtime::block_on(rest_when_hidden(app, Duration::ZERO));
        assert!(resting(), "hidden when due: the page rests");
        show_main(app);
        assert!(!resting() && !life.main_hidden(), "shown: loaded again");

        life.set_main_hidden(true);
        let planned = rest_when_hidden(app, Duration::from_millis(20));
        show_main(app);
        life.set_main_hidden(true);
        let _ = tauri::async_runtime::block_on(planned);
        assert!(!resting(), "shown in between: that rest is off");
    }

    #[test]
    fn a_guard_holds_the_app() {
        let life = Lifetime::default();
        assert!(!life.work_pending());
        let busy = Arc::new(AtomicBool::new(true));
        let b = busy.clone();
        life.add_quit_guard(Arc::new(move || b.load(Ordering::SeqCst)));
        assert!(life.work_pending());
        busy.store(false, Ordering::SeqCst);
        assert!(!life.work_pending());
    }
}
