//! Parsing `~/.ssl/cadcproxy.pem`-style bundles: layouts, key types and every
//! malformed case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cert_support.rs"]
mod support;

use base64::Engine as _;
use chrono::Duration;
use skyport_core::cert::{CertBundle, CertError, CertErrorKind, MAX_CERT_FILE_SIZE};
use support::*;

fn b64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}

fn pem_block(label: &str, der: &[u8]) -> String {
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        b64(der)
    )
}

#[test]
fn parses_the_cadc_layout() {
    let leaf = fresh_bundle(1, 10);
    let b = CertBundle::parse(leaf.cadc_bundle().as_bytes()).unwrap();
    let info = b.info();
    assert!(info.subject.contains("CN=alice_test"), "{}", info.subject);
    assert!(info.subject.contains("OU=cadc"), "{}", info.subject);
    assert!(info.issuer.contains("Skyport Test CA"), "{}", info.issuer);
    assert_eq!(info.not_before.timestamp(), leaf.not_before.timestamp());
    assert_eq!(info.not_after.timestamp(), leaf.not_after.timestamp());
    assert_eq!(info.chain_len, 1);
    assert!(info.key_matches);
    assert_eq!(info.key_type, "RSA 2048");
    assert!(!info.serial.is_empty());
    assert_eq!(info.path, None);
    assert_eq!(b.chain_der().len(), 1);
}

#[test]
fn leaf_is_found_by_key_not_by_position() {
    let leaf = fresh_bundle(2, 10);
    let other = fresh_bundle(3, 20);
    // Chain first, then an unrelated certificate, the key, and the leaf last.
    let text = format!(
        "{}{}{}{}",
        ca().0,
        other.cert_pem,
        leaf.key_pem,
        leaf.cert_pem
    );
    let b = CertBundle::parse(text.as_bytes()).unwrap();
    assert_eq!(b.not_after().timestamp(), leaf.not_after.timestamp());
    assert_eq!(b.info().chain_len, 2);
    // The identity puts the leaf first.
    let id = b.identity_pem();
    let id = std::str::from_utf8(&id).unwrap();
    assert!(id.starts_with(leaf.cert_pem.trim_end()));
}

#[test]
fn pkcs1_rsa_key() {
    let leaf = fresh_bundle(1, 10);
    let text = format!("{}{}{}", leaf.cert_pem, to_pkcs1(&leaf.key_pem), ca().0);
    let b = CertBundle::parse(text.as_bytes()).unwrap();
    assert_eq!(b.info().key_type, "RSA 2048");
    let id = b.identity_pem();
    assert!(std::str::from_utf8(&id)
        .unwrap()
        .contains("-----BEGIN RSA PRIVATE KEY-----"));
}

#[test]
fn ec_keys_pkcs8_and_sec1() {
    let key = rcgen::KeyPair::generate().unwrap();
    let key_pem = key.serialize_pem();
    let start = now() - Duration::minutes(5);
    let leaf = leaf_with_key(&key_pem, "ec_user", start, start + Duration::days(3));
    let b = CertBundle::parse(leaf.cadc_bundle().as_bytes()).unwrap();
    assert_eq!(b.info().key_type, "EC P-256");
    let sec1 = openssl(&["pkey", "-traditional"], &key_pem);
    assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
    let text = format!("{sec1}{}", leaf.cert_pem);
    let b = CertBundle::parse(text.as_bytes()).unwrap();
    assert_eq!(b.info().key_type, "EC P-256");
    assert_eq!(b.info().chain_len, 0);
}

#[test]
fn ed25519_with_embedded_public_key_is_accepted() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let key_pem = key.serialize_pem();
    let start = now();
    let leaf = leaf_with_key(&key_pem, "ed", start, start + Duration::days(1));
    // ring writes PKCS#8 v2 (RFC 5958) with the public key.
    let b = CertBundle::parse(leaf.cadc_bundle().as_bytes()).unwrap();
    assert_eq!(b.info().key_type, "Ed25519");
}

