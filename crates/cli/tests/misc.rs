//! Help, usage errors, completions, the man page, profiles and config.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const COMMANDS: [&str; 20] = [
    "login",
    "logout",
    "auth",
    "cert",
    "ps",
    "create",
    "info",
    "logs",
    "events",
    "why",
    "presets",
    "open",
    "renew",
    "delete",
    "prune",
    "stats",
    "images",
    "platforms",
    "profiles",
    "config",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_version_and_usage_errors() {
    let home = Home::new();
    let h = home.run(&["--help"]).await;
    h.ok().out_has("Exit codes:").out_has("SKYPORT_TOKEN");
    for c in COMMANDS {
        h.out_has(c);
    }
    home.run(&["-h"]).await.ok().out_has("Exit codes:");
    home.run(&["--version"]).await.ok().out_has("skyport ");
    for c in COMMANDS {
        home.run(&[c, "--help"])
            .await
            .ok()
            .out_has("Usage: skyport");
    }
    home.run(&["create", "--help"])
        .await
        .ok()
        .out_has("--dry-run")
        .out_has("Examples:");
    // Usage errors: exit 2, on stderr, nothing on stdout.
    for args in [
        vec![],
        vec!["bogus"],
        vec!["ps", "--nope"],
        vec!["--timeout", "abc", "ps"],
        vec!["--timeout", "-1", "ps"],
        vec!["info"],
        vec!["logs", "--interval", "0", "abcdefgh"],
        vec!["cert"],
        vec!["cert", "obtain", "--days", "zero"],
        vec!["profiles", "add", "onlyname"],
        vec!["completions", "powershell"],
        vec!["prune"],
        vec!["prune", "x", "spaceship"],
    ] {
        let r = home.run(&args).await;
        r.code(2).out_empty();
        assert!(!r.stderr.is_empty(), "{args:?}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_man_pages_come_from_the_grammar() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish"] {
        let r = home.run(&["completions", shell]).await;
        r.ok();
        assert!(r.stdout.len() > 1000, "{shell}: {r}");
        for c in COMMANDS {
            assert!(r.stdout.contains(c), "{shell} completion lacks {c}");
        }
        assert!(r.stdout.contains("dry-run"), "{shell}");
    }
    let man = home.run(&["man"]).await;
    man.ok()
        .out_has(".TH")
        .out_has("skyport")
        .out_has("Exit codes");
    for c in COMMANDS {
        man.out_has(c);
    }
    home.run(&["man", "ps"])
        .await
        .ok()
        .out_has(".TH")
        .out_has("skyport\\-ps")
        .out_has("\\-\\-quiet");
    home.run(&["man", "launch"])
        .await
        .ok()
        .out_has("skyport\\-create");
    home.run(&["man", "nosuch"]).await.code(2).err_has("nosuch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_and_config_shared_with_the_app() {
    let sim = sim().await;
    let mut home = Home::new();
    // No platform at all: exit 1 saying how to add one.
    home.token = Some(TOKEN.into());
    home.run(&["ps"])
        .await
        .code(1)
        .err_has("skyport profiles add");
    home.run(&["profiles", "list"])
        .await
        .ok()
        .out_empty()
        .err_has("No profiles");
    assert_eq!(
        home.run(&["profiles", "list", "--json"]).await.json(),
        serde_json::json!([])
    );

    let url = sim.skaha_url().to_string();
    home.run(&["profiles", "add", "sim", &url])
        .await
        .ok()
        .err_has("Added profile sim (active)");
    let dead = format!("{}/v1", dead_url());
    home.run(&[
        "profiles",
        "add",
        "other",
        &dead,
        "--login-url",
        "https://other.example/ac/login",
        "--username",
        "carol",
    ])
    .await
    .ok();
    // The first profile is active; SKYPORT_TOKEN + the profile's URL is enough for ps.
    home.run(&["ps"]).await.ok();
    let list = home.run(&["profiles", "list"]).await;
    list.ok().out_has("* ").out_has("sim").out_has("other");
    let j = home.run(&["profiles", "ls", "--json"]).await.json();
    let names: Vec<_> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["active"].as_bool().unwrap()))
        .collect();
    assert_eq!(names, vec![("other", false), ("sim", true)]);
    assert_eq!(j[0]["username"], "carol");

    // --profile picks another one (unreachable here: exit 4).
    home.run(&["--profile", "other", "--timeout", "2", "ps"])
        .await
        .code(4);
    home.run(&["--profile", "nope", "ps"])
        .await
        .code(2)
        .err_has("no profile named");

    // use / remove.
    home.run(&["profiles", "use", "other"]).await.ok();
    assert_eq!(
        home.run(&["config", "get", "active"]).await.stdout.trim(),
        "other"
    );
    home.run(&["profiles", "use", "ghost"]).await.code(2);
    home.run(&["profiles", "remove", "other"]).await.ok();
    assert_eq!(
        home.run(&["config", "get", "active"]).await.stdout.trim(),
        "sim"
    );
    // Bad profiles are refused.
    home.run(&["profiles", "add", "9bad", &url]).await.code(2);
    home.run(&["profiles", "add", "ok", "not a url"])
        .await
        .code(2)
        .err_has("not a URL");
    home.run(&["profiles", "add", "ok", &url, "--login-url", "ftp://x"])
        .await
        .code(2);
    home.run(&[
        "profiles",
        "add",
        "ok",
        &url,
        "--ca-file",
        "/nonexistent.pem",
    ])
    .await
    .code(2);

    // config path/show/get/set/unset.
    let path = home.run(&["config", "path"]).await;
    assert_eq!(
        path.ok().stdout.trim(),
        home.config_file().display().to_string()
    );
    home.run(&["config", "show"])
        .await
        .ok()
        .out_has("[profiles.sim]");
    let shown = home.run(&["config", "show", "--json"]).await.json();
    assert_eq!(shown["active"], "sim");
    home.run(&["config", "set", "profiles.sim.username", "alice"])
        .await
        .ok();
    assert_eq!(
        home.run(&["config", "get", "profiles.sim.username"])
            .await
            .stdout
            .trim(),
        "alice"
    );
    home.run(&["config", "set", "profiles.sim.remember_password", "true"])
        .await
        .ok();
    home.run(&["config", "set", "profiles.sim.remember_password", "maybe"])
        .await
        .code(2);
    home.run(&["config", "set", "profiles.sim.usrname", "x"])
        .await
        .code(2)
        .err_has("not a setting");
    home.run(&["config", "set", "profiles.sim.url", "garbage"])
        .await
        .code(2);
    home.run(&["config", "set", "active", "ghost"])
        .await
        .code(2);
    home.run(&["config", "unset", "profiles.sim.username"])
        .await
        .ok();
    home.run(&["config", "get", "profiles.sim.username"])
        .await
        .code(1)
        .err_has("not set");
    home.run(&["config", "get", "a..b"]).await.code(2);
    let text = std::fs::read_to_string(home.config_file()).unwrap();
    assert!(text.contains("remember_password = true"), "{text}");

    // A malformed file is reported (exit 1) and left exactly as it was.
    std::fs::write(home.config_file(), "active = [\n").unwrap();
    home.run(&["ps"])
        .await
        .code(1)
        .err_has("has not changed it");
    home.run(&["profiles", "add", "x", &url]).await.code(1);
    assert_eq!(
        std::fs::read_to_string(home.config_file()).unwrap(),
        "active = [\n"
    );
    // SKYPORT_HOME must be absolute.
    let mut rel = Home::new();
    rel.set("SKYPORT_HOME", "relative/dir");
    rel.run(&["config", "path"])
        .await
        .code(1)
        .err_has("absolute path");
}
