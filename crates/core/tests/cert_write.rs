//! Atomic certificate replacement: the old certificate stays intact and usable in every
//! fault case (bad data from the server, disk full, kill mid-write, read-only disk, ...).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cert_support.rs"]
mod support;

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use chrono::Duration as ChronoDuration;
use skyport_core::cert::write::{backup_path, valid_at};
use skyport_core::cert::{
    write_bundle_atomic, write_bundle_atomic_with, CertBundle, CertError, StdWriteOps, WriteOps,
    WriteOutcome,
};
use support::*;

const ENOSPC: i32 = 28;
const EIO: i32 = 5;
const EROFS: i32 = 30;
const EACCES: i32 = 13;
const EXDEV: i32 = 18;
const EDQUOT: i32 = 122;

/// A `~/.ssl` folder holding a valid "old" certificate.
struct Fixture {
    home: tempfile::TempDir,
    path: PathBuf,
    old_bytes: Vec<u8>,
    old: Leaf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let ssl = dir.path().join(".ssl");
        fs::create_dir(&ssl).unwrap();
        let path = ssl.join("cadcproxy.pem");
        let old = fresh_bundle(1, 10);
        let old_bytes = old.cadc_bundle().into_bytes();
        fs::write(&path, &old_bytes).unwrap();
        Fixture {
            home: dir,
            path,
            old_bytes,
            old,
        }
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap()
    }

    /// The old certificate is byte-for-byte unchanged, parses, and no temporary file is
    /// left behind.
    fn assert_old_intact(&self, case: &str) {
        assert_old_file_intact(&self.path, &self.old_bytes, &self.old, case);
        let leftovers = temp_files(self.dir());
        assert!(
            leftovers.is_empty(),
            "{case}: temporary files left: {leftovers:?}"
        );
    }
}

