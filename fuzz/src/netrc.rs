//! `~/.netrc` (`netrc::Netrc`).
//!
//! Two ways in, by the first byte:
//! - `0x00` then entries separated by `0x01`, fields by `0x02` (`machine`, `login`,
//!   `password`, `account`; an empty machine is the `default` entry): the harness writes
//!   them as a netrc file, every value quoted and escaped, and checks that the parser
//!   gives back exactly those values (a later entry for the same host wins, hosts match
//!   without regard to ASCII case);
//! - anything else: the whole input as a netrc file.
//!
//! Properties: never a panic; syntax errors name a line that exists; the lookups agree
//! with each other (credentials need a login and a password; host case does not
//! matter); the round trip above; `Debug` never shows a password.

use skyport_core::netrc::{Netrc, NetrcError};

pub fn run(data: &[u8]) {
    match data {
        [0, rest @ ..] => round_trip(rest),
        _ => raw(data),
    }
}

fn raw(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let netrc = match Netrc::parse(&text) {
        Ok(n) => n,
        Err(e) => {
            if let NetrcError::Syntax { line, .. } = &e {
                assert!(
                    *line >= 1 && *line <= text.split('\n').count(),
                    "line {line}"
                );
            }
            let _ = e.to_string();
            return;
        }
    };
    for host in text.split_whitespace().take(64) {
        let entry = netrc.entry(host);
        let upper = netrc.entry(&host.to_ascii_uppercase());
        assert_eq!(
            entry.map(|e| e.machine.clone()),
            upper.map(|e| e.machine.clone())
        );
        if let Some(c) = netrc.credentials(host) {
            assert!(!c.login.is_empty());
            let e = entry.expect("credentials come from an entry");
            assert_eq!(e.login.as_deref(), Some(c.login.as_str()));
            assert_eq!(
                e.password.as_ref().map(|p| p.expose()),
                Some(c.password.expose())
            );
        }
    }
}

struct Entry {
    machine: String,
    login: Option<String>,
    password: Option<String>,
    account: Option<String>,
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn round_trip(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut entries = Vec::new();
    for e in text.split('\u{1}').take(32) {
        let mut f = e.split('\u{2}').map(str::to_string);
        entries.push(Entry {
            machine: f.next().unwrap_or_default(),
            login: f.next(),
            password: f.next(),
            account: f.next(),
        });
    }
    let mut file = String::new();
    for (i, e) in entries.iter().enumerate() {
        if e.machine.is_empty() {
            file.push_str("default");
        } else {
            file.push_str("machine ");
            file.push_str(&quote(&e.machine));
        }
        if let Some(l) = &e.login {
            // `user` is a synonym of `login`.
            file.push_str(if i % 2 == 0 { " login " } else { "\n  user " });
            file.push_str(&quote(l));
        }
        if let Some(p) = &e.password {
            file.push_str(" password ");
            file.push_str(&quote(p));
        }
        if let Some(a) = &e.account {
            file.push_str(" account ");
            file.push_str(&quote(a));
        }
        file.push('\n');
    }
    let netrc = Netrc::parse(&file).unwrap_or_else(|e| panic!("{file:?} does not parse: {e}"));
    let default = entries.iter().rev().find(|e| e.machine.is_empty());
    for e in &entries {
        if e.machine.is_empty() || e.machine.trim() != e.machine {
            continue; // lookups trim the host asked for
        }
        let want = entries
            .iter()
            .rev()
            .find(|x| !x.machine.is_empty() && x.machine.eq_ignore_ascii_case(&e.machine))
            .expect("itself at least");
        for host in [e.machine.clone(), e.machine.to_ascii_uppercase()] {
            let got = netrc.entry(&host).expect("an entry for a machine written");
            assert_eq!(
                got.machine.as_deref(),
                Some(want.machine.to_ascii_lowercase().as_str())
            );
            assert_eq!(got.login, want.login, "login of {host:?} in {file:?}");
            assert_eq!(got.account, want.account, "account of {host:?} in {file:?}");
            assert_eq!(
                got.password.as_ref().map(|p| p.expose().as_str()),
                want.password.as_deref(),
                "password of {host:?} in {file:?}"
            );
            let creds = netrc.credentials(&host);
            let expect =
                want.login.as_ref().is_some_and(|l| !l.is_empty()) && want.password.is_some();
            assert_eq!(creds.is_some(), expect);
        }
    }
    // Debug shows every host, login and account, quoted, and no password.
    let shown = format!("{netrc:?}");
    for p in entries.iter().filter_map(|e| e.password.as_deref()) {
        let elsewhere = entries.iter().any(|e| {
            [
                Some(&e.machine.to_ascii_lowercase()),
                e.login.as_ref(),
                e.account.as_ref(),
            ]
            .into_iter()
            .flatten()
            .any(|v| v.contains(p))
        });
        if !p.is_empty() && !elsewhere {
            assert!(!shown.contains(&format!("{p:?}")), "Debug shows a password");
        }
    }
    if let Some(d) = default {
        let got = netrc.entry("host.never.written.invalid");
        if !entries
            .iter()
            .any(|e| e.machine.eq_ignore_ascii_case("host.never.written.invalid"))
        {
            let got = got.expect("the default entry");
            assert!(got.machine.is_none());
            assert_eq!(got.login, d.login);
            assert_eq!(got.account, d.account);
        }
    }
}
