//! The download handler: a page asks to download something, or a transfer ended.

use tauri::webview::DownloadEvent;
use tauri::{AppHandle, Manager, Runtime, Url};

use super::{prompt, DownloadBook};

/// What the kernel's download hook calls for every download event.
pub(super) fn on_event<R: Runtime>(app: &AppHandle<R>, event: DownloadEvent<'_>) -> bool {
    match event {
        DownloadEvent::Requested { url, destination } => requested(app, &url, destination),
        DownloadEvent::Finished { url, path, success } => {
            finished(app, &url, path.as_deref(), success);
            true
        }
        _ => true,
    }
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
            tauri::async_runtime::spawn(async move { prompt::open_prompt(&app, id, &url) });
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
                prompt::notify(app, &e.to_string());
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
        prompt::carry_out(app, id, step);
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

/// The URL a download is served from: a `blob:` URL's inner one, any other URL itself.
pub(super) fn served_from(url: &Url) -> Option<Url> {
    if url.scheme() == "blob" {
        Url::parse(url.path()).ok()
    } else {
        Some(url.clone())
    }
}

/// The origin a download comes from, for people: `https://ws-uv.canfar.net`, or the page
/// itself for `data:` URLs.
pub(super) fn origin_text(url: &Url) -> String {
    match served_from(url).map(|u| u.origin()) {
        Some(o) if o.is_tuple() => o.ascii_serialization(),
        _ => "the session page".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
