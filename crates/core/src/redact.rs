//! Redaction of session ids and URL secrets from text that leaves the process (log lines).
//!
//! On Skaha a session id is the key to the session: its connect URL
//! (`https://host/session/notebook/<id>/lab/tree?token=<id>`) opens it without any other
//! credential. So ids and everything after them in such a path must never reach a log, and
//! neither may query strings, fragments or user info of any URL (tokens, codes, passwords).
//! Errors from HTTP libraries quote whole URLs, so this runs on every formatted log line
//! rather than at each call site.
//!
//! An id is only recognised by its context: `/session/…` paths, `id=`/`session=` fields,
//! `"id": "…"` values, `SessionId("…")`, and `session <id>`/`session-<id>` in prose. Skaha
//! ids (8 characters, a letter then letters and digits) are also ordinary-looking words,
//! so bare 8-letter words elsewhere are left alone.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// What a redacted id or path becomes.
pub const ID: &str = "[id]";
/// What a redacted query, fragment or user info becomes.
pub const HIDDEN: &str = "[redacted]";

/// Characters that end a URL or path in running text.
const END: &str = r#"\s"'<>`"#;
/// ANSI colour codes, which the stderr formatter puts around field names and `=`.
const ANSI: &str = r"(?:\x1b\[[0-9;]*m)*";

/// Session kinds as they appear in connect URLs (`/session/<kind>/<id>/`).
const KINDS: &[&str] = &[
    "notebook",
    "desktop",
    "carta",
    "contrib",
    "contributed",
    "firefly",
    "headless",
    "desktop-app",
];

/// Words that look like ids after "session " but are not (kinds, states, verbs).
const NOT_IDS: &[&str] = &[
    "notebook", "headless", "finished", "launched", "starting", "stopping", "deleting", "renewing",
    "expiring", "requests", "required", "response", "creation", "deletion",
];

fn re(pattern: &str) -> Regex {
    // The patterns are constants, compiled by every test that redacts.
    Regex::new(pattern).expect("redaction pattern")
}

/// `scheme://rest-of-url`.
static URL: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"(?i)\b[a-z][a-z0-9+.-]*://[^{END}]+")));
/// `session/<rest>` at the start of a path segment.
static SESSION_PATH: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"(?i)(^|[^a-z0-9_-])session/([^{END}]+)")));
/// `id=<value>`, `session=<value>`, `session_id=<value>` (tracing fields), and
/// `token=`/`password=` (Jupyter and noVNC take the session id as those, also in paths
/// that are not whole URLs).
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?i)(^|[^a-z0-9_]|\x1b\[[0-9;]*m)((?:[a-z0-9_]*_)?(?:token|password|secret)|(?:session[_-]?)?id|session)({ANSI}={ANSI})(\[(?:id|redacted)\]|"(?:[^"\\]|\\.)*"|[^\s,;&)}}\]"'\x1b]+)"#
    ))
});
/// The relay's per-window secret in its entry path (`/__skyport/<64 hex digits>`), as a
/// webview's navigation lines may quote it.
static RELAY_SECRET: LazyLock<Regex> = LazyLock::new(|| re(r"(/__skyport/)[0-9A-Fa-f]{16,}"));
/// The query of a sign-in redirect quoted as a bare path (`/callback?code=…&state=…`).
static CALLBACK: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(/callback)\?[^{END}]+")));
/// `id: "<value>"` (Debug) and `"id":"<value>"` (JSON).
static QUOTED_FIELD: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)(^|[^a-z0-9_])("?(?:session[_-]?)?id"?\s*:\s*)"(?:[^"\\]|\\.)*""#));
/// `SessionId("<value>")` (Debug of the id type).
static DEBUG_ID: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bSessionId\(\s*"(?:[^"\\]|\\.)*"\s*\)"#));
/// `session <id>`, `session-<id>` (window labels), `session: <id>`, `session '<id>'`.
static PROSE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b((?i:session)(?:\s|-|:\s?|#)["'`]?)([a-z][a-z0-9]{7})\b"#));

/// `text` with session ids, session paths and URL secrets replaced (borrowed when there
/// was nothing to hide).
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    apply(&mut out, &URL, |c| redact_url(&c[0]));
    apply(&mut out, &RELAY_SECRET, |c| format!("{}{HIDDEN}", &c[1]));
    apply(&mut out, &CALLBACK, |c| format!("{}?{HIDDEN}", &c[1]));
    apply(&mut out, &SESSION_PATH, |c| {
        format!("{}session/{}", &c[1], redact_session_path(&c[2]))
    });
    apply(&mut out, &FIELD, |c| {
        let key = c[2].to_ascii_lowercase();
        let hidden = if key.ends_with("id") || key == "session" {
            ID
        } else {
            HIDDEN
        };
        format!("{}{}{}{hidden}", &c[1], &c[2], &c[3])
    });
    apply(&mut out, &QUOTED_FIELD, |c| {
        format!("{}{}\"{ID}\"", &c[1], &c[2])
    });
    apply(&mut out, &DEBUG_ID, |_| format!("SessionId(\"{ID}\")"));
    apply(&mut out, &PROSE, |c| {
        if NOT_IDS.contains(&&c[2]) {
            c[0].to_string()
        } else {
            format!("{}{ID}", &c[1])
        }
    });
    out
}

/// Replaces every match of `re` in `text`, allocating only when something matched.
fn apply(text: &mut Cow<'_, str>, re: &Regex, f: impl Fn(&Captures<'_>) -> String) {
    if let Cow::Owned(changed) = re.replace_all(text, |c: &Captures<'_>| f(c)) {
        *text = Cow::Owned(changed);
    }
}

