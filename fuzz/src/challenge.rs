//! `WWW-Authenticate` challenges (`auth::challenge`): one header value per line.
//!
//! Properties: the lenient and strict parsers agree; error positions and excerpts stay
//! inside the input and printable; every challenge parsed re-serialises (`Display`) to
//! a header that parses back to the same challenge; the choice of challenge only ever
//! picks one the caller holds a credential for; login routes name the challenge's own
//! `access_url`.

use skyport_core::auth::challenge::{
    choose_challenge, credential_for, login_routes, parse_challenges, parse_challenges_lenient,
    vo_authenticated_identity, ChallengeError, CredentialKind, HeldCredentials, Scheme,
};

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\n').collect();
    let parsed = parse_challenges_lenient(values.iter().copied());

    match parse_challenges(values.iter().copied()) {
        Ok(c) => {
            assert_eq!(c, parsed.challenges);
            assert!(!c.is_empty() || parsed.skipped.is_empty());
        }
        Err(e) => {
            assert!(parsed.challenges.is_empty());
            assert_eq!(Some(&e), parsed.skipped.first());
        }
    }

    let longest = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
    for e in &parsed.skipped {
        if let ChallengeError::Malformed {
            position, excerpt, ..
        } = e
        {
            assert!(*position <= longest, "position {position} past the input");
            assert!(excerpt.chars().count() <= 80);
            assert!(!excerpt.chars().any(char::is_control));
        }
        let _ = e.to_string();
    }

    for c in &parsed.challenges {
        if let Scheme::Other(name) = &c.scheme {
            assert_eq!(name, &name.to_ascii_lowercase());
        }
        assert!(c.params.iter().all(|(n, _)| *n == n.to_ascii_lowercase()));
        assert!(c.token68.is_none() || c.params.is_empty());
        let shown = c.to_string();
        let again = parse_challenges([shown.as_str()])
            .unwrap_or_else(|e| panic!("{shown:?} (from {c:?}) does not parse again: {e}"));
        assert_eq!(again, vec![c.clone()], "round trip through {shown:?}");
    }

    for bits in 0u8..16 {
        let held = HeldCredentials {
            certificate: bits & 1 != 0,
            token: bits & 2 != 0,
            cookie: bits & 4 != 0,
            password: bits & 8 != 0,
        };
        if let Some(chosen) = choose_challenge(&parsed.challenges, &held) {
            let holds = match chosen.kind {
                CredentialKind::Certificate => held.certificate,
                CredentialKind::Token => held.token,
                CredentialKind::Cookie => held.cookie,
                CredentialKind::Password => held.password,
            };
            assert!(holds, "chose {:?} without holding it", chosen.kind);
            assert_eq!(credential_for(&chosen.challenge.scheme), Some(chosen.kind));
        } else {
            // Nothing chosen: then no challenge is answerable with what is held.
            assert!(
                bits == 0
                    || parsed.challenges.iter().all(|c| {
                        match credential_for(&c.scheme) {
                            Some(CredentialKind::Certificate) => !held.certificate,
                            Some(CredentialKind::Token) => !held.token,
                            Some(CredentialKind::Cookie) => !held.cookie,
                            Some(CredentialKind::Password) => !held.password,
                            None => true,
                        }
                    })
            );
        }
    }

    for route in login_routes(&parsed.challenges) {
        assert_eq!(Some(route.access_url), route.challenge.access_url());
        assert_eq!(route.standard_id, route.challenge.standard_id());
        assert_eq!(credential_for(&route.challenge.scheme), Some(route.kind));
    }

    let who = vo_authenticated_identity(Some(&text));
    assert!(who.is_none_or(|w| !w.is_empty() && w == w.trim()));
}
