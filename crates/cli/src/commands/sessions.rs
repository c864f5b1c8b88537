//! Session commands: ps, create, info, logs, events, open, renew, delete, prune, stats,
//! images.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use skyport_core::error::ErrorCode;
use skyport_core::keepalive::{KeepAlive, KeepAliveRules, DEFAULT_WITHIN_HOURS};
use skyport_core::launch::{self, DEFAULT_REGISTRY};
use skyport_core::presets::{LaunchMemory, LaunchSpec};
use skyport_core::sessions::PruneRule;
use skyport_core::skaha::{
    CreateRequest, ListQuery, Resources, Session, SessionId, SessionKind, SessionStatus,
    SkahaClient, SkahaError,
};

use crate::cli::{
    CreateArgs, DeleteArgs, IdsArgs, ImagesArgs, LaunchArgs, LogsArgs, OpenArgs, PruneArgs, PsArgs,
};
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{
    self, ago, json as print_json, line, note, num, opt_num, until, warn, when, Table,
};
use crate::prompt;

fn id(s: &str) -> SessionId {
    SessionId(s.to_string())
}

/// `registry/project/name:tag` → `project/name:tag` for narrow tables.
fn short_image(image: &str) -> &str {
    match image.split_once('/') {
        Some((host, rest)) if rest.contains('/') && (host.contains('.') || host.contains(':')) => {
            rest
        }
        _ => image,
    }
}

/// Run `f` for each id, printing each failure as it happens; the exit code is that of
/// the last failure.
fn report(err: &CliError, last: &mut Option<ErrorCode>) {
    note(&format!("error: {}", err.message));
    *last = Some(err.code);
}

fn finish(last: Option<ErrorCode>) -> CliResult {
    match last {
        Some(code) => Err(CliError::reported(code)),
        None => Ok(()),
    }
}

/// Wait `d`, or stop with exit 130 on Ctrl-C.
async fn sleep_or_cancel(d: Duration) -> CliResult {
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        _ = tokio::signal::ctrl_c() => Err(CliError::cancelled("interrupted")),
    }
}

// ---------------------------------------------------------------------------------- ps

pub async fn ps(ctx: &Ctx, a: &PsArgs) -> CliResult {
    let client = ctx.client()?;
    let q = ListQuery {
        kind: a.kind.as_deref().map(SessionKind::parse),
        status: a.status.as_deref().map(SessionStatus::parse),
        interactive_only: false,
    };
    let list = client.list_sessions(&q).await?;
    if list.skipped > 0 {
        warn(&format!(
            "{} session entries could not be read and are not shown",
            list.skipped
        ));
    }
    let show_all = a.all || a.status.is_some();
    // Batches from the whole list (replicas that have ended count in their batch's
    // progress); a list the server filtered by kind or status would miscount them.
    let filtered = a.kind.is_some() || a.status.is_some();
    let batches: Vec<_> = if filtered {
        Vec::new()
    } else {
        skyport_core::batches::batches(&list.sessions)
            .into_iter()
            .filter(|b| show_all || !b.ended())
            .collect()
    };
    let mut sessions: Vec<Session> = list
        .sessions
        .into_iter()
        .filter(|s| show_all || s.status.is_active())
        .collect();
    // Newest first; sessions not started yet (no start time) on top.
    sessions.sort_by(|x, y| match (x.start_time, y.start_time) {
        (None, None) => x.id.cmp(&y.id),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(a), Some(b)) => b.cmp(&a).then_with(|| x.id.cmp(&y.id)),
    });
    if ctx.json {
        return print_json(&sessions);
    }
    if a.quiet {
        let mut s = String::new();
        for x in &sessions {
            s.push_str(x.id.as_str());
            s.push('\n');
        }
        return output::out(&s);
    }
    if sessions.is_empty() {
        note(if show_all {
            "No sessions."
        } else {
            "No pending or running sessions (`skyport ps -a` shows finished ones)."
        });
        return Ok(());
    }
    let now = Utc::now();
    let mut t = Table::new(&[
        "SESSION ID",
        "NAME",
        "KIND",
        "STATUS",
        "IMAGE",
        "CREATED",
        "EXPIRES IN",
    ]);
    for s in &sessions {
        t.row(vec![
            s.id.to_string(),
            s.name.clone(),
            s.kind.to_string(),
            s.status.as_str().to_string(),
            short_image(&s.image).to_string(),
            ago(s.start_time, now),
            if s.status.is_active() {
                until(s.expiry_time, now)
            } else {
                "-".into()
            },
        ]);
    }
    t.print()?;
    print_batches(&batches)
}

