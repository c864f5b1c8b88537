//! `WWW-Authenticate` parsing against header shapes sent by real services, and the
//! choice the Skaha client and the auth relay make from them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use skyport_core::auth::challenge::{
    choose_challenge, login_routes, parse_challenges, parse_challenges_lenient, Challenge,
    ChallengeError, CredentialKind, HeldCredentials, Scheme, MAX_CHALLENGES, MAX_HEADER_BYTES,
    STANDARD_ID_CDP_PROXY, STANDARD_ID_OPENID, STANDARD_ID_TLS_WITH_PASSWORD,
};

/// CADC's services (cadc-rest `setAuthenticateHeaders`) as one header.
const CADC_ONE_HEADER: &str =
    "Bearer, ivoa_bearer standard_id=\"ivo://ivoa.net/sso#tls-with-password\", \
access_url=\"https://ws-cadc.canfar.net/ac/login\", ivoa_x509 \
standard_id=\"ivo://ivoa.net/std/CDP#proxy-1.0\", \
access_url=\"https://ws-cadc.canfar.net/cred/generate\", ivoa_x509";

/// The same challenges as separate headers, with the OpenID variant, as a client
/// receives them from an HTTP library that does not fold headers.
const CADC_SEPARATE: [&str; 6] = [
    "Bearer",
    "ivoa_bearer standard_id=\"ivo://ivoa.net/sso#tls-with-password\", access_url=\"https://ws-cadc.canfar.net/ac/login\"",
    "ivoa_bearer standard_id=\"ivo://ivoa.net/sso#OpenID\", access_url=\"https://ska-iam.stfc.ac.uk/\"",
    "ivoa_x509 standard_id=\"ivo://ivoa.net/std/CDP#proxy-1.0\", access_url=\"https://ws-cadc.canfar.net/cred/generate\"",
    "ivoa_x509",
    "Bearer error=\"insufficient_scope\", error_description=\"token not valid for this service\"",
];

fn all_held() -> HeldCredentials {
    HeldCredentials {
        certificate: true,
        token: true,
        cookie: true,
        password: true,
    }
}

#[test]
fn cadc_single_header() {
    let c = parse_challenges([CADC_ONE_HEADER]).unwrap();
    let schemes: Vec<_> = c.iter().map(|c| c.scheme.clone()).collect();
    assert_eq!(
        schemes,
        [
            Scheme::Bearer,
            Scheme::IvoaBearer,
            Scheme::IvoaX509,
            Scheme::IvoaX509
        ]
    );
    assert_eq!(c[1].standard_id(), Some(STANDARD_ID_TLS_WITH_PASSWORD));
    assert_eq!(c[2].standard_id(), Some(STANDARD_ID_CDP_PROXY));
    assert!(c[3].params.is_empty() && c[3].token68.is_none());
}

#[test]
fn cadc_separate_headers() {
    let c = parse_challenges(CADC_SEPARATE).unwrap();
    assert_eq!(c.len(), 6);
    assert_eq!(c[2].standard_id(), Some(STANDARD_ID_OPENID));
    assert_eq!(c[2].access_url(), Some("https://ska-iam.stfc.ac.uk/"));
    assert_eq!(c[5].param("error"), Some("insufficient_scope"));
    assert_eq!(
        c[5].param("ERROR_DESCRIPTION"),
        Some("token not valid for this service")
    );
}

