//! Authentication as CADC services do it: `Authorization: Bearer` (opaque tokens from
//! `/ac/login`, fixed tokens, or JWTs from a trusted OIDC issuer), the `CADC_SSO` cookie,
//! and X.509 client certificates on the TLS listener. Failures answer 401 with the
//! `WWW-Authenticate` challenges CADC sends.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Deserialize;

use crate::clock::{to_chrono, Clock};
use crate::config::{OidcTrust, SimConfig};
use crate::errors::ApiError;
use crate::server::ConnInfo;

pub const SSO_COOKIE: &str = "CADC_SSO";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Token,
    Jwt,
    Cookie,
    Cert,
    Basic,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub user: String,
    pub method: Method,
}

/// What the request's credentials amount to.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    Anonymous,
    Ok(Identity),
    /// Credentials were presented but are not valid (reason for the challenge).
    Invalid(String),
}

#[derive(Debug, Clone)]
struct TokenEntry {
    user: String,
    expires: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct AuthState {
    passwords: HashMap<String, String>,
    tokens: RwLock<HashMap<String, TokenEntry>>,
    denied: HashSet<String>,
    token_lifetime: chrono::Duration,
    pub oidc: Option<OidcVerifier>,
}

impl AuthState {
    pub fn new(cfg: &SimConfig) -> Self {
        let tokens = cfg
            .tokens
            .iter()
            .map(|(t, u)| {
                (
                    t.clone(),
                    TokenEntry {
                        user: u.clone(),
                        expires: None,
                    },
                )
            })
            .collect();
        Self {
            passwords: cfg
                .users
                .iter()
                .map(|u| (u.name.clone(), u.password.clone()))
                .collect(),
            tokens: RwLock::new(tokens),
            denied: cfg.denied_users.iter().cloned().collect(),
            token_lifetime: to_chrono(cfg.token_lifetime),
            oidc: cfg.oidc.clone().map(OidcVerifier::new),
        }
    }

    pub fn check_password(&self, user: &str, password: &str) -> bool {
        self.passwords.get(user).is_some_and(|p| p == password)
    }

    pub fn is_denied(&self, user: &str) -> bool {
        self.denied.contains(user)
    }

    /// Mints an opaque token as `/ac/login` does (48 h of sim time).
    pub fn mint(&self, user: &str, clock: &Clock) -> String {
        let mut raw = [0u8; 24];
        rand::rng().fill_bytes(&mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let entry = TokenEntry {
            user: user.to_string(),
            expires: Some(clock.now() + self.token_lifetime),
        };
        self.tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), entry);
        token
    }

    pub fn add_fixed_token(&self, token: &str, user: &str) {
        self.tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                token.to_string(),
                TokenEntry {
                    user: user.to_string(),
                    expires: None,
                },
            );
    }

    fn check_opaque(&self, token: &str, clock: &Clock) -> Result<String, String> {
        let tokens = self.tokens.read().unwrap_or_else(|e| e.into_inner());
        match tokens.get(token) {
            None => Err("invalid token".to_string()),
            Some(e) => match e.expires {
                Some(exp) if clock.now() >= exp => Err("token expired".to_string()),
                _ => Ok(e.user.clone()),
            },
        }
    }

    async fn check_bearer(&self, token: &str, clock: &Clock) -> Result<Identity, String> {
        if token.matches('.').count() == 2 {
            return match &self.oidc {
                Some(v) => v.verify(token).await.map(|user| Identity {
                    user,
                    method: Method::Jwt,
                }),
                None => Err("invalid token".to_string()),
            };
        }
        self.check_opaque(token, clock).map(|user| Identity {
            user,
            method: Method::Token,
        })
    }

    /// Resolves the request's credentials. `allow_basic` is only set for the credential
    /// service, the one place CADC accepts HTTP Basic.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        conn: Option<&ConnInfo>,
        clock: &Clock,
        allow_basic: bool,
    ) -> AuthOutcome {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let Ok(value) = value.to_str() else {
                return AuthOutcome::Invalid("invalid authorization header".to_string());
            };
            let value = value.trim();
            let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
            let rest = rest.trim();
            if scheme.eq_ignore_ascii_case("bearer") {
                return match self.check_bearer(rest, clock).await {
                    Ok(id) => AuthOutcome::Ok(id),
                    Err(reason) => AuthOutcome::Invalid(reason),
                };
            }
            if scheme.eq_ignore_ascii_case("basic") && allow_basic {
                return match decode_basic(rest) {
                    Some((u, p)) if self.check_password(&u, &p) => AuthOutcome::Ok(Identity {
                        user: u,
                        method: Method::Basic,
                    }),
                    _ => AuthOutcome::Invalid("invalid username/password".to_string()),
                };
            }
            // Other schemes are not understood by CADC services: treated as absent.
        }
        if let Some(cookie) = sso_cookie(headers) {
            return match self.check_opaque(&cookie, clock) {
                Ok(user) => AuthOutcome::Ok(Identity {
                    user,
                    method: Method::Cookie,
                }),
                Err(reason) => AuthOutcome::Invalid(format!("{SSO_COOKIE} cookie: {reason}")),
            };
        }
        if let Some(cert) = conn.and_then(|c| c.client_cert.as_ref()) {
            return AuthOutcome::Ok(Identity {
                user: cert.user.clone(),
                method: Method::Cert,
            });
        }
        AuthOutcome::Anonymous
    }
}

