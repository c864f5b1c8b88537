//! Session commands: list, details, logs, events, launch, renew, delete, prune, load.

use serde::{Deserialize, Serialize};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::keyring::{EntryKey, SecretStoreExt};
use skyport_core::secret::SecretString;
use skyport_core::sessions::PruneRule;
use skyport_core::skaha::{
    Context, CreateRequest, Image, ListQuery, PlatformStats, RegistryAuth, Resources, Session,
    SessionEvent, SessionId, SessionKind,
};
use tauri::{AppHandle, State};

use crate::sessions::SessionsSnapshot;
use crate::state::{payload, AppState};

fn id(s: &str) -> Result<SessionId, ErrorPayload> {
    SessionId::parse(s).map_err(|m| ErrorPayload::new(ErrorCode::Validation, m))
}

/// The current list (as last fetched); the UI also receives `SessionsUpdated` events.
#[tauri::command]
#[specta::specta]
pub fn sessions_snapshot(state: State<'_, AppState>) -> SessionsSnapshot {
    state.sessions.snapshot()
}

/// Fetch the list now.
#[tauri::command]
#[specta::specta]
pub async fn refresh_sessions(app: AppHandle) -> SessionsSnapshot {
    let mut tracker = skyport_core::sessions::SessionTracker::default();
    // A throwaway tracker: notifications belong to the background poller alone.
    crate::sessions::refresh(&app, &mut tracker).await.0
}

