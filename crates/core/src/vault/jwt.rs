//! SSH-key-signed JWTs, as UNICORE's clients make them (auth.md §5): `sub` = `iss` = the user
//! name, `etd` "false", `iat` and an `exp` five minutes on, signed with the user's SSH
//! private key — RS256 for RSA, ES256 for EC (P-256), EdDSA for ed25519 — through ssh-agent
//! when it holds the key, else from the key file (its passphrase given, or kept in the
//! keyring). A fresh token for every request.

use std::path::Path;

use base64::Engine as _;
use ssh_key::private::KeypairData;
use ssh_key::{Algorithm, EcdsaCurve, PrivateKey, PublicKey};

use crate::error::{Coded, ErrorCode};
use crate::secret::SecretString;

/// How long a token is good for (pyunicore's default lifetime).
const LIFETIME_SECS: i64 = 300;
/// An SSH private key file is a few kilobytes.
const MAX_KEY_FILE: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("cannot read the SSH key {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("{path} is not an SSH private key Skyport can read ({detail}). Keys in OpenSSH format work (ssh-keygen's default); convert an older one with `ssh-keygen -p -f {path}`.")]
    Format { path: String, detail: String },
    #[error("the SSH key {path} is protected by a passphrase: give it (it is asked on a terminal, or kept with `skyport credentials add ssh-jwt … --passphrase-stdin`), or add the key to ssh-agent (`ssh-add {path}`)")]
    NeedPassphrase { path: String },
    #[error("wrong passphrase for the SSH key {path}")]
    BadPassphrase { path: String },
    #[error(
        "the SSH key {path} is a {algorithm} key; UNICORE takes RSA, ECDSA P-256 and ed25519 keys"
    )]
    Unsupported { path: String, algorithm: String },
    #[error("ssh-agent refused to sign with the key {path}: {detail}")]
    Agent { path: String, detail: String },
}

impl Coded for JwtError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Read { .. } => ErrorCode::Io,
            Self::NeedPassphrase { .. } | Self::BadPassphrase { .. } => ErrorCode::SignInNeeded,
            Self::Agent { .. } => ErrorCode::PermissionDenied,
            Self::Format { .. } | Self::Unsupported { .. } => ErrorCode::Validation,
        }
    }
}

/// The JWS algorithm for a key.
fn jws_alg(alg: &Algorithm, path: &str) -> Result<&'static str, JwtError> {
    match alg {
        Algorithm::Rsa { .. } => Ok("RS256"),
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        } => Ok("ES256"),
        Algorithm::Ed25519 => Ok("EdDSA"),
        other => Err(JwtError::Unsupported {
            path: path.to_string(),
            algorithm: other.to_string(),
        }),
    }
}

/// The part of the JWT that is signed: header and claims.
fn signing_input(user: &str, alg: &str, now: i64) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::json!({"alg": alg, "typ": "JWT"});
    let claims = serde_json::json!({
        "sub": user, "iss": user, "etd": "false", "iat": now, "exp": now + LIFETIME_SECS,
    });
    format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    )
}

/// The whole JWT: the signed input and its signature (raw, as JWS wants it).
fn finish(input: &str, signature: &[u8]) -> SecretString {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    SecretString::new(format!("{input}.{}", b64.encode(signature)))
}

