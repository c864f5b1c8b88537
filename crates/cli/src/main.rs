//! `skyport`: every session and credential action from a shell, on skyport-core.
//!
//! Data goes to standard output, messages to standard error; the exit codes are listed in
//! `skyport --help` ([`cli::EXIT_CODES`]) and come from core's `ErrorCode::exit_code()`.

mod cli;
mod commands;
mod ctx;
mod error;
mod output;
mod prompt;

use clap::Parser;

fn main() {
    // A bug must never show a backtrace to the user: one line, and the failure exit code.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error in skyport ({msg}{at}); please report it");
        std::process::exit(1);
    }));

    // Usage errors exit 2 (clap's convention); --help and --version exit 0.
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => e.exit(),
    };

    let _log = logging(cli.verbose);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let result = rt.block_on(commands::run(&cli));
    drop(rt);
    if let Err(e) = result {
        if !e.message.is_empty() {
            eprintln!("error: {}", e.message);
        }
        std::process::exit(e.exit_code());
    }
}

/// `-v` logs to stderr and the log folder; without it only `SKYPORT_LOG` turns logging on
/// (to stderr), so a plain `skyport ps` starts as fast as it can.
fn logging(verbose: u8) -> Option<skyport_core::logging::LogGuard> {
    use skyport_core::logging::{init, LOG_ENV};
    let from_env = std::env::var_os(LOG_ENV).is_some_and(|v| !v.is_empty());
    if verbose == 0 && !from_env {
        return None;
    }
    if verbose > 1 && !from_env {
        // Only this process reads it, before any thread is started.
        std::env::set_var(LOG_ENV, "debug");
    }
    if verbose == 0 {
        return Some(init("skyport", None));
    }
    let dir = skyport_core::paths::Paths::from_env()
        .ok()
        .map(|p| p.log_dir())
        .filter(|d| std::fs::create_dir_all(d).is_ok());
    Some(init("skyport", dir.as_deref()))
}
