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
use super::events::{MainWindowClosed, Navigate, SessionNotified};
use super::settings::SettingsStore;
use super::windows::{MAIN, PROMPT_PREFIX, SESSION_PREFIX};
use skyport_core::sessions::SessionNotice;

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
    /// What the resting page missed.
    missed: Mutex<Missed>,
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

/// A start in the tray: the list is first painted when the user opens the window, perhaps
/// hours later, which is no start-up figure.
pub fn no_start_figure() {
    LIST_PAINTED.store(true, Ordering::SeqCst);
}

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
            hidden_in_tray(app, REST_AFTER);
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

/// The main window is hidden in the tray now (closed there, or a start in the tray): news
/// that changes nothing shown can wait, and its page rests after `rest_after`.
pub fn hidden_in_tray<R: Runtime>(app: &AppHandle<R>, rest_after: Duration) {
    if let Some(life) = app.try_state::<Lifetime>() {
        life.set_main_hidden(true);
    }
    // It runs on; nobody waits for it.
    drop(rest_when_hidden(app, rest_after));
}

/// The page rests after `after` if the window is still hidden then. The handle ends when
/// that was asked of the main thread.
fn rest_when_hidden<R: Runtime>(
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
        let handle = app.clone();
        // Decided and done on the main thread, where showing the window runs too: a page
        // never ends under a window being shown.
        let _ = app.run_on_main_thread(move || rest_if_still_hidden(&handle, this));
    })
}

/// On the main thread: let the page rest if stay `this` in the tray still lasts.
fn rest_if_still_hidden<R: Runtime>(app: &AppHandle<R>, this: u64) {
    let life = app.state::<Lifetime>();
    if life.hidings.load(Ordering::SeqCst) != this || !life.main_hidden() || life.page_resting() {
        return;
    }
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    if super::windows::rest_page(&window) {
        life.page_resting.store(true, Ordering::SeqCst);
        tracing::info!(
            "the main window's page rests while Skyport is in the tray; it loads again when shown"
        );
    }
}

/// What the main page missed while it rested: handed over when it loads again.
#[derive(Debug, Clone, Default, serde::Serialize, specta::Type)]
pub struct Missed {
    /// The view it was asked to show (the tray's "Sign in…").
    pub view: Option<String>,
    /// Session notices, oldest first (at most [`MISSED_NOTICES`]).
    pub notices: Vec<SessionNotice>,
}

/// The most notices kept for a resting page (the newest).
pub const MISSED_NOTICES: usize = 50;

impl Lifetime {
    /// The main window's page rests (see [`rest_when_hidden`]).
    pub fn page_resting(&self) -> bool {
        self.page_resting.load(Ordering::SeqCst)
    }

