//! The transfers of this run: their state for the view, and their controls for Cancel.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use skyport_core::vospace::client::StorageClient;
use skyport_core::vospace::transfer::{Control, Landing, Step};
use skyport_core::vospace::view::{step_words, Direction, TransferState, TransferView};
use skyport_core::vospace::{size_words, NodePath};
use tauri::{AppHandle, Manager, Runtime};
use tauri_specta::Event as _;

use crate::kernel::events::StorageTransferChanged;

struct Item {
    view: TransferView,
    ctl: Control,
}

/// Every transfer of this run, by id.
#[derive(Default)]
pub struct Transfers {
    items: Mutex<BTreeMap<u32, Item>>,
    next: Mutex<u32>,
    /// Local files the user offered (dropped on the window, or chosen): the only ones an
    /// upload reads, whatever a page asks.
    offered: Mutex<std::collections::HashSet<PathBuf>>,
}

/// What one transfer does.
pub enum Work {
    Up { from: PathBuf, to: NodePath },
    Down { from: NodePath, dir: PathBuf },
}

impl Transfers {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, Item>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user dropped or chose these files.
    pub fn offer(&self, paths: impl IntoIterator<Item = PathBuf>) {
        let mut o = self.offered.lock().unwrap_or_else(|e| e.into_inner());
        if o.len() > 10_000 {
            o.clear();
        }
        o.extend(paths);
    }

    /// Take `paths` for an upload, if every one was offered (each once).
    pub fn take_offered(&self, paths: &[PathBuf]) -> Result<(), PathBuf> {
        let mut o = self.offered.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = paths.iter().find(|p| !o.contains(*p)) {
            return Err(p.clone());
        }
        for p in paths {
            o.remove(p);
        }
        Ok(())
    }

    pub fn list(&self) -> Vec<TransferView> {
        self.lock().values().map(|i| i.view.clone()).collect()
    }

    /// Stop a running transfer (it ends as Cancelled, cleaned up).
    pub fn cancel(&self, id: u32) {
        if let Some(i) = self.lock().get(&id) {
            i.ctl.cancel();
        }
    }

    /// Forget the transfers that have ended (the view's "Clear").
    pub fn clear_ended(&self) {
        self.lock()
            .retain(|_, i| matches!(i.view.state, TransferState::Running { .. }));
    }

    /// A new transfer, announced; its id and control.
    fn add<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        direction: Direction,
        name: String,
        folder: String,
    ) -> (u32, Control) {
        let id = {
            let mut n = self.next.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            *n
        };
        let ctl = Control::default();
        let view = TransferView {
            id,
            direction,
            name,
            folder,
            state: TransferState::Running {
                words: "waiting for its turn".into(),
                fraction: None,
            },
        };
        let _ = StorageTransferChanged(view.clone()).emit(app);
        self.lock().insert(
            id,
            Item {
                view,
                ctl: ctl.clone(),
            },
        );
        (id, ctl)
    }

    fn set<R: Runtime>(&self, app: &AppHandle<R>, id: u32, state: TransferState) {
        let view = {
            let mut items = self.lock();
            let Some(i) = items.get_mut(&id) else { return };
            i.view.state = state;
            i.view.clone()
        };
        let _ = StorageTransferChanged(view).emit(app);
    }

    /// Queue `work` (run one after another, in a task of their own); their ids.
    pub fn start<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        client: StorageClient,
        work: Vec<Work>,
    ) -> Vec<u32> {
        let mut queued = Vec::new();
        for w in work {
            let (direction, name, folder) = match &w {
                Work::Up { from, to } => (
                    Direction::Upload,
                    from.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    to.parent().unwrap_or_else(NodePath::root).to_string(),
                ),
                Work::Down { from, .. } => (
                    Direction::Download,
                    from.name().to_string(),
                    from.parent().unwrap_or_else(NodePath::root).to_string(),
                ),
            };
            let (id, ctl) = self.add(app, direction, name, folder);
            queued.push((id, ctl, w));
        }
        let ids = queued.iter().map(|(id, _, _)| *id).collect();
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            for (id, ctl, w) in queued {
                run_one(&app, &client, id, ctl, w).await;
            }
        });
        ids
    }
}

async fn run_one<R: Runtime>(
    app: &AppHandle<R>,
    client: &StorageClient,
    id: u32,
    ctl: Control,
    work: Work,
) {
    let state = app.state::<Transfers>();
    if ctl.cancelled() {
        state.set(app, id, TransferState::Cancelled);
        return;
    }
    // Progress, told a few times a second at most.
    let tell_app = app.clone();
    let last = Mutex::new(None::<Instant>);
    let ctl = ctl.progress(move |s: Step| {
        let now = Instant::now();
        {
            let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
            let due = l.is_none_or(|t| now - t >= Duration::from_millis(250));
            if !due && !matches!(s, Step::Retrying { .. }) {
                return;
            }
            *l = Some(now);
        }
        let fraction = match s {
            Step::Checking { done, total } | Step::Sending { done, total } if total > 0 => {
                Some(done as f64 / total as f64)
            }
            Step::Receiving {
                done,
                total: Some(t),
            } if t > 0 => Some(done as f64 / t as f64),
            _ => None,
        };
        let words = step_words(s);
        tell_app.state::<Transfers>().set(
            &tell_app,
            id,
            TransferState::Running { words, fraction },
        );
    });
    let result = match &work {
        Work::Up { from, to } => client.upload(from, to, &ctl).await.map(|d| (d.size, None)),
        Work::Down { from, dir } => client
            .download(
                from,
                dir,
                &skyport_core::downloads::safe_name(from.name()),
                Landing::KeepBoth,
                &ctl,
            )
            .await
            .map(|d| (d.size, Some(d.path))),
    };
    let end = match result {
        Ok((size, saved_to)) => TransferState::Done {
            words: match &saved_to {
                // The name may differ from the storage's: a file of that name was there.
                Some(p) => format!(
                    "{} saved in {} as {}, checked by MD5",
                    size_words(size),
                    p.parent()
                        .and_then(|d| d.file_name())
                        .map(|d| d.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ),
                None => format!("{} uploaded, checked by MD5", size_words(size)),
            },
            saved_to: saved_to.map(|p| p.display().to_string()),
        },
        Err(e) if ctl.cancelled() => {
            tracing::info!(id, "storage transfer cancelled: {e}");
            TransferState::Cancelled
        }
        Err(e) => TransferState::Failed {
            message: e.to_string(),
        },
    };
    state.set(app, id, end);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_the_user_offered_are_read_and_each_once() {
        let t = Transfers::default();
        let a = PathBuf::from("/home/u/a.fits");
        let b = PathBuf::from("/home/u/.ssh/id_ed25519");
        t.offer([a.clone()]);
        assert_eq!(t.take_offered(&[a.clone(), b.clone()]), Err(b.clone()));
        assert_eq!(t.take_offered(std::slice::from_ref(&a)), Ok(()));
        assert_eq!(t.take_offered(std::slice::from_ref(&a)), Err(a));
    }
}
