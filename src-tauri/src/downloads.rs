//! Downloads from session windows: asked about in a small prompt window of the app's own.
//!
//! The webview's download events feed [`skyport_core::downloads::Downloads`]: a transfer starts
//! at once into a private staging folder while a prompt ("Save summary.csv?") opens over the
//! session window; the file reaches the Downloads folder only after "Save". The prompt is an
//! app page (`download-<id>`, IPC allowed by capabilities/main.json); the session page never
//! sees it and cannot answer it.
//!
//! WebKitGTK handles downloads per web context, which all Skyport windows share (WebDriver
//! automation is only allowed on the first context), and only the handler of the context's
//! first webview is asked where a file goes; a handler on a later webview only hears that it
//! finished. So on Linux the handler sits on the main window and works out from the URL which
//! session a download came from; elsewhere handlers belong to their webview and each session
//! window gets one.

use std::sync::Mutex;

use skyport_core::downloads::{Decision, Downloads, Offer, OfferState, Settled, Step};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::paths::Paths;
use tauri::webview::DownloadEvent;
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindowBuilder};
use tauri_specta::Event;

use crate::events::DownloadChanged;

/// Label prefix of the prompt windows.
pub const PROMPT_PREFIX: &str = "download-";

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

/// Which window carries the download handler (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Main,
    Session,
}

/// Give a window's builder the download handler when it is the window that carries it.
pub fn attach<'a, R: Runtime, M: Manager<R>>(
    app: &AppHandle<R>,
    builder: WebviewWindowBuilder<'a, R, M>,
    carrier: Carrier,
) -> WebviewWindowBuilder<'a, R, M> {
    let wanted = if cfg!(target_os = "linux") {
        Carrier::Main
    } else {
        Carrier::Session
    };
    if carrier != wanted {
        return builder;
    }
    let app = app.clone();
    builder.on_download(move |_webview, event| match event {
        DownloadEvent::Requested { url, destination } => requested(&app, &url, destination),
        DownloadEvent::Finished { url, path, success } => {
            finished(&app, &url, path.as_deref(), success);
            true
        }
        _ => true,
    })
}

/// A page asks to download `url`: stage it, and ask the user in a prompt window.
fn requested<R: Runtime>(
    app: &AppHandle<R>,
    url: &Url,
    destination: &mut std::path::PathBuf,
) -> bool {
    let Some(book) = app.try_state::<DownloadBook>() else {
        return false;
    };
    let suggested = destination
        .file_name()
        .map(|_| unnumbered(destination))
        .or_else(|| {
            url.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
        })
        .unwrap_or_default();
    let source = origin_text(url);
    tracing::info!("a session page started a download; asking the user");
    match book.with(|b| b.begin(url.as_str(), &suggested, source)) {
        Ok((id, staged)) => {
            *destination = staged;
            let app = app.clone();
            let url = url.clone();
            // Not from inside WebKit's signal handler: from a task, Tauri hands the window to
            // the event loop.
            tauri::async_runtime::spawn(async move { open_prompt(&app, id, &url) });
            true
        }
        Err(e) => {
            tracing::warn!("a download was refused: {e}");
            let now = std::time::Instant::now();
            let tell = book
                .last_refusal
                .lock()
                .map(|mut last| {
                    let tell = last.is_none_or(|t| now.duration_since(t).as_secs() >= 30);
                    *last = Some(now);
                    tell
                })
                .unwrap_or(true);
            if tell {
                notify(app, &e.to_string());
            }
            false
        }
    }
}

fn finished<R: Runtime>(app: &AppHandle<R>, url: &Url, path: Option<&std::path::Path>, ok: bool) {
    let Some(book) = app.try_state::<DownloadBook>() else {
        return;
    };
    tracing::info!(ok, "a download from a session page ended");
    if let Some((id, step)) = book.with(|b| b.transfer_ended(url.as_str(), path, ok)) {
        carry_out(app, id, step);
    }
}