/// Splits off punctuation that belongs to the sentence around a URL or path, not to it:
/// `(see https://h/x).` ends the URL before `).`. A closing bracket stays when the URL
/// opened it (`?[redacted]`, `/wiki/A_(b)`).
fn split_trailing(s: &str) -> (&str, &str) {
    const PAIRS: [(u8, u8); 3] = [(b'(', b')'), (b'[', b']'), (b'{', b'}')];
    let bytes = s.as_bytes();
    let mut unmatched = PAIRS.map(|(open, close)| {
        let count = |b: u8| bytes.iter().filter(|&&c| c == b).count();
        count(close).saturating_sub(count(open))
    });
    let mut end = bytes.len();
    while let Some(&c) = bytes[..end].last() {
        if let Some(i) = PAIRS.iter().position(|&(_, close)| close == c) {
            if unmatched[i] == 0 {
                break;
            }
            unmatched[i] -= 1;
        } else if !matches!(c, b'.' | b',' | b';' | b':' | b'!' | b'?') {
            break;
        }
        end -= 1;
    }
    s.split_at(end)
}

/// A URL without its user info, query and fragment (the path is handled separately).
fn redact_url(url: &str) -> String {
    let (url, tail) = split_trailing(url);
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return format!("{url}{tail}");
    };
    let (scheme, rest) = url.split_at(scheme_end);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let host = match authority.rfind('@') {
        Some(at) => format!("{HIDDEN}@{}", &authority[at + 1..]),
        None => authority.to_string(),
    };
    let (path, secret) = rest.split_at(rest.find(['?', '#']).unwrap_or(rest.len()));
    let secret = secret
        .get(..1)
        .map(|mark| format!("{mark}{HIDDEN}"))
        .unwrap_or_default();
    format!("{scheme}{host}{path}{secret}{tail}")
}

