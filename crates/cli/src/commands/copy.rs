//! `skyport cp`: files between this computer and the storage, either way, checked by MD5
//! (core's transfers). With -r, folders and everything in them; a recursive copy run again
//! skips the files already there whose size and MD5 match, so an interrupted copy resumes.
//! Progress goes to standard error on a terminal; Ctrl-C stops cleanly (no half file is
//! left under any name).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use skyport_core::error::{Coded as _, ErrorCode};
use skyport_core::vospace::client::{StorageClient, StorageError};
use skyport_core::vospace::transfer::{is_plain_name, md5_of_file, Control, Landing, Step};
use skyport_core::vospace::{NodeKind, NodePath};

use super::storage::{is_remote, open, remote, size};
use crate::cli::CpArgs;
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{json as print_json, out};

/// One file to copy.
#[derive(Debug)]
enum Job {
    Up { from: PathBuf, to: NodePath },
    Down { from: NodePath, to: PathBuf },
}

#[derive(Debug, Default, Serialize)]
struct Report {
    copied: Vec<Copied>,
    skipped: Vec<String>,
    failed: Vec<Failed>,
    #[serde(skip)]
    first_error: Option<ErrorCode>,
}

#[derive(Debug, Serialize)]
struct Copied {
    from: String,
    to: String,
    size: u64,
    md5: String,
}

#[derive(Debug, Serialize)]
struct Failed {
    path: String,
    error: String,
}

fn storage_error(e: StorageError) -> CliError {
    CliError::from_coded(&e)
}

fn local_name(p: &Path) -> CliResult<String> {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| CliError::usage(format!("{} names no file", p.display())))
}

pub async fn cp(ctx: &Ctx, a: &CpArgs) -> CliResult {
    let Some((dest, sources)) = a.paths.split_last() else {
        return Err(CliError::usage("name what to copy, then where"));
    };
    let up = is_remote(dest);
    if let Some(odd) = sources.iter().find(|s| is_remote(s) == up) {
        return Err(CliError::usage(if up {
            format!("{odd} is in the storage too: cp copies between this computer and the storage; within the storage use skyport mv")
        } else {
            format!("neither {odd} nor {dest} is in the storage: write storage paths arc:/home/USER/… (or PROFILE:/…)")
        }));
    }
    // Ctrl-C cancels the transfer under way, which cleans up after itself.
    let base = Control::default();
    let stop = base.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
            // A second Ctrl-C does not wait for the clean-up.
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let result = if up {
        upload(ctx, a, sources, dest, &base).await
    } else {
        download(ctx, a, sources, dest, &base).await
    };
    watcher.abort();
    let (report, to) = result?;
    if ctx.json {
        print_json(&report)?;
    } else {
        let bytes: u64 = report.copied.iter().map(|c| c.size).sum();
        let n = report.copied.len();
        let mut line = format!(
            "Copied {n} file{} ({}) to {to}",
            if n == 1 { "" } else { "s" },
            size(bytes)
        );
        if !report.skipped.is_empty() {
            line.push_str(&format!(
                "; {} already there (same MD5) skipped",
                report.skipped.len()
            ));
        }
        if !report.failed.is_empty() {
            line.push_str(&format!("; {} failed (above)", report.failed.len()));
        }
        out(&format!("{line}.\n"))?;
    }
    match report.first_error {
        Some(code) => Err(CliError::reported(code)),
        None => Ok(()),
    }
}

