use super::*;
use crate::keyring::MemoryStore;

fn home() -> (tempfile::TempDir, Paths) {
    let dir = tempfile::tempdir().expect("tmp");
    let paths = Paths::under(dir.path().to_path_buf()).expect("paths");
    (dir, paths)
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("url")
}

#[test]
fn added_credentials_keep_their_secrets_in_the_keyring_only() {
    let (_d, paths) = home();
    let store = MemoryStore::default();
    let id = add(
        &paths,
        &store,
        NewCredential {
            kind: Some(Kind::Basic),
            origins: vec!["https://tap.example.org/tap".into()],
            username: Some("ada".into()),
            secret: Some(SecretString::new("pw-SECRET-1".into())),
            ..Default::default()
        },
    )
    .expect("add");
    assert_eq!(id, "basic-tap-example-org-tap");
    let cookie = add(
        &paths,
        &store,
        NewCredential {
            kind: Some(Kind::Cookie),
            origins: vec!["https://gea.esac.esa.int/tap-server".into()],
            username: Some("ada".into()),
            login_url: Some("https://gea.esac.esa.int/tap-server/login".into()),
            secret: Some(SecretString::new("pw-SECRET-2".into())),
            id: Some("gaia".into()),
            ..Default::default()
        },
    )
    .expect("add");
    assert_eq!(cookie, "gaia");
    let text = std::fs::read_to_string(file_path(&paths)).expect("file");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.contains("https://tap.example.org/tap/"), "{text}");
    assert_eq!(
        store
            .get(&entry("gaia", entries::SECRET))
            .expect("get")
            .map(|s| s.expose().clone())
            .as_deref(),
        Some("pw-SECRET-2")
    );

    let listed = list(&paths, &store).expect("list");
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|l| !l.managed && l.kept.contains("memory")),
        "{listed:?}"
    );

    // Bound only where it may go: the path, not the rest of the host, not another host.
    let here = bound_to(&paths, &store, &url("https://tap.example.org/tap/sync")).expect("bound");
    assert_eq!(here.first().map(|b| b.id.as_str()), Some(id.as_str()));
    for elsewhere in [
        "https://tap.example.org/admin",
        "http://tap.example.org/tap/sync",
        "https://evil.example.org/tap/sync",
    ] {
        assert!(
            bound_to(&paths, &store, &url(elsewhere))
                .expect("bound")
                .is_empty(),
            "{elsewhere}"
        );
    }

    remove(&paths, &store, "gaia").expect("remove");
    assert!(store
        .get(&entry("gaia", entries::SECRET))
        .expect("get")
        .is_none());
    assert!(matches!(
        remove(&paths, &store, "gaia"),
        Err(VaultError::NoSuch(_))
    ));
    assert!(matches!(
        remove(&paths, &store, "canfar/sign-in"),
        Err(VaultError::Managed(_))
    ));
}

#[test]
fn what_a_kind_needs_is_said_and_nothing_is_saved_without_it() {
    let (_d, paths) = home();
    let store = MemoryStore::default();
    let try_add = |n: NewCredential| add(&paths, &store, n).expect_err("refused").to_string();
    let e = try_add(NewCredential {
        kind: Some(Kind::Bearer),
        origins: vec!["https://x.example.org".into()],
        ..Default::default()
    });
    assert!(e.contains("--token-stdin"), "{e}");
    let e = try_add(NewCredential {
        kind: Some(Kind::Bearer),
        secret: Some(SecretString::new("t".into())),
        ..Default::default()
    });
    assert!(e.contains("--origin"), "{e}");
    let e = try_add(NewCredential {
        kind: Some(Kind::Bearer),
        origins: vec!["http://x.example.org".into()],
        secret: Some(SecretString::new("t".into())),
        ..Default::default()
    });
    assert!(e.contains("only over https"), "{e}");
    // The password would go to the login address: it must be inside the places.
    let e = try_add(NewCredential {
        kind: Some(Kind::Cookie),
        origins: vec!["https://x.example.org".into()],
        username: Some("u".into()),
        secret: Some(SecretString::new("p".into())),
        login_url: Some("https://login.elsewhere.org/login".into()),
        ..Default::default()
    });
    assert!(e.contains("outside the places"), "{e}");
    assert!(!file_path(&paths).exists());
}

#[test]
fn the_most_specific_binding_comes_first_and_anonymous_is_one() {
    let (_d, paths) = home();
    let store = MemoryStore::default();
    let add_one = |kind: Kind, origin: &str, id: &str| {
        add(
            &paths,
            &store,
            NewCredential {
                kind: Some(kind),
                origins: vec![origin.into()],
                secret: (kind != Kind::Anonymous).then(|| SecretString::new("t".into())),
                id: Some(id.into()),
                ..Default::default()
            },
        )
        .expect("add")
    };
    add_one(Kind::Bearer, "https://*.canfar.net", "domain");
    add_one(Kind::Bearer, "https://ws-uv.canfar.net", "host");
    add_one(Kind::Anonymous, "https://ws-uv.canfar.net/public/", "open");
    let ids = |u: &str| -> Vec<String> {
        bound_to(&paths, &store, &url(u))
            .expect("bound")
            .into_iter()
            .map(|b| b.id)
            .collect()
    };
    assert_eq!(
        ids("https://ws-uv.canfar.net/public/x"),
        ["open", "host", "domain"]
    );
    assert_eq!(ids("https://ws-uv.canfar.net/skaha"), ["host", "domain"]);
    assert_eq!(ids("https://ws-cadc.canfar.net/ac"), ["domain"]);
}

#[test]
fn a_jwts_expiry_is_read_for_the_list() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let token = format!(
        "{}.{}.sig",
        b64.encode("{}"),
        b64.encode(r#"{"exp":1767225600}"#)
    );
    assert_eq!(
        jwt_expiry(&token).map(|t| t.timestamp()),
        Some(1_767_225_600)
    );
    assert_eq!(jwt_expiry("opaque-token"), None);
}
