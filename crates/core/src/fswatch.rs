//! A file watched for changes by other programs (the CLI switching profiles in config.toml
//! while the app runs). The folder is watched, because writers replace the file by renaming
//! a new one over it; events are coalesced over a short quiet time, and then the callback
//! runs, which compares what it reads with what it holds. That comparison is the caller's:
//! the app writes the file too, so a burst that ends with the contents seen before (the app
//! switched, the CLI switched back) is still news to the app. Only writes count: reading
//! the file (which this watch does itself) is not an event. With no event for a while the
//! file is read anyway, and the callback runs when its contents differ from the last read:
//! a change whose event the backend dropped is seen a little later, not never. That look
//! comes 3 s after the last event, then ever more seldom up to every 30 s (the session
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

/// An access that cannot have changed the file: opened, read, or closed without writing.
fn is_read(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    matches!(
        kind,
        notify::EventKind::Access(a) if !matches!(a, AccessKind::Close(AccessMode::Write))
    )
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
            // Opening or reading the file is not a change (and reading it is what the
            // callback does: counting that would wake the watch for ever).
            Ok(ev) if is_read(&ev.kind) => false,
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
    /// each burst of writes (also when the file appears or goes), and after a periodic look
    /// that found other contents.
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
                    // Written: the callback decides whether that is news (see the module).
                    last = fingerprint(&path);
                    on_change();
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

    /// A watch whose callback reads the file, as the app's does, counting the calls.
    fn counted(file: &Path) -> (FileWatch, Arc<AtomicU32>) {
        let seen = Arc::new(AtomicU32::new(0));
        let s = seen.clone();
        let f = file.to_path_buf();
        let w = FileWatch::start(file.to_path_buf(), move || {
            let _ = std::fs::read(&f);
            s.fetch_add(1, Ordering::SeqCst);
        })
        .expect("watch");
        (w, seen)
    }

    fn replace(file: &Path, text: &str) {
        let tmp = file.with_extension("new");
        std::fs::write(&tmp, text).expect("write");
        std::fs::rename(&tmp, file).expect("rename");
    }

    #[test]
    fn a_write_is_reported_once_and_reading_is_not_a_change() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "a = 1\n").expect("write");
        let (_w, seen) = counted(&file);
        // Replaced by rename, as atomic writers do: one call for the burst.
        replace(&file, "a = 2\n");
        wait_for("the change", || seen.load(Ordering::SeqCst) == 1);
        // Reading it (the callback did, other parts of the app do) wakes nothing: a read
        // counted as a change would call back for ever.
        for _ in 0..10 {
            std::fs::read(&file).expect("read");
            std::thread::sleep(QUIET / 5);
        }
        // Another file of the folder is not this one.
        std::fs::write(dir.path().join("other.txt"), "x").expect("write");
        std::thread::sleep(QUIET * 4);
        assert_eq!(seen.load(Ordering::SeqCst), 1);
        // Written in place, too.
        std::fs::write(&file, "a = 3\n").expect("write");
        wait_for("the second change", || seen.load(Ordering::SeqCst) == 2);
        std::thread::sleep(QUIET * 4);
        assert_eq!(seen.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_burst_that_ends_with_the_contents_seen_before_is_still_reported() {
        // The app switches (its own write), the CLI switches back at once: the file ends as
        // it was at the last look, but the app holds the other platform now.
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "active = \"a\"\n").expect("write");
        let (_w, seen) = counted(&file);
        replace(&file, "active = \"b\"\n");
        replace(&file, "active = \"a\"\n");
        wait_for("the burst", || seen.load(Ordering::SeqCst) >= 1);
    }
}
