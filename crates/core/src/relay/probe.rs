//! Before a session window opens: does its page want credentials?

use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

use crate::auth::challenge::{parse_challenges_lenient, Challenge};

use super::rewrite::origin_of;
use super::{upstream_client, RelayError, RelayOptions};

/// Same-origin redirects the probe follows (Jupyter sends `/` → `/lab`, ...).
const MAX_HOPS: usize = 5;

/// What the session page answered to an anonymous GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// 2xx or 3xx: the page opens without credentials (CANFAR: the session id in the URL
    /// is the only protection). Challenges on a 2xx mean authentication is optional.
    Open,
    /// 401/403 with `WWW-Authenticate` challenges: open it through the relay with a
    /// credential chosen by [`super::credential_for`].
    NeedsAuth { challenges: Vec<Challenge> },
}

/// A client fit for [`probe`]: no automatic redirects (so nothing is fetched from another
/// origin), no cookies, the same TLS trust as the relay.
pub fn probe_client(opts: &RelayOptions) -> Result<reqwest::Client, RelayError> {
    upstream_client(opts, None, false)
}

/// Probes a session URL with an anonymous GET.
///
/// Redirects within the URL's origin are followed (up to five); a redirect to another
/// origin means "open" (the shell shows that origin outside the relay). Pass a client
/// without automatic redirects, e.g. from [`probe_client`]; with one that follows them,
/// an answer from another origin also counts as open.
pub async fn probe(http: &reqwest::Client, url: &Url) -> Result<Probe, RelayError> {
    let origin = origin_of(url);
    let mut current = url.clone();
    for _ in 0..MAX_HOPS {
        let resp = http
            .get(current.clone())
            .send()
            .await
            .map_err(|e| RelayError::from_reqwest(&origin, e, None))?;
        let status = resp.status();
        if resp.url().origin() != url.origin() {
            return Ok(Probe::Open);
        }
        if status.is_redirection() {
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| current.join(l).ok());
            match next {
                Some(n) if n.origin() == url.origin() && n != current => {
                    current = n;
                    continue;
                }
                _ => return Ok(Probe::Open),
            }
        }
        if status.is_success() {
            return Ok(Probe::Open);
        }
        return classify(&origin, status, resp.headers());
    }
    // A same-origin redirect loop: the page itself never answered.
    Err(RelayError::RedirectLoop { origin })
}

fn classify(
    origin: &str,
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
) -> Result<Probe, RelayError> {
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        let values: Vec<&str> = headers
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let parsed = parse_challenges_lenient(values);
        if !parsed.challenges.is_empty() {
            return Ok(Probe::NeedsAuth {
                challenges: parsed.challenges,
            });
        }
        if let Some(e) = parsed.skipped.into_iter().next() {
            return Err(RelayError::BadChallenge(e));
        }
        let advice = if status == StatusCode::FORBIDDEN {
            "the platform does not let this account open the session; check that the session \
             is yours and that you are signed in to the right profile"
        } else {
            "the platform asks for a sign-in but does not say how (no WWW-Authenticate \
             challenge); report this to the platform's operators"
        };
        return Err(RelayError::Refused {
            origin: origin.to_string(),
            status: status.as_u16(),
            advice: advice.into(),
        });
    }
    if status == StatusCode::NOT_FOUND {
        return Err(RelayError::NotFound {
            origin: origin.to_string(),
        });
    }
    Err(RelayError::Upstream {
        origin: origin.to_string(),
        status: status.as_u16(),
    })
}

/// The default wait for the upstream's response headers.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
