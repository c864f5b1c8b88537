//! Logging: human-readable lines on stderr plus a daily-rotating file in the state folder.
//!
//! Filter with `SKYPORT_LOG` (same syntax as `RUST_LOG`, default `info`). Secrets never
//! reach a log because they live in [`crate::secret::Secret`], whose formatting redacts them.
//! Session ids and URL secrets are not `Secret`s (they are in every error text that quotes
//! a URL), so every formatted line, on stderr and in the file, goes through
//! [`crate::redact::redact`] on its way out.
//!
//! The log folder is private to the user (0700 on unix, tightened when it is looser) and
//! each file is created 0600, by this module's own writer rather than through the umask.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tracing::Dispatch;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

use crate::fsutil::private_dir;

/// Environment variable with the log filter.
pub const LOG_ENV: &str = "SKYPORT_LOG";
/// How many daily log files are kept.
pub const KEEP_FILES: usize = 7;

/// Keeps the file writer alive; drop it last so buffered lines are flushed.
pub struct LogGuard {
    _file: Option<WorkerGuard>,
    /// The folder the log files go to, when file logging is on.
    pub dir: Option<PathBuf>,
}

/// Start logging for a program called `app` (file names start with it).
///
/// File logging is best effort: if the folder cannot be created or made private the
/// program still runs and says so on stderr. Calling this twice is harmless (the second
/// call changes nothing).
pub fn init(app: &str, log_dir: Option<&Path>) -> LogGuard {
    init_with_filter(app, log_dir, "info,tao=warn,wry=warn")
}

/// Like [`init`], with the filter used when `SKYPORT_LOG` is not set.
pub fn init_with_filter(app: &str, log_dir: Option<&Path>, default_filter: &str) -> LogGuard {
    let (dispatch, guard) = build(app, log_dir, default_filter, io::stderr);
    let _ = dispatch.try_init();
    guard
}

/// The subscriber [`init`] installs, not yet installed, with `stderr` for the terminal
/// (tests use it scoped to a thread, writing to a buffer).
fn build<W>(
    app: &str,
    log_dir: Option<&Path>,
    default_filter: &str,
    stderr: W,
) -> (Dispatch, LogGuard)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(default_filter));
    let stderr = fmt::layer()
        .with_writer(Redacting(stderr))
        .with_target(false);

    let mut guard = None;
    let mut dir_used = None;
    let file_layer = log_dir.and_then(|dir| match DailyFile::open(dir, app) {
        Ok(file) => {
            let (writer, g) = tracing_appender::non_blocking(file);
            guard = Some(g);
            dir_used = Some(dir.to_path_buf());
            Some(fmt::layer().with_writer(Redacting(writer)).with_ansi(false))
        }
        Err(e) => {
            eprintln!(
                "skyport: cannot write log files in {}: {e}; logging to stderr only",
                dir.display()
            );
            None
        }
    });

    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file_layer);
    (
        Dispatch::new(subscriber),
        LogGuard {
            _file: guard,
            dir: dir_used,
        },
    )
}

/// Wraps a [`MakeWriter`] so every formatted event is redacted before it is written.
///
/// The formatter writes one event per writer; the writer collects it and writes the
/// redacted text when dropped, so a line split over several `write` calls is still
/// redacted as a whole.
#[derive(Clone, Debug)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter::new(self.0.make_writer_for(meta))
    }
}

/// The writer of one event; see [`Redacting`].
pub struct RedactingWriter<W: Write> {
    inner: W,
    event: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            event: Vec::new(),
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.event.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.event);
        let result = self
            .inner
            .write_all(crate::redact::redact(&text).as_bytes());
        self.event.clear();
        result
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.event.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // Nowhere to report a failed log write to; the formatter ignores them too.
        let _ = self.emit();
    }
}

/// Today in UTC, the day the file names use (as `tracing_appender` named them before).
fn utc_today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Log files `<app>.<YYYY-MM-DD>.log`, a new one each day, the newest [`KEEP_FILES`] kept,
/// each created 0600 in a 0700 folder.
struct DailyFile {
    dir: PathBuf,
    app: String,
    today: fn() -> NaiveDate,
    day: NaiveDate,
    file: File,
}

impl DailyFile {
    fn open(dir: &Path, app: &str) -> io::Result<Self> {
        Self::open_with_clock(dir, app, utc_today)
    }

    fn open_with_clock(dir: &Path, app: &str, today: fn() -> NaiveDate) -> io::Result<Self> {
        private_dir(dir)?;
        let day = today();
        let file = open_private(&Self::path(dir, app, day))?;
        prune(dir, app);
        Ok(Self {
            dir: dir.to_path_buf(),
            app: app.to_string(),
            today,
            day,
            file,
        })
    }

    fn path(dir: &Path, app: &str, day: NaiveDate) -> PathBuf {
        dir.join(format!("{app}.{}.log", day.format("%Y-%m-%d")))
    }

