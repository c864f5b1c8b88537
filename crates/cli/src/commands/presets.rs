//! `skyport presets list|save|remove|recent`: saved launches and the recent ones, in the
//! files the app reads too (core's `presets`).

use chrono::Utc;
use skyport_core::catalogue::CatalogueCache;
use skyport_core::launch::{self, DEFAULT_REGISTRY};
use skyport_core::presets::{EnvVar, LaunchMemory, LaunchSpec, Preset};
use skyport_core::skaha::{Resources, SessionKind};
use skyport_core::usage::{fit_for, history_file, Fit, UsageHistory};

use crate::cli::{LaunchArgs, PresetsCommand};
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{ago, json as print_json, note, Table};

pub fn run(ctx: &Ctx, command: &PresetsCommand) -> CliResult {
    let profile = ctx.profile()?.name;
    let memory = LaunchMemory::new(&ctx.paths);
    let coded = |e: skyport_core::presets::PresetError| CliError::from_coded(&e);
    match command {
        PresetsCommand::List => {
            let presets = memory.presets(&profile).map_err(coded)?;
            if ctx.json {
                return print_json(&presets);
            }
            if presets.is_empty() {
                note(&format!(
                    "No presets for {profile} yet. Save one with `skyport presets save NAME KIND IMAGE [options]`."
                ));
                return Ok(());
            }
            let mut t = Table::new(&["NAME", "KIND", "IMAGE", "RESOURCES", "REPLICAS", "PLATFORM"]);
            for p in &presets {
                t.row(vec![
                    p.name.clone(),
                    p.spec.kind.to_string(),
                    p.spec.image.clone(),
                    resources(&p.spec.resources),
                    p.spec.replicas.to_string(),
                    p.profile.clone().unwrap_or_else(|| "any".into()),
                ]);
            }
            t.print()
        }
        PresetsCommand::Save {
            name,
            launch,
            any_platform,
        } => {
            let spec = spec_of(launch)?;
            let preset = Preset {
                name: name.clone(),
                profile: (!any_platform).then(|| profile.clone()),
                spec,
            };
            let replaced = memory.save(preset.clone()).map_err(coded)?;
            let on = if *any_platform {
                "any platform".to_string()
            } else {
                profile.clone()
            };
            note(&format!(
                "{} preset {name} for {on}. Launch it with `skyport create --preset {name}`.",
                if replaced {
                    "Replaced the"
                } else {
                    "Saved the"
                }
            ));
            if ctx.json {
                print_json(&preset)?;
            }
            Ok(())
        }
        PresetsCommand::Remove { name } => {
            memory.remove(&profile, name).map_err(coded)?;
            note(&format!("Removed the preset {name}."));
            Ok(())
        }
        PresetsCommand::Recent => {
            let recent = memory.recent(&profile).map_err(coded)?;
            let fits = fits(ctx, &profile, recent.iter().map(|l| &l.spec));
            if ctx.json {
                let entries: Vec<_> = recent
                    .iter()
                    .zip(&fits)
                    .map(|(launch, fit)| RecentJson { launch, fit })
                    .collect();
                return print_json(&entries);
            }
            if recent.is_empty() {
                note(&format!("No launches on {profile} from this machine yet."));
                return Ok(());
            }
            let now = Utc::now();
            let mut t = Table::new(&["WHEN", "KIND", "NAME", "IMAGE", "RESOURCES", "REPLICAS"]);
            for l in &recent {
                t.row(vec![
                    ago(Some(l.at), now),
                    l.spec.kind.to_string(),
                    if l.spec.session_name.is_empty() {
                        "(next free)".into()
                    } else {
                        l.spec.session_name.clone()
                    },
                    l.spec.image.clone(),
                    resources(&l.spec.resources),
                    l.spec.replicas.to_string(),
                ]);
            }
            t.print()?;
            for (l, fit) in recent.iter().zip(&fits) {
                if let Some(fit) = fit {
                    note(&format!("{}: {}", label(&l.spec), fit.sentence));
                }
            }
            Ok(())
        }
    }
}

#[derive(serde::Serialize)]
struct RecentJson<'a> {
    #[serde(flatten)]
    launch: &'a skyport_core::presets::RecentLaunch,
    fit: &'a Option<Fit>,
}

fn label(spec: &LaunchSpec) -> String {
    if spec.session_name.is_empty() {
        format!("the {} launch", spec.kind)
    } else {
        spec.session_name.clone()
    }
}

/// The size each launch would fit in, from what the app watched its sessions use (the
/// history it keeps; the CLI watches nothing itself).
pub fn fits<'a>(
    ctx: &Ctx,
    profile: &str,
    specs: impl Iterator<Item = &'a LaunchSpec>,
) -> Vec<Option<Fit>> {
    let history = UsageHistory::load(&history_file(&ctx.paths));
    let context = CatalogueCache::new(&ctx.paths)
        .load(profile)
        .map(|c| c.context);
    specs
        .map(|spec| fit_for(&history, profile, spec, context.as_ref()))
        .collect()
}

/// A preset from `presets save`'s arguments: KIND and IMAGE required, fixed resources given
/// whole (the platform's defaults are not known offline).
fn spec_of(a: &LaunchArgs) -> CliResult<LaunchSpec> {
    let (Some(kind), Some(image)) = (&a.kind, &a.image) else {
        return Err(CliError::usage("give the preset's KIND and IMAGE"));
    };
    let usage = |e: launch::LaunchError| CliError::usage(e.message);
    launch::normalize_image(image, DEFAULT_REGISTRY).map_err(usage)?;
    let resources = match (a.cpu, a.memory, a.gpu) {
        (None, None, None) => Resources::Flexible,
        (Some(cores), Some(ram_gb), gpus) => Resources::Fixed {
            cores,
            ram_gb,
            gpus,
        },
        _ => {
            return Err(CliError::usage(
                "a preset with fixed resources needs both --cpu and --memory",
            ))
        }
    };
    let (cmd, args) = match a.cmd.split_first() {
        Some((c, rest)) => (Some(c.clone()), (!rest.is_empty()).then(|| rest.join(" "))),
        None => (None, None),
    };
    if let Some(n) = &a.name {
        launch::validate_name(n).map_err(|e| CliError::usage(format!("--name {n:?}: {e}")))?;
    }
    let kind = SessionKind::parse(kind);
    let draft = skyport_core::skaha::CreateRequest {
        kind: Some(kind.clone()),
        cmd: cmd.clone(),
        args: args.clone(),
        env: a.env.clone(),
        ..Default::default()
    };
    launch::check_options(&draft).map_err(usage)?;
    Ok(LaunchSpec {
        kind,
        image: image.clone(),
        session_name: a.name.clone().unwrap_or_default(),
        resources,
        cmd,
        args,
        env: a
            .env
            .iter()
            .map(|(name, value)| EnvVar {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        replicas: a.replicas.unwrap_or(1),
        registry_user: a.registry_user.clone(),
        keep_alive_days: a.keep_alive,
    })
}

fn resources(r: &Resources) -> String {
    match r {
        Resources::Flexible => "flexible".into(),
        Resources::Fixed {
            cores,
            ram_gb,
            gpus,
        } => {
            let gpus = match gpus {
                Some(g) if *g > 0 => format!(", {g} GPU{}", if *g == 1 { "" } else { "s" }),
                _ => String::new(),
            };
            format!("{cores} cores, {ram_gb} GB{gpus}")
        }
    }
}
