//! `WWW-Authenticate` challenge parsing (RFC 9110 §11) and the choice of which
//! challenge to answer.
//!
//! IVOA services (CADC, Skaha, TAP services) announce how a client may authenticate in
//! `WWW-Authenticate` headers. A response may carry several such headers, each of which
//! may hold several comma-separated challenges:
//!
//! ```text
//! WWW-Authenticate: Bearer, ivoa_bearer standard_id="ivo://ivoa.net/sso#tls-with-password",
//!     access_url="https://ws-cadc.canfar.net/ac/login", ivoa_x509
//! ```
//!
//! The grammar (RFC 9110 §11.2–11.3, plus the list rule of §5.6.1):
//!
//! ```text
//! challenge  = auth-scheme [ 1*SP ( token68 / [ auth-param *( OWS "," OWS auth-param ) ] ) ]
//! auth-param = token BWS "=" BWS ( token / quoted-string )
//! token68    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! Because both challenges and parameters are separated by commas, a name followed by
//! `=` after a comma continues the current challenge's parameters; anything else starts
//! a new challenge. Scheme and parameter names are case-insensitive: parameter names are
//! stored lower-cased, and schemes are mapped onto [`Scheme`].
//!
//! Parsing is lenient the way TOPCAT's is: one malformed challenge is skipped and the
//! others are kept. [`parse_challenges`] reports an error only when nothing at all could
//! be understood; [`parse_challenges_lenient`] also returns what was skipped, for logging.
//!
//! The module is shared by the Skaha client and by the loopback auth relay that serves
//! embedded session windows, so it knows nothing about HTTP clients: callers pass the
//! header values as strings.

use std::fmt;

/// `standard_id` for HTTP Basic login at `access_url` (IVOA SSO).
pub const STANDARD_ID_BASIC_AA: &str = "ivo://ivoa.net/sso#BasicAA";
/// `standard_id` for a form POST of `username` and `password` to `access_url` (IVOA SSO).
pub const STANDARD_ID_TLS_WITH_PASSWORD: &str = "ivo://ivoa.net/sso#tls-with-password";
/// `standard_id` CADC uses for an OpenID Connect issuer.
pub const STANDARD_ID_OPENID: &str = "ivo://ivoa.net/sso#OpenID";
/// `standard_id` of CADC's certificate-delegation (`cred`) service.
pub const STANDARD_ID_CDP_PROXY: &str = "ivo://ivoa.net/std/CDP#proxy-1.0";

/// Longest part of a header value quoted back in an error message.
const EXCERPT_CHARS: usize = 80;

/// An authentication scheme name. Matching is case-insensitive (RFC 9110 §11.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// RFC 6750 `Bearer`.
    Bearer,
    /// RFC 7617 `Basic`.
    Basic,
    /// IVOA `ivoa_bearer`: a bearer token obtained from `access_url`.
    IvoaBearer,
    /// IVOA `ivoa_x509`: a client certificate, optionally obtainable from `access_url`.
    IvoaX509,
    /// IVOA `ivoa_cookie`: a cookie obtained from `access_url`.
    IvoaCookie,
    /// Any other scheme (`Negotiate`, `Digest`, ...), lower-cased.
    Other(String),
}

impl Scheme {
    /// Maps a scheme name (any case) onto a [`Scheme`].
    pub fn from_name(name: &str) -> Scheme {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "bearer" => Scheme::Bearer,
            "basic" => Scheme::Basic,
            "ivoa_bearer" => Scheme::IvoaBearer,
            "ivoa_x509" => Scheme::IvoaX509,
            "ivoa_cookie" => Scheme::IvoaCookie,
            _ => Scheme::Other(lower),
        }
    }

    /// The canonical spelling: `Bearer`, `Basic`, `ivoa_bearer`, ... or the lower-cased
    /// name of another scheme.
    pub fn as_str(&self) -> &str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::Basic => "Basic",
            Scheme::IvoaBearer => "ivoa_bearer",
            Scheme::IvoaX509 => "ivoa_x509",
            Scheme::IvoaCookie => "ivoa_cookie",
            Scheme::Other(name) => name,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One challenge: a scheme with either auth-params or a token68.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The authentication scheme.
    pub scheme: Scheme,
    /// Parameters in the order received; names lower-cased, values unquoted and
    /// unescaped.
    pub params: Vec<(String, String)>,
    /// The token68 form (`Negotiate abc==`), when the challenge uses it.
    pub token68: Option<String>,
}

