//! `profiles` and `config`: the shared `config.toml` (never secrets).

use serde_json::json;
use skyport_core::config::{default_scopes, Config, OidcSettings};
use skyport_core::error::ErrorCode;
use skyport_core::platform::URL_ENV;

use crate::cli::{ConfigCommand, ProfileAddArgs, ProfilesCommand};
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{json as print_json, line, note, out, warn, Table};

pub async fn profiles(ctx: &Ctx, cmd: &ProfilesCommand) -> CliResult {
    match cmd {
        ProfilesCommand::List { check } => list(ctx, *check).await,
        ProfilesCommand::ImportCanfar {
            path,
            tokens,
            dry_run,
        } => import_canfar(ctx, path.as_deref(), *tokens, *dry_run),
        ProfilesCommand::Rename { name, display_name } => {
            skyport_core::profiles::rename(&ctx.paths, name, display_name)?;
            note(&format!(
                "{name} is shown as {:?} now.",
                display_name.trim()
            ));
            Ok(())
        }
        ProfilesCommand::Use { name } => {
            skyport_core::profiles::switch(&ctx.paths, name)?;
            note(&format!("{name} is now the active profile."));
            if ctx.env_url.is_some() {
                warn(&format!(
                    "{URL_ENV} is set and wins over the active profile"
                ));
            }
            Ok(())
        }
        ProfilesCommand::Add(a) => add(ctx, a).await,
        ProfilesCommand::Remove { name } => {
            let r = skyport_core::profiles::remove(&ctx.paths, &ctx.store, name).await?;
            if let Some(why) = &r.revoke_failed {
                warn(&format!(
                    "its sign-in could not be revoked at the provider: {why}"
                ));
            }
            note(&format!(
                "Removed profile {name}{}{}.",
                if r.secrets > 0 {
                    format!(" and {} saved secret(s)", r.secrets)
                } else {
                    String::new()
                },
                if r.revoked {
                    "; its sign-in was revoked"
                } else {
                    ""
                }
            ));
            Ok(())
        }
    }
}

