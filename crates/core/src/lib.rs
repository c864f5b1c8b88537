//! Skyport core: everything that is not GUI.
//!
//! Profiles and config, credentials (OIDC, X.509, basic, token, cookie), the keyring store,
//! the certificate watcher, auth-challenge parsing, the Skaha API client and the session
//! model. Nothing here depends on Tauri: the desktop shell and the `skyport` CLI are thin
//! adapters over these modules.

pub mod account;
pub mod applink;
pub mod auth;
pub mod autostart;
pub mod batches;
pub mod canfar_import;
pub mod catalogue;
pub mod cert;
pub mod concurrent;
pub mod config;
pub mod connect;
pub mod discovery;
pub mod downloads;
pub mod error;
pub mod fsutil;
pub mod fswatch;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod http;
pub mod keepalive;
pub mod keyring;
pub mod launch;
pub mod links;
pub mod lockfile;
pub mod logging;
pub mod memory;
pub mod netrc;
pub mod paths;
pub mod platform;
pub mod presets;
pub mod profiles;
pub mod redact;
pub mod relay;
pub mod secret;
pub mod secure;
pub mod sessions;
pub mod skaha;
pub mod status;
#[cfg(any(test, feature = "testsupport"))]
pub mod testsupport;
pub mod timeline;
pub mod tray;
pub mod usage;
pub mod vault;
pub mod vospace;
pub mod why;
mod xml;
