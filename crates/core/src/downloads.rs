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
//! events and the user's answers, and shows [`Offer`]s.

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
}

impl Downloads {
    /// `staging`: a private folder of Skyport's own (emptied here: files from an earlier run
    /// that was never answered are not kept). `target`: the user's Downloads folder.
    pub fn new(staging: PathBuf, target: PathBuf) -> Self {
        let _ = std::fs::remove_dir_all(&staging);
        Self {
            staging,
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

    /// A page started a download of `url`, suggesting `suggested` as its name. Answers the id
    /// and the private path the transfer must be written to.
    pub fn begin(
        &mut self,
        url: &str,
        suggested: &str,
        source: String,
    ) -> Result<(u32, PathBuf), DownloadError> {
        let id = self.next;
        self.next += 1;
        let dir = self.staging.join(format!("{id}-{:08x}", fastrand::u32(..)));
        create_private_dir(&dir).map_err(DownloadError::Staging)?;
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
            },
        );
        Ok((id, staged))
    }

    /// The webview says a transfer ended. WebKit names the file on success and only the URL
    /// on failure, so the item is found by path first, else by the oldest running one of that
    /// URL. Answers its id and, when this ends it, how.
    pub fn transfer_ended(
        &mut self,
        url: &str,
        path: Option<&Path>,
        ok: bool,
    ) -> Option<(u32, Option<Settled>)> {
        let id = self
            .items
            .iter()
            .find(|(_, it)| it.transfer == Transfer::Running && path == Some(it.staged.as_path()))
            .or_else(|| {
                self.items
                    .iter()
                    .find(|(_, it)| it.transfer == Transfer::Running && it.url == url)
            })
            .map(|(id, _)| *id)?;
        if let Some(item) = self.items.get_mut(&id) {
            item.transfer = if ok && item.staged.is_file() {
                Transfer::Done
            } else {
                Transfer::Failed
            };
        }
        Some((id, self.settle(id)))
    }