impl Challenge {
    /// A challenge with no parameters (`ivoa_x509`, `Bearer`).
    pub fn bare(scheme: Scheme) -> Challenge {
        Challenge {
            scheme,
            params: Vec::new(),
            token68: None,
        }
    }

    /// The value of the first parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The IVOA `standard_id` parameter: how to log in at [`Challenge::access_url`].
    pub fn standard_id(&self) -> Option<&str> {
        self.param("standard_id")
    }

    /// The IVOA `access_url` parameter: where to log in.
    pub fn access_url(&self) -> Option<&str> {
        self.param("access_url")
    }

    /// The `realm` parameter.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// True when the challenge names a login endpoint (`access_url`), i.e. the client can
    /// obtain a credential there rather than having to hold one already.
    pub fn has_login(&self) -> bool {
        self.access_url().is_some()
    }
}

impl fmt::Display for Challenge {
    /// Re-serialises the challenge in header syntax (values always quoted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        if let Some(t) = &self.token68 {
            return write!(f, " {t}");
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{name}=\"")?;
            for c in value.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// Why a `WWW-Authenticate` value could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// Some header text was present but no challenge in it could be parsed.
    #[error(
        "the server's WWW-Authenticate header could not be understood ({reason} at \
         character {position} of \"{excerpt}\"). Skyport cannot tell how to sign in to \
         this service: check the service URL in the profile, or report the header to the \
         service's operators."
    )]
    Malformed {
        /// What was wrong.
        reason: &'static str,
        /// Character offset (0-based) in the header value.
        position: usize,
        /// The start of the offending header value (control characters replaced).
        excerpt: String,
    },
}

/// The result of lenient parsing: what was understood and what was skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedChallenges {
    /// Challenges in header order.
    pub challenges: Vec<Challenge>,
    /// One entry per malformed challenge that was skipped.
    pub skipped: Vec<ChallengeError>,
}

/// Parses `WWW-Authenticate` header values, keeping every challenge that parses and
/// recording the malformed ones in [`ParsedChallenges::skipped`].
pub fn parse_challenges_lenient<'a>(values: impl IntoIterator<Item = &'a str>) -> ParsedChallenges {
    let mut out = ParsedChallenges::default();
    for value in values {
        Parser::new(value).parse_into(&mut out);
    }
    out
}

/// Parses `WWW-Authenticate` header values (one string per header; each may hold
/// several challenges).
///
/// Lenient: a malformed challenge is skipped. An error is returned only when header text
/// was present and nothing in it parsed. Headers that are empty or blank give `Ok` with
/// no challenges.
pub fn parse_challenges<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Challenge>, ChallengeError> {
    let parsed = parse_challenges_lenient(values);
    if parsed.challenges.is_empty() {
        if let Some(first) = parsed.skipped.into_iter().next() {
            return Err(first);
        }
    }
    Ok(parsed.challenges)
}