#[test]
fn other_real_shapes() {
    // Gaia (AuthVO ivoa_cookie example).
    let gaia = parse_challenges([
        "ivoa_cookie standard_id=\"ivo://ivoa.net/sso#tls-with-password\", access_url=\"https://gea.esac.esa.int/tap-server/login\"",
    ])
    .unwrap();
    assert_eq!(gaia[0].scheme, Scheme::IvoaCookie);
    assert_eq!(
        gaia[0].access_url(),
        Some("https://gea.esac.esa.int/tap-server/login")
    );
    // AuthVO's BasicAA certificate example.
    let x = parse_challenges([
        "ivoa_x509 standard_id=\"ivo://ivoa.net/sso#BasicAA\", access_url=\"https://xyz.example.net/cert/generate\"",
    ])
    .unwrap();
    assert_eq!(x[0].standard_id(), Some("ivo://ivoa.net/sso#BasicAA"));
    // RFC 9110 §11.6.1 example: two challenges, one with a realm containing a comma.
    let rfc = parse_challenges([
        "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
    ])
    .unwrap();
    assert_eq!(rfc.len(), 2);
    assert_eq!(rfc[0].scheme, Scheme::Other("newauth".into()));
    assert_eq!(rfc[0].param("type"), Some("1"));
    assert_eq!(rfc[0].param("title"), Some("Login to \"apps\""));
    assert_eq!(rfc[1].realm(), Some("simple"));
    // RFC 6750 error form.
    let b = parse_challenges([
        "Bearer realm=\"example\", error=\"invalid_token\", error_description=\"The access token expired\"",
    ])
    .unwrap();
    assert_eq!(
        b[0].param("error_description"),
        Some("The access token expired")
    );
    // Negotiate with a token68, and an empty Negotiate.
    let n = parse_challenges([
        "Negotiate",
        "Negotiate YIIBzgYGKwYBBQUCoIIBwjCCAb4=, Basic realm=\"x\"",
    ])
    .unwrap();
    assert_eq!(n[0].token68, None);
    assert_eq!(
        n[1].token68.as_deref(),
        Some("YIIBzgYGKwYBBQUCoIIBwjCCAb4=")
    );
    assert_eq!(n[2].scheme, Scheme::Basic);
    // The AuthVO bearer-tokens branch proposal.
    let p = parse_challenges([
        "ivoa_bearer access_url=\"https://auth.example.org/.well-known/openid-configuration\"",
    ])
    .unwrap();
    assert_eq!(p[0].standard_id(), None);
    assert!(p[0].has_login());
}

#[test]
fn quoted_commas_escapes_and_whitespace() {
    let c = parse_challenges([
        "  ivoa_cookie\tstandard_id = \"a,b\\\\c\" ,\taccess_url=\"https://h/login?x=1,2\" , Basic realm=\"\"  ",
    ])
    .unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].standard_id(), Some("a,b\\c"));
    assert_eq!(c[0].access_url(), Some("https://h/login?x=1,2"));
    assert_eq!(c[1].realm(), Some(""));
}

#[test]
fn garbage_only_is_an_error_with_a_useful_message() {
    let e = parse_challenges(["\"just a string\""]).unwrap_err();
    let ChallengeError::Malformed {
        reason, position, ..
    } = &e
    else {
        panic!("expected a malformed-header error, got {e:?}");
    };
    assert!(reason.contains("scheme"), "{reason}");
    assert_eq!(*position, 0);
    let msg = e.to_string();
    assert!(
        msg.contains("WWW-Authenticate") && msg.contains("check the service URL"),
        "{msg}"
    );
}

#[test]
fn one_bad_challenge_does_not_hide_the_others() {
    let p = parse_challenges_lenient([
        "ivoa_x509 standard_id=\"unterminated",
        "Basic realm=\"a\" garbage, ivoa_x509",
        CADC_ONE_HEADER,
    ]);
    assert_eq!(p.skipped.len(), 2);
    assert_eq!(p.challenges.len(), 5);
    assert_eq!(p.challenges[0], Challenge::bare(Scheme::IvoaX509));
}

#[test]
fn never_panics_on_arbitrary_input() {
    let alphabet: Vec<char> = "aZ09 \t,=\"\\/+-_.~!#$%&'*^`|é\u{1}\u{7f}ivoa_x509Bearer"
        .chars()
        .collect();
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..20_000 {
        let len = rng.usize(0..60);
        let s: String = (0..len)
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect();
        let parsed = parse_challenges_lenient([s.as_str()]);
        for c in &parsed.challenges {
            // Whatever parsed re-serialises to something that parses the same.
            let again = parse_challenges([c.to_string().as_str()]).unwrap();
            assert_eq!(&again[0], c, "input {s:?}");
        }
    }
    // Every prefix of a real header.
    for cut in 0..=CADC_ONE_HEADER.len() {
        if let Some(prefix) = CADC_ONE_HEADER.get(..cut) {
            let _ = parse_challenges([prefix]);
        }
    }
}

