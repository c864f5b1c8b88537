//! Logging: human-readable lines on stderr plus a daily-rotating file in the state folder.
//!
//! Filter with `SKYPORT_LOG` (same syntax as `RUST_LOG`, default `info`). Secrets never
//! reach a log because they live in [`crate::secret::Secret`], whose formatting redacts them.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

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
/// File logging is best effort: if the folder cannot be created the program still runs and
/// says so on stderr. Calling this twice is harmless (the second call changes nothing).
pub fn init(app: &str, log_dir: Option<&Path>) -> LogGuard {
    init_with_filter(app, log_dir, "info,tao=warn,wry=warn")
}

/// Like [`init`], with the filter used when `SKYPORT_LOG` is not set.
pub fn init_with_filter(app: &str, log_dir: Option<&Path>, default_filter: &str) -> LogGuard {
    let filter =
        || EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(default_filter));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);

    let mut guard = None;
    let mut dir_used = None;
    let file_layer = log_dir.and_then(|dir| {
        // The appender prunes old files at start and complains when the folder is missing.
        let _ = std::fs::create_dir_all(dir);
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix(app)
            .filename_suffix("log")
            .max_log_files(KEEP_FILES)
            .build(dir);
        match appender {
            Ok(appender) => {
                let (writer, g) = tracing_appender::non_blocking(appender);
                guard = Some(g);
                dir_used = Some(dir.to_path_buf());
                Some(fmt::layer().with_writer(writer).with_ansi(false))
            }
            Err(e) => {
                eprintln!(
                    "skyport: cannot write log files in {}: {e}; logging to stderr only",
                    dir.display()
                );
                None
            }
        }
    });

    let _ = tracing_subscriber::registry()
        .with(filter())
        .with(stderr)
        .with(file_layer)
        .try_init();
    LogGuard {
        _file: guard,
        dir: dir_used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_log_file_in_the_given_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The folder does not exist yet: init creates it.
        let logs = dir.path().join("state/logs");
        let guard = init("skyport-test", Some(&logs));
        tracing::info!("hello from the logging test");
        drop(guard);
        let names: Vec<_> = std::fs::read_dir(&logs)
            .expect("read_dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("skyport-test") && n.ends_with(".log")),
            "{names:?}"
        );
    }
}
