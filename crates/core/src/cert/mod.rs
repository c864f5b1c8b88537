//! X.509 client certificates: the CADC `~/.ssl/cadcproxy.pem` bundle.
//!
//! - [`bundle`]: parse a PEM bundle (certificate, private key and chain in any order),
//!   find the leaf by matching it to the key, and describe it ([`CertInfo`]).
//! - [`write`]: replace the file atomically, validating the new bundle first and
//!   keeping the old one intact and usable on every failure.
//! - [`schedule`]: pure functions on an injected clock: when to renew, which warning
//!   threshold was crossed, retry backoff, state classification and countdown text.
//! - [`watch`]: notice when another program (e.g. `cadc-get-cert`) replaces the file.
//! - [`renew`]: renew (or obtain) a profile's certificate with the best credential.
//! - [`lifecycle`]: the monitor's state machine: warnings, renewal times, backoff.
//!
//! Secret material (the private key) is never logged, and [`CertBundle`]'s `Debug`
//! output leaves it out.

pub mod bundle;
mod der;
mod error;
mod key;
pub mod lifecycle;
pub mod obtain;
mod pem;
pub mod renew;
pub mod schedule;
mod view;
pub mod watch;
pub mod write;

pub use bundle::{default_cert_path, CertBundle, CertInfo, MAX_CERT_FILE_SIZE};
pub use error::{CertError, CertErrorKind};
pub use lifecycle::{
    CertObservation, Lifecycle, LifecycleAction, LifecycleConfig, LifecycleRecord, NeedsYouReason,
};
pub use renew::{renew_certificate, CredentialSource, RenewError, RenewOptions, Renewed};
pub use schedule::{
    cert_state, crossed_threshold, early_warning_at, format_countdown, next_threshold_crossed,
    renew_at, retry_delay, CertState, JitterSource, NoJitter, RandomJitter, RenewPolicy, Threshold,
    ThresholdState,
};
pub use view::CertView;
pub use watch::{CertEvent, CertWatcher, WatchConfig};
pub use write::{
    backup_path, valid_at, write_bundle_atomic, write_bundle_atomic_with, StdWriteOps, WriteOps,
    WriteOutcome,
};
