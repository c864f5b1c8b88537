//! Parsing a PEM bundle: certificate, private key and chain, in any order.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use x509_parser::prelude::{FromDer as _, X509Certificate};
use zeroize::Zeroizing;

use super::error::{display_path, CertError};
use super::key::{self, PublicKeyId};
use super::pem;

/// The largest bundle accepted (64 KiB, as TOPCAT caps certificate downloads). A CADC
/// bundle is about 5 KiB.
pub const MAX_CERT_FILE_SIZE: u64 = 64 * 1024;

/// The conventional CADC certificate location under a home directory:
/// `<home>/.ssl/cadcproxy.pem`.
pub fn default_cert_path(home: &Path) -> PathBuf {
    home.join(".ssl").join("cadcproxy.pem")
}

/// What the UI and CLI show about a certificate bundle. Holds no secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct CertInfo {
    /// Subject DN of the leaf certificate, e.g. `CN=alice_123,OU=cadc,O=hia,C=ca`.
    pub subject: String,
    /// Issuer DN of the leaf certificate.
    pub issuer: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// Serial number as colon-separated hex.
    pub serial: String,
    /// The file it was read from, when read from a file.
    pub path: Option<String>,
    /// How many certificates besides the leaf the bundle holds (the CA chain).
    pub chain_len: u32,
    /// True: the private key belongs to the leaf (a bundle where it does not is an
    /// error, so this is always true for a parsed bundle).
    pub key_matches: bool,
    /// "RSA 2048", "EC P-256", ...
    pub key_type: String,
}

/// A parsed, consistent bundle: a leaf certificate, its private key and the chain.
///
/// `Debug` prints the [`CertInfo`] only; the key is wiped from memory on drop.
#[derive(Clone)]
pub struct CertBundle {
    info: CertInfo,
    leaf_der: Vec<u8>,
    chain_der: Vec<Vec<u8>>,
    key_label: String,
    key_der: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for CertBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertBundle")
            .field("info", &self.info)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

fn to_utc(t: &x509_parser::time::ASN1Time) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(t.timestamp(), 0)
}

struct ParsedCert {
    der: Vec<u8>,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    public: PublicKeyId,
    subject: String,
    issuer: String,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    serial: String,
}

fn parse_cert(
    der: &[u8],
    index: usize,
    total: usize,
    origin: &str,
) -> Result<ParsedCert, CertError> {
    let what = if total == 1 {
        "the certificate".to_string()
    } else {
        format!("certificate {} of {total}", index + 1)
    };
    let corrupt = |detail: String| CertError::CorruptDer {
        origin: origin.to_string(),
        what: what.clone(),
        detail,
    };
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| corrupt(e.to_string()))?;
    if !rest.is_empty() {
        return Err(corrupt(format!("{} unexpected bytes after it", rest.len())));
    }
    let validity = cert.validity();
    let (Some(not_before), Some(not_after)) =
        (to_utc(&validity.not_before), to_utc(&validity.not_after))
    else {
        return Err(corrupt("its validity dates are out of range".into()));
    };
    Ok(ParsedCert {
        der: der.to_vec(),
        subject_raw: cert.subject().as_raw().to_vec(),
        issuer_raw: cert.issuer().as_raw().to_vec(),
        public: key::from_spki(cert.public_key()),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before,
        not_after,
        serial: cert.raw_serial_as_string(),
    })
}

/// Checks the signature of every certificate whose issuer is also in the bundle, so a
/// certificate damaged in transit or on disk is not mistaken for a good one (parsing
/// alone accepts many damaged certificates). Algorithms `ring` cannot verify are
/// skipped.
fn verify_signatures(certs: &[ParsedCert], origin: &str) -> Result<(), CertError> {
    use x509_parser::error::X509Error;
    let total = certs.len();
    for (i, c) in certs.iter().enumerate() {
        let issuers: Vec<&ParsedCert> = certs
            .iter()
            .filter(|p| p.subject_raw == c.issuer_raw)
            .collect();
        if issuers.is_empty() {
            continue;
        }
        let Ok((_, cert)) = X509Certificate::from_der(&c.der) else {
            continue;
        };
        let mut bad = false;
        let mut good = false;
        for issuer in issuers {
            let Ok((_, issuer_cert)) = X509Certificate::from_der(&issuer.der) else {
                continue;
            };
            match cert.verify_signature(Some(issuer_cert.public_key())) {
                Ok(()) => good = true,
                Err(X509Error::SignatureUnsupportedAlgorithm) => {}
                Err(_) => bad = true,
            }
        }
        if bad && !good {
            let what = if total == 1 {
                "the certificate".to_string()
            } else {
                format!("certificate {} of {total}", i + 1)
            };
            return Err(CertError::CorruptDer {
                origin: origin.to_string(),
                what,
                detail: "its signature does not match its issuer, so it was damaged or altered"
                    .into(),
            });
        }
    }
    Ok(())
}

