use serde_json::json;

use super::*;

fn s(id: &str, name: &str, kind: &str, status: &str, image: &str) -> Session {
    Session::from_json(&json!({
        "id": id, "userid": "alice", "image": image, "type": kind, "status": status,
        "name": name,
    }))
    .expect("session")
}

const IMG: &str = "images.canfar.net/skaha/astroml:24.07";

fn job(n: u32, status: &str) -> Session {
    s(
        &format!("j{n:03}"),
        &format!("fit-{n}"),
        "headless",
        status,
        IMG,
    )
}

#[test]
fn the_replicas_of_a_launch_are_one_batch_with_its_progress() {
    let mut list = vec![
        job(3, "Completed"),
        job(1, "Failed"),
        job(2, "Running"),
        job(4, "Pending"),
        job(5, "Completed"),
    ];
    // Not batches: a lone replica, an interactive session, other images, other names.
    list.push(s("x1", "solo-1", "headless", "Running", IMG));
    list.push(s("x2", "nb-1", "notebook", "Running", IMG));
    list.push(s("x3", "nb-2", "notebook", "Running", IMG));
    list.push(s(
        "x4",
        "fit-9",
        "headless",
        "Running",
        "images.canfar.net/skaha/other:1",
    ));
    list.push(s("x5", "fitter", "headless", "Running", IMG));
    list.push(s("x6", "fit-x", "headless", "Running", IMG));
    let all = batches(&list);
    assert_eq!(all.len(), 1, "{all:?}");
    let b = &all[0];
    assert_eq!((b.name.as_str(), b.total), ("fit", 5));
    assert_eq!((b.pending, b.running, b.completed, b.failed), (1, 1, 2, 1));
    assert_eq!(b.failed_ids, ["j001"]);
    assert_eq!(
        b.ids,
        ["j001", "j002", "j003", "j004", "j005"],
        "in replica order"
    );
    assert!(!b.ended());
    assert_eq!(progress(b), "2 of 5 done, 1 failed, 1 running, 1 waiting");
}

#[test]
fn replicas_no_longer_listed_still_count() {
    // fit-2 was deleted: the batch still has 4 replicas.
    let list = [job(1, "Completed"), job(3, "Completed"), job(4, "Failed")];
    let b = &batches(&list)[0];
    assert_eq!((b.total, b.missing()), (4, 1));
    assert!(b.ended());
    assert_eq!(progress(b), "2 of 4 done, 1 failed, 1 no longer listed");
}

#[test]
fn one_notice_when_a_whole_batch_has_ended() {
    let mut watch = BatchWatch::default();
    // Already over when Skyport starts: not news.
    let old = [
        s("o1", "old-1", "headless", "Completed", IMG),
        s("o2", "old-2", "headless", "Completed", IMG),
    ];
    let mut list: Vec<Session> = old.to_vec();
    list.extend([job(1, "Running"), job(2, "Pending")]);
    assert!(watch.observe(&batches(&list)).is_empty());
    // One ends: the batch goes on.
    list[2] = job(1, "Completed");
    assert!(watch.observe(&batches(&list)).is_empty());
    // The last one fails: the batch has ended, said once.
    list[3] = job(2, "Failed");
    let ended = watch.observe(&batches(&list));
    assert_eq!(ended.len(), 1);
    assert_eq!(progress(&ended[0]), "1 of 2 done, 1 failed");
    assert!(watch.observe(&batches(&list)).is_empty(), "once");
    // The same name launched again is a new run: its end is news again.
    list[2] = job(1, "Running");
    assert!(watch.observe(&batches(&list)).is_empty());
    list[2] = job(1, "Completed");
    assert_eq!(watch.observe(&batches(&list)).len(), 1);
}

#[test]
fn names_that_are_not_replicas() {
    assert_eq!(replica_of("fit-12"), Some(("fit", 12)));
    assert_eq!(replica_of("my-fit-3"), Some(("my-fit", 3)));
    for name in ["fit", "fit-", "-3", "fit-0", "fit-x", "fit-99999999999"] {
        assert_eq!(replica_of(name), None, "{name}");
    }
}
