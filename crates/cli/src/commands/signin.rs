//! Browser and device sign-in (OpenID Connect) for `skyport login` / `login --device`, and
//! token revocation for `skyport logout`: thin adapters over `skyport_core::auth`, the
//! same code the desktop app runs, so a sign-in here is a sign-in there.

use std::time::Duration;

use skyport_core::auth::oidc;
use skyport_core::auth::signin::{self, SignInHooks};
use skyport_core::config::ResolvedProfile;

use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::note;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMode {
    /// Authorization code + PKCE with a loopback redirect, in the system browser.
    Browser,
    /// RFC 8628 device authorization: a code to enter on another device.
    Device,
}

/// How long a sign-in may wait for the user.
const WAIT: Duration = Duration::from_secs(600);

/// Sign in to `profile` through its identity provider.
pub async fn browser_sign_in(ctx: &Ctx, profile: &ResolvedProfile, mode: SignInMode) -> CliResult {
    let core_mode = match mode {
        SignInMode::Browser => signin::SignInMode::Browser,
        SignInMode::Device => signin::SignInMode::Device,
    };
    let hooks = SignInHooks {
        open: |url: &str| {
            note(&format!(
                "Opening your browser to sign in. If it does not open, visit:\n  {url}"
            ));
            match signin::open_with_env_browser(url) {
                Some(r) => r,
                None => signin::open_in_system_browser(url),
            }
        },
        show: |p: &oidc::DevicePrompt| {
            let link = p
                .verification_uri_complete
                .clone()
                .unwrap_or_else(|| p.verification_uri.clone());
            note(&format!(
                "To sign in, visit {}\nand enter the code:  {}\n(the code expires in {} min; waiting…)\n{}",
                p.verification_uri,
                p.user_code,
                p.expires_in_secs / 60,
                if link != p.verification_uri { format!("Or open directly: {link}") } else { String::new() }
            ));
        },
        cancel: async {
            let _ = tokio::signal::ctrl_c().await;
        },
    };
    let record = signin::sign_in(&ctx.paths, &ctx.store, profile, core_mode, WAIT, hooks)
        .await
        .map_err(|e| CliError::from_coded(&e))?;
    let who = record
        .identity
        .username
        .clone()
        .or(record.identity.email.clone())
        .unwrap_or(record.identity.subject.clone());
    note(&format!(
        "Signed in to {} as {who} (tokens kept in the OS keyring).",
        profile.name
    ));
    Ok(())
}
