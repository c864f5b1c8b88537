//! CADC-style password sign-in: `POST <login_url>` with the form fields `username` and
//! `password` (the `ac` service's `/ac/login`). The answer's body is the token; it is also
//! in the `X-VO-Bearer` header, and `X-VO-Authenticated` names the user. The token works
//! as a bearer token on Skaha and as the `CADC_SSO` cookie value.
//!
//! The password is sent once and never logged; the token comes back as a [`SecretString`].

use std::time::Duration;

use url::Url;

use crate::error::{Coded, ErrorCode};
use crate::http::{
    read_capped, read_error_text, text_lossy, BodyError, ByteSize, TOKEN_BODY_LIMIT,
};
use crate::platform::ServiceUrl;
use crate::secret::SecretString;

/// CANFAR's login service; its Skaha service lives on another host.
pub const CANFAR_LOGIN_URL: &str = "https://ws-cadc.canfar.net/ac/login";

/// The answer of a successful sign-in.
#[derive(Debug)]
pub struct PasswordLogin {
    pub token: SecretString,
    /// The user the service says signed in (`X-VO-Authenticated`), when it says.
    pub user: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordLoginError {
    #[error(transparent)]
    Insecure(#[from] crate::secure::InsecureUrl),
    #[error("wrong username or password for {url}; check them and try again")]
    BadCredentials { url: String },
    #[error("the sign-in service at {url} rejected the request ({message})")]
    Rejected { url: String, message: String },
    #[error("there is no sign-in service at {url} (HTTP {status}); set the profile's login URL (`skyport profiles add NAME URL --login-url https://.../ac/login`)")]
    NoService { url: String, status: u16 },
    #[error("the sign-in service at {url} is temporarily unavailable{}; try again shortly", crate::http::retry_hint(.retry_after))]
    Unavailable {
        url: String,
        retry_after: Option<Duration>,
    },
    #[error(
        "the sign-in service at {url} could not be reached ({detail}); check your network or VPN"
    )]
    Unreachable { url: String, detail: String },
    #[error("the sign-in service at {url} did not answer in time; try again")]
    Timeout { url: String },
    #[error("the sign-in service at {url} failed with HTTP {status} ({message}); try again, and if it persists report it to the platform's support")]
    Server {
        url: String,
        status: u16,
        message: String,
    },
    #[error("the sign-in service at {url} answered without a token; is this really a CADC-style login URL?")]
    NoToken { url: String },
    #[error("the sign-in service at {url} answered with more than {limit}, which is not a token, so it was not read; is this really a CADC-style login URL?")]
    TooLarge { url: String, limit: ByteSize },
    #[error("{0}")]
    Invalid(String),
}

impl Coded for PasswordLoginError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::BadCredentials { .. } => ErrorCode::SignInNeeded,
            Self::Rejected { .. } | Self::Invalid(_) => ErrorCode::Validation,
            Self::NoService { .. } | Self::Insecure(_) => ErrorCode::Config,
            Self::Unavailable { .. } => ErrorCode::PlatformUnavailable,
            Self::Unreachable { .. } => ErrorCode::PlatformUnreachable,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Server { .. } | Self::NoToken { .. } | Self::TooLarge { .. } => {
                ErrorCode::PlatformError
            }
        }
    }
}

/// The login URL to use when a profile names none: CANFAR's for `*.canfar.net`, else
/// `/ac/login` on the Skaha service's own host.
pub fn default_login_url(service: &ServiceUrl) -> Url {
    crate::platform::companion_url(service, CANFAR_LOGIN_URL, "/ac/login")
}

/// Parse a login URL given by a person or a profile.
pub fn parse_login_url(input: &str) -> Result<Url, PasswordLoginError> {
    crate::platform::parse_http_url(input, "the login URL", CANFAR_LOGIN_URL)
        .map_err(|e| PasswordLoginError::Invalid(e.0))
}

/// Short, single-line text of an error body.
fn body_message(body: &str, status: u16) -> String {
    crate::skaha::error::clean_message(body, status)
}

/// Sign in with a username and password.
pub async fn login(
    http: &reqwest::Client,
    login_url: &Url,
    username: &str,
    password: &SecretString,
) -> Result<PasswordLogin, PasswordLoginError> {
    let answer = login_answer(http, login_url, LoginStyle::Form, username, password).await?;
    let url = login_url.to_string();
    Ok(PasswordLogin {
        token: answer.token.ok_or(PasswordLoginError::NoToken { url })?,
        user: answer.user,
    })
}

/// How a login service takes the username and password (a challenge's `standard_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginStyle {
    /// `ivo://ivoa.net/sso#tls-with-password`: POST them as a form (the default).
    Form,
    /// `ivo://ivoa.net/sso#BasicAA`: GET with HTTP Basic.
    Basic,
}

impl LoginStyle {
    pub fn from_standard_id(id: Option<&str>) -> LoginStyle {
        match id {
            Some(crate::auth::challenge::STANDARD_ID_BASIC_AA) => LoginStyle::Basic,
            _ => LoginStyle::Form,
        }
    }
}

