//! How long "Save" takes once a download has arrived: a staged file delivered into the
//! Downloads folder on the same file system (a hard link) and across file systems (copy +
//! fsync + link). Usage: `cargo run --release -p skyport-core --example download_delivery
//! [MiB] [other-fs-dir]` (defaults: 512 MiB, /dev/shm for the staging side).
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use skyport_core::downloads::{Downloads, Step};

fn deliver_once(staging: &Path, target: &Path, mib: usize) -> f64 {
    let mut book = Downloads::new(staging.to_path_buf(), target.to_path_buf());
    let (id, staged) = book
        .begin("http://h/cube.fits", "cube.fits", "bench".into())
        .expect("begin");
    let mut f = std::fs::File::create(&staged).expect("staged file");
    let chunk = vec![0x5au8; 1 << 20];
    for _ in 0..mib {
        f.write_all(&chunk).expect("write");
    }
    f.sync_all().expect("sync");
    drop(f);
    book.transfer_ended("http://h/cube.fits", Some(&staged), true);
    let Ok(Some(Step::Deliver(job))) = book.decide(id, true) else {
        panic!("expected a delivery");
    };
    let t = Instant::now();
    let path = job.run().expect("deliver");
    let secs = t.elapsed().as_secs_f64();
    book.delivered(job.id, Ok(path.clone()));
    let _ = std::fs::remove_file(path);
    secs
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(512);
    let other = args.next().unwrap_or_else(|| "/dev/shm".into());
    let disk = tempfile::tempdir().expect("temp dir");
    let far = tempfile::tempdir_in(&other).expect("other file system");
    let same = deliver_once(
        &disk.path().join("staging"),
        &disk.path().join("Downloads"),
        mib,
    );
    let cross = deliver_once(
        &far.path().join("staging"),
        &disk.path().join("Downloads"),
        mib,
    );
    println!(
        "{mib} MiB, same file system (hard link):   {:>8.1} ms",
        same * 1e3
    );
    println!(
        "{mib} MiB, across file systems (copy+fsync): {:>8.1} ms ({:.0} MiB/s)",
        cross * 1e3,
        mib as f64 / cross
    );
}
