//! "Test connection": each service of a profile, checked at once (reachable, how fast, the
//! API version), and whether the platform accepts the credential in use.

use serde::Serialize;

use super::{Discoverer, Probe};
use crate::config::ResolvedProfile;
use crate::connect::Connection;
use crate::error::{Coded, ErrorCode, ErrorPayload};
use crate::skaha::ListQuery;

/// One service of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCheck {
    /// What it is, in words ("Session API v1", "Password sign-in").
    pub service: String,
    pub url: String,
    pub probe: Probe,
}

/// Whether the platform takes the credential in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CredentialCheck {
    /// `None` when it could not be asked (no credential, or the service is down).
    pub accepted: Option<bool>,
    /// What happened, in words.
    pub detail: String,
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionCheck {
    pub services: Vec<ServiceCheck>,
    pub credential: CredentialCheck,
}

/// Check every service of `profile` at once, and the credential of `connection`.
pub async fn check(
    d: &Discoverer,
    profile: &ResolvedProfile,
    connection: Result<&Connection, &ErrorPayload>,
) -> ConnectionCheck {
    let p = &profile.profile;
    let service = profile
        .service
        .service
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let api = format!("Session API {}", profile.service.version);
    let mut wanted: Vec<(String, String, bool)> = vec![(api, service, true)];
    if let Some(u) = &p.login_url {
        wanted.push(("Password sign-in".into(), u.clone(), false));
    }
    if let Some(u) = &p.cred_url {
        wanted.push(("Certificate service".into(), u.clone(), false));
    }
    if let Some(u) = &p.storage_url {
        wanted.push(("Storage".into(), u.clone(), false));
    }
    if let Some(o) = &p.oidc {
        let well_known = format!(
            "{}/.well-known/openid-configuration",
            o.issuer.trim_end_matches('/')
        );
        wanted.push(("Sign-in provider".into(), well_known, true));
    }
    // Every service at once, and the credential meanwhile.
    let probes = wanted.iter().map(|(_, url, strict)| {
        let (d, url, strict) = (d.clone(), url.clone(), *strict);
        async move {
            if strict {
                d.probe_with(&url, reqwest::Method::GET, |s| s.is_success())
                    .await
            } else {
                d.reach(&url).await
            }
        }
    });
    let (answers, credential) =
        tokio::join!(crate::concurrent::all(probes), credential(connection));
    ConnectionCheck {
        services: wanted
            .into_iter()
            .zip(answers)
            .map(|((service, url, _), probe)| ServiceCheck {
                service,
                url,
                probe: probe.unwrap_or_else(Probe::unfinished),
            })
            .collect(),
        credential,
    }
}

async fn credential(connection: Result<&Connection, &ErrorPayload>) -> CredentialCheck {
    let conn = match connection {
        Ok(c) => c,
        Err(e) => {
            return CredentialCheck {
                accepted: None,
                detail: e.message.clone(),
            }
        }
    };
    let used = conn.credential.describe();
    match conn.client.list_sessions(&ListQuery::default()).await {
        Ok(list) => CredentialCheck {
            accepted: Some(true),
            detail: format!(
                "The platform accepts {used} ({} session(s) listed).",
                list.sessions.len()
            ),
        },
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::SignInNeeded | ErrorCode::PermissionDenied
            ) =>
        {
            CredentialCheck {
                accepted: Some(false),
                detail: format!("The platform refuses {used}: {e}"),
            }
        }
        Err(e) => CredentialCheck {
            accepted: None,
            detail: format!("Could not ask the platform: {e}"),
        },
    }
}