#[tauri::command]
#[specta::specta]
pub async fn session_details(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<Session, ErrorPayload> {
    state
        .client()?
        .get_session(&id(&session_id)?)
        .await
        .map_err(payload)
}

#[tauri::command]
#[specta::specta]
pub async fn session_logs(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<String, ErrorPayload> {
    state
        .client()?
        .logs(&id(&session_id)?)
        .await
        .map_err(payload)
}

#[tauri::command]
#[specta::specta]
pub async fn session_events(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<Vec<SessionEvent>, ErrorPayload> {
    state
        .client()?
        .events(&id(&session_id)?)
        .await
        .map_err(payload)
}

/// Renew, then return the session with its new expiry.
#[tauri::command]
#[specta::specta]
pub async fn renew_session(
    state: State<'_, AppState>,
    session_id: String,
) -> Result<Session, ErrorPayload> {
    let client = state.client()?;
    let sid = id(&session_id)?;
    client.renew(&sid).await.map_err(payload)?;
    let s = client.get_session(&sid).await.map_err(payload)?;
    state.sessions.poke();
    Ok(s)
}

/// The result for one session of a bulk action.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BulkOutcome {
    pub id: String,
    pub error: Option<ErrorPayload>,
}

/// Delete one or more sessions; each gets its own outcome.
#[tauri::command]
#[specta::specta]
pub async fn delete_sessions(
    state: State<'_, AppState>,
    session_ids: Vec<String>,
) -> Result<Vec<BulkOutcome>, ErrorPayload> {
    let client = state.client()?;
    let mut out = Vec::with_capacity(session_ids.len());
    for raw in session_ids {
        let error = match id(&raw) {
            Ok(sid) => client.delete(&sid).await.err().map(payload),
            Err(e) => Some(e),
        };
        out.push(BulkOutcome { id: raw, error });
    }
    state.sessions.poke();
    Ok(out)
}

/// The sessions a prune rule would delete (the UI shows them before confirming).
#[tauri::command]
#[specta::specta]
pub fn prune_preview(
    state: State<'_, AppState>,
    rule: PruneRule,
) -> Result<Vec<Session>, ErrorPayload> {
    let snap = state.sessions.snapshot();
    rule.select(&snap.sessions)
        .map(|v| v.into_iter().cloned().collect())
        .map_err(|m| ErrorPayload::new(ErrorCode::Validation, m))
}

/// How many interactive sessions count against the quota, and the quota.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub used: u32,
    pub max: Option<u32>,
}

fn quota(sessions: &[Session], ctx: &Context) -> Quota {
    let used = sessions
        .iter()
        .filter(|s| {
            s.kind.is_interactive() && s.kind != SessionKind::DesktopApp && s.status.is_active()
        })
        .count() as u32;
    // CANFAR's production quota is 3 when the server does not say (skaha-api.md §2.4).
    Quota {
        used,
        max: ctx.max_interactive_sessions.or(Some(3)),
    }
}

/// Everything the launch form needs.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchOptions {
    pub images: Vec<Image>,
    pub context: Context,
    pub repositories: Vec<String>,
    pub quota: Quota,
    /// Names of existing sessions, for suggesting a free default name.
    pub existing_names: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn launch_options(state: State<'_, AppState>) -> Result<LaunchOptions, ErrorPayload> {
    let c = state.client()?;
    let all = ListQuery::default();
    let (images, context, repositories, list) = tokio::join!(
        c.images(None),
        c.context(),
        c.repositories(),
        c.list_sessions(&all)
    );
    let context = context.map_err(payload)?;
    let list = list.map_err(payload)?;
    Ok(LaunchOptions {
        images: images.map_err(payload)?,
        quota: quota(&list.sessions, &context),
        context,
        // Older servers have no /repository; the form then offers free text only.
        repositories: repositories.unwrap_or_default(),
        existing_names: list.sessions.iter().map(|s| s.name.clone()).collect(),
    })
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// Registry credentials for a private image; a secret typed now, or the one remembered.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RegistryForm {
    pub username: String,
    /// What the user typed; `None` to use the secret remembered in the keyring.
    pub secret: Option<String>,
    /// Keep the typed secret in the OS keyring for next time.
    pub remember: bool,
}

#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchForm {
    pub kind: SessionKind,
    pub image: String,
    pub name: String,
    pub resources: Resources,
    pub cmd: Option<String>,
    pub args: Option<String>,
    pub env: Vec<EnvVar>,
    pub replicas: u32,
    pub registry: Option<RegistryForm>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LaunchOutcome {
    pub name: String,
    pub id: Option<String>,
    pub error: Option<ErrorPayload>,
    /// The form field a rejection is about (`cores`, `ram`, `gpus`, `name`, `image`, `registry`, `kind`).
    pub field: Option<String>,
}

fn registry_key(image: &str, username: &str) -> EntryKey {
    let host = image.split('/').next().unwrap_or(image);
    EntryKey::new(format!("registry:{host}"), username)
}

#[tauri::command]
#[specta::specta]
pub async fn launch_session(
    state: State<'_, AppState>,
    form: LaunchForm,
) -> Result<Vec<LaunchOutcome>, ErrorPayload> {
    let client = state.client()?;
    let registry_auth = match form.registry {
        None => None,
        Some(r) if r.username.trim().is_empty() => None,
        Some(r) => {
            let key = registry_key(&form.image, r.username.trim());
            let secret = match r.secret.filter(|s| !s.is_empty()) {
                Some(typed) => {
                    let typed = SecretString::new(typed);
                    if r.remember {
                        state.secrets.set(&key, &typed).map_err(payload)?;
                    }
                    typed
                }
                None => state.secrets.get(&key).map_err(payload)?.ok_or_else(|| {
                    ErrorPayload::new(
                        ErrorCode::Validation,
                        format!(
                            "No registry secret is remembered for {}; type it in.",
                            r.username.trim()
                        ),
                    )
                })?,
            };
            Some(RegistryAuth {
                username: r.username.trim().to_string(),
                secret,
            })
        }
    };
    let is_headless = form.kind == SessionKind::Headless;
    let req = CreateRequest {
        name: form.name.trim().to_string(),
        image: form.image.trim().to_string(),
        kind: Some(form.kind),
        resources: form.resources,
        cmd: if is_headless { form.cmd } else { None },
        args: if is_headless { form.args } else { None },
        env: if is_headless {
            form.env
                .into_iter()
                .map(|e| (e.name.trim().to_string(), e.value))
                .collect()
        } else {
            vec![]
        },
        registry_auth,
    };
    let replicas = if is_headless {
        form.replicas.clamp(1, 512)
    } else {
        1
    };
    let results = client.create_replicas(&req, replicas).await;
    state.sessions.poke();
    Ok(results
        .into_iter()
        .map(|(name, r)| match r {
            Ok(id) => LaunchOutcome {
                name,
                id: Some(id.0),
                error: None,
                field: None,
            },
            Err(e) => LaunchOutcome {
                name,
                id: None,
                field: e.field().map(str::to_string),
                error: Some(payload(e)),
            },
        })
        .collect())
}

/// Whether a registry secret is remembered for this image's registry and user.
#[tauri::command]
#[specta::specta]
pub fn registry_secret_saved(state: State<'_, AppState>, image: String, username: String) -> bool {
    matches!(
        state.secrets.get(&registry_key(&image, username.trim())),
        Ok(Some(_))
    )
}

/// Platform load and the user's quota use.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlatformLoad {
    pub stats: PlatformStats,
    pub quota: Quota,
    #[specta(type = String)]
    pub as_of: chrono::DateTime<chrono::Utc>,
}

#[tauri::command]
#[specta::specta]
pub async fn platform_load(state: State<'_, AppState>) -> Result<PlatformLoad, ErrorPayload> {
    let c = state.client()?;
    let (stats, ctx) = tokio::join!(c.stats(), c.context());
    let sessions = state.sessions.snapshot().sessions;
    Ok(PlatformLoad {
        stats: stats.map_err(payload)?,
        quota: quota(&sessions, &ctx.unwrap_or_default()),
        as_of: chrono::Utc::now(),
    })
}