/// Each batch's progress under the table, with the failed replicas' ids for `skyport logs`.
fn print_batches(batches: &[skyport_core::batches::Batch]) -> CliResult {
    if batches.is_empty() {
        return Ok(());
    }
    let mut s = String::from("\nBATCHES\n");
    for b in batches {
        s.push_str(&format!(
            "{} ({}): {}\n",
            b.name,
            short_image(&b.image),
            b.progress
        ));
        if !b.failed_ids.is_empty() {
            s.push_str(&format!(
                "  failed: {} (why: skyport logs ID)\n",
                b.failed_ids.join(" ")
            ));
        }
    }
    output::out(&s)
}

// ------------------------------------------------------------------------------ create

pub async fn create(ctx: &Ctx, a: &CreateArgs) -> CliResult {
    let usage = |e: launch::LaunchError| CliError::usage(e.message);
    let profile = ctx.profile()?;
    let memory = LaunchMemory::new(&ctx.paths);
    let base = match &a.preset {
        Some(n) => Some(
            memory
                .preset(&profile.name, n)
                .map_err(|e| CliError::from_coded(&e))?
                .spec,
        ),
        None => None,
    };
    // What the app saw the preset's sessions use: said, never applied.
    if let (Some(spec), None, None) = (&base, a.launch.cpu, a.launch.memory) {
        let fits = super::presets::fits(ctx, &profile.name, std::iter::once(spec));
        if let Some(Some(fit)) = fits.first() {
            note(&format!(
                "{} This launch keeps the preset's size; give --cpu and --memory to change it.",
                fit.sentence
            ));
        }
    }
    let l = merged(&a.launch, base.as_ref());
    let (Some(kind), Some(image_in)) = (l.kind.clone(), l.image.clone()) else {
        return Err(CliError::usage(
            "give the session's KIND and IMAGE, or --preset NAME (`skyport presets list`)",
        ));
    };
    if a.registry_secret_stdin && l.registry_user.is_none() {
        return Err(CliError::usage(
            "--registry-secret-stdin needs --registry-user (or a preset with one)",
        ));
    }
    // What the command line alone can tell is checked before any request.
    let draft = CreateRequest {
        kind: Some(kind.clone()),
        cmd: l.cmd.clone(),
        args: l.args.clone(),
        env: l.env.clone(),
        ..Default::default()
    };
    launch::check_options(&draft).map_err(usage)?;
    launch::check_replicas(&kind, l.replicas).map_err(usage)?;
    if let Some(n) = &l.name {
        launch::validate_name(n).map_err(|e| CliError::usage(format!("--name {n:?}: {e}")))?;
    }
    launch::normalize_image(&image_in, DEFAULT_REGISTRY).map_err(usage)?;

    let client = ctx.client()?;
    let registry = match client.repositories().await {
        Ok(hosts) => hosts
            .into_iter()
            .find(|h| !h.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_REGISTRY.to_string()),
        // Only a missing or odd registry list falls back; a platform that cannot be
        // reached or refuses the credential will fail the create too, so say so now.
        Err(
            e @ (SkahaError::SignInNeeded { .. }
            | SkahaError::Forbidden { .. }
            | SkahaError::Unreachable { .. }
            | SkahaError::Interrupted { .. }
            | SkahaError::Timeout { .. }),
        ) => return Err(e.into()),
        Err(e) => {
            tracing::debug!(error = %e, "no registry list; using the default");
            DEFAULT_REGISTRY.to_string()
        }
    };
    let image = launch::normalize_image(&image_in, &registry).map_err(usage)?;
    let name = match &l.name {
        Some(n) => n.clone(),
        None => {
            let list = client.list_sessions(&ListQuery::default()).await?;
            launch::free_name(&kind, list.sessions.iter().map(|s| s.name.as_str()))
        }
    };
    let resources = if l.cpu.is_some() || l.memory.is_some() || l.gpu.is_some() {
        let (cores, ram) = match (l.cpu, l.memory) {
            (Some(c), Some(m)) => (c, m),
            (c, m) => {
                let context = client.context().await?;
                let pick = |v: Option<f64>, fallback: u32| {
                    v.filter(|x| x.is_finite() && *x >= 1.0)
                        .map(|x| x.round() as u32)
                        .unwrap_or(fallback)
                };
                (
                    c.unwrap_or_else(|| pick(context.cores.default, 2)),
                    m.unwrap_or_else(|| pick(context.memory_gb.default, 8)),
                )
            }
        };
        Resources::Fixed {
            cores,
            ram_gb: ram,
            gpus: l.gpu,
        }
    } else {
        Resources::Flexible
    };
    let registry_auth = match &l.registry_user {
        Some(user) => Some(skyport_core::skaha::RegistryAuth {
            username: user.clone(),
            secret: if a.registry_secret_stdin {
                crate::prompt::secret_from_stdin("registry secret")?
            } else {
                crate::prompt::ask_secret(
                    &format!("Registry secret of {user}"),
                    "--registry-secret-stdin",
                )?
            },
        }),
        None => match skyport_core::vault::registry_auth(
            &ctx.paths,
            &ctx.store,
            &image,
            &client.service().api_base(),
        )
        .map_err(|e| CliError::from_coded(&e))?
        {
            Some((id, auth)) => {
                note(&format!("Using the registry credential {id} for {image}."));
                Some(auth)
            }
            None => None,
        },
    };
    let req = CreateRequest {
        name,
        image,
        resources,
        registry_auth,
        ..draft
    };

    if a.dry_run {
        let url = client.service().api_base().join("session").map_or_else(
            |_| format!("{}/session", client.service().as_str()),
            |u| u.to_string(),
        );
        // Exactly what the client sends: core's plan and form.
        let plan = launch::plan(&req, l.replicas)
            .iter()
            .map(launch::form)
            .collect::<Result<Vec<_>, _>>()
            .map_err(usage)?;
        if ctx.json {
            let v: Vec<_> = plan
                .iter()
                .map(|form| {
                    let fields: Vec<_> = form.iter().map(|(k, v)| json!([k, v])).collect();
                    json!({"method": "POST", "url": url, "form": fields})
                })
                .collect();
            return print_json(&v);
        }
        let mut s = String::new();
        for form in &plan {
            s.push_str(&format!("POST {url}\n"));
            for (k, v) in form {
                s.push_str(&format!("  {k}={v}\n"));
            }
        }
        output::out(&s)?;
        note(&format!(
            "Dry run: {} request(s) shown, nothing was sent.",
            plan.len()
        ));
        return Ok(());
    }

    let results = client.create_replicas(&req, l.replicas).await;
    if results.iter().any(|(_, r)| r.is_ok()) {
        // Remembered for a relaunch, under the name given (a defaulted one is chosen anew).
        let spec = LaunchSpec {
            session_name: l.name.clone().unwrap_or_default(),
            keep_alive_days: l.keep_alive,
            ..LaunchSpec::of(&req, kind.clone(), l.replicas)
        };
        if let Err(e) = memory.record(&profile.name, &spec, Utc::now()) {
            warn(&format!("This launch is not in the recent launches: {e}"));
        }
    }
    if let Some(days) = l.keep_alive {
        keep_alive(ctx, &profile.name, &results, days);
    }
    let mut last = None;
    let mut rows = Vec::new();
    for (name, res) in results {
        match res {
            Ok(new_id) => {
                note(&format!("Created {name} (ID: {new_id})."));
                if !ctx.json {
                    line(new_id.as_str())?;
                }
                rows.push(json!({"name": name, "id": new_id}));
            }
            Err(e) => {
                let err = CliError::from(e);
                report(
                    &CliError::new(err.code, format!("{name}: {}", err.message)),
                    &mut last,
                );
                rows.push(
                    json!({"name": name, "error": {"code": err.code, "message": err.message}}),
                );
            }
        }
    }
    if ctx.json {
        print_json(&rows)?;
    }
    finish(last)
}