async fn upload(
    ctx: &Ctx,
    a: &CpArgs,
    sources: &[String],
    dest: &str,
    base: &Control,
) -> CliResult<(Report, String)> {
    let r = remote(Some(dest))?;
    let (client, dpath) = open(ctx, &r).await?;
    let into = client
        .stat(&dpath)
        .await
        .map_err(storage_error)?
        .is_some_and(|n| n.kind == NodeKind::Container);
    if sources.len() > 1 && !into {
        return Err(CliError::usage(format!(
            "{dest} is not a folder in the storage: to copy several files, name a folder (skyport mkdir makes one)"
        )));
    }
    let mut jobs = Vec::new();
    for s in sources {
        let from = PathBuf::from(s);
        let meta = std::fs::metadata(&from)
            .map_err(|e| CliError::new(ErrorCode::NotFound, format!("{}: {e}", from.display())))?;
        let target = if into {
            dpath
                .join(&local_name(&from)?)
                .map_err(|e| CliError::usage(e.to_string()))?
        } else {
            dpath.clone()
        };
        if meta.is_dir() {
            if !a.recursive {
                return Err(CliError::usage(format!(
                    "{s} is a folder: add -r to copy it with everything in it"
                )));
            }
            walk_local(&client, &from, &target, &mut jobs).await?;
        } else {
            jobs.push(Job::Up { from, to: target });
        }
    }
    let report = run(&client, jobs, a.recursive, base, ctx.json).await;
    Ok((report, format!("arc:{dpath}")))
}

/// Every file below the local folder `from`, to go below `to`; the remote folders made.
async fn walk_local(
    client: &StorageClient,
    from: &Path,
    to: &NodePath,
    jobs: &mut Vec<Job>,
) -> CliResult {
    match client.mkdir(to).await {
        Ok(()) | Err(StorageError::Exists { .. }) => {}
        Err(e) => return Err(storage_error(e)),
    }
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .map_err(|e| CliError::new(ErrorCode::Io, format!("{}: {e}", from.display())))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let target = to
            .join(&name)
            .map_err(|err| CliError::usage(format!("{}: {err}", path.display())))?;
        let kind = e
            .file_type()
            .map_err(|err| CliError::new(ErrorCode::Io, format!("{}: {err}", path.display())))?;
        if kind.is_dir() {
            Box::pin(walk_local(client, &path, &target, jobs)).await?;
        } else if kind.is_file() {
            jobs.push(Job::Up {
                from: path,
                to: target,
            });
        }
        // Symbolic links and special files are not copied.
    }
    Ok(())
}

async fn download(
    ctx: &Ctx,
    a: &CpArgs,
    sources: &[String],
    dest: &str,
    base: &Control,
) -> CliResult<(Report, String)> {
    let dest_path = PathBuf::from(dest);
    if dest.ends_with('/') && !dest_path.exists() {
        std::fs::create_dir_all(&dest_path)
            .map_err(|e| CliError::new(ErrorCode::Io, format!("{dest}: {e}")))?;
    }
    let into = dest_path.is_dir();
    if sources.len() > 1 && !into {
        return Err(CliError::usage(format!(
            "{dest} is not a folder: to copy several files, name a folder"
        )));
    }
    let mut report = Report::default();
    let mut shown_to = dest_path.display().to_string();
    for s in sources {
        let (client, spath) = open(ctx, &remote(Some(s))?).await?;
        let node = client
            .stat(&spath)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| {
                storage_error(StorageError::NotFound {
                    path: spath.to_string(),
                })
            })?;
        let target = if into {
            let name = if spath.is_root() { "arc" } else { spath.name() };
            dest_path.join(name)
        } else {
            dest_path.clone()
        };
        let mut jobs = Vec::new();
        match node.kind {
            NodeKind::Container if !a.recursive => {
                return Err(CliError::usage(format!(
                    "{s} is a folder: add -r to copy it with everything in it"
                )))
            }
            NodeKind::Container => walk_remote(&client, &spath, &target, &mut jobs).await?,
            _ => jobs.push(Job::Down {
                from: spath,
                to: target.clone(),
            }),
        }
        if sources.len() == 1 {
            shown_to = target.display().to_string();
        }
        let r = run(&client, jobs, a.recursive, base, ctx.json).await;
        report.copied.extend(r.copied);
        report.skipped.extend(r.skipped);
        report.failed.extend(r.failed);
        report.first_error = report.first_error.or(r.first_error);
        if report.first_error == Some(ErrorCode::Cancelled) {
            break;
        }
    }
    Ok((report, shown_to))
}