fn decode_basic(b64: &str) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// The `CADC_SSO` cookie value, if any (quotes stripped).
pub fn sso_cookie(headers: &HeaderMap) -> Option<String> {
    for v in headers.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(';') {
            if let Some((k, val)) = part.trim().split_once('=') {
                if k.trim() == SSO_COOKIE {
                    let val = val.trim().trim_matches('"');
                    if !val.is_empty() {
                        return Some(val.to_string());
                    }
                }
            }
        }
    }
    None
}

/// The challenges a CADC service sends with a 401, relative to the origin that was asked
/// (the password and certificate ones only where those services exist).
pub fn challenges(origin: &str, cfg: &SimConfig) -> Vec<String> {
    let mut v = vec!["Bearer".to_string()];
    if cfg.password_services {
        v.push(format!(
            "ivoa_bearer standard_id=\"ivo://ivoa.net/sso#tls-with-password\", access_url=\"{origin}/ac/login\""
        ));
    }
    if let Some(o) = &cfg.oidc {
        v.push(format!(
            "ivoa_bearer standard_id=\"ivo://ivoa.net/sso#OpenID\", access_url=\"{}\"",
            o.issuer
        ));
    }
    if cfg.password_services {
        v.push(format!(
            "ivoa_x509 standard_id=\"ivo://ivoa.net/sso#BasicAA\", access_url=\"{origin}/cred/generate\""
        ));
        v.push("ivoa_x509".to_string());
    }
    v
}

/// Turns an outcome into an identity or the 401 the real service sends.
pub fn require(outcome: &AuthOutcome, origin: &str, cfg: &SimConfig) -> Result<Identity, ApiError> {
    match outcome {
        AuthOutcome::Ok(id) => Ok(id.clone()),
        AuthOutcome::Anonymous => Err(ApiError::NotAuthenticated {
            message: "authentication required".to_string(),
            token_error: None,
            challenges: challenges(origin, cfg),
        }),
        AuthOutcome::Invalid(reason) => Err(ApiError::NotAuthenticated {
            message: format!("authentication failed: {reason}"),
            token_error: Some(reason.clone()),
            challenges: challenges(origin, cfg),
        }),
    }
}

#[derive(Debug, Deserialize)]
struct Discovery {
    jwks_uri: String,
}

/// Verifies JWTs against the issuer's JWKS (signature, `iss`, `aud`, `exp`).
#[derive(Debug)]
pub struct OidcVerifier {
    pub trust: OidcTrust,
    http: reqwest::Client,
    keys: tokio::sync::Mutex<Option<(jsonwebtoken::jwk::JwkSet, Instant)>>,
}

impl OidcVerifier {
    pub fn new(trust: OidcTrust) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            trust,
            http,
            keys: tokio::sync::Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<jsonwebtoken::jwk::JwkSet, String> {
        let base = self.trust.issuer.trim_end_matches('/');
        let disc: Discovery = self
            .http
            .get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("OIDC discovery failed: {e}"))?
            .json()
            .await
            .map_err(|e| format!("OIDC discovery unreadable: {e}"))?;
        self.http
            .get(&disc.jwks_uri)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("JWKS fetch failed: {e}"))?
            .json()
            .await
            .map_err(|e| format!("JWKS unreadable: {e}"))
    }

    /// The JWK for `kid`, refetching the set (at most once a second) when it is unknown,
    /// so issuer key rotation is followed.
    async fn key_for(&self, kid: Option<&str>) -> Result<jsonwebtoken::jwk::Jwk, String> {
        let mut guard = self.keys.lock().await;
        let pick = |set: &jsonwebtoken::jwk::JwkSet| match kid {
            Some(k) => set.find(k).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        if let Some((set, _)) = guard.as_ref() {
            if let Some(k) = pick(set) {
                return Ok(k);
            }
        }
        let stale = guard
            .as_ref()
            .is_none_or(|(_, at)| at.elapsed() > Duration::from_secs(1));
        if stale {
            let set = self.fetch().await?;
            *guard = Some((set, Instant::now()));
        }
        guard
            .as_ref()
            .and_then(|(set, _)| pick(set))
            .ok_or_else(|| "unknown signing key".to_string())
    }

    pub async fn verify(&self, token: &str) -> Result<String, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| format!("invalid token: {e}"))?;
        let jwk = self.key_for(header.kid.as_deref()).await?;
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| format!("bad JWK: {e}"))?;
        let mut v = jsonwebtoken::Validation::new(header.alg);
        v.set_issuer(&[self.trust.issuer.as_str()]);
        v.set_audience(&[self.trust.audience.as_str()]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v.leeway = 5;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &key, &v).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        "token expired".to_string()
                    }
                    _ => format!("invalid token: {e}"),
                }
            })?;
        let claims = data.claims;
        claims
            .get("preferred_username")
            .and_then(|v| v.as_str())
            .or_else(|| claims.get("sub").and_then(|v| v.as_str()))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| "token has no subject".to_string())
    }
}