/// A launch as the command line and a preset give it: every option given overrides the
/// preset's; a command given replaces the preset's command and arguments.
struct Launch {
    kind: Option<SessionKind>,
    image: Option<String>,
    name: Option<String>,
    cmd: Option<String>,
    args: Option<String>,
    env: Vec<(String, String)>,
    cpu: Option<u32>,
    memory: Option<u32>,
    gpu: Option<u32>,
    registry_user: Option<String>,
    replicas: u32,
    keep_alive: Option<u32>,
}

/// Rules for the sessions just created: the app renews them while it runs.
fn keep_alive(
    ctx: &Ctx,
    profile: &str,
    created: &[(String, Result<SessionId, SkahaError>)],
    days: u32,
) {
    let now = Utc::now();
    let rules: Vec<_> = created
        .iter()
        .filter_map(|(name, r)| r.as_ref().ok().map(|id| (name, id)))
        .filter_map(|(name, id)| {
            KeepAlive::new(profile, id.as_str(), name, days, DEFAULT_WITHIN_HOURS, now).ok()
        })
        .collect();
    if rules.is_empty() {
        return;
    }
    let n = rules.len();
    let ((), saved) = KeepAliveRules::change(&KeepAliveRules::file(&ctx.paths), |file| {
        for r in rules {
            file.set(r);
        }
        ((), true)
    });
    match saved {
        Ok(()) => note(&format!(
            "The Skyport app keeps {} alive for up to {days} days while it runs (renewed when less than a day is left).",
            if n == 1 { "it".to_string() } else { format!("these {n}") }
        )),
        Err(e) => warn(&format!("No keep-alive rule was written: {e}")),
    }
}