/// Everything a successful login answered: a token (body or `X-VO-Bearer`), cookies.
#[derive(Default)]
pub struct LoginAnswer {
    pub token: Option<SecretString>,
    /// `name=value` of each `Set-Cookie` (attributes dropped: the caller keeps cookies only
    /// for the places the credential is bound to).
    pub cookies: Vec<(String, String)>,
    pub user: Option<String>,
}

impl std::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cookie values are credentials: only their names.
        let names: Vec<&str> = self.cookies.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("LoginAnswer")
            .field("token", &self.token)
            .field("cookies", &names)
            .field("user", &self.user)
            .finish()
    }
}

/// Log in at `login_url` (IVOA `tls-with-password` or `BasicAA`, no redirect followed).
pub async fn login_answer(
    http: &reqwest::Client,
    login_url: &Url,
    style: LoginStyle,
    username: &str,
    password: &SecretString,
) -> Result<LoginAnswer, PasswordLoginError> {
    crate::secure::require_secure(login_url, "the sign-in service")?;
    let url = login_url.to_string();
    let username = username.trim();
    if username.is_empty() {
        return Err(PasswordLoginError::Invalid(
            "a username is needed to sign in".into(),
        ));
    }
    if password.expose().is_empty() {
        return Err(PasswordLoginError::Invalid(
            "a password is needed to sign in".into(),
        ));
    }
    tracing::debug!(%url, user = %username, "password sign-in");
    let request = match style {
        LoginStyle::Form => http
            .post(login_url.clone())
            .form(&[("username", username), ("password", password.expose())]),
        LoginStyle::Basic => http
            .get(login_url.clone())
            .basic_auth(username, Some(password.expose())),
    };
    let resp = request
        .header("Accept", "text/plain")
        .send()
        .await
        .map_err(|e| transport(&url, &e))?;
    let status = resp.status();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let header_token = header("x-vo-bearer");
    let user = header("x-vo-authenticated");
    let cookies: Vec<(String, String)> = resp
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .filter(|(n, _)| !n.is_empty())
        .collect();
    let retry_after = crate::http::retry_after(resp.headers());
    let body = if status.is_success() {
        match read_capped(resp, TOKEN_BODY_LIMIT).await {
            Ok(body) => text_lossy(body),
            Err(BodyError::TooLarge { limit }) => {
                return Err(PasswordLoginError::TooLarge { url, limit })
            }
            Err(BodyError::Transport(e)) => return Err(transport(&url, &e)),
        }
    } else {
        read_error_text(resp)
            .await
            .map_err(|e| transport(&url, &e))?
    };
    match status.as_u16() {
        200..=299 => {}
        // A login form that answers with a redirect (to the page it came from) and sets its
        // cookie has logged in: the redirect is not followed.
        300..=399 if !cookies.is_empty() => {}
        401 | 403 => return Err(PasswordLoginError::BadCredentials { url }),
        400 => {
            return Err(PasswordLoginError::Rejected {
                message: body_message(&body, 400),
                url,
            })
        }
        404 | 405 => {
            return Err(PasswordLoginError::NoService {
                url,
                status: status.as_u16(),
            })
        }
        503 => return Err(PasswordLoginError::Unavailable { url, retry_after }),
        s => {
            return Err(PasswordLoginError::Server {
                message: body_message(&body, s),
                url,
                status: s,
            })
        }
    }
    // The header names the token; a CADC login also puts it in the body (and the body is
    // all there is when a proxy ate the header). A cookie login's body is a page.
    let from_body = body.trim();
    let token = header_token.filter(|t| looks_like_token(t)).or_else(|| {
        (!from_body.is_empty() && looks_like_token(from_body)).then(|| from_body.to_string())
    });
    Ok(LoginAnswer {
        token: token.map(SecretString::new),
        cookies,
        user,
    })
}

/// A token is one line of printable characters (an HTML page is not a token).
fn looks_like_token(s: &str) -> bool {
    s.len() <= 16 * 1024 && !s.starts_with('<') && s.chars().all(|c| c.is_ascii_graphic())
}

fn transport(url: &str, e: &reqwest::Error) -> PasswordLoginError {
    if e.is_timeout() {
        return PasswordLoginError::Timeout {
            url: url.to_string(),
        };
    }
    let detail = crate::http::cause_chain(e);
    PasswordLoginError::Unreachable {
        url: url.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_login_urls() {
        let canfar = ServiceUrl::parse("https://ws-uv.canfar.net/skaha").expect("url");
        assert_eq!(default_login_url(&canfar).as_str(), CANFAR_LOGIN_URL);
        let local = ServiceUrl::parse("http://127.0.0.1:8080/skaha/v1").expect("url");
        assert_eq!(
            default_login_url(&local).as_str(),
            "http://127.0.0.1:8080/ac/login"
        );
        assert!(parse_login_url("ftp://x/ac/login").is_err());
        assert!(parse_login_url("not a url").is_err());
    }

    #[test]
    fn tokens_are_single_printable_lines() {
        assert!(looks_like_token("abc-DEF_123.xyz="));
        assert!(!looks_like_token("<html>"));
        assert!(!looks_like_token("two words"));
    }
}
