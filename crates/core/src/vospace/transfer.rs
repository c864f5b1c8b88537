//! The bytes: upload and download through the service's `/files` route (vospace.md §4.1),
//! streamed a piece at a time whatever the size, with progress and cancel.
//!
//! Both ways the MD5 is checked: an upload sends `Digest: md5=…` and cavern answers 412
//! when what it wrote differs; a download compares what arrived with the `Digest` the
//! service sent. A damaged copy is tried again, then fails loudly, and no file is left under
//! the final name: an upload is written to a hidden name beside the target and moved onto
//! it only once whole and checked (cavern truncates a failed write in place, so writing the
//! target directly would destroy the file it replaces); a download is written to a hidden
//! name in the destination folder and renamed. cavern has no ranges, so a transfer cut off
//! starts again from its first byte.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use md5::Digest as _;
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::client::{StorageClient, StorageError};
use super::path::NodePath;

/// The size of the pieces read and sent.
const PIECE: usize = 1024 * 1024;
/// A transfer may take this long in all (the client's 30 s is for API calls).
const WHOLE: Duration = Duration::from_secs(24 * 3600);
/// A download that receives nothing for this long is cut off and tried again.
const STALL: Duration = Duration::from_secs(60);

/// Where a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the local file for its checksum.
    Checking {
        done: u64,
        total: u64,
    },
    Sending {
        done: u64,
        total: u64,
    },
    /// `total` when the service said it.
    Receiving {
        done: u64,
        total: Option<u64>,
    },
    /// Starting again after a failure (attempt 2, 3, …).
    Retrying {
        attempt: u32,
    },
}

/// How a caller follows and stops a transfer.
#[derive(Clone, Default)]
pub struct Control {
    progress: Option<Arc<dyn Fn(Step) + Send + Sync>>,
    cancel: Arc<AtomicBool>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

impl Control {
    pub fn with_progress(progress: impl Fn(Step) + Send + Sync + 'static) -> Self {
        Self::default().progress(progress)
    }

