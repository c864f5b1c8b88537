//! `login`, `logout` and `auth status`: the profile's keyring entries, shared with the app.

use chrono::Utc;
use serde_json::json;
use skyport_core::auth::password::{self, default_login_url, parse_login_url};
use skyport_core::cert::schedule::{cert_state, format_countdown, CertState};
use skyport_core::cert::CertBundle;
use skyport_core::config::ResolvedProfile;
use skyport_core::connect::{cert_path, env_token, CredentialUsed};
use skyport_core::error::{Coded, ErrorPayload};
use skyport_core::keyring::{EntryKey, SecretStore, SecretStoreExt};
use skyport_core::platform::TOKEN_ENV;
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, ListQuery, SkahaClient, SkahaError};

use super::signin::{self, SignInMode};
use crate::cli::LoginArgs;
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{json as print_json, note, warn, when};
use crate::prompt;
use skyport_core::account;

/// Keyring entries of a remembered password and (for a platform given only by
/// SKYPORT_URL) the username: core's names, shared with the app and `cert renew`.
pub use skyport_core::cert::renew::USERNAME_ENTRY;

pub async fn login(ctx: &Ctx, a: &LoginArgs) -> CliResult {
    let profile = ctx.profile()?;
    if a.password || a.password_stdin {
        return password_login(ctx, &profile, a).await;
    }
    if a.username.is_some() || a.remember_password || a.login_url.is_some() {
        return Err(CliError::usage(
            "--username, --remember-password and --login-url go with --password",
        ));
    }
    if a.token || a.token_stdin {
        return token_login(ctx, &profile, a).await;
    }
    let mode = if a.device {
        SignInMode::Device
    } else {
        SignInMode::Browser
    };
    signin::browser_sign_in(ctx, &profile, mode).await
}

/// The username: the flag, the profile's, a remembered one, or asked.
pub fn username_for(
    ctx: &Ctx,
    profile: &ResolvedProfile,
    flag: Option<&str>,
    ask: bool,
) -> CliResult<String> {
    let known = flag
        .map(str::to_string)
        .or_else(|| profile.profile.username.clone())
        .or_else(|| {
            ctx.store
                .get(&EntryKey::new(&profile.name, USERNAME_ENTRY))
                .ok()
                .flatten()
                .map(|u| u.expose().clone())
        })
        .filter(|u| !u.trim().is_empty());
    match known {
        Some(u) => Ok(u.trim().to_string()),
        None if ask && prompt::interactive() => prompt::ask("Username", None),
        None => Err(CliError::usage(format!(
            "no username for {}: give it with --username",
            profile.name
        ))),
    }
}

/// Keep the username where the app and `cert renew` find it (core's rule).
pub fn remember_username(
    ctx: &Ctx,
    profile: &ResolvedProfile,
    username: &str,
    remember_password: bool,
) -> CliResult {
    account::remember_username(&ctx.paths, &ctx.store, profile, username, remember_password)?;
    Ok(())
}

fn env_token_warning() {
    if env_token().is_some() {
        warn(&format!(
            "{TOKEN_ENV} is set, and it is used before the saved token until you unset it"
        ));
    }
}

async fn password_login(ctx: &Ctx, profile: &ResolvedProfile, a: &LoginArgs) -> CliResult {
    let username = username_for(ctx, profile, a.username.as_deref(), true)?;
    let secret = if a.password_stdin {
        prompt::secret_from_stdin("password")?
    } else {
        prompt::ask_secret(&format!("Password for {username}"), "--password-stdin")?
    };
    let url = match a
        .login_url
        .as_deref()
        .or(profile.profile.login_url.as_deref())
    {
        Some(u) => parse_login_url(u)?,
        None => default_login_url(&profile.service),
    };
    let http = ctx.http(profile)?;
    let got = password::login(&http, &url, &username, &secret).await?;
    // A new sign-in replaces the old one (an OIDC token would otherwise win over it).
    account::keep_token(&ctx.paths, &ctx.store, &profile.name, &got.token)?;
    if a.remember_password {
        account::keep_password(&ctx.store, &profile.name, Some(&secret))?;
    }
    let who = got.user.unwrap_or(username);
    remember_username(ctx, profile, &who, a.remember_password)?;
    note(&format!(
        "Signed in to {} as {who}; the token is saved in {}{}.",
        profile.name,
        ctx.store.describe(),
        if a.remember_password {
            ", with your password for certificate renewal"
        } else {
            ""
        }
    ));
    env_token_warning();
    Ok(())
}

