//! The one way out of Skyport to other programs: web pages to the system browser.
//!
//! Every link the app hands to the system opener passes [`skyport_core::links`] first:
//! links from session pages (untrusted), from the app's own pages, and connect URLs. A
//! session page that tries anything else (`ssh:`, `smb:`, `vscode:`, `apt:` …) gets
//! nothing, and the user gets one notice, not one per attempt.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::links::{check_web_link, LinkRefused};
use tauri::{AppHandle, Runtime, Url};
use tauri_plugin_opener::OpenerExt;

/// A page that keeps trying gets one notice in this long.
const NOTICE_EVERY: Duration = Duration::from_secs(30);
/// At most this many web pages a window's page may open in the browser within
/// [`OPENS_WINDOW`] (a page can navigate without a user gesture; tabs must not pile up).
const MAX_OPENS: usize = 3;
const OPENS_WINDOW: Duration = Duration::from_secs(10);

/// Open a web page in the system browser; anything else is refused.
pub fn open<R: Runtime>(app: &AppHandle<R>, url: &Url) -> Result<(), ErrorPayload> {
    check_web_link(url).map_err(|e| ErrorPayload::from_coded(&e))?;
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| {
            ErrorPayload::new(
                ErrorCode::Io,
                format!("Could not start the web browser: {e}. Is a default browser set?"),
            )
        })
}

/// For a link a page followed (nobody to hand an error back to): a refused one is logged
/// by its kind only and told to the user once per window in [`NOTICE_EVERY`].
pub fn open_from_page<R: Runtime>(app: &AppHandle<R>, url: &Url, window: &str, from: &str) {
    match check_web_link(url) {
        Ok(()) if !may_open_another(window, Instant::now()) => {
            tracing::warn!(
                window,
                "a page opened more than {MAX_OPENS} web pages in {} s; not opening more",
                OPENS_WINDOW.as_secs()
            );
        }
        Ok(()) => {
            if let Err(e) = open(app, url) {
                tracing::warn!("{}", e.message);
            }
        }
        Err(refused) => {
            tracing::warn!(window, "{refused}");
            if first_notice(window, Instant::now()) {
                notify_refused(app, from, &refused);
            }
        }
    }
}

/// Whether `window`'s page may open one more web page now (and counts it if so).
fn may_open_another(window: &str, now: Instant) -> bool {
    static OPENED: Mutex<BTreeMap<String, Vec<Instant>>> = Mutex::new(BTreeMap::new());
    let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    opened.retain(|_, times| {
        times.retain(|t| now.saturating_duration_since(*t) < OPENS_WINDOW);
        !times.is_empty()
    });
    let times = opened.entry(window.to_string()).or_default();
    if times.len() >= MAX_OPENS {
        return false;
    }
    times.push(now);
    true
}

fn first_notice(window: &str, now: Instant) -> bool {
    static LAST: Mutex<BTreeMap<String, Instant>> = Mutex::new(BTreeMap::new());
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    // Only windows told within the interval matter: the map stays as small as that.
    last.retain(|_, at| now.saturating_duration_since(*at) < NOTICE_EVERY);
    match last.get(window) {
        Some(at) if now.duration_since(*at) < NOTICE_EVERY => false,
        _ => {
            last.insert(window.to_string(), now);
            true
        }
    }
}

fn notify_refused<R: Runtime>(app: &AppHandle<R>, from: &str, refused: &LinkRefused) {
    let what = match refused {
        LinkRefused::Scheme { scheme } => format!("a “{scheme}:” link"),
        LinkRefused::Malformed => "a link that is not a web page".to_string(),
    };
    super::notify::show(
        app,
        "Link not opened",
        &format!("{from} tried to open {what}. Skyport opens only web pages (http and https)."),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_opens_a_few_web_pages_at_most_in_a_while() {
        let t0 = Instant::now();
        for _ in 0..MAX_OPENS {
            assert!(may_open_another("session-o1", t0));
        }
        assert!(!may_open_another("session-o1", t0 + Duration::from_secs(1)));
        assert!(may_open_another("session-o2", t0 + Duration::from_secs(1)));
        assert!(may_open_another("session-o1", t0 + OPENS_WINDOW));
    }

    #[test]
    fn one_notice_per_window_in_a_while() {
        let t0 = Instant::now();
        assert!(first_notice("session-a1", t0));
        assert!(!first_notice("session-a1", t0 + Duration::from_secs(1)));
        assert!(first_notice("session-b2", t0 + Duration::from_secs(1)));
        assert!(first_notice("session-a1", t0 + NOTICE_EVERY));
    }
}
