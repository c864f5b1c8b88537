//! Browser and device sign-in (OpenID Connect): the hook for `crates/core/src/auth/oidc*`.
//!
//! `skyport login` (browser) and `skyport login --device` call [`browser_sign_in`];
//! `skyport logout` calls [`revoke_before_logout`] before it deletes the keyring entries.
//! Until the OIDC flows are wired in, sign-in fails cleanly (exit 1) and revocation does
//! nothing.
//!
//! To wire them in: run the flow for `profile.profile.oidc` (issuer, client id, scopes),
//! then save the access token under `TokenSlot::Access.key(&profile.name)` and the refresh
//! token under `EntryKey::new(&profile.name, REFRESH_TOKEN_ENTRY)` in `ctx.store`, and say
//! who signed in on standard error (`crate::output::note`). `connect()` then picks the
//! access token up for every command, and the desktop app sees the same entries.

use skyport_core::config::ResolvedProfile;
use skyport_core::error::ErrorCode;

use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};

/// Keyring entry name of the OIDC refresh token (beside `oidc-access-token`).
pub const REFRESH_TOKEN_ENTRY: &str = "oidc-refresh-token";

/// The message while browser sign-in is not built in.
pub const NOT_AVAILABLE: &str = "browser sign-in is not available in this build yet; use `skyport login --password` or SKYPORT_TOKEN";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMode {
    /// Authorization code + PKCE with a loopback redirect, in the system browser.
    Browser,
    /// RFC 8628 device authorization: a code to enter on another device.
    Device,
}

/// Sign in to `profile` through its identity provider.
pub async fn browser_sign_in(ctx: &Ctx, profile: &ResolvedProfile, mode: SignInMode) -> CliResult {
    tracing::debug!(profile = %profile.name, ?mode, store = ?ctx.store, "browser sign-in requested");
    Err(CliError::new(ErrorCode::Config, NOT_AVAILABLE))
}

/// Revoke the profile's OIDC tokens at the provider (best effort) before `logout`
/// deletes them from the keyring.
pub async fn revoke_before_logout(ctx: &Ctx, profile: &ResolvedProfile) -> CliResult {
    tracing::debug!(profile = %profile.name, store = ?ctx.store, "no token revocation in this build");
    Ok(())
}
