//! Private keys: classify a PEM key block and work out its public key, so the leaf
//! certificate can be found by key rather than by position.
//!
//! Supported: RSA (PKCS#1 `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY`, also RSASSA-PSS),
//! EC (SEC1 `EC PRIVATE KEY`, PKCS#8) when the key carries its public point, as
//! OpenSSL, ring and BouncyCastle write it, and any PKCS#8 v2 key that embeds its public
//! key (Ed25519 from ring, ...). Everything else is an "unsupported key type" error.

use super::der::{self, DerError, Reader};
use super::error::CertError;
use super::pem::PemBlock;

/// `1.2.840.113549.1.1.1` rsaEncryption.
pub(crate) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// `1.2.840.113549.1.1.10` RSASSA-PSS.
pub(crate) const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// `1.2.840.10045.2.1` id-ecPublicKey.
pub(crate) const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];

/// Identifies a public key independent of encoding details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PublicKeyId {
    /// RSA modulus and exponent, without leading zero bytes.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// An EC point, with the curve when known.
    Ec {
        curve: Option<Vec<u8>>,
        point: Vec<u8>,
    },
    /// Any other algorithm: its OID and raw public-key bytes.
    Other { alg: Vec<u8>, key: Vec<u8> },
}

impl PublicKeyId {
    /// True when `self` (from a private key) and `cert` (from a certificate) are the
    /// same key. A missing curve on either side matches any curve.
    pub fn matches(&self, cert: &PublicKeyId) -> bool {
        match (self, cert) {
            (
                PublicKeyId::Ec {
                    curve: c1,
                    point: p1,
                },
                PublicKeyId::Ec {
                    curve: c2,
                    point: p2,
                },
            ) => p1 == p2 && (c1.is_none() || c2.is_none() || c1 == c2),
            _ => self == cert,
        }
    }
}

/// A private key's type and public key. Holds no secret material.
#[derive(Clone, Debug)]
pub(crate) struct KeyDescription {
    /// "RSA 2048", "EC P-256", ...
    pub key_type: String,
    pub public: PublicKeyId,
}

fn curve_name(oid: Option<&[u8]>) -> &'static str {
    match oid {
        Some(OID_P256) => "P-256",
        Some(OID_P384) => "P-384",
        Some(OID_P521) => "P-521",
        _ => "curve",
    }
}

