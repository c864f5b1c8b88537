//! Storage commands: thin adapters over core's `vospace` for the Storage view.

use std::path::PathBuf;

use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::vospace::client::StorageClient;
use skyport_core::vospace::view::{mount_of, Crumb, Folder, UsageView};
use skyport_core::vospace::NodePath;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt as _;

use super::transfers::Work;
use super::{TransferView, Transfers};
use crate::kernel::{payload, Platform};

/// The storage of the platform in use, and where sessions mount it.
fn storage(platform: &Platform) -> Result<(StorageClient, String), ErrorPayload> {
    let profile = platform.profile()?;
    let nodes = skyport_core::vospace::service::nodes_url_from_env(&profile).map_err(payload)?;
    let mount = mount_of(&nodes);
    let client = platform.client()?.storage(nodes).map_err(payload)?;
    Ok((client, mount))
}

fn node_path(p: &str) -> Result<NodePath, ErrorPayload> {
    NodePath::parse(p).map_err(|e| ErrorPayload::new(ErrorCode::Validation, e.to_string()))
}

/// A name typed by the user, as a path in `folder`.
fn named(folder: &NodePath, name: &str) -> Result<NodePath, ErrorPayload> {
    let name = name.trim();
    folder.join(name).map_err(|e| {
        ErrorPayload::new(
            ErrorCode::Validation,
            format!("{name:?} cannot be a name here: {e}"),
        )
    })
}

/// A folder (the home when none is named) with how full its allocation is.
#[tauri::command]
#[specta::specta]
pub async fn storage_folder(
    platform: State<'_, Platform>,
    path: Option<String>,
) -> Result<Folder, ErrorPayload> {
    let (client, mount) = storage(&platform)?;
    let path = match path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => node_path(p)?,
        None => client.home().await.map_err(payload)?,
    };
    let listing = client.list(&path).await.map_err(payload)?;
    // The meter is a nicety: a folder still shows when the usage cannot be read.
    let usage = match path.allocation() {
        Some(_) => client
            .usage(&path)
            .await
            .ok()
            .map(|(root, u)| UsageView::new(&root, u)),
        None => None,
    };
    Ok(Folder::new(&listing, usage, &mount))
}

/// The places to start from: the home, then the project folders the user can see.
#[tauri::command]
#[specta::specta]
pub async fn storage_places(platform: State<'_, Platform>) -> Result<Vec<Crumb>, ErrorPayload> {
    let (client, _) = storage(&platform)?;
    let home = client.home().await.map_err(payload)?;
    let mut places = vec![Crumb {
        name: "Home".into(),
        path: home.to_string(),
    }];
    if let Ok(projects) = NodePath::parse("/projects") {
        if let Ok(l) = client.list(&projects).await {
            places.extend(l.children.iter().map(|c| Crumb {
                name: c.path.name().to_string(),
                path: c.path.to_string(),
            }));
        }
    }
    Ok(places)
}

/// Make the folder `name` in `folder`; its path.
#[tauri::command]
#[specta::specta]
pub async fn storage_make_folder(
    platform: State<'_, Platform>,
    folder: String,
    name: String,
) -> Result<String, ErrorPayload> {
    let (client, _) = storage(&platform)?;
    let path = named(&node_path(&folder)?, &name)?;
    client.mkdir(&path).await.map_err(payload)?;
    Ok(path.to_string())
}

/// Give `path` a new name in its folder; its new path.
#[tauri::command]
#[specta::specta]
pub async fn storage_rename(
    platform: State<'_, Platform>,
    path: String,
    name: String,
) -> Result<String, ErrorPayload> {
    let (client, _) = storage(&platform)?;
    let from = node_path(&path)?;
    let to = named(&from.parent().unwrap_or_else(NodePath::root), &name)?;
    if to == from {
        return Ok(to.to_string());
    }
    // A rename onto a folder would move into it: refuse, as a rename must.
    if client.stat(&to).await.map_err(payload)?.is_some() {
        return Err(ErrorPayload::new(
            ErrorCode::Validation,
            format!("{} already exists here. Choose another name.", to.name()),
        ));
    }
    client
        .rename(&from, &to)
        .await
        .map(|p| p.to_string())
        .map_err(payload)
}

