//! OpenID Connect sign-in: discovery, browser (PKCE + loopback) and device flows, dynamic
//! client registration, ID-token validation, refresh with rotation, and sign-out with
//! revocation. Built on the `openidconnect` crate; secrets go to the keyring only.

pub mod browser;
pub mod device;
pub mod error;
pub mod provider;
pub mod register;
pub mod tokens;

use openidconnect::{EndpointMaybeSet, EndpointNotSet, EndpointSet};

pub use browser::{browser_sign_in, BrowserSignIn};
pub use device::{device_sign_in, DevicePrompt, DeviceSignIn};
pub use error::OidcError;
pub use provider::{http_client, Provider};
pub use register::{register_client, Registered};
pub use tokens::{
    ensure_fresh, forget, load_record, refresh, save_sign_in, sign_out, Identity, SignInRecord,
    SignOutReport, TokenSet,
};

/// The client type built from discovered metadata.
pub type Client = openidconnect::core::CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[cfg(test)]
mod tests;
