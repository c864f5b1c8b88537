//! Provider discovery and the OIDC client built from it.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, ClientId, ClientSecret, DeviceAuthorizationUrl, IssuerUrl,
    ProviderMetadata, RevocationUrl,
};
use serde::{Deserialize, Serialize};

use super::error::{request_failed, OidcError};
use crate::http::{read_capped, BodyError, TOKEN_BODY_LIMIT};

/// Endpoints the core metadata type leaves out.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraMetadata {
    #[serde(default)]
    pub device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
    #[serde(default)]
    pub revocation_endpoint: Option<RevocationUrl>,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

pub type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// A discovered provider.
#[derive(Debug, Clone)]
pub struct Provider {
    pub issuer: String,
    pub metadata: Metadata,
}

/// The HTTP client for talking to the provider: no redirects (a redirect on a token
/// endpoint is never legitimate and following it opens the client to SSRF).
pub fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, OidcError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(crate::http::USER_AGENT)
        .use_rustls_tls()
        .build()
        .map_err(|e| OidcError::Other(format!("could not set up HTTPS for sign-in: {e}")))
}

/// The shared client as `openidconnect` calls it, reading every answer (discovery, keys,
/// tokens, registration) through [`read_capped`]: the crate's own `reqwest` adapter reads
/// bodies without any limit. Pass `&CappedHttp(http)` wherever the crate wants a client.
#[derive(Clone, Copy, Debug)]
pub struct CappedHttp<'a>(pub &'a reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for CappedHttp<'_> {
    type Error = BodyError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<openidconnect::HttpResponse, BodyError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let resp = self.0.execute(reqwest::Request::try_from(request)?).await?;
            let (status, version, headers) =
                (resp.status(), resp.version(), resp.headers().clone());
            let body = read_capped(resp, TOKEN_BODY_LIMIT).await?;
            // Assembled field by field: unlike `http::Response::builder` this cannot fail.
            let mut out = openidconnect::HttpResponse::new(body);
            *out.status_mut() = status;
            *out.version_mut() = version;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

impl Provider {
    /// Fetch `<issuer>/.well-known/openid-configuration` and the JWKS; the issuer in the
    /// document must equal the configured one exactly.
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Provider, OidcError> {
        let url = IssuerUrl::new(issuer.to_string()).map_err(|e| OidcError::Discovery {
            detail: format!("the issuer {issuer:?} is not a URL: {e}"),
        })?;
        crate::secure::require_secure(url.url(), "the sign-in provider")?;
        let metadata = Metadata::discover_async(url, &CappedHttp(http))
            .await
            .map_err(|e| discovery_error(issuer, e))?;
        let provider = Provider {
            issuer: issuer.to_string(),
            metadata,
        };
        provider.require_secure_endpoints()?;
        Ok(provider)
    }

    /// Every endpoint that receives a code, a token, a client secret or a refresh token
    /// must be HTTPS (loopback excepted): a provider document could name plain HTTP ones.
    fn require_secure_endpoints(&self) -> Result<(), OidcError> {
        use crate::secure::require_secure;
        let m = &self.metadata;
        let extra = m.additional_metadata();
        // The keys that verify ID tokens, and the page the user signs in on.
        require_secure(m.jwks_uri().url(), "the sign-in provider's keys")?;
        require_secure(
            m.authorization_endpoint().url(),
            "the sign-in provider's sign-in page",
        )?;
        if let Some(u) = m.token_endpoint() {
            require_secure(u.url(), "the sign-in provider's token endpoint")?;
        }
        if let Some(u) = m.userinfo_endpoint() {
            require_secure(u.url(), "the sign-in provider's user information endpoint")?;
        }
        if let Some(u) = m.registration_endpoint() {
            require_secure(u.url(), "the sign-in provider's registration endpoint")?;
        }
        if let Some(u) = &extra.device_authorization_endpoint {
            require_secure(u.url(), "the sign-in provider's device endpoint")?;
        }
        if let Some(u) = &extra.revocation_endpoint {
            require_secure(u.url(), "the sign-in provider's revocation endpoint")?;
        }
        Ok(())
    }

    /// A client for `client_id` (public unless a secret is given).
    pub fn client(&self, client_id: &str, secret: Option<&str>) -> super::Client {
        CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(client_id.to_string()),
            secret.map(|s| ClientSecret::new(s.to_string())),
        )
    }

    pub fn device_endpoint(&self) -> Option<DeviceAuthorizationUrl> {
        self.metadata
            .additional_metadata()
            .device_authorization_endpoint
            .clone()
    }

    pub fn revocation_endpoint(&self) -> Option<RevocationUrl> {
        self.metadata
            .additional_metadata()
            .revocation_endpoint
            .clone()
    }
}

fn discovery_error(issuer: &str, e: openidconnect::DiscoveryError<BodyError>) -> OidcError {
    match e {
        openidconnect::DiscoveryError::Request(re) => request_failed(issuer, &re),
        openidconnect::DiscoveryError::Validation(msg) if msg.contains("issuer") => {
            // openidconnect words it "unexpected issuer URI `X` (expected `Y`)".
            let found = msg.split('`').nth(1).unwrap_or("?").to_string();
            OidcError::IssuerMismatch {
                expected: issuer.to_string(),
                found,
            }
        }
        other => OidcError::Discovery {
            detail: other.to_string(),
        },
    }
}
