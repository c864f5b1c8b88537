//! A 2 GB file up to the storage and back, streamed: the process's peak memory stays flat
//! (nothing holds a whole file), and the bytes come back whole. Alone in its binary, so
//! that no other test's memory counts. The sim runs in this process too and keeps file
//! contents on disk, so its share is small as well.

use std::io::Write as _;

use md5::Digest as _;

use skyport_core::vospace::transfer::{Control, Landing};

#[path = "support/storage.rs"]
mod support;
use support::*;

const SIZE: u64 = 2 * 1024 * 1024 * 1024;

/// The process's peak resident memory so far, in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gigabytes_go_up_and_down_in_flat_memory() {
    // On disk under target/, never a RAM-backed /tmp.
    let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tmp");
    let sim = sim_with(4 * SIZE, Some(work.path().to_path_buf())).await;
    let alice = client(&sim, ALICE).await;
    // Touch the storage once so that the client, the sim and TLS are all warm.
    alice.list(&p("/home/alice")).await.expect("home");

    let src = work.path().join("big.bin");
    let mut md5 = md5::Md5::new();
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src).expect("create"));
        let mut block = vec![0u8; 1024 * 1024];
        for i in 0..(SIZE / block.len() as u64) {
            for (j, b) in block.iter_mut().enumerate().step_by(4096) {
                *b = (i as usize ^ j) as u8;
            }
            md5.update(&block);
            f.write_all(&block).expect("write");
        }
        f.flush().expect("flush");
    }
    let want = {
        md5.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let before = peak_rss();

    let up = alice
        .upload(&src, &p("/home/alice/big.bin"), &Control::default())
        .await
        .expect("upload");
    assert_eq!((up.size, up.md5.as_str()), (SIZE, want.as_str()));
    std::fs::remove_file(&src).expect("rm");
    let down = alice
        .download(
            &p("/home/alice/big.bin"),
            work.path(),
            "back.bin",
            Landing::Replace,
            &Control::default(),
        )
        .await
        .expect("download");
    assert_eq!((down.size, down.md5.as_str()), (SIZE, want.as_str()));
    assert_eq!(std::fs::metadata(&down.path).expect("meta").len(), SIZE);

    let grew = peak_rss().saturating_sub(before);
    println!(
        "2 GiB up and down: peak memory grew {} MiB",
        grew / (1024 * 1024)
    );
    // A whole file held anywhere would add 2,048 MiB; pieces in flight are 1 MiB each.
    assert!(
        grew < 128 * 1024 * 1024,
        "peak memory grew {} MiB moving a 2 GiB file",
        grew / (1024 * 1024)
    );
    alice
        .delete(&p("/home/alice/big.bin"))
        .await
        .expect("delete");
}
