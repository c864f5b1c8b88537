//! Tokens after sign-in: where they are kept, how they are refreshed, how sign-out works.
//!
//! Secrets (access and refresh tokens, a registered client's secret) live in the keyring
//! under the profile's namespace. What is not secret (issuer, client id, who signed in,
//! when the access token runs out) is kept in `state/auth/<profile>.json`, so the UI can
//! show it without touching the keyring.

use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use openidconnect::core::CoreTokenResponse;
use openidconnect::{AccessTokenHash, Nonce, OAuth2TokenResponse, RefreshToken, TokenResponse};
use serde::{Deserialize, Serialize};

use super::error::{from_request, OidcError};
use super::provider::Provider;
use crate::connect::TokenSlot;
use crate::keyring::{EntryKey, SecretStore, SecretStoreExt};
use crate::lockfile::LockFile;
use crate::paths::Paths;
use crate::secret::SecretString;

/// Who signed in, from the validated ID token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
}

/// Fresh tokens from a sign-in or a refresh.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
    pub identity: Option<Identity>,
}

/// The non-secret part of a sign-in, saved as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SignInRecord {
    pub issuer: String,
    pub client_id: String,
    pub identity: Identity,
    #[specta(type = Option<String>)]
    pub access_expires_at: Option<DateTime<Utc>>,
    pub has_refresh_token: bool,
    #[specta(type = String)]
    pub signed_in_at: DateTime<Utc>,
    #[specta(type = String)]
    pub refreshed_at: DateTime<Utc>,
}

pub(crate) fn refresh_key(profile: &str) -> EntryKey {
    EntryKey::new(profile, crate::keyring::entries::OIDC_REFRESH_TOKEN)
}

pub fn client_secret_key(profile: &str) -> EntryKey {
    EntryKey::new(profile, crate::keyring::entries::OIDC_CLIENT_SECRET)
}

/// The profile name as a file name.
fn file_stem(profile: &str) -> String {
    profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn record_path(paths: &Paths, profile: &str) -> PathBuf {
    paths
        .state_dir
        .join("auth")
        .join(format!("{}.json", file_stem(profile)))
}

/// Held by whichever process (the app, a CLI run) is refreshing this profile's sign-in.
fn refresh_lock_path(paths: &Paths, profile: &str) -> PathBuf {
    paths
        .state_dir
        .join("locks")
        .join(format!("oidc-{}.lock", file_stem(profile)))
}

/// How long a refresh waits for another process's refresh of the same sign-in (a discovery
/// and a token request, each bounded by the HTTP client's timeout).
const REFRESH_LOCK_PATIENCE: Duration = Duration::from_secs(90);

pub fn load_record(paths: &Paths, profile: &str) -> Option<SignInRecord> {
    std::fs::read(record_path(paths, profile))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

fn save_record(paths: &Paths, profile: &str, record: &SignInRecord) -> Result<(), OidcError> {
    let bytes = serde_json::to_vec_pretty(record).map_err(|e| OidcError::Other(e.to_string()))?;
    crate::fsutil::write_atomic(&record_path(paths, profile), &bytes)
        .map_err(|e| OidcError::Other(format!("could not save the sign-in record: {e}")))
}

/// Tokens from a token-endpoint answer; the ID token, when present, is validated
/// (signature via JWKS, iss, aud, exp, nonce, at_hash).
pub(crate) fn tokens_from_response(
    verifier: &openidconnect::core::CoreIdTokenVerifier<'_>,
    resp: &CoreTokenResponse,
    nonce: Option<&Nonce>,
    now: DateTime<Utc>,
) -> Result<TokenSet, OidcError> {
    let identity =
        match resp.id_token() {
            Some(id_token) => {
                let claims = match nonce {
                    Some(n) => id_token.claims(verifier, n),
                    // Refresh answers may omit the nonce (OIDC Core §12.2); any present was checked at sign-in.
                    None => id_token.claims(verifier, |_: Option<&Nonce>| Ok(())),
                }
                .map_err(|e| OidcError::InvalidIdToken {
                    detail: e.to_string(),
                })?;
                if let Some(expected) = claims.access_token_hash() {
                    let alg = id_token
                        .signing_alg()
                        .map_err(|e| OidcError::InvalidIdToken {
                            detail: e.to_string(),
                        })?;
                    let key =
                        id_token
                            .signing_key(verifier)
                            .map_err(|e| OidcError::InvalidIdToken {
                                detail: e.to_string(),
                            })?;
                    let actual = AccessTokenHash::from_token(resp.access_token(), alg, key)
                        .map_err(|e| OidcError::InvalidIdToken {
                            detail: e.to_string(),
                        })?;
                    if actual != *expected {
                        return Err(OidcError::InvalidIdToken {
                            detail: "the access token does not match at_hash".into(),
                        });
                    }
                }
                Some(Identity {
                    subject: claims.subject().to_string(),
                    name: claims
                        .name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.to_string()),
                    email: claims.email().map(|e| e.to_string()),
                    username: claims.preferred_username().map(|u| u.to_string()),
                })
            }
            None if nonce.is_some() => {
                return Err(OidcError::InvalidIdToken {
                    detail: "the provider sent no ID token (is the openid scope allowed?)".into(),
                })
            }
            None => None,
        };
    Ok(TokenSet {
        access: SecretString::new(resp.access_token().secret().clone()),
        refresh: resp
            .refresh_token()
            .map(|r| SecretString::new(r.secret().clone())),
        expires_at: resp
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| now + d),
        identity,
    })
}

