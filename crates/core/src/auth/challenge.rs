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
//! The headers come from whatever server a URL points at, so parsing is linear in their
//! length (every byte is looked at a bounded number of times, whatever the input) and
//! bounded: more than [`MAX_HEADER_BYTES`] of header text is refused, and parsing stops
//! after [`MAX_CHALLENGES`] challenges, each with an error that says so.
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

/// Most header text (all `WWW-Authenticate` values together) that is parsed. Real
/// services send a few hundred bytes.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Most challenges (well-formed or not) taken from the headers. Real services send a
/// handful.
pub const MAX_CHALLENGES: usize = 64;

#[derive(Clone, Copy, Debug)]
struct Limits {
    bytes: usize,
    challenges: usize,
}

const LIMITS: Limits = Limits {
    bytes: MAX_HEADER_BYTES,
    challenges: MAX_CHALLENGES,
};

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
    /// The header text is longer than [`MAX_HEADER_BYTES`]; none of it was parsed.
    #[error(
        "the server's WWW-Authenticate headers are {len} bytes long, more than the {max} \
         Skyport reads, so they were ignored. Skyport cannot tell how to sign in to this \
         service: check the service URL in the profile, or report the header to the \
         service's operators."
    )]
    TooLong {
        /// Bytes of header text received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_CHALLENGES`] challenges; the ones after that were not parsed.
    #[error(
        "the server's WWW-Authenticate headers hold more than {max} challenges, far more \
         than any real service sends; only the first {max} were read. Check the service URL \
         in the profile, or report the header to the service's operators."
    )]
    TooMany {
        /// The limit.
        max: usize,
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
///
/// Header text longer than [`MAX_HEADER_BYTES`] in total gives no challenges and a
/// [`ChallengeError::TooLong`]; after [`MAX_CHALLENGES`] challenges parsing stops with a
/// [`ChallengeError::TooMany`] (the first ones are kept).
pub fn parse_challenges_lenient<'a>(values: impl IntoIterator<Item = &'a str>) -> ParsedChallenges {
    parse_with(values, LIMITS)
}

fn parse_with<'a>(values: impl IntoIterator<Item = &'a str>, limits: Limits) -> ParsedChallenges {
    let mut out = ParsedChallenges::default();
    // Length first, so an oversized header costs nothing to refuse.
    let values: Vec<&str> = values.into_iter().collect();
    let len = values.iter().fold(0usize, |n, v| n.saturating_add(v.len()));
    if len > limits.bytes {
        out.skipped.push(ChallengeError::TooLong {
            len,
            max: limits.bytes,
        });
        return out;
    }
    let mut room = limits.challenges;
    for value in values {
        if !Parser::new(value).parse_into(&mut out, &mut room) {
            out.skipped.push(ChallengeError::TooMany {
                max: limits.challenges,
            });
            break;
        }
    }
    out
}

/// Parses `WWW-Authenticate` header values (one string per header; each may hold
/// several challenges).
///
/// Lenient: a malformed challenge is skipped. An error is returned only when header text
/// was present and nothing in it parsed (which includes headers over
/// [`MAX_HEADER_BYTES`]; past [`MAX_CHALLENGES`] the first ones are returned). Headers that
/// are empty or blank give `Ok` with no challenges.
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

/// Counts header bytes the parser looks at, so tests can prove the work is linear.
#[inline(always)]
fn charge(bytes: usize) {
    #[cfg(test)]
    work::charge(bytes);
    #[cfg(not(test))]
    let _ = bytes;
}

/// The number of characters in a byte range (UTF-8 continuation bytes are not counted),
/// valid on any byte offsets.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    /// The excerpt quoted in errors, made once per header value.
    excerpt: Option<String>,
    /// A byte offset and its character offset: errors come in increasing positions, so
    /// converting each one costs only the distance from the last.
    chars_at: (usize, usize),
}