async fn list(ctx: &Ctx, check: bool) -> CliResult {
    let cfg = ctx.config()?;
    let active = cfg.active.clone();
    let summaries = skyport_core::profiles::summaries(&ctx.paths, &ctx.store, &cfg);
    let checks = if check {
        Some(check_all(ctx, &cfg).await?)
    } else {
        None
    };
    if ctx.json {
        let v: Vec<_> = cfg
            .profiles
            .iter()
            .zip(&summaries)
            .enumerate()
            .map(|(i, ((name, p), s))| {
                let mut v = serde_json::to_value(p).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("name".into(), json!(name));
                    o.insert("active".into(), json!(active.as_deref() == Some(name)));
                    o.insert("signedIn".into(), json!(s.status));
                    if let Some(c) = checks
                        .as_ref()
                        .and_then(|c| c.get(i))
                        .and_then(Option::as_ref)
                    {
                        o.insert("check".into(), json!(c));
                    }
                }
                v
            })
            .collect();
        return print_json(&v);
    }
    if cfg.profiles.is_empty() {
        note("No profiles yet: add one with `skyport profiles add NAME URL`.");
    } else {
        let mut head = vec!["", "NAME", "URL", "SIGN-IN", "SIGNED IN"];
        if checks.is_some() {
            head.push("CHECK");
        }
        let mut t = Table::new(&head);
        for (i, ((name, p), s)) in cfg.profiles.iter().zip(&summaries).enumerate() {
            let signin = [
                p.oidc.as_ref().map(|_| "oidc"),
                p.login_url.as_ref().map(|_| "password"),
                p.cred_url.as_ref().map(|_| "certificate"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(",");
            let mut cells = vec![
                if active.as_deref() == Some(name) {
                    "*".into()
                } else {
                    String::new()
                },
                name.clone(),
                p.url.clone(),
                if signin.is_empty() {
                    "-".into()
                } else {
                    signin
                },
                s.status.headline.clone(),
            ];
            if let Some(c) = checks
                .as_ref()
                .and_then(|c| c.get(i))
                .and_then(Option::as_ref)
            {
                cells.push(check_line(c));
            }
            t.row(cells);
        }
        t.print()?;
    }
    if let Some(u) = &ctx.env_url {
        note(&format!(
            "{URL_ENV}={u} is set and wins over the active profile."
        ));
    }
    Ok(())
}

async fn add(ctx: &Ctx, a: &ProfileAddArgs) -> CliResult {
    // Discovery first (seconds of network): the config is read and written right after, so
    // a change made meanwhile (the app switching platforms) is not overwritten.
    let discovered = match &a.url {
        Some(_) => None,
        None => Some(
            super::platforms::discover(
                ctx,
                a.discover.as_deref(),
                a.registry.as_deref(),
                a.srcnet.as_deref(),
            )
            .await?,
        ),
    };
    let (existed, active) = ctx.update_config(|cfg| {
        let existed = cfg.profiles.contains_key(&a.name);
        let mut p = cfg.profiles.get(&a.name).cloned().unwrap_or_default();
        if let Some(url) = &a.url {
            p.url = url.trim().to_string();
        } else if let Some(d) = discovered {
            // Its sign-in belongs to the platform it names: never carried to another one.
            if existed && !skyport_core::discovery::profile::same_platform(&p, &d) {
                return Err(CliError::usage(format!(
                    "profile {} is another platform ({}); choose another name, or remove it first (`skyport profiles remove {}`)",
                    a.name, p.url, a.name
                )));
            }
            skyport_core::discovery::profile::apply(&mut p, &d);
            for n in &d.notes {
                warn(n);
            }
            note(&format!(
                "Found session API {} at {}{}{}{}.",
                d.session.version,
                d.session.service,
                d.login
                    .as_deref()
                    .map(|u| format!("; password sign-in at {u}"))
                    .unwrap_or_default(),
                d.oidc_issuer
                    .as_deref()
                    .map(|u| format!("; sign-in provider {u}"))
                    .unwrap_or_default(),
                d.storage
                    .as_deref()
                    .map(|u| format!("; storage at {u}"))
                    .unwrap_or_default(),
            ));
        }
        if let Some(v) = &a.display_name {
            p.display_name = Some(v.clone());
        }
        for (flag, value) in [("--login-url", &a.login_url), ("--cred-url", &a.cred_url)] {
            if let Some(u) = value {
                let parsed = url::Url::parse(u)
                    .map_err(|e| CliError::usage(format!("{flag} {u:?} is not a URL ({e})")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(CliError::usage(format!("{flag} must start with https://")));
                }
            }
        }
        if let Some(v) = &a.login_url {
            p.login_url = Some(v.clone());
        }
        if let Some(v) = &a.cred_url {
            p.cred_url = Some(v.clone());
        }
        if let Some(issuer) = &a.oidc_issuer {
            p.oidc = Some(OidcSettings {
                issuer: issuer.clone(),
                client_id: a.client_id.clone(),
                scopes: p
                    .oidc
                    .as_ref()
                    .map(|o| o.scopes.clone())
                    .unwrap_or_else(default_scopes),
            });
        }
        if let Some(v) = &a.username {
            p.username = Some(v.clone());
        }
        if let Some(f) = &a.ca_file {
            let abs = std::fs::canonicalize(f)
                .map_err(|e| CliError::usage(format!("--ca-file {}: {e}", f.display())))?;
            let pem = std::fs::read(&abs)
                .map_err(|e| CliError::usage(format!("--ca-file {}: {e}", abs.display())))?;
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                return Err(CliError::usage(format!(
                    "--ca-file {} holds no PEM certificate",
                    abs.display()
                )));
            }
            p.ca_file = Some(abs);
        }
        if let Some(f) = &a.cert_path {
            p.cert_path = Some(if f.is_absolute() {
                f.clone()
            } else {
                std::env::current_dir()
                    .map(|d| d.join(f))
                    .unwrap_or_else(|_| f.clone())
            });
        }
        cfg.upsert(&a.name, p)?;
        if a.make_active {
            cfg.use_profile(&a.name)?;
        }
        Ok((existed, cfg.active.as_deref() == Some(a.name.as_str())))
    })?;
    note(&format!(
        "{} profile {}{}.",
        if existed { "Updated" } else { "Added" },
        a.name,
        if active { " (active)" } else { "" }
    ));
    Ok(())
}

// ------------------------------------------------------------------------------ config

fn key_path(key: &str) -> CliResult<Vec<String>> {
    let parts: Vec<String> = key.split('.').map(str::to_string).collect();
    if key.trim().is_empty() || parts.iter().any(|p| p.is_empty()) {
        return Err(CliError::usage(format!(
            "{key:?} is not a setting name; settings look like `active` or `profiles.NAME.url`"
        )));
    }
    Ok(parts)
}

fn get<'a>(root: &'a toml::Value, path: &[String]) -> Option<&'a toml::Value> {
    path.iter().try_fold(root, |v, k| v.get(k.as_str()))
}