#[test]
fn tolerates_crlf_and_text_around_blocks() {
    let leaf = fresh_bundle(1, 10);
    let text = format!(
        "Bag Attributes\n    localKeyID: 01 02\nsubject=/CN=alice\n{}\n\n{}{}trailing words\n",
        leaf.cert_pem,
        leaf.key_pem,
        ca().0
    )
    .replace('\n', "\r\n");
    let b = CertBundle::parse(text.as_bytes()).unwrap();
    assert_eq!(b.not_after().timestamp(), leaf.not_after.timestamp());
}

#[test]
fn identity_pem_round_trips_and_suits_reqwest() {
    let leaf = fresh_bundle(2, 10);
    let b = CertBundle::parse(leaf.cadc_bundle().as_bytes()).unwrap();
    let id = b.identity_pem();
    let again = CertBundle::parse(&id).unwrap();
    assert_eq!(again.info(), b.info());
    reqwest::Identity::from_pem(&id).expect("reqwest accepts the identity");
    let pkcs1 = format!("{}{}", leaf.cert_pem, to_pkcs1(&leaf.key_pem));
    let b = CertBundle::parse(pkcs1.as_bytes()).unwrap();
    reqwest::Identity::from_pem(&b.identity_pem()).expect("reqwest accepts PKCS#1");
}

#[test]
fn debug_and_errors_never_show_the_key() {
    let leaf = fresh_bundle(1, 10);
    let b = CertBundle::parse(leaf.cadc_bundle().as_bytes()).unwrap();
    let dbg = format!("{b:?}");
    assert!(dbg.contains("redacted"));
    let key_body: String = leaf
        .key_pem
        .lines()
        .nth(1)
        .unwrap()
        .chars()
        .take(20)
        .collect();
    assert!(!dbg.contains(&key_body));
    // An error about a broken key quotes nothing of it.
    let broken = format!(
        "{}{}",
        leaf.cert_pem,
        leaf.key_pem.replacen(&key_body, "%%%%", 1)
    );
    let e = CertBundle::parse(broken.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(!e.contains(&key_body[4..]), "{e}");
}

#[test]
fn loads_from_a_path_and_reports_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cadcproxy.pem");
    let leaf = fresh_bundle(1, 10);

    let e = CertBundle::load(&path).unwrap_err();
    assert_eq!(e.kind(), CertErrorKind::Missing);
    assert!(
        e.to_string().contains("cadcproxy.pem does not exist"),
        "{e}"
    );
    assert!(e.to_string().contains("skyport cert obtain"), "{e}");

    std::fs::write(&path, leaf.cadc_bundle()).unwrap();
    let b = CertBundle::load(&path).unwrap();
    assert_eq!(b.info().path.as_deref(), Some(path.to_str().unwrap()));

    std::fs::write(&path, "").unwrap();
    assert!(matches!(
        CertBundle::load(&path),
        Err(CertError::Empty { .. })
    ));

    let big = "x".repeat(MAX_CERT_FILE_SIZE as usize + 1);
    std::fs::write(&path, big).unwrap();
    assert!(matches!(
        CertBundle::load(&path),
        Err(CertError::TooLarge { .. })
    ));

    let e = CertBundle::load(dir.path()).unwrap_err();
    assert_eq!(e.kind(), CertErrorKind::Unreadable, "{e}");

    let d = skyport_core::cert::default_cert_path(std::path::Path::new("/home/a"));
    assert_eq!(d, std::path::PathBuf::from("/home/a/.ssl/cadcproxy.pem"));
}