/// The name the page suggested. wry proposes `<its download dir>/<name>` and, when that file
/// exists there, `stem (n).ext` (stem = up to the first dot); Skyport saves elsewhere and picks
/// its own free name, so the number is taken off again when the plain name is what wry saw.
fn unnumbered(proposed: &std::path::Path) -> String {
    let name = proposed
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = match name.split_once('.') {
        Some((s, e)) => (s.to_string(), format!(".{e}")),
        None => (name.clone(), String::new()),
    };
    let plain = stem
        .strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .filter(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .map(|(base, _)| format!("{base}{ext}"));
    match (plain, proposed.parent()) {
        (Some(plain), Some(dir)) if dir.join(&plain).exists() => plain,
        _ => name,
    }
}

/// Tell the prompt what changed, and do what the step asks: the file work of a delivery runs
/// on a blocking thread (never on the UI thread, never holding the book).
fn carry_out<R: Runtime>(app: &AppHandle<R>, id: u32, step: Option<Step>) {
    tell_prompt(app, id);
    match step {
        None => {}
        Some(Step::Ended(settled)) => after_end(app, id, settled),
        Some(Step::Deliver(job)) => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let result = tauri::async_runtime::spawn_blocking(move || {
                    let r = job.run();
                    (job, r)
                })
                .await;
                let Ok((job, result)) = result else {
                    return;
                };
                let Some(book) = app.try_state::<DownloadBook>() else {
                    return;
                };
                match book.with(|b| b.delivered(job.id, result)) {
                    Some(settled) => {
                        tell_prompt(&app, job.id);
                        after_end(&app, job.id, settled);
                    }
                    None => {
                        // Not saved; the file is kept and the question asked again, in the
                        // prompt (reopened if the user had closed it).
                        tell_prompt(&app, job.id);
                        if app.get_webview_window(&prompt_label(job.id)).is_none() {
                            if let Some(url) = book
                                .with(|b| b.url(job.id).map(str::to_string))
                                .and_then(|u| Url::parse(&u).ok())
                            {
                                open_prompt(&app, job.id, &url);
                            }
                        }
                    }
                }
            });
        }
    }
}

fn tell_prompt<R: Runtime>(app: &AppHandle<R>, id: u32) {
    if let Some(offer) = app
        .try_state::<DownloadBook>()
        .and_then(|b| b.with(|b| b.offer(id)))
    {
        let _ = DownloadChanged(offer).emit_to(app, prompt_label(id));
    }
}

/// A download has ended: say so once (a failure shows in its prompt, or as a notification
/// when the prompt was closed), close the prompt, and quit if this was all that kept a
/// closed Skyport running.
fn after_end<R: Runtime>(app: &AppHandle<R>, id: u32, settled: Settled) {
    let prompt_open = app.get_webview_window(&prompt_label(id)).is_some();
    match settled {
        Settled::Saved(path) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            tracing::info!("a download from a session was saved in the Downloads folder");
            notify(app, &format!("Saved {name} in your Downloads folder."));
            close_prompt(app, id);
        }
        Settled::Discarded => close_prompt(app, id),
        Settled::Failed(message) if !prompt_open => {
            notify(app, &message);
            close_prompt(app, id);
        }
        Settled::Failed(_) => {}
    }
    crate::tray::maybe_quit(app, None);
}

fn notify<R: Runtime>(app: &AppHandle<R>, text: &str) {
    use tauri_plugin_notification::NotificationExt;
    let _ = app
        .notification()
        .builder()
        .title("Download")
        .body(text)
        .show();
}

pub fn prompt_label(id: u32) -> String {
    format!("{PROMPT_PREFIX}{id}")
}

fn close_prompt<R: Runtime>(app: &AppHandle<R>, id: u32) {
    if let Some(w) = app.get_webview_window(&prompt_label(id)) {
        // destroy, not close: a close would read as "Don't save".
        let _ = w.destroy();
    }
    if let Some(book) = app.try_state::<DownloadBook>() {
        book.with(|b| b.forget(id));
    }
}

/// The URL a download is served from: a `blob:` URL's inner one, any other URL itself.
fn served_from(url: &Url) -> Option<Url> {
    if url.scheme() == "blob" {
        Url::parse(url.path()).ok()
    } else {
        Some(url.clone())
    }
}

/// The origin a download comes from, for people: `https://ws-uv.canfar.net`, or the page
/// itself for `data:` URLs.
fn origin_text(url: &Url) -> String {
    match served_from(url).map(|u| u.origin()) {
        Some(o) if o.is_tuple() => o.ascii_serialization(),
        _ => "the session page".into(),
    }
}

/// The session window a download URL belongs to: same origin, and on a shared host (CANFAR
/// serves every session from one host) the one whose path names the same session id.
fn session_window_for<R: Runtime>(
    app: &AppHandle<R>,
    url: &Url,
) -> Option<tauri::WebviewWindow<R>> {
    let target = served_from(url)?;
    let windows: Vec<_> = app
        .webview_windows()
        .into_iter()
        .filter(|(label, _)| label.starts_with("session-"))
        .filter_map(|(label, w)| {
            let page = w.url().ok()?;
            (page.origin() == target.origin()).then_some((label, w))
        })
        .collect();
    if windows.len() <= 1 {
        return windows.into_iter().next().map(|(_, w)| w);
    }
    windows
        .iter()
        .find(|(label, _)| {
            let id = label.trim_start_matches("session-");
            target
                .path_segments()
                .is_some_and(|mut s| s.any(|p| p == id))
        })
        .or_else(|| {
            windows
                .iter()
                .find(|(_, w)| w.is_focused().unwrap_or(false))
        })
        .map(|(_, w)| w.clone())
}