/// Parses the value of an `X-VO-Authenticated` response header: the identity the
/// service recognised. Returns `None` for a missing or blank value.
pub fn vo_authenticated_identity(value: Option<&str>) -> Option<String> {
    let v = value?.trim();
    if v.is_empty() {
        None
    } else {
        Some(v.to_string())
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

fn is_ows(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
}

type Step<T> = Result<T, (&'static str, usize)>;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            s: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and empty list elements (`, ,`).
    fn skip_separators(&mut self) {
        while self.peek().is_some_and(|c| is_ows(c) || c == b',') {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos > start {
            self.text.get(start..self.pos)
        } else {
            None
        }
    }

    fn error(&self, reason: &'static str, position: usize) -> ChallengeError {
        let excerpt: String = self
            .text
            .chars()
            .take(EXCERPT_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let char_position = self
            .text
            .get(..position.min(self.text.len()))
            .map_or(position, |p| p.chars().count());
        ChallengeError::Malformed {
            reason,
            position: char_position,
            excerpt,
        }
    }

    fn parse_into(&mut self, out: &mut ParsedChallenges) {
        loop {
            self.skip_separators();
            if self.peek().is_none() {
                return;
            }
            let start = self.pos;
            match self.challenge() {
                Ok(c) => out.challenges.push(c),
                Err((reason, at)) => {
                    out.skipped.push(self.error(reason, at));
                    self.pos = start;
                    self.recover();
                }
            }
        }
    }

    /// After a malformed challenge: skip to the next top-level comma, then skip any
    /// `name=value` elements that still belong to the broken challenge.
    fn recover(&mut self) {
        self.skip_to_comma();
        loop {
            self.skip_separators();
            let save = self.pos;
            if self.token().is_some() {
                self.skip_ows();
                if self.peek() == Some(b'=') {
                    self.skip_to_comma();
                    continue;
                }
            }
            self.pos = save;
            return;
        }
    }

    /// Moves past the next comma that is outside a quoted string (or to the end).
    fn skip_to_comma(&mut self) {
        let mut in_quotes = false;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'\\' if in_quotes => self.pos += 1,
                b'"' => in_quotes = !in_quotes,
                b',' if !in_quotes => return,
                _ => {}
            }
        }
        self.pos = self.pos.min(self.s.len());
    }

    fn challenge(&mut self) -> Step<Challenge> {
        let scheme_at = self.pos;
        let scheme = self
            .token()
            .ok_or(("expected an authentication scheme name", scheme_at))?;
        let mut challenge = Challenge::bare(Scheme::from_name(scheme));
        // The scheme must be followed by the end, a comma, or at least one space.
        match self.peek() {
            None | Some(b',') => return Ok(challenge),
            Some(c) if is_ows(c) => {}
            Some(_) => return Err(("unexpected character after the scheme name", self.pos)),
        }
        self.skip_ows();
        match self.peek() {
            None | Some(b',') => return Ok(challenge),
            _ => {}
        }
        // token68 or the first auth-param?
        if let Some(t68) = self.try_token68() {
            challenge.token68 = Some(t68);
            return Ok(challenge);
        }
        loop {
            let (name, value) = self.auth_param()?;
            challenge.params.push((name, value));
            self.skip_ows();
            match self.peek() {
                None => return Ok(challenge),
                Some(b',') => {}
                Some(_) => {
                    return Err(("expected a comma between parameters", self.pos));
                }
            }
            // After the comma: another parameter (`name =`), or a new challenge.
            let comma = self.pos;
            self.skip_separators();
            let name_start = self.pos;
            let is_param = self.token().is_some() && {
                self.skip_ows();
                self.peek() == Some(b'=')
            };
            if is_param {
                self.pos = name_start;
            } else {
                self.pos = comma;
                return Ok(challenge);
            }
        }
    }

    /// Accepts a token68 when it is followed by the end of the challenge; otherwise
    /// leaves the position unchanged.
    fn try_token68(&mut self) -> Option<String> {
        let start = self.pos;
        let mut p = start;
        while self.s.get(p).copied().is_some_and(is_token68_char) {
            p += 1;
        }
        if p == start {
            return None;
        }
        while self.s.get(p) == Some(&b'=') {
            p += 1;
        }
        let end = p;
        while self.s.get(p).copied().is_some_and(is_ows) {
            p += 1;
        }
        match self.s.get(p) {
            None | Some(b',') => {
                // `name=value` where value is a token also looks like this when the value
                // is empty (`realm=`); a token68 never has `=` followed by more text,
                // which the check above ensures.
                let t = self.text.get(start..end)?.to_string();
                self.pos = p;
                Some(t)
            }
            _ => None,
        }
    }

    fn auth_param(&mut self) -> Step<(String, String)> {
        let name_at = self.pos;
        let name = self.token().ok_or(("expected a parameter name", name_at))?;
        self.skip_ows();
        if self.peek() != Some(b'=') {
            return Err(("expected '=' after the parameter name", self.pos));
        }
        self.pos += 1;
        self.skip_ows();
        let value = match self.peek() {
            Some(b'"') => self.quoted_string()?,
            _ => {
                let at = self.pos;
                self.token()
                    .ok_or((
                        "expected a parameter value (a token or a quoted string)",
                        at,
                    ))?
                    .to_string()
            }
        };
        Ok((name.to_ascii_lowercase(), value))
    }

    fn quoted_string(&mut self) -> Step<String> {
        let open = self.pos;
        self.pos += 1; // opening quote
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(("unterminated quoted string", open)),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(("unterminated quoted string", open)),
                        Some(c) if c == b'\t' || c >= 0x20 && c != 0x7f => {
                            value.push(c);
                            self.pos += 1;
                        }
                        Some(_) => return Err(("control character in a quoted string", self.pos)),
                    }
                }
                Some(c) if c == b'\t' || c >= 0x20 && c != 0x7f => {
                    value.push(c);
                    self.pos += 1;
                }
                Some(_) => return Err(("control character in a quoted string", self.pos)),
            }
        }
        // Input was a &str and escapes only remove ASCII backslashes, so this is UTF-8;
        // stay safe anyway.
        Ok(String::from_utf8_lossy(&value).into_owned())
    }
}

