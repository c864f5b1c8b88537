//! ID-token validation against a real provider's tokens: the right token passes; a wrong
//! nonce, a wrong audience and an expired token are each rejected. Plus a keyring that
//! fails while saving a sign-in.

use std::time::Duration;

use chrono::Utc;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl, Scope};

use super::error::OidcError;
use super::provider::{http_client, Provider};
use super::tokens::{save_sign_in, tokens_from_response, TokenSet};
use crate::error::{Coded, ErrorCode};
use crate::keyring::{EntryKey, KeyringError, SecretStore};
use crate::secret::SecretString;
use crate::testsupport::{complete_login, start_oidc, Finish};

/// Sign in by hand and return the raw token response plus the nonce that was sent.
async fn raw_sign_in(
    provider: &Provider,
    client_id: &str,
) -> (openidconnect::core::CoreTokenResponse, Nonce) {
    let http = http_client(Duration::from_secs(10)).expect("http");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Answer the browser's final redirect so the scripted login completes.
    tokio::spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await;
        }
    });
    let client = provider.client(client_id, None).set_redirect_uri(
        RedirectUrl::new(format!("http://127.0.0.1:{port}/callback")).expect("redirect"),
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_prompt(CoreAuthPrompt::Consent)
        .set_pkce_challenge(challenge)
        .url();
    let callback = complete_login(url.as_str(), "alice", Finish::Deliver)
        .await
        .expect("scripted login");
    let code = url::Url::parse(&callback)
        .expect("callback url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    let resp = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("exchange");
    (resp, nonce)
}

#[tokio::test]
async fn id_token_checks_nonce_audience_and_expiry() {
    let Some(op) = start_oidc(60) else { return };
    let http = http_client(Duration::from_secs(10)).expect("http");
    let provider = Provider::discover(&http, &op.issuer)
        .await
        .expect("discover");
    let (resp, nonce) = raw_sign_in(&provider, &op.client_id).await;
    let client = provider.client(&op.client_id, None);

    let ok = tokens_from_response(&client.id_token_verifier(), &resp, Some(&nonce), Utc::now())
        .expect("valid token");
    assert_eq!(ok.identity.expect("identity").subject, "alice");

    let wrong_nonce = Nonce::new("not-the-nonce-we-sent".into());
    let err = tokens_from_response(
        &client.id_token_verifier(),
        &resp,
        Some(&wrong_nonce),
        Utc::now(),
    )
    .expect_err("nonce");
    assert!(matches!(err, OidcError::InvalidIdToken { .. }), "{err:?}");

    let other = provider.client("some-other-client", None);
    let err = tokens_from_response(&other.id_token_verifier(), &resp, Some(&nonce), Utc::now())
        .expect_err("audience");
    assert!(
        matches!(err, OidcError::InvalidIdToken { ref detail } if detail.to_lowercase().contains("audience")),
        "{err:?}"
    );

    let later = Utc::now() + chrono::Duration::hours(3);
    let verifier = client.id_token_verifier().set_time_fn(move || later);
    let err =
        tokens_from_response(&verifier, &resp, Some(&nonce), Utc::now()).expect_err("expired");
    assert!(
        matches!(err, OidcError::InvalidIdToken { ref detail } if detail.to_lowercase().contains("expire")),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::PermissionDenied);
}

/// A keyring that is there but refuses everything (locked, no collection).
struct LockedKeyring;
impl SecretStore for LockedKeyring {
    fn get_raw(&self, _: &EntryKey) -> Result<Option<String>, KeyringError> {
        Err(locked())
    }
    fn set_raw(&self, _: &EntryKey, _: &str) -> Result<(), KeyringError> {
        Err(locked())
    }
    fn delete_raw(&self, _: &EntryKey) -> Result<bool, KeyringError> {
        Err(locked())
    }
    fn describe(&self) -> String {
        "a locked keyring".into()
    }
}
fn locked() -> KeyringError {
    KeyringError::Unavailable {
        detail: "the collection is locked".into(),
        advice: crate::keyring::ADVICE,
    }
}

#[test]
fn a_locked_keyring_stops_the_sign_in_with_advice_and_writes_no_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let paths = crate::paths::Paths::under(dir.path().to_path_buf()).expect("paths");
    let tokens = TokenSet {
        access: SecretString::new("a".into()),
        refresh: None,
        expires_at: None,
        identity: None,
    };
    let err = save_sign_in(
        &paths,
        &LockedKeyring,
        "p",
        "https://issuer",
        "client",
        &tokens,
        Utc::now(),
    )
    .expect_err("locked");
    assert_eq!(err.code(), ErrorCode::KeyringUnavailable);
    assert!(
        err.to_string().contains("gnome-keyring") || !cfg!(target_os = "linux"),
        "{err}"
    );
    assert!(
        !paths.state_dir.join("auth/p.json").exists(),
        "nothing is recorded when the secret could not be kept"
    );
}
