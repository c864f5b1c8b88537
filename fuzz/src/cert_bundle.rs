//! The PEM certificate bundle (`cert::CertBundle`): PEM reader, X.509 parsing, signature
//! checks within the bundle, private-key reading (PKCS#1, SEC1, PKCS#8) and key matching.
//!
//! Three ways in, by the first byte:
//! - `0x00 L key-DER`: a fixed valid certificate plus a private key of label `L % 4`
//!   built from the rest, so mutations reach the key readers directly;
//! - `0x01 F cert-DER`: a fuzzed certificate plus the fixed matching key (flag bit 0
//!   adds the fixed CA, bit 1 puts the key first), so mutations reach X.509 parsing;
//! - anything else: the whole input as the bundle file.
//!
//! Properties: never a panic; a bundle that parses describes itself consistently, and
//! its `identity_pem()` parses again to the same bundle; its `Debug` hides the key.

use base64::Engine as _;
use skyport_core::cert::CertBundle;

const LEAF: &[u8] = include_bytes!("../fixtures/harness/leaf.der");
const LEAF_KEY: &[u8] = include_bytes!("../fixtures/harness/leaf-key.der");
const CA: &[u8] = include_bytes!("../fixtures/harness/ca.der");
const KEY_LABELS: [&str; 4] = [
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
];

fn pem(out: &mut String, label: &str, der: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
}

pub fn run(data: &[u8]) {
    match data {
        [0, label, key @ ..] => {
            let mut text = String::new();
            pem(&mut text, "CERTIFICATE", LEAF);
            pem(&mut text, KEY_LABELS[usize::from(*label) % 4], key);
            check(text.as_bytes());
        }
        [1, flags, cert @ ..] => {
            let mut text = String::new();
            if flags & 2 != 0 {
                pem(&mut text, "PRIVATE KEY", LEAF_KEY);
            }
            pem(&mut text, "CERTIFICATE", cert);
            if flags & 1 != 0 {
                pem(&mut text, "CERTIFICATE", CA);
            }
            if flags & 2 == 0 {
                pem(&mut text, "PRIVATE KEY", LEAF_KEY);
            }
            check(text.as_bytes());
        }
        _ => check(data),
    }
}

fn check(data: &[u8]) {
    let bundle = match CertBundle::parse(data) {
        Ok(b) => b,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let info = bundle.info();
    assert!(info.key_matches);
    assert_eq!(info.chain_len as usize, bundle.chain_der().len());
    assert_eq!(info.not_before, bundle.not_before());
    assert_eq!(info.not_after, bundle.not_after());
    assert!(!info.key_type.is_empty());
    assert!(format!("{bundle:?}").contains("redacted"));

    let again = CertBundle::parse(&bundle.identity_pem())
        .unwrap_or_else(|e| panic!("identity_pem() does not parse again: {e}"));
    assert_eq!(again.info(), bundle.info());
    assert_eq!(again.leaf_der(), bundle.leaf_der());
    assert_eq!(again.chain_der(), bundle.chain_der());
}
