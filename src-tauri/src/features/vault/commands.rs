//! Service-credential commands: thin adapters over core's `vault`.

use serde::Deserialize;
use skyport_core::error::{ErrorCode, ErrorPayload};
use skyport_core::http::{build_client, HttpOptions};
use skyport_core::secret::SecretString;
use skyport_core::vault::{self, probe, Kind, Listed, NewCredential};
use tauri::State;

use crate::kernel::{payload, Platform};

/// A credential to add, as the form gives it.
#[derive(Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewServiceCredential {
    pub kind: Kind,
    /// Where it may be sent (one place per entry).
    pub origins: Vec<String>,
    pub username: Option<String>,
    /// The password, token or Basic token (never shown again).
    pub secret: Option<String>,
    /// The certificate (PEM) or SSH key file.
    pub file: Option<String>,
    pub login_url: Option<String>,
    /// The SSH key's passphrase, to keep.
    pub passphrase: Option<String>,
    pub name: Option<String>,
}

impl std::fmt::Debug for NewServiceCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password, token and passphrase never reach a log.
        f.debug_struct("NewServiceCredential")
            .field("kind", &self.kind)
            .field("origins", &self.origins)
            .field("username", &self.username)
            .field("file", &self.file)
            .field("login_url", &self.login_url)
            .finish_non_exhaustive()
    }
}

fn no_redirects() -> Result<reqwest::Client, ErrorPayload> {
    build_client(HttpOptions {
        no_redirects: true,
        ..Default::default()
    })
    .map_err(payload)
}

/// Every credential: the user's for other services, and each platform's.
#[tauri::command]
#[specta::specta]
pub fn service_credentials(platform: State<'_, Platform>) -> Result<Vec<Listed>, ErrorPayload> {
    vault::list(&platform.paths, platform.secrets.as_ref()).map_err(payload)
}

/// Add one; a CADC token is got by logging in now (the password is not kept). Its id.
#[tauri::command]
#[specta::specta]
pub async fn add_service_credential(
    platform: State<'_, Platform>,
    credential: NewServiceCredential,
) -> Result<String, ErrorPayload> {
    let new = credential;
    let filled = |s: Option<String>| s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let secret = new.secret.filter(|s| !s.is_empty()).map(SecretString::new);
    let login_url = filled(new.login_url);
    let username = filled(new.username);
    let secret = match (new.kind, secret) {
        (Kind::CadcToken, Some(password)) => {
            let origins: Vec<String> = new.origins.clone();
            let (Some(login), Some(user)) = (&login_url, &username) else {
                return Err(ErrorPayload::new(
                    ErrorCode::Validation,
                    "A CADC token needs the login address and your username and password.",
                ));
            };
            Some(
                vault::cadc_token(&no_redirects()?, login, &origins, user, &password)
                    .await
                    .map_err(payload)?,
            )
        }
        (_, s) => s,
    };
    vault::add(
        &platform.paths,
        platform.secrets.as_ref(),
        NewCredential {
            kind: Some(new.kind),
            origins: new
                .origins
                .into_iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            username,
            login_url,
            file: filled(new.file).map(std::path::PathBuf::from),
            secret,
            passphrase: new
                .passphrase
                .filter(|p| !p.is_empty())
                .map(SecretString::new),
            id: filled(new.name),
        },
    )
    .map_err(payload)
}

/// Remove one of the user's and its keyring entries.
#[tauri::command]
#[specta::specta]
pub fn remove_service_credential(
    platform: State<'_, Platform>,
    id: String,
) -> Result<(), ErrorPayload> {
    vault::remove(&platform.paths, platform.secrets.as_ref(), &id).map_err(payload)
}

/// What a service at `url` asks for, and which credential would be sent ("Test").
#[tauri::command]
#[specta::specta]
pub async fn probe_service(
    platform: State<'_, Platform>,
    url: String,
) -> Result<probe::Report, ErrorPayload> {
    let parsed = tauri::Url::parse(url.trim()).map_err(|e| {
        ErrorPayload::new(
            ErrorCode::Validation,
            format!("{url:?} is not an address ({e}); give one such as https://host/tap"),
        )
    })?;
    probe::check(
        &no_redirects()?,
        &platform.paths,
        platform.secrets.as_ref(),
        &parsed,
    )
    .await
    .map_err(payload)
}