fn read_key(file: &Path) -> Result<PrivateKey, JwtError> {
    let path = file.display().to_string();
    let meta = std::fs::metadata(file).map_err(|e| JwtError::Read {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    if meta.len() > MAX_KEY_FILE {
        return Err(JwtError::Format {
            path,
            detail: "the file is too large".into(),
        });
    }
    let text = std::fs::read_to_string(file).map_err(|e| JwtError::Read {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    parse_key(&text).map_err(|detail| JwtError::Format { path, detail })
}

/// Parse an OpenSSH private key (outside input: fuzzed). The error never quotes the key.
pub fn parse_key(text: &str) -> Result<PrivateKey, String> {
    PrivateKey::from_openssh(text.trim()).map_err(|e| match e {
        ssh_key::Error::Encoding(_) | ssh_key::Error::FormatEncoding => {
            "it is not in OpenSSH format".to_string()
        }
        other => other.to_string(),
    })
}

/// A fresh JWT for `user`, signed with the key in `file`.
pub async fn sign(
    user: &str,
    file: &Path,
    passphrase: Option<&SecretString>,
) -> Result<SecretString, JwtError> {
    let path = file.display().to_string();
    let key = read_key(file)?;
    let alg = jws_alg(&key.algorithm(), &path)?;
    let now = chrono::Utc::now().timestamp();
    if let Some(socket) = std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty()) {
        match agent::sign_with(Path::new(&socket), key.public_key(), alg, user, now).await {
            Ok(Some(token)) => return Ok(token),
            // The agent does not hold this key: the file it is.
            Ok(None) => {}
            Err(detail) => return Err(JwtError::Agent { path, detail }),
        }
    }
    let key = if key.is_encrypted() {
        let Some(p) = passphrase else {
            return Err(JwtError::NeedPassphrase { path });
        };
        key.decrypt(p.expose().as_bytes())
            .map_err(|_| JwtError::BadPassphrase { path: path.clone() })?
    } else {
        key
    };
    let input = signing_input(user, alg, now);
    Ok(finish(&input, &sign_bytes(&key, input.as_bytes(), &path)?))
}

/// Whether the key file needs a passphrase (and ssh-agent does not hold it).
pub async fn needs_passphrase(file: &Path) -> Result<bool, JwtError> {
    let key = read_key(file)?;
    if !key.is_encrypted() {
        return Ok(false);
    }
    if let Some(socket) = std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty()) {
        if agent::holds(Path::new(&socket), key.public_key()).await {
            return Ok(false);
        }
    }
    Ok(true)
}

fn sign_bytes(key: &PrivateKey, input: &[u8], path: &str) -> Result<Vec<u8>, JwtError> {
    use sha2::{Digest, Sha256};
    let bad = |detail: String| JwtError::Format {
        path: path.to_string(),
        detail,
    };
    match key.key_data() {
        KeypairData::Rsa(k) => {
            // Built here: ssh-key 0.6's own conversion passes the first prime twice.
            let big = |m: &ssh_key::Mpint| {
                m.as_positive_bytes()
                    .map(rsa::BigUint::from_bytes_be)
                    .ok_or_else(|| bad("a negative RSA parameter".into()))
            };
            let private = rsa::RsaPrivateKey::from_components(
                big(&k.public.n)?,
                big(&k.public.e)?,
                big(&k.private.d)?,
                vec![big(&k.private.p)?, big(&k.private.q)?],
            )
            .map_err(|e| bad(e.to_string()))?;
            let digest = Sha256::digest(input);
            private
                .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
                .map_err(|e| bad(e.to_string()))
        }
        KeypairData::Ed25519(k) => {
            use ed25519_dalek::Signer as _;
            let signing = ed25519_dalek::SigningKey::try_from(k).map_err(|e| bad(e.to_string()))?;
            Ok(signing.sign(input).to_bytes().to_vec())
        }
        KeypairData::Ecdsa(k) => {
            use p256::ecdsa::signature::Signer as _;
            let signing = p256::ecdsa::SigningKey::from_slice(k.private_key_bytes())
                .map_err(|e| bad(e.to_string()))?;
            let sig: p256::ecdsa::Signature = signing.sign(input);
            Ok(sig.to_bytes().to_vec())
        }
        other => Err(JwtError::Unsupported {
            path: path.to_string(),
            algorithm: other
                .algorithm()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "unknown".into()),
        }),
    }
}

/// The ssh-agent protocol (draft-miller-ssh-agent), as much as signing needs.
mod agent {
    use std::path::Path;

    use ssh_key::PublicKey;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use crate::secret::SecretString;

    const REQUEST_IDENTITIES: u8 = 11;
    const IDENTITIES_ANSWER: u8 = 12;
    const SIGN_REQUEST: u8 = 13;
    const SIGN_RESPONSE: u8 = 14;
    const RSA_SHA2_256: u32 = 2;
    /// An agent's answer is small; anything bigger is not one.
    const MAX_MESSAGE: usize = 256 * 1024;

    fn string(buf: &mut Vec<u8>, bytes: &[u8]) {
        buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        buf.extend_from_slice(bytes);
    }

    /// Reads one length-prefixed field.
    fn take<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
        let (len, rest) = data.split_first_chunk::<4>()?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return None;
        }
        let (field, rest) = rest.split_at(len);
        *data = rest;
        Some(field)
    }

    /// An agent that does not answer in this time (stuck, or waiting for a confirmation no
    /// one gives) is given up on.
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

    async fn call(socket: &Path, message: &[u8]) -> Result<Vec<u8>, String> {
        tokio::time::timeout(PATIENCE, exchange(socket, message))
            .await
            .map_err(|_| "ssh-agent did not answer in 30 s".to_string())?
    }

    async fn exchange(socket: &Path, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut stream = tokio::net::UnixStream::connect(socket)
            .await
            .map_err(|e| format!("cannot reach ssh-agent ({e})"))?;
        let mut framed = Vec::with_capacity(message.len() + 4);
        string(&mut framed, message);
        stream.write_all(&framed).await.map_err(|e| e.to_string())?;
        let mut len = [0u8; 4];
        stream
            .read_exact(&mut len)
            .await
            .map_err(|e| e.to_string())?;
        let len = u32::from_be_bytes(len) as usize;
        if len == 0 || len > MAX_MESSAGE {
            return Err("the agent's answer is not one".into());
        }
        let mut answer = vec![0u8; len];
        stream
            .read_exact(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        Ok(answer)
    }

    /// Whether the agent holds `key`.
    pub async fn holds(socket: &Path, key: &PublicKey) -> bool {
        let Ok(blob) = key.to_bytes() else {
            return false;
        };
        let Ok(answer) = call(socket, &[REQUEST_IDENTITIES]).await else {
            return false;
        };
        let Some((&IDENTITIES_ANSWER, mut rest)) = answer.split_first() else {
            return false;
        };
        let Some((count, tail)) = rest.split_first_chunk::<4>() else {
            return false;
        };
        rest = tail;
        for _ in 0..u32::from_be_bytes(*count).min(1024) {
            let (Some(k), Some(_comment)) = (take(&mut rest), take(&mut rest)) else {
                return false;
            };
            if k == blob.as_slice() {
                return true;
            }
        }
        false
    }

    /// Sign a JWT through the agent; `Ok(None)` when it does not hold the key.
    pub async fn sign_with(
        socket: &Path,
        key: &PublicKey,
        alg: &str,
        user: &str,
        now: i64,
    ) -> Result<Option<SecretString>, String> {
        if !holds(socket, key).await {
            return Ok(None);
        }
        let blob = key.to_bytes().map_err(|e| e.to_string())?;
        let input = super::signing_input(user, alg, now);
        let mut msg = vec![SIGN_REQUEST];
        string(&mut msg, &blob);
        string(&mut msg, input.as_bytes());
        let flags = if alg == "RS256" { RSA_SHA2_256 } else { 0 };
        msg.extend_from_slice(&flags.to_be_bytes());
        let answer = call(socket, &msg).await?;
        let Some((&SIGN_RESPONSE, mut rest)) = answer.split_first() else {
            return Err("it refused (is the key confirmed, or locked?)".into());
        };
        let mut sig = take(&mut rest).ok_or("a malformed signature")?;
        let algo = take(&mut sig).ok_or("a malformed signature")?;
        let raw = take(&mut sig).ok_or("a malformed signature")?;
        let signature = match algo {
            b"rsa-sha2-256" | b"ssh-ed25519" => raw.to_vec(),
            b"ecdsa-sha2-nistp256" => {
                // Two mpints (r, s) → 32-byte big-endian each, as JWS wants.
                let mut fields = raw;
                let r = take(&mut fields).ok_or("a malformed ECDSA signature")?;
                let s = take(&mut fields).ok_or("a malformed ECDSA signature")?;
                let mut out = Vec::with_capacity(64);
                for n in [r, s] {
                    let n = n.strip_prefix(&[0u8]).unwrap_or(n);
                    if n.len() > 32 {
                        return Err("a malformed ECDSA signature".into());
                    }
                    out.extend(std::iter::repeat_n(0u8, 32 - n.len()));
                    out.extend_from_slice(n);
                }
                out
            }
            other => {
                return Err(format!(
                    "it signed with {} instead",
                    String::from_utf8_lossy(other)
                ))
            }
        };
        Ok(Some(super::finish(&input, &signature)))
    }
}

/// The public key of a key file, in `authorized_keys` form (what a site registers).
pub fn public_key_line(file: &Path) -> Result<String, JwtError> {
    let key = read_key(file)?;
    let public: &PublicKey = key.public_key();
    public.to_openssh().map_err(|e| JwtError::Format {
        path: file.display().to_string(),
        detail: e.to_string(),
    })
}
