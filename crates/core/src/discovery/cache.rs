//! Discovery documents kept on disk with their age, so that a platform opens without asking
//! its registry every time, and is asked again when the copy is stale or no longer works.
//!
//! One file per document under the cache folder, named by a hash of its URL, written
//! atomically. A copy that cannot be read is treated as absent (it is only a cache).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// How long a document is used without asking again (the CADC clients use 10 minutes).
pub const FRESH_FOR: Duration = Duration::from_secs(10 * 60);
/// The oldest copy used at all, and only when asking again fails.
pub const KEPT_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// A document as it was fetched, and how old it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    pub body: String,
    pub age: Duration,
}

impl Cached {
    pub fn is_fresh(&self) -> bool {
        self.age < FRESH_FOR
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    url: String,
    /// Seconds since the Unix epoch.
    fetched: u64,
    body: String,
}

impl Cache {
    /// Documents under `dir` (e.g. `~/.cache/skyport/discovery`).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn file(&self, url: &str) -> PathBuf {
        // FNV-1a: stable across Rust releases, so a copy outlives an update. Not a security
        // boundary (the entry names its URL, checked on reading).
        let h = url.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        self.dir.join(format!("{h:016x}.json"))
    }

    /// The copy of `url`, if one was kept (at any age).
    pub fn get(&self, url: &str) -> Option<Cached> {
        let bytes = std::fs::read(self.file(url)).ok()?;
        let e: Entry = serde_json::from_slice(&bytes).ok()?;
        if e.url != url {
            return None;
        }
        let fetched = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(e.fetched))?;
        // A time in the future (a clock set back, a hand-edited file) is not trusted as fresh.
        let age = SystemTime::now()
            .duration_since(fetched)
            .unwrap_or(FRESH_FOR);
        (age <= KEPT_FOR).then_some(Cached { body: e.body, age })
    }

    /// Keep `body` as the copy of `url`; a failure only costs the next start a fetch.
    pub fn put(&self, url: &str, body: &str) {
        let fetched = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let entry = Entry {
            url: url.to_string(),
            fetched,
            body: body.to_string(),
        };
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| {
            let bytes = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
            crate::fsutil::write_atomic(&self.file(url), &bytes)
        });
        if let Err(e) = written {
            tracing::debug!("discovery cache not written: {e}");
        }
    }

    /// Forget the copy of `url` (it led to a failure).
    pub fn forget(&self, url: &str) {
        let _ = std::fs::remove_file(self.file(url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_documents_with_their_age_and_forgets_them() {
        let dir = tempfile::tempdir().expect("tmp");
        let c = Cache::new(dir.path().join("discovery"));
        assert!(c.get("https://r/reg/resource-caps").is_none());
        c.put(
            "https://r/reg/resource-caps",
            "ivo://a/skaha = https://a/skaha/capabilities",
        );
        let got = c.get("https://r/reg/resource-caps").expect("kept");
        assert_eq!(got.body, "ivo://a/skaha = https://a/skaha/capabilities");
        assert!(got.is_fresh());
        assert!(c.get("https://other/reg/resource-caps").is_none());
        c.forget("https://r/reg/resource-caps");
        assert!(c.get("https://r/reg/resource-caps").is_none());
    }

    #[test]
    fn an_unreadable_or_unbelievable_copy_is_absent_or_stale() {
        let dir = tempfile::tempdir().expect("tmp");
        let c = Cache::new(dir.path().to_path_buf());
        std::fs::write(c.file("u"), b"{ not json").expect("w");
        assert!(c.get("u").is_none());
        let entry = |fetched: u64| format!(r#"{{"url": "u", "fetched": {fetched}, "body": "b"}}"#);
        std::fs::write(c.file("u"), entry(u64::MAX)).expect("w");
        assert!(c.get("u").is_none(), "a time past the end of time");
        let future = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("now")
            .as_secs()
            + 3600;
        std::fs::write(c.file("u"), entry(future)).expect("w");
        assert!(
            !c.get("u").expect("kept").is_fresh(),
            "a time in the future is not fresh"
        );
        std::fs::write(c.file("u"), entry(1)).expect("w");
        assert!(c.get("u").is_none(), "older than a week");
    }
}
