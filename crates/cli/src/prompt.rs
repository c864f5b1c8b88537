//! Questions at the terminal, and secrets from standard input for scripts.
//!
//! Whether to ask is decided by standard input being a terminal: a script (or a test)
//! that pipes into skyport is never prompted, it gets a usage error naming the flag to
//! use instead.

use std::io::{BufRead, IsTerminal, Read, Write};

use skyport_core::secret::SecretString;

use crate::error::{CliError, CliResult};

pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Ask for a line of text (e.g. a username), with a default shown in brackets.
pub fn ask(question: &str, default: Option<&str>) -> CliResult<String> {
    let mut err = std::io::stderr().lock();
    match default {
        Some(d) => {
            let _ = write!(err, "{question} [{d}]: ");
        }
        None => {
            let _ = write!(err, "{question}: ");
        }
    }
    let _ = err.flush();
    drop(err);
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::failed(format!("cannot read the answer: {e}")))?;
    if n == 0 {
        return Err(CliError::cancelled("no answer (end of input)"));
    }
    let answer = line.trim().to_string();
    match (answer.is_empty(), default) {
        (true, Some(d)) => Ok(d.to_string()),
        (true, None) => Err(CliError::usage(format!("{question}: an answer is needed"))),
        _ => Ok(answer),
    }
}

/// Ask for a secret without echoing it.
pub fn ask_secret(prompt: &str, flag: &str) -> CliResult<SecretString> {
    if !interactive() {
        return Err(CliError::usage(format!(
            "standard input is not a terminal, so skyport cannot ask for it; use {flag}"
        )));
    }
    let value = rpassword::prompt_password(format!("{prompt}: "))
        .map_err(|e| CliError::failed(format!("cannot read from the terminal: {e}")))?;
    let value = SecretString::new(value);
    if value.expose().trim().is_empty() {
        return Err(CliError::usage("nothing was entered"));
    }
    Ok(value)
}

/// The first line of standard input, for `--password-stdin` and `--token-stdin`.
pub fn secret_from_stdin(what: &str) -> CliResult<SecretString> {
    let mut buf = String::new();
    std::io::stdin()
        .lock()
        .take(64 * 1024)
        .read_to_string(&mut buf)
        .map_err(|e| {
            CliError::failed(format!("cannot read the {what} from standard input: {e}"))
        })?;
    let buf = SecretString::new(buf);
    let first = buf
        .expose()
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string();
    if first.trim().is_empty() {
        return Err(CliError::usage(format!(
            "no {what} on standard input (give it on the first line)"
        )));
    }
    Ok(SecretString::new(first))
}

/// Yes/no confirmation; refused (exit 2) when there is no terminal to ask at.
pub fn confirm(question: &str) -> CliResult<bool> {
    if !interactive() {
        return Err(CliError::usage(format!(
            "{question} — standard input is not a terminal, so skyport cannot ask; add --force to go ahead"
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    drop(err);
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::failed(format!("cannot read the answer: {e}")))?;
    Ok(n > 0 && matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
