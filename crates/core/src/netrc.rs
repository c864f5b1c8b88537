//! `~/.netrc`, read the way CADC's tools read it (Python's `netrc` module, used by
//! `cadc-get-cert -n`): `machine HOST login USER password PASS [account ACCT]`, a
//! `default` entry for every other host, `#` comments, quoted values, and `macdef`
//! macros (skipped up to the next blank line).
//!
//! As in Python, when a host appears twice the later entry wins, and a file holding
//! passwords must not be readable by other users (`chmod 600 ~/.netrc`).
//!
//! Passwords come back as [`SecretString`]. Error messages name a line and what was
//! expected there, never a word of the file: any word may be a password or part of one.

use std::path::{Path, PathBuf};

use crate::error::{Coded, ErrorCode};
use crate::secret::SecretString;

/// Environment variable naming another netrc file (as curl and Python 3.8+ honour it).
pub const NETRC_ENV: &str = "NETRC";

/// The largest netrc file read (a real one is a few hundred bytes).
pub const MAX_NETRC_SIZE: u64 = 1024 * 1024;

/// One `machine` (or the `default`) entry.
#[derive(Debug, Clone)]
pub struct NetrcEntry {
    /// The host, `None` for the `default` entry.
    pub machine: Option<String>,
    pub login: Option<String>,
    pub account: Option<String>,
    pub password: Option<SecretString>,
}

/// A login and password found for a host.
#[derive(Debug, Clone)]
pub struct NetrcCredentials {
    pub login: String,
    pub password: SecretString,
}

/// A parsed netrc file.
#[derive(Debug, Clone, Default)]
pub struct Netrc {
    machines: Vec<NetrcEntry>,
    default: Option<NetrcEntry>,
    /// Where it was read from, for messages.
    pub path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum NetrcError {
    /// `detail` is static on purpose: a syntax error never carries text from the file, since
    /// any word there may be a password, or part of one split by a space or a stray quote.
    #[error("{path} line {line}: {detail}. Fix the file (format: `machine HOST login USER password PASS`).")]
    Syntax {
        path: String,
        line: usize,
        detail: &'static str,
    },
    #[error("{path} holds passwords but other users can read it (mode {mode:o}); run `chmod 600 {path}` and try again")]
    TooOpen { path: String, mode: u32 },
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
}

impl Coded for NetrcError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Read { .. } => ErrorCode::Io,
            _ => ErrorCode::Config,
        }
    }
}

/// A token with the line it started on.
struct Token {
    text: String,
    line: usize,
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            line: 1,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    /// The next whitespace-separated token; `"quoted strings"` and backslash escapes as
    /// in Python's netrc lexer. `None` at the end of the input.
    fn token(&mut self) -> Option<Token> {
        while self.chars.peek().is_some_and(|c| c.is_whitespace()) {
            self.bump();
        }
        let line = self.line;
        let first = *self.chars.peek()?;
        let mut text = String::new();
        if first == '"' {
            self.bump();
            while let Some(c) = self.bump() {
                match c {
                    '"' => break,
                    '\\' => {
                        if let Some(n) = self.bump() {
                            text.push(n);
                        }
                    }
                    c => text.push(c),
                }
            }
        } else {
            while let Some(&c) = self.chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                self.bump();
                if c == '\\' {
                    if let Some(n) = self.bump() {
                        text.push(n);
                    }
                } else {
                    text.push(c);
                }
            }
        }
        Some(Token { text, line })
    }

    /// Skip to the start of the next line.
    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    /// Skip a `macdef` body: every line up to and including the next empty line.
    fn skip_macro(&mut self) {
        self.skip_line(); // the rest of the `macdef NAME` line
        loop {
            let mut line = String::new();
            let mut ended = false;
            while let Some(c) = self.bump() {
                if c == '\n' {
                    ended = true;
                    break;
                }
                line.push(c);
            }
            if line.trim().is_empty() || !ended {
                return;
            }
        }
    }
}

/// What is missing when a field keyword ends the file (static: see [`NetrcError::Syntax`]).
fn needs_value(key: &str) -> &'static str {
    match key {
        "password" => "`password` needs a value",
        "account" => "`account` needs a value",
        "user" => "`user` needs a value",
        _ => "`login` needs a value",
    }
}