/// Keep a completed sign-in: tokens in the keyring first, then the record.
pub fn save_sign_in(
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &str,
    issuer: &str,
    client_id: &str,
    tokens: &TokenSet,
    now: DateTime<Utc>,
) -> Result<SignInRecord, OidcError> {
    store.set(&TokenSlot::Access.key(profile), &tokens.access)?;
    match &tokens.refresh {
        Some(r) => store.set(&refresh_key(profile), r)?,
        None => {
            store.delete(&refresh_key(profile))?;
        }
    }
    let record = SignInRecord {
        issuer: issuer.to_string(),
        client_id: client_id.to_string(),
        identity: tokens.identity.clone().unwrap_or_default(),
        access_expires_at: tokens.expires_at,
        has_refresh_token: tokens.refresh.is_some(),
        signed_in_at: now,
        refreshed_at: now,
    };
    save_record(paths, profile, &record)?;
    Ok(record)
}

/// One refresh at a time per profile within this process, so only one task at a time waits
/// for the profile's lock file.
/// Both locks around a change of a profile's stored sign-in: this process's, then the one
/// shared with other Skyport processes (the app and CLI runs).
async fn exclusive(
    paths: &Paths,
    profile: &str,
) -> Result<(tokio::sync::OwnedMutexGuard<()>, LockFile), OidcError> {
    let guard = profile_lock(profile).lock_owned().await;
    let file = LockFile::acquire(&refresh_lock_path(paths, profile), REFRESH_LOCK_PATIENCE)
        .await
        .map_err(|e| OidcError::Other(e.to_string()))?;
    Ok((guard, file))
}

fn profile_lock(profile: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: StdMutex<Vec<(String, Arc<tokio::sync::Mutex<()>>)>> = StdMutex::new(Vec::new());
    let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, l)) = locks.iter().find(|(p, _)| p == profile) {
        return l.clone();
    }
    let l = Arc::new(tokio::sync::Mutex::new(()));
    locks.push((profile.to_string(), l.clone()));
    l
}

/// Refresh the access token. A rotated refresh token is saved before it is used; when
/// none comes back the old one is kept. When the provider refuses, the stored sign-in is
/// removed and [`OidcError::RefreshRefused`] says to sign in again.
///
/// Other processes (the app, CLI runs) refresh the same sign-in, and a rotated refresh
/// token is good for one use only: a lock file in the state folder makes them take turns,
/// and one that finds the sign-in refreshed while it waited uses those tokens.
pub async fn refresh(
    http: &reqwest::Client,
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &str,
    now: DateTime<Utc>,
) -> Result<SignInRecord, OidcError> {
    refresh_unless_done(http, paths, store, profile, now, |_| true).await
}

