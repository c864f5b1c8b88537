//! Sign-in as the app and the CLI run it: pick or register the OIDC client, run the
//! browser or device flow, keep the result. One function, so both behave the same.

use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::oidc::{
    self, browser_sign_in, device_sign_in, BrowserSignIn, DevicePrompt, DeviceSignIn, OidcError,
    Provider, SignInRecord,
};
use crate::config::{default_scopes, ResolvedProfile};
use crate::keyring::{SecretStore, SecretStoreExt};
use crate::paths::Paths;
use crate::platform::scrub_secret_env;

/// Environment variable naming a command that opens sign-in URLs instead of the system
/// browser (the URL is its last argument). Used by tests; handy for a chosen browser profile.
pub const BROWSER_ENV: &str = "SKYPORT_BROWSER";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SignInMode {
    /// Authorization code + PKCE in the system browser, answer caught on 127.0.0.1.
    Browser,
    /// A code to enter on another device or browser (RFC 8628).
    Device,
}

/// A dynamically registered client, remembered per profile (the id is not secret; a
/// secret, if the provider issued one, is kept in the keyring).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RegisteredClient {
    issuer: String,
    client_id: String,
}

fn registered_path(paths: &Paths, profile: &str) -> PathBuf {
    let safe: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    paths
        .state_dir
        .join("auth")
        .join(format!("{safe}.client.json"))
}

/// The client id to use: the profile's, a remembered registration, or a new registration.
async fn client_for(
    http: &reqwest::Client,
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    provider: &Provider,
) -> Result<(String, Option<String>), OidcError> {
    let settings = profile
        .profile
        .oidc
        .as_ref()
        .ok_or(OidcError::Unsupported {
            what: "OpenID Connect sign-in for this profile",
            advice: "Add an OIDC issuer to the profile, or sign in with a password or a token.",
        })?;
    if let Some(id) = &settings.client_id {
        return Ok((id.clone(), None));
    }
    let path = registered_path(paths, &profile.name);
    let remembered = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<RegisteredClient>(&b).ok());
    if let Some(r) = remembered.filter(|r| r.issuer == provider.issuer) {
        let secret = store.get(&oidc::tokens::client_secret_key(&profile.name))?;
        return Ok((r.client_id, secret.map(|s| s.expose().clone())));
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this computer".into());
    let reg = oidc::register_client(http, provider, &host).await?;
    if let Some(s) = &reg.client_secret {
        store.set(&oidc::tokens::client_secret_key(&profile.name), s)?;
    }
    let rec = RegisteredClient {
        issuer: provider.issuer.clone(),
        client_id: reg.client_id.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&rec).map_err(|e| OidcError::Other(e.to_string()))?;
    crate::fsutil::write_atomic(&path, &bytes)
        .map_err(|e| OidcError::Other(format!("could not remember the registered client: {e}")))?;
    Ok((reg.client_id, reg.client_secret.map(|s| s.expose().clone())))
}

/// Progress of a running sign-in, for the words the app shows while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "stage")]
pub enum SignInStage {
    OpeningBrowser,
    WaitingForBrowser { url: String },
    DeviceCode { prompt: DevicePromptView },
    Done,
    Failed { error: crate::error::ErrorPayload },
}

/// Wire form of the device prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DevicePromptView {
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in_secs: u32,
}

impl From<&DevicePrompt> for DevicePromptView {
    fn from(p: &DevicePrompt) -> Self {
        Self {
            user_code: p.user_code.clone(),
            verification_uri: p.verification_uri.clone(),
            verification_uri_complete: p.verification_uri_complete.clone(),
            expires_in_secs: u32::try_from(p.expires_in_secs).unwrap_or(u32::MAX),
        }
    }
}

/// Hooks the caller provides.
pub struct SignInHooks<O, S, C> {
    /// Open the authorization URL (browser mode).
    pub open: O,
    /// Show the device code (device mode).
    pub show: S,
    /// Resolves when the user cancels.
    pub cancel: C,
}

