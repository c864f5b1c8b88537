//! What a service asks for, as the IVOA IAP/AuthVO drafts describe: an anonymous HEAD (GET
//! when HEAD is refused), every `WWW-Authenticate` challenge read — also the optional ones a
//! 200 may carry — and the credential that would answer them.

use serde::Serialize;
use url::Url;

use super::{Bound, Kind};
use crate::auth::challenge::{
    credential_for, parse_challenges_lenient, Challenge, CredentialKind, Scheme, PREFERENCE,
};

/// Same-origin redirects followed (`/tap` → `/tap/`); one to another origin ends the probe.
const MAX_HOPS: usize = 5;

/// Whether the service wants a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", rename = "AuthRequirement")]
pub enum Requirement {
    /// 2xx without challenges.
    None,
    /// 2xx with challenges: anonymous works, a credential shows more.
    Optional,
    /// 401 or 403.
    Required,
}

/// One challenge, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", rename = "OfferedChallenge")]
pub struct Offered {
    /// `ivoa_cookie`, `Bearer`, …
    pub scheme: String,
    pub access_url: Option<String>,
    pub standard_id: Option<String>,
    pub realm: Option<String>,
    /// The kinds of credential that answer it.
    pub kinds: Vec<Kind>,
}

/// What would be sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(
    rename_all = "camelCase",
    tag = "decision",
    rename = "CredentialVerdict"
)]
pub enum Decision {
    /// Nothing is asked for, and nothing is bound here.
    NotNeeded,
    /// This credential would be sent.
    Use { id: String, kind: Kind, why: String },
    /// Bound as anonymous: nothing is sent.
    Anonymous { id: String },
    /// None is bound here, but one of the user's is of a kind the service takes; it is not
    /// sent until it is bound here.
    Suggest { id: String, kind: Kind, how: String },
    /// None would do: what the service takes, and how to get one.
    Missing { how: Vec<String> },
}

/// A probe's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", rename = "ProbeReport")]
pub struct Report {
    /// The URL answered (after same-origin redirects).
    pub url: String,
    pub method: String,
    pub status: u16,
    pub requirement: Requirement,
    pub challenges: Vec<Offered>,
    /// Challenges that could not be read, in words.
    pub unreadable: Vec<String>,
    /// Where it sent the probe instead, when that is another origin (a login page, often).
    pub redirected_to: Option<String>,
    pub decision: Decision,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Vault(#[from] super::VaultError),
    #[error("{url} did not answer: {detail}. Check the address and your network.")]
    Unreachable { url: String, detail: String },
    #[error("{url} answered HTTP {status} with no challenge: it does not say what it accepts. Check the address.")]
    NoChallenge { url: String, status: u16 },
    #[error("{url} keeps redirecting to itself")]
    RedirectLoop { url: String },
}

impl crate::error::Coded for ProbeError {
    fn code(&self) -> crate::error::ErrorCode {
        use crate::error::ErrorCode;
        match self {
            Self::Vault(e) => e.code(),
            Self::Unreachable { .. } => ErrorCode::PlatformUnreachable,
            Self::NoChallenge { .. } | Self::RedirectLoop { .. } => ErrorCode::PlatformError,
        }
    }
}

/// The answer of an anonymous request, as [`classify`] reads it.
pub struct Answer {
    pub url: Url,
    pub method: &'static str,
    pub status: u16,
    pub challenges: Vec<Challenge>,
    pub unreadable: Vec<String>,
    /// A redirect to another origin, not followed.
    pub redirected_to: Option<String>,
}

/// Ask `url` anonymously (a client that follows no redirects): HEAD, then GET when HEAD is
/// refused (405, 501) or says nothing (400).
pub async fn ask(http: &reqwest::Client, url: &Url) -> Result<Answer, ProbeError> {
    let mut current = url.clone();
    for _ in 0..MAX_HOPS {
        let mut answer = None;
        for method in [reqwest::Method::HEAD, reqwest::Method::GET] {
            let resp = http
                .request(method.clone(), current.clone())
                .send()
                .await
                .map_err(|e| ProbeError::Unreachable {
                    url: current.to_string(),
                    detail: crate::http::short_cause(&e),
                })?;
            let refused = matches!(resp.status().as_u16(), 400 | 405 | 501);
            if method == reqwest::Method::HEAD && refused {
                continue;
            }
            answer = Some((method, resp));
            break;
        }
        let Some((method, resp)) = answer else {
            break;
        };
        let status = resp.status();
        let mut redirected_to = None;
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
                Some(n) if n.origin() != url.origin() => {
                    redirected_to = Some(n.origin().ascii_serialization());
                }
                _ => {}
            }
        }
        let values: Vec<&str> = resp
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let parsed = parse_challenges_lenient(values);
        return Ok(Answer {
            url: current,
            method: if method == reqwest::Method::HEAD {
                "HEAD"
            } else {
                "GET"
            },
            status: status.as_u16(),
            challenges: parsed.challenges,
            unreadable: parsed.skipped.iter().map(ToString::to_string).collect(),
            redirected_to,
        });
    }
    Err(ProbeError::RedirectLoop {
        url: url.to_string(),
    })
}

