//! Device authorization (RFC 8628): sign in on another device or browser with a code.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use openidconnect::core::CoreDeviceAuthorizationResponse;
use openidconnect::Scope;
use serde::Serialize;

use super::error::{from_request, OidcError};
use super::provider::{CappedHttp, Provider};
use super::tokens::{tokens_from_response, TokenSet};

/// What to show the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DevicePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The URI with the code filled in, when the provider offers one.
    pub verification_uri_complete: Option<String>,
    pub expires_in_secs: u64,
}

/// What a device sign-in needs.
pub struct DeviceSignIn<'a> {
    pub provider: &'a Provider,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub scopes: &'a [String],
}

/// Run the device flow. `show` displays the code; `sleep` waits between polls (injected so
/// tests need not wait); `cancel` resolves on Cancel.
pub async fn device_sign_in<S, SF>(
    http: &reqwest::Client,
    req: DeviceSignIn<'_>,
    show: impl FnOnce(&DevicePrompt),
    sleep: S,
    cancel: impl Future<Output = ()>,
) -> Result<TokenSet, OidcError>
where
    S: Fn(Duration) -> SF,
    SF: Future<Output = ()>,
{
    let DeviceSignIn {
        provider,
        client_id,
        client_secret,
        scopes,
    } = req;
    let url = provider.device_endpoint().ok_or(OidcError::Unsupported {
        what: "device-code sign-in",
        advice: "Use the browser sign-in instead.",
    })?;
    let client = provider
        .client(client_id, client_secret)
        .set_device_authorization_url(url);
    let http = &CappedHttp(http);
    let mut req = client.exchange_device_code();
    for s in scopes {
        req = req.add_scope(Scope::new(s.clone()));
    }
    let details: CoreDeviceAuthorizationResponse = req
        .request_async(http)
        .await
        .map_err(|e| from_request(&provider.issuer, e, false))?;
    show(&DevicePrompt {
        user_code: details.user_code().secret().clone(),
        verification_uri: details.verification_uri().to_string(),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| u.secret().clone()),
        expires_in_secs: details.expires_in().as_secs(),
    });
    let poll = async {
        // The crate polls at the given interval (default 5 s), adds 5 s on slow_down and
        // stops when the code expires.
        client
            .exchange_device_access_token(&details)
            .map_err(|e| OidcError::Other(e.to_string()))?
            .request_async(http, sleep, None)
            .await
            .map_err(|e| match from_request(&provider.issuer, e, false) {
                OidcError::Denied { error, .. } if error == "expired_token" => OidcError::Timeout,
                other => other,
            })
    };
    let resp = tokio::select! {
        r = poll => r?,
        _ = cancel => return Err(OidcError::Cancelled),
    };
    let verifier = client.id_token_verifier();
    tokens_from_response(&verifier, &resp, None, Utc::now())
}
