//! What the user does with sessions: look closer, renew, delete, prune, launch.

use serde::{Deserialize, Serialize};
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::keyring::{EntryKey, SecretStoreExt};
use skyport_core::launch::{quota, Quota};
use skyport_core::secret::SecretString;
use skyport_core::sessions::PruneRule;
use skyport_core::skaha::{
    Context, CreateRequest, Image, ListQuery, PlatformStats, RegistryAuth, Resources, Session,
    SessionId, SessionKind,
};

use super::SessionsHub;
use crate::kernel::{payload, Bus, Platform};

pub(super) fn id(s: &str) -> Result<SessionId, ErrorPayload> {
    SessionId::parse(s).map_err(payload)
}

/// Renew, then return the session with its new expiry.
pub async fn renew(
    platform: &Platform,
    hub: &SessionsHub,
    session_id: &str,
) -> Result<Session, ErrorPayload> {
    let client = platform.client()?;
    let sid = id(session_id)?;
    client.renew(&sid).await.map_err(payload)?;
    let s = client.get_session(&sid).await.map_err(payload)?;
    hub.poke();
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
pub async fn delete(
    platform: &Platform,
    hub: &SessionsHub,
    session_ids: Vec<String>,
) -> Result<Vec<BulkOutcome>, ErrorPayload> {
    let client = platform.client()?;
    let mut out = Vec::with_capacity(session_ids.len());
    for raw in session_ids {
        let error = match id(&raw) {
            Ok(sid) => client.delete(&sid).await.err().map(payload),
            Err(e) => Some(e),
        };
        out.push(BulkOutcome { id: raw, error });
    }
    hub.poke();
    Ok(out)
}

/// The sessions a prune rule would delete (the UI shows them before confirming).
pub fn prune_preview(bus: &Bus, rule: &PruneRule) -> Result<Vec<Session>, ErrorPayload> {
    let snap = bus.sessions();
    rule.select(&snap.sessions)
        .map(|v| v.into_iter().cloned().collect())
        .map_err(payload)
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

pub async fn launch_options(platform: &Platform) -> Result<LaunchOptions, ErrorPayload> {
    let c = platform.client()?;
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

pub async fn launch(
    platform: &Platform,
    hub: &SessionsHub,
    form: LaunchForm,
) -> Result<Vec<LaunchOutcome>, ErrorPayload> {
    let client = platform.client()?;
    let registry_auth = match form.registry {
        None => None,
        Some(r) if r.username.trim().is_empty() => None,
        Some(r) => {
            let key = registry_key(&form.image, r.username.trim());
            let secret = match r.secret.filter(|s| !s.is_empty()) {
                Some(typed) => {
                    let typed = SecretString::new(typed);
                    if r.remember {
                        platform.secrets.set(&key, &typed).map_err(payload)?;
                    }
                    typed
                }
                None => platform
                    .secrets
                    .get(&key)
                    .map_err(payload)?
                    .ok_or_else(|| {
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
    hub.poke();
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
pub fn registry_secret_saved(platform: &Platform, image: &str, username: &str) -> bool {
    matches!(
        platform.secrets.get(&registry_key(image, username.trim())),
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

pub async fn platform_load(platform: &Platform, bus: &Bus) -> Result<PlatformLoad, ErrorPayload> {
    let c = platform.client()?;
    let (stats, ctx) = tokio::join!(c.stats(), c.context());
    let sessions = bus.sessions().sessions;
    Ok(PlatformLoad {
        stats: stats.map_err(payload)?,
        quota: quota(&sessions, &ctx.unwrap_or_default()),
        as_of: chrono::Utc::now(),
    })
}