/// Open a running session's page in the system browser.
#[tauri::command]
#[specta::specta]
pub async fn open_session_in_browser(
    app: AppHandle,
    state: State<'_, AppState>,
    session_id: String,
) -> Result<(), ErrorPayload> {
    let s = state
        .client()?
        .get_session(&id(&session_id)?)
        .await
        .map_err(payload)?;
    let url = match (&s.status, &s.connect_url) {
        (skyport_core::skaha::SessionStatus::Running, Some(u)) => u.clone(),
        (skyport_core::skaha::SessionStatus::Running, None) => {
            return Err(ErrorPayload::new(
                ErrorCode::Validation,
                "This session has no page to open (headless sessions run without one).",
            ))
        }
        (st, _) => {
            return Err(ErrorPayload::new(
                ErrorCode::Validation,
                format!(
                    "The session is {}; it can be opened once it is Running.",
                    st.as_str()
                ),
            ))
        }
    };
    let url = skyport_core::links::connect_url(&url).map_err(payload)?;
    crate::external::open(&app, &url)
}

/// Open a Running session in its own Skyport window (a second call focuses it).
pub async fn open_window<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    session_id: &str,
) -> Result<(), ErrorPayload> {
    use tauri::Manager;
    let state = app.state::<AppState>();
    let s = state
        .client()?
        .get_session(&id(session_id)?)
        .await
        .map_err(payload)?;
    let url = s.connect_url.as_deref().ok_or_else(|| {
        ErrorPayload::new(
            ErrorCode::Validation,
            "This session has no page to open (headless sessions run without one).",
        )
    })?;
    let page = skyport_core::links::connect_url(url).map_err(payload)?;
    if let Some(w) = app.get_webview_window(&crate::windows::label(&s.id.0)) {
        let _ = w.set_focus();
        return Ok(());
    }
    // Most deployments protect pages by the session id alone; some ask for credentials.
    let opts = skyport_core::relay::RelayOptions::default();
    let probe_http = skyport_core::relay::probe_client(&opts).map_err(payload)?;
    match skyport_core::relay::probe(&probe_http, &page)
        .await
        .map_err(payload)?
    {
        skyport_core::relay::Probe::Open => {
            crate::windows::open_session_window(app, &s, page, None)
        }
        skyport_core::relay::Probe::NeedsAuth { challenges } => {
            let credential = skyport_core::relay::credential_for(&challenges, &state.relay_credentials()).ok_or_else(|| {
                ErrorPayload::new(
                    ErrorCode::SignInNeeded,
                    "The session page asks for credentials Skyport does not hold. Sign in (or get a certificate), then open it again.",
                )
            })?;
            let scope =
                skyport_core::relay::PathScope::for_session(&page, &s.id.0).map_err(payload)?;
            let relay = skyport_core::relay::start(page.clone(), scope, credential, opts)
                .await
                .map_err(payload)?;
            let entry = relay.entry_url_for(&page).ok_or_else(|| {
                ErrorPayload::new(
                    ErrorCode::Internal,
                    "Could not route the session page through the credential relay.",
                )
            })?;
            crate::windows::open_session_window(app, &s, entry, Some(relay))
        }
    }
}

/// Open a Running session in its own window.
#[tauri::command]
#[specta::specta]
pub async fn open_session_window(app: AppHandle, session_id: String) -> Result<(), ErrorPayload> {
    open_window(&app, &session_id).await
}

/// Session windows that were open when Skyport last quit and whose sessions still run.
#[tauri::command]
#[specta::specta]
pub fn windows_to_reopen(app: AppHandle, state: State<'_, AppState>) -> Vec<Session> {
    if crate::settings::Settings::load(&state.paths).reopen_windows {
        // Reopened without asking (see sessions::reopen_windows): nothing to offer.
        return Vec::new();
    }
    let remembered = crate::windows::load_memory(&app).open;
    state
        .sessions
        .snapshot()
        .sessions
        .into_iter()
        .filter(|s| {
            remembered.contains(&s.id.0) && s.status == skyport_core::skaha::SessionStatus::Running
        })
        .collect()
}

/// The tray's running-sessions item: open the session's window (errors are logged; the
/// tray has nowhere to show them).
pub async fn open_from_tray<R: tauri::Runtime>(app: &tauri::AppHandle<R>, session_id: &str) {
    if let Err(e) = open_window(app, session_id).await {
        tracing::warn!(
            "could not open session {session_id} from the tray: {}",
            e.message
        );
    }
}
