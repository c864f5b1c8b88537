use super::*;
use crate::paths::Paths;
use crate::secret::SecretString;
use crate::skaha::RegistryAuth;

fn memory() -> (tempfile::TempDir, LaunchMemory, Paths) {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
    (dir, LaunchMemory::new(&paths), paths)
}

fn fit() -> LaunchSpec {
    LaunchSpec {
        kind: SessionKind::Headless,
        image: "images.canfar.net/skaha/astroml:24.07".into(),
        session_name: "fit".into(),
        resources: Resources::Fixed {
            cores: 4,
            ram_gb: 16,
            gpus: None,
        },
        cmd: Some("python".into()),
        args: Some("fit.py --fast".into()),
        env: vec![EnvVar {
            name: "MODE".into(),
            value: "fast".into(),
        }],
        replicas: 3,
        registry_user: None,
        keep_alive_days: Some(3),
    }
}

fn preset(name: &str, profile: Option<&str>, spec: LaunchSpec) -> Preset {
    Preset {
        name: name.into(),
        profile: profile.map(Into::into),
        spec,
    }
}

#[test]
fn saved_listed_per_platform_replaced_and_removed() {
    let (_dir, mem, _) = memory();
    assert!(mem.presets("canfar").expect("none yet").is_empty());
    assert!(!mem
        .save(preset("fit", Some("canfar"), fit()))
        .expect("save"));
    let anywhere = LaunchSpec {
        kind: SessionKind::Notebook,
        session_name: String::new(),
        resources: Resources::Flexible,
        cmd: None,
        args: None,
        env: vec![],
        replicas: 1,
        ..fit()
    };
    mem.save(preset("nb", None, anywhere.clone()))
        .expect("save");
    mem.save(preset("fit", Some("srcnet-es"), fit()))
        .expect("save");

    let names = |p: &str| -> Vec<String> {
        mem.presets(p)
            .expect("list")
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    assert_eq!(names("canfar"), ["fit", "nb"]);
    assert_eq!(names("other"), ["nb"], "a platform's presets stay with it");
    assert_eq!(mem.preset("canfar", "fit").expect("get").spec, fit());

    // The same name for the same platform replaces it.
    let bigger = LaunchSpec {
        replicas: 10,
        ..fit()
    };
    assert!(mem
        .save(preset("fit", Some("canfar"), bigger))
        .expect("save"));
    assert_eq!(mem.preset("canfar", "fit").expect("get").spec.replicas, 10);
    assert_eq!(
        mem.preset("srcnet-es", "fit").expect("get").spec.replicas,
        3
    );

    mem.remove("canfar", "fit").expect("remove");
    assert_eq!(names("canfar"), ["nb"]);
    assert!(matches!(
        mem.remove("canfar", "fit"),
        Err(PresetError::NoSuch(_))
    ));
    assert!(matches!(
        mem.preset("canfar", "gone"),
        Err(PresetError::NoSuch(_))
    ));

    // A platform's own preset hides an any-platform one of the same name; removing it
    // shows the other again.
    let own_nb = LaunchSpec {
        replicas: 1,
        image: "images.canfar.net/skaha/own:1".into(),
        ..anywhere.clone()
    };
    mem.save(preset("nb", Some("canfar"), own_nb.clone()))
        .expect("save");
    assert_eq!(names("canfar"), ["nb"]);
    assert_eq!(mem.preset("canfar", "nb").expect("get").spec, own_nb);
    mem.remove("canfar", "nb").expect("remove");
    assert_eq!(mem.preset("canfar", "nb").expect("get").spec, anywhere);
}

#[test]
fn names_and_specs_are_checked_before_saving() {
    let (_dir, mem, _) = memory();
    for bad in ["", "-x", "a b", "x/y", &"a".repeat(65)] {
        assert!(
            matches!(
                mem.save(preset(bad, None, fit())),
                Err(PresetError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    let no_image = LaunchSpec {
        image: " ".into(),
        ..fit()
    };
    assert!(mem.save(preset("x", None, no_image)).is_err());
    let desktops = LaunchSpec {
        kind: SessionKind::Desktop,
        replicas: 3,
        cmd: None,
        args: None,
        env: Vec::new(),
        ..fit()
    };
    assert!(
        mem.save(preset("x", None, desktops)).is_err(),
        "a desktop session cannot be replicated"
    );
    let notebook_cmd = LaunchSpec {
        kind: SessionKind::Notebook,
        args: None,
        env: Vec::new(),
        ..fit()
    };
    assert!(
        mem.save(preset("x", None, notebook_cmd)).is_err(),
        "a command is for headless sessions"
    );
    let bad_name = LaunchSpec {
        session_name: "no spaces".into(),
        ..fit()
    };
    assert!(mem.save(preset("x", None, bad_name)).is_err());
}

#[test]
fn a_file_that_cannot_be_read_is_an_error_and_is_left_as_it_is() {
    let (_dir, mem, paths) = memory();
    let file = paths.config_dir.join("presets.toml");
    std::fs::create_dir_all(&paths.config_dir).expect("dir");
    let typo = "[[preset]]\nname = \"fit\"\nkind = \"headless\"\nimage = \n";
    std::fs::write(&file, typo).expect("write");
    let err = mem.presets("canfar").expect_err("malformed");
    assert!(err.to_string().contains("presets.toml"), "{err}");
    assert!(err.to_string().contains("it is left as it is"), "{err}");
    assert!(mem.save(preset("nb", None, fit())).is_err());
    assert_eq!(std::fs::read_to_string(&file).expect("read"), typo);
}

#[test]
fn the_file_is_readable_toml_and_holds_no_registry_secret() {
    let (_dir, mem, paths) = memory();
    let req = CreateRequest {
        registry_auth: Some(RegistryAuth {
            username: "alice".into(),
            secret: SecretString::new("cli-secret-XYZ".into()),
        }),
        ..fit().request().0
    };
    let spec = LaunchSpec::of(&req, SessionKind::Headless, 3);
    assert_eq!(spec.registry_user.as_deref(), Some("alice"));
    mem.save(preset("private", Some("canfar"), spec.clone()))
        .expect("save");
    let text = std::fs::read_to_string(paths.config_dir.join("presets.toml")).expect("read");
    assert!(!text.contains("cli-secret-XYZ"), "{text}");
    assert!(text.contains("[[preset]]"), "{text}");
    assert!(text.contains("name = \"private\""), "{text}");
    assert!(text.contains("registryUser = \"alice\""), "{text}");

    // Back to a request: the same launch, the secret to be found in the keyring.
    let (again, replicas) = spec.request();
    assert_eq!(replicas, 3);
    assert!(again.registry_auth.is_none());
    assert_eq!(again.env, [("MODE".to_string(), "fast".to_string())]);
    assert_eq!(again.resources, fit().resources);
}

#[test]
fn recent_launches_newest_first_once_each_and_capped_per_platform() {
    let (_dir, mem, _) = memory();
    let t0 = Utc::now();
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    let spec = |n: u32| LaunchSpec {
        session_name: format!("fit{n}"),
        ..fit()
    };
    for n in 0..25 {
        mem.record("canfar", &spec(n), at(n.into()))
            .expect("record");
    }
    mem.record("srcnet-es", &spec(0), at(30)).expect("record");
    let recent = mem.recent("canfar").expect("recent");
    assert_eq!(recent.len(), RECENT_KEPT);
    assert_eq!(recent[0].spec.session_name, "fit24", "newest first");
    assert_eq!(recent[RECENT_KEPT - 1].spec.session_name, "fit5");
    assert_eq!(
        mem.recent("srcnet-es").expect("recent").len(),
        1,
        "kept apart"
    );

    // The same launch again moves up instead of repeating.
    mem.record("canfar", &spec(10), at(40)).expect("record");
    let recent = mem.recent("canfar").expect("recent");
    assert_eq!(recent.len(), RECENT_KEPT);
    assert_eq!(recent[0].spec.session_name, "fit10");
    assert_eq!(recent[0].at, at(40));
    assert_eq!(
        recent
            .iter()
            .filter(|l| l.spec.session_name == "fit10")
            .count(),
        1
    );
}

#[test]
fn changes_made_at_once_by_several_processes_all_land() {
    let (_dir, mem, _) = memory();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let mem = mem.clone();
            std::thread::spawn(move || {
                mem.save(preset(&format!("p{i}"), None, fit()))
                    .expect("save");
                mem.record(
                    "canfar",
                    &LaunchSpec {
                        session_name: format!("r{i}"),
                        ..fit()
                    },
                    Utc::now(),
                )
                .expect("record");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(mem.presets("canfar").expect("list").len(), 8);
    assert_eq!(mem.recent("canfar").expect("recent").len(), 8);
}