fn open_prompt<R: Runtime>(app: &AppHandle<R>, id: u32, url: &Url) {
    let parent = session_window_for(app, url);
    if let (Some(w), Some(book)) = (&parent, app.try_state::<DownloadBook>()) {
        // The window title is "name — kind · Skyport": the session, in the user's words.
        if let Ok(title) = w.title() {
            let who = title.trim_end_matches(" · Skyport").to_string();
            book.with(|b| b.set_source(id, who));
        }
    }
    let mut builder =
        WebviewWindowBuilder::new(app, prompt_label(id), WebviewUrl::App("index.html".into()))
            .title("Save a download? · Skyport")
            .inner_size(460.0, 220.0)
            .resizable(false)
            .minimizable(false)
            .maximizable(false)
            .always_on_top(true)
            .center();
    if let Some(w) = &parent {
        builder = match builder.parent(w) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("prompt not attached to its session window: {e}");
                return fallback_without_prompt(app, id);
            }
        };
    }
    let builder = crate::windows::app_pages_only(app, builder);
    if let Err(e) = builder.build() {
        tracing::warn!("could not open the download prompt: {e}");
        fallback_without_prompt(app, id);
    }
}

/// Without a prompt nobody can say yes: the file is not kept, and the user is told.
fn fallback_without_prompt<R: Runtime>(app: &AppHandle<R>, id: u32) {
    if let Some(book) = app.try_state::<DownloadBook>() {
        let step = book.with(|b| b.decide(id, false)).ok().flatten();
        notify(
            app,
            "Skyport could not ask where to save a download, so it was not kept. Try again, or \
             open the session in your browser.",
        );
        carry_out(app, id, step);
    }
}

/// The user closed a prompt window. Unanswered, that is "Don't save"; after "Save" the file
/// is still saved when it arrives (the notification says so).
pub fn prompt_closed<R: Runtime>(app: &AppHandle<R>, label: &str) {
    let Some(id) = label
        .strip_prefix(PROMPT_PREFIX)
        .and_then(|s| s.parse::<u32>().ok())
    else {
        return;
    };
    if let Some(book) = app.try_state::<DownloadBook>() {
        book.set_armed(id, false);
        book.with(|b| {
            if b.offer(id)
                .is_some_and(|o| o.decision == Decision::Undecided)
            {
                let _ = b.decide(id, false);
            }
            b.forget(id);
        });
    }
    crate::tray::maybe_quit(app, Some(label));
}

/// What a prompt shows (command).
pub fn offer<R: Runtime>(app: &AppHandle<R>, window: &str, id: u32) -> Result<Offer, ErrorPayload> {
    own_prompt(window, id)?;
    app.try_state::<DownloadBook>()
        .and_then(|b| b.with(|b| b.offer(id)))
        .ok_or_else(unknown)
}

/// The user's answer (command). `window`: the prompt that asks; for a download no longer
/// known it is closed, so the user is never left with a prompt that cannot be answered.
pub fn decide<R: Runtime>(
    app: &AppHandle<R>,
    window: &str,
    id: u32,
    save: bool,
) -> Result<Offer, ErrorPayload> {
    own_prompt(window, id)?;
    let book = app.try_state::<DownloadBook>().ok_or_else(unknown)?;
    // Save needs the prompt armed and in front of the user now; closing or "don't save"
    // never does.
    let focused = app
        .get_webview_window(window)
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if save && !(book.is_armed(id) && focused) {
        return Err(ErrorPayload::new(
            ErrorCode::Validation,
            "Save is not ready yet: look at the question, then press Save again.",
        ));
    }
    let step = match book.with(|b| b.decide(id, save)) {
        Ok(step) => step,
        Err(e) => {
            if window.starts_with(PROMPT_PREFIX) {
                if let Some(w) = app.get_webview_window(window) {
                    let _ = w.destroy();
                }
            }
            return Err(ErrorPayload::new(ErrorCode::NotFound, e.to_string()));
        }
    };
    let offer = book.with(|b| b.offer(id)).ok_or_else(unknown)?;
    // A state line per answer: what the user decided and where the download stands.
    tracing::info!(
        "download {id}: {} ({})",
        if save { "save" } else { "don't save" },
        state_word(&offer.state)
    );
    let failed_for_good = matches!(
        offer.state,
        OfferState::Failed {
            can_retry: false,
            ..
        }
    );
    carry_out(app, id, step);
    if failed_for_good {
        // "Close" on a failed transfer.
        close_prompt(app, id);
    }
    Ok(offer)
}

fn state_word(s: &OfferState) -> &'static str {
    match s {
        OfferState::Downloading => "downloading",
        OfferState::Ready => "downloaded",
        OfferState::Saving => "saving",
        OfferState::Saved { .. } => "saved",
        OfferState::Discarded => "discarded",
        OfferState::Failed { .. } => "failed",
    }
}