fn merged(a: &LaunchArgs, base: Option<&LaunchSpec>) -> Launch {
    let (cmd, args) = match a.cmd.split_first() {
        Some((c, rest)) => (Some(c.clone()), (!rest.is_empty()).then(|| rest.join(" "))),
        None => base.map_or((None, None), |b| (b.cmd.clone(), b.args.clone())),
    };
    let (cores, ram, gpus) = match base.map(|b| &b.resources) {
        Some(Resources::Fixed {
            cores,
            ram_gb,
            gpus,
        }) => (Some(*cores), Some(*ram_gb), *gpus),
        _ => (None, None, None),
    };
    Launch {
        kind: a
            .kind
            .as_deref()
            .map(SessionKind::parse)
            .or_else(|| base.map(|b| b.kind.clone())),
        image: a.image.clone().or_else(|| base.map(|b| b.image.clone())),
        name: a.name.clone().or_else(|| {
            base.map(|b| b.session_name.clone())
                .filter(|n| !n.is_empty())
        }),
        cmd,
        args,
        env: if a.env.is_empty() {
            base.map(|b| {
                b.env
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
        } else {
            a.env.clone()
        },
        cpu: a.cpu.or(cores),
        memory: a.memory.or(ram),
        gpu: a.gpu.or(gpus),
        registry_user: a
            .registry_user
            .clone()
            .or_else(|| base.and_then(|b| b.registry_user.clone())),
        replicas: a.replicas.or(base.map(|b| b.replicas)).unwrap_or(1),
        keep_alive: a.keep_alive.or(base.and_then(|b| b.keep_alive_days)),
    }
}

// -------------------------------------------------------------------------------- info

fn describe(s: &Session) -> String {
    let now = Utc::now();
    let mut out = String::new();
    let mut kv = |k: &str, v: String| out.push_str(&format!("{k:<12}{v}\n"));
    kv("ID:", s.id.to_string());
    kv("Name:", s.name.clone());
    kv("Kind:", s.kind.to_string());
    kv("Status:", s.status.as_str().to_string());
    kv("Image:", s.image.clone());
    if let Some(u) = &s.userid {
        kv("User:", u.clone());
    }
    kv(
        "Started:",
        s.start_time
            .map(|t| format!("{} ({})", when(t), ago(Some(t), now)))
            .unwrap_or_else(|| "-".into()),
    );
    kv(
        "Expires:",
        s.expiry_time
            .map(|t| format!("{} ({})", when(t), until(Some(t), now)))
            .unwrap_or_else(|| "-".into()),
    );
    kv(
        "Requested:",
        format!(
            "{} cores, {} GB RAM, {} GPUs{}",
            opt_num(s.requested_cores),
            opt_num(s.requested_ram_gb),
            s.requested_gpus.map(num).unwrap_or_else(|| "0".into()),
            match s.fixed_resources {
                Some(true) => " (fixed)",
                Some(false) => " (flexible)",
                None => "",
            }
        ),
    );
    if s.cores_in_use.is_some() || s.ram_in_use_gb.is_some() {
        kv(
            "In use:",
            format!(
                "{} cores, {} GB RAM",
                opt_num(s.cores_in_use),
                opt_num(s.ram_in_use_gb)
            ),
        );
    }
    if let Some(u) = &s.connect_url {
        kv("Connect:", u.clone());
    }
    out
}

pub async fn info(ctx: &Ctx, a: &IdsArgs) -> CliResult {
    let client = ctx.client()?;
    let mut found = Vec::new();
    let mut last = None;
    for i in &a.ids {
        match client.get_session(&id(i)).await {
            Ok(s) => found.push(s),
            Err(e) => report(&e.into(), &mut last),
        }
    }
    if ctx.json {
        print_json(&found)?;
    } else {
        let text: Vec<String> = found.iter().map(describe).collect();
        if !text.is_empty() {
            output::out(&text.join("\n"))?;
        }
    }
    finish(last)
}

// -------------------------------------------------------------------------------- logs

pub async fn logs(ctx: &Ctx, a: &LogsArgs) -> CliResult {
    if a.follow && ctx.json {
        return Err(CliError::usage("--json cannot be combined with --follow"));
    }
    let client = ctx.client()?;
    let sid = id(&a.id);
    if !a.follow {
        let text = client.logs(&sid).await?;
        if ctx.json {
            return print_json(&json!({"id": a.id, "logs": text}));
        }
        return output::out(&text);
    }
    // Follow: poll, print only what is new, stop when the session ends.
    let interval = Duration::from_secs_f64(a.interval);
    let mut printed = String::new();
    loop {
        let status = match client.get_session(&sid).await {
            Ok(s) => s.status,
            Err(SkahaError::NotFound { .. }) if !printed.is_empty() => {
                note(&format!("Session {sid} is gone."));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let text = match client.logs(&sid).await {
            Ok(t) => t,
            // No pod yet (Pending) or already gone: nothing to print this time.
            Err(SkahaError::NotFound { .. }) => String::new(),
            Err(e) if e.is_transient() => {
                tracing::debug!(error = %e, "logs not available this time");
                String::new()
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(new) = text.strip_prefix(printed.as_str()) {
            if !new.is_empty() {
                output::out(new)?;
            }
        } else if !text.is_empty() {
            note("(the log was restarted)");
            output::out(&text)?;
        }
        if !text.is_empty() {
            printed = text;
        }
        if !status.is_active() {
            note(&format!("Session {sid} is {}.", status.as_str()));
            return Ok(());
        }
        sleep_or_cancel(interval).await?;
    }
}

// ------------------------------------------------------------------------------ events

pub async fn events(ctx: &Ctx, a: &IdsArgs) -> CliResult {
    let client = ctx.client()?;
    let mut rows = Vec::new();
    let mut last = None;
    for i in &a.ids {
        match client.events(&id(i)).await {
            Ok(evs) => {
                if evs.is_empty() && !ctx.json {
                    note(&format!("No events for {i}."));
                }
                rows.extend(evs.into_iter().map(|e| (i.clone(), e)));
            }
            Err(e) => report(&e.into(), &mut last),
        }
    }
    if ctx.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(sid, e)| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("sessionId".into(), json!(sid));
                }
                v
            })
            .collect();
        print_json(&v)?;
    } else if !rows.is_empty() {
        let many = a.ids.len() > 1;
        let mut head = vec!["TYPE", "REASON", "MESSAGE", "FIRST-TIME", "LAST-TIME"];
        if many {
            head.insert(0, "SESSION ID");
        }
        let mut t = Table::new(&head);
        for (sid, e) in &rows {
            let mut r = vec![
                e.kind.clone(),
                e.reason.clone(),
                e.message.clone(),
                e.first_time.clone().unwrap_or_else(|| "-".into()),
                e.last_time.clone().unwrap_or_else(|| "-".into()),
            ];
            if many {
                r.insert(0, sid.clone());
            }
            t.row(r);
        }
        t.print()?;
    }
    finish(last)
}

// -------------------------------------------------------------------------------- why

pub async fn why(ctx: &Ctx, a: &IdsArgs) -> CliResult {
    let client = ctx.client()?;
    let mut answers = Vec::new();
    let mut last = None;
    for i in &a.ids {
        match skyport_core::why::ask(&client, &id(i)).await {
            Ok(answer) => answers.push(answer),
            Err(e) => report(&e.into(), &mut last),
        }
    }
    if ctx.json {
        let v: Vec<_> = answers
            .iter()
            .map(|(s, w)| {
                json!({"id": s.id.as_str(), "name": s.name, "status": s.status.as_str(), "why": w})
            })
            .collect();
        print_json(&v)?;
    } else {
        let mut out = String::new();
        for (n, (s, w)) in answers.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            out.push_str(&format!(
                "{} ({}) is {}",
                s.id.as_str(),
                s.name,
                s.status.as_str()
            ));
            match w {
                None => out.push_str(": nothing holds it.\n"),
                Some(w) => {
                    out.push_str(&format!(".\n  {}\n", w.sentence));
                    if let Some(next) = &w.next_step {
                        out.push_str(&format!("  Next: {next}\n"));
                    }
                    if let Some(evidence) = &w.evidence {
                        let since = w
                            .since
                            .map(|t| format!(" (since {})", t.format("%Y-%m-%d %H:%M UTC")))
                            .unwrap_or_default();
                        out.push_str(&format!("  The platform says{since}: {evidence}\n"));
                    }
                }
            }
        }
        print!("{out}");
    }
    finish(last)
}

// -------------------------------------------------------------------------------- open

/// Open a URL with `SKYPORT_BROWSER` (a command; the URL is added as its last argument)
/// or the system browser.
pub fn open_url(url: &str) -> CliResult {
    if let Some(cmd) = std::env::var("SKYPORT_BROWSER")
        .ok()
        .filter(|c| !c.trim().is_empty())
    {
        let mut words = cmd.split_whitespace();
        let program = words.next().unwrap_or_default();
        let mut command = std::process::Command::new(program);
        let status = skyport_core::platform::scrub_secret_env(&mut command)
            .args(words)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .status()
            .map_err(|e| {
                CliError::failed(format!(
                    "cannot run SKYPORT_BROWSER ({program}): {e}; open the URL above yourself"
                ))
            })?;
        if !status.success() {
            return Err(CliError::failed(format!(
                "SKYPORT_BROWSER ({program}) failed ({status}); open the URL above yourself"
            )));
        }
        return Ok(());
    }
    skyport_core::auth::signin::open_in_system_browser(url).map_err(|e| {
        CliError::failed(format!(
            "cannot start a web browser ({e}); open the URL above yourself, or set SKYPORT_BROWSER"
        ))
    })
}

pub async fn open(ctx: &Ctx, a: &OpenArgs) -> CliResult {
    let client = ctx.client()?;
    let sid = id(&a.id);
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(a.wait);
    let mut said_waiting = false;
    let mut delay = Duration::from_millis(500);
    let url = loop {
        let s = client.get_session(&sid).await?;
        if !s.kind.is_interactive() {
            return Err(CliError::failed(format!(
                "{sid} is a {} session; it has no page to open (see `skyport logs {sid}`)",
                s.kind
            )));
        }
        match (&s.status, &s.connect_url) {
            // Checked before it is printed or opened: only web pages leave Skyport.
            (SessionStatus::Running, Some(u)) => {
                break skyport_core::links::connect_url(u).map_err(|e| {
                    CliError::new(skyport_core::error::Coded::code(&e), format!("{sid}: {e}"))
                })?
            }
            (SessionStatus::Pending, _) | (SessionStatus::Running, None) => {}
            (other, _) => {
                return Err(CliError::failed(format!(
                    "{sid} is {}; only running sessions can be opened",
                    other.as_str()
                )))
            }
        }
        if std::time::Instant::now() >= deadline {
            return Err(CliError::new(
                ErrorCode::Timeout,
                format!(
                    "{sid} is still {} after {} s; try again later or wait longer with --wait",
                    s.status.as_str(),
                    num(a.wait)
                ),
            ));
        }
        if !said_waiting {
            note(&format!("Waiting for {sid} to start..."));
            said_waiting = true;
        }
        sleep_or_cancel(delay).await?;
        delay = (delay * 2).min(Duration::from_secs(3));
    };
    line(url.as_str())?;
    if !a.no_browser {
        open_url(url.as_str())?;
    }
    Ok(())
}

// ------------------------------------------------------------------------------- renew

pub async fn renew(ctx: &Ctx, a: &IdsArgs) -> CliResult {
    let client = ctx.client()?;
    let mut last = None;
    let mut rows = Vec::new();
    let now = Utc::now();
    for i in &a.ids {
        let sid = id(i);
        // Look it up first: for an unknown id the platform answers 400, not 404.
        if let Err(e) = client.get_session(&sid).await {
            report(&e.into(), &mut last);
            continue;
        }
        if let Err(e) = client.renew(&sid).await {
            report(&e.into(), &mut last);
            continue;
        }
        match client.get_session(&sid).await {
            Ok(s) => {
                note(&format!(
                    "Renewed {}: expires {}.",
                    if s.name.is_empty() {
                        sid.to_string()
                    } else {
                        format!("{} ({sid})", s.name)
                    },
                    s.expiry_time
                        .map(|t| format!("{} (in {})", when(t), until(Some(t), now)))
                        .unwrap_or_else(|| "when the platform decides".into())
                ));
                rows.push(json!({"id": sid, "name": s.name, "expiryTime": s.expiry_time}));
            }
            Err(e) => {
                note(&format!("Renewed {sid}."));
                tracing::debug!(error = %e, "could not read the new expiry");
                rows.push(json!({"id": sid, "name": null, "expiryTime": null}));
            }
        }
    }
    if ctx.json {
        print_json(&rows)?;
    }
    finish(last)
}

// ------------------------------------------------------------------------------ delete

fn label(s: &Session) -> String {
    if s.name.is_empty() {
        format!("{} ({}, {})", s.id, s.kind, s.status.as_str())
    } else {
        format!("{} ({}, {}, {})", s.name, s.id, s.kind, s.status.as_str())
    }
}

async fn delete_all(
    ctx: &Ctx,
    client: &SkahaClient,
    targets: &[Session],
    last: &mut Option<ErrorCode>,
) -> CliResult {
    let mut rows = Vec::new();
    for s in targets {
        match client.delete(&s.id).await {
            Ok(()) => {
                note(&format!("Deleted {}.", label(s)));
                rows.push(json!({"id": s.id, "name": s.name, "kind": s.kind, "status": s.status, "deleted": true}));
            }
            Err(e) => {
                report(&e.into(), last);
                rows.push(json!({"id": s.id, "name": s.name, "kind": s.kind, "status": s.status, "deleted": false}));
            }
        }
    }
    if ctx.json {
        print_json(&rows)?;
    }
    Ok(())
}

pub async fn delete(ctx: &Ctx, a: &DeleteArgs) -> CliResult {
    if !a.force && !prompt::interactive() {
        return Err(CliError::usage(
            "standard input is not a terminal, so skyport cannot ask for confirmation; add --force to delete",
        ));
    }
    let client = ctx.client()?;
    let mut last = None;
    let mut targets = Vec::new();
    for i in &a.ids {
        // Look each one up first: the platform answers "deleted" even for unknown ids.
        match client.get_session(&id(i)).await {
            Ok(s) => targets.push(s),
            Err(e) => report(&e.into(), &mut last),
        }
    }
    if targets.is_empty() {
        return finish(last.or(Some(ErrorCode::NotFound)));
    }
    if !a.force {
        for s in &targets {
            note(&format!("  {}", label(s)));
        }
        if !prompt::confirm(&format!("Delete {} session(s)?", targets.len()))? {
            return Err(CliError::cancelled("nothing was deleted"));
        }
    }
    delete_all(ctx, &client, &targets, &mut last).await?;
    finish(last)
}

// ------------------------------------------------------------------------------- prune

pub async fn prune(ctx: &Ctx, a: &PruneArgs) -> CliResult {
    if !a.force && !a.dry_run && !prompt::interactive() {
        return Err(CliError::usage(
            "standard input is not a terminal, so skyport cannot ask for confirmation; add --force (or --dry-run to only look)",
        ));
    }
    let rule = PruneRule {
        pattern: a.prefix.clone(),
        regex: a.regex,
        kind: (a.kind != "any").then(|| SessionKind::parse(&a.kind)),
        status: (a.status != "any").then(|| SessionStatus::parse(&a.status)),
    };
    // Check the pattern before any request.
    rule.select(&[]).map_err(|e| CliError::usage(e.0))?;
    let client = ctx.client()?;
    let list = client.list_sessions(&ListQuery::default()).await?;
    let targets: Vec<Session> = rule
        .select(&list.sessions)
        .map_err(|e| CliError::usage(e.0))?
        .into_iter()
        .cloned()
        .collect();
    if targets.is_empty() {
        note("No sessions match.");
        if ctx.json {
            print_json(&Vec::<Session>::new())?;
        }
        return Ok(());
    }
    if a.dry_run {
        if ctx.json {
            return print_json(&targets);
        }
        let mut s = String::new();
        for t in &targets {
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                t.id,
                t.name,
                t.kind,
                t.status.as_str()
            ));
        }
        output::out(&s)?;
        note(&format!(
            "Dry run: {} session(s) would be deleted.",
            targets.len()
        ));
        return Ok(());
    }
    if !a.force {
        for s in &targets {
            note(&format!("  {}", label(s)));
        }
        if !prompt::confirm(&format!("Delete these {} session(s)?", targets.len()))? {
            return Err(CliError::cancelled("nothing was deleted"));
        }
    }
    let mut last = None;
    delete_all(ctx, &client, &targets, &mut last).await?;
    finish(last)
}