/// Every malformed input gives its own typed error whose message names the data and
/// says what to do.
#[test]
fn every_malformed_bundle_has_a_typed_error() {
    let leaf = fresh_bundle(1, 10);
    let other = fresh_bundle(2, 10);
    let bundle = leaf.cadc_bundle();
    let cert_b64_line = leaf.cert_pem.lines().nth(3).unwrap().to_string();
    let dsa_pkcs8 = [
        0x30, 0x13, 0x02, 0x01, 0x00, 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04,
        0x01, 0x04, 0x03, 0x02, 0x01, 0x05,
    ];
    let ed25519_v1 = openssl(&["genpkey", "-algorithm", "ed25519"], "");
    let mut cert_der_trailing = {
        let blocks: Vec<_> = leaf
            .cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(blocks.concat())
            .unwrap()
    };
    cert_der_trailing.extend([0, 0]);
    let mut random = vec![0u8; 3000];
    fastrand::fill(&mut random);

    type Check = fn(&CertError) -> bool;
    let cases: Vec<(&str, Vec<u8>, Check)> = vec![
        ("empty", vec![], |e| matches!(e, CertError::Empty { .. })),
        ("whitespace", b" \n\t\r\n".to_vec(), |e| {
            matches!(e, CertError::Empty { .. })
        }),
        (
            "html error page",
            b"<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>".to_vec(),
            |e| matches!(e, CertError::NotPem { looks_like, .. } if looks_like.contains("web page")),
        ),
        (
            "json error",
            br#"{"error": "unauthorized"}"#.to_vec(),
            |e| matches!(e, CertError::NotPem { looks_like, .. } if looks_like.contains("JSON")),
        ),
        (
            "plain text server message",
            b"daysValid larger than maximum allowed\n".to_vec(),
            |e| matches!(e, CertError::NotPem { looks_like, .. } if looks_like.contains("daysValid")),
        ),
        ("binary garbage", random, |e| {
            matches!(e, CertError::NotPem { .. })
        }),
        (
            "certificate cut short",
            bundle.as_bytes()[..leaf.cert_pem.len() / 2].to_vec(),
            |e| matches!(e, CertError::TruncatedPem { label, .. } if label == "CERTIFICATE"),
        ),
        (
            "key cut short",
            bundle.as_bytes()[..leaf.cert_pem.len() + leaf.key_pem.len() / 2].to_vec(),
            |e| matches!(e, CertError::TruncatedPem { label, .. } if label == "PRIVATE KEY"),
        ),
        (
            "certificate without key",
            format!("{}{}", leaf.cert_pem, ca().0).into_bytes(),
            |e| matches!(e, CertError::NoPrivateKey { .. }),
        ),
        (
            "key without certificate",
            leaf.key_pem.clone().into_bytes(),
            |e| matches!(e, CertError::NoCertificate { .. }),
        ),
        (
            "certificate for another key",
            format!("{}{}{}", other.cert_pem, leaf.key_pem, ca().0).into_bytes(),
            |e| {
                matches!(
                    e,
                    CertError::KeyMismatch {
                        certificates: 2,
                        ..
                    }
                )
            },
        ),
        (
            "two different keys",
            format!("{}{}", bundle, to_pkcs1(rsa_key(3))).into_bytes(),
            |e| matches!(e, CertError::MultipleKeys { count: 2, .. }),
        ),
        (
            "encrypted PKCS#8 key",
            format!("{}{}", leaf.cert_pem, encrypted_pkcs8(&leaf.key_pem)).into_bytes(),
            |e| matches!(e, CertError::EncryptedKey { .. }),
        ),
        (
            "encrypted legacy key",
            format!("{}{}", leaf.cert_pem, encrypted_pkcs1(&leaf.key_pem)).into_bytes(),
            |e| matches!(e, CertError::EncryptedKey { .. }),
        ),
        (
            "OpenSSH key",
            format!(
                "{}{}",
                leaf.cert_pem,
                pem_block("OPENSSH PRIVATE KEY", b"openssh-key-v1\0")
            )
            .into_bytes(),
            |e| matches!(e, CertError::UnsupportedKeyType { key_type, .. } if key_type.contains("OPENSSH")),
        ),
        (
            "DSA key",
            format!("{}{}", leaf.cert_pem, pem_block("PRIVATE KEY", &dsa_pkcs8)).into_bytes(),
            |e| matches!(e, CertError::UnsupportedKeyType { key_type, .. } if key_type == "DSA"),
        ),
        (
            "Ed25519 key without public key",
            format!("{}{}", leaf.cert_pem, ed25519_v1).into_bytes(),
            |e| matches!(e, CertError::UnsupportedKeyType { key_type, .. } if key_type == "Ed25519"),
        ),
        (
            "corrupt base64",
            bundle
                .replacen(&cert_b64_line, &format!("*{}", &cert_b64_line[1..]), 1)
                .into_bytes(),
            |e| matches!(e, CertError::CorruptPem { .. }),
        ),
        (
            "base64 line dropped",
            bundle
                .replacen(&format!("{cert_b64_line}\n"), "", 1)
                .into_bytes(),
            |e| {
                matches!(
                    e,
                    CertError::CorruptDer { .. } | CertError::CorruptPem { .. }
                )
            },
        ),
        (
            "certificate that is not DER",
            format!(
                "{}{}",
                pem_block("CERTIFICATE", b"hello world, not a certificate"),
                leaf.key_pem
            )
            .into_bytes(),
            |e| matches!(e, CertError::CorruptDer { what, .. } if what.contains("certificate")),
        ),
        (
            "certificate with trailing bytes",
            format!(
                "{}{}",
                pem_block("CERTIFICATE", &cert_der_trailing),
                leaf.key_pem
            )
            .into_bytes(),
            |e| matches!(e, CertError::CorruptDer { .. }),
        ),
        (
            "key that is not DER",
            format!(
                "{}{}",
                leaf.cert_pem,
                pem_block("PRIVATE KEY", b"\x30\x03\x02\x01")
            )
            .into_bytes(),
            |e| matches!(e, CertError::CorruptDer { what, .. } if what.contains("private key")),
        ),
        (
            "END line of another block",
            bundle
                .replacen("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----", 1)
                .into_bytes(),
            |e| matches!(e, CertError::CorruptPem { .. }),
        ),
        ("too large", bundle.repeat(20).into_bytes(), |e| {
            matches!(e, CertError::TooLarge { .. })
        }),
    ];
    let count = cases.len();
    for (name, data, check) in cases {
        let e = CertBundle::parse(&data).expect_err(name);
        assert!(check(&e), "{name}: unexpected {e:?}");
        let msg = e.to_string();
        assert!(msg.contains("the certificate data"), "{name}: {msg}");
        assert!(
            msg.contains("skyport cert obtain"),
            "{name}: message says what to do: {msg}"
        );
    }
    println!("{count} malformed bundles rejected with typed errors");
    assert!(count >= 20);
}

