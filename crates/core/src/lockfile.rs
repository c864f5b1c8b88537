//! Advisory locks shared between Skyport processes: the app and any number of CLI runs
//! (flock on Unix, LockFileEx on Windows). A lock is held while its [`LockFile`] lives; the
//! OS releases it when the file is closed, also when the process dies, so a crash never
//! leaves a stale lock behind. The file itself stays (removing it would race with a process
//! that has just opened it).

use std::fs::File;
use std::path::Path;
use std::time::Duration;

/// The longest pause between two attempts while another process holds the lock.
const MAX_POLL: Duration = Duration::from_millis(100);

/// An exclusive lock on a file; released on drop.
#[derive(Debug)]
pub struct LockFile {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another Skyport process kept {path} locked for {secs} s; try again when it has finished"
    )]
    Busy { path: String, secs: u64 },
    #[error("cannot lock {path}: {detail}")]
    Io { path: String, detail: String },
}

fn open(path: &Path) -> Result<File, LockError> {
    let io = |e: std::io::Error| LockError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    // Private: another user who could open the file could hold the lock forever.
    if let Some(dir) = path.parent() {
        crate::fsutil::private_dir(dir).map_err(io)?;
    }
    crate::fsutil::open_private(path, false).map_err(io)
}

/// One attempt; `Ok(false)` when someone else holds the lock.
fn try_lock(file: &File, path: &Path) -> Result<bool, LockError> {
    // Called through fs4's trait: std's own `File::try_lock` is newer than our MSRV.
    match fs4::FileExt::try_lock(file) {
        Ok(()) => Ok(true),
        Err(fs4::TryLockError::WouldBlock) => Ok(false),
        // File systems without locks (NFS without lockd): going on with the in-process
        // lock only is better than never refreshing.
        Err(fs4::TryLockError::Error(e))
            if e.kind() == std::io::ErrorKind::Unsupported
                || e.raw_os_error() == Some(libc::ENOLCK) =>
        {
            tracing::warn!(
                "{} cannot be locked here ({e}); other Skyport processes are not kept out",
                path.display()
            );
            Ok(true)
        }
        Err(fs4::TryLockError::Error(e)) => Err(LockError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        }),
    }
}

impl LockFile {
    /// Take the lock without waiting; `Ok(None)` when another holder has it.
    pub fn try_acquire(path: &Path) -> Result<Option<LockFile>, LockError> {
        let file = open(path)?;
        Ok(try_lock(&file, path)?.then_some(LockFile { _file: file }))
    }

    /// Take the lock, waiting at most `patience` for another holder to let go. Polls
    /// rather than blocking a thread in the OS call, so a cancelled wait ends at once.
    pub async fn acquire(path: &Path, patience: Duration) -> Result<LockFile, LockError> {
        let file = open(path)?;
        let mut waits = Waits::new(patience);
        loop {
            if try_lock(&file, path)? {
                return Ok(LockFile { _file: file });
            }
            let pause = waits.next().ok_or_else(|| busy(path, patience))?;
            tokio::time::sleep(pause).await;
        }
    }

    /// [`LockFile::acquire`] for code that is not async (a short critical section such as
    /// a read-modify-write of the config file).
    pub fn acquire_blocking(path: &Path, patience: Duration) -> Result<LockFile, LockError> {
        let file = open(path)?;
        let mut waits = Waits::new(patience);
        loop {
            if try_lock(&file, path)? {
                return Ok(LockFile { _file: file });
            }
            let pause = waits.next().ok_or_else(|| busy(path, patience))?;
            std::thread::sleep(pause);
        }
    }
}

fn busy(path: &Path, patience: Duration) -> LockError {
    LockError::Busy {
        path: path.display().to_string(),
        secs: patience.as_secs(),
    }
}

/// The pauses between attempts: doubling from 5 ms up to [`MAX_POLL`], none past the
/// deadline.
struct Waits {
    deadline: std::time::Instant,
    pause: Duration,
}

impl Waits {
    fn new(patience: Duration) -> Self {
        Waits {
            deadline: std::time::Instant::now() + patience,
            pause: Duration::from_millis(5),
        }
    }
}

impl Iterator for Waits {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        let left = self
            .deadline
            .saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        let pause = self.pause.min(left);
        self.pause = (self.pause * 2).min(MAX_POLL);
        Some(pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("locks/x.lock");
        let held = LockFile::try_acquire(&path)
            .expect("lock")
            .expect("free at first");
        // A second open file description is another holder, as another process would be.
        assert!(LockFile::try_acquire(&path).expect("try").is_none());
        let err = LockFile::acquire(&path, Duration::from_millis(30))
            .await
            .expect_err("still held");
        assert!(matches!(err, LockError::Busy { .. }), "{err}");

        let waiter = tokio::spawn({
            let path = path.clone();
            async move { LockFile::acquire(&path, Duration::from_secs(30)).await }
        });
        drop(held);
        waiter
            .await
            .expect("join")
            .expect("taken once the holder let go");
    }
}
