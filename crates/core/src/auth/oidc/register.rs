//! Dynamic client registration (RFC 7591), as SRCNet's IAM expects of new clients.

use openidconnect::core::{
    CoreApplicationType, CoreClientAuthMethod, CoreClientRegistrationRequest, CoreGrantType,
};
use openidconnect::registration::{ClientRegistrationError, EmptyAdditionalClientMetadata};
use openidconnect::{ClientName, RedirectUrl};

use super::error::{request_failed, OidcError};
use super::provider::{CappedHttp, Provider};
use crate::secret::SecretString;

/// A registered client.
#[derive(Debug, Clone)]
pub struct Registered {
    pub client_id: String,
    pub client_secret: Option<SecretString>,
}

/// Register Skyport as a native, public client with a loopback redirect.
pub async fn register_client(
    http: &reqwest::Client,
    provider: &Provider,
    hostname: &str,
) -> Result<Registered, OidcError> {
    let endpoint =
        provider
            .metadata
            .registration_endpoint()
            .cloned()
            .ok_or(OidcError::Unsupported {
                what: "dynamic client registration",
                advice: "Set a client id for this profile (ask the platform's support for one).",
            })?;
    let redirect = RedirectUrl::new("http://127.0.0.1/callback".into())
        .map_err(|e| OidcError::Other(e.to_string()))?;
    let name = format!(
        "Skyport @ {hostname} {}",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    let resp = CoreClientRegistrationRequest::new(vec![redirect], EmptyAdditionalClientMetadata {})
        .set_application_type(Some(CoreApplicationType::Native))
        .set_grant_types(Some(vec![
            CoreGrantType::AuthorizationCode,
            CoreGrantType::RefreshToken,
            CoreGrantType::DeviceCode,
        ]))
        .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::None))
        .set_client_name(Some(
            vec![(None, ClientName::new(name))].into_iter().collect(),
        ))
        .register_async(&endpoint, &CappedHttp(http))
        .await
        .map_err(|e| match e {
            ClientRegistrationError::Request(re) => request_failed(&provider.issuer, &re),
            e => OidcError::Denied {
                error: "registration refused".into(),
                description: Some(e.to_string()),
            },
        })?;
    Ok(Registered {
        client_id: resp.client_id().to_string(),
        client_secret: resp
            .client_secret()
            .map(|s| SecretString::new(s.secret().clone())),
    })
}
