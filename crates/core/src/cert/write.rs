//! Replacing the certificate file atomically.
//!
//! The sequence, designed so that the old certificate stays intact and usable on every
//! failure (bad data from the server, disk full, crash or kill mid-write):
//!
//! 1. Parse and validate the new bundle in memory: it must parse, its key must match,
//!    the caller's `validate` must accept it, and it must expire later than the current
//!    file (when that exists and parses).
//! 2. Create the folder (mode 0700) if missing.
//! 3. Write the new bundle to a temporary file with a random name in the same folder,
//!    created with mode 0600 from the start; fsync it; read it back and compare.
//! 4. Copy the current file to `<name>.bak` the same way (mode 0600).
//! 5. Rename the temporary file over the target (atomic on POSIX), then fsync the
//!    folder so the rename survives a power cut.
//!
//! Until step 5 nothing visible changes; any failure removes the temporary files.
//! A process killed mid-write leaves only a hidden temporary file behind, which a later
//! write removes once it is older than [`STALE_TEMP_AGE`].
//!
//! The filesystem steps go through [`WriteOps`] so tests can inject failures.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::bundle::{read_capped, CertBundle, CertInfo};
use super::error::{display_path, CertError};

/// Temporary files older than this are left-overs of a killed writer and are removed by
/// the next write.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// The filesystem steps of [`write_bundle_atomic_with`]. Every method has the real
/// implementation as default, so a test overrides just the step it breaks.
pub trait WriteOps {
    /// Creates a new file that must not exist, readable and writable by the owner only.
    fn create_new_private(&mut self, path: &Path) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
    }

    /// Writes all bytes to the file.
    fn write(&mut self, file: &mut File, bytes: &[u8]) -> io::Result<()> {
        file.write_all(bytes)
    }

    /// Flushes the file's data and metadata to disk.
    fn sync_file(&mut self, file: &File) -> io::Result<()> {
        file.sync_all()
    }

    /// Renames `from` over `to`.
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    /// Flushes the folder entry (after a rename).
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
}

/// The real filesystem.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdWriteOps;

impl WriteOps for StdWriteOps {}

/// What a successful write did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct WriteOutcome {
    /// The new certificate, as now on disk.
    pub info: CertInfo,
    /// Where the previous file was kept, if there was one.
    pub backup: Option<String>,
    /// Expiry of the certificate that was replaced, if it parsed.
    pub replaced_not_after: Option<DateTime<Utc>>,
    /// False when the final folder fsync failed: the new file is in place, but a power
    /// cut right now could lose the rename.
    pub durable: bool,
}

/// A standard validator: the new certificate must be valid at `now` (not expired, not
/// before its `not_before`).
pub fn valid_at(now: DateTime<Utc>) -> impl Fn(&CertBundle) -> Result<(), CertError> {
    move |b: &CertBundle| {
        if b.not_after() <= now {
            Err(CertError::Expired {
                origin: "the new certificate".into(),
                not_after: b.not_after(),
            })
        } else if b.not_before() > now {
            Err(CertError::NotYetValid {
                origin: "the new certificate".into(),
                not_before: b.not_before(),
            })
        } else {
            Ok(())
        }
    }
}

/// Validates `pem` and atomically replaces `path` with it, keeping the old file as
/// `<name>.bak`. See the module documentation for the guarantees.
pub fn write_bundle_atomic<V>(
    path: &Path,
    pem: &[u8],
    validate: V,
) -> Result<WriteOutcome, CertError>
where
    V: Fn(&CertBundle) -> Result<(), CertError>,
{
    write_bundle_atomic_with(path, pem, validate, &mut StdWriteOps)
}

/// Removes a temporary file when dropped, unless disarmed.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

fn file_name_str(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}

fn temp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

/// The backup path: `<path>.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

/// If `path` is a symbolic link, the file it points to (so the link survives);
/// otherwise `path`.
fn resolve_target(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match fs::read_link(path) {
            Ok(dest) if dest.is_absolute() => dest,
            Ok(dest) => path.parent().map_or(dest.clone(), |p| p.join(&dest)),
            Err(_) => path.to_path_buf(),
        },
        _ => path.to_path_buf(),
    }
}

/// Removes temporary files of earlier, interrupted writes (older than
/// [`STALE_TEMP_AGE`]). Errors are ignored: this is housekeeping.
pub fn remove_stale_temps(path: &Path) {
    remove_stale_temps_older_than(path, STALE_TEMP_AGE);
}