    /// The user's answer. Answers how the download ended when this ends it (a "Save" of a
    /// file still arriving ends when it arrives).
    pub fn decide(&mut self, id: u32, save: bool) -> Result<Option<Settled>, DownloadError> {
        let item = self.items.get_mut(&id).ok_or(DownloadError::Unknown)?;
        if item.settled.is_some() {
            return Ok(None);
        }
        item.decision = if save {
            Decision::Save
        } else {
            Decision::Discard
        };
        Ok(self.settle(id))
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

    /// Ids of downloads that have not ended.
    pub fn open_ids(&self) -> Vec<u32> {
        self.items
            .iter()
            .filter(|(_, it)| it.settled.is_none())
            .map(|(id, _)| *id)
            .collect()
    }

    /// Forget an ended download (its prompt is gone).
    pub fn forget(&mut self, id: u32) {
        if self.items.get(&id).is_some_and(|it| it.settled.is_some()) {
            self.items.remove(&id);
        }
    }

    /// Act once both the transfer and the user are done.
    fn settle(&mut self, id: u32) -> Option<Settled> {
        let target = self.target.clone();
        let item = self.items.get_mut(&id)?;
        if item.settled.is_some() {
            return None;
        }
        item.delivery_error = None;
        let outcome = match (item.transfer, item.decision) {
            // "Don't save" ends it at once; WebKit may still be writing to the (then unlinked)
            // file, which the system frees when it lets go.
            (_, Decision::Discard) => Settled::Discarded,
            (Transfer::Running, _) | (Transfer::Done, Decision::Undecided) => return None,
            (Transfer::Failed, _) => Settled::Failed(format!(
                "The session stopped sending {} before it was complete. Try the download again \
                 from the session page.",
                item.file_name
            )),
            (Transfer::Done, Decision::Save) => {
                match deliver(&item.staged, &target, &item.file_name) {
                    Ok(path) => Settled::Saved(path),
                    Err(e) => {
                        // Keep the file and the question: the user can fix the folder and
                        // press Save again.
                        item.decision = Decision::Undecided;
                        item.delivery_error = Some(format!(
                            "Could not save {} in {}: {e}. Check that the folder exists, is \
                             writable and has free space, then press Save again.",
                            item.file_name,
                            target.display()
                        ));
                        return None;
                    }
                }
            }
        };
        if let Some(dir) = item.staged.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
        item.settled = Some(outcome.clone());
        Some(outcome)
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// A file name from what a page suggests: no folders, no control characters, not hidden,
/// not empty, at most 200 bytes.
pub fn safe_name(suggested: &str) -> String {
    let base = suggested.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean: String = base
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
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
    clean
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
/// A hard link claims the final name atomically (it fails if the name is taken); across file
/// systems the file is copied to a hidden temporary beside it first, so the final name only
/// ever shows a complete file.
fn deliver(staged: &Path, dir: &Path, name: &str) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut source = staged.to_path_buf();
    let mut temp: Option<PathBuf> = None;
    let result = (|| {
        for n in 0..10_000 {
            let dest = dir.join(candidate(name, n));
            match std::fs::hard_link(&source, &dest) {
                Ok(()) => {
                    #[cfg(unix)]
                    if let Ok(d) = std::fs::File::open(dir) {
                        let _ = d.sync_all();
                    }
                    return Ok(dest);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) if temp.is_none() && e.kind() != io::ErrorKind::PermissionDenied => {
                    // Another file system (EXDEV), or links not supported: copy next to the
                    // destination and link from there.
                    let t = dir.join(format!(".{name}.skyport-{:08x}", fastrand::u32(..)));
                    copy_synced(staged, &t)?;
                    source = t.clone();
                    temp = Some(t);
                    let again = std::fs::hard_link(&source, &dest);
                    match again {
                        Ok(()) => return Ok(dest),
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "too many files of that name",
        ))
    })();
    if let Some(t) = temp {
        let _ = std::fs::remove_file(t);
    }
    result
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
        assert_eq!(
            d.transfer_ended("http://h/f/summary.csv", Some(&staged), true),
            Some((id, None)),
            "complete, but the user has not answered"
        );
        let offer = d.offer(id).expect("offer");
        assert_eq!(offer.state, OfferState::Ready);
        assert_eq!(offer.bytes, 4.0);
        assert!(!tmp.path().join("Downloads/summary.csv").exists());

        let path = saved(d.decide(id, true).expect("decide"));
        assert_eq!(path, tmp.path().join("Downloads/summary.csv"));
        assert_eq!(std::fs::read(&path).expect("read"), b"a,b\n");
        assert!(!staged.exists(), "the staged copy is gone");
        assert_eq!(
            d.offer(id).expect("offer").state,
            OfferState::Saved {
                saved_as: "summary.csv".into()
            }
        );
        assert_eq!(
            d.decide(id, false).expect("late answer"),
            None,
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
        assert_eq!(d.decide(id, true).expect("decide"), None, "still arriving");
        assert_eq!(d.offer(id).expect("offer").decision, Decision::Save);
        let (_, settled) = d
            .transfer_ended("blob:http://h/uuid", Some(&staged), true)
            .expect("known");
        assert_eq!(saved(settled), tmp.path().join("Downloads/notes.txt"));
    }

    #[test]
    fn dont_save_deletes_the_file_whenever_it_arrives() {
        let (tmp, mut d) = book();
        let (id, staged) = arrive(&mut d, "http://h/big.fits", "big.fits", b"x");
        assert_eq!(
            d.decide(id, false).expect("decide"),
            Some(Settled::Discarded)
        );
        assert!(!staged.exists());
        // The webview reports the end later: nothing more happens.
        assert_eq!(
            d.transfer_ended("http://h/big.fits", None, true),
            Some((id, None))
        );
        assert!(!tmp.path().join("Downloads").join("big.fits").exists());
        assert_eq!(d.offer(id).expect("offer").state, OfferState::Discarded);
    }

    #[test]
    fn a_failed_transfer_is_reported_and_nothing_is_saved() {
        let (tmp, mut d) = book();
        let (id, _) = arrive(&mut d, "http://h/cube.fits", "cube.fits", b"partial");
        d.decide(id, true).expect("decide");
        // WebKit names no file when a transfer fails: found by URL.
        let (got, settled) = d
            .transfer_ended("http://h/cube.fits", None, false)
            .expect("known");
        assert_eq!(got, id);
        match settled {
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
        let path = saved(d.decide(id, true).expect("decide"));
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
        assert_eq!(d.decide(id, true).expect("decide"), None);
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
        let path = saved(d.decide(id, true).expect("retry"));
        assert_eq!(std::fs::read(path).expect("read"), b"data");
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
        assert!(copy_synced(&staged, &first).is_err(), "never overwrites");
    }

    #[test]
    fn suggested_names_are_made_safe() {
        assert_eq!(safe_name("summary.csv"), "summary.csv");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\temp\\x.fits"), "x.fits");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("a\u{7}b"), "a_b");
        assert_eq!(safe_name(""), "download");
        assert_eq!(safe_name(".."), "download");
        assert_eq!(safe_name(&"é".repeat(150)).len(), 200);
        assert_eq!(candidate("a.tar.gz", 2), "a.tar (2).gz");
        assert_eq!(candidate("README", 1), "README (1)");
    }

    #[test]
    fn staging_left_by_an_earlier_run_is_cleared() {
        let tmp = tempfile::tempdir().expect("tmp");
        let staging = tmp.path().join("staging");
        std::fs::create_dir_all(staging.join("1-abc")).expect("mkdir");
        std::fs::write(staging.join("1-abc/old.csv"), b"x").expect("write");
        let _ = Downloads::new(staging.clone(), tmp.path().join("Downloads"));
        assert!(!staging.join("1-abc").exists());
    }

    #[test]
    fn unknown_ids_say_what_to_do() {
        let (_tmp, mut d) = book();
        let e = d.decide(42, true).expect_err("unknown");
        assert!(e.to_string().contains("start it again"), "{e}");
        assert_eq!(d.transfer_ended("http://nowhere", None, true), None);
    }
}