    /// The same control (a clone cancels it too), telling `progress` each step.
    pub fn progress(mut self, progress: impl Fn(Step) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Stop the transfer at its next piece; it ends with [`StorageError::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    fn tell(&self, step: Step) {
        if let Some(p) = &self.progress {
            p(step);
        }
    }
}

/// A transfer done: where the file is, its size and MD5 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done<P> {
    pub path: P,
    pub size: u64,
    pub md5: String,
}

/// How a download lands in its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// Under the name given, replacing a file there (`skyport cp`).
    Replace,
    /// Under the first free variant of the name (`x (1).fits`): never over a file.
    KeepBoth,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `md5=<base64>` → hex, from a `Digest` header.
pub(crate) fn digest_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let v = headers.get("digest")?.to_str().ok()?;
    v.split(',').find_map(|part| {
        let (alg, val) = part.trim().split_once('=')?;
        if !alg.eq_ignore_ascii_case("md5") {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(val.trim())
            .ok()?;
        (bytes.len() == 16).then(|| hex(&bytes))
    })
}

fn local(path: &Path, e: impl std::fmt::Display) -> StorageError {
    StorageError::Local {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// The MD5 (hex) of a local file, read a piece at a time.
pub async fn md5_of_file(
    path: &Path,
    ctl: &Control,
    label: &NodePath,
) -> Result<(u64, String), StorageError> {
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| local(path, e))?;
    let total = f.metadata().await.map_err(|e| local(path, e))?.len();
    let mut md5 = md5::Md5::new();
    let mut buf = vec![0u8; PIECE];
    let mut done = 0u64;
    loop {
        if ctl.cancelled() {
            return Err(StorageError::Cancelled {
                path: label.to_string(),
                done: "uploaded",
            });
        }
        let n = f.read(&mut buf).await.map_err(|e| local(path, e))?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        done += n as u64;
        ctl.tell(Step::Checking { done, total });
    }
    Ok((done, hex(&md5.finalize())))
}

/// A hidden name beside `target` for its bytes in transit (its name cut to 100 bytes, so
/// that a long name still fits the file systems' 255).
fn hidden_beside(name: &str, what: &str) -> String {
    let mut cut = name.len().min(100);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".{}.skyport-{what}-{:08x}", &name[..cut], fastrand::u32(..))
}

/// Whether `name` is one plain file name here: no folder part, no drive, not `.` or `..`
/// (a name from the storage is anyone's choice, and must not lead out of the folder).
pub fn is_plain_name(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(n)), None) if n == std::ffi::OsStr::new(name)
    ) && !name.contains(['/', '\\', '\0'])
        && !(cfg!(windows) && name.contains(':'))
}

/// Why one attempt failed: worth another try, or not.
enum Attempt {
    Again(StorageError),
    Stop(StorageError),
}

impl StorageClient {
    /// Upload the local file `from` to the file `to` (replacing one there), checked by MD5.
    pub async fn upload(
        &self,
        from: &Path,
        to: &NodePath,
        ctl: &Control,
    ) -> Result<Done<NodePath>, StorageError> {
        let meta = tokio::fs::metadata(from)
            .await
            .map_err(|e| local(from, e))?;
        if !meta.is_file() {
            return Err(local(from, "not a file"));
        }
        let parent = to.parent().ok_or_else(|| StorageError::IsFolder {
            path: to.to_string(),
            hint: ": name a file in it".into(),
        })?;
        let existing = self.stat(to).await?;
        if existing
            .as_ref()
            .is_some_and(|n| n.kind == super::NodeKind::Container)
        {
            return Err(StorageError::IsFolder {
                path: to.to_string(),
                hint: format!(
                    ": upload into it as {}",
                    to.join(&from.file_name().unwrap_or_default().to_string_lossy())
                        .map(|p| p.to_string())
                        .unwrap_or_else(|_| "a file in it".into())
                ),
            });
        }
        match self.stat(&parent).await? {
            // cavern makes the (empty) file before it checks the right to write: asked
            // first, so that a refused upload leaves nothing behind.
            Some(p) if p.writable == Some(false) => {
                return Err(StorageError::Denied {
                    path: parent.to_string(),
                    detail: "you may read this folder, not write in it".into(),
                })
            }
            Some(p) if p.kind == super::NodeKind::Container => {}
            Some(_) => {
                return Err(StorageError::IsFolder {
                    path: parent.to_string(),
                    hint: " not: it is a file".into(),
                })
            }
            None => {
                return Err(StorageError::NoFolder {
                    path: parent.to_string(),
                })
            }
        }
        // Refused before a byte is sent when the allocation cannot hold it. The new copy
        // arrives beside the file it replaces, so it needs its whole size free.
        let size = meta.len();
        let (root, usage) = self.usage(to).await?;
        if let Some(free) = usage.free() {
            if size > free {
                return Err(over_quota(&root, to, free, size));
            }
        }
        let (size, md5) = md5_of_file(from, ctl, to).await?;
        let temp = parent
            .join(&hidden_beside(to.name(), "upload"))
            .map_err(|e| local(from, e))?;
        let sent = self.put_checked(from, &temp, size, &md5, ctl, &root).await;
        if let Err(e) = sent {
            let _ = self.delete(&temp).await;
            return Err(match e {
                StorageError::Corrupted { detail, tries, .. } => StorageError::Corrupted {
                    path: to.to_string(),
                    detail,
                    tries,
                },
                StorageError::OverQuota { free, size, .. } => over_quota(&root, to, free, size),
                other => other,
            });
        }
        if existing.is_none() {
            return match self.rename(&temp, to).await {
                Ok(_) => Ok(Done {
                    path: to.clone(),
                    size,
                    md5,
                }),
                Err(e) => Err(kept_under(&temp, to, e)),
            };
        }
        // Replacing: the old file steps aside under a hidden name, the new one takes its
        // name, then the old one goes. Whatever fails, one of the two keeps the name or is
        // named in the error.
        let backup = parent
            .join(&hidden_beside(to.name(), "old"))
            .map_err(|e| local(from, e))?;
        if let Err(e) = self.rename(to, &backup).await {
            let _ = self.delete(&temp).await;
            return Err(e);
        }
        if let Err(e) = self.rename(&temp, to).await {
            return Err(match self.rename(&backup, to).await {
                Ok(_) => {
                    let _ = self.delete(&temp).await;
                    e
                }
                Err(_) => StorageError::MoveFailed {
                    from: temp.to_string(),
                    to: to.to_string(),
                    detail: format!(
                        "{e} The new copy is complete under the hidden name {temp}, the old file under {backup}."
                    ),
                },
            });
        }
        // An overwrite in place would have kept who may read it: so does the swap.
        if let Some(old) = existing.as_ref().filter(|n| n.is_shared()) {
            if let Err(e) = self.share_like(to, old).await {
                tracing::warn!(%to, "the new copy is not shared as the old one was: {e}");
            }
        }
        match self.delete(&backup).await {
            // A retried delete may find it gone already.
            Ok(()) | Err(StorageError::NotFound { .. }) => {}
            Err(e) => {
                tracing::warn!(%backup, "the replaced file was left under a hidden name: {e}")
            }
        }
        Ok(Done {
            path: to.clone(),
            size,
            md5,
        })
    }

    /// PUT the file at `to`, sent again after a dropped connection, a 503 or a damaged copy.
    async fn put_checked(
        &self,
        from: &Path,
        to: &NodePath,
        size: u64,
        md5: &str,
        ctl: &Control,
        root: &NodePath,
    ) -> Result<(), StorageError> {
        let url = self.file_url(to)?;
        let digest = format!(
            "md5={}",
            base64::engine::general_purpose::STANDARD.encode(
                (0..16)
                    .filter_map(|i| u8::from_str_radix(md5.get(2 * i..2 * i + 2)?, 16).ok())
                    .collect::<Vec<u8>>()
            )
        );
        let (url, digest) = (&url, &digest);
        self.retrying(ctl, || async move {
            let file = tokio::fs::File::open(from)
                .await
                .map_err(|e| Attempt::Stop(local(from, e)))?;
            self.put_once(file, url.clone(), size, digest, md5, ctl, to, root)
                .await
        })
        .await
    }

    /// `once` run again after a failure worth another try, with backoff (a 503's
    /// `Retry-After` when it gives one), until it succeeds, stops, or the attempts are spent;
    /// a damaged copy's error then says how many times it was tried.
    async fn retrying<T, F, Fut>(&self, ctl: &Control, once: F) -> Result<T, StorageError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Attempt>>,
    {
        let mut delay = self.retry.first_delay;
        let mut attempt = 1;
        loop {
            if attempt > 1 {
                ctl.tell(Step::Retrying { attempt });
            }
            let e = match once().await {
                Ok(v) => return Ok(v),
                Err(Attempt::Stop(e)) => return Err(e),
                Err(Attempt::Again(e)) => e,
            };
            if attempt >= self.retry.attempts {
                return Err(match e {
                    StorageError::Corrupted { path, detail, .. } => StorageError::Corrupted {
                        path,
                        detail,
                        tries: attempt,
                    },
                    other => other,
                });
            }
            let wait = match &e {
                StorageError::Busy {
                    retry_after: Some(a),
                } => *a,
                _ => delay,
            };
            tokio::time::sleep(wait.min(self.retry.max_delay)).await;
            delay = (delay * 2).min(self.retry.max_delay);
            attempt += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn put_once(
        &self,
        file: tokio::fs::File,
        url: url::Url,
        size: u64,
        digest: &str,
        md5: &str,
        ctl: &Control,
        to: &NodePath,
        root: &NodePath,
    ) -> Result<(), Attempt> {
        let cancelled = || StorageError::Cancelled {
            path: to.to_string(),
            done: "uploaded",
        };
        let pieces = {
            let ctl = ctl.clone();
            futures_util::stream::try_unfold((file, 0u64), move |(mut f, done)| {
                let ctl = ctl.clone();
                async move {
                    if ctl.cancelled() {
                        return Err(std::io::Error::other("cancelled"));
                    }
                    let mut buf = vec![0u8; PIECE];
                    let n = f.read(&mut buf).await?;
                    if n == 0 {
                        return Ok(None);
                    }
                    buf.truncate(n);
                    let done = done + n as u64;
                    ctl.tell(Step::Sending { done, total: size });
                    Ok(Some((bytes::Bytes::from(buf), (f, done))))
                }
            })
        };
        ctl.tell(Step::Sending {
            done: 0,
            total: size,
        });
        let sent = self
            .request(Method::PUT, url)
            .header("Accept", "*/*")
            .header("Content-Type", "application/octet-stream")
            .header("Content-Length", size)
            .header("Digest", digest)
            .timeout(WHOLE)
            .body(reqwest::Body::wrap_stream(pieces))
            .send()
            .await;
        if ctl.cancelled() {
            return Err(Attempt::Stop(cancelled()));
        }
        let resp = match sent {
            Ok(r) => r,
            Err(e) if e.is_builder() => return Err(Attempt::Stop(self.unreachable(&e))),
            Err(e) => return Err(Attempt::Again(self.unreachable(&e))),
        };
        let status = resp.status();
        if status.is_success() {
            // cavern answers the digest of what it wrote.
            return match digest_of(resp.headers()) {
                Some(theirs) if theirs != md5 => Err(Attempt::Again(StorageError::Corrupted {
                    path: to.to_string(),
                    detail: format!("the storage holds MD5 {theirs}, the file has {md5}"),
                    tries: 1,
                })),
                _ => Ok(()),
            };
        }
        match status {
            StatusCode::PRECONDITION_FAILED => {
                let text = crate::http::read_error_text(resp).await.unwrap_or_default();
                Err(Attempt::Again(StorageError::Corrupted {
                    path: to.to_string(),
                    detail: text.trim().chars().take(200).collect(),
                    tries: 1,
                }))
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                let text = crate::http::read_error_text(resp).await.unwrap_or_default();
                let free = super::client::fault(&text)
                    .1
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0);
                Err(Attempt::Stop(over_quota(root, to, free, size)))
            }
            StatusCode::SERVICE_UNAVAILABLE => Err(Attempt::Again(StorageError::Busy {
                retry_after: crate::http::retry_after(resp.headers()),
            })),
            _ => Err(Attempt::Stop(self.refused(to, resp).await)),
        }
    }

    /// Download the file `from` into the folder `dir` as `name`, checked by MD5.
    pub async fn download(
        &self,
        from: &NodePath,
        dir: &Path,
        name: &str,
        landing: Landing,
        ctl: &Control,
    ) -> Result<Done<PathBuf>, StorageError> {
        if !is_plain_name(name) {
            return Err(local(
                &dir.join(name),
                "not a plain file name here; Skyport writes no file outside the folder chosen",
            ));
        }
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| local(dir, e))?;
        let temp = dir.join(hidden_beside(name, "partial"));
        // The hidden file goes whatever happens, unless it became the download.
        struct Cleanup(PathBuf, bool);
        impl Drop for Cleanup {
            fn drop(&mut self) {
                if !self.1 {
                    let _ = std::fs::remove_file(&self.0);
                }
            }
        }
        let mut cleanup = Cleanup(temp.clone(), false);
        let url = self.file_url(from)?;
        let (url, temp_ref) = (&url, &temp);
        let (size, md5) = self
            .retrying(ctl, || async move {
                self.get_once(url.clone(), from, temp_ref, ctl).await
            })
            .await?;
        let path = match landing {
            Landing::Replace => {
                let dest = dir.join(name);
                std::fs::rename(&temp, &dest).map_err(|e| local(&dest, e))?;
                dest
            }
            Landing::KeepBoth => crate::downloads::claim_free_name(&temp, dir, name)
                .map_err(|e| local(&dir.join(name), e))?,
        };
        cleanup.1 = true;
        Ok(Done { path, size, md5 })
    }

    async fn get_once(
        &self,
        url: url::Url,
        from: &NodePath,
        temp: &Path,
        ctl: &Control,
    ) -> Result<(u64, String), Attempt> {
        let cancelled = || StorageError::Cancelled {
            path: from.to_string(),
            done: "downloaded",
        };
        let sent = self
            .request(Method::GET, url)
            .header("Accept", "*/*")
            .header("Accept-Encoding", "identity")
            .timeout(WHOLE)
            .send()
            .await;
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) if e.is_builder() => return Err(Attempt::Stop(self.unreachable(&e))),
            Err(e) => return Err(Attempt::Again(self.unreachable(&e))),
        };
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                return Err(Attempt::Again(StorageError::Busy {
                    retry_after: crate::http::retry_after(resp.headers()),
                }))
            }
            _ => return Err(Attempt::Stop(self.refused(from, resp).await)),
        }
        let theirs = digest_of(resp.headers());
        // An empty file is answered 204, with nothing.
        let total = if resp.status() == StatusCode::NO_CONTENT {
            Some(0)
        } else {
            resp.content_length()
        };
        let mut out = tokio::fs::File::create(temp)
            .await
            .map_err(|e| Attempt::Stop(local(temp, e)))?;
        let mut md5 = md5::Md5::new();
        let mut done = 0u64;
        ctl.tell(Step::Receiving { done, total });
        if resp.status() != StatusCode::NO_CONTENT {
            loop {
                if ctl.cancelled() {
                    return Err(Attempt::Stop(cancelled()));
                }
                let piece = match tokio::time::timeout(STALL, resp.chunk()).await {
                    Err(_) => {
                        return Err(Attempt::Again(StorageError::CutShort {
                            detail: format!("nothing arrived for {} s", STALL.as_secs()),
                        }))
                    }
                    Ok(Err(e)) => {
                        return Err(Attempt::Again(StorageError::CutShort {
                            detail: crate::http::cause_chain(&e),
                        }))
                    }
                    Ok(Ok(None)) => break,
                    Ok(Ok(Some(p))) => p,
                };
                md5.update(&piece);
                out.write_all(&piece)
                    .await
                    .map_err(|e| Attempt::Stop(local(temp, e)))?;
                done += piece.len() as u64;
                ctl.tell(Step::Receiving { done, total });
            }
        }
        if total.is_some_and(|t| t != done) {
            return Err(Attempt::Again(StorageError::CutShort {
                detail: format!("{done} of {} bytes arrived", total.unwrap_or(0)),
            }));
        }
        out.sync_all()
            .await
            .map_err(|e| Attempt::Stop(local(temp, e)))?;
        let ours = hex(&md5.finalize());
        if let Some(theirs) = theirs.filter(|t| *t != ours) {
            return Err(Attempt::Again(StorageError::Corrupted {
                path: from.to_string(),
                detail: format!("its MD5 is {ours}, the storage says {theirs}"),
                tries: 1,
            }));
        }
        Ok((done, ours))
    }
}

/// A move of a complete upload onto its name failed: say where the bytes are.
fn kept_under(temp: &NodePath, to: &NodePath, e: StorageError) -> StorageError {
    StorageError::MoveFailed {
        from: temp.to_string(),
        to: to.to_string(),
        detail: format!("{e} The upload is complete under the hidden name {temp}."),
    }
}

fn over_quota(root: &NodePath, to: &NodePath, free: u64, size: u64) -> StorageError {
    let where_ = if root.parts().next() == Some("home") {
        format!("Your home ({root})")
    } else {
        format!("The folder {root}")
    };
    StorageError::OverQuota {
        where_,
        what: to.name().to_string(),
        free,
        size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_from_headers() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(digest_of(&h), None);
        h.insert(
            "digest",
            reqwest::header::HeaderValue::from_static("md5=nhB9nTcrtoJr2B01QqQZ1g=="),
        );
        assert_eq!(
            digest_of(&h).as_deref(),
            Some("9e107d9d372bb6826bd81d3542a419d6")
        );
        h.insert(
            "digest",
            reqwest::header::HeaderValue::from_static("sha-256=abc, MD5=nhB9nTcrtoJr2B01QqQZ1g=="),
        );
        assert!(digest_of(&h).is_some());
        h.insert(
            "digest",
            reqwest::header::HeaderValue::from_static("md5=AAAA"),
        );
        assert_eq!(digest_of(&h), None);
    }

    #[test]
    fn names_from_the_storage_stay_in_their_folder() {
        for ok in ["cube.fits", "a b.txt", "ünï.csv", ".hidden"] {
            assert!(is_plain_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "/etc/passwd", "x\0y"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        let long = "é".repeat(120);
        let h = hidden_beside(&long, "partial");
        assert!(h.len() < 130, "{}", h.len());
    }

    #[test]
    fn an_over_quota_upload_says_what_is_left_and_what_is_asked() {
        let root = NodePath::parse("/home/alice").expect("path");
        let to = NodePath::parse("/home/alice/big.fits").expect("path");
        let e = over_quota(&root, &to, 1_200_000_000, 3_000_000_000);
        assert_eq!(
            e.to_string(),
            "Your home (/home/alice) has 1.2 GB left: big.fits is 3.0 GB. Delete something there, or ask your platform for more space."
        );
    }
}