fn remove_stale_temps_older_than(path: &Path, age: Duration) {
    let (Some(dir), Some(name)) = (path.parent(), file_name_str(path)) else {
        return;
    };
    let prefixes = [temp_prefix(&name), temp_prefix(&format!("{name}.bak"))];
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        if !prefixes.iter().any(|p| entry_name.starts_with(p.as_str())) {
            continue;
        }
        let old_enough = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|a| a >= age);
        if old_enough {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to a new private temporary file next to `final_path`, fsyncs it and
/// checks it reads back identically. Returns the guard owning the temporary path.
fn write_temp(
    ops: &mut dyn WriteOps,
    final_path: &Path,
    dir: &Path,
    bytes: &[u8],
    step: &'static str,
) -> Result<TempGuard, CertError> {
    let name = file_name_str(final_path).unwrap_or_else(|| "cert".into());
    let mut attempt = 0;
    let (mut file, guard) = loop {
        let tmp = dir.join(format!("{}{:016x}", temp_prefix(&name), fastrand::u64(..)));
        match ops.create_new_private(&tmp) {
            Ok(f) => break (f, TempGuard(Some(tmp))),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(CertError::write(final_path, step, &e)),
        }
    };
    ops.write(&mut file, bytes)
        .map_err(|e| CertError::write(final_path, step, &e))?;
    ops.sync_file(&file)
        .map_err(|e| CertError::write(final_path, "flushing the temporary file to disk", &e))?;
    drop(file);
    // Read back: catches short writes that reported success.
    let mut back = zeroize::Zeroizing::new(Vec::with_capacity(bytes.len()));
    let tmp_path = guard.0.as_deref().unwrap_or(final_path);
    File::open(tmp_path)
        .and_then(|mut f| f.read_to_end(&mut back))
        .map_err(|e| CertError::write(final_path, "reading the temporary file back", &e))?;
    if back.as_slice() != bytes {
        let e = io::Error::other(format!(
            "{} bytes on disk instead of {}",
            back.len(),
            bytes.len()
        ));
        return Err(CertError::write(
            final_path,
            "checking the temporary file",
            &e,
        ));
    }
    Ok(guard)
}

/// [`write_bundle_atomic`] with injectable filesystem steps.
pub fn write_bundle_atomic_with<V>(
    path: &Path,
    pem: &[u8],
    validate: V,
    ops: &mut dyn WriteOps,
) -> Result<WriteOutcome, CertError>
where
    V: Fn(&CertBundle) -> Result<(), CertError>,
{
    // 1. Validate the new bundle before touching the disk.
    let new = CertBundle::parse_named(pem, "the new certificate")?;
    validate(&new)?;

    let target = resolve_target(path);
    let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) else {
        let e = io::Error::new(io::ErrorKind::InvalidInput, "the path has no folder");
        return Err(CertError::write(path, "finding the folder", &e));
    };
    let dir = dir.to_path_buf();

    let current = match read_capped(&target) {
        Ok(bytes) => Some(bytes),
        Err(CertError::NotFound { .. }) => None,
        // Over 64 KiB: not a certificate; it is replaced without a backup.
        Err(CertError::TooLarge { .. }) => None,
        // Unreadable (permissions, a folder in the way): no backup could be kept, so
        // it is not replaced either.
        Err(e) => return Err(e),
    };
    let current_bundle = current
        .as_deref()
        .and_then(|b| CertBundle::parse_named(b, &display_path(&target)).ok());
    if let Some(cur) = &current_bundle {
        if new.not_after() <= cur.not_after() {
            return Err(CertError::NotNewer {
                origin: "the new certificate".into(),
                new_not_after: new.not_after(),
                current_not_after: cur.not_after(),
            });
        }
    }

    // 2. The folder.
    if !dir.is_dir() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| CertError::write(&target, "creating the folder", &e))?;
    }
    remove_stale_temps(&target);

    // 3. The new file, in a temporary name.
    let new_tmp = write_temp(ops, &target, &dir, pem, "writing the temporary file")?;

    // 4. The backup.
    let mut backup = None;
    if let Some(cur) = &current {
        let bak = backup_path(&target);
        let mut bak_tmp = write_temp(ops, &bak, &dir, cur, "writing the backup copy")?;
        if let Some(p) = bak_tmp.0.as_deref() {
            ops.rename(p, &bak)
                .map_err(|e| CertError::write(&target, "renaming the backup copy", &e))?;
        }
        bak_tmp.0 = None;
        backup = Some(bak.display().to_string());
    }

    // 5. The switch.
    let mut new_tmp = new_tmp;
    if let Some(p) = new_tmp.0.as_deref() {
        ops.rename(p, &target)
            .map_err(|e| CertError::write(&target, "replacing the certificate file", &e))?;
    }
    new_tmp.0 = None;
    let durable = match ops.sync_dir(&dir) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(
                path = %display_path(&target),
                error = %e,
                "new certificate saved, but flushing the folder failed"
            );
            false
        }
    };
    let mut info = new.info().clone();
    info.path = Some(target.display().to_string());
    tracing::info!(
        path = %display_path(&target),
        subject = %info.subject,
        not_after = %info.not_after,
        "saved new certificate"
    );
    Ok(WriteOutcome {
        info,
        backup,
        replaced_not_after: current_bundle.map(|c| c.not_after()),
        durable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_path_appends() {
        assert_eq!(
            backup_path(Path::new("/h/.ssl/cadcproxy.pem")),
            PathBuf::from("/h/.ssl/cadcproxy.pem.bak")
        );
    }
}