async fn token_login(ctx: &Ctx, profile: &ResolvedProfile, a: &LoginArgs) -> CliResult {
    let token = if a.token_stdin {
        prompt::secret_from_stdin("token")?
    } else {
        prompt::ask_secret("Token", "--token-stdin")?
    };
    let token = SecretString::new(
        token
            .expose()
            .trim()
            .trim_start_matches("Bearer ")
            .trim()
            .to_string(),
    );
    if token.expose().is_empty() || !token.expose().chars().all(|c| c.is_ascii_graphic()) {
        return Err(CliError::usage(
            "that does not look like a token (it must be one word of printable characters)",
        ));
    }
    if !a.no_verify {
        let http = ctx.http(profile)?;
        let client = SkahaClient::new(http, profile.service.clone(), Auth::Bearer(token.clone()));
        match client
            .list_sessions(&ListQuery {
                interactive_only: true,
                ..Default::default()
            })
            .await
        {
            Ok(_) => {}
            Err(e @ (SkahaError::SignInNeeded { .. } | SkahaError::Forbidden { .. })) => {
                let code = e.code();
                return Err(CliError::new(
                    code,
                    format!(
                        "{} did not accept this token; nothing was saved ({e})",
                        profile.name
                    ),
                ));
            }
            Err(e) => {
                let p = ErrorPayload::from_coded(&e);
                return Err(CliError::new(
                    p.code,
                    format!(
                        "{} Nothing was saved (--no-verify saves without checking).",
                        p.message
                    ),
                ));
            }
        }
    }
    account::keep_token(&ctx.paths, &ctx.store, &profile.name, &token)?;
    note(&format!(
        "Token saved for {} in {}.",
        profile.name,
        ctx.store.describe()
    ));
    env_token_warning();
    Ok(())
}

pub async fn logout(ctx: &Ctx) -> CliResult {
    let profile = ctx.profile()?;
    let http = skyport_core::auth::oidc::http_client(std::time::Duration::from_secs(15))
        .map_err(|e| CliError::from_coded(&e))?;
    let out = account::sign_out(&http, &ctx.paths, &ctx.store, &profile.name).await?;
    if let Some(report) = &out.report {
        if !report.revoked.is_empty() {
            note(&format!(
                "Revoked the {} at the provider.",
                report.revoked.join(" and ")
            ));
        }
        if let Some(n) = &report.revocation_note {
            note(n);
        }
    }
    if let Some(why) = &out.revoke_failed {
        // Local cleanup happened anyway; say why revocation did not.
        note(&format!(
            "Could not revoke the tokens at the provider: {why}"
        ));
    }
    let removed = out.removed;
    note(&format!(
        "Signed out of {}: {removed} saved credential(s) removed from {}.",
        profile.name,
        ctx.store.describe()
    ));
    let cert = cert_path(&ctx.paths, &profile);
    if cert.exists() {
        note(&format!(
            "The certificate {} is left in place (other tools use it too); delete it yourself if you want.",
            cert.display()
        ));
    }
    if env_token().is_some() {
        warn(&format!(
            "{TOKEN_ENV} is still set in your environment and will be used"
        ));
    }
    Ok(())
}

fn credential_kind(c: &CredentialUsed) -> &'static str {
    match c {
        CredentialUsed::EnvToken => "env_token",
        CredentialUsed::SavedToken => "saved_token",
        CredentialUsed::OidcToken => "oidc_token",
        CredentialUsed::Certificate { .. } => "certificate",
    }
}