    /// What the page missed, once.
    pub fn take_missed(&self) -> Missed {
        std::mem::take(&mut *self.missed.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Tell the main page of a session notice; a resting page finds it when it loads again.
pub fn tell_notice<R: Runtime>(app: &AppHandle<R>, notice: &SessionNotice) {
    if let Some(life) = app.try_state::<Lifetime>() {
        // Under the lock: a page that wakes takes the notices after this one is in.
        let mut missed = life.missed.lock().unwrap_or_else(|e| e.into_inner());
        if life.page_resting() {
            missed.notices.push(notice.clone());
            let over = missed.notices.len().saturating_sub(MISSED_NOTICES);
            missed.notices.drain(..over);
            return;
        }
    }
    let _ = SessionNotified(notice.clone()).emit(app);
}

/// Bring the main window back and to the front.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    show_main_at(app, None);
}

/// Bring the main window back showing `view` (a view's name, as the UI knows them).
pub fn show_main_at<R: Runtime>(app: &AppHandle<R>, view: Option<&str>) {
    let handle = app.clone();
    let view = view.map(str::to_string);
    // On the main thread, where a rest is decided (see `rest_if_still_hidden`).
    let _ = app.run_on_main_thread(move || show_main_now(&handle, view));
}

fn show_main_now<R: Runtime>(app: &AppHandle<R>, view: Option<String>) {
    let life = app.try_state::<Lifetime>();
    if let Some(life) = &life {
        // No rest planned before this showing may end the page now.
        life.hidings.fetch_add(1, Ordering::SeqCst);
    }
    let mut woke = false;
    if let Some(w) = app.get_webview_window(MAIN) {
        if let Some(life) = life.as_ref().filter(|l| l.page_resting()) {
            let mut missed = life.missed.lock().unwrap_or_else(|e| e.into_inner());
            if view.is_some() {
                missed.view = view.clone();
            }
            life.page_resting.store(false, Ordering::SeqCst);
            drop(missed);
            super::windows::wake_page(&w);
            woke = true;
            tracing::info!("the main window's page loads again");
        }
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
    if let (Some(view), false) = (view, woke) {
        let _ = Navigate { view }.emit(app);
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

    /// A mock app with its main window (hidden, as in the tray).
    fn with_main() -> crate::testing::MockApp {
        use tauri::{WebviewUrl, WebviewWindowBuilder};
        let m = crate::testing::app_at("http://127.0.0.1:9/skaha");
        WebviewWindowBuilder::new(m.app.handle(), MAIN, WebviewUrl::App("index.html".into()))
            .visible(false)
            .build()
            .expect("main window");
        m.app.state::<Lifetime>().set_main_hidden(true);
        m
    }

    /// The page rests only if the window is still hidden when the rest comes due: showing
    /// it (and hiding it again) cancels a rest planned before. (Pages rest on Linux only.)
    #[cfg(target_os = "linux")]
    #[test]
    fn a_rest_planned_for_one_stay_in_the_tray_does_not_end_the_next() {
        let m = with_main();
        let app = m.app.handle();
        let life = app.state::<Lifetime>();

        let _ = tauri::async_runtime::block_on(rest_when_hidden(app, Duration::ZERO));
        assert!(life.page_resting(), "hidden when due: the page rests");
        show_main(app);
        assert!(
            !life.page_resting() && !life.main_hidden(),
            "shown: loaded again"
        );

        // A rest planned, then the window shown and hidden again before it comes due.
        life.set_main_hidden(true);
        let planned = life.hidings.fetch_add(1, Ordering::SeqCst) + 1;
        show_main(app);
        life.set_main_hidden(true);
        rest_if_still_hidden(app, planned);
        assert!(!life.page_resting(), "shown in between: that rest is off");
        rest_if_still_hidden(app, life.hidings.load(Ordering::SeqCst));
        assert!(life.page_resting(), "the stay in the tray now: it rests");
    }

    /// A resting page misses nothing: the notices and the view asked for wait for it, and
    /// are handed over once; a live page hears them at once.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_resting_page_finds_what_it_missed() {
        use skyport_core::sessions::SessionNotice;
        let m = with_main();
        let app = m.app.handle();
        let life = app.state::<Lifetime>();
        let heard = crate::testing::Heard::on(app, &["session-notified", "navigate"]);
        let notice = |name: &str| SessionNotice::Completed {
            id: skyport_core::skaha::SessionId("abcd1234".into()),
            name: name.into(),
        };
        let name = |n: &SessionNotice| match n {
            SessionNotice::Completed { name, .. } => name.clone(),
            _ => String::new(),
        };

        let _ = tauri::async_runtime::block_on(rest_when_hidden(app, Duration::ZERO));
        assert!(life.page_resting());
        for i in 0..MISSED_NOTICES + 2 {
            tell_notice(app, &notice(&format!("s{i}")));
        }
        show_main_at(app, Some("credentials"));
        assert_eq!(heard.len(), 0, "{:?}", heard.names());
        let missed = life.take_missed();
        assert_eq!(missed.view.as_deref(), Some("credentials"));
        assert_eq!(missed.notices.len(), MISSED_NOTICES, "the newest kept");
        assert_eq!(name(&missed.notices[0]), "s2");
        assert!(life.take_missed().notices.is_empty(), "handed over once");

        tell_notice(app, &notice("live"));
        show_main_at(app, Some("storage"));
        assert_eq!(heard.names(), ["session-notified", "navigate"]);
        assert!(life.take_missed().view.is_none());
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