/// Probe `url` (with a client that follows no redirects) and say which of the user's
/// credentials would answer it: the CLI's `probe` and the app's "Test".
pub async fn check(
    http: &reqwest::Client,
    paths: &crate::paths::Paths,
    store: &dyn crate::keyring::SecretStore,
    url: &Url,
) -> Result<Report, ProbeError> {
    let answer = ask(http, url).await?;
    let bound = super::bound_to(paths, store, &answer.url)?;
    let others: Vec<(String, Kind, Option<String>)> = super::of_kind(paths, &Kind::ALL)?
        .into_iter()
        .filter(|(id, _)| !bound.iter().any(|b| b.id == *id))
        .map(|(id, r)| (id, r.kind, r.login_url))
        .collect();
    classify(answer, &bound, &others)
}

/// The kinds of the user's that answer a challenge.
fn kinds_for(c: &Challenge) -> Vec<Kind> {
    match credential_for(&c.scheme) {
        Some(k) => Kind::ALL
            .into_iter()
            .filter(|kind| kind.answers() == Some(k))
            .filter(|kind| {
                // A login challenge (`ivoa_bearer` with a password login) is answered by a
                // token from that login; a bare `Bearer`, by any token.
                !(c.scheme == Scheme::IvoaCookie && *kind != Kind::Cookie)
            })
            .collect(),
        None => vec![],
    }
}

fn offered(c: &Challenge) -> Offered {
    Offered {
        scheme: c.scheme.as_str().to_string(),
        access_url: c.access_url().map(str::to_string),
        standard_id: c.standard_id().map(str::to_string),
        realm: c.realm().map(str::to_string),
        kinds: kinds_for(c),
    }
}

/// Read an answer: what it requires, and which credential would answer it — the one bound
/// to the URL (most specific first), of a kind a challenge takes; else one of the user's of
/// such a kind that is not bound here (suggested, never sent); else how to get one.
pub fn classify(
    answer: Answer,
    bound: &[Bound],
    others: &[(String, Kind, Option<String>)],
) -> Result<Report, ProbeError> {
    let requirement = match answer.status {
        401 | 403 => Requirement::Required,
        200..=399 if answer.challenges.is_empty() => Requirement::None,
        200..=399 => Requirement::Optional,
        _ => Requirement::None,
    };
    if requirement == Requirement::Required && answer.challenges.is_empty() && answer.status == 401
    {
        return Err(ProbeError::NoChallenge {
            url: answer.url.to_string(),
            status: answer.status,
        });
    }
    let accepted = accepted(&answer.challenges);
    let decision = decide(&answer.challenges, &accepted, requirement, bound, others);
    Ok(Report {
        url: answer.url.to_string(),
        method: answer.method.to_string(),
        status: answer.status,
        requirement,
        challenges: answer.challenges.iter().map(offered).collect(),
        unreadable: answer.unreadable,
        redirected_to: answer.redirected_to,
        decision,
    })
}

/// Of the credentials bound to a URL (most specific first), the one to send: the most
/// secure kind the service takes (certificate, token, cookie, password); with no challenge
/// to go by, the most specific binding. None when the most specific is "anonymous". The
/// probe's answer and `curl`'s choice are this one rule.
pub fn pick<'a>(bound: &'a [Bound], accepted: &[CredentialKind]) -> Option<&'a Bound> {
    if bound.first()?.record.kind == Kind::Anonymous {
        return None;
    }
    if accepted.is_empty() {
        return bound.first();
    }
    PREFERENCE.iter().find_map(|want| {
        bound
            .iter()
            .find(|b| b.record.kind.answers() == Some(*want) && accepted.contains(want))
    })
}