#[test]
fn skaha_client_choice() {
    let c = parse_challenges(CADC_SEPARATE).unwrap();
    // Certificate beats token.
    let pick = choose_challenge(&c, &all_held()).unwrap();
    assert_eq!(pick.kind, CredentialKind::Certificate);
    // Token only (OIDC user): the plain Bearer challenge.
    let pick = choose_challenge(
        &c,
        &HeldCredentials {
            token: true,
            cookie: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(pick.kind, CredentialKind::Token);
    assert_eq!(pick.challenge.scheme, Scheme::Bearer);
    // Nothing held: login routes, certificate first, then tokens in header order.
    assert_eq!(choose_challenge(&c, &HeldCredentials::default()), None);
    let routes = login_routes(&c);
    let kinds: Vec<_> = routes.iter().map(|r| (r.kind, r.standard_id)).collect();
    assert_eq!(
        kinds,
        [
            (CredentialKind::Certificate, Some(STANDARD_ID_CDP_PROXY)),
            (CredentialKind::Token, Some(STANDARD_ID_TLS_WITH_PASSWORD)),
            (CredentialKind::Token, Some(STANDARD_ID_OPENID)),
        ]
    );
}

#[test]
fn relay_choice_for_cookie_and_basic_services() {
    let c = parse_challenges([
        "Basic realm=\"notebooks\"",
        "ivoa_cookie standard_id=\"ivo://ivoa.net/sso#tls-with-password\", access_url=\"https://h/login\"",
    ])
    .unwrap();
    let pick = choose_challenge(&c, &all_held()).unwrap();
    assert_eq!(pick.kind, CredentialKind::Cookie);
    let pick = choose_challenge(
        &c,
        &HeldCredentials {
            certificate: true,
            password: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(pick.kind, CredentialKind::Password);
    assert_eq!(pick.challenge.realm(), Some("notebooks"));
    // Unknown schemes are never chosen.
    let n = parse_challenges(["Negotiate abc==", "Digest realm=\"x\", nonce=\"y\""]).unwrap();
    assert_eq!(choose_challenge(&n, &all_held()), None);
    assert!(login_routes(&n).is_empty());
}

#[test]
fn oversized_headers_are_refused_whole_with_a_clear_error() {
    // 1 MiB of a pathological shape, and a cap crossed only by the headers together.
    let huge = "@,".repeat(1 << 19);
    let half = format!("Basic realm=\"{}\"", "x".repeat(MAX_HEADER_BYTES / 2));
    for values in [vec![huge.as_str()], vec![half.as_str(), half.as_str()]] {
        let len: usize = values.iter().map(|v| v.len()).sum();
        let p = parse_challenges_lenient(values.iter().copied());
        assert!(p.challenges.is_empty());
        assert_eq!(
            p.skipped,
            [ChallengeError::TooLong {
                len,
                max: MAX_HEADER_BYTES
            }]
        );
        let msg = parse_challenges(values).unwrap_err().to_string();
        assert!(
            msg.contains("WWW-Authenticate") && msg.contains("check the service URL"),
            "{msg}"
        );
    }
    // Right at the cap is still parsed.
    let fits = format!(
        "Basic realm=\"{}\"",
        "x".repeat(MAX_HEADER_BYTES - "Basic realm=\"\"".len())
    );
    assert_eq!(fits.len(), MAX_HEADER_BYTES);
    assert_eq!(parse_challenges([fits.as_str()]).unwrap().len(), 1);
}

#[test]
fn challenges_beyond_the_cap_are_not_parsed() {
    // Malformed ones count too: they cost work as well.
    let many = format!("@@, {}", "ivoa_x509, ".repeat(MAX_CHALLENGES));
    let p = parse_challenges_lenient([many.as_str(), "Bearer"]);
    assert_eq!(p.challenges.len(), MAX_CHALLENGES - 1);
    assert!(p.challenges.iter().all(|c| c.scheme == Scheme::IvoaX509));
    assert_eq!(p.skipped.len(), 2);
    assert!(matches!(p.skipped[0], ChallengeError::Malformed { .. }));
    assert_eq!(
        p.skipped[1],
        ChallengeError::TooMany {
            max: MAX_CHALLENGES
        }
    );
    assert!(p.skipped[1].to_string().contains("more than 64 challenges"));
    // The strict form keeps the challenges read before the cap, like any skipped part.
    assert_eq!(parse_challenges([many.as_str()]).unwrap(), p.challenges);
    // Malformed ones only: nothing parsed, so the first problem is the error.
    let junk = "@@, ".repeat(MAX_CHALLENGES + 1);
    assert!(matches!(
        parse_challenges([junk.as_str()]),
        Err(ChallengeError::Malformed { .. })
    ));
    // Exactly the cap is fine.
    let full = "ivoa_x509, ".repeat(MAX_CHALLENGES);
    assert_eq!(
        parse_challenges([full.as_str()]).unwrap().len(),
        MAX_CHALLENGES
    );
}