/// Refresh when the access token runs out within `leeway`; otherwise do nothing.
pub async fn ensure_fresh(
    http: &reqwest::Client,
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &str,
    leeway: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Option<SignInRecord>, OidcError> {
    let due = |r: &SignInRecord| {
        r.has_refresh_token && r.access_expires_at.is_some_and(|exp| exp - now <= leeway)
    };
    match load_record(paths, profile) {
        None => Ok(None),
        Some(record) if !due(&record) => Ok(Some(record)),
        Some(_) => refresh_unless_done(http, paths, store, profile, now, due)
            .await
            .map(Some),
    }
}

/// [`refresh`], under the profile's locks. `still_due` is asked again once the locks are
/// held, about the sign-in as it is then.
async fn refresh_unless_done(
    http: &reqwest::Client,
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &str,
    now: DateTime<Utc>,
    still_due: impl Fn(&SignInRecord) -> bool,
) -> Result<SignInRecord, OidcError> {
    // The refresh token as this caller found it: a different one after the wait means
    // someone else refreshed (or signed in) meanwhile.
    let seen = store.get(&refresh_key(profile))?;
    let _locks = exclusive(paths, profile).await?;
    let record = load_record(paths, profile).ok_or(OidcError::NotSignedIn)?;
    let refresh_token = store
        .get(&refresh_key(profile))?
        .ok_or(OidcError::NotSignedIn)?;
    if seen.as_ref().map(|s| s.expose()) != Some(refresh_token.expose()) || !still_due(&record) {
        // Done by someone else while this caller waited: theirs are the current tokens.
        return Ok(record);
    }
    let provider = Provider::discover(http, &record.issuer).await?;
    let secret = store.get(&client_secret_key(profile))?;
    let client = provider.client(
        &record.client_id,
        secret.as_ref().map(|s| s.expose().as_str()),
    );
    let refresh_value = RefreshToken::new(refresh_token.expose().clone());
    let request = client
        .exchange_refresh_token(&refresh_value)
        .map_err(|e| OidcError::Other(e.to_string()))?;
    let resp = match request
        .request_async(&super::provider::CappedHttp(http))
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let err = from_request(&record.issuer, e, true);
            if matches!(err, OidcError::RefreshRefused { .. }) {
                // A Skyport that takes no lock (an older version) may have rotated the
                // token meanwhile: its tokens are good, never delete them.
                let current = store.get(&refresh_key(profile))?;
                if current.as_ref().map(|c| c.expose()) != Some(refresh_token.expose()) {
                    return load_record(paths, profile).ok_or(OidcError::NotSignedIn);
                }
                forget(paths, store, profile)?;
            }
            return Err(err);
        }
    };
    let mut tokens = tokens_from_response(&client.id_token_verifier(), &resp, None, now)?;
    if tokens.refresh.is_none() {
        tokens.refresh = Some(refresh_token);
    }
    if let Some(id) = &tokens.identity {
        if id.subject != record.identity.subject && !record.identity.subject.is_empty() {
            return Err(OidcError::InvalidIdToken {
                detail: "the refreshed identity is a different user".into(),
            });
        }
    }
    store.set(&TokenSlot::Access.key(profile), &tokens.access)?;
    if let Some(r) = &tokens.refresh {
        store.set(&refresh_key(profile), r)?;
    }
    let updated = SignInRecord {
        identity: tokens.identity.clone().unwrap_or(record.identity.clone()),
        access_expires_at: tokens.expires_at,
        has_refresh_token: tokens.refresh.is_some(),
        refreshed_at: now,
        ..record
    };
    save_record(paths, profile, &updated)?;
    Ok(updated)
}

/// Remove every stored secret and the record of a sign-in (no network).
pub fn forget(paths: &Paths, store: &dyn SecretStore, profile: &str) -> Result<(), OidcError> {
    store.delete(&TokenSlot::Access.key(profile))?;
    store.delete(&refresh_key(profile))?;
    let _ = std::fs::remove_file(record_path(paths, profile));
    Ok(())
}

