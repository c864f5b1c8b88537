//! Files that session pages download.
//!
//! A session page is remote and untrusted, so nothing it sends lands in the user's Downloads
//! folder unasked. Like a browser's "Save as" prompt, the transfer starts at once into a
//! private staging folder while the user is asked; the file reaches the Downloads folder only
//! when the user said "Save" *and* the transfer is complete. "Don't save" (or closing the
//! prompt) deletes it. Delivery never overwrites a file: `summary.csv` becomes
//! `summary (1).csv`, and the final name appears only once the whole file is there.
//!
//! [`Downloads`] is the book of these files; the desktop shell feeds it the webview's download
//! events and the user's answers, shows [`Offer`]s, and runs the file work a [`Step`] asks for
//! off the UI thread (a copy across file systems can take a while for a large cube).
//!
//! Each run stages under its own folder (`<staging>/<pid>`), so a second Skyport never
//! deletes what the first is receiving; folders of runs that have ended are cleared at start.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transfer {
    Running,
    Done,
    Failed,
}

/// What the user answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Undecided,
    Save,
    Discard,
}

/// What the prompt shows about a download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum OfferState {
    /// Still arriving.
    Downloading,
    /// Complete, waiting for the user.
    Ready,
    /// Being moved into the Downloads folder.
    Saving,
    /// Saved in the Downloads folder as `savedAs` (the name may differ when the first was
    /// taken).
    #[serde(rename_all = "camelCase")]
    Saved { saved_as: String },
    /// The user said no; the file is gone.
    Discarded,
    /// The transfer or the delivery failed; `message` says what to do next. `canRetry`: the
    /// file is kept and Save may be pressed again (the Downloads folder was the problem).
    #[serde(rename_all = "camelCase")]
    Failed { message: String, can_retry: bool },
}

/// One download as the prompt shows it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub id: u32,
    /// The name the page suggested, made safe for a file name.
    pub file_name: String,
    /// Who sends it: the session ("analysis — notebook") when known, else the page's origin.
    pub source: String,
    /// Bytes received so far (`f64` so the UI reads a plain number).
    pub bytes: f64,
    /// The folder it is saved into.
    pub folder: String,
    pub decision: Decision,
    #[serde(flatten)]
    pub state: OfferState,
}

/// How a download ended, for the one notification the shell shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Saved(PathBuf),
    Discarded,
    Failed(String),
}

/// What an event leads to: the download ended, or its file is to be delivered now.
#[derive(Debug)]
pub enum Step {
    Ended(Settled),
    Deliver(Delivery),
}

/// Moving one staged file into the Downloads folder: plain file work, run without the book
/// (see [`Downloads::delivered`] for the answer).
#[derive(Debug)]
pub struct Delivery {
    pub id: u32,
    staged: PathBuf,
    dir: PathBuf,
    name: String,
}

impl Delivery {
    pub fn run(&self) -> io::Result<PathBuf> {
        deliver(&self.staged, &self.dir, &self.name)
    }
}

/// At most this many downloads wait for an answer at once; a page starting more is refused.
pub const MAX_OPEN: usize = 5;

#[derive(Debug)]
struct Item {
    url: String,
    file_name: String,
    source: String,
    staged: PathBuf,
    transfer: Transfer,
    decision: Decision,
    settled: Option<Settled>,
    delivery_error: Option<String>,
    delivering: bool,
}

impl Item {
    /// The download has ended: its staging folder goes (a saved file lives on in Downloads).
    fn end(&mut self, outcome: Settled) {
        if let Some(dir) = self.staged.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
        self.settled = Some(outcome);
    }
}

/// The downloads of this run.
#[derive(Debug)]
pub struct Downloads {
    staging: PathBuf,
    target: PathBuf,
    next: u32,
    items: BTreeMap<u32, Item>,
}

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("That download is no longer known; start it again from the session page.")]
    Unknown,
    #[error("Could not prepare the download ({0}); check that Skyport's cache folder is writable and has free space.")]
    Staging(io::Error),
    #[error("A session page started more downloads than Skyport asks about at once ({MAX_OPEN}); answer those first, then start it again.")]
    TooMany,
}

