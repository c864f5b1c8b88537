//! Storage (CANFAR's `/arc`): `skyport ls`, `quota`, `mv`, `rm` and `mkdir` (`cp` is in
//! the `copy` module). Remote operands are written `arc:/home/<user>/…` (the profile in use's
//! storage) or `PROFILE:/…` (another profile's); `arc:` alone is your home.

use skyport_core::error::{Coded as _, ErrorCode};
use skyport_core::vospace::client::StorageClient;
use skyport_core::vospace::{Node, NodeKind, NodePath};

use crate::cli::{LsArgs, MkdirArgs, MvArgs, QuotaArgs, RmArgs};
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{ago, json as print_json, out, Table};

pub use skyport_core::vospace::service::STORAGE_URL_ENV;

/// A remote operand: which profile's storage (`None`: the one in use) and which path
/// (`None`: the home).
#[derive(Debug, PartialEq, Eq)]
pub struct Remote {
    pub profile: Option<String>,
    pub path: Option<NodePath>,
}

/// Whether an operand names storage (`NAME:` then nothing or an absolute path) rather than
/// a file on this computer.
pub fn is_remote(op: &str) -> bool {
    match op.split_once(':') {
        Some((name, rest)) => {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && (rest.is_empty() || rest.starts_with('/'))
        }
        None => false,
    }
}

pub fn remote(operand: Option<&str>) -> CliResult<Remote> {
    let Some(op) = operand.map(str::trim).filter(|o| !o.is_empty()) else {
        return Ok(Remote {
            profile: None,
            path: None,
        });
    };
    let hint = || {
        CliError::usage(format!(
            "{op:?} is not a storage path: write arc:/home/USER/FOLDER (or PROFILE:/… for another platform's storage)"
        ))
    };
    let (name, path) = op.split_once(':').ok_or_else(hint)?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(hint());
    }
    let path = if path.is_empty() {
        None
    } else {
        Some(NodePath::parse(path).map_err(|e| CliError::usage(e.to_string()))?)
    };
    Ok(Remote {
        profile: (name != "arc").then(|| name.to_string()),
        path,
    })
}

/// The storage client of the operand's profile, and the path it names (the home when none).
pub async fn open(ctx: &Ctx, r: &Remote) -> CliResult<(StorageClient, NodePath)> {
    let profile = match &r.profile {
        Some(name) => ctx
            .config()?
            .resolve(Some(name), None)
            .map_err(|e| CliError::new(ErrorCode::Config, e.to_string()))?,
        None => ctx.profile()?,
    };
    // SKYPORT_STORAGE_URL applies to the profile in use, not to one named in the operand.
    let env = std::env::var(STORAGE_URL_ENV)
        .ok()
        .filter(|_| r.profile.is_none());
    let nodes = skyport_core::vospace::service::nodes_url(&profile, env.as_deref())
        .map_err(|e| CliError::from_coded(&e))?;
    let conn = ctx.connect_to(&profile)?;
    let client = conn
        .client
        .storage(nodes)
        .map_err(|e| CliError::from_coded(&e))?;
    let path = match &r.path {
        Some(p) => p.clone(),
        None => client.home().await.map_err(|e| CliError::from_coded(&e))?,
    };
    Ok((client, path))
}

pub use skyport_core::vospace::size_words as size;

fn name_of(n: &Node) -> String {
    match n.kind {
        NodeKind::Container => format!("{}/", n.path.name()),
        NodeKind::Link => format!(
            "{} -> {}",
            n.path.name(),
            n.link_target.as_deref().unwrap_or("?")
        ),
        NodeKind::Data => n.path.name().to_string(),
    }
}

pub async fn ls(ctx: &Ctx, a: &LsArgs) -> CliResult {
    let (client, path) = open(ctx, &remote(a.target.as_deref())?).await?;
    let listing = client
        .list(&path)
        .await
        .map_err(|e| CliError::from_coded(&e))?;
    if ctx.json {
        return print_json(&listing);
    }
    let shown: Vec<&Node> = if listing.node.kind == NodeKind::Container {
        listing
            .children
            .iter()
            .filter(|c| a.all || !c.path.name().starts_with('.'))
            .collect()
    } else {
        vec![&listing.node]
    };
    if shown.is_empty() {
        return out(&format!(
            "{path} is empty{}.\n",
            if a.all {
                ""
            } else {
                " (-a shows hidden files)"
            }
        ));
    }
    let now = chrono::Utc::now();
    let mut t = Table::new(&["NAME", "SIZE", "MODIFIED"]);
    for n in shown {
        t.row(vec![
            name_of(n),
            n.size.map(size).unwrap_or_else(|| "-".into()),
            ago(n.modified, now),
        ]);
    }
    t.print()
}

/// Each remote operand opened: one client per profile named, in order.
async fn open_all(ctx: &Ctx, ops: &[String]) -> CliResult<Vec<(StorageClient, NodePath, String)>> {
    let mut out = Vec::new();
    for op in ops {
        let (c, p) = open(ctx, &remote(Some(op))?).await?;
        out.push((c, p, op.clone()));
    }
    Ok(out)
}

fn label(op: &str, path: &NodePath) -> String {
    format!("{}:{path}", op.split_once(':').map_or("arc", |(n, _)| n))
}