type Step<T> = Result<T, (&'static str, usize)>;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            s: text.as_bytes(),
            pos: 0,
            excerpt: None,
            chars_at: (0, 0),
        }
    }

    fn byte_at(&self, at: usize) -> Option<u8> {
        charge(1);
        self.s.get(at).copied()
    }

    fn peek(&self) -> Option<u8> {
        self.byte_at(self.pos)
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

    fn error(&mut self, reason: &'static str, position: usize) -> ChallengeError {
        let text = self.text;
        let excerpt = self
            .excerpt
            .get_or_insert_with(|| {
                let e: String = text
                    .chars()
                    .take(EXCERPT_CHARS)
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                charge(e.len());
                e
            })
            .clone();
        ChallengeError::Malformed {
            reason,
            position: self.char_position(position),
            excerpt,
        }
    }

    /// The character offset of a byte offset.
    fn char_position(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.s.len());
        let (at, chars) = self.chars_at;
        let chars = if byte >= at {
            charge(byte - at);
            chars + count_chars(&self.s[at..byte])
        } else {
            charge(at - byte);
            chars - count_chars(&self.s[byte..at])
        };
        self.chars_at = (byte, chars);
        chars
    }

    /// Parses challenges into `out` while `room` (challenges still allowed) lasts; false
    /// when it ran out with text left.
    fn parse_into(&mut self, out: &mut ParsedChallenges, room: &mut usize) -> bool {
        loop {
            self.skip_separators();
            if self.peek().is_none() {
                return true;
            }
            let Some(left) = room.checked_sub(1) else {
                return false;
            };
            *room = left;
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
        while self.byte_at(p).is_some_and(is_token68_char) {
            p += 1;
        }
        if p == start {
            return None;
        }
        while self.byte_at(p) == Some(b'=') {
            p += 1;
        }
        let end = p;
        while self.byte_at(p).is_some_and(is_ows) {
            p += 1;
        }
        match self.byte_at(p) {
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

/// The parser's work meter, for the linearity tests.
#[cfg(test)]
mod work {
    use std::cell::Cell;

    thread_local! {
        static SPENT: Cell<u64> = const { Cell::new(0) };
        static BUDGET: Cell<u64> = const { Cell::new(u64::MAX) };
    }

    pub(super) fn charge(bytes: usize) {
        let spent = SPENT.with(|s| {
            let v = s.get().saturating_add(bytes as u64);
            s.set(v);
            v
        });
        // Failing at once beats running a quadratic parser to the end of a 1 MiB header.
        let budget = BUDGET.with(Cell::get);
        assert!(
            spent <= budget,
            "the parser looked at more than {budget} header bytes"
        );
    }

    /// Runs `f` allowing it to look at `budget` header bytes; returns how many it did.
    pub(super) fn measure(budget: u64, f: impl FnOnce()) -> u64 {
        SPENT.with(|s| s.set(0));
        BUDGET.with(|b| b.set(budget));
        f();
        BUDGET.with(|b| b.set(u64::MAX));
        SPENT.with(Cell::get)
    }
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

    /// Pathological headers of 1 MiB (with the size limits lifted, so the parser itself is
    /// measured): the bytes looked at stay within a small multiple of the length, and the
    /// same shape at twice the size costs at most about twice as much.
    #[test]
    fn work_is_linear_in_the_header_length() {
        const PER_BYTE: u64 = 8;
        let unlimited = Limits {
            bytes: usize::MAX,
            challenges: usize::MAX,
        };
        /// A name, and a header of that shape about `n` bytes long.
        type Shape = (&'static str, fn(usize) -> String);
        let shapes: [Shape; 20] = [
            ("commas", |n| ",".repeat(n)),
            ("a scheme, then commas", |n| {
                format!("Basic{}", ",".repeat(n))
            }),
            ("a parameter, then separators", |n| {
                format!("Basic a=b{}", ", ".repeat(n / 2))
            }),
            ("an unterminated quote", |n| {
                format!("Basic realm=\"{}", "x".repeat(n))
            }),
            ("repeated unterminated quotes", |n| {
                "Basic realm=\"".repeat(n / 13)
            }),
            ("quotes", |n| "\"".repeat(n)),
            ("quoted commas", |n| format!("x=\"{}", ",\"".repeat(n / 2))),
            ("empty parameters", |n| {
                format!("Basic {}", "a=,".repeat(n / 3))
            }),
            ("parameters", |n| format!("Basic {}", "a=b, ".repeat(n / 5))),
            ("a= runs", |n| "a=".repeat(n / 2)),
            ("a= after a scheme", |n| format!("B {}", "a=".repeat(n / 2))),
            ("backslashes in a quote", |n| {
                format!("Basic realm=\"{}", "\\".repeat(n))
            }),
            ("escaped quotes", |n| {
                format!("Basic realm=\"{}", "\\\"".repeat(n / 2))
            }),
            ("backslashes", |n| "\\".repeat(n)),
            ("malformed challenges", |n| "@,".repeat(n / 2)),
            ("junk after parameters", |n| "B a=b c, ".repeat(n / 9)),
            ("a long token68 with junk", |n| {
                format!("Basic {} x", "a".repeat(n))
            }),
            ("many challenges", |n| "Bearer, ".repeat(n / 8)),
            ("a long lookahead", |n| format!("B a=b,{}c", " ".repeat(n))),
            ("non-ASCII errors", |n| "é,".repeat(n / 3)),
        ];
        const N: usize = 1 << 20;
        for (name, make) in shapes {
            let mut cost = [0u64; 2];
            for (i, n) in [N, 2 * N].into_iter().enumerate() {
                let header = make(n);
                let budget = PER_BYTE * header.len() as u64 + 1024;
                cost[i] = work::measure(budget, || {
                    parse_with([header.as_str()], unlimited);
                });
            }
            assert!(
                cost[1] <= 2 * cost[0] + 1024,
                "{name}: {} bytes looked at for {N}, {} for {}",
                cost[0],
                cost[1],
                2 * N
            );
        }
    }

    #[test]
    fn error_positions_are_characters_at_any_distance() {
        let p = parse_challenges_lenient(["é @, ü x=\"y\" junk, ivoa_x509"]);
        let positions: Vec<usize> = p
            .skipped
            .iter()
            .map(|e| match e {
                ChallengeError::Malformed { position, .. } => *position,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(positions, [0, 5]);
        assert_eq!(p.challenges, [Challenge::bare(Scheme::IvoaX509)]);
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