fn show_value(v: &toml::Value) -> CliResult<String> {
    Ok(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Table(_) => toml::to_string_pretty(v)
            .map_err(|e| CliError::failed(format!("cannot format the setting: {e}")))?
            .trim_end()
            .to_string(),
        other => other.to_string(),
    })
}

fn to_value(cfg: &Config) -> CliResult<toml::Value> {
    toml::Value::try_from(cfg).map_err(|e| {
        CliError::new(
            ErrorCode::Internal,
            format!("cannot read the configuration: {e}"),
        )
    })
}

/// Check a changed tree is still a valid configuration, and that `key` survived (so a
/// misspelt setting is an error, not silently dropped).
fn rebuild(root: toml::Value, key: &[String], must_exist: bool) -> CliResult<Config> {
    let cfg: Config = root.try_into().map_err(|e: toml::de::Error| {
        CliError::usage(format!("not a valid setting: {}", e.message()))
    })?;
    let back = to_value(&cfg)?;
    if must_exist && get(&back, key).is_none() {
        return Err(CliError::usage(format!(
            "{} is not a setting Skyport knows (`skyport config show` lists them)",
            key.join(".")
        )));
    }
    let mut check = Config {
        version: cfg.version,
        ..Default::default()
    };
    for (name, p) in &cfg.profiles {
        check.upsert(name, p.clone())?;
    }
    if let Some(a) = &cfg.active {
        check.use_profile(a)?;
    }
    Ok(cfg)
}

