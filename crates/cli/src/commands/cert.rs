//! `cert status`, `cert obtain`, `cert renew`: the X.509 certificate shared with the app,
//! `cadc-get-cert` and the canfar client.

use std::path::PathBuf;

use chrono::Utc;
use serde_json::json;
use skyport_core::cert::obtain::{self, default_cred_url, parse_cred_url, CredAuth};
use skyport_core::cert::renew::{days_to_ask, renew_certificate, RenewError, RenewOptions};
use skyport_core::cert::schedule::{cert_state, format_countdown, CertState};
use skyport_core::cert::CertBundle;
use skyport_core::config::{ConfigError, ResolvedProfile};
use skyport_core::connect::{cert_path, env_token};
use skyport_core::error::ErrorCode;
use skyport_core::netrc::Netrc;
use skyport_core::secret::SecretString;
use url::Url;

use super::auth::{remember_username, username_for};
use crate::cli::{CertCommon, ObtainArgs, RenewArgs};
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{json as print_json, note, num, when};
use crate::prompt;

/// The profile if one is configured; `None` (not an error) when there is none at all.
fn profile_if_any(ctx: &Ctx) -> CliResult<Option<ResolvedProfile>> {
    let cfg = ctx.config()?;
    match cfg.resolve(ctx.profile_flag.as_deref(), ctx.env_url.as_deref()) {
        Ok(p) => Ok(Some(p)),
        Err(ConfigError::NoPlatform) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn cert_file(ctx: &Ctx, profile: Option<&ResolvedProfile>, out: Option<&PathBuf>) -> PathBuf {
    match (out, profile) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => cert_path(&ctx.paths, p),
        (None, None) => {
            skyport_core::connect::env_cert_path().unwrap_or_else(|| ctx.paths.cert_file())
        }
    }
}

fn cred_url(profile: Option<&ResolvedProfile>, flag: Option<&str>) -> CliResult<Url> {
    match flag.or(profile.and_then(|p| p.profile.cred_url.as_deref())) {
        Some(u) => Ok(parse_cred_url(u)?),
        None => match profile {
            Some(p) => Ok(default_cred_url(&p.service)),
            None => Err(CliError::new(
                ErrorCode::Config,
                "no platform is configured, so skyport does not know the credential service: give --cred-url, add a profile (`skyport profiles add NAME URL`) or set SKYPORT_URL",
            )),
        },
    }
}

pub async fn status(ctx: &Ctx) -> CliResult {
    let profile = profile_if_any(ctx)?;
    let path = cert_file(ctx, profile.as_ref(), None);
    let now = Utc::now();
    let loaded = CertBundle::load(&path);
    let state = cert_state(loaded.as_ref().map(|b| b.info()), now);
    if ctx.json {
        let v = match &loaded {
            Ok(b) => {
                let i = b.info();
                json!({
                    "path": path,
                    "state": state,
                    "subject": i.subject,
                    "issuer": i.issuer,
                    "notBefore": i.not_before,
                    "notAfter": i.not_after,
                    "countdown": format_countdown(i.not_after, now),
                    "keyType": i.key_type,
                    "chainLength": i.chain_len,
                    "error": null,
                })
            }
            Err(e) => json!({"path": path, "state": state, "error": e.to_string()}),
        };
        print_json(&v)?;
    } else {
        match &loaded {
            Ok(b) => {
                let i = b.info();
                let mut s = String::new();
                let mut kv = |k: &str, v: String| s.push_str(&format!("{k:<10}{v}\n"));
                kv("Path:", path.display().to_string());
                kv("Subject:", i.subject.clone());
                kv("Issuer:", i.issuer.clone());
                kv(
                    "Valid:",
                    format!("{} to {}", when(i.not_before), when(i.not_after)),
                );
                kv("Expires:", format_countdown(i.not_after, now));
                kv(
                    "State:",
                    match state {
                        CertState::Fine => "fine".into(),
                        CertState::Expiring => {
                            "expiring soon: renew it with `skyport cert renew`".into()
                        }
                        CertState::Expired => "expired: renew it with `skyport cert renew`".into(),
                        CertState::Missing => "missing".into(),
                        CertState::Invalid => "not usable (not valid yet?)".into(),
                    },
                );
                crate::output::out(&s)?;
            }
            Err(e) => note(&format!("error: {e}")),
        }
    }
    let code = match state {
        CertState::Fine | CertState::Expiring => return Ok(()),
        CertState::Missing => ErrorCode::CertificateMissing,
        CertState::Expired => ErrorCode::CertificateExpired,
        CertState::Invalid => ErrorCode::CertificateInvalid,
    };
    Err(CliError::reported(code))
}

fn load_netrc(file: Option<&PathBuf>) -> CliResult<(Netrc, String)> {
    let (loaded, shown) = match file {
        Some(p) => (Netrc::load(p)?, p.display().to_string()),
        None => {
            let p = Netrc::default_path().ok_or_else(|| {
                CliError::usage(
                    "cannot find your home directory to read ~/.netrc; use --netrc-file",
                )
            })?;
            (Netrc::load(&p)?, p.display().to_string())
        }
    };
    match loaded {
        Some(n) => Ok((n, shown)),
        None => Err(CliError::usage(format!(
            "there is no netrc file at {shown}"
        ))),
    }
}

fn netrc_auth(file: Option<&PathBuf>, cred: &Url) -> CliResult<CredAuth> {
    let (n, shown) = load_netrc(file)?;
    CredAuth::from_netrc(&n, cred).ok_or_else(|| {
        CliError::usage(format!(
            "{shown} has no `machine {} login ... password ...` entry",
            cred.host_str().unwrap_or("HOST")
        ))
    })
}

/// Fetch, validate and save; then say what happened.
async fn fetch_and_save(
    ctx: &Ctx,
    profile: Option<&ResolvedProfile>,
    common: &CertCommon,
    cred: &Url,
    auth: &CredAuth,
) -> CliResult {
    let path = cert_file(ctx, profile, common.out.as_ref());
    let http = match profile {
        Some(p) => ctx.http(p)?,
        None => skyport_core::http::build_client(skyport_core::http::HttpOptions {
            timeout: ctx.timeout,
            ..Default::default()
        })?,
    };
    // Never shorten the current certificate (the writer refuses one that ends earlier):
    // ask for a little more than it has left when that is longer, as core's renewal does.
    let current = CertBundle::load(&path).ok().map(|b| b.not_after());
    let days = days_to_ask(common.days, current, Utc::now());
    if days > common.days {
        note(&format!(
            "Asking for {} days so the new certificate does not end before the current one.",
            num((days * 100.0).ceil() / 100.0)
        ));
    }
    tracing::debug!(url = %cred, with = %auth.describe(), days, "requesting a certificate");
    let got = obtain::obtain(&http, cred, auth, days, &path).await?;
    let info = &got.outcome.info;
    let now = Utc::now();
    if ctx.json {
        print_json(&json!({
            "path": path,
            "subject": info.subject,
            "notBefore": info.not_before,
            "notAfter": info.not_after,
            "daysValid": got.days_valid,
            "backup": got.outcome.backup,
        }))?;
    }
    if got.days_valid + 1e-9 < days {
        note(&format!(
            "The credential service allows at most {} days.",
            num(got.days_valid)
        ));
    }
    note(&format!(
        "Saved a {}-day certificate for {} in {}; it expires {} ({}).",
        num(got.days_valid),
        info.subject,
        path.display(),
        when(info.not_after),
        format_countdown(info.not_after, now)
    ));
    if let Some(b) = &got.outcome.backup {
        note(&format!("The previous certificate is kept as {b}."));
    }
    Ok(())
}

pub async fn obtain_cmd(ctx: &Ctx, a: &ObtainArgs) -> CliResult {
    let profile = profile_if_any(ctx)?;
    let cred = cred_url(profile.as_ref(), a.common.cred_url.as_deref())?;
    let auth = if a.netrc || a.netrc_file.is_some() {
        netrc_auth(a.netrc_file.as_ref(), &cred)?
    } else if a.password_stdin || prompt::interactive() {
        let username = match &profile {
            Some(p) => username_for(ctx, p, a.username.as_deref(), !a.password_stdin)?,
            None => match &a.username {
                Some(u) => u.clone(),
                None if !a.password_stdin => prompt::ask("Username", None)?,
                None => return Err(CliError::usage("give your username with --username")),
            },
        };
        let password = if a.password_stdin {
            prompt::secret_from_stdin("password")?
        } else {
            prompt::ask_secret(&format!("Password for {username}"), "--password-stdin")?
        };
        CredAuth::Basic { username, password }
    } else {
        // No terminal and no flag: ~/.netrc, as a script would expect.
        match netrc_auth(None, &cred) {
            Ok(auth) => auth,
            Err(e) if e.code != ErrorCode::Validation => return Err(e),
            Err(_) => {
                return Err(CliError::usage(format!(
                    "standard input is not a terminal, so skyport cannot ask for your password: use --password-stdin with --username, or a ~/.netrc entry for {} (--netrc)",
                    cred.host_str().unwrap_or("the credential service")
                )))
            }
        }
    };
    fetch_and_save(ctx, profile.as_ref(), &a.common, &cred, &auth).await?;
    if a.remember_password {
        let (
            Some(p),
            CredAuth::Basic {
                username,
                password: pw,
            },
        ) = (&profile, &auth)
        else {
            return Err(CliError::usage(
                "--remember-password needs a profile and a username and password",
            ));
        };
        skyport_core::account::keep_password(&ctx.store, &p.name, Some(pw))?;
        remember_username(ctx, p, username, true)?;
        note("Your password is kept in the keyring for unattended renewal.");
    }
    Ok(())
}

/// `cert renew`: core's `renew_certificate`, the same choice of credential as the app's
/// monitor and tray (remembered password, ~/.netrc, SKYPORT_TOKEN, sign-in, saved token);
/// at a terminal with none of those, a password prompt.
pub async fn renew_cmd(ctx: &Ctx, a: &RenewArgs) -> CliResult {
    let mut profile = ctx.profile()?;
    if let Some(u) = &a.common.cred_url {
        parse_cred_url(u)?;
        profile.profile.cred_url = Some(u.clone());
    }
    if let Some(out) = &a.common.out {
        profile.profile.cert_path = Some(out.clone());
    }
    let mut opts = RenewOptions {
        days: a.common.days,
        timeout: ctx.timeout,
        env_token: env_token(),
        ..Default::default()
    };
    let renewed = match renew_certificate(&ctx.paths, &ctx.store, &profile, &opts).await {
        Err(RenewError::NoCredential { .. }) if prompt::interactive() => {
            let username = username_for(ctx, &profile, None, true)?;
            let password: SecretString =
                prompt::ask_secret(&format!("Password for {username}"), "--password-stdin")?;
            opts.explicit = Some(CredAuth::Basic { username, password });
            renew_certificate(&ctx.paths, &ctx.store, &profile, &opts).await?
        }
        other => other?,
    };
    let now = Utc::now();
    let info = &renewed.info;
    if ctx.json {
        print_json(&json!({
            "path": renewed.path,
            "subject": info.subject,
            "notBefore": info.not_before,
            "notAfter": info.not_after,
            "daysValid": renewed.days_valid,
            "backup": renewed.backup,
            "used": renewed.used,
            "source": renewed.source,
        }))?;
    }
    if renewed.days_valid + 1e-9 < a.common.days {
        note(&format!(
            "The credential service allows at most {} days.",
            num(renewed.days_valid)
        ));
    }
    note(&format!(
        "Saved a {}-day certificate for {} in {} (with {}); it expires {} ({}).",
        num(renewed.days_valid),
        info.subject,
        renewed.path,
        renewed.used,
        when(info.not_after),
        format_countdown(info.not_after, now)
    ));
    if let Some(b) = &renewed.backup {
        note(&format!("The previous certificate is kept as {b}."));
    }
    Ok(())
}
