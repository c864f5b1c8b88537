//! The session API: endpoints, validation order and messages, JSON shape, quirks.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn create_returns_plain_text_id_and_session_json_has_real_shape() {
    let sim = start().await;
    let resp = sim
        .post("session")
        .header("content-type", "application/x-www-form-urlencoded")
        .query(&[
            ("name", "My-Notebook"),
            ("image", PUBLIC_IMAGE),
            ("type", "notebook"),
            ("cores", "2"),
            ("ram", "8"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let id = resp.text().await.unwrap();
    assert!(id.ends_with('\n'));
    let id = id.trim();
    assert!(is_session_id(id), "{id}");

    let raw = sim
        .get(&format!("session/{id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Gson field order, pretty printed.
    let order = [
        "\"id\"",
        "\"userid\"",
        "\"runAsUID\"",
        "\"runAsGID\"",
        "\"supplementalGroups\"",
        "\"image\"",
        "\"type\"",
        "\"status\"",
        "\"name\"",
        "\"startTime\"",
        "\"expiryTime\"",
        "\"connectURL\"",
        "\"requestedRAM\"",
        "\"requestedCPUCores\"",
        "\"requestedGPUCores\"",
        "\"isFixedResources\"",
    ];
    let mut last = 0;
    for k in order {
        let pos = raw
            .find(k)
            .unwrap_or_else(|| panic!("{k} missing in {raw}"));
        assert!(pos >= last, "{k} out of order");
        last = pos;
    }
    assert!(raw.starts_with("{\n  \"id\""));
    let v: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["name"], "my-notebook", "names are lower-cased");
    assert_eq!(v["userid"], "alice");
    assert_eq!(v["type"], "notebook");
    assert_eq!(v["status"], "Running");
    assert_eq!(v["requestedRAM"], "8.59");
    assert_eq!(v["requestedCPUCores"], "2");
    assert_eq!(v["requestedGPUCores"], "0");
    assert_eq!(v["isFixedResources"], true);
    assert!(v.get("appid").is_none(), "null fields are omitted");
    let url = v["connectURL"].as_str().unwrap();
    assert!(url.ends_with(&format!(
        "/session/notebook/{id}/lab/tree/arc/home/alice?token={id}"
    )));
    let start = v["startTime"].as_str().unwrap();
    assert!(start.ends_with('Z') && start.len() == 20, "{start}");
    let start = chrono::DateTime::parse_from_rfc3339(start).unwrap();
    let expiry = chrono::DateTime::parse_from_rfc3339(v["expiryTime"].as_str().unwrap()).unwrap();
    assert_eq!((expiry - start).num_seconds(), 345_600);
}

#[tokio::test]
async fn flexible_sessions_omit_requested_resources() {
    let sim = start().await;
    let id = sim.create_kind("headless", "flex").await;
    let v = sim.session(&id).await;
    assert_eq!(v["isFixedResources"], false);
    assert!(v.get("requestedRAM").is_none());
    assert!(v.get("requestedCPUCores").is_none());
    assert_eq!(v["connectURL"], "");
    assert_eq!(v["type"], "headless", "absent type means headless");
}

#[tokio::test]
async fn connect_urls_follow_real_patterns() {
    let sim = start_with(SimConfig {
        max_interactive_sessions: 10,
        ..fast_config()
    })
    .await;
    let base = sim.handle.sessions_url().to_string();
    for (kind, tail) in [
        ("desktop", "/?password={id}&path=session/desktop/{id}/"),
        ("carta", "/"),
        ("contributed", "/"),
        ("firefly", "/firefly/"),
    ] {
        let id = sim.create_kind(kind, kind).await;
        let v = sim.session(&id).await;
        let seg = if kind == "contributed" {
            "contrib"
        } else {
            kind
        };
        let want = format!("{base}session/{seg}/{id}{}", tail.replace("{id}", &id));
        assert_eq!(v["connectURL"], want.as_str());
    }
}

use skyport_sim::SimConfig;

#[tokio::test]
async fn validation_order_and_messages() {
    let sim = start().await;
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (vec![("name", "a")], iae("Missing parameter 'image'")),
        (
            vec![("name", "a"), ("image", "docker.io/x/y:1")],
            iae("session image 'docker.io/x/y:1' must come from one of [images.canfar.net]"),
        ),
        (
            // Registry host is checked before the type.
            vec![("image", "docker.io/x"), ("type", "bogus")],
            iae("session image 'docker.io/x' must come from one of [images.canfar.net]"),
        ),
        (
            vec![("name", "a"), ("image", PUBLIC_IMAGE), ("type", "bogus")],
            iae("Invalid session type: bogus"),
        ),
        (
            vec![("image", PUBLIC_IMAGE), ("cores", "17")],
            iae("Invalid value for 'cores': 17"),
        ),
        (
            vec![("image", PUBLIC_IMAGE), ("cores", "two")],
            iae("Invalid value for 'cores': two"),
        ),
        (
            vec![("image", PUBLIC_IMAGE), ("ram", "3")],
            iae("Invalid value for 'ram': 3"),
        ),
        (
            vec![("image", PUBLIC_IMAGE)],
            iae("Missing parameter 'name'"),
        ),
        (
            vec![("image", PUBLIC_IMAGE), ("name", "bad_name!")],
            iae("name can only contain alpha-numeric chars and '-'"),
        ),
        (
            vec![("image", PUBLIC_IMAGE), ("name", "ok"), ("gpus", "0")],
            iae("Invalid value for 'gpus': 0"),
        ),
        (
            vec![("image", PUBLIC_IMAGE), ("name", "ok"), ("gpus", "29")],
            iae("Invalid value for 'gpus': 29"),
        ),
        (
            vec![("image", PUBLIC_IMAGE), ("name", "ok"), ("gpus", "1.5")],
            iae("Invalid value for 'gpus': 1.5"),
        ),
    ];
    for (params, want) in cases {
        let (s, body) = text(sim.post("session").query(&params).send().await.unwrap()).await;
        assert_eq!(s, 400, "{params:?}");
        assert_eq!(body, want, "{params:?}");
    }
    // The integer part of a double is what counts.
    let id = sim
        .create(&[
            ("image", PUBLIC_IMAGE),
            ("name", "frac"),
            ("cores", "2.7"),
            ("ram", "8.9"),
            ("gpus", "2"),
        ])
        .await;
    let v = sim.session(&id).await;
    assert_eq!(v["requestedCPUCores"], "2");
    assert_eq!(v["requestedRAM"], "8.59");
    assert_eq!(v["requestedGPUCores"], "2");
    // Type is case-insensitive.
    let id = sim
        .create(&[
            ("image", PUBLIC_IMAGE),
            ("name", "nb"),
            ("type", "NoteBook"),
        ])
        .await;
    assert_eq!(sim.session(&id).await["type"], "notebook");
}

#[tokio::test]
async fn parameters_from_form_body_work_like_query() {
    let sim = start().await;
    let r = sim
        .post("session")
        .form(&[
            ("name", "FormNb"),
            ("image", PUBLIC_IMAGE),
            ("type", "notebook"),
        ])
        .send()
        .await
        .unwrap();
    let (s, id) = text(r).await;
    assert_eq!(s, 200);
    assert_eq!(sim.session(id.trim()).await["name"], "formnb");
    // renew with a form body, as the portal sends it
    let r = sim
        .post(&format!("session/{}", id.trim()))
        .form(&[("action", "renew")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "");
}

#[tokio::test]
async fn interactive_quota_counts_pending_and_running_but_not_headless() {
    let sim = start().await;
    for i in 0..3 {
        sim.create_kind("notebook", &format!("nb{i}")).await;
    }
    // Headless is never limited.
    for i in 0..5 {
        sim.create_kind("headless", &format!("h{i}")).await;
    }
    let (s, body) = text(
        sim.post("session")
            .query(&[
                ("image", PUBLIC_IMAGE),
                ("name", "four"),
                ("type", "notebook"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(
        body,
        iae("User alice has reached the maximum of 3 active sessions.")
    );
    // Bob has his own quota.
    let r = sim
        .client
        .post(sim.api("session"))
        .bearer_auth(BOB_TOKEN)
        .query(&[("image", PUBLIC_IMAGE), ("name", "b"), ("type", "carta")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ctx: Value = sim
        .get("context")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ctx["maxInteractiveSessions"], 3);
}

#[tokio::test]
async fn list_filters_and_views() {
    let sim = start().await;
    let nb = sim.create_kind("notebook", "nb").await;
    let hl = sim.create_kind("headless", "job").await;
    let bob = sim
        .client
        .post(sim.api("session"))
        .bearer_auth(BOB_TOKEN)
        .query(&[
            ("image", PUBLIC_IMAGE),
            ("name", "bobs"),
            ("type", "notebook"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let all: Value = sim
        .get("session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        ids(&all),
        vec![nb.clone(), hl.clone()],
        "own sessions incl. headless"
    );
    let t: Value = sim
        .get("session?type=HEADLESS")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&t), vec![hl.clone()]);
    let st: Value = sim
        .get("session?status=running")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st.as_array().unwrap().len(), 2);
    let none: Value = sim
        .get("session?status=Completed")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, serde_json::json!([]));
    let inter: Value = sim
        .get("session?view=interactive")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&inter), vec![nb.clone()]);
    let every: Value = sim
        .get("session?view=all")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let every = every.as_array().unwrap();
    assert_eq!(every.len(), 3);
    assert!(every.iter().any(|s| s["userid"] == "bob"));
    let keys: Vec<&String> = every[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "view=all objects are reduced: {keys:?}");
    assert!(!bob.is_empty());

    let stats: Value = sim
        .get("session?view=stats")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(stats["cores"]["requestedCPUCores"].as_f64().unwrap() >= 3.0);
    assert_eq!(stats["cores"]["cpuCoresAvailable"], 960.0);
    assert_eq!(stats["cores"]["maxCPUCores"]["withRam"], "32Gi");
    assert!(stats["ram"]["requestedRAM"]
        .as_str()
        .unwrap()
        .ends_with('G'));
    assert_eq!(stats["ram"]["maxRAM"]["withCPUCores"], 8.0);
}

#[tokio::test]
async fn get_logs_events_and_unknown_ids() {
    let sim = start().await;
    let (s, body) = text(sim.get("session/zzzzzzzz").send().await.unwrap()).await;
    assert_eq!((s, body.as_str()), (404, "session zzzzzzzz not found\n"));
    let (s, body) = text(
        sim.get("session/zzzzzzzz?view=events")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, body.as_str()), (404, "session zzzzzzzz not found\n"));

    let id = sim.create_kind("notebook", "nb").await;
    let r = sim
        .get(&format!("session/{id}?view=logs"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(r.text().await.unwrap().contains("Jupyter"));
    let (s, ev) = text(
        sim.get(&format!("session/{id}?view=events"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let mut lines = ev.lines();
    let head = lines.next().unwrap();
    let cols: Vec<&str> = head.split_whitespace().collect();
    assert_eq!(
        cols,
        ["TYPE", "REASON", "MESSAGE", "FIRST-TIME", "LAST-TIME"]
    );
    // The portal's parser must accept every row.
    let re_ok = |l: &str| {
        let parts: Vec<&str> = l.split_whitespace().collect();
        parts.len() >= 5
            && parts[parts.len() - 1].ends_with('Z')
            && parts[parts.len() - 2].ends_with('Z')
    };
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 3);
    assert!(rows.iter().all(|l| re_ok(l)), "{ev}");
    assert!(ev.contains("Started"));

    // Someone else's session is not found.
    let r = sim
        .client
        .get(sim.api(&format!("session/{id}")))
        .bearer_auth(BOB_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn renew_delete_and_path_quirks() {
    let sim = start().await;
    let id = sim.create_kind("notebook", "nb").await;
    let (s, b) = text(sim.post(&format!("session/{id}")).send().await.unwrap()).await;
    assert_eq!(
        (s, b.as_str()),
        (400, "Cannot modify an existing session\n")
    );
    let (s, b) = text(
        sim.post(&format!("session/{id}?action=extend"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b.as_str()), (400, "unrecognized action\n"));
    let (s, b) = text(
        sim.post("session/abcdefgh?action=renew")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(b, iae("No active job for user alice with session abcdefgh"));
    let (s, _) = text(
        sim.post(&format!("session/{id}?action=RENEW"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);

    // Delete of an unknown id is still 200; DELETE without id is refused.
    let (s, b) = text(sim.delete("session/nosuchid").send().await.unwrap()).await;
    assert_eq!((s, b.as_str()), (200, ""));
    let (s, b) = text(sim.delete("session").send().await.unwrap()).await;
    assert_eq!((s, b.as_str()), (400, "Cannot kill all sessions.\n"));
    // Too many segments.
    let (s, b) = text(sim.get("session/a/app/b/c").send().await.unwrap()).await;
    assert_eq!(s, 400);
    assert!(b.starts_with("Invalid request: "), "{b}");
    let (s, _) = text(sim.get("session/a/logs").send().await.unwrap()).await;
    assert_eq!(s, 400);

    let (s, _) = text(sim.delete(&format!("session/{id}")).send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(sim.status_of(&id).await.as_deref(), Some("Terminating"));
}

#[tokio::test]
async fn desktop_apps() {
    let sim = start().await;
    let nb = sim.create_kind("notebook", "nb").await;
    let (s, b) = text(
        sim.post(&format!("session/{nb}/app"))
            .query(&[("image", "images.canfar.net/skaha/terminal:1.1.2")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, b),
        (404, format!("session {nb} not found\n")),
        "apps need a desktop"
    );
    let desk = sim.create_kind("desktop", "desk").await;
    let (s, b) = text(
        sim.post(&format!("session/{desk}/app"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b), (400, iae("Missing parameter 'image'")));
    let (s, appid) = text(
        sim.post(&format!("session/{desk}/app"))
            .query(&[("image", "images.canfar.net/skaha/terminal:1.1.2")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let appid = appid.trim().to_string();
    assert_eq!(appid.len(), 3);
    // Apps are hidden from the default list, shown with type=desktop-app.
    let list: Value = sim
        .get("session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["type"] != "desktop-app"));
    let apps: Value = sim
        .get("session?type=desktop-app")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps.as_array().unwrap().len(), 1);
    let apps: Value = sim
        .get(&format!("session/{desk}/app"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps[0]["appid"], appid.as_str());
    assert_eq!(apps[0]["type"], "desktop-app");
    assert_eq!(apps[0]["connectURL"], "");
    let one: Value = sim
        .get(&format!("session/{desk}/app/{appid}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], desk.as_str());
    let (s, b) = text(
        sim.post(&format!("session/{desk}/app/{appid}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b.as_str()), (400, "Cannot modify an existing app.\n"));
    // Desktop apps do not take interactive quota.
    sim.create_kind("carta", "c").await;
    let (s, _) = text(
        sim.delete(&format!("session/{desk}/app/{appid}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let one: Value = sim
        .get(&format!("session/{desk}/app/{appid}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["status"], "Terminating");
}

#[tokio::test]
async fn images_context_repository() {
    let sim = start().await;
    let imgs: Value = sim.get("image").send().await.unwrap().json().await.unwrap();
    let imgs = imgs.as_array().unwrap();
    assert!(imgs.len() > 5);
    for i in imgs {
        assert!(i["id"].as_str().unwrap().starts_with("images.canfar.net/"));
        assert!(i["types"].is_array());
        let d = i["digest"].as_str().unwrap();
        assert!(d.starts_with("sha256:") && d.len() == 71);
    }
    let nb: Value = sim
        .get("image?type=notebook")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(nb.as_array().unwrap().iter().all(|i| i["types"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "notebook")));
    let (s, b) = text(sim.get("image?type=spaceship").send().await.unwrap()).await;
    assert_eq!((s, b), (400, iae("unknown type: spaceship")));

    let ctx: Value = sim
        .get("context")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ctx["cores"]["default"], 2);
    assert_eq!(ctx["cores"]["options"].as_array().unwrap().len(), 16);
    assert_eq!(ctx["memoryGB"]["defaultLimit"], 32);
    assert_eq!(ctx["gpus"]["options"][0], 1);

    let repo: Value = sim
        .get("repository")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(repo, serde_json::json!(["images.canfar.net"]));
}

#[tokio::test]
async fn private_images_need_registry_auth() {
    use base64::Engine;
    let sim = start().await;
    let private = "images.canfar.net/myproject/secret:1.0";
    let q = [("image", private), ("name", "p")];
    let (s, b) = text(sim.post("session").query(&q).send().await.unwrap()).await;
    assert_eq!(s, 400);
    assert_eq!(b, iae("No authentication provided for unknown or private image.  Use x-skaha-registry-auth request header with base64Encode(username:secret)."));
    let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for bad in [enc("nocolon"), enc("a:b:c"), "%%%not-base64".to_string()] {
        let (s, b) = text(
            sim.post("session")
                .query(&q)
                .header("x-skaha-registry-auth", bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (s, b),
            (
                400,
                iae("Invalid input. Must be in form of username:secret")
            )
        );
    }
    let r = sim
        .post("session")
        .query(&q)
        .header("X-Skaha-Registry-Auth", enc("me:s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn bad_input_gets_service_answers_not_crashes() {
    let sim = start().await;
    // Unknown parameters are ignored.
    sim.create(&[
        ("image", PUBLIC_IMAGE),
        ("name", "x"),
        ("replicas", "5"),
        ("weird", "\u{1F680}"),
    ])
    .await;
    // Bad percent-encoding and invalid UTF-8 in the query.
    let url = format!("{}?name=%zz%ff%fe&image=%E0%A4", sim.api("session"));
    let (s, b) = text(
        sim.client
            .post(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert!(b.contains("must come from one of"), "{b}");
    // Garbage form body.
    let r = sim
        .post("session")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xffu8, 0xfe, b'=', b'&', b'&', b'%'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A body over the post-size limit is ignored, as Tomcat ignores it.
    let mut huge = String::from("image=images.canfar.net/skaha/astroml:latest&name=big&pad=");
    huge.push_str(&"a".repeat(3 * 1024 * 1024));
    let (s, b) = text(
        sim.post("session")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b), (400, iae("Missing parameter 'image'")));
    // JSON body: not a form, so no parameters.
    let r = sim
        .post("session")
        .json(&serde_json::json!({"image": PUBLIC_IMAGE, "name": "j"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Unsupported method, unknown path.
    let r = sim
        .client
        .put(sim.api("session"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = sim.get("nothing-here").send().await.unwrap();
    assert_eq!(r.status(), 404);
    // Very long name is truncated to a label's 63 chars.
    let long = "A".repeat(200);
    let id = sim
        .create(&[("image", PUBLIC_IMAGE), ("name", &long)])
        .await;
    assert_eq!(sim.session(&id).await["name"].as_str().unwrap().len(), 63);
    // Still alive.
    assert_eq!(sim.get("session").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn headless_params_and_env_rules() {
    let sim = start().await;
    let id = sim
        .create(&[
            ("image", PUBLIC_IMAGE),
            ("name", "job"),
            ("cmd", "python"),
            ("args", "run.py --fast"),
            ("env", "A=1"),
            ("env", "B=x=y"),
            ("env", "C"),
        ])
        .await;
    let logs = sim
        .get(&format!("session/{id}?view=logs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(logs.contains("args: run.py --fast"), "{logs}");
    assert!(logs.contains("env: A=1"));
    assert!(!logs.contains("B="), "values containing '=' are dropped");
    assert!(!logs.contains("env: C"));
}