/// A kind of credential the caller can present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// An X.509 client certificate (`~/.ssl/cadcproxy.pem`).
    Certificate,
    /// A bearer token (OIDC access token, CADC token).
    Token,
    /// A session cookie (`CADC_SSO`, ...).
    Cookie,
    /// A username and password for HTTP Basic.
    Password,
}

/// Which credentials the caller holds right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeldCredentials {
    /// A valid client certificate.
    pub certificate: bool,
    /// A bearer token.
    pub token: bool,
    /// A cookie for the service.
    pub cookie: bool,
    /// A username and password.
    pub password: bool,
}

impl HeldCredentials {
    fn holds(&self, kind: CredentialKind) -> bool {
        match kind {
            CredentialKind::Certificate => self.certificate,
            CredentialKind::Token => self.token,
            CredentialKind::Cookie => self.cookie,
            CredentialKind::Password => self.password,
        }
    }
}

/// The preference order used by [`choose_challenge`]: most secure first.
pub const PREFERENCE: [CredentialKind; 4] = [
    CredentialKind::Certificate,
    CredentialKind::Token,
    CredentialKind::Cookie,
    CredentialKind::Password,
];

/// The credential kind that answers a challenge of this scheme, if Skyport knows one.
pub fn credential_for(scheme: &Scheme) -> Option<CredentialKind> {
    match scheme {
        Scheme::IvoaX509 => Some(CredentialKind::Certificate),
        Scheme::Bearer | Scheme::IvoaBearer => Some(CredentialKind::Token),
        Scheme::IvoaCookie => Some(CredentialKind::Cookie),
        Scheme::Basic => Some(CredentialKind::Password),
        Scheme::Other(_) => None,
    }
}

/// The challenge picked to answer and the credential to answer it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChosenChallenge<'a> {
    /// What to present: the certificate on the TLS connection, `Authorization: Bearer`,
    /// the cookie, or `Authorization: Basic`.
    pub kind: CredentialKind,
    /// The challenge being answered (for its realm, `access_url`, ...).
    pub challenge: &'a Challenge,
}

/// Picks the best challenge to answer with the credentials held.
///
/// Order: `ivoa_x509` when a certificate is held, then `Bearer`/`ivoa_bearer` when a
/// token is held, then `ivoa_cookie` when a cookie is held, then `Basic` when a password
/// is held. Within one kind the first challenge in header order wins, except that a bare
/// challenge (no `access_url`) is preferred for certificates and tokens, since it
/// accepts any credential of that kind. Returns `None` when nothing held matches (the
/// caller may then look at [`login_routes`]).
pub fn choose_challenge<'a>(
    challenges: &'a [Challenge],
    held: &HeldCredentials,
) -> Option<ChosenChallenge<'a>> {
    for kind in PREFERENCE {
        if !held.holds(kind) {
            continue;
        }
        let mut matching = challenges
            .iter()
            .filter(|c| credential_for(&c.scheme) == Some(kind));
        let first = matching.clone().next();
        let bare = matching.find(|c| !c.has_login());
        let pick = match kind {
            CredentialKind::Certificate | CredentialKind::Token => bare.or(first),
            CredentialKind::Cookie | CredentialKind::Password => first,
        };
        if let Some(challenge) = pick {
            return Some(ChosenChallenge { kind, challenge });
        }
    }
    None
}

