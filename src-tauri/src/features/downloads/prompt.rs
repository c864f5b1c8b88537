//! The prompt: "Save this download?", in a small window of the app's own over the session
//! window, and what follows the user's answer.

use skyport_core::downloads::{Decision, Offer, OfferState, Settled, Step};
use skyport_core::error::{ErrorCode, ErrorPayload};
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindowBuilder};
use tauri_specta::Event;

use super::handler::served_from;
use super::DownloadBook;
use crate::kernel::events::DownloadChanged;
use crate::kernel::windows::{self, prompt_label, PROMPT_PREFIX, SESSION_PREFIX};
use crate::kernel::{lifetime, notify};

/// Tell the prompt what changed, and do what the step asks: the file work of a delivery runs
/// on a blocking thread (never on the UI thread, never holding the book).
pub(super) fn carry_out<R: Runtime>(app: &AppHandle<R>, id: u32, step: Option<Step>) {
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
    lifetime::maybe_quit(app, None);
}

pub(super) fn notify<R: Runtime>(app: &AppHandle<R>, text: &str) {
    notify::show(app, "Download", text);
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
        .filter(|(label, _)| label.starts_with(SESSION_PREFIX))
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
            let id = windows::session_of(label).unwrap_or_default();
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

pub(super) fn open_prompt<R: Runtime>(app: &AppHandle<R>, id: u32, url: &Url) {
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
    let builder = windows::app_pages_only(app, builder);
    match builder.build() {
        Ok(window) => {
            windows::draw_app_page(&window);
            // Closed by the user: see prompt_closed.
            let (app, label) = (app.clone(), prompt_label(id));
            window.on_window_event(move |event| {
                if matches!(event, tauri::WindowEvent::CloseRequested { .. }) {
                    prompt_closed(&app, &label);
                }
            });
        }
        Err(e) => {
            tracing::warn!("could not open the download prompt: {e}");
            fallback_without_prompt(app, id);
        }
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
fn prompt_closed<R: Runtime>(app: &AppHandle<R>, label: &str) {
    let Some(id) = windows::prompt_of(label) else {
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
    lifetime::maybe_quit(app, Some(label));
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
    use skyport_core::paths::Paths;

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
}