fn assert_old_file_intact(path: &Path, old_bytes: &[u8], old: &Leaf, case: &str) {
    let now_bytes = fs::read(path).unwrap_or_else(|e| panic!("{case}: old file gone: {e}"));
    assert!(now_bytes == old_bytes, "{case}: old file changed");
    let b = CertBundle::load(path).unwrap_or_else(|e| panic!("{case}: old file unusable: {e}"));
    assert_eq!(
        b.not_after().timestamp(),
        old.not_after.timestamp(),
        "{case}"
    );
    assert!(!b.identity_pem().is_empty());
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn os_err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// Fails the `nth` call (0-based) of one step with an OS error.
#[derive(Default)]
struct Faulty {
    create: Option<(usize, i32)>,
    write: Option<(usize, i32)>,
    short_write: bool,
    sync: Option<(usize, i32)>,
    rename: Option<(usize, i32)>,
    sync_dir: Option<i32>,
    creates: usize,
    writes: usize,
    syncs: usize,
    renames: usize,
}

fn hit(rule: Option<(usize, i32)>, counter: &mut usize) -> Option<io::Error> {
    let n = *counter;
    *counter += 1;
    match rule {
        Some((nth, code)) if nth == n || nth == usize::MAX => Some(os_err(code)),
        _ => None,
    }
}

impl WriteOps for Faulty {
    fn create_new_private(&mut self, path: &Path) -> io::Result<File> {
        if let Some(e) = hit(self.create, &mut self.creates) {
            return Err(e);
        }
        StdWriteOps.create_new_private(path)
    }
    fn write(&mut self, file: &mut File, bytes: &[u8]) -> io::Result<()> {
        if let Some(e) = hit(self.write, &mut self.writes) {
            // A real disk-full error happens part-way: write some bytes first.
            let _ = StdWriteOps.write(file, &bytes[..bytes.len() / 3]);
            return Err(e);
        }
        if self.short_write {
            return StdWriteOps.write(file, &bytes[..bytes.len() / 2]);
        }
        StdWriteOps.write(file, bytes)
    }
    fn sync_file(&mut self, file: &File) -> io::Result<()> {
        if let Some(e) = hit(self.sync, &mut self.syncs) {
            return Err(e);
        }
        StdWriteOps.sync_file(file)
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        if let Some(e) = hit(self.rename, &mut self.renames) {
            return Err(e);
        }
        StdWriteOps.rename(from, to)
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        match self.sync_dir {
            Some(code) => Err(os_err(code)),
            None => StdWriteOps.sync_dir(dir),
        }
    }
}

fn accept_all(_: &CertBundle) -> Result<(), CertError> {
    Ok(())
}

type Run = Box<dyn Fn(&Fixture) -> Result<WriteOutcome, CertError>>;
type Check = Box<dyn Fn(&CertError) -> bool>;

fn input_case(data: Vec<u8>) -> Run {
    Box::new(move |fx| write_bundle_atomic(&fx.path, &data, valid_at(now())))
}

fn ops_case(make: fn() -> Faulty) -> Run {
    Box::new(move |fx| {
        let new = fresh_bundle(2, 20).cadc_bundle();
        write_bundle_atomic_with(&fx.path, new.as_bytes(), accept_all, &mut make())
    })
}

fn is_write(kind: io::ErrorKind) -> Check {
    Box::new(move |e| matches!(e, CertError::Write { io_kind, .. } if *io_kind == kind))
}

/// The fault table: every case must fail with the expected error and leave the old
/// certificate untouched.
#[test]
fn old_certificate_survives_every_fault() {
    let newer = fresh_bundle(2, 20);
    let other = fresh_bundle(3, 20);
    let good = newer.cadc_bundle();
    let start = now();
    let expired = rsa_leaf(2, start - ChronoDuration::days(30), 20);
    let future = rsa_leaf(2, start + ChronoDuration::days(2), 20);
    let earlier = rsa_leaf(2, start - ChronoDuration::days(1), 5);
    let line = newer.cert_pem.lines().nth(2).unwrap().to_string();

    let cases: Vec<(&str, Run, Check)> = vec![
        ("empty body", input_case(vec![]), Box::new(|e| matches!(e, CertError::Empty { .. }))),
        (
            "HTML error page",
            input_case(b"<html><head><title>502 Bad Gateway</title></head></html>".to_vec()),
            Box::new(|e| matches!(e, CertError::NotPem { .. })),
        ),
        (
            "JSON error",
            input_case(br#"{"code":401,"message":"not authenticated"}"#.to_vec()),
            Box::new(|e| matches!(e, CertError::NotPem { .. })),
        ),
        (
            "plain-text server error",
            input_case(b"NotAuthenticated: Renewing certificate using certificate authentication not permitted".to_vec()),
            Box::new(|e| matches!(e, CertError::NotPem { looks_like, .. } if looks_like.contains("not permitted"))),
        ),
        (
            "binary garbage",
            input_case((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()),
            Box::new(|e| matches!(e, CertError::NotPem { .. })),
        ),
        (
            "truncated certificate",
            input_case(good.as_bytes()[..newer.cert_pem.len() / 2].to_vec()),
            Box::new(|e| matches!(e, CertError::TruncatedPem { .. })),
        ),
        (
            "truncated private key",
            input_case(good.as_bytes()[..newer.cert_pem.len() + 300].to_vec()),
            Box::new(|e| matches!(e, CertError::TruncatedPem { .. })),
        ),
        (
            "certificate without key",
            input_case(newer.cert_pem.clone().into_bytes()),
            Box::new(|e| matches!(e, CertError::NoPrivateKey { .. })),
        ),
        (
            "key without certificate",
            input_case(newer.key_pem.clone().into_bytes()),
            Box::new(|e| matches!(e, CertError::NoCertificate { .. })),
        ),
        (
            "certificate for another key",
            input_case(format!("{}{}{}", other.cert_pem, newer.key_pem, ca().0).into_bytes()),
            Box::new(|e| matches!(e, CertError::KeyMismatch { .. })),
        ),
        (
            "two different keys",
            input_case(format!("{}{}", good, other.key_pem).into_bytes()),
            Box::new(|e| matches!(e, CertError::MultipleKeys { .. })),
        ),
        (
            "already expired certificate",
            input_case(expired.cadc_bundle().into_bytes()),
            Box::new(|e| matches!(e, CertError::Expired { .. })),
        ),
        (
            "not yet valid certificate",
            input_case(future.cadc_bundle().into_bytes()),
            Box::new(|e| matches!(e, CertError::NotYetValid { .. })),
        ),
        (
            "earlier expiry than the current one",
            input_case(earlier.cadc_bundle().into_bytes()),
            Box::new(|e| matches!(e, CertError::NotNewer { .. })),
        ),
        (
            "the same certificate again",
            Box::new(|fx: &Fixture| write_bundle_atomic(&fx.path, &fx.old_bytes, accept_all)),
            Box::new(|e| matches!(e, CertError::NotNewer { .. })),
        ),
        (
            "corrupt base64",
            input_case(good.replacen(&line, &format!("!{}", &line[1..]), 1).into_bytes()),
            Box::new(|e| matches!(e, CertError::CorruptPem { .. })),
        ),
        (
            "corrupt DER (a base64 line lost)",
            input_case(good.replacen(&format!("{line}\n"), "", 1).into_bytes()),
            Box::new(|e| matches!(e, CertError::CorruptDer { .. })),
        ),
        (
            "altered certificate (bad signature)",
            input_case(format!("{}{}{}", alter_cn(&newer.cert_pem), newer.key_pem, ca().0).into_bytes()),
            Box::new(|e| matches!(e, CertError::CorruptDer { detail, .. } if detail.contains("signature"))),
        ),
        (
            "encrypted key",
            input_case(format!("{}{}", newer.cert_pem, encrypted_pkcs8(&newer.key_pem)).into_bytes()),
            Box::new(|e| matches!(e, CertError::EncryptedKey { .. })),
        ),
        (
            "unsupported key type",
            input_case(
                format!(
                    "{}-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n",
                    newer.cert_pem
                )
                .into_bytes(),
            ),
            Box::new(|e| matches!(e, CertError::UnsupportedKeyType { .. })),
        ),
        (
            "oversized body",
            input_case(good.repeat(40).into_bytes()),
            Box::new(|e| matches!(e, CertError::TooLarge { .. })),
        ),
        (
            "caller's validation rejects it",
            Box::new(|fx: &Fixture| {
                let new = fresh_bundle(2, 20).cadc_bundle();
                write_bundle_atomic(&fx.path, new.as_bytes(), |b: &CertBundle| {
                    Err(CertError::Rejected {
                        origin: "the new certificate".into(),
                        reason: format!("it is for {}, not for bob", b.info().subject),
                    })
                })
            }),
            Box::new(|e| matches!(e, CertError::Rejected { .. })),
        ),
        (
            "disk full while writing",
            ops_case(|| Faulty {
                write: Some((0, ENOSPC)),
                ..Default::default()
            }),
            is_write(io::ErrorKind::StorageFull),
        ),
        (
            "quota exceeded while writing",
            ops_case(|| Faulty {
                write: Some((0, EDQUOT)),
                ..Default::default()
            }),
            is_write(io::ErrorKind::QuotaExceeded),
        ),
        (
            "short write reported as success",
            ops_case(|| Faulty {
                short_write: true,
                ..Default::default()
            }),
            Box::new(|e| matches!(e, CertError::Write { step, .. } if step.contains("checking"))),
        ),
        (
            "fsync fails (I/O error)",
            ops_case(|| Faulty {
                sync: Some((0, EIO)),
                ..Default::default()
            }),
            Box::new(|e| matches!(e, CertError::Write { step, .. } if step.contains("flushing"))),
        ),
        (
            "read-only filesystem",
            ops_case(|| Faulty {
                create: Some((0, EROFS)),
                ..Default::default()
            }),
            is_write(io::ErrorKind::ReadOnlyFilesystem),
        ),
        (
            "permission denied",
            ops_case(|| Faulty {
                create: Some((0, EACCES)),
                ..Default::default()
            }),
            is_write(io::ErrorKind::PermissionDenied),
        ),
        (
            "disk full while writing the backup",
            ops_case(|| Faulty {
                write: Some((1, ENOSPC)),
                ..Default::default()
            }),
            Box::new(|e| matches!(e, CertError::Write { step, .. } if step.contains("backup"))),
        ),
        (
            "backup rename fails",
            ops_case(|| Faulty {
                rename: Some((0, EIO)),
                ..Default::default()
            }),
            Box::new(|e| matches!(e, CertError::Write { step, .. } if step.contains("backup"))),
        ),
        (
            "final rename fails",
            ops_case(|| Faulty {
                rename: Some((1, EXDEV)),
                ..Default::default()
            }),
            Box::new(|e| matches!(e, CertError::Write { step, .. } if step.contains("replacing"))),
        ),
        (
            "temporary name always taken",
            ops_case(|| Faulty {
                create: Some((usize::MAX, 17)), // EEXIST
                ..Default::default()
            }),
            is_write(io::ErrorKind::AlreadyExists),
        ),
    ];

    let total = cases.len();
    for (name, run, check) in &cases {
        let fx = Fixture::new();
        let bak_before = fs::read(backup_path(&fx.path)).ok();
        let err = match run(&fx) {
            Ok(o) => panic!("{name}: write succeeded: {o:?}"),
            Err(e) => e,
        };
        assert!(check(&err), "{name}: unexpected error {err:?}");
        let msg = err.to_string();
        assert!(
            msg.len() > 40 && !msg.contains("PRIVATE KEY-----"),
            "{name}: {msg}"
        );
        fx.assert_old_intact(name);
        // The backup is either untouched or holds the old certificate.
        let bak_after = fs::read(backup_path(&fx.path)).ok();
        assert!(
            bak_after == bak_before || bak_after.as_deref() == Some(&fx.old_bytes[..]),
            "{name}: backup damaged"
        );
        // ... and the good certificate can still be written afterwards.
        let new = fresh_bundle(2, 20).cadc_bundle();
        write_bundle_atomic(&fx.path, new.as_bytes(), valid_at(now())).unwrap();
    }
    println!("fault cases (table): {total}; old certificate intact in all {total}");
    assert!(total >= 20);
}

#[test]
fn replaces_and_keeps_a_private_backup() {
    let fx = Fixture::new();
    fs::set_permissions(&fx.path, fs::Permissions::from_mode(0o644)).unwrap();
    let new = fresh_bundle(2, 20);
    let out = write_bundle_atomic(&fx.path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap();
    assert_eq!(out.info.not_after.timestamp(), new.not_after.timestamp());
    assert_eq!(
        out.replaced_not_after.map(|t| t.timestamp()),
        Some(fx.old.not_after.timestamp())
    );
    assert!(out.durable);
    assert_eq!(fs::read(&fx.path).unwrap(), new.cadc_bundle().into_bytes());
    assert_eq!(mode(&fx.path), 0o600);
    let bak = backup_path(&fx.path);
    assert_eq!(out.backup.as_deref(), Some(bak.to_str().unwrap()));
    assert_eq!(fs::read(&bak).unwrap(), fx.old_bytes);
    assert_eq!(mode(&bak), 0o600);
    assert!(temp_files(fx.dir()).is_empty());
}

#[test]
fn creates_a_private_ssl_folder() {
    let home = tempfile::tempdir().unwrap();
    let path = skyport_core::cert::default_cert_path(home.path());
    let new = fresh_bundle(2, 20);
    let out = write_bundle_atomic(&path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap();
    assert_eq!(out.backup, None);
    assert_eq!(out.replaced_not_after, None);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn replaces_a_damaged_current_file() {
    let fx = Fixture::new();
    fs::write(&fx.path, b"-----BEGIN CERTIFICATE-----\nAAAA").unwrap();
    let new = fresh_bundle(2, 3);
    let out = write_bundle_atomic(&fx.path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap();
    assert_eq!(out.replaced_not_after, None);
    assert_eq!(
        fs::read(backup_path(&fx.path)).unwrap(),
        b"-----BEGIN CERTIFICATE-----\nAAAA"
    );
}

#[test]
fn follows_a_symlink_and_keeps_it() {
    let fx = Fixture::new();
    let real = fx.dir().join("real.pem");
    fs::rename(&fx.path, &real).unwrap();
    std::os::unix::fs::symlink("real.pem", &fx.path).unwrap();
    let new = fresh_bundle(2, 20);
    write_bundle_atomic(&fx.path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap();
    assert!(fs::symlink_metadata(&fx.path)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(&real).unwrap(), new.cadc_bundle().into_bytes());
    assert_eq!(fs::read(backup_path(&real)).unwrap(), fx.old_bytes);
}

#[test]
fn folder_fsync_failure_is_reported_but_not_fatal() {
    let fx = Fixture::new();
    let new = fresh_bundle(2, 20);
    let out = write_bundle_atomic_with(
        &fx.path,
        new.cadc_bundle().as_bytes(),
        accept_all,
        &mut Faulty {
            sync_dir: Some(EIO),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!out.durable);
    assert_eq!(fs::read(&fx.path).unwrap(), new.cadc_bundle().into_bytes());
}

// ---------------------------------------------------------------------------------
// Real faults: a killed writer, a full tmpfs, a read-only mount.

const CHILD_ENV: &str = "SKYPORT_CERT_WRITE_CHILD";

/// Writes slowly (or pauses before the final rename) so the parent can kill it.
struct SlowOps {
    marker: PathBuf,
    pause_before_rename: bool,
    renames: usize,
}

impl WriteOps for SlowOps {
    fn write(&mut self, file: &mut File, bytes: &[u8]) -> io::Result<()> {
        for (i, chunk) in bytes.chunks(256).enumerate() {
            StdWriteOps.write(file, chunk)?;
            if i == 0 && !self.pause_before_rename {
                fs::write(&self.marker, b"writing").unwrap();
            }
            std::thread::sleep(Duration::from_millis(40));
        }
        Ok(())
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.renames += 1;
        // The second rename is the switch: the backup is done, the new file complete.
        if self.pause_before_rename && self.renames == 2 {
            fs::write(&self.marker, b"about to rename").unwrap();
            std::thread::sleep(Duration::from_secs(30));
        }
        StdWriteOps.rename(from, to)
    }
}

/// Not a test on its own: the body run by the child process of
/// `killed_writer_leaves_the_old_certificate_intact`.
#[test]
#[ignore = "helper run as a child process by killed_writer_leaves_the_old_certificate_intact"]
fn child_slow_writer() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, '\n');
    let (target, new_pem, mode) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let target = PathBuf::from(target);
    let new = fs::read(new_pem).unwrap();
    let mut ops = SlowOps {
        marker: target.with_extension("marker"),
        pause_before_rename: mode == "rename",
        renames: 0,
    };
    let _ = write_bundle_atomic_with(&target, &new, accept_all, &mut ops);
}

fn kill_during(mode: &str) {
    let fx = Fixture::new();
    let new = fresh_bundle(2, 20);
    let new_file = fx.home.path().join("new.pem");
    fs::write(&new_file, new.cadc_bundle()).unwrap();
    let marker = fx.path.with_extension("marker");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_slow_writer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!("{}\n{}\n{mode}", fx.path.display(), new_file.display()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !marker.exists() {
        assert!(Instant::now() < deadline, "child never started writing");
        assert!(child.try_wait().unwrap().is_none(), "child exited early");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(60));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    fs::remove_file(&marker).unwrap();

    assert_old_file_intact(&fx.path, &fx.old_bytes, &fx.old, &format!("kill {mode}"));
    // The killed writer left its temporary file; a later write cleans it up once stale.
    let leftovers = temp_files(fx.dir());
    assert!(
        !leftovers.is_empty(),
        "expected the killed writer's temporary file"
    );
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for name in &leftovers {
        File::options()
            .write(true)
            .open(fx.dir().join(name))
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
    write_bundle_atomic(&fx.path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap();
    assert!(temp_files(fx.dir()).is_empty());
    println!("fault case: SIGKILL {mode}: old certificate intact");
}

#[test]
fn killed_writer_leaves_the_old_certificate_intact() {
    kill_during("write");
    kill_during("rename");
}

/// A tmpfs mounted for one test; unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Result<Mount, String> {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(Mount(dir.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    fn remount(&self, opt: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,{opt}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn full_tmpfs_leaves_the_old_certificate_intact() {
    let outer = tempfile::tempdir().unwrap();
    let ssl = outer.path().join(".ssl");
    fs::create_dir(&ssl).unwrap();
    let mount = match Mount::tmpfs(&ssl, "64k") {
        Ok(m) => m,
        Err(reason) => {
            println!("SKIPPED full_tmpfs test: cannot mount a tmpfs here ({reason})");
            return;
        }
    };
    let path = ssl.join("cadcproxy.pem");
    let old = fresh_bundle(1, 10);
    let old_bytes = old.cadc_bundle().into_bytes();
    fs::write(&path, &old_bytes).unwrap();
    // Fill the rest of the filesystem.
    let filler = ssl.join("filler");
    {
        use std::io::Write as _;
        let mut f = File::create(&filler).unwrap();
        let block = [0u8; 1024];
        while f.write_all(&block).is_ok() {}
    }
    let new = fresh_bundle(2, 20);
    let err =
        write_bundle_atomic(&path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::Write {
                io_kind: io::ErrorKind::StorageFull,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Free some disk space"), "{err}");
    assert_old_file_intact(&path, &old_bytes, &old, "tmpfs full");
    assert!(temp_files(&ssl).is_empty());
    // Space freed: the write now succeeds.
    fs::remove_file(&filler).unwrap();
    write_bundle_atomic(&path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap();
    drop(mount);
    println!("fault case: real full tmpfs: old certificate intact");
}

#[test]
fn read_only_mount_leaves_the_old_certificate_intact() {
    let outer = tempfile::tempdir().unwrap();
    let ssl = outer.path().join(".ssl");
    fs::create_dir(&ssl).unwrap();
    let mount = match Mount::tmpfs(&ssl, "1m") {
        Ok(m) => m,
        Err(reason) => {
            println!("SKIPPED read-only test: cannot mount a tmpfs here ({reason})");
            return;
        }
    };
    let path = ssl.join("cadcproxy.pem");
    let old = fresh_bundle(1, 10);
    let old_bytes = old.cadc_bundle().into_bytes();
    fs::write(&path, &old_bytes).unwrap();
    if !mount.remount("ro") {
        println!("SKIPPED read-only test: cannot remount read-only");
        return;
    }
    let new = fresh_bundle(2, 20);
    let err =
        write_bundle_atomic(&path, new.cadc_bundle().as_bytes(), valid_at(now())).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::Write {
                io_kind: io::ErrorKind::ReadOnlyFilesystem,
                ..
            }
        ),
        "{err:?}"
    );
    assert_old_file_intact(&path, &old_bytes, &old, "read-only mount");
    assert!(mount.remount("rw"));
    assert!(temp_files(&ssl).is_empty());
    println!("fault case: real read-only mount: old certificate intact");
}