impl Netrc {
    /// Parse netrc text. `origin` names the file in error messages.
    pub fn parse_named(text: &str, origin: &str) -> Result<Netrc, NetrcError> {
        let syntax = |line: usize, detail: &'static str| NetrcError::Syntax {
            path: origin.to_string(),
            line,
            detail,
        };
        let mut lx = Lexer::new(text);
        let mut out = Netrc::default();
        let mut pending: Option<Token> = None;
        while let Some(tok) = pending.take().or_else(|| lx.token()) {
            let machine = match tok.text.as_str() {
                t if t.starts_with('#') => {
                    lx.skip_line();
                    continue;
                }
                "macdef" => {
                    lx.skip_macro();
                    continue;
                }
                "default" => None,
                "machine" => match lx.token() {
                    Some(host) if !host.text.is_empty() => Some(host.text.to_ascii_lowercase()),
                    _ => return Err(syntax(tok.line, "`machine` needs a host name")),
                },
                _ => {
                    return Err(syntax(
                        tok.line,
                        "expected `machine`, `default` or `macdef` to start an entry",
                    ))
                }
            };
            let mut entry = NetrcEntry {
                machine,
                login: None,
                account: None,
                password: None,
            };
            while let Some(t) = lx.token() {
                match t.text.as_str() {
                    s if s.starts_with('#') => {
                        lx.skip_line();
                    }
                    "machine" | "default" | "macdef" => {
                        pending = Some(t);
                        break;
                    }
                    key @ ("login" | "user" | "account" | "password") => {
                        let Some(value) = lx.token() else {
                            return Err(syntax(t.line, needs_value(key)));
                        };
                        match key {
                            "password" => entry.password = Some(SecretString::new(value.text)),
                            "account" => entry.account = Some(value.text),
                            _ => entry.login = Some(value.text),
                        }
                    }
                    _ => {
                        return Err(syntax(
                            t.line,
                            "unexpected word; expected `login`, `password` or `account` \
                             (a password with spaces must be in double quotes)",
                        ));
                    }
                }
            }
            match entry.machine {
                None => out.default = Some(entry),
                Some(_) => out.machines.push(entry),
            }
        }
        Ok(out)
    }

    /// Parse netrc text.
    pub fn parse(text: &str) -> Result<Netrc, NetrcError> {
        Self::parse_named(text, "the netrc data")
    }

    /// Read a netrc file; `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Netrc>, NetrcError> {
        let shown = path.display().to_string();
        let read_err = |e: std::io::Error| NetrcError::Read {
            path: shown.clone(),
            detail: e.to_string(),
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_err(e)),
        };
        if meta.len() > MAX_NETRC_SIZE {
            return Err(NetrcError::Read {
                path: shown,
                detail: format!("{} bytes is too large for a netrc file", meta.len()),
            });
        }
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        let mut netrc = Self::parse_named(&text, &shown)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            let has_password = netrc
                .machines
                .iter()
                .chain(netrc.default.iter())
                .any(|e| e.password.is_some());
            if has_password && mode & 0o077 != 0 {
                return Err(NetrcError::TooOpen { path: shown, mode });
            }
        }
        netrc.path = Some(path.to_path_buf());
        Ok(Some(netrc))
    }

    /// `$NETRC` if set, else `~/.netrc`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(NETRC_ENV).filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".netrc"))
    }

    /// Read the default netrc file ([`Netrc::default_path`]); `Ok(None)` when there is none.
    pub fn load_default() -> Result<Option<Netrc>, NetrcError> {
        match Self::default_path() {
            Some(p) => Self::load(&p),
            None => Ok(None),
        }
    }

    /// The entry for `host` (case-insensitive; the last of several wins, as in Python),
    /// else the `default` entry.
    pub fn entry(&self, host: &str) -> Option<&NetrcEntry> {
        let host = host.trim().to_ascii_lowercase();
        self.machines
            .iter()
            .rev()
            .find(|e| e.machine.as_deref() == Some(host.as_str()))
            .or(self.default.as_ref())
    }

    /// Login and password for `host`, when the matching entry has both.
    pub fn credentials(&self, host: &str) -> Option<NetrcCredentials> {
        let e = self.entry(host)?;
        let login = e.login.clone().filter(|l| !l.is_empty())?;
        let password = e.password.clone()?;
        Some(NetrcCredentials { login, password })
    }

    /// How many `machine` entries there are (not counting `default`).
    pub fn len(&self) -> usize {
        self.machines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.machines.is_empty() && self.default.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_default_comments_and_macros() {
        let text = "# my hosts\n\
            machine ws-cadc.canfar.net login alice password s3cret\n\
            machine other.example\n  login bob\n  password \"two words\" # trailing comment\n\
            macdef init\n  cd /pub\n  ls\n\n\
            default login anon password guest\n";
        let n = Netrc::parse(text).expect("parse");
        assert_eq!(n.len(), 2);
        let c = n.credentials("WS-CADC.canfar.net").expect("cadc");
        assert_eq!(c.login, "alice");
        assert_eq!(c.password.expose(), "s3cret");
        let c = n.credentials("other.example").expect("other");
        assert_eq!(
            (c.login.as_str(), c.password.expose().as_str()),
            ("bob", "two words")
        );
        let c = n.credentials("unknown.example").expect("default");
        assert_eq!(c.login, "anon");
    }

    #[test]
    fn later_entries_win_and_user_is_a_synonym() {
        let n = Netrc::parse("machine h user a password 1\nmachine h login b password 2\n")
            .expect("parse");
        let c = n.credentials("h").expect("h");
        assert_eq!((c.login.as_str(), c.password.expose().as_str()), ("b", "2"));
        assert!(Netrc::parse("machine h login a\n")
            .expect("parse")
            .credentials("h")
            .is_none());
        assert!(Netrc::parse("").expect("empty").is_empty());
    }

    #[test]
    fn a_hash_inside_a_password_is_kept_and_escapes_work() {
        let n = Netrc::parse("machine h login a password ab#c\\ d\n").expect("parse");
        assert_eq!(n.credentials("h").expect("h").password.expose(), "ab#c d");
    }

    #[test]
    fn syntax_errors_name_the_line_and_never_the_password() {
        let e = Netrc::parse("machine h login a password hunter2 bogus\n").expect_err("bad");
        let msg = e.to_string();
        assert!(msg.contains("line 1"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let e = Netrc::parse("\n\nmachine\n").expect_err("no host");
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = Netrc::parse("machine h login a password\n").expect_err("no value");
        assert!(e.to_string().contains("needs a value"), "{e}");
        let e = Netrc::parse("hello\n").expect_err("top level");
        assert!(e.to_string().contains("expected `machine`"), "{e}");
        assert_eq!(e.code(), ErrorCode::Config);
    }

    #[test]
    fn a_password_split_by_a_space_or_a_quote_is_not_quoted() {
        for text in [
            "machine h login a password open sesame\n",
            "machine h login a password ab\"cd efgh\"\n",
            "machine h password \"ok\" account x sesame\n",
            "default password machine sesame\n",
        ] {
            let e = Netrc::parse(text).expect_err(text);
            assert!(e.to_string().contains("line 1"), "{e}");
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(
                    !shown.contains("sesame") && !shown.contains("efgh"),
                    "{shown}"
                );
            }
        }
    }

    #[test]
    fn debug_output_redacts_passwords() {
        let n = Netrc::parse("machine h login a password hunter2\n").expect("parse");
        let shown = format!("{n:?} {:?}", n.credentials("h"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn files_readable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("netrc");
        std::fs::write(&p, "machine h login a password p\n").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = Netrc::load(&p).expect_err("too open");
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let n = Netrc::load(&p).expect("load").expect("present");
        assert_eq!(n.path.as_deref(), Some(p.as_path()));
        assert!(Netrc::load(&dir.path().join("missing"))
            .expect("missing is fine")
            .is_none());
    }

    /// Generated netrc files: no error, shown or debug-printed, holds a word from a
    /// password line. Every word the generator puts on a password line (host, login,
    /// password, account, stray words, a password's continuation) is spelled with [`INK`]
    /// letters, which no error message uses, so one of them in an error is a leak.
    mod leaks {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;
        use proptest::sample::select;
        use proptest::strategy::ValueTree;

        const INK: &[char] = &['Q', 'J', 'K', 'X', 'Z', 'V', 'W', 'Y'];
        /// What else a password may hold that the lexer treats specially.
        const PUNCT: &[char] = &['"', '\\', '#', '\'', '!', '$', '=', '@', ':'];
        const KEYWORDS: &[&str] = &[
            "machine", "default", "login", "user", "password", "account", "macdef",
        ];

        /// One word with at least one ink letter, anywhere (so also after a leading `#`
        /// or `"`).
        fn inked() -> impl Strategy<Value = String> {
            let any = prop_oneof![3 => select(INK), 1 => select(PUNCT)];
            (vec(any.clone(), 0..10), select(INK), vec(any, 0..10)).prop_map(|(a, ink, b)| {
                a.into_iter().chain(std::iter::once(ink)).chain(b).collect()
            })
        }

        /// A word that is not secret (hosts and logins on other lines, macro names).
        fn plain() -> impl Strategy<Value = String> {
            "[a-z][a-z0-9.-]{0,8}"
        }

        /// What follows `password`: well-formed or not.
        fn password_value() -> impl Strategy<Value = String> {
            prop_oneof![
                inked(),
                inked()
                    .prop_map(|w| format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""))),
                // Quoted with spaces; inner quotes end the quote early.
                vec(inked(), 2..4).prop_map(|w| format!("\"{}\"", w.join(" "))),
                // Unquoted with spaces: the rest are stray words.
                vec(inked(), 2..4).prop_map(|w| w.join(" ")),
                // A keyword-like password, then more of it.
                (select(KEYWORDS), inked()).prop_map(|(k, w)| format!("{k} {w}")),
                // An unterminated quote.
                inked().prop_map(|w| format!("\"{w}")),
                // Split over two lines.
                (inked(), inked()).prop_map(|(a, b)| format!("{a}\n{b}")),
                // Missing: the next line's first word (or the end of the file) follows.
                Just(String::new()),
            ]
        }

        /// A whole entry on one line holding a password, fields in any order.
        fn password_entry() -> impl Strategy<Value = String> {
            (
                inked(),
                inked(),
                password_value(),
                proptest::option::of(inked()),
                proptest::option::of(inked()),
                any::<bool>(),
            )
                .prop_flat_map(|(host, user, pw, account, stray, default)| {
                    let mut fields = vec![format!("login {user}"), format!("password {pw}")];
                    fields.extend(account.map(|a| format!("account {a}")));
                    fields.extend(stray);
                    let head = if default {
                        "default".to_string()
                    } else {
                        format!("machine {host}")
                    };
                    (Just(head), Just(fields).prop_shuffle())
                })
                .prop_map(|(head, fields)| format!("{head} {}", fields.join(" ")))
        }

        fn line() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => password_entry(),
                3 => (password_value(), proptest::option::of(inked()))
                    .prop_map(|(pw, stray)| format!("  password {pw} {}", stray.unwrap_or_default())),
                2 => inked().prop_map(|a| format!("  account {a}")),
                2 => plain().prop_map(|h| format!("machine {h}")),
                1 => Just("default".to_string()),
                2 => (select(&["login", "user"][..]), plain()).prop_map(|(k, v)| format!("  {k} {v}")),
                1 => (plain(), vec(inked(), 0..3), any::<bool>()).prop_map(|(name, body, end)| {
                    let mut m = format!("macdef {name}\n{}", body.join("\n"));
                    if end {
                        m.push('\n');
                    }
                    m
                }),
                1 => plain().prop_map(|w| format!("# {w}")),
                1 => plain(),
                1 => select(KEYWORDS).prop_map(str::to_string),
                1 => Just(String::new()),
            ]
        }

        fn shows_ink(e: &NetrcError) -> Option<String> {
            [e.to_string(), format!("{e:?}")]
                .into_iter()
                .find(|s| s.contains(INK))
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 2048,
                // The failing file is printed; no regression files in the source tree.
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            fn no_error_holds_a_word_of_a_password_line(
                lines in vec(line(), 1..8),
                newline_at_end in any::<bool>(),
            ) {
                let mut text = lines.join("\n");
                if newline_at_end {
                    text.push('\n');
                }
                if let Err(e) = Netrc::parse_named(&text, "/home/u/.netrc") {
                    prop_assert_eq!(shows_ink(&e), None, "file:\n{}", text);
                }
            }
        }

        /// The generator is only as good as the errors it provokes: it must reach each one.
        #[test]
        fn the_generator_reaches_every_syntax_error() {
            let mut runner = proptest::test_runner::TestRunner::deterministic();
            let files = vec(line(), 1..8).prop_map(|l| l.join("\n"));
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..2048 {
                let text = files.new_tree(&mut runner).expect("a file").current();
                if let Err(NetrcError::Syntax { detail, .. }) = Netrc::parse(&text) {
                    seen.insert(detail);
                }
            }
            for want in [
                "`machine` needs a host name",
                "`password` needs a value",
                "expected `machine`, `default` or `macdef` to start an entry",
            ] {
                assert!(seen.contains(want), "never provoked {want:?}: {seen:?}");
            }
            assert!(
                seen.iter().any(|d| d.starts_with("unexpected word")),
                "{seen:?}"
            );
        }
    }
}
