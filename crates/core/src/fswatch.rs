//! A file watched for changes by other programs (the CLI switching profiles in config.toml
//! while the app runs). The folder is watched, because writers replace the file by renaming
//! a new one over it; events are coalesced over a short quiet time, and the callback runs
//! only when the contents really changed. With no event for a while the file is read
//! anyway: a change whose event the backend dropped is seen a little later, not never. That
//! look comes 3 s after the last event, then ever more seldom up to every 30 s (the session
//! poll's pace): an idle app does not wake every few seconds for it.
//!
//! The watcher owns one thread; dropping the [`FileWatch`] stops and joins it.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use notify::Watcher as _;

/// Quiet time before a burst of events counts as one change.
const QUIET: Duration = Duration::from_millis(150);
/// When the file is read though no event came: first after 3 s, then twice as long each time,
/// up to 30 s.
const RECHECK_FIRST: Duration = Duration::from_secs(3);
const RECHECK_MAX: Duration = Duration::from_secs(30);

enum Msg {
    Fs,
    Stop,
}

/// A running watch. Dropping it stops the thread.
pub struct FileWatch {
    tx: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    _watcher: notify::RecommendedWatcher,
}

impl std::fmt::Debug for FileWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWatch").finish_non_exhaustive()
    }
}

fn fingerprint(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    Some(h.finish())
}

/// Watch the folder of `path` (writers replace a file by renaming a new one over it, which a
/// watch on the file itself would miss) and call `on_event` for every event that may concern
/// the file: one naming it, a rescan, or an error of the backend (re-reading is the safe
/// answer). The watch lasts as long as the returned watcher.
pub(crate) fn watch_folder_of<F>(
    path: &Path,
    on_event: F,
) -> Result<notify::RecommendedWatcher, String>
where
    F: Fn() + Send + 'static,
{
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} has no folder", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_os_string())
        .ok_or_else(|| format!("{} has no file name", path.display()))?;
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let relevant = match &res {
            Ok(ev) => {
                ev.need_rescan()
                    || ev.paths.is_empty()
                    || ev
                        .paths
                        .iter()
                        .any(|p| p.file_name() == Some(name.as_os_str()))
            }
            Err(_) => true,
        };
        if relevant {
            on_event();
        }
    })
    .map_err(|e| e.to_string())?;
    watcher
        .watch(&dir, notify::RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    Ok(watcher)
}

impl FileWatch {
    /// Watch `path` (its folder must exist); `on_change` runs on the watcher's thread after
    /// each change of the contents (also when the file appears or goes).
    pub fn start<F>(path: PathBuf, on_change: F) -> Result<FileWatch, String>
    where
        F: Fn() + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let fs_tx = tx.clone();
        let watcher = watch_folder_of(&path, move || {
            let _ = fs_tx.send(Msg::Fs);
        })?;
        // Read before returning: a change right after `start` must count as one.
        let mut last = fingerprint(&path);
        let thread = std::thread::Builder::new()
            .name("skyport-file-watch".into())
            .spawn(move || {
                let mut recheck = RECHECK_FIRST;
                loop {
                    match rx.recv_timeout(recheck) {
                        Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                        Ok(Msg::Fs) => recheck = RECHECK_FIRST,
                        // No event for a while: look anyway (an event the backend dropped
                        // must not leave a change unseen for good).
                        Err(RecvTimeoutError::Timeout) => {
                            recheck = (recheck * 2).min(RECHECK_MAX);
                            let now = fingerprint(&path);
                            if now != last {
                                tracing::info!(file = %path.display(), "changed without an event; seen on the periodic look");
                                last = now;
                                on_change();
                            }
                            continue;
                        }
                    }
                    // Coalesce the burst a rename-over write makes.
                    loop {
                        match rx.recv_timeout(QUIET) {
                            Ok(Msg::Fs) => continue,
                            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                            Err(RecvTimeoutError::Timeout) => break,
                        }
                    }
                    let now = fingerprint(&path);
                    if now != last {
                        last = now;
                        on_change();
                    }
                }
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        Ok(FileWatch {
            tx,
            thread: Some(thread),
            _watcher: watcher,
        })
    }
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    fn wait_for(what: &str, check: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check() {
            assert!(Instant::now() < deadline, "{what} did not happen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_changed_file_is_reported_once_and_an_unchanged_rewrite_not_at_all() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "a = 1\n").expect("write");
        let seen = Arc::new(AtomicU32::new(0));
        let s = seen.clone();
        let _w = FileWatch::start(file.clone(), move || {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .expect("watch");
        // Replaced by rename, as atomic writers do.
        let tmp = dir.path().join(".config.toml.new");
        std::fs::write(&tmp, "a = 2\n").expect("write");
        std::fs::rename(&tmp, &file).expect("rename");
        wait_for("the change", || seen.load(Ordering::SeqCst) == 1);
        // The same contents again, then something else: only the second counts.
        std::fs::write(&file, "a = 2\n").expect("write");
        std::fs::write(dir.path().join("other.txt"), "x").expect("write");
        std::fs::write(&file, "a = 3\n").expect("write");
        wait_for("the second change", || seen.load(Ordering::SeqCst) == 2);
        std::thread::sleep(QUIET * 3);
        assert_eq!(seen.load(Ordering::SeqCst), 2);
    }
}