// ------------------------------------------------------------------------------- stats

pub async fn stats(ctx: &Ctx) -> CliResult {
    let client = ctx.client()?;
    let s = client.stats().await?;
    if ctx.json {
        return print_json(&s);
    }
    let pct = |used: Option<f64>, total: Option<f64>| match (used, total) {
        (Some(u), Some(t)) if t > 0.0 => format!("{:.1}%", 100.0 * u / t),
        _ => "-".into(),
    };
    let mut t = Table::new(&[
        "RESOURCE",
        "REQUESTED",
        "AVAILABLE",
        "USED",
        "MAX PER SESSION",
    ]);
    t.row(vec![
        "cores".into(),
        opt_num(s.cores_requested),
        opt_num(s.cores_available),
        pct(s.cores_requested, s.cores_available),
        opt_num(s.max_cores_per_session),
    ]);
    t.row(vec![
        "ram (GB)".into(),
        opt_num(s.ram_requested_gb),
        opt_num(s.ram_available_gb),
        pct(s.ram_requested_gb, s.ram_available_gb),
        opt_num(s.max_ram_gb_per_session),
    ]);
    t.print()
}

// ------------------------------------------------------------------------------ images

pub async fn images(ctx: &Ctx, a: &ImagesArgs) -> CliResult {
    let client = ctx.client()?;
    let kind = a.kind.as_deref().map(SessionKind::parse);
    let mut imgs = client.images(kind.as_ref()).await?;
    imgs.sort_by(|x, y| x.id.cmp(&y.id));
    if ctx.json {
        return print_json(&imgs);
    }
    if a.quiet {
        let s: String = imgs.iter().map(|i| format!("{}\n", i.id)).collect();
        return output::out(&s);
    }
    if imgs.is_empty() {
        note("No images.");
        return Ok(());
    }
    let mut t = Table::new(&["IMAGE", "KINDS"]);
    for i in &imgs {
        t.row(vec![
            i.id.clone(),
            i.kinds
                .iter()
                .map(|k| k.as_str().to_string())
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    t.print()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_shortened_for_narrow_tables() {
        assert_eq!(short_image("images.canfar.net/skaha/x:1"), "skaha/x:1");
        assert_eq!(short_image("skaha/x:1"), "skaha/x:1");
    }
}
