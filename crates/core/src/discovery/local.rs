//! Platforms running on this computer (the local demo platform, a test deployment): each
//! announces its registry with a small file in a folder only the user can write, and the
//! welcome page offers what those registries list beside the real ones.
//!
//! An announcement is `{"name": "…", "registry": "http://127.0.0.1:…/reg/resource-caps",
//! "pid": 1234}`. Only loopback registries are taken (a file can name no machine elsewhere),
//! and one whose process has gone is ignored.

use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

/// The folder of announcements (default `$XDG_RUNTIME_DIR/skyport/local-platforms`).
pub const LOCAL_PLATFORMS_ENV: &str = "SKYPORT_LOCAL_PLATFORMS";

/// More announcements than this are not read (the folder is the user's own: a cap, not a
/// defence).
const MAX_ANNOUNCEMENTS: usize = 16;
/// An announcement is a line of JSON.
const MAX_SIZE: u64 = 4096;

/// One platform (or world of platforms) running here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Announcement {
    /// What it calls itself ("Local demo platform").
    pub name: String,
    /// Its registry's resource-caps URL, on loopback.
    pub registry: String,
    /// The process serving it.
    pub pid: u32,
}

/// Where announcements are read from: `SKYPORT_LOCAL_PLATFORMS`, else the user's runtime
/// folder (private to the user, emptied at logout); none without either.
pub fn folder() -> Option<PathBuf> {
    match std::env::var_os(LOCAL_PLATFORMS_ENV) {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => std::env::var_os("XDG_RUNTIME_DIR")
            .filter(|d| !d.is_empty())
            .map(|d| PathBuf::from(d).join("skyport/local-platforms")),
    }
}

/// The announcements of platforms running now, in a stable order. Unreadable, malformed,
/// non-loopback and orphaned ones are skipped.
pub fn announced() -> Vec<Announcement> {
    folder().map(|d| announced_in(&d)).unwrap_or_default()
}

fn announced_in(dir: &std::path::Path) -> Vec<Announcement> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut found: Vec<Announcement> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .take(MAX_ANNOUNCEMENTS)
        .filter_map(|e| read(&e.path()))
        .filter(|a| running(a.pid))
        .collect();
    found.sort_by(|a, b| a.registry.cmp(&b.registry));
    found.dedup_by(|a, b| a.registry == b.registry);
    found
}

fn read(path: &std::path::Path) -> Option<Announcement> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SIZE {
        return None;
    }
    parse(&std::fs::read(path).ok()?)
}

/// One announcement's text, when it names a loopback registry over http(s).
pub fn parse(bytes: &[u8]) -> Option<Announcement> {
    let a: Announcement = serde_json::from_slice(bytes).ok()?;
    let url = Url::parse(&a.registry).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && crate::secure::is_loopback(&url)
        && a.name.chars().count() <= 80
        && !a.name.chars().any(char::is_control);
    ok.then_some(a)
}

/// Whether process `pid` still runs (an announcement left by a killed process is stale).
/// Read from /proc where there is one; elsewhere every announcement counts.
fn running(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Whether `registry` is served on this computer.
pub fn is_local(registry: &str) -> bool {
    Url::parse(registry).is_ok_and(|u| crate::secure::is_loopback(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_registries_of_running_processes_are_taken() {
        let ok = br#"{"name":"Local demo platform","registry":"http://127.0.0.1:4000/reg/resource-caps","pid":1}"#;
        assert_eq!(
            parse(ok).map(|a| a.name),
            Some("Local demo platform".into())
        );
        for bad in [
            &br#"{"name":"x","registry":"https://evil.example/reg","pid":1}"#[..],
            br#"{"name":"x","registry":"file:///etc/passwd","pid":1}"#,
            br#"{"name":"x\u001b[2J","registry":"http://127.0.0.1:1/reg","pid":1}"#,
            br#"{"name":"x","registry":"not a url","pid":1}"#,
            b"<html>",
            b"",
        ] {
            assert_eq!(parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert!(running(std::process::id()));
        // Past the largest pid a Linux system hands out.
        assert!(!running(4_194_305));
        assert!(is_local("http://localhost:9/reg"));
        let dir = tempfile::tempdir().expect("tmp");
        let line = |registry: &str, pid: u32| {
            format!(r#"{{"name":"n","registry":"{registry}","pid":{pid}}}"#)
        };
        let me = std::process::id();
        let w =
            |name: &str, text: String| std::fs::write(dir.path().join(name), text).expect("write");
        w("b.json", line("http://127.0.0.1:2/reg", me));
        w("a.json", line("http://127.0.0.1:1/reg", me));
        w("same.json", line("http://127.0.0.1:1/reg", me));
        w("gone.json", line("http://127.0.0.1:3/reg", 4_194_305));
        w("far.json", line("https://example.org/reg", me));
        w("notes.txt", line("http://127.0.0.1:4/reg", me));
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("a.json"), dir.path().join("link.json"))
            .expect("link");
        let found: Vec<_> = announced_in(dir.path())
            .into_iter()
            .map(|a| a.registry)
            .collect();
        assert_eq!(found, ["http://127.0.0.1:1/reg", "http://127.0.0.1:2/reg"]);
        assert!(!is_local("https://ws-uv.canfar.net/reg"));
    }
}