pub fn config(ctx: &Ctx, cmd: &ConfigCommand) -> CliResult {
    match cmd {
        ConfigCommand::Path => line(&ctx.paths.config_file().display().to_string()),
        ConfigCommand::Show => {
            let cfg = ctx.config()?;
            if ctx.json {
                return print_json(&cfg);
            }
            let text = toml::to_string_pretty(&cfg)
                .map_err(|e| CliError::failed(format!("cannot format the configuration: {e}")))?;
            out(&text)
        }
        ConfigCommand::Get { key } => {
            let path = key_path(key)?;
            let cfg = ctx.config()?;
            let root = to_value(&cfg)?;
            match get(&root, &path) {
                Some(v) if ctx.json => print_json(v),
                Some(v) => line(&show_value(v)?),
                None => Err(CliError::new(
                    ErrorCode::NotFound,
                    format!("{key} is not set"),
                )),
            }
        }
        ConfigCommand::Set { key, value } => {
            let path = key_path(key)?;
            ctx.update_config(|cfg| {
                let mut root = to_value(cfg)?;
                let Some((last, parents)) = path.split_last() else {
                    return Err(CliError::usage("give a setting name"));
                };
                let mut node = &mut root;
                for k in parents {
                    let table = node.as_table_mut().ok_or_else(|| {
                        CliError::usage(format!("{key}: {k} is not a group of settings"))
                    })?;
                    node = table
                        .entry(k.clone())
                        .or_insert_with(|| toml::Value::Table(Default::default()));
                }
                let table = node.as_table_mut().ok_or_else(|| {
                    CliError::usage(format!("{key} is not inside a group of settings"))
                })?;
                let new = match table.get(last.as_str()) {
                    Some(toml::Value::Boolean(_)) => match value.trim() {
                        "true" | "yes" | "on" | "1" => toml::Value::Boolean(true),
                        "false" | "no" | "off" | "0" => toml::Value::Boolean(false),
                        _ => return Err(CliError::usage(format!("{key} is true or false"))),
                    },
                    Some(toml::Value::Integer(_)) => toml::Value::Integer(
                        value
                            .trim()
                            .parse()
                            .map_err(|_| CliError::usage(format!("{key} is a whole number")))?,
                    ),
                    Some(toml::Value::Table(_)) | Some(toml::Value::Array(_)) => {
                        return Err(CliError::usage(format!(
                            "{key} is a group; set the settings inside it"
                        )))
                    }
                    _ if last == "remember_password" => match value.trim() {
                        "true" => toml::Value::Boolean(true),
                        "false" => toml::Value::Boolean(false),
                        _ => return Err(CliError::usage(format!("{key} is true or false"))),
                    },
                    _ => toml::Value::String(value.clone()),
                };
                table.insert(last.clone(), new);
                *cfg = rebuild(root, &path, true)?;
                Ok(())
            })?;
            note(&format!("{key} = {value}"));
            Ok(())
        }
        ConfigCommand::Unset { key } => {
            let path = key_path(key)?;
            ctx.update_config(|cfg| {
                let mut root = to_value(cfg)?;
                let Some((last, parents)) = path.split_last() else {
                    return Err(CliError::usage("give a setting name"));
                };
                let mut node = &mut root;
                for k in parents {
                    node = node.get_mut(k.as_str()).ok_or_else(|| {
                        CliError::new(ErrorCode::NotFound, format!("{key} is not set"))
                    })?;
                }
                let removed = node
                    .as_table_mut()
                    .and_then(|t| t.remove(last.as_str()))
                    .is_some();
                if !removed {
                    return Err(CliError::new(
                        ErrorCode::NotFound,
                        format!("{key} is not set"),
                    ));
                }
                *cfg = rebuild(root, &path, false)?;
                Ok(())
            })?;
            note(&format!("{key} removed"));
            Ok(())
        }
    }
}

/// Every profile's services and credential, checked at once.
async fn check_all(
    ctx: &Ctx,
    cfg: &Config,
) -> CliResult<Vec<Option<skyport_core::discovery::check::ConnectionCheck>>> {
    use skyport_core::connect::{connect, ConnectOptions};
    use skyport_core::discovery::check::check;
    use skyport_core::error::ErrorPayload;
    let d = super::platforms::discoverer(ctx)?;
    let mut jobs = Vec::new();
    for (i, name) in cfg.profiles.keys().enumerate() {
        // A profile that cannot be used is shown as such by the list; nothing to check.
        let Ok(resolved) = cfg.resolve(Some(name), None) else {
            continue;
        };
        let conn = connect(
            &ctx.paths,
            &resolved,
            &ctx.store,
            &ConnectOptions {
                timeout: ctx.timeout,
                ..Default::default()
            },
        )
        .map_err(ErrorPayload::from);
        jobs.push((i, resolved, conn));
    }
    // Every platform at once: a slow one does not hold up the others.
    let (places, checks): (Vec<usize>, Vec<_>) = jobs
        .into_iter()
        .map(|(i, resolved, conn)| {
            let d = d.clone();
            (i, async move { check(&d, &resolved, conn.as_ref()).await })
        })
        .unzip();
    let mut out = vec![None; cfg.profiles.len()];
    for (i, c) in places
        .into_iter()
        .zip(skyport_core::concurrent::all(checks).await)
    {
        if let Some(slot) = out.get_mut(i) {
            *slot = c;
        }
    }
    Ok(out)
}