#[test]
fn altered_certificate_is_caught_by_its_signature() {
    let leaf = fresh_bundle(1, 10);
    let altered = alter_cn(&leaf.cert_pem);
    let text = format!("{altered}{}{}", leaf.key_pem, ca().0);
    let e = CertBundle::parse(text.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, CertError::CorruptDer { what, detail, .. }
            if what == "certificate 1 of 2" && detail.contains("signature")),
        "{e:?}"
    );
    // Without the issuer in the bundle the signature cannot be checked: accepted.
    let text = format!("{altered}{}", leaf.key_pem);
    assert!(CertBundle::parse(text.as_bytes()).is_ok());
}

#[test]
fn same_key_twice_is_fine() {
    let leaf = fresh_bundle(1, 10);
    let text = format!("{}{}", leaf.cadc_bundle(), leaf.key_pem);
    assert!(CertBundle::parse(text.as_bytes()).is_ok());
}

/// Truncating or flipping bytes anywhere never panics.
#[test]
fn never_panics_on_damaged_input() {
    let leaf = fresh_bundle(1, 10);
    let bundle = leaf.cadc_bundle().into_bytes();
    for cut in 0..bundle.len() {
        let _ = CertBundle::parse(&bundle[..cut]);
    }
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..3000 {
        let mut data = bundle.clone();
        for _ in 0..rng.usize(1..4) {
            let i = rng.usize(..data.len());
            data[i] = rng.u8(..);
        }
        let _ = CertBundle::parse(&data);
    }
    // Damage inside the DER (valid base64 of flipped bytes).
    let der_blocks: Vec<String> = leaf
        .cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_string)
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der_blocks.concat())
        .unwrap();
    for _ in 0..2000 {
        let mut d = der.clone();
        let i = rng.usize(..d.len());
        d[i] = rng.u8(..);
        let text = format!("{}{}", pem_block("CERTIFICATE", &d), leaf.key_pem);
        let _ = CertBundle::parse(text.as_bytes());
    }
}
