//! `skyport platforms` and `skyport profiles add --discover / --srcnet` against the sim's
//! registry and capabilities documents.

mod common;

use common::{sim, Home};

/// The demo's three platforms (CANFAR-like, a v0 SRCNet-like node, one that is down) and
/// their registry.
async fn demo_world() -> skyport_sim::World {
    skyport_sim::start_world(
        skyport_sim::demo_configs(skyport_sim::SimConfig::default(), None),
        None,
    )
    .await
    .expect("world")
}

fn registry(sim: &skyport_sim::SimHandle) -> String {
    format!(
        "{}/reg/resource-caps",
        sim.base_url().as_str().trim_end_matches('/')
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platforms_lists_what_the_registry_has_and_whether_it_answers() {
    let sim = sim().await;
    let home = Home::new();
    let reg = registry(&sim);
    let v = home
        .run(&["platforms", "--registry", &reg, "--json"])
        .await
        .ok()
        .json();
    let o = sim.base_url().as_str().trim_end_matches('/').to_string();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["name"], "canfar");
    assert_eq!(v[0]["id"], "ivo://cadc.nrc.ca/skaha");
    assert_eq!(v[0]["url"], format!("{o}/skaha"));
    assert_eq!(v[0]["reachable"], true);
    assert!(v[0]["latencyMs"].is_u64());
    home.run(&["platforms", "--registry", &reg])
        .await
        .ok()
        .out_has("canfar")
        .out_has("yes (");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_is_down_is_named_with_what_to_do() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = free.local_addr().expect("addr").port();
    drop(free);
    let reg = format!("http://127.0.0.1:{port}/reg/resource-caps");
    Home::new()
        .run(&["platforms", "--registry", &reg])
        .await
        .code(4)
        .err_has(&format!(
            "Reading the registry at {reg} failed: cannot connect"
        ))
        .err_has("Check your network and the address.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_add_discovers_the_services_of_a_registry_entry() {
    let sim = sim().await;
    let home = Home::new();
    let reg = registry(&sim);
    let o = sim.base_url().as_str().trim_end_matches('/').to_string();
    home.run(&[
        "profiles",
        "add",
        "canfar",
        "--discover",
        "ivo://cadc.nrc.ca/skaha",
        "--registry",
        &reg,
    ])
    .await
    .ok()
    .err_has(&format!(
        "Found session API v1 at {o}/skaha; password sign-in at {o}/ac/login"
    ))
    .err_has("Added profile canfar (active)");
    let p = &home.run(&["profiles", "list", "--json"]).await.ok().json()[0];
    assert_eq!(p["url"], format!("{o}/skaha"));
    assert_eq!(p["login_url"], format!("{o}/ac/login"));
    assert_eq!(p["cred_url"], format!("{o}/cred/generate"));
    assert_eq!(p["resource_id"], "ivo://cadc.nrc.ca/skaha");
    assert_eq!(p["registry"], reg.as_str());
    assert_eq!(p["display_name"], "canfar");

    // A service URL, in its /v1 form, is read through its capabilities.
    home.run(&[
        "profiles",
        "add",
        "direct",
        "--discover",
        &format!("{o}/skaha/v1"),
    ])
    .await
    .ok()
    .err_has("Added profile direct");
    let list = home.run(&["profiles", "list", "--json"]).await.ok().json();
    let direct = list
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "direct"))
        .cloned()
        .expect("direct");
    assert_eq!(direct["url"], format!("{o}/skaha"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_node_or_id_says_what_there_is() {
    let sim = sim().await;
    let home = Home::new();
    let reg = registry(&sim);
    home.run(&[
        "profiles",
        "add",
        "x",
        "--srcnet",
        "nowhere",
        "--registry",
        &reg,
    ])
    .await
    .code(1)
    .err_has("lists no node \"nowhere\"; it lists canfar");
    home.run(&[
        "profiles",
        "add",
        "x",
        "--discover",
        "ivo://nowhere.example/skaha",
        "--registry",
        &reg,
    ])
    .await
    .code(1)
    .err_has("it does not list ivo://nowhere.example/skaha");
    // Nothing was saved.
    assert_eq!(
        home.run(&["profiles", "list", "--json"]).await.ok().json(),
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_platforms_a_v0_node_and_one_that_is_down() {
    let world = demo_world().await;
    let reg = world.registry_url();
    let home = Home::new();
    let v = home
        .run(&["platforms", "--registry", &reg, "--json"])
        .await
        .ok()
        .json();
    let names: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["canfar", "sweSRC", "ukCAM"], "{v}");
    assert_eq!(v[1]["srcnet"], true);
    assert_eq!(v[2]["reachable"], false);
    assert_eq!(v[2]["problem"], "HTTP 503 Service Unavailable");
    assert_eq!(
        v[0]["local"], true,
        "a loopback registry is this computer's"
    );

    // Announced as the demo announces it: listed without --registry, beside the registries
    // read first (here one that is down, named as a problem).
    let local = home.path().join("local-platforms");
    std::fs::create_dir_all(&local).expect("dir");
    std::fs::write(
        local.join("world.json"),
        serde_json::json!({"name": "Local demo platform", "registry": reg, "pid": std::process::id()})
            .to_string(),
    )
    .expect("announce");
    let mut home2 = Home::new();
    home2.extra.push((
        "SKYPORT_LOCAL_PLATFORMS".into(),
        local.display().to_string(),
    ));
    home2.extra.push((
        "SKYPORT_REGISTRY".into(),
        "http://127.0.0.1:9/reg/resource-caps".into(),
    ));
    home2
        .run(&["platforms"])
        .await
        .ok()
        .out_has("canfar (this computer)")
        .out_has("ukCAM (this computer)")
        .err_has("Reading the registry at http://127.0.0.1:9/reg/resource-caps failed");

    // The v0-only node: its profile speaks v0, with no password services.
    home.run(&[
        "profiles",
        "add",
        "swe",
        "--srcnet",
        "sweSRC",
        "--registry",
        &reg,
    ])
    .await
    .ok()
    .err_has("Found session API v0 at");
    let p = &home.run(&["profiles", "list", "--json"]).await.ok().json()[0];
    assert!(
        p["url"].as_str().is_some_and(|u| u.ends_with("/skaha/v0")),
        "{p}"
    );
    assert!(p["login_url"].is_null(), "{p}");

    // The node that is down: the step is named, and no profile is written.
    home.run(&[
        "profiles",
        "add",
        "cam",
        "--srcnet",
        "ukCAM",
        "--registry",
        &reg,
    ])
    .await
    .code(4)
    .err_has("Reading the session service at")
    .err_has("it does not answer (HTTP 503 Service Unavailable)");
    let list = home.run(&["profiles", "list", "--json"]).await.ok().json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    world.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_list_check_rename_and_remove() {
    let world = demo_world().await;
    let reg = world.registry_url();
    let home = Home::new();
    for (name, node) in [("canfar", "canfar"), ("swe", "sweSRC")] {
        home.run(&[
            "profiles",
            "add",
            name,
            "--srcnet",
            node,
            "--registry",
            &reg,
        ])
        .await
        .ok();
    }
    let v = home
        .run(&["profiles", "list", "--check", "--json"])
        .await
        .ok()
        .json();
    let canfar = &v[0];
    assert_eq!(canfar["name"], "canfar");
    assert_eq!(canfar["signedIn"]["state"], "signed_out", "{canfar}");
    let services: Vec<(&str, bool)> = canfar["check"]["services"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| Some((s["service"].as_str()?, s["probe"]["reachable"].as_bool()?)))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        services,
        [
            ("Session API v1", true),
            ("Password sign-in", true),
            ("Certificate service", true),
            ("Storage", true)
        ],
        "{canfar}"
    );
    assert!(
        canfar["check"]["credential"]["accepted"].is_null(),
        "{canfar}"
    );
    assert_eq!(v[1]["check"]["services"][0]["service"], "Session API v0");
    home.run(&["profiles", "list", "--check"])
        .await
        .ok()
        .out_has("ok (4 services, credential not checked)");

    // A profile's name keeps its platform: discovery of another one under it is refused.
    home.run(&[
        "profiles",
        "add",
        "canfar",
        "--srcnet",
        "sweSRC",
        "--registry",
        &reg,
    ])
    .await
    .code(2)
    .err_has("profile canfar is another platform");

    home.run(&["profiles", "rename", "canfar", "My CANFAR"])
        .await
        .ok();
    let v = home.run(&["profiles", "list", "--json"]).await.ok().json();
    assert_eq!(v[0]["display_name"], "My CANFAR");

    home.run(&["profiles", "remove", "swe"])
        .await
        .ok()
        .err_has("Removed profile swe");
    let v = home.run(&["profiles", "list", "--json"]).await.ok().json();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    world.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_canfar_clients_servers_become_profiles_and_its_file_stays() {
    use skyport_core::keyring::{entries, EntryKey, OsKeyring, SecretStoreExt};
    let home = Home::new();
    let file = home.skyport_home().join(".canfar/config.yaml");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    let yaml = "version: 1\n\
active: {authentication: srcnet, server: imp-swe}\n\
authentication:\n  cadc: {mode: x509, path: /home/u/.ssl/cadcproxy.pem}\n  \
srcnet: {mode: oidc, endpoints: {discovery: 'https://ska-iam.stfc.ac.uk/.well-known/openid-configuration'}, \
client: {identity: cid}, token: {access: imp-ACCESS, refresh: imp-REFRESH}}\n\
servers:\n  imp-canfar: {idp: cadc, uri: 'ivo://cadc.nrc.ca/skaha', url: 'https://ws-uv.canfar.net/skaha', version: v1}\n  \
imp-swe: {idp: srcnet, url: 'https://services.swesrc.chalmers.se/skaha', version: v0}\n";
    std::fs::write(&file, yaml).expect("write");

    // A dry run changes nothing; JSON says what would happen.
    let v = home
        .run(&["profiles", "import-canfar", "--dry-run", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(v["servers"][1]["name"], "imp-swe");
    assert_eq!(v["servers"][1]["hasToken"], true);
    assert!(!home.config_file().exists());

    home.run(&["profiles", "import-canfar"])
        .await
        .ok()
        .err_has("Imported 2 profile(s)")
        .err_has("run again with --tokens");
    let list = home.run(&["profiles", "list", "--json"]).await.ok().json();
    assert_eq!(list[1]["name"], "imp-swe");
    assert_eq!(list[1]["active"], true);
    assert_eq!(
        list[1]["url"],
        "https://services.swesrc.chalmers.se/skaha/v0"
    );
    assert!(
        list[1]["oidc"]["client_id"].is_null(),
        "Skyport registers its own client"
    );
    let toml = std::fs::read_to_string(home.config_file()).expect("toml");
    assert!(!toml.contains("imp-ACCESS"), "{toml}");
    assert_eq!(std::fs::read_to_string(&file).expect("yaml"), yaml);

    // Again: what exists is left as it is. A broken file says so and where.
    home.run(&["profiles", "import-canfar", "--dry-run"])
        .await
        .ok()
        .out_has("no: a profile of that name exists");
    std::fs::write(&file, "servers: {a: [\n  token: imp-SECRET\n").expect("write");
    home.run(&["profiles", "import-canfar"])
        .await
        .code(1)
        .err_has(
            "is not a canfar client configuration Skyport can read (YAML it cannot read at line",
        );

    // With --tokens (the user said yes), the tokens go to the keyring.
    let Some(_k) = common::keyring_turn("canfar import --tokens").await else {
        return;
    };
    let fresh = Home::new();
    let file = fresh.skyport_home().join(".canfar/config.yaml");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    std::fs::write(&file, yaml).expect("write");
    fresh
        .run(&["profiles", "import-canfar", "--tokens"])
        .await
        .ok()
        .err_has("copied 1 access token(s) into the keyring");
    let key = EntryKey::new("imp-swe", entries::OIDC_ACCESS_TOKEN);
    let got = OsKeyring.get(&key).expect("keyring");
    assert_eq!(
        got.map(|s| s.expose().clone()).as_deref(),
        Some("imp-ACCESS")
    );
    fresh.run(&["profiles", "remove", "imp-swe"]).await.ok();
    assert!(OsKeyring.get(&key).expect("keyring").is_none());
}
