//! Errors for certificate parsing, writing and watching.
//!
//! Every message says what happened and what to do next. None of them ever contains key
//! material.

use std::io;

use chrono::{DateTime, Utc};

/// What to do when the certificate itself is unusable.
pub(crate) const OBTAIN: &str =
    "Get a new certificate with Credentials → Obtain a certificate, or `skyport cert obtain`.";

/// Said after every failed write.
pub(crate) const UNCHANGED: &str = "Your current certificate is unchanged.";

/// A coarse, serialisable classification of [`CertError`] for the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CertErrorKind {
    /// The file does not exist.
    Missing,
    /// The file exists but could not be read.
    Unreadable,
    /// The data is not a usable certificate bundle.
    Invalid,
    /// The key is encrypted or of an unsupported type.
    UnsupportedKey,
    /// The new certificate was rejected by validation (older, expired, ...).
    Rejected,
    /// Writing the new certificate failed.
    WriteFailed,
    /// The file watcher could not be started.
    Watch,
}

/// Everything that can go wrong with a certificate bundle.
///
/// `origin` names where the data came from: a path (`~/.ssl/cadcproxy.pem`) or a
/// description such as "the new certificate".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The file does not exist.
    #[error("{origin} does not exist. {OBTAIN}")]
    NotFound {
        /// Where the data was looked for.
        origin: String,
    },
    /// The file exists but cannot be read.
    #[error(
        "{origin} could not be read ({detail}). Check that the file belongs to you and is \
         readable (`chmod 600 {origin}`), then try again."
    )]
    Unreadable {
        /// Where the data was looked for.
        origin: String,
        /// The operating system's reason.
        detail: String,
    },
    /// Zero bytes, or only whitespace.
    #[error("{origin} is empty. {OBTAIN}")]
    Empty {
        /// Where the data came from.
        origin: String,
    },
    /// More than [`crate::cert::MAX_CERT_FILE_SIZE`] bytes.
    #[error(
        "{origin} is {size} bytes, more than the 64 KiB a certificate bundle can be, so it is \
         not a certificate. {OBTAIN}"
    )]
    TooLarge {
        /// Where the data came from.
        origin: String,
        /// Its size in bytes.
        size: u64,
    },
    /// No PEM block at all.
    #[error("{origin} is not a PEM certificate file{looks_like}. {OBTAIN}")]
    NotPem {
        /// Where the data came from.
        origin: String,
        /// A hint about what it is instead, starting with " (" or empty.
        looks_like: String,
    },
    /// A `-----BEGIN` line without its `-----END` line.
    #[error(
        "{origin} is cut short: its {label} block has no END line (the download or the \
         write was interrupted). {OBTAIN}"
    )]
    TruncatedPem {
        /// Where the data came from.
        origin: String,
        /// The PEM label (`CERTIFICATE`, `RSA PRIVATE KEY`, ...).
        label: String,
    },
    /// The base64 inside a PEM block is damaged.
    #[error("{origin} is damaged: its {label} block {detail}. {OBTAIN}")]
    CorruptPem {
        /// Where the data came from.
        origin: String,
        /// The PEM label.
        label: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A block decodes from base64 but is not a valid certificate or key.
    #[error("{origin} is damaged: {what} cannot be decoded ({detail}). {OBTAIN}")]
    CorruptDer {
        /// Where the data came from.
        origin: String,
        /// Which object ("certificate 2", "the private key").
        what: String,
        /// The decoder's reason.
        detail: String,
    },
    /// No certificate block.
    #[error("{origin} holds no certificate. {OBTAIN}")]
    NoCertificate {
        /// Where the data came from.
        origin: String,
    },
    /// No private-key block.
    #[error("{origin} holds no private key. {OBTAIN}")]
    NoPrivateKey {
        /// Where the data came from.
        origin: String,
    },
    /// More than one distinct private key.
    #[error("{origin} holds {count} different private keys, so Skyport cannot tell which one to use. {OBTAIN}")]
    MultipleKeys {
        /// Where the data came from.
        origin: String,
        /// How many keys.
        count: usize,
    },
    /// The key is password-protected.
    #[error(
        "{origin} holds a password-protected (encrypted) private key, which Skyport cannot \
         use. Decrypt it with `openssl pkey -in FILE -out FILE`, or: {OBTAIN}"
    )]
    EncryptedKey {
        /// Where the data came from.
        origin: String,
    },
    /// A key type Skyport cannot match against a certificate.
    #[error(
        "{origin} holds a {key_type} private key, which Skyport does not support (RSA and EC \
         keys are). {OBTAIN}"
    )]
    UnsupportedKeyType {
        /// Where the data came from.
        origin: String,
        /// What kind of key it is.
        key_type: String,
    },
    /// The private key belongs to none of the certificates.
    #[error(
        "{origin} holds a private key that belongs to none of its {certificates} \
         certificate(s), so it cannot be used to sign in. {OBTAIN}"
    )]
    KeyMismatch {
        /// Where the data came from.
        origin: String,
        /// How many certificates were checked.
        certificates: usize,
    },
    /// The new certificate does not expire later than the one it would replace.
    #[error(
        "{origin} expires {new_not_after}, no later than the current certificate \
         ({current_not_after}), so it was not saved. {UNCHANGED} If this keeps happening, \
         the server is handing out old certificates: report it to the service operators."
    )]
    NotNewer {
        /// Where the data came from.
        origin: String,
        /// Expiry of the new certificate.
        new_not_after: DateTime<Utc>,
        /// Expiry of the current certificate.
        current_not_after: DateTime<Utc>,
    },
    /// The certificate expired already.
    #[error("{origin} expired {not_after}. {OBTAIN}")]
    Expired {
        /// Where the data came from.
        origin: String,
        /// When it expired.
        not_after: DateTime<Utc>,
    },
    /// The certificate is not valid yet.
    #[error(
        "{origin} is not valid until {not_before}. Check that this computer's clock and time \
         zone are right, then try again."
    )]
    NotYetValid {
        /// Where the data came from.
        origin: String,
        /// When it becomes valid.
        not_before: DateTime<Utc>,
    },
    /// A caller-supplied validation rejected the bundle.
    #[error("{origin} was rejected: {reason}. {UNCHANGED}")]
    Rejected {
        /// Where the data came from.
        origin: String,
        /// Why, in words for the user.
        reason: String,
    },
    /// A filesystem step of the atomic write failed.
    #[error("could not save the new certificate to {path}: {step} failed ({detail}). {advice} {UNCHANGED}")]
    Write {
        /// The certificate path.
        path: String,
        /// Which step ("writing the temporary file", "renaming", ...).
        step: &'static str,
        /// The operating system's reason.
        detail: String,
        /// The io error kind, for callers that branch on it.
        io_kind: io::ErrorKind,
        /// What the user can do.
        advice: &'static str,
    },
    /// The file watcher could not be started.
    #[error(
        "Skyport cannot watch {path} for changes ({detail}). Certificate changes made by \
         other programs will be noticed only when Skyport restarts."
    )]
    Watch {
        /// The watched path.
        path: String,
        /// The reason.
        detail: String,
    },
}

