//! Small file helpers: atomic writes for config and state files, and private folders and
//! files for what only the user may read (logs, locks, staged downloads).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Create `dir` (and its parents) mode 0700; an existing folder that others may read or
/// enter is tightened to 0700.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(dir)?.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Open `path` for writing, created mode 0600, never through a symbolic link (a link
/// planted in the folder would otherwise redirect the writes); an existing file that others
/// may read is tightened to 0600. `append`: add to the end instead of writing in place.
pub fn open_private(path: &Path, append: bool) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.create(true).write(true).append(append);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// Write `bytes` to `path` atomically: a temp file in the same folder (mode 0600), fsync,
/// rename over the target, fsync the folder. Readers see the old or the new file, never a
/// half-written one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_files_and_folders_stay_private_and_never_follow_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("a/b");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_dir(&dir).expect("private dir");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("x.log");
        open_private(&f, true)
            .expect("open")
            .write_all(b"1")
            .expect("write");
        assert_eq!(mode(&f), 0o600);
        // A link planted where the file goes is not followed.
        let target = tmp.path().join("victim");
        std::fs::write(&target, b"keep").expect("victim");
        let victim_mode = mode(&target);
        let link = dir.join("y.log");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(open_private(&link, true).is_err());
        assert_eq!(std::fs::read(&target).expect("victim"), b"keep");
        assert_eq!(
            mode(&target),
            victim_mode,
            "the link's target keeps its mode"
        );
    }

    #[test]
    fn replaces_atomically_with_private_mode() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("sub/state.json");
        write_atomic(&p, b"one").expect("write");
        write_atomic(&p, b"two").expect("rewrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777,
                0o600
            );
        }
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().expect("dir"))
            .expect("ls")
            .filter_map(|e| e.ok())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp files left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("state.json");
        write_atomic(&p, b"old").expect("write");
        // The target is a directory now: rename fails, the temp file is cleaned up.
        let bad = dir.path().join("adir");
        std::fs::create_dir(&bad).expect("mkdir");
        std::fs::write(bad.join("x"), b"x").expect("fill");
        assert!(write_atomic(&bad, b"new").is_err());
        assert_eq!(std::fs::read(&p).expect("read"), b"old");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