/// What sign-out did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SignOutReport {
    /// Tokens the provider confirmed revoked.
    pub revoked: Vec<String>,
    /// Why revocation was skipped or failed, if it was.
    pub revocation_note: Option<String>,
}

/// Revoke the refresh and access tokens where the provider offers revocation (RFC 7009),
/// then delete the keyring entries and the record. Local cleanup happens even when the
/// provider cannot be reached.
pub async fn sign_out(
    http: &reqwest::Client,
    paths: &Paths,
    store: &dyn SecretStore,
    profile: &str,
) -> Result<SignOutReport, OidcError> {
    let mut report = SignOutReport {
        revoked: vec![],
        revocation_note: None,
    };
    // A refresh running in another process must not store new tokens after these are gone.
    let _locks = exclusive(paths, profile).await?;
    if let Some(record) = load_record(paths, profile) {
        match revoke_all(http, store, profile, &record, &mut report).await {
            Ok(()) => {}
            Err(e) => report.revocation_note = Some(e.to_string()),
        }
    }
    forget(paths, store, profile)?;
    let _ = store.delete(&client_secret_key(profile));
    Ok(report)
}

async fn revoke_all(
    http: &reqwest::Client,
    store: &dyn SecretStore,
    profile: &str,
    record: &SignInRecord,
    report: &mut SignOutReport,
) -> Result<(), OidcError> {
    let provider = Provider::discover(http, &record.issuer).await?;
    let Some(url) = provider.revocation_endpoint() else {
        report.revocation_note =
            Some("the provider offers no revocation; the tokens were deleted here".into());
        return Ok(());
    };
    let url = url.url().clone();
    // Discovery already refused such a provider; kept so no token can ever go in clear.
    if !crate::secure::may_carry_credentials(&url) {
        report.revocation_note = Some(
            "the provider's revocation endpoint is not HTTPS; the tokens were deleted here only"
                .into(),
        );
        return Ok(());
    }
    let secret = store.get(&client_secret_key(profile))?;
    for (slot, hint, label) in [
        (refresh_key(profile), "refresh_token", "refresh token"),
        (
            TokenSlot::Access.key(profile),
            "access_token",
            "access token",
        ),
    ] {
        let Some(token) = store.get(&slot)? else {
            continue;
        };
        match revoke_one(
            http,
            &url,
            &record.client_id,
            secret.as_ref(),
            &token,
            hint,
            &record.issuer,
        )
        .await
        {
            Ok(()) => report.revoked.push(label.into()),
            // RFC 7009 §2.2.1: e.g. self-contained (JWT) access tokens cannot be revoked; they run out.
            Err(OidcError::Denied { error, .. }) if error == "unsupported_token_type" => {
                report.revocation_note = Some(format!(
                    "the provider cannot revoke the {label}; it stops working when it expires"
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// RFC 7009: POST the token with a type hint; 200 means revoked (or already unknown).
async fn revoke_one(
    http: &reqwest::Client,
    url: &url::Url,
    client_id: &str,
    secret: Option<&SecretString>,
    token: &SecretString,
    hint: &str,
    issuer: &str,
) -> Result<(), OidcError> {
    let mut req = http.post(url.clone());
    let mut form = vec![
        ("token", token.expose().as_str()),
        ("token_type_hint", hint),
    ];
    match secret {
        Some(s) => req = req.basic_auth(client_id, Some(s.expose())),
        None => form.push(("client_id", client_id)),
    }
    let resp = req
        .form(&form)
        .send()
        .await
        .map_err(|e| OidcError::ProviderUnreachable {
            issuer: issuer.to_string(),
            detail: e.to_string(),
        })?;
    if resp.status().is_success() {
        return Ok(());
    }
    let status = resp.status();
    let body: serde_json::Value = crate::http::read_capped(resp, crate::http::ERROR_BODY_LIMIT)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    Err(OidcError::Denied {
        error: body
            .get("error")
            .and_then(|v| v.as_str())
            .unwrap_or("revocation failed")
            .to_string(),
        description: Some(format!("HTTP {status}")),
    })
}
