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