/// The kinds of credential a set of challenges takes.
pub fn accepted(challenges: &[Challenge]) -> Vec<CredentialKind> {
    challenges
        .iter()
        .filter_map(|c| credential_for(&c.scheme))
        .collect()
}

fn decide(
    challenges: &[Challenge],
    accepted: &[CredentialKind],
    requirement: Requirement,
    bound: &[Bound],
    others: &[(String, Kind, Option<String>)],
) -> Decision {
    if let Some(b) = bound.first().filter(|b| b.record.kind == Kind::Anonymous) {
        return Decision::Anonymous { id: b.id.clone() };
    }
    if let Some(b) = pick(bound, accepted) {
        let why = format!(
            "bound to {}{}",
            b.scope,
            match (&b.profile, accepted.is_empty()) {
                (Some(p), _) => format!(" (platform {p})"),
                (None, true) => String::new(),
                (None, false) => format!("; the service takes a {}", b.record.kind.describe()),
            }
        );
        return Decision::Use {
            id: b.id.clone(),
            kind: b.record.kind,
            why,
        };
    }
    if requirement == Requirement::None {
        return Decision::NotNeeded;
    }
    // One of the user's of a kind taken here, bound elsewhere: say how to use it here. A
    // credential from the same login service as a challenge names comes first.
    let login_urls: Vec<&str> = challenges.iter().filter_map(|c| c.access_url()).collect();
    let takes = |k: Kind| k.answers().is_some_and(|a| accepted.contains(&a));
    let mut candidates: Vec<&(String, Kind, Option<String>)> =
        others.iter().filter(|(_, k, _)| takes(*k)).collect();
    candidates
        .sort_by_key(|(_, _, login)| !login.as_deref().is_some_and(|l| login_urls.contains(&l)));
    if let Some((id, kind, _)) = candidates.first() {
        return Decision::Suggest {
            id: id.clone(),
            kind: *kind,
            how: format!(
                "`{id}` is a {} the service takes, but it is not bound here; it is sent only where it is bound. Add it again with this origin among its --origin places if this service is to have it",
                kind.describe()
            ),
        };
    }
    Decision::Missing {
        how: challenges.iter().filter_map(how_to_get).collect(),
    }
}