pub async fn mv(ctx: &Ctx, a: &MvArgs) -> CliResult {
    let from = remote(Some(&a.source))?;
    let to = remote(Some(&a.destination))?;
    if from.profile != to.profile {
        return Err(CliError::usage(
            "mv moves within one storage: copy across with skyport cp, then skyport rm the original",
        ));
    }
    let (client, src) = open(ctx, &from).await?;
    let dest = match &to.path {
        Some(p) => p.clone(),
        None => client.home().await.map_err(|e| CliError::from_coded(&e))?,
    };
    let went = client
        .rename(&src, &dest)
        .await
        .map_err(|e| CliError::from_coded(&e))?;
    if ctx.json {
        return print_json(&serde_json::json!({ "from": src, "to": went }));
    }
    out(&format!(
        "Moved {} to {}\n",
        label(&a.source, &src),
        label(&a.destination, &went)
    ))
}

pub async fn rm(ctx: &Ctx, a: &RmArgs) -> CliResult {
    if a.recursive {
        return Err(CliError::usage(
            "there is no recursive delete: CANFAR's storage does not delete a folder with its contents. Delete the files first (skyport ls shows them), then the empty folder with skyport rm -d",
        ));
    }
    let mut first_error = None;
    for (client, path, op) in open_all(ctx, &a.paths).await? {
        let r = async {
            if !a.dir {
                if let Some(n) = client.stat(&path).await? {
                    if n.kind == NodeKind::Container {
                        return Err(skyport_core::vospace::client::StorageError::IsFolder {
                            path: path.to_string(),
                            hint: ": skyport rm -d deletes an empty folder".into(),
                        });
                    }
                }
            }
            client.delete(&path).await
        }
        .await;
        match r {
            Ok(()) if !ctx.json => out(&format!("Deleted {}\n", label(&op, &path)))?,
            Ok(()) => {}
            Err(e) => {
                crate::output::error(&e.to_string());
                first_error.get_or_insert(e.code());
            }
        }
    }
    first_error.map_or(Ok(()), |c| Err(CliError::reported(c)))
}

pub async fn mkdir(ctx: &Ctx, a: &MkdirArgs) -> CliResult {
    use skyport_core::vospace::client::StorageError;
    for (client, path, op) in open_all(ctx, &a.paths).await? {
        let wanted: Vec<NodePath> = if a.parents {
            let mut chain = vec![path.clone()];
            let mut at = path.parent();
            while let Some(p) = at.filter(|p| !p.is_root()) {
                at = p.parent();
                chain.push(p);
            }
            chain.reverse();
            chain
        } else {
            vec![path.clone()]
        };
        for p in wanted {
            if a.parents {
                // Folders that are there (allocations included) are passed over.
                if let Some(n) = client
                    .stat(&p)
                    .await
                    .map_err(|e| CliError::from_coded(&e))?
                {
                    if n.kind == NodeKind::Container {
                        continue;
                    }
                }
            }
            match client.mkdir(&p).await {
                Ok(()) => {}
                Err(StorageError::Exists { .. }) if a.parents => {}
                Err(e) => return Err(CliError::from_coded(&e)),
            }
        }
        if !ctx.json {
            out(&format!("Made {}\n", label(&op, &path)))?;
        }
    }
    Ok(())
}

pub async fn quota(ctx: &Ctx, a: &QuotaArgs) -> CliResult {
    let (client, path) = open(ctx, &remote(a.target.as_deref())?).await?;
    let (root, usage) = client
        .usage(&path)
        .await
        .map_err(|e| CliError::from_coded(&e))?;
    if ctx.json {
        return print_json(&serde_json::json!({
            "path": root,
            "used": usage.used,
            "quota": usage.quota,
            "free": usage.free(),
        }));
    }
    let line = match (usage.used, usage.quota, usage.free()) {
        (Some(u), Some(q), Some(f)) => format!(
            "arc:{root}: {} used of {} ({} free, {:.0}%)\n",
            size(u),
            size(q),
            size(f),
            u as f64 * 100.0 / q.max(1) as f64
        ),
        (Some(u), None, _) => format!(
            "arc:{root}: {} used; the storage sets no quota here\n",
            size(u)
        ),
        _ => format!("arc:{root}: the storage does not say how full it is\n"),
    };
    out(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_name_a_profile_and_a_path() {
        let r = remote(Some("arc:/home/alice/data")).expect("arc");
        assert_eq!(r.profile, None);
        assert_eq!(
            r.path.as_ref().map(|p| p.as_str()),
            Some("/home/alice/data")
        );
        assert_eq!(remote(Some("arc:")).expect("home").path, None);
        assert_eq!(remote(None).expect("home").path, None);
        let other = remote(Some("swesrc:/home/alice")).expect("profile");
        assert_eq!(other.profile.as_deref(), Some("swesrc"));
        for bad in ["/home/alice", "data.fits", "arc:home", "arc:/a/../b", ":/x"] {
            let e = remote(Some(bad)).expect_err(bad);
            assert_eq!(e.code, ErrorCode::Validation, "{bad}: {}", e.message);
        }
        assert!(remote(Some("/home/alice"))
            .expect_err("bare")
            .message
            .contains("arc:/home/USER"));
    }
}
