//! Storage commands against the sim's `/arc`: `skyport ls` and `skyport quota`, with the
//! storage named by SKYPORT_STORAGE_URL (scripts).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const QUOTA: u64 = 10_000_000;

async fn storage_sim() -> skyport_sim::SimHandle {
    sim_with(|c| {
        c.storage = true;
        c.storage_quota = QUOTA;
    })
    .await
}

fn with_storage(sim: &skyport_sim::SimHandle) -> Home {
    let mut home = Home::env(sim, Some(TOKEN));
    home.extra.push((
        "SKYPORT_STORAGE_URL".into(),
        sim.base_url().join("arc/nodes").unwrap().to_string(),
    ));
    home
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ls_lists_a_folder_and_quota_says_how_full_it_is() {
    let sim = storage_sim().await;
    let home = with_storage(&sim);
    // The home is made at the first call; empty, it says so.
    home.run(&["ls"])
        .await
        .ok()
        .out_has("/home/alice is empty (-a shows hidden files)");
    assert!(sim.put_storage_file("/home/alice/run 1/a.fits", "alice", vec![7; 3000]));
    assert!(sim.put_storage_file("/home/alice/notes.txt", "alice", b"hello\n".to_vec()));
    assert!(sim.put_storage_file("/home/alice/.ssl/cadcproxy.pem", "alice", vec![1; 100]));

    let r = home.run(&["ls"]).await;
    let out = r.ok().stdout.clone();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("SIZE"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("notes.txt") && lines[1].contains("6 B"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("run 1/") && lines[2].contains("3.0 KB"),
        "{out}"
    );
    assert_eq!(lines.len(), 3, "hidden files only with -a: {out}");
    home.run(&["ls", "-a", "arc:/home/alice"])
        .await
        .ok()
        .out_has(".ssl/");
    home.run(&["ls", "arc:/home/alice/run 1"])
        .await
        .ok()
        .out_has("a.fits");

    let json = home
        .run(&["ls", "arc:/home/alice", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(json["node"]["path"], "/home/alice");
    assert_eq!(json["node"]["quota"], QUOTA);
    assert_eq!(json["children"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["children"][1]["md5"],
        "b1946ac92492d2347c6235b4d2611184"
    );

    home.run(&["quota"])
        .await
        .ok()
        .out_has("arc:/home/alice: 3.1 KB used of 10 MB (")
        .out_has(" free, 0%)");
    let q = home
        .run(&["quota", "arc:/home/alice/run 1", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(
        (q["path"].as_str(), q["used"].as_u64()),
        (Some("/home/alice"), Some(3106))
    );
    assert_eq!(q["free"].as_u64(), Some(QUOTA - 3106));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_errors_say_what_to_do() {
    let sim = storage_sim().await;
    let home = with_storage(&sim);
    home.run(&["ls", "arc:/home/alice/nothing"])
        .await
        .code(1)
        .err_has("/home/alice/nothing does not exist");
    home.run(&["ls", "/home/alice"])
        .await
        .code(2)
        .err_has("write arc:/home/USER/FOLDER");
    home.run(&["ls", "arc:/home/../etc"]).await.code(2);
    // The credential is not sent to a storage on another origin.
    let mut elsewhere = Home::env(&sim, Some(TOKEN));
    elsewhere.extra.push((
        "SKYPORT_STORAGE_URL".into(),
        "http://localhost:9/arc/nodes".into(),
    ));
    elsewhere
        .run(&["ls"])
        .await
        .code(1)
        .err_has("does not send its credential there");
    // Without a storage service known: how to find one.
    Home::env(&sim, Some(TOKEN))
        .run(&["ls"])
        .await
        .code(1)
        .err_has("SKYPORT_STORAGE_URL");
    sim.shutdown().await;
}

/// A local tree: `data/a.txt`, `data/sub/b.bin` (and a hidden file).
fn local_tree(root: &std::path::Path) -> std::path::PathBuf {
    let data = root.join("data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("a.txt"), b"alpha\n").unwrap();
    std::fs::write(data.join("sub/b.bin"), vec![9u8; 70_000]).unwrap();
    std::fs::write(data.join(".hidden"), b"h").unwrap();
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_copies_both_ways_and_a_recursive_copy_resumes() {
    let sim = storage_sim().await;
    let home = with_storage(&sim);
    let work = tempfile::tempdir().unwrap();
    let data = local_tree(work.path());
    let data_s = data.to_str().unwrap();

    // One file up, into a folder by its own name; then under a new name.
    home.run(&["cp", &format!("{data_s}/a.txt"), "arc:/home/alice"])
        .await
        .ok()
        .out_has("Copied 1 file (6 B) to arc:/home/alice.");
    home.run(&[
        "cp",
        &format!("{data_s}/a.txt"),
        "arc:/home/alice/renamed.txt",
    ])
    .await
    .ok();
    assert_eq!(sim.storage_file("/home/alice/a.txt").unwrap().0, b"alpha\n");
    assert_eq!(
        sim.storage_file("/home/alice/renamed.txt").unwrap().0,
        b"alpha\n"
    );

    // A folder needs -r; with it, everything goes, hidden files included.
    home.run(&["cp", data_s, "arc:/home/alice"])
        .await
        .code(2)
        .err_has("add -r");
    home.run(&["cp", "-r", data_s, "arc:/home/alice"])
        .await
        .ok()
        .out_has("Copied 3 files (70 KB) to arc:/home/alice.");
    assert_eq!(
        sim.storage_file("/home/alice/data/sub/b.bin").unwrap().0,
        vec![9u8; 70_000]
    );
    // Again: nothing is sent, everything is checked by MD5 and skipped.
    let again = home
        .run(&["cp", "-r", data_s, "arc:/home/alice", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(again["copied"].as_array().unwrap().len(), 0);
    assert_eq!(again["skipped"].as_array().unwrap().len(), 3);
    // One file changed (same size): only it is sent.
    std::fs::write(data.join("a.txt"), b"omega\n").unwrap();
    let again = home
        .run(&["cp", "-r", data_s, "arc:/home/alice", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(again["copied"][0]["to"], "arc:/home/alice/data/a.txt");
    assert_eq!(
        again["copied"][0]["md5"],
        format!("{:032x}", md5_of(b"omega\n"))
    );
    assert_eq!(again["skipped"].as_array().unwrap().len(), 2);

    // Down: a file into a folder, a folder with -r; run again, all skipped.
    let down = work.path().join("down");
    std::fs::create_dir(&down).unwrap();
    let down_s = down.to_str().unwrap();
    home.run(&["cp", "arc:/home/alice/renamed.txt", down_s])
        .await
        .ok();
    assert_eq!(std::fs::read(down.join("renamed.txt")).unwrap(), b"alpha\n");
    home.run(&["cp", "-r", "arc:/home/alice/data", down_s])
        .await
        .ok()
        .out_has("Copied 3 files");
    assert_eq!(
        std::fs::read(down.join("data/sub/b.bin")).unwrap(),
        vec![9u8; 70_000]
    );
    let again = home
        .run(&["cp", "-r", "arc:/home/alice/data", down_s, "--json"])
        .await
        .ok()
        .json();
    assert_eq!(again["skipped"].as_array().unwrap().len(), 3);
    // Nothing half-written is left anywhere.
    let names: Vec<String> = std::fs::read_dir(down.join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("skyport-")), "{names:?}");

    // Damaged on the way down every time: a loud failure and no file.
    sim.corrupt_storage_reads(10);
    home.run(&[
        "cp",
        "arc:/home/alice/a.txt",
        &format!("{down_s}/damaged.txt"),
    ])
    .await
    .code(1)
    .err_has("arrived damaged");
    sim.corrupt_storage_reads(0);
    assert!(!down.join("damaged.txt").exists());

    // Operands on the same side, or missing ones, say what to write.
    home.run(&["cp", "arc:/home/alice/a.txt", "arc:/home/alice/b.txt"])
        .await
        .code(2)
        .err_has("skyport mv");
    home.run(&["cp", &format!("{data_s}/a.txt"), down_s])
        .await
        .code(2)
        .err_has("arc:/home/USER");
    home.run(&["cp", "arc:/home/alice/none.txt", down_s])
        .await
        .code(1)
        .err_has("/home/alice/none.txt does not exist");
    sim.shutdown().await;
}

fn md5_of(data: &[u8]) -> u128 {
    use md5::Digest as _;
    u128::from_be_bytes(md5::Md5::digest(data).into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mkdir_mv_and_rm_change_the_storage_as_cavern_allows() {
    let sim = storage_sim().await;
    let home = with_storage(&sim);
    home.run(&["mkdir", "arc:/home/alice/a/b"])
        .await
        .code(1)
        .err_has("The folder /home/alice/a does not exist");
    home.run(&["mkdir", "-p", "arc:/home/alice/a/b"])
        .await
        .ok()
        .out_has("Made arc:/home/alice/a/b");
    home.run(&["mkdir", "-p", "arc:/home/alice/a/b"]).await.ok();
    home.run(&["mkdir", "arc:/home/alice/a"])
        .await
        .code(2)
        .err_has("already exists");
    assert!(sim.put_storage_file("/home/alice/x.fits", "alice", vec![1; 10]));

    home.run(&["mv", "arc:/home/alice/x.fits", "arc:/home/alice/a/b"])
        .await
        .ok()
        .out_has("Moved arc:/home/alice/x.fits to arc:/home/alice/a/b/x.fits");
    home.run(&["mv", "arc:/home/alice/a/b/x.fits", "arc:/home/alice/y.fits"])
        .await
        .ok();
    assert!(sim.storage_file("/home/alice/y.fits").is_some());
    home.run(&["mv", "arc:/home/alice/none", "arc:/home/alice/z"])
        .await
        .code(1)
        .err_has("does not exist");

    // No recursive delete; a folder only with -d, and only when empty.
    home.run(&["rm", "-r", "arc:/home/alice/a"])
        .await
        .code(2)
        .err_has("no recursive delete");
    home.run(&["rm", "arc:/home/alice/a/b"])
        .await
        .code(2)
        .err_has("skyport rm -d");
    home.run(&["rm", "-d", "arc:/home/alice/a"])
        .await
        .code(2)
        .err_has("is not empty");
    home.run(&[
        "rm",
        "-d",
        "arc:/home/alice/a/b",
        "arc:/home/alice/a",
        "arc:/home/alice/y.fits",
    ])
    .await
    .ok()
    .out_has("Deleted arc:/home/alice/a/b")
    .out_has("Deleted arc:/home/alice/y.fits");
    // One missing among several: the rest are deleted, the exit says it failed.
    assert!(sim.put_storage_file("/home/alice/k.txt", "alice", vec![1]));
    home.run(&["rm", "arc:/home/alice/gone.txt", "arc:/home/alice/k.txt"])
        .await
        .code(1)
        .err_has("/home/alice/gone.txt does not exist")
        .out_has("Deleted arc:/home/alice/k.txt");
    home.run(&["ls"]).await.ok().out_has("/home/alice is empty");
    sim.shutdown().await;
}
