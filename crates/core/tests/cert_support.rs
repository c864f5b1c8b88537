//! Test support for the `cert_*` tests: a local CA and leaf certificates with chosen
//! validity, generated at test time (no private key is ever committed).
//!
//! RSA 2048 keys come from the `openssl` command (ring cannot generate RSA keys);
//! certificates are built and signed with `rcgen`. Other test files include this one
//! with `#[path = "cert_support.rs"] mod support;`. Compiled on its own it checks that
//! the generated material is what the tests assume.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    SerialNumber,
};

/// The tests' "now": certificates are generated relative to the real clock.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Runs `openssl` with `args`, feeding `stdin`, returning stdout.
pub fn openssl(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl command is needed by the certificate tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// RSA 2048 keys in PKCS#8 PEM, generated once per test binary. Index 0 is the CA's.
pub fn rsa_key(i: usize) -> &'static str {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        (0..4)
            .map(|_| {
                openssl(
                    &[
                        "genpkey",
                        "-algorithm",
                        "RSA",
                        "-pkeyopt",
                        "rsa_keygen_bits:2048",
                        "-quiet",
                    ],
                    "",
                )
            })
            .collect()
    });
    &keys[i % keys.len()]
}

/// The same key as PKCS#1 (`RSA PRIVATE KEY`).
pub fn to_pkcs1(pkcs8: &str) -> String {
    openssl(&["pkey", "-traditional"], pkcs8)
}

/// The key encrypted as PKCS#8 (`ENCRYPTED PRIVATE KEY`).
pub fn encrypted_pkcs8(pkcs8: &str) -> String {
    openssl(&["pkey", "-aes256", "-passout", "pass:secret"], pkcs8)
}

/// The key encrypted in the legacy OpenSSL form (`Proc-Type: 4,ENCRYPTED`).
pub fn encrypted_pkcs1(pkcs8: &str) -> String {
    openssl(
        &["pkey", "-traditional", "-aes256", "-passout", "pass:secret"],
        pkcs8,
    )
}

fn odt(t: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap()
}

fn next_serial() -> u64 {
    static SERIAL: AtomicU64 = AtomicU64::new(0x1000);
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "CA");
    dn.push(DnType::OrganizationName, "Skyport Test");
    dn.push(DnType::CommonName, "Skyport Test CA");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = odt(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap());
    params.not_after = odt(Utc.with_ymd_and_hms(2090, 1, 1, 0, 0, 0).unwrap());
    params.serial_number = Some(SerialNumber::from(1u64));
    params
}

/// The test CA: certificate PEM and key PEM.
pub fn ca() -> &'static (String, String) {
    static CA: OnceLock<(String, String)> = OnceLock::new();
    CA.get_or_init(|| {
        let key_pem = rsa_key(0).to_string();
        let key = KeyPair::from_pem(&key_pem).unwrap();
        let cert = ca_params().self_signed(&key).unwrap();
        (cert.pem(), key_pem)
    })
}

/// A leaf certificate and its key.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub cn: String,
}

impl Leaf {
    /// CADC's layout: certificate, private key, then the CA chain.
    pub fn cadc_bundle(&self) -> String {
        format!("{}{}{}", self.cert_pem, self.key_pem, ca().0)
    }
}

/// A leaf for `key_pem` valid from `not_before` to `not_after`, signed by the test CA.
pub fn leaf_with_key(
    key_pem: &str,
    cn: &str,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Leaf {
    let key = KeyPair::from_pem(key_pem).unwrap();
    let ca_key = KeyPair::from_pem(&ca().1).unwrap();
    let issuer = Issuer::new(ca_params(), ca_key);
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "ca");
    dn.push(DnType::OrganizationName, "hia");
    dn.push(DnType::OrganizationalUnitName, "cadc");
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = odt(not_before);
    params.not_after = odt(not_after);
    params.serial_number = Some(SerialNumber::from(next_serial()));
    let cert = params.signed_by(&key, &issuer).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key_pem.to_string(),
        not_before,
        not_after,
        cn: cn.to_string(),
    }
}

/// An RSA leaf (key `key_index` of the pool, 1..) valid for `days` from `start`.
pub fn rsa_leaf(key_index: usize, start: DateTime<Utc>, days: i64) -> Leaf {
    leaf_with_key(
        rsa_key(key_index.max(1)),
        "alice_test",
        start,
        start + Duration::days(days),
    )
}

/// A CADC-like bundle valid from 5 minutes ago for `days` days.
pub fn fresh_bundle(key_index: usize, days: i64) -> Leaf {
    rsa_leaf(key_index, now() - Duration::minutes(5), days)
}

/// The certificate with one letter of its subject CN changed (`alice_test` →
/// `alicf_test`), re-encoded: it still parses, but its signature no longer matches.
pub fn alter_cn(cert_pem: &str) -> String {
    use base64::Engine as _;
    let b64: String = cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let at = der
        .windows(10)
        .position(|w| w == b"alice_test")
        .expect("CN in certificate");
    der[at + 4] = b'f';
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}