/// A way to obtain a credential announced by a challenge (`access_url` +
/// `standard_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginRoute<'a> {
    /// The credential the login yields.
    pub kind: CredentialKind,
    /// Where to log in.
    pub access_url: &'a str,
    /// How to log in (`ivo://ivoa.net/sso#tls-with-password`, ...), when given.
    pub standard_id: Option<&'a str>,
    /// The challenge that announced it.
    pub challenge: &'a Challenge,
}

/// Every challenge that says where to obtain a credential, in the [`PREFERENCE`] order
/// (header order within one kind). Challenges of unknown schemes are left out.
pub fn login_routes(challenges: &[Challenge]) -> Vec<LoginRoute<'_>> {
    let mut routes = Vec::new();
    for kind in PREFERENCE {
        for c in challenges {
            if credential_for(&c.scheme) != Some(kind) {
                continue;
            }
            if let Some(access_url) = c.access_url() {
                routes.push(LoginRoute {
                    kind,
                    access_url,
                    standard_id: c.standard_id(),
                    challenge: c,
                });
            }
        }
    }
    routes
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CADC: &str = "Bearer, ivoa_bearer standard_id=\"ivo://ivoa.net/sso#tls-with-password\", \
        access_url=\"https://ws-cadc.canfar.net/ac/login\", ivoa_x509 \
        standard_id=\"ivo://ivoa.net/std/CDP#proxy-1.0\", \
        access_url=\"https://ws-cadc.canfar.net/cred/generate\", ivoa_x509";

    fn one(v: &str) -> Vec<Challenge> {
        parse_challenges([v]).unwrap()
    }

    #[test]
    fn cadc_header_shape() {
        let c = one(CADC);
        assert_eq!(c.len(), 4);
        assert_eq!(c[0], Challenge::bare(Scheme::Bearer));
        assert_eq!(c[1].scheme, Scheme::IvoaBearer);
        assert_eq!(c[1].standard_id(), Some(STANDARD_ID_TLS_WITH_PASSWORD));
        assert_eq!(
            c[1].access_url(),
            Some("https://ws-cadc.canfar.net/ac/login")
        );
        assert_eq!(c[2].scheme, Scheme::IvoaX509);
        assert_eq!(c[2].standard_id(), Some(STANDARD_ID_CDP_PROXY));
        assert_eq!(
            c[2].access_url(),
            Some("https://ws-cadc.canfar.net/cred/generate")
        );
        assert_eq!(c[3], Challenge::bare(Scheme::IvoaX509));
    }

    #[test]
    fn scheme_and_param_names_case_insensitive() {
        let c = one("IVOA_X509 Standard_ID=\"x\", ACCESS_URL=y");
        assert_eq!(c[0].scheme, Scheme::IvoaX509);
        assert_eq!(c[0].params[0].0, "standard_id");
        assert_eq!(c[0].param("STANDARD_ID"), Some("x"));
        assert_eq!(c[0].access_url(), Some("y"));
        assert_eq!(one("bEaReR")[0].scheme, Scheme::Bearer);
        assert_eq!(
            one("Negotiate")[0].scheme,
            Scheme::Other("negotiate".into())
        );
    }

    #[test]
    fn quoted_commas_and_escapes() {
        let c = one(r#"Basic realm="a, b \"c\" \\ d", charset=UTF-8"#);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].realm(), Some(r#"a, b "c" \ d"#));
        assert_eq!(c[0].param("charset"), Some("UTF-8"));
    }

    #[test]
    fn token68() {
        let c = one("Negotiate abc==, Basic realm=\"x\"");
        assert_eq!(c[0].token68.as_deref(), Some("abc=="));
        assert_eq!(c[1].realm(), Some("x"));
        assert_eq!(
            one("Foo a-b.c_d~e+f/g")[0].token68.as_deref(),
            Some("a-b.c_d~e+f/g")
        );
        // `abc=` is a token68 (the value after `=` is empty).
        assert_eq!(one("Foo abc=")[0].token68.as_deref(), Some("abc="));
    }

    #[test]
    fn bws_around_equals_and_empty_list_elements() {
        let c = one(" , Basic realm = \"r\" ,, , Bearer error=\"invalid_token\" ,");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].realm(), Some("r"));
        assert_eq!(c[1].param("error"), Some("invalid_token"));
    }

    #[test]
    fn several_headers() {
        let c = parse_challenges([
            "Bearer error=\"insufficient_scope\", error_description=\"token scoped\"",
            "ivoa_x509",
            "",
        ])
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].param("error_description"), Some("token scoped"));
    }

    #[test]
    fn empty_input_is_ok_and_empty() {
        assert!(parse_challenges(std::iter::empty()).unwrap().is_empty());
        assert!(parse_challenges(["", "  ", ","]).unwrap().is_empty());
    }

    #[test]
    fn garbage_is_an_error() {
        for g in [
            "=",
            "\"quoted\"",
            "@@@",
            "Basic realm=\"unterminated",
            "Basic realm=\"x\" junk",
            "Basic\u{1}",
            "Basic realm=\"a\u{7}\"",
            "ünïcode",
        ] {
            let e = parse_challenges([g]);
            assert!(e.is_err(), "{g:?} parsed as {e:?}");
            let msg = e.unwrap_err().to_string();
            assert!(msg.contains("WWW-Authenticate"), "{msg}");
        }
    }

    #[test]
    fn malformed_challenge_is_skipped() {
        let p = parse_challenges_lenient([
            "Basic realm=\"open, Bearer, ivoa_x509",
            "@@@ x=y, z=w, ivoa_cookie standard_id=\"s\", access_url=\"u\"",
        ]);
        // First header: the unterminated quote swallows everything.
        assert_eq!(p.skipped.len(), 2);
        assert_eq!(p.challenges.len(), 1);
        assert_eq!(p.challenges[0].scheme, Scheme::IvoaCookie);
        assert_eq!(p.challenges[0].access_url(), Some("u"));
        // ... and the non-lenient form keeps the good one.
        let c = parse_challenges(["Basic realm=\"x\" junk, ivoa_x509"]).unwrap();
        assert_eq!(c, vec![Challenge::bare(Scheme::IvoaX509)]);
    }

    #[test]
    fn display_round_trips() {
        let c = one(r#"Basic realm="a \"b\"", x=y"#);
        let again = one(&c[0].to_string());
        assert_eq!(c, again);
    }

    #[test]
    fn choice_follows_preference() {
        let c = one(CADC);
        let all = HeldCredentials {
            certificate: true,
            token: true,
            cookie: true,
            password: true,
        };
        let pick = choose_challenge(&c, &all).unwrap();
        assert_eq!(pick.kind, CredentialKind::Certificate);
        // The bare ivoa_x509 is preferred over the one naming a login endpoint.
        assert!(pick.challenge.params.is_empty());

        let token_only = HeldCredentials {
            token: true,
            ..Default::default()
        };
        let pick = choose_challenge(&c, &token_only).unwrap();
        assert_eq!(pick.kind, CredentialKind::Token);
        assert_eq!(pick.challenge.scheme, Scheme::Bearer);

        let pw = HeldCredentials {
            password: true,
            ..Default::default()
        };
        assert_eq!(choose_challenge(&c, &pw), None);
        let basic = one("Basic realm=\"r\", ivoa_cookie access_url=\"u\"");
        assert_eq!(
            choose_challenge(&basic, &pw).unwrap().kind,
            CredentialKind::Password
        );
        let both = HeldCredentials {
            cookie: true,
            password: true,
            ..Default::default()
        };
        assert_eq!(
            choose_challenge(&basic, &both).unwrap().kind,
            CredentialKind::Cookie
        );
        assert_eq!(choose_challenge(&basic, &HeldCredentials::default()), None);
    }

    #[test]
    fn login_routes_in_preference_order() {
        let c = one(CADC);
        let r = login_routes(&c);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].kind, CredentialKind::Certificate);
        assert_eq!(r[0].access_url, "https://ws-cadc.canfar.net/cred/generate");
        assert_eq!(r[1].kind, CredentialKind::Token);
        assert_eq!(r[1].standard_id, Some(STANDARD_ID_TLS_WITH_PASSWORD));
    }

    #[test]
    fn x_vo_authenticated() {
        assert_eq!(
            vo_authenticated_identity(Some(" alice ")),
            Some("alice".into())
        );
        assert_eq!(vo_authenticated_identity(Some("  ")), None);
        assert_eq!(vo_authenticated_identity(None), None);
    }
}