/// One cell: "ok (4 services, credential accepted)" or what failed.
fn check_line(c: &skyport_core::discovery::check::ConnectionCheck) -> String {
    let down: Vec<String> = c
        .services
        .iter()
        .filter(|s| !s.probe.reachable)
        .map(|s| {
            format!(
                "{}: {}",
                s.service,
                s.probe.detail.as_deref().unwrap_or("no answer")
            )
        })
        .collect();
    let credential = match c.credential.accepted {
        Some(true) => "credential accepted".to_string(),
        Some(false) => "credential refused".to_string(),
        None => "credential not checked".to_string(),
    };
    if down.is_empty() {
        format!("ok ({} services, {credential})", c.services.len())
    } else {
        format!("{}; {credential}", down.join("; "))
    }
}

/// `profiles import-canfar`: the canfar client's servers as profiles.
fn import_canfar(
    ctx: &Ctx,
    path: Option<&std::path::Path>,
    tokens: bool,
    dry_run: bool,
) -> CliResult {
    use skyport_core::canfar_import;
    let path = path
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| canfar_import::default_path(&ctx.paths));
    let Some(preview) = canfar_import::preview(&ctx.paths, &path)? else {
        return Err(CliError::new(
            ErrorCode::NotFound,
            format!(
                "there is no canfar client configuration at {}; give another with --path",
                path.display()
            ),
        ));
    };
    if ctx.json && dry_run {
        return print_json(&preview);
    }
    let mut t = Table::new(&["SERVER", "URL", "SIGN-IN", "TOKEN", "IMPORT"]);
    for s in &preview.servers {
        t.row(vec![
            format!("{}{}", s.name, if s.active { " *" } else { "" }),
            s.url.clone(),
            s.sign_in.clone().unwrap_or_else(|| "-".into()),
            if s.has_token { "saved" } else { "-" }.into(),
            s.skipped
                .as_ref()
                .map(|why| format!("no: {why}"))
                .unwrap_or_else(|| "yes".into()),
        ]);
    }
    if !ctx.json {
        t.print()?;
    }
    if dry_run {
        note("Nothing was changed (--dry-run).");
        return Ok(());
    }
    let r = canfar_import::import(&ctx.paths, &ctx.store, &path, tokens)?;
    if ctx.json {
        return print_json(&r);
    }
    note(&format!(
        "Imported {} profile(s){}; {} is unchanged.",
        r.added.len(),
        if r.tokens > 0 {
            format!(
                " and copied {} access token(s) into the keyring (used until they lapse; then sign in with Skyport)",
                r.tokens
            )
        } else {
            String::new()
        },
        path.display()
    ));
    let waiting = preview
        .servers
        .iter()
        .filter(|s| s.has_token && s.skipped.is_none())
        .count();
    if !tokens && waiting > 0 {
        note("Its saved sign-in stays in that file only: run again with --tokens to copy it into the keyring, or sign in with Skyport.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use skyport_core::config::Profile;

    #[test]
    fn keys_are_dotted_names() {
        assert_eq!(key_path("a.b").expect("ok"), vec!["a", "b"]);
        assert!(key_path("a..b").is_err());
        assert!(key_path("").is_err());
    }

    #[test]
    fn rebuild_rejects_unknown_and_invalid_settings() {
        let mut cfg = Config::default();
        cfg.upsert(
            "p",
            Profile {
                url: "https://h/skaha".into(),
                ..Default::default()
            },
        )
        .expect("add");
        let mut root = to_value(&cfg).expect("value");
        root["profiles"]["p"]
            .as_table_mut()
            .expect("table")
            .insert("usrname".into(), toml::Value::String("x".into()));
        let key: Vec<String> = ["profiles", "p", "usrname"].map(String::from).to_vec();
        assert!(rebuild(root.clone(), &key, true).is_err());
        root["profiles"]["p"]
            .as_table_mut()
            .expect("table")
            .insert("url".into(), toml::Value::String("not a url".into()));
        let key: Vec<String> = ["profiles", "p", "url"].map(String::from).to_vec();
        assert!(rebuild(root, &key, true).is_err());
    }
}