    /// Switches to a new file when the day has changed.
    fn roll(&mut self) -> io::Result<()> {
        let day = (self.today)();
        if day != self.day {
            self.file = open_private(&Self::path(&self.dir, &self.app, day))?;
            self.day = day;
            prune(&self.dir, &self.app);
        }
        Ok(())
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.roll()?;
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Opens a log file for appending (0600, never through a symbolic link).
fn open_private(path: &Path) -> io::Result<File> {
    crate::fsutil::open_private(path, true)
}

/// Deletes all but the newest [`KEEP_FILES`] log files of `app` and tightens the kept ones.
/// Best effort: a file that cannot be removed is tried again at the next rotation.
fn prune(dir: &Path, app: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{app}.");
    let mut days: Vec<(NaiveDate, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let date = name.strip_prefix(&prefix)?.strip_suffix(".log")?;
            let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            Some((day, e.path()))
        })
        .collect();
    days.sort_unstable_by_key(|(day, _)| std::cmp::Reverse(*day));
    for (i, (_, path)) in days.iter().enumerate() {
        if i >= KEEP_FILES {
            let _ = std::fs::remove_file(path);
            continue;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
                    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A stand-in for stderr that keeps what was written.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
        }
    }

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Logs inside `f` with the subscriber [`init`] would install, on this thread only (the
    /// global one can be set once per process); returns what went to "stderr", after the
    /// file writer flushed.
    fn with_logging(app: &str, dir: &Path, f: impl FnOnce()) -> String {
        let stderr = Buffer::default();
        let writer = stderr.clone();
        let (dispatch, guard) = build(app, Some(dir), "info", move || writer.clone());
        assert_eq!(guard.dir.as_deref(), Some(dir), "file logging is on");
        tracing::dispatcher::with_default(&dispatch, f);
        drop(guard);
        stderr.text()
    }

    #[test]
    fn writes_a_log_file_in_the_given_folder() {
        let home = tempfile::tempdir().expect("tempdir");
        // The folder does not exist yet: it is created.
        let logs = home.path().join("state/logs");
        with_logging("skyport-test", &logs, || {
            tracing::info!("hello from the logging test");
        });
        let names = names(&logs);
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("skyport-test.") && n.ends_with(".log")),
            "{names:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn log_files_are_private_and_carry_no_session_id_or_url() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;

        let home = tempfile::tempdir().expect("tempdir");
        let logs = home.path().join("logs");
        // As the CLI leaves it: created with the umask, readable by everyone.
        std::fs::create_dir_all(&logs).expect("mkdir");
        std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o755)).expect("chmod");

        let id = "k3x9q2ab";
        let connect = format!(
            "https://ws-uv.canfar.net/session/notebook/{id}/lab/tree/arc/home/alice?token={id}"
        );
        // reqwest's wording, as it reaches the log through error chains.
        let error = format!("error sending request for url ({connect}): connection refused");
        let stderr = with_logging("skyport-test", &logs, || {
            tracing::error!(error = %error, "could not open the session window");
            tracing::warn!(%id, url = %connect, "session not ready");
            tracing::info!("could not open session {id} from the tray: {error}");
        });

        assert_eq!(mode(&logs), 0o700, "the folder is tightened");
        let files = names(&logs);
        assert_eq!(files.len(), 1, "{files:?}");
        let file = logs.join(&files[0]);
        assert_eq!(mode(&file), 0o600);
        let text = std::fs::read_to_string(&file).expect("read log");
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("could not open the session window"), "{text}");
        assert_eq!(stderr.lines().count(), 3, "{stderr}");
        for (place, text) in [("file", &text), ("stderr", &stderr)] {
            for secret in [id, "/lab/tree", "token=", "/home/alice"] {
                assert!(!text.contains(secret), "{secret:?} in the {place}:\n{text}");
            }
            assert!(
                text.contains("https://ws-uv.canfar.net/session/notebook/[id]"),
                "{place}: {text}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_new_folder_is_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().expect("tempdir");
        let logs = home.path().join("state/logs");
        DailyFile::open(&logs, "skyport-test").expect("open");
        let mode = std::fs::metadata(&logs).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn files_rotate_daily_stay_private_and_only_the_newest_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        use std::sync::atomic::{AtomicI64, Ordering};
        static DAY: AtomicI64 = AtomicI64::new(0);
        fn fake_today() -> NaiveDate {
            let start = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default();
            start + chrono::Days::new(DAY.load(Ordering::SeqCst).unsigned_abs())
        }

        let home = tempfile::tempdir().expect("tempdir");
        let logs = home.path().join("logs");
        std::fs::create_dir_all(&logs).expect("mkdir");
        // Today's file left by an older Skyport with the umask's 0644.
        let old = logs.join("app.2025-03-01.log");
        std::fs::write(&old, "old line\n").expect("write");
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        std::fs::write(logs.join("other.2025-01-01.log"), "").expect("write");

        let mut file = DailyFile::open_with_clock(&logs, "app", fake_today).expect("open");
        for day in 0..10 {
            DAY.store(day, Ordering::SeqCst);
            writeln!(file, "line of day {day}").expect("write");
        }
        let mut want: Vec<String> = (3..10)
            .map(|d| format!("app.2025-03-{:02}.log", d + 1))
            .collect();
        want.push("other.2025-01-01.log".into());
        assert_eq!(names(&logs), want, "{KEEP_FILES} files of this app kept");
        for name in &want[..KEEP_FILES] {
            let meta = std::fs::metadata(logs.join(name)).expect("meta");
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        }
        let last = std::fs::read_to_string(logs.join("app.2025-03-10.log")).expect("read");
        assert_eq!(last, "line of day 9\n");
    }

    #[test]
    fn stderr_lines_are_redacted_with_colours_on() {
        let out = Buffer::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .with_writer(Redacting(move || writer.clone()))
                .with_ansi(true),
        );
        tracing::subscriber::with_default(subscriber, || {
            let id = "k3x9q2ab";
            tracing::info!(%id, session = ?id, "renewed");
        });
        let text = out.text();
        assert!(text.contains("\x1b["), "colours are on: {text:?}");
        assert!(text.contains("renewed"), "{text:?}");
        assert!(!text.contains("k3x9q2ab"), "{text:?}");
    }
}
