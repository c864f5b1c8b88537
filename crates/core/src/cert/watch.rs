//! Watching the certificate file for changes made by other programs
//! (`cadc-get-cert`, a second Skyport, a user copying a file in).
//!
//! The watcher observes the *folder*, because renewals replace the file by renaming a
//! new one over it, which a watch on the file itself would miss. Events for the
//! certificate's name are coalesced over [`WatchConfig::debounce`] (about 250 ms),
//! then the file is re-read and, if it changed, a [`CertEvent`] goes to the sink.
//!
//! Independently, every [`WatchConfig::recheck_every`] (30 s) the file is re-read (this
//! also catches changes behind a symbolic link, and missed events) and a
//! [`CertEvent::Tick`] is sent, saying whether the wall clock jumped compared with the
//! monotonic clock, as it does after a laptop resumes from sleep. Consumers re-evaluate
//! renewal timers and expiry warnings on each tick.
//!
//! The watcher owns one thread; dropping the [`CertWatcher`] stops and joins it.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash as _, Hasher as _};
use std::os::unix::fs::DirBuilderExt as _;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::bundle::{read_capped, CertBundle, CertInfo};
use super::error::{display_path, CertError};
use super::schedule::{cert_state, CertState};

/// A wall-clock source (injectable for tests).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A wall-clock jump larger than this, relative to the monotonic clock, is reported.
pub const CLOCK_JUMP_TOLERANCE: Duration = Duration::from_secs(5);

/// How to watch.
#[derive(Clone)]
pub struct WatchConfig {
    /// The certificate file (`~/.ssl/cadcproxy.pem`).
    pub path: PathBuf,
    /// Quiet time collecting filesystem events before re-reading.
    pub debounce: Duration,
    /// Interval of the periodic re-check and [`CertEvent::Tick`].
    pub recheck_every: Duration,
    /// The wall clock.
    pub clock: Clock,
}

impl WatchConfig {
    /// Defaults: 250 ms debounce, 30 s re-check, the system clock.
    pub fn new(path: PathBuf) -> WatchConfig {
        WatchConfig {
            path,
            debounce: Duration::from_millis(250),
            recheck_every: Duration::from_secs(30),
            clock: Arc::new(Utc::now),
        }
    }
}

/// What the watcher reports.
#[derive(Clone, Debug, PartialEq)]
pub enum CertEvent {
    /// The file (first reading, or after a change) holds a usable bundle.
    Loaded {
        /// About the certificate.
        info: CertInfo,
        /// Its state at the time of reading.
        state: CertState,
    },
    /// The file does not exist (first reading, or it was removed).
    Missing,
    /// The file exists but is unusable.
    Invalid {
        /// Why.
        error: CertError,
    },
    /// Periodic re-check.
    Tick {
        /// The wall-clock time.
        now: DateTime<Utc>,
        /// How far the wall clock moved beyond (positive) or behind (negative) the
        /// monotonic clock since the previous tick, when more than
        /// [`CLOCK_JUMP_TOLERANCE`]: sleep/resume, or the clock was set.
        clock_jump: Option<chrono::Duration>,
    },
}

enum Msg {
    Fs,
    Recheck,
    Stop,
}

/// A running watcher. Dropping it stops the watcher thread.
pub struct CertWatcher {
    tx: Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    _fs_watcher: notify::RecommendedWatcher,
}

impl std::fmt::Debug for CertWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertWatcher").finish_non_exhaustive()
    }
}

impl CertWatcher {
    /// Starts watching. The first event (the current state of the file) is sent right
    /// away from the watcher thread. Creates the folder (mode 0700) if it is missing.
    pub fn start<S>(config: WatchConfig, sink: S) -> Result<CertWatcher, CertError>
    where
        S: Fn(CertEvent) + Send + 'static,
    {
        let shown = display_path(&config.path);
        let watch_err = |detail: String| CertError::Watch {
            path: shown.clone(),
            detail,
        };
        let dir = config
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| watch_err("the path has no folder".into()))?;
        if !dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| watch_err(format!("cannot create the folder: {e}")))?;
        }

        let (tx, rx) = mpsc::channel::<Msg>();
        let fs_tx = tx.clone();
        let fs_watcher = crate::fswatch::watch_folder_of(&config.path, move || {
            let _ = fs_tx.send(Msg::Fs);
        })
        .map_err(watch_err)?;

        let thread = std::thread::Builder::new()
            .name("skyport-cert-watch".into())
            .spawn(move || run(config, rx, sink))
            .map_err(|e| watch_err(format!("cannot start a thread: {e}")))?;
        Ok(CertWatcher {
            tx,
            thread: Some(thread),
            _fs_watcher: fs_watcher,
        })
    }

    /// Asks for an immediate re-read (e.g. after Skyport itself wrote the file). An
    /// event is sent only if the contents changed.
    pub fn recheck_now(&self) {
        let _ = self.tx.send(Msg::Recheck);
    }
}

impl Drop for CertWatcher {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads the file and returns its event and a fingerprint of what was read.
fn read_event(config: &WatchConfig) -> (CertEvent, u64) {
    let mut h = DefaultHasher::new();
    let event = match read_capped(&config.path) {
        Ok(bytes) => {
            bytes.as_slice().hash(&mut h);
            match CertBundle::parse_named(&bytes, &display_path(&config.path)) {
                Ok(b) => {
                    let mut info = b.info().clone();
                    info.path = Some(config.path.display().to_string());
                    let state = cert_state(Ok(&info), (config.clock)());
                    CertEvent::Loaded { info, state }
                }
                Err(error) => CertEvent::Invalid { error },
            }
        }
        Err(CertError::NotFound { .. }) => {
            "missing".hash(&mut h);
            CertEvent::Missing
        }
        Err(error) => {
            error.to_string().hash(&mut h);
            CertEvent::Invalid { error }
        }
    };
    (event, h.finish())
}

fn run<S: Fn(CertEvent)>(config: WatchConfig, rx: mpsc::Receiver<Msg>, sink: S) {
    let (first, mut last_print) = read_event(&config);
    sink(first);
    let reload = |last: &mut u64| {
        let (event, print) = read_event(&config);
        if print != *last {
            *last = print;
            sink(event);
        }
    };

    let mut pending: Option<Instant> = None;
    let mut next_tick = Instant::now() + config.recheck_every;
    let mut last_wall = (config.clock)();
    let mut last_mono = Instant::now();
    loop {
        let wake = pending.map_or(next_tick, |p| p.min(next_tick));
        let timeout = wake.saturating_duration_since(Instant::now());
        match rx.recv_timeout(timeout) {
            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Msg::Fs) => {
                if pending.is_none() {
                    pending = Some(Instant::now() + config.debounce);
                }
            }
            Ok(Msg::Recheck) => reload(&mut last_print),
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        if pending.is_some_and(|p| p <= now) {
            pending = None;
            reload(&mut last_print);
        }
        if next_tick <= now {
            next_tick = now + config.recheck_every;
            let wall = (config.clock)();
            let mono = now.duration_since(last_mono);
            let wall_elapsed = wall - last_wall;
            let drift =
                wall_elapsed - chrono::Duration::from_std(mono).unwrap_or(chrono::Duration::zero());
            let tolerance = chrono::Duration::from_std(CLOCK_JUMP_TOLERANCE)
                .unwrap_or(chrono::Duration::zero());
            let clock_jump = (drift.abs() > tolerance).then_some(drift);
            last_wall = wall;
            last_mono = now;
            reload(&mut last_print);
            sink(CertEvent::Tick {
                now: wall,
                clock_jump,
            });
        }
    }
}