/// Only a download's own prompt window may read, arm or answer it.
fn own_prompt(window: &str, id: u32) -> Result<(), ErrorPayload> {
    if window == prompt_label(id) {
        Ok(())
    } else {
        Err(ErrorPayload::new(
            ErrorCode::PermissionDenied,
            "Only a download's own prompt can answer for it.",
        ))
    }
}

/// The prompt of download `id` (window `window`) says whether its buttons are armed.
pub fn prompt_ready<R: Runtime>(
    app: &AppHandle<R>,
    window: &str,
    id: u32,
    ready: bool,
) -> Result<(), ErrorPayload> {
    own_prompt(window, id)?;
    let book = app.try_state::<DownloadBook>().ok_or_else(unknown)?;
    book.set_armed(id, ready);
    if ready {
        tracing::info!("download prompt {id} ready for an answer");
    }
    Ok(())
}

fn unknown() -> ErrorPayload {
    ErrorPayload::new(
        ErrorCode::NotFound,
        "That download is no longer known; start it again from the session page.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mock app with a download book holding one running download; its id.
    fn app_with_download() -> (tauri::App<tauri::test::MockRuntime>, tempfile::TempDir, u32) {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
        let app = tauri::test::mock_app();
        tauri_specta::Builder::<tauri::test::MockRuntime>::new()
            .events(tauri_specta::collect_events![DownloadChanged])
            .mount_events(&app);
        let book = DownloadBook::new(&paths);
        let (id, _) = book
            .with(|b| {
                b.begin(
                    "http://127.0.0.1:9/session/notebook/abc/files/a.csv",
                    "a.csv",
                    "nb — notebook".into(),
                )
            })
            .expect("begin");
        app.manage(book);
        (app, dir, id)
    }

    // Security review #12, item 10, the backend's line: only a download's own prompt may
    // read, arm or answer it, and Save needs the prompt armed and focused.
    #[test]
    fn only_the_downloads_own_prompt_reads_arms_or_answers_it() {
        let (app, _dir, id) = app_with_download();
        let h = app.handle();
        let own = prompt_label(id);
        let other = prompt_label(id + 1);
        for window in [other.as_str(), "main", "session-abc"] {
            let denied = |r: Result<(), ErrorPayload>| {
                assert_eq!(
                    r.map_err(|e| e.code),
                    Err(ErrorCode::PermissionDenied),
                    "{window}"
                )
            };
            denied(offer(h, window, id).map(|_| ()));
            denied(prompt_ready(h, window, id, true));
            denied(decide(h, window, id, false).map(|_| ()));
        }
        assert!(offer(h, &own, id).is_ok());
        // Not armed: Save is refused and nothing is decided.
        let e = decide(h, &own, id, true).expect_err("save before ready");
        assert_eq!(e.code, ErrorCode::Validation);
        let still = offer(h, &own, id).expect("offer");
        assert_eq!(still.decision, Decision::Undecided);
        // Armed, but the prompt window does not have focus (here it does not even exist):
        // still refused.
        prompt_ready(h, &own, id, true).expect("arm");
        let e = decide(h, &own, id, true).expect_err("save without focus");
        assert_eq!(e.code, ErrorCode::Validation);
        // "Don't save" needs neither.
        prompt_ready(h, &own, id, false).expect("disarm");
        let o = decide(h, &own, id, false).expect("discard");
        assert_eq!(o.decision, Decision::Discard);
    }

    #[test]
    fn origins_for_people() {
        let u = |s: &str| Url::parse(s).expect("url");
        assert_eq!(
            origin_text(&u(
                "https://ws-uv.canfar.net/session/notebook/abc/files/a.csv"
            )),
            "https://ws-uv.canfar.net"
        );
        assert_eq!(
            origin_text(&u("blob:http://127.0.0.1:4567/0f9e-77")),
            "http://127.0.0.1:4567"
        );
        assert_eq!(origin_text(&u("data:text/plain,hello")), "the session page");
    }

    #[test]
    fn wry_numbering_is_taken_off() {
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        std::fs::write(d.join("summary.csv"), b"").expect("w");
        std::fs::write(d.join("cube.tar.gz"), b"").expect("w");
        assert_eq!(unnumbered(&d.join("summary (2).csv")), "summary.csv");
        assert_eq!(unnumbered(&d.join("cube (1).tar.gz")), "cube.tar.gz");
        // A name that really has a number, or whose plain name is not there, stays.
        assert_eq!(unnumbered(&d.join("run (3).log")), "run (3).log");
        assert_eq!(unnumbered(&d.join("notes.txt")), "notes.txt");
        assert_eq!(unnumbered(&d.join("summary (x).csv")), "summary (x).csv");
    }
}