impl CertBundle {
    /// Parses bundle bytes; `origin` names the data in error messages (a path, or "the
    /// certificate from the server").
    pub fn parse_named(data: &[u8], origin: &str) -> Result<CertBundle, CertError> {
        let origin_s = || origin.to_string();
        if data.len() as u64 > MAX_CERT_FILE_SIZE {
            return Err(CertError::TooLarge {
                origin: origin_s(),
                size: data.len() as u64,
            });
        }
        if data.iter().all(u8::is_ascii_whitespace) {
            return Err(CertError::Empty { origin: origin_s() });
        }
        let blocks = pem::parse_blocks(data, origin)?;
        if blocks.is_empty() {
            return Err(CertError::NotPem {
                origin: origin_s(),
                looks_like: pem::describe_non_pem(data),
            });
        }
        let cert_blocks: Vec<_> = blocks
            .iter()
            .filter(|b| b.label == "CERTIFICATE" || b.label == "X509 CERTIFICATE")
            .collect();
        let mut key_blocks: Vec<_> = blocks
            .iter()
            .filter(|b| key::is_key_label(&b.label))
            .collect();
        if cert_blocks.is_empty() {
            return Err(CertError::NoCertificate { origin: origin_s() });
        }
        if key_blocks.is_empty() {
            return Err(CertError::NoPrivateKey { origin: origin_s() });
        }
        // The same key twice (copy-paste) is harmless.
        key_blocks.dedup_by(|a, b| a.label == b.label && a.der == b.der);
        if key_blocks.len() > 1 {
            return Err(CertError::MultipleKeys {
                origin: origin_s(),
                count: key_blocks.len(),
            });
        }
        let Some(key_block) = key_blocks.first() else {
            return Err(CertError::NoPrivateKey { origin: origin_s() });
        };
        let total = cert_blocks.len();
        let certs = cert_blocks
            .iter()
            .enumerate()
            .map(|(i, b)| parse_cert(&b.der, i, total, origin))
            .collect::<Result<Vec<_>, _>>()?;
        verify_signatures(&certs, origin)?;
        let key_desc = key::describe(key_block, origin)?;
        let Some(leaf_index) = certs
            .iter()
            .position(|c| key_desc.public.matches(&c.public))
        else {
            return Err(CertError::KeyMismatch {
                origin: origin_s(),
                certificates: certs.len(),
            });
        };
        let mut leaf = None;
        let mut chain_der = Vec::new();
        for (i, c) in certs.into_iter().enumerate() {
            if i == leaf_index {
                leaf = Some(c);
            } else {
                chain_der.push(c.der);
            }
        }
        let Some(leaf) = leaf else {
            return Err(CertError::KeyMismatch {
                origin: origin_s(),
                certificates: total,
            });
        };
        let info = CertInfo {
            subject: leaf.subject,
            issuer: leaf.issuer,
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            serial: leaf.serial,
            path: None,
            chain_len: u32::try_from(chain_der.len()).unwrap_or(u32::MAX),
            key_matches: true,
            key_type: key_desc.key_type,
        };
        Ok(CertBundle {
            info,
            leaf_der: leaf.der,
            chain_der,
            key_label: key_block.label.clone(),
            key_der: key_block.der.clone(),
        })
    }

    /// Parses bundle bytes, named "the certificate data" in error messages.
    pub fn parse(data: &[u8]) -> Result<CertBundle, CertError> {
        CertBundle::parse_named(data, "the certificate data")
    }

    /// Reads and parses a bundle file (at most [`MAX_CERT_FILE_SIZE`] bytes).
    pub fn load(path: &Path) -> Result<CertBundle, CertError> {
        let data = read_capped(path)?;
        let mut bundle = CertBundle::parse_named(&data, &display_path(path))?;
        bundle.info.path = Some(path.display().to_string());
        Ok(bundle)
    }

    /// What to show about the bundle.
    pub fn info(&self) -> &CertInfo {
        &self.info
    }

    /// Start of the leaf's validity.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.info.not_before
    }

    /// End of the leaf's validity.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.info.not_after
    }

    /// The leaf certificate, DER.
    pub fn leaf_der(&self) -> &[u8] {
        &self.leaf_der
    }

    /// The other certificates, DER, in file order.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }

    /// The bundle as PEM for an HTTP client's client identity (e.g.
    /// `reqwest::Identity::from_pem`): the leaf certificate first, then the chain, then
    /// the private key. The buffer holds the private key and is wiped on drop; do not
    /// log it or keep it longer than needed.
    pub fn identity_pem(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::new());
        out.extend_from_slice(pem::encode("CERTIFICATE", &self.leaf_der).as_bytes());
        for c in &self.chain_der {
            out.extend_from_slice(pem::encode("CERTIFICATE", c).as_bytes());
        }
        out.extend_from_slice(pem::encode(&self.key_label, &self.key_der).as_bytes());
        out
    }
}

/// Reads a file of at most [`MAX_CERT_FILE_SIZE`] bytes, mapping io errors to
/// [`CertError`].
pub(crate) fn read_capped(path: &Path) -> Result<Zeroizing<Vec<u8>>, CertError> {
    let origin = display_path(path);
    let map = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => CertError::NotFound {
            origin: origin.clone(),
        },
        _ => CertError::Unreadable {
            origin: origin.clone(),
            detail: e.to_string(),
        },
    };
    let file = std::fs::File::open(path).map_err(map)?;
    let meta = file.metadata().map_err(map)?;
    if meta.is_dir() {
        return Err(CertError::Unreadable {
            origin: origin.clone(),
            detail: "it is a folder, not a file".into(),
        });
    }
    if meta.len() > MAX_CERT_FILE_SIZE {
        return Err(CertError::TooLarge {
            origin: origin.clone(),
            size: meta.len(),
        });
    }
    let mut data = Zeroizing::new(Vec::new());
    file.take(MAX_CERT_FILE_SIZE + 1)
        .read_to_end(&mut data)
        .map_err(map)?;
    if data.len() as u64 > MAX_CERT_FILE_SIZE {
        return Err(CertError::TooLarge {
            origin,
            size: data.len() as u64,
        });
    }
    Ok(data)
}