/// Delete a file or an empty folder.
#[tauri::command]
#[specta::specta]
pub async fn storage_delete(
    platform: State<'_, Platform>,
    path: String,
) -> Result<(), ErrorPayload> {
    let (client, _) = storage(&platform)?;
    client.delete(&node_path(&path)?).await.map_err(payload)
}

/// Upload local files into `folder` (dropped on the view, or chosen); the transfers' ids.
/// A file of the same name there is replaced: the view asks first.
#[tauri::command]
#[specta::specta]
pub async fn storage_upload(
    app: AppHandle,
    platform: State<'_, Platform>,
    transfers: State<'_, Transfers>,
    folder: String,
    files: Vec<String>,
) -> Result<Vec<u32>, ErrorPayload> {
    let (client, _) = storage(&platform)?;
    let folder = node_path(&folder)?;
    // Only files the user dropped on the window or chose in the chooser.
    let paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    transfers.take_offered(&paths).map_err(|p| {
        ErrorPayload::new(
            ErrorCode::PermissionDenied,
            format!(
                "{} was not dropped on Skyport or chosen: drop it on the Storage view, or choose it with Upload….",
                p.display()
            ),
        )
    })?;
    let mut work = Vec::new();
    for f in files {
        let from = PathBuf::from(&f);
        if from.is_dir() {
            return Err(ErrorPayload::new(
                ErrorCode::Validation,
                format!("{f} is a folder: upload the files in it (skyport cp -r copies a folder with everything in it)."),
            ));
        }
        let name = from
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        work.push(Work::Up {
            to: named(&folder, &name)?,
            from,
        });
    }
    Ok(transfers.start(&app, client, work))
}

/// The system's file chooser: the files chosen (none: nothing was), which `storage_upload`
/// may then read (and no other).
#[tauri::command]
#[specta::specta]
pub async fn storage_choose_uploads(
    app: AppHandle,
    transfers: State<'_, Transfers>,
    folder: String,
) -> Result<Vec<String>, ErrorPayload> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(format!("Upload to {folder}"));
    if let Some(w) = app.get_webview_window(crate::kernel::windows::MAIN) {
        dialog = dialog.set_parent(&w);
    }
    dialog.pick_files(move |files| {
        let _ = tx.send(files);
    });
    let chosen: Vec<PathBuf> = rx
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.into_path().ok())
        .collect();
    transfers.offer(chosen.iter().cloned());
    Ok(chosen.iter().map(|p| p.display().to_string()).collect())
}

/// Download `path` into the Downloads folder (never over a file there); the transfer's id.
#[tauri::command]
#[specta::specta]
pub async fn storage_download(
    app: AppHandle,
    platform: State<'_, Platform>,
    transfers: State<'_, Transfers>,
    path: String,
) -> Result<u32, ErrorPayload> {
    let (client, _) = storage(&platform)?;
    let work = Work::Down {
        from: node_path(&path)?,
        dir: platform.paths.downloads_dir.clone(),
    };
    transfers
        .start(&app, client, vec![work])
        .into_iter()
        .next()
        .ok_or_else(|| ErrorPayload::new(ErrorCode::Internal, "the download was not queued"))
}

#[tauri::command]
#[specta::specta]
pub fn storage_transfers(transfers: State<'_, Transfers>) -> Vec<TransferView> {
    transfers.list()
}

#[tauri::command]
#[specta::specta]
pub fn storage_cancel(transfers: State<'_, Transfers>, id: u32) {
    transfers.cancel(id);
}

#[tauri::command]
#[specta::specta]
pub fn storage_clear_transfers(transfers: State<'_, Transfers>) {
    transfers.clear_ended();
}