impl CertError {
    /// The coarse kind, for the UI.
    pub fn kind(&self) -> CertErrorKind {
        match self {
            CertError::NotFound { .. } => CertErrorKind::Missing,
            CertError::Unreadable { .. } => CertErrorKind::Unreadable,
            CertError::EncryptedKey { .. } | CertError::UnsupportedKeyType { .. } => {
                CertErrorKind::UnsupportedKey
            }
            CertError::NotNewer { .. }
            | CertError::Expired { .. }
            | CertError::NotYetValid { .. }
            | CertError::Rejected { .. } => CertErrorKind::Rejected,
            CertError::Write { .. } => CertErrorKind::WriteFailed,
            CertError::Watch { .. } => CertErrorKind::Watch,
            CertError::Empty { .. }
            | CertError::TooLarge { .. }
            | CertError::NotPem { .. }
            | CertError::TruncatedPem { .. }
            | CertError::CorruptPem { .. }
            | CertError::CorruptDer { .. }
            | CertError::NoCertificate { .. }
            | CertError::NoPrivateKey { .. }
            | CertError::MultipleKeys { .. }
            | CertError::KeyMismatch { .. } => CertErrorKind::Invalid,
        }
    }

    /// Builds a [`CertError::Write`] with advice that fits the io error.
    pub(crate) fn write(path: &std::path::Path, step: &'static str, err: &io::Error) -> CertError {
        let advice = match err.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                "Free some disk space, then try again."
            }
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                "Make sure the folder is writable and belongs to you, then try again."
            }
            _ => "Try again; if it keeps failing, check the disk.",
        };
        CertError::Write {
            path: display_path(path),
            step,
            detail: err.to_string(),
            io_kind: err.kind(),
            advice,
        }
    }
}

/// Shows a path with the home directory abbreviated to `~`.
pub(crate) fn display_path(path: &std::path::Path) -> String {
    if let Some(home) = std::env::var_os("HOME") {
        let home = std::path::Path::new(&home);
        if !home.as_os_str().is_empty() && home != std::path::Path::new("/") {
            if let Ok(rest) = path.strip_prefix(home) {
                return format!("~/{}", rest.display());
            }
        }
    }
    path.display().to_string()
}