impl Downloads {
    /// `staging`: a private folder of Skyport's own; this run stages in `<staging>/<pid>`, and
    /// folders of runs that have ended (never answered, or cut short) are deleted here.
    /// `target`: the user's Downloads folder.
    pub fn new(staging: PathBuf, target: PathBuf) -> Self {
        let me = std::process::id();
        if let Ok(entries) = std::fs::read_dir(&staging) {
            for e in entries.filter_map(Result::ok) {
                let name = e.file_name().to_string_lossy().into_owned();
                let stale = match name.parse::<u32>() {
                    Ok(pid) => pid == me || !run_alive(pid, &e.path()),
                    Err(_) => true,
                };
                if stale {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        Self {
            staging: staging.join(me.to_string()),
            target,
            next: 1,
            items: BTreeMap::new(),
        }
    }

    /// Name the sender better once it is known (the session rather than its origin).
    pub fn set_source(&mut self, id: u32, source: String) {
        if let Some(it) = self.items.get_mut(&id) {
            it.source = source;
        }
    }

    /// The Downloads folder.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The URL a download came from (to reopen its prompt).
    pub fn url(&self, id: u32) -> Option<&str> {
        self.items.get(&id).map(|it| it.url.as_str())
    }

    /// Whether a "Save" is still to be carried out (the app must not quit under it).
    pub fn saves_pending(&self) -> bool {
        self.items
            .values()
            .any(|it| it.settled.is_none() && (it.decision == Decision::Save || it.delivering))
    }

    /// A page started a download of `url`, suggesting `suggested` as its name. Answers the id
    /// and the private path the transfer must be written to.
    pub fn begin(
        &mut self,
        url: &str,
        suggested: &str,
        source: String,
    ) -> Result<(u32, PathBuf), DownloadError> {
        if self
            .items
            .values()
            .filter(|it| it.settled.is_none())
            .count()
            >= MAX_OPEN
        {
            return Err(DownloadError::TooMany);
        }
        let id = self.next;
        self.next += 1;
        let dir = self.staging.join(format!("{id}-{:08x}", fastrand::u32(..)));
        crate::fsutil::private_dir(&dir).map_err(DownloadError::Staging)?;
        let file_name = safe_name(suggested);
        let staged = dir.join(&file_name);
        self.items.insert(
            id,
            Item {
                url: url.to_string(),
                file_name,
                source,
                staged: staged.clone(),
                transfer: Transfer::Running,
                decision: Decision::Undecided,
                settled: None,
                delivery_error: None,
                delivering: false,
            },
        );
        Ok((id, staged))
    }

    /// The webview says a transfer ended. WebKit names the file on success and only the URL
    /// on failure: the item is found by its path, or (no path) as the oldest running transfer
    /// of that URL, a refused one included, so its end is not taken for a newer one's.
    /// Answers its id and what follows.
    pub fn transfer_ended(
        &mut self,
        url: &str,
        path: Option<&Path>,
        ok: bool,
    ) -> Option<(u32, Option<Step>)> {
        let running = |it: &&Item| it.transfer == Transfer::Running;
        let id = match path {
            Some(p) => self
                .items
                .iter()
                .find(|(_, it)| running(it) && it.staged == p)
                .map(|(id, _)| *id)?,
            None => self
                .items
                .iter()
                .find(|(_, it)| running(it) && it.url == url)
                .map(|(id, _)| *id)?,
        };
        if let Some(item) = self.items.get_mut(&id) {
            item.transfer = if ok && item.staged.is_file() {
                Transfer::Done
            } else {
                Transfer::Failed
            };
        }
        Some((id, self.settle(id)))
    }

    /// The user's answer. Answers what follows (a "Save" of a file still arriving waits for
    /// it).
    pub fn decide(&mut self, id: u32, save: bool) -> Result<Option<Step>, DownloadError> {
        let item = self.items.get_mut(&id).ok_or(DownloadError::Unknown)?;
        if item.settled.is_some() || item.delivering {
            return Ok(None);
        }
        item.decision = if save {
            Decision::Save
        } else {
            Decision::Discard
        };
        Ok(self.settle(id))
    }

    /// How a [`Delivery`] went. A failure keeps the file and asks again.
    pub fn delivered(&mut self, id: u32, result: io::Result<PathBuf>) -> Option<Settled> {
        let target = self.target.clone();
        let item = self.items.get_mut(&id)?;
        item.delivering = false;
        match result {
            Ok(path) => {
                item.end(Settled::Saved(path.clone()));
                Some(Settled::Saved(path))
            }
            Err(e) => {
                item.decision = Decision::Undecided;
                item.delivery_error = Some(format!(
                    "Could not save {} in {}: {e}. Check that the folder exists, is writable \
                     and has free space, then press Save again.",
                    item.file_name,
                    target.display()
                ));
                None
            }
        }
    }

    /// What the prompt shows now.
    pub fn offer(&self, id: u32) -> Option<Offer> {
        let it = self.items.get(&id)?;
        // WebKitGTK writes to `<name>.wkdownload` and renames it when complete.
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let mut partial = it.staged.clone().into_os_string();
        partial.push(".wkdownload");
        let bytes = size(&it.staged).max(size(Path::new(&partial)));
        let state = match (&it.settled, it.transfer, &it.delivery_error) {
            (Some(Settled::Saved(p)), _, _) => OfferState::Saved {
                saved_as: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            },
            (Some(Settled::Discarded), _, _) => OfferState::Discarded,
            (Some(Settled::Failed(m)), _, _) => OfferState::Failed {
                message: m.clone(),
                can_retry: false,
            },
            _ if it.delivering => OfferState::Saving,
            (None, _, Some(e)) => OfferState::Failed {
                message: e.clone(),
                can_retry: true,
            },
            (None, Transfer::Running, _) => OfferState::Downloading,
            (None, _, _) => OfferState::Ready,
        };
        Some(Offer {
            id,
            file_name: it.file_name.clone(),
            source: it.source.clone(),
            bytes: bytes as f64,
            folder: self.target.display().to_string(),
            decision: it.decision,
            state,
        })
    }

    /// Forget an ended download whose prompt is gone. One refused while WebKit still writes
    /// stays until its transfer ends, so that end is matched to it and not to a newer one.
    pub fn forget(&mut self, id: u32) {
        if self
            .items
            .get(&id)
            .is_some_and(|it| it.settled.is_some() && it.transfer != Transfer::Running)
        {
            self.items.remove(&id);
        }
    }

    /// Act once both the transfer and the user are done.
    fn settle(&mut self, id: u32) -> Option<Step> {
        let target = self.target.clone();
        let item = self.items.get_mut(&id)?;
        if item.settled.is_some() || item.delivering {
            return None;
        }
        let outcome = match (item.transfer, item.decision) {
            // "Don't save" ends it at once; WebKit may still be writing to the (then unlinked)
            // file, which the system frees when it lets go.
            (_, Decision::Discard) => Settled::Discarded,
            (Transfer::Failed, _) => Settled::Failed(format!(
                "The session stopped sending {} before it was complete. Try the download again \
                 from the session page.",
                item.file_name
            )),
            (Transfer::Running, _) | (Transfer::Done, Decision::Undecided) => return None,
            (Transfer::Done, Decision::Save) => {
                item.delivering = true;
                item.delivery_error = None;
                return Some(Step::Deliver(Delivery {
                    id,
                    staged: item.staged.clone(),
                    dir: target,
                    name: item.file_name.clone(),
                }));
            }
        };
        item.end(outcome.clone());
        Some(Step::Ended(outcome))
    }
}

/// Whether the run that staged in a folder may still be going: its process exists (Linux), or
/// (elsewhere) the folder changed within a week.
fn run_alive(pid: u32, dir: &Path) -> bool {
    if cfg!(target_os = "linux") {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < std::time::Duration::from_secs(7 * 24 * 3600))
}

/// A file name from what a page suggests: no folders, no control or invisible formatting
/// characters (a right-to-left override can fake an extension), none that Windows refuses,
/// not hidden, not empty, at most 200 bytes.
pub fn safe_name(suggested: &str) -> String {
    let base = suggested.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean: String = base
        .chars()
        .map(|c| {
            if c.is_control() || is_format_char(c) || "<>:\"|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() {
        return "download".into();
    }
    if clean.len() > 200 {
        let mut cut = 200;
        while !clean.is_char_boundary(cut) {
            cut -= 1;
        }
        clean.truncate(cut);
    }
    if cfg!(windows) {
        let stem = clean
            .split('.')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
            || ((stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.len() == 4
                && stem.ends_with(|c: char| c.is_ascii_digit()));
        if reserved {
            clean.insert(0, '_');
        }
    }
    clean
}

/// Unicode format characters (category Cf) that change how a name reads without showing.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// `name`, or `stem (n).ext` for the first n that is free.
fn candidate(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_string();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// Move `staged` into `dir` under `name` or the first free variant, never replacing a file.
/// A hard link claims the final name atomically (it fails if the name is taken). Across file
/// systems the file is first copied to a hidden temporary beside the destination and linked
/// from there, so the final name only ever shows a complete file. Where the destination has
/// no hard links at all (FAT, some network shares) the final name is created exclusively and
/// filled in. Each step that fails hands over to the next; the last error is reported.
fn deliver(staged: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    if let Ok(p) = claim_by_link(staged, dir, name) {
        return Ok(p);
    }
    let temp = dir.join(format!(".{name}.skyport-partial-{:08x}", fastrand::u32(..)));
    copy_synced(staged, &temp)?;
    let result = claim_by_link(&temp, dir, name).or_else(|_| claim_by_copy(&temp, dir, name));
    let _ = std::fs::remove_file(&temp);
    result
}

/// The first free `name` variant in `dir`, made to exist by `make` (which must fail with
/// `AlreadyExists` when the name is taken).
fn claim(
    dir: &Path,
    name: &str,
    mut make: impl FnMut(&Path) -> io::Result<()>,
) -> io::Result<PathBuf> {
    for n in 0..10_000 {
        let dest = dir.join(candidate(name, n));
        match make(&dest) {
            Ok(()) => {
                #[cfg(unix)]
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
                return Ok(dest);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "too many files of that name",
    ))
}

/// Give `staged`, a complete file in `dir`, the first free variant of `name` there
/// (`x.csv`, `x (1).csv`, …), never replacing a file; the staged name goes. The rule of
/// every download Skyport saves.
pub fn claim_free_name(staged: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    let placed = claim_by_link(staged, dir, name).or_else(|_| claim_by_copy(staged, dir, name));
    if placed.is_ok() {
        let _ = std::fs::remove_file(staged);
    }
    placed
}

fn claim_by_link(src: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    claim(dir, name, |dest| std::fs::hard_link(src, dest))
}

fn claim_by_copy(src: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    claim(dir, name, |dest| copy_synced(src, dest))
}

fn copy_synced(from: &Path, to: &Path) -> io::Result<()> {
    let mut src = std::fs::File::open(from)?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    let r = io::copy(&mut src, &mut dst).and_then(|_| dst.sync_all());
    if r.is_err() {
        let _ = std::fs::remove_file(to);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> (tempfile::TempDir, Downloads) {
        let dir = tempfile::tempdir().expect("tmp");
        let d = Downloads::new(dir.path().join("staging"), dir.path().join("Downloads"));
        (dir, d)
    }

    fn arrive(d: &mut Downloads, url: &str, name: &str, body: &[u8]) -> (u32, PathBuf) {
        let (id, staged) = d
            .begin(url, name, "analysis — notebook".into())
            .expect("begin");
        std::fs::write(&staged, body).expect("transfer");
        (id, staged)
    }

    /// Carry out a step as the shell does (delivery off the book, then its answer).
    fn run(d: &mut Downloads, step: Option<Step>) -> Option<Settled> {
        match step {
            None => None,
            Some(Step::Ended(s)) => Some(s),
            Some(Step::Deliver(job)) => {
                assert_eq!(
                    d.offer(job.id).expect("offer").state,
                    OfferState::Saving,
                    "saving shows while the file moves"
                );
                let result = job.run();
                d.delivered(job.id, result)
            }
        }
    }

    fn saved(s: Option<Settled>) -> PathBuf {
        match s {
            Some(Settled::Saved(p)) => p,
            other => panic!("expected a saved file, got {other:?}"),
        }
    }

    #[test]
    fn nothing_reaches_downloads_until_the_user_says_save() {
        let (tmp, mut d) = book();
        let (id, staged) = arrive(&mut d, "http://h/f/summary.csv", "summary.csv", b"a,b\n");
        assert!(staged.starts_with(tmp.path().join("staging")));
        assert_eq!(d.offer(id).expect("offer").state, OfferState::Downloading);
        let (got, step) = d
            .transfer_ended("http://h/f/summary.csv", Some(&staged), true)
            .expect("known");
        assert_eq!(got, id);
        assert!(step.is_none(), "complete, but the user has not answered");
        let offer = d.offer(id).expect("offer");
        assert_eq!(offer.state, OfferState::Ready);
        assert_eq!(offer.bytes, 4.0);
        assert!(!tmp.path().join("Downloads/summary.csv").exists());

        let step = d.decide(id, true).expect("decide");
        assert!(d.saves_pending(), "a save is under way");
        assert!(
            d.decide(id, true).expect("twice").is_none(),
            "Save twice delivers once"
        );
        let path = saved(run(&mut d, step));
        assert_eq!(path, tmp.path().join("Downloads/summary.csv"));
        assert_eq!(std::fs::read(&path).expect("read"), b"a,b\n");
        assert!(!staged.exists(), "the staged copy is gone");
        assert!(!d.saves_pending());
        assert_eq!(
            d.offer(id).expect("offer").state,
            OfferState::Saved {
                saved_as: "summary.csv".into()
            }
        );
        assert!(
            d.decide(id, false).expect("late answer").is_none(),
            "ended stays ended"
        );
        assert!(path.exists());
        d.forget(id);
        assert!(d.offer(id).is_none());
    }

    #[test]
    fn save_before_the_transfer_ends_saves_when_it_ends() {
        let (tmp, mut d) = book();
        let (id, staged) = arrive(&mut d, "blob:http://h/uuid", "notes.txt", b"notes");
        assert!(
            d.decide(id, true).expect("decide").is_none(),
            "still arriving"
        );
        assert_eq!(d.offer(id).expect("offer").decision, Decision::Save);
        let (_, step) = d
            .transfer_ended("blob:http://h/uuid", Some(&staged), true)
            .expect("known");
        assert_eq!(
            saved(run(&mut d, step)),
            tmp.path().join("Downloads/notes.txt")
        );
    }

    #[test]
    fn dont_save_deletes_the_file_and_its_end_is_not_taken_for_a_retry() {
        let (tmp, mut d) = book();
        let (id, staged) = arrive(&mut d, "http://h/big.fits", "big.fits", b"x");
        assert!(matches!(
            d.decide(id, false).expect("decide"),
            Some(Step::Ended(Settled::Discarded))
        ));
        assert!(!staged.exists());
        // Forgotten when the prompt closes, but kept until WebKit reports the end...
        d.forget(id);
        assert!(d.offer(id).is_some());
        // ...while the user starts the same download again.
        let (retry, retry_staged) = arrive(&mut d, "http://h/big.fits", "big.fits", b"y");
        // The refused transfer fails (its folder is gone): WebKit names no file.
        let (got, step) = d
            .transfer_ended("http://h/big.fits", None, false)
            .expect("known");
        assert_eq!(
            got, id,
            "the old transfer's end belongs to the old download"
        );
        assert!(step.is_none());
        d.forget(id);
        assert!(d.offer(id).is_none());
        assert_eq!(
            d.offer(retry).expect("retry").state,
            OfferState::Downloading
        );
        let (_, step) = d
            .transfer_ended("http://h/big.fits", Some(&retry_staged), true)
            .expect("retry ends");
        assert!(step.is_none());
        assert!(!tmp.path().join("Downloads").join("big.fits").exists());
        // A path nobody staged is nobody's.
        assert!(d
            .transfer_ended(
                "http://h/big.fits",
                Some(Path::new("/elsewhere/big.fits")),
                true
            )
            .is_none());
    }

    #[test]
    fn a_failed_transfer_is_reported_and_nothing_is_saved() {
        let (tmp, mut d) = book();
        let (id, _) = arrive(&mut d, "http://h/cube.fits", "cube.fits", b"partial");
        assert!(d.decide(id, true).expect("decide").is_none());
        let (got, step) = d
            .transfer_ended("http://h/cube.fits", None, false)
            .expect("known");
        assert_eq!(got, id);
        match run(&mut d, step) {
            Some(Settled::Failed(m)) => assert!(m.contains("Try the download again"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(!tmp.path().join("Downloads/cube.fits").exists());
        assert!(matches!(
            d.offer(id).expect("offer").state,
            OfferState::Failed {
                can_retry: false,
                ..
            }
        ));
    }

    #[test]
    fn existing_files_are_never_replaced() {
        let (tmp, mut d) = book();
        let downloads = tmp.path().join("Downloads");
        std::fs::create_dir_all(&downloads).expect("mkdir");
        std::fs::write(downloads.join("summary.csv"), b"precious").expect("write");
        std::fs::write(downloads.join("summary (1).csv"), b"precious too").expect("write");
        let (id, staged) = arrive(&mut d, "http://h/s", "summary.csv", b"new");
        d.transfer_ended("http://h/s", Some(&staged), true);
        let step = d.decide(id, true).expect("decide");
        let path = saved(run(&mut d, step));
        assert_eq!(path, downloads.join("summary (2).csv"));
        assert_eq!(
            std::fs::read(downloads.join("summary.csv")).expect("r"),
            b"precious"
        );
        let names: Vec<_> = std::fs::read_dir(&downloads)
            .expect("ls")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "no temporaries left: {names:?}");
    }

    #[test]
    fn a_broken_downloads_folder_keeps_the_file_and_the_question() {
        let (tmp, mut d) = book();
        // A file where the folder should be: fails for every user, root included.
        let downloads = tmp.path().join("Downloads");
        std::fs::write(&downloads, b"not a folder").expect("write");
        let (id, staged) = arrive(&mut d, "http://h/s", "s.csv", b"data");
        d.transfer_ended("http://h/s", Some(&staged), true);
        let step = d.decide(id, true).expect("decide");
        assert_eq!(run(&mut d, step), None);
        let offer = d.offer(id).expect("offer");
        match &offer.state {
            OfferState::Failed { message, can_retry } => {
                assert!(message.contains("press Save again"), "{message}");
                assert!(can_retry);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(offer.decision, Decision::Undecided);
        assert!(staged.exists(), "the file is kept");
        std::fs::remove_file(&downloads).expect("rm");
        let step = d.decide(id, true).expect("retry");
        assert_eq!(
            std::fs::read(saved(run(&mut d, step))).expect("read"),
            b"data"
        );
    }

    #[test]
    fn a_page_cannot_open_prompts_without_end() {
        let (_tmp, mut d) = book();
        for i in 0..MAX_OPEN {
            arrive(&mut d, &format!("http://h/{i}"), "f.bin", b"x");
        }
        let e = d
            .begin("http://h/more", "f.bin", "x".into())
            .expect_err("too many");
        assert!(matches!(e, DownloadError::TooMany));
        assert!(e.to_string().contains("answer those first"), "{e}");
        // Answering one makes room.
        assert!(d.decide(1, false).expect("decide").is_some());
        assert!(d.begin("http://h/more", "f.bin", "x".into()).is_ok());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn delivery_across_file_systems_copies_then_links() {
        use std::os::unix::fs::MetadataExt;
        // /dev/shm is a tmpfs on Linux; the temp dir is usually elsewhere.
        let Ok(shm) = tempfile::tempdir_in("/dev/shm") else {
            eprintln!("no /dev/shm here: the cross-file-system path is not exercised");
            return;
        };
        let tmp = tempfile::tempdir().expect("tmp");
        let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).expect("stat");
        if dev(shm.path()) == dev(tmp.path()) {
            eprintln!("/dev/shm and the temp dir share a file system: not exercised");
            return;
        }
        let staged = shm.path().join("cube.fits");
        std::fs::write(&staged, b"0123456789").expect("write");
        let dir = tmp.path().join("Downloads");
        let first = deliver(&staged, &dir, "cube.fits").expect("deliver");
        let second = deliver(&staged, &dir, "cube.fits").expect("deliver again");
        assert_eq!(first, dir.join("cube.fits"));
        assert_eq!(second, dir.join("cube (1).fits"));
        assert_eq!(std::fs::read(&second).expect("read"), b"0123456789");
        let names: Vec<_> = std::fs::read_dir(&dir).expect("ls").collect();
        assert_eq!(names.len(), 2, "no hidden temporaries left");
    }

    #[test]
    fn without_hard_links_the_name_is_claimed_by_an_exclusive_copy() {
        let tmp = tempfile::tempdir().expect("tmp");
        let src = tmp.path().join("src.bin");
        std::fs::write(&src, b"payload").expect("write");
        let dir = tmp.path().join("out");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("a.bin"), b"precious").expect("write");
        let p = claim_by_copy(&src, &dir, "a.bin").expect("copy");
        assert_eq!(p, dir.join("a (1).bin"));
        assert_eq!(std::fs::read(&p).expect("read"), b"payload");
        assert_eq!(std::fs::read(dir.join("a.bin")).expect("read"), b"precious");
        assert!(copy_synced(&src, &p).is_err(), "never overwrites");
    }

    #[test]
    fn suggested_names_are_made_safe() {
        assert_eq!(safe_name("summary.csv"), "summary.csv");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\temp\\x.fits"), "x.fits");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("a\u{7}b"), "a_b");
        assert_eq!(safe_name("report\u{202E}fdp.exe"), "report_fdp.exe");
        assert_eq!(safe_name("a:b?.txt"), "a_b_.txt");
        assert_eq!(safe_name(""), "download");
        assert_eq!(safe_name(".."), "download");
        assert_eq!(safe_name(&"é".repeat(150)).len(), 200);
        assert_eq!(candidate("a.tar.gz", 2), "a.tar (2).gz");
        assert_eq!(candidate("README", 1), "README (1)");
    }

    #[test]
    fn only_staging_of_ended_runs_is_cleared() {
        let tmp = tempfile::tempdir().expect("tmp");
        let staging = tmp.path().join("staging");
        // A run that ended (no such process), an old layout, and a live run (pid 1).
        for dir in ["4000000000", "1-abc", "1"] {
            std::fs::create_dir_all(staging.join(dir)).expect("mkdir");
            std::fs::write(staging.join(dir).join("f.csv"), b"x").expect("write");
        }
        let d = Downloads::new(staging.clone(), tmp.path().join("Downloads"));
        assert!(!staging.join("4000000000").exists());
        assert!(!staging.join("1-abc").exists());
        if cfg!(target_os = "linux") {
            assert!(
                staging.join("1/f.csv").exists(),
                "another running Skyport's files are left alone"
            );
        }
        assert!(d.staging.ends_with(std::process::id().to_string()));
    }

    #[test]
    fn unknown_ids_say_what_to_do() {
        let (_tmp, mut d) = book();
        let e = d.decide(42, true).expect_err("unknown");
        assert!(e.to_string().contains("start it again"), "{e}");
        assert!(d.transfer_ended("http://nowhere", None, true).is_none());
    }
}