/// Run a sign-in for `profile` and keep the result (tokens in the keyring).
pub async fn sign_in<O, S, C>(
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &ResolvedProfile,
    mode: SignInMode,
    timeout: Duration,
    hooks: SignInHooks<O, S, C>,
) -> Result<SignInRecord, OidcError>
where
    O: FnOnce(&str) -> Result<(), BrowserError>,
    S: FnOnce(&DevicePrompt),
    C: Future<Output = ()>,
{
    let settings = profile
        .profile
        .oidc
        .clone()
        .ok_or(OidcError::NotConfigured)?;
    let http = oidc::http_client(Duration::from_secs(30))?;
    let provider = Provider::discover(&http, &settings.issuer).await?;
    let (client_id, secret) = client_for(&http, paths, store, profile, &provider).await?;
    let scopes = if settings.scopes.is_empty() {
        default_scopes()
    } else {
        settings.scopes.clone()
    };
    let tokens = match mode {
        SignInMode::Browser => {
            let req = BrowserSignIn {
                provider: &provider,
                client_id: &client_id,
                client_secret: secret.as_deref(),
                scopes: &scopes,
                timeout,
            };
            browser_sign_in(&http, req, hooks.open, hooks.cancel).await?
        }
        SignInMode::Device => {
            let req = DeviceSignIn {
                provider: &provider,
                client_id: &client_id,
                client_secret: secret.as_deref(),
                scopes: &scopes,
            };
            let run = device_sign_in(&http, req, hooks.show, tokio::time::sleep, hooks.cancel);
            tokio::time::timeout(timeout, run)
                .await
                .map_err(|_| OidcError::Timeout)??
        }
    };
    oidc::save_sign_in(
        paths,
        store,
        &profile.name,
        &provider.issuer,
        &client_id,
        &tokens,
        Utc::now(),
    )
}

/// Only web pages go to a browser or launcher ([`crate::links`]): a provider or platform
/// could name any scheme.
fn web_link(url: &str) -> Result<(), BrowserError> {
    let parsed = url::Url::parse(url)
        .map_err(|_| BrowserError(crate::links::LinkRefused::Malformed.to_string()))?;
    crate::links::check_web_link(&parsed).map_err(|e| BrowserError(e.to_string()))
}

/// A page could not be handed to a browser: why, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BrowserError(pub String);

impl crate::error::Coded for BrowserError {
    fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::Io
    }
}

/// Open a URL with the command named by `SKYPORT_BROWSER`, if set. `None` when unset, so
/// the caller uses the system browser ([`open_in_system_browser`]).
pub fn open_with_env_browser(url: &str) -> Option<Result<(), BrowserError>> {
    let cmd = std::env::var(BROWSER_ENV)
        .ok()
        .filter(|c| !c.trim().is_empty())?;
    if let Err(e) = web_link(url) {
        return Some(Err(e));
    }
    let mut parts = cmd.split_whitespace();
    let program = parts.next()?;
    let mut command = Command::new(program);
    scrub_secret_env(&mut command)
        .args(parts)
        .arg(url)
        .stdin(Stdio::null());
    Some(
        command
            .spawn()
            .map(reap)
            .map_err(|e| BrowserError(format!("{BROWSER_ENV}={cmd:?} could not be started: {e}"))),
    )
}

/// How long a launcher may take to fail (no browser configured, say) before it counts as
/// having handed the URL over.
const LAUNCH_CHECK: Duration = Duration::from_millis(250);

/// Open a URL in the system browser with the platform's launchers, in the `open` crate's
/// order (`xdg-open`, then `gio open`, … on Linux; `open` on macOS; the Windows shell), each
/// started with [`SECRET_ENV`](crate::platform::SECRET_ENV) removed from its environment.
/// May block for up to a quarter of a second while a launcher is checked.
pub fn open_in_system_browser(url: &str) -> Result<(), BrowserError> {
    web_link(url)?;
    let mut launchers = open::commands(url).into_iter().peekable();
    let mut failure = "no program to open URLs with was found".to_string();
    while let Some(mut cmd) = launchers.next() {
        scrub_secret_env(&mut cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            // Its own process group: a Ctrl-C in the terminal ends the CLI, not the browser.
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let program = cmd.get_program().to_string_lossy().into_owned();
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                failure = format!("{program}: {e}");
                continue;
            }
        };
        // One that fails at once makes way for the next. The last is trusted, as Windows
        // Explorer's exit status says nothing about success.
        if launchers.peek().is_some() {
            if let Some(status) = exit_within(&mut child, LAUNCH_CHECK) {
                if !status.success() {
                    failure = format!("{program} failed ({status})");
                    continue;
                }
            }
        }
        reap(child);
        return Ok(());
    }
    Err(BrowserError(failure))
}

/// The child's exit status if it ends within `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            _ => return None,
        }
    }
}

/// Wait for a launched program in the background, so it leaves no zombie behind.
fn reap(mut child: Child) {
    let _ = std::thread::Builder::new()
        .name("browser-launcher".into())
        .spawn(move || {
            let _ = child.wait();
        });
}