/// What follows `session/`: a connect path keeps its kind and loses the rest (the id and
/// anything after it, which may repeat the id); an API path (`session/<id>...`) loses all.
fn redact_session_path(rest: &str) -> String {
    let (rest, tail) = split_trailing(rest);
    let (first, after) = rest.split_once('/').unwrap_or((rest, ""));
    if KINDS.iter().any(|k| k.eq_ignore_ascii_case(first)) {
        if after.is_empty() {
            // `/session/notebook` or `/session/notebook/`: no id to hide.
            return format!("{rest}{tail}");
        }
        return format!("{first}/{ID}{tail}");
    }
    format!("{ID}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_and_out() {
        let table: &[(&str, &str)] = &[
            // reqwest error texts quote the whole URL.
            (
                "error sending request for url (https://ws-uv.canfar.net/session/notebook/k3x9q2ab/lab/tree/arc/home/alice?token=k3x9q2ab): connection refused",
                "error sending request for url (https://ws-uv.canfar.net/session/notebook/[id]): connection refused",
            ),
            (
                "error decoding response body from http://127.0.0.1:8080/skaha/v1/session/k3x9q2ab?view=logs",
                "error decoding response body from http://127.0.0.1:8080/skaha/v1/session/[id]",
            ),
            (
                "HTTP status server error (503 Service Unavailable) for url (https://ws-uv.canfar.net/skaha/v1/session?view=stats)",
                "HTTP status server error (503 Service Unavailable) for url (https://ws-uv.canfar.net/skaha/v1/session?[redacted])",
            ),
            // Desktop and CARTA connect URLs carry the id in several places.
            (
                "opening https://ws-uv.canfar.net/session/desktop/k3x9q2ab/?password=k3x9q2ab&path=session/desktop/k3x9q2ab/",
                "opening https://ws-uv.canfar.net/session/desktop/[id]",
            ),
            (
                "socket wss://ws-uv.canfar.net/session/carta/ws/k3x9q2ab/ closed.",
                "socket wss://ws-uv.canfar.net/session/carta/[id] closed.",
            ),
            // Paths without a host (relay and API request lines), and the bare API path.
            (
                "GET /session/firefly/k3x9q2ab/firefly/ 200",
                "GET /session/firefly/[id] 200",
            ),
            (
                "cannot build the request URL for \"session/k3x9q2ab\": bad",
                "cannot build the request URL for \"session/[id]\": bad",
            ),
            // Tracing fields, plain and Debug-quoted, and a span.
            (
                "INFO renewed id=k3x9q2ab profile=canfar",
                "INFO renewed id=[id] profile=canfar",
            ),
            (
                "WARN renew failed session_id=\"k3x9q2ab\" error=gone",
                "WARN renew failed session_id=[id] error=gone",
            ),
            ("window{session=k3x9q2ab}: closed", "window{session=[id]}: closed"),
            // Secrets in paths that are not whole URLs, and `Secret` fields.
            (
                "relay GET /lab/tree?token=k3x9q2ab&x=1 403",
                "relay GET /lab/tree?token=[redacted]&x=1 403",
            ),
            (
                "vnc.html?password=k3x9q2ab access_token=eyJhbGciOi token=[redacted]",
                "vnc.html?password=[redacted] access_token=[redacted] token=[redacted]",
            ),
            // Debug and JSON.
            (
                "got Session { id: SessionId(\"k3x9q2ab\"), name: \"nb1\" }",
                "got Session { id: SessionId(\"[id]\"), name: \"nb1\" }",
            ),
            (
                r#"body {"id":"k3x9q2ab","name":"nb1"}"#,
                r#"body {"id":"[id]","name":"nb1"}"#,
            ),
            // Prose and window labels.
            (
                "could not open session k3x9q2ab from the tray: gone",
                "could not open session [id] from the tray: gone",
            ),
            (
                "No active job for user alice with session abcdefgh",
                "No active job for user alice with session [id]",
            ),
            ("window session-k3x9q2ab lost focus", "window session-[id] lost focus"),
            // User info and fragments.
            (
                "proxy https://bob:hunter2@proxy.example/x#access_token=abc",
                "proxy https://[redacted]@proxy.example/x#[redacted]",
            ),
            // The relay's window secret, a sign-in redirect's code, client secrets.
            (
                "navigating to /__skyport/3f9a1c0e7b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a?next=%2F",
                "navigating to /__skyport/[redacted]?next=%2F",
            ),
            (
                "stray request GET /callback?code=abc123&state=xyz ignored",
                "stray request GET /callback?[redacted] ignored",
            ),
            (
                "registered client_secret=s3cr3t-value expires=0",
                "registered client_secret=[redacted] expires=0",
            ),
            // Left alone: ordinary words, other ids, session paths with no id.
            ("session notebook started", "session notebook started"),
            ("client_id=skyport-desktop grid=3", "client_id=skyport-desktop grid=3"),
            ("the relay only serves /session/notebook/", "the relay only serves /session/notebook/"),
            ("listed 2000 sessions in 12 ms", "listed 2000 sessions in 12 ms"),
            ("see https://www.canfar.net/en/docs/.", "see https://www.canfar.net/en/docs/."),
        ];
        for (input, want) in table {
            assert_eq!(redact(input), *want, "input: {input}");
            // Redacting twice changes nothing more.
            assert_eq!(redact(want), *want, "again: {want}");
        }
    }

    #[test]
    fn colourised_fields_are_redacted_too() {
        // What the stderr formatter writes for `id = %id`: italic name, dimmed `=`.
        let line = "\x1b[32m INFO\x1b[0m renewed \x1b[3mid\x1b[0m\x1b[2m=\x1b[0mk3x9q2ab";
        let out = redact(line);
        assert!(!out.contains("k3x9q2ab"), "{out:?}");
        assert!(out.ends_with(&format!("\x1b[2m=\x1b[0m{ID}")), "{out:?}");
    }

    #[test]
    fn nothing_to_hide_borrows() {
        assert!(matches!(
            redact("INFO Skyport started platform=canfar"),
            Cow::Borrowed(_)
        ));
    }
}