/// How to get a credential that answers `c`, in words with the command.
fn how_to_get(c: &Challenge) -> Option<String> {
    let at = c.access_url();
    Some(match (&c.scheme, at) {
        (Scheme::IvoaX509, Some(u)) => format!(
            "a client certificate (ivoa_x509): get one at {u} (`skyport cert obtain --cred-url {u}`), then `skyport credentials add certificate --identity FILE --origin ORIGIN`"
        ),
        (Scheme::IvoaX509, None) => "a client certificate from a CA the service trusts (ivoa_x509): `skyport credentials add certificate --identity FILE --origin ORIGIN`".to_string(),
        (Scheme::IvoaCookie, Some(u)) => format!(
            "a login cookie (ivoa_cookie): log in at {u} with `skyport credentials add cookie --origin ORIGIN --login-url {u} --username U --password-stdin`"
        ),
        (Scheme::IvoaBearer, Some(u)) if c.standard_id() == Some(crate::auth::challenge::STANDARD_ID_OPENID) => format!(
            "a token from the OpenID provider {u} (ivoa_bearer): add the platform that uses it and sign in (`skyport login`)"
        ),
        (Scheme::IvoaBearer, Some(u)) => format!(
            "a token from the login at {u} (ivoa_bearer): `skyport credentials add cadc-token --origin ORIGIN --login-url {u} --username U --password-stdin`"
        ),
        (Scheme::Bearer | Scheme::IvoaBearer, _) => "a bearer token: `skyport credentials add bearer --origin ORIGIN --token-stdin`".to_string(),
        (Scheme::Basic, _) => "a username and password (Basic): `skyport credentials add basic --origin ORIGIN --username U --password-stdin`".to_string(),
        (Scheme::IvoaCookie, None) => return None,
        (Scheme::Other(_), _) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::challenge::parse_challenges_lenient;

    /// auth.md §9: what a CADC service's /capabilities answers to `curl --head`.
    pub(crate) const CADC_SET: [&str; 5] = [
        r#"ivoa_bearer standard_id="ivo://ivoa.net/sso#tls-with-password", access_url="https://ws-cadc.canfar.net/ac/login""#,
        r#"ivoa_bearer standard_id="ivo://ivoa.net/sso#OpenID", access_url="https://ws-cadc.canfar.net/ac""#,
        "Bearer",
        r#"ivoa_x509 standard_id="ivo://ivoa.net/sso#BasicAA", access_url="https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/cred/auth/priv""#,
        "ivoa_x509",
    ];

    fn answer(status: u16, headers: &[&str]) -> Answer {
        let parsed = parse_challenges_lenient(headers.iter().copied());
        Answer {
            url: Url::parse("https://ws-uv.canfar.net/arc/capabilities").expect("url"),
            method: "HEAD",
            status,
            challenges: parsed.challenges,
            unreadable: vec![],
            redirected_to: None,
        }
    }

    fn bound(id: &str, kind: Kind, scope: &str) -> Bound {
        Bound {
            id: id.into(),
            record: super::super::Record {
                kind,
                origins: vec![scope.into()],
                username: None,
                login_url: None,
                file: None,
                expires_at: None,
                added_at: chrono::Utc::now(),
            },
            scope: super::super::scope::Scope::parse(scope).expect("scope"),
            profile: None,
        }
    }

    #[test]
    fn cadcs_real_challenge_set_is_optional_and_takes_certificate_first() {
        let r = classify(answer(200, &CADC_SET), &[], &[]).expect("report");
        assert_eq!(r.requirement, Requirement::Optional);
        assert_eq!(r.challenges.len(), 5);
        assert_eq!(r.challenges[0].scheme, "ivoa_bearer");
        assert_eq!(
            r.challenges[0].access_url.as_deref(),
            Some("https://ws-cadc.canfar.net/ac/login")
        );
        // Nothing held: what the service takes, and how to get each.
        assert!(matches!(r.decision, Decision::Missing { .. }));
        let Decision::Missing { how } = &r.decision else {
            unreachable!()
        };
        assert!(
            how[0].contains("skyport credentials add cadc-token"),
            "{how:?}"
        );
        assert!(how.iter().any(|h| h.contains("skyport cert obtain --cred-url https://ws.cadc-ccda.hia-iha.nrc-cnrc.gc.ca/cred/auth/priv")), "{how:?}");

        // Both a token and a certificate bound: the certificate is the most secure.
        let both = [
            bound("tok", Kind::Bearer, "https://*.canfar.net"),
            bound("cert", Kind::Certificate, "https://*.canfar.net"),
        ];
        let r = classify(answer(401, &CADC_SET), &both, &[]).expect("report");
        assert_eq!(r.requirement, Requirement::Required);
        assert!(
            matches!(&r.decision, Decision::Use { id, kind: Kind::Certificate, .. } if id == "cert"),
            "{:?}",
            r.decision
        );
    }

    #[test]
    fn only_a_kind_the_service_takes_and_never_one_bound_elsewhere() {
        let basic_only = [r#"Basic realm="tap""#];
        let token_here = [bound("tok", Kind::Bearer, "https://ws-uv.canfar.net")];
        // A token is bound, but the service takes only Basic: not sent.
        let r = classify(answer(401, &basic_only), &token_here, &[]).expect("report");
        assert!(
            matches!(r.decision, Decision::Missing { .. }),
            "{:?}",
            r.decision
        );
        // A password bound elsewhere is suggested, not used.
        let others = [("elsewhere".to_string(), Kind::Basic, None)];
        let r = classify(answer(401, &basic_only), &token_here, &others).expect("report");
        assert!(
            matches!(&r.decision, Decision::Suggest { id, .. } if id == "elsewhere"),
            "{:?}",
            r.decision
        );
        // Explicitly anonymous wins over everything.
        let anon = [bound(
            "anon",
            Kind::Anonymous,
            "https://ws-uv.canfar.net/arc/",
        )];
        let r = classify(answer(401, &basic_only), &anon, &others).expect("report");
        assert!(matches!(r.decision, Decision::Anonymous { .. }));
        // 401 with no challenge at all: the service does not say what it takes.
        assert!(classify(answer(401, &[]), &[], &[]).is_err());
        // An open service with nothing bound.
        let r = classify(answer(200, &[]), &[], &others).expect("report");
        assert_eq!(r.decision, Decision::NotNeeded);
    }
}