/// Every file below the remote folder `from`, to go below the local `to`; the local
/// folders made.
async fn walk_remote(
    client: &StorageClient,
    from: &NodePath,
    to: &Path,
    jobs: &mut Vec<Job>,
) -> CliResult {
    std::fs::create_dir_all(to)
        .map_err(|e| CliError::new(ErrorCode::Io, format!("{}: {e}", to.display())))?;
    let listing = client.list(from).await.map_err(storage_error)?;
    for child in listing.children {
        let name = child.path.name().to_string();
        // A name that is not one plain file name here never leads out of the folder.
        if !is_plain_name(&name) {
            crate::output::warn(&format!(
                "{} is not copied: its name cannot be a file name on this computer",
                child.path
            ));
            continue;
        }
        let target = to.join(&name);
        match child.kind {
            NodeKind::Container => {
                Box::pin(walk_remote(client, &child.path, &target, jobs)).await?
            }
            NodeKind::Data => jobs.push(Job::Down {
                from: child.path,
                to: target,
            }),
            // Links are not followed.
            NodeKind::Link => {}
        }
    }
    Ok(())
}

/// Whether the copy is there already: the same size and MD5 (a recursive copy run again).
async fn already_there(client: &StorageClient, job: &Job) -> bool {
    let (local, remote) = match job {
        Job::Up { from, to } => (from, to),
        Job::Down { from, to } => (to, from),
    };
    let Ok(meta) = std::fs::metadata(local) else {
        return false;
    };
    let Ok(Some(node)) = client.stat(remote).await else {
        return false;
    };
    if node.size != Some(meta.len()) || node.md5.is_none() {
        return false;
    }
    md5_of_file(local, &Control::default(), remote)
        .await
        .is_ok_and(|(_, m)| Some(m) == node.md5)
}

async fn run(
    client: &StorageClient,
    jobs: Vec<Job>,
    resume: bool,
    base: &Control,
    quiet: bool,
) -> Report {
    let mut report = Report::default();
    let shown = !quiet && std::io::stderr().is_terminal();
    for job in jobs {
        if base.cancelled() {
            report.first_error = Some(ErrorCode::Cancelled);
            break;
        }
        let (from, to) = match &job {
            Job::Up { from, to } => (from.display().to_string(), format!("arc:{to}")),
            Job::Down { from, to } => (format!("arc:{from}"), to.display().to_string()),
        };
        if resume && already_there(client, &job).await {
            report.skipped.push(to);
            continue;
        }
        let line = Arc::new(Mutex::new(Line::new(shown, &from)));
        let feed = line.clone();
        let ctl = base.clone().progress(move |s| {
            if let Ok(mut l) = feed.lock() {
                l.step(s);
            }
        });
        let done = match &job {
            Job::Up { from, to } => client.upload(from, to, &ctl).await.map(|d| (d.size, d.md5)),
            Job::Down { from, to } => {
                let dir = to.parent().unwrap_or(Path::new("."));
                let name = to
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                client
                    .download(from, dir, &name, Landing::Replace, &ctl)
                    .await
                    .map(|d| (d.size, d.md5))
            }
        };
        if let Ok(mut l) = line.lock() {
            l.clear();
        }
        match done {
            Ok((size, md5)) => report.copied.push(Copied {
                from,
                to,
                size,
                md5,
            }),
            Err(e) => {
                crate::output::error(&e.to_string());
                report.first_error.get_or_insert(e.code());
                let cancelled = e.code() == ErrorCode::Cancelled;
                report.failed.push(Failed {
                    path: from,
                    error: e.to_string(),
                });
                if cancelled {
                    break;
                }
            }
        }
    }
    report
}

/// The progress line of one file on a terminal, redrawn at most ten times a second.
struct Line {
    shown: bool,
    name: String,
    last: Option<Instant>,
}

impl Line {
    fn new(shown: bool, name: &str) -> Self {
        Self {
            shown,
            name: name.to_string(),
            last: None,
        }
    }

    fn step(&mut self, s: Step) {
        if !self.shown {
            return;
        }
        let text = skyport_core::vospace::view::step_words(s);
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now - t < Duration::from_millis(100))
            && !matches!(s, Step::Retrying { .. })
        {
            return;
        }
        self.last = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{}: {text}", self.name);
        let _ = err.flush();
    }

    fn clear(&mut self) {
        if self.shown && self.last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}