pub async fn status(ctx: &Ctx, check: bool) -> CliResult {
    let profile = ctx.profile()?;
    let now = Utc::now();
    let conn = ctx.connect_to(&profile);
    let cert_file = cert_path(&ctx.paths, &profile);
    let loaded = CertBundle::load(&cert_file);
    let cstate = cert_state(loaded.as_ref().map(|b| b.info()), now);
    let cert_json = match &loaded {
        Ok(b) => json!({
            "path": cert_file,
            "state": cstate,
            "subject": b.info().subject,
            "notAfter": b.info().not_after,
            "countdown": format_countdown(b.info().not_after, now),
        }),
        Err(e) => json!({"path": cert_file, "state": cstate, "error": e.to_string()}),
    };
    let (credential, problem) = match &conn {
        Ok(c) => {
            let mut v = json!({
                "kind": credential_kind(&c.credential),
                "description": c.credential.describe(),
            });
            if let CredentialUsed::Certificate {
                path,
                subject,
                not_after,
            } = &c.credential
            {
                v["path"] = json!(path);
                v["subject"] = json!(subject);
                v["notAfter"] = json!(not_after);
                v["countdown"] = json!(format_countdown(*not_after, now));
            }
            (Some(v), None)
        }
        Err(e) => (None, Some(e)),
    };
    let mut accepted: Option<Result<(), CliError>> = None;
    if check {
        if let Ok(c) = &conn {
            accepted = Some(
                c.client
                    .list_sessions(&ListQuery {
                        interactive_only: true,
                        ..Default::default()
                    })
                    .await
                    .map(|_| ())
                    .map_err(CliError::from),
            );
        }
    }
    if ctx.json {
        print_json(&json!({
            "profile": profile.name,
            "fromEnv": profile.from_env,
            "platform": profile.service.as_str(),
            "signedIn": credential.is_some(),
            "credential": credential,
            "problem": problem.map(|p| json!({"code": p.code, "message": p.message})),
            "keyring": ctx.store.describe(),
            "certificate": cert_json,
            "accepted": accepted.as_ref().map(|r| r.is_ok()),
        }))?;
    } else {
        let mut s = String::new();
        let mut kv = |k: &str, v: &str| s.push_str(&format!("{k:<13}{v}\n"));
        kv(
            "Profile:",
            &format!(
                "{}{}",
                profile.name,
                if profile.from_env {
                    " (from SKYPORT_URL)"
                } else {
                    ""
                }
            ),
        );
        kv("Platform:", profile.service.as_str());
        match &conn {
            Ok(c) => {
                let extra = match &c.credential {
                    CredentialUsed::Certificate { not_after, .. } => format!(
                        ", {} (until {})",
                        format_countdown(*not_after, now),
                        when(*not_after)
                    ),
                    CredentialUsed::SavedToken | CredentialUsed::OidcToken => {
                        format!(", kept in {}", ctx.store.describe())
                    }
                    CredentialUsed::EnvToken => String::new(),
                };
                kv(
                    "Credential:",
                    &format!("{}{extra}", c.credential.describe()),
                );
            }
            Err(e) => kv("Credential:", &format!("none usable: {}", e.message)),
        }
        match &loaded {
            Ok(b) => kv(
                "Certificate:",
                &format!(
                    "{} ({}, {})",
                    cert_file.display(),
                    b.info().subject,
                    format_countdown(b.info().not_after, now)
                ),
            ),
            Err(_) if cstate == CertState::Missing => {
                kv("Certificate:", &format!("none at {}", cert_file.display()))
            }
            Err(e) => kv("Certificate:", &format!("not usable: {e}")),
        }
        match &accepted {
            Some(Ok(())) => kv("Check:", "the platform accepts it"),
            Some(Err(e)) => kv("Check:", &format!("refused: {}", e.message)),
            None => {}
        }
        crate::output::out(&s)?;
    }
    if let Err(e) = conn {
        return Err(CliError::reported(e.code));
    }
    if let Some(Err(e)) = accepted {
        return Err(CliError::reported(e.code));
    }
    Ok(())
}