fn rsa_bits(n: &[u8]) -> usize {
    let n = der::unsigned(n);
    match n.first() {
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

/// PKCS#1 RSAPrivateKey: SEQUENCE { version, n, e, d, p, q, ... }.
fn pkcs1(der_bytes: &[u8]) -> Result<KeyDescription, DerError> {
    let mut outer = Reader::new(der_bytes);
    let seq = outer.expect(der::TAG_SEQUENCE, "not an RSA private key")?;
    let mut r = Reader::new(seq);
    r.expect(der::TAG_INTEGER, "RSA key version missing")?;
    let n = r.expect(der::TAG_INTEGER, "RSA modulus missing")?;
    let e = r.expect(der::TAG_INTEGER, "RSA exponent missing")?;
    // The private exponent and primes must be present for a usable key.
    r.expect(der::TAG_INTEGER, "RSA private exponent missing")?;
    let n = der::unsigned(n);
    if n.is_empty() {
        return Err(DerError("RSA modulus is zero"));
    }
    Ok(KeyDescription {
        key_type: format!("RSA {}", rsa_bits(n)),
        public: PublicKeyId::Rsa {
            n: n.to_vec(),
            e: der::unsigned(e).to_vec(),
        },
    })
}

/// SEC1 ECPrivateKey: SEQUENCE { 1, OCTET STRING d, [0] curve OPTIONAL,
/// [1] BIT STRING public OPTIONAL }. `None` when the public key is absent.
fn sec1(der_bytes: &[u8], curve: Option<&[u8]>) -> Result<Option<KeyDescription>, DerError> {
    let mut outer = Reader::new(der_bytes);
    let seq = outer.expect(der::TAG_SEQUENCE, "not an EC private key")?;
    let mut r = Reader::new(seq);
    r.expect(der::TAG_INTEGER, "EC key version missing")?;
    r.expect(der::TAG_OCTET_STRING, "EC private value missing")?;
    let mut curve = curve.map(<[u8]>::to_vec);
    if let Some(params) = r.optional(der::TAG_CTX0)? {
        let mut p = Reader::new(params);
        if let Ok(oid) = p.expect(der::TAG_OID, "EC curve") {
            curve = Some(oid.to_vec());
        }
    }
    let Some(public) = r.optional(der::TAG_CTX1)? else {
        return Ok(None);
    };
    let mut p = Reader::new(public);
    let bits = p.expect(der::TAG_BIT_STRING, "EC public key is not a bit string")?;
    let point = der::bit_string_bytes(bits)?;
    Ok(Some(KeyDescription {
        key_type: format!("EC {}", curve_name(curve.as_deref())),
        public: PublicKeyId::Ec {
            curve,
            point: point.to_vec(),
        },
    }))
}

/// The outcome of reading a PKCS#8 key, before mapping to a [`CertError`].
enum Pkcs8 {
    Key(KeyDescription),
    Unsupported(String),
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey: SEQUENCE { version, AlgorithmIdentifier,
/// OCTET STRING privateKey, [0] attributes OPTIONAL, [1] publicKey OPTIONAL }.
fn pkcs8(der_bytes: &[u8]) -> Result<Pkcs8, DerError> {
    let mut outer = Reader::new(der_bytes);
    let seq = outer.expect(der::TAG_SEQUENCE, "not a PKCS#8 private key")?;
    let mut r = Reader::new(seq);
    r.expect(der::TAG_INTEGER, "PKCS#8 version missing")?;
    let alg = r.expect(der::TAG_SEQUENCE, "PKCS#8 algorithm missing")?;
    let mut a = Reader::new(alg);
    let oid = a.expect(der::TAG_OID, "PKCS#8 algorithm OID missing")?;
    let params_oid = if a.peek_tag() == Some(der::TAG_OID) {
        Some(a.expect(der::TAG_OID, "algorithm parameters")?)
    } else {
        None
    };
    let private = r.expect(der::TAG_OCTET_STRING, "PKCS#8 private key missing")?;
    r.optional(der::TAG_CTX0)?;
    let embedded_public = match r.optional(der::TAG_CTX1_PRIMITIVE)? {
        Some(bits) => Some(der::bit_string_bytes(bits)?.to_vec()),
        None => None,
    };

    if oid == OID_RSA || oid == OID_RSA_PSS {
        return pkcs1(private).map(Pkcs8::Key);
    }
    if oid == OID_EC {
        return Ok(match sec1(private, params_oid)? {
            Some(k) => Pkcs8::Key(k),
            None => match embedded_public {
                Some(point) => Pkcs8::Key(KeyDescription {
                    key_type: format!("EC {}", curve_name(params_oid)),
                    public: PublicKeyId::Ec {
                        curve: params_oid.map(<[u8]>::to_vec),
                        point,
                    },
                }),
                None => Pkcs8::Unsupported("EC (without its public key)".into()),
            },
        });
    }
    let name = match oid {
        OID_ED25519 => "Ed25519",
        OID_ED448 => "Ed448",
        OID_DSA => "DSA",
        _ => "unrecognised",
    };
    Ok(match embedded_public {
        Some(key) if oid != OID_DSA => Pkcs8::Key(KeyDescription {
            key_type: name.to_string(),
            public: PublicKeyId::Other {
                alg: oid.to_vec(),
                key,
            },
        }),
        _ => Pkcs8::Unsupported(name.to_string()),
    })
}

/// Returns true for labels that hold private keys.
pub(crate) fn is_key_label(label: &str) -> bool {
    label.ends_with("PRIVATE KEY")
}

/// Reads a private-key PEM block.
pub(crate) fn describe(block: &PemBlock, origin: &str) -> Result<KeyDescription, CertError> {
    let corrupt = |e: DerError| CertError::CorruptDer {
        origin: origin.to_string(),
        what: "the private key".into(),
        detail: e.0.to_string(),
    };
    let unsupported = |key_type: String| CertError::UnsupportedKeyType {
        origin: origin.to_string(),
        key_type,
    };
    if block.label == "ENCRYPTED PRIVATE KEY" || block.is_encrypted() {
        return Err(CertError::EncryptedKey {
            origin: origin.to_string(),
        });
    }
    match block.label.as_str() {
        "RSA PRIVATE KEY" => pkcs1(&block.der).map_err(corrupt),
        "EC PRIVATE KEY" => match sec1(&block.der, None).map_err(corrupt)? {
            Some(k) => Ok(k),
            None => Err(unsupported("EC (without its public key)".into())),
        },
        "PRIVATE KEY" => match pkcs8(&block.der).map_err(corrupt)? {
            Pkcs8::Key(k) => Ok(k),
            Pkcs8::Unsupported(t) => Err(unsupported(t)),
        },
        other => {
            let kind = other.trim_end_matches("PRIVATE KEY").trim();
            let kind = if kind.is_empty() {
                "unrecognised"
            } else {
                kind
            };
            Err(unsupported(format!("{kind} (PEM \"{other}\")")))
        }
    }
}

/// The public key of a certificate's SubjectPublicKeyInfo.
pub(crate) fn from_spki(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> PublicKeyId {
    let alg = spki.algorithm.algorithm.as_bytes();
    let key = spki.subject_public_key.data.as_ref();
    if alg == OID_RSA || alg == OID_RSA_PSS {
        let mut outer = Reader::new(key);
        if let Ok(seq) = outer.expect(der::TAG_SEQUENCE, "rsa") {
            let mut r = Reader::new(seq);
            if let (Ok(n), Ok(e)) = (
                r.expect(der::TAG_INTEGER, "n"),
                r.expect(der::TAG_INTEGER, "e"),
            ) {
                return PublicKeyId::Rsa {
                    n: der::unsigned(n).to_vec(),
                    e: der::unsigned(e).to_vec(),
                };
            }
        }
    }
    if alg == OID_EC {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|oid| oid.as_bytes().to_vec());
        return PublicKeyId::Ec {
            curve,
            point: key.to_vec(),
        };
    }
    PublicKeyId::Other {
        alg: alg.to_vec(),
        key: key.to_vec(),
    }
}
