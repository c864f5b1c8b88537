//! Session windows on the mock runtime: which windows are offered again, by the settings
//! as they are now.

use skyport_core::sessions::SessionsSnapshot;
use skyport_core::skaha::Session;
use tauri::Manager;

use super::{memory, to_offer};
use crate::kernel::{Bus, Settings, SettingsStore};
use crate::testing::app_at;

fn session(id: &str, status: &str) -> Session {
    serde_json::from_value(serde_json::json!({
        "id": id, "name": format!("nb-{id}"), "kind": "notebook", "status": status,
        "image": "images.canfar.net/skaha/notebook:1"
    }))
    .expect("session")
}

#[test]
fn reopening_windows_follows_the_setting_at_once() {
    let m = app_at("http://127.0.0.1:9/skaha");
    let app = m.app.handle();
    memory::update(&m.paths, |w| {
        w.open = vec!["aaaa1111".into(), "bbbb2222".into(), "cccc3333".into()]
    });
    app.state::<Bus>()
        .sessions
        .send_replace(SessionsSnapshot::fetched(
            vec![
                session("aaaa1111", "Running"),
                session("bbbb2222", "Pending"),
                session("dddd4444", "Running"),
            ],
            0,
            chrono::Utc::now(),
        ));
    // Off: the remembered windows still Running are offered (not the Pending one, not the
    // one no longer listed, not one never opened).
    let offered: Vec<String> = to_offer(app).into_iter().map(|s| s.id.0).collect();
    assert_eq!(offered, ["aaaa1111"]);
    // On: reopened without asking, so nothing is offered — from the moment it is saved.
    let store = app.state::<SettingsStore>();
    store
        .save(Settings {
            reopen_windows: true,
            ..store.get()
        })
        .expect("save");
    assert!(to_offer(app).is_empty());
}
