//! Standard output: data only (tables, ids, JSON). Messages go to standard error through
//! [`note`] and [`warn`]. A closed pipe (`skyport ps | head -1`) ends the program quietly.

use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Write to standard output and flush; a closed pipe becomes a quiet exit.
pub fn out(text: &str) -> CliResult {
    let mut stdout = std::io::stdout().lock();
    let res = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush());
    match res {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::closed_output()),
        Err(e) => Err(CliError::new(
            skyport_core::error::ErrorCode::Io,
            format!("cannot write to standard output: {e}"),
        )),
    }
}

/// One line of data.
pub fn line(text: &str) -> CliResult {
    let mut s = String::with_capacity(text.len() + 1);
    s.push_str(text);
    s.push('\n');
    out(&s)
}

/// Pretty JSON of any serialisable value, then a newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        CliError::new(
            skyport_core::error::ErrorCode::Internal,
            format!("cannot format JSON: {e}"),
        )
    })?;
    line(&text)
}

/// A message for the person at the terminal (standard error).
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A warning (standard error).
/// One failure among several (the command goes on, and exits with an error at the end).
pub fn error(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "error: {text}");
}

pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {text}");
}

/// A plain-text table: a header row and left-aligned columns two spaces apart.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let n = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let mut s = String::new();
        let mut push_row = |cells: &[String]| {
            let mut line = String::new();
            for (i, c) in cells.iter().enumerate().take(n) {
                if i + 1 == n {
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    let pad = widths[i] - c.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            s.push_str(line.trim_end());
            s.push('\n');
        };
        push_row(&self.header);
        for r in &self.rows {
            push_row(r);
        }
        s
    }

    pub fn print(&self) -> CliResult {
        out(&self.render())
    }
}

fn span(d: Duration) -> String {
    let mins = d.num_minutes();
    let (days, hours, m) = (mins / 1440, (mins / 60) % 24, mins % 60);
    if days > 0 {
        if hours > 0 {
            format!("{days}d {hours}h")
        } else {
            format!("{days}d")
        }
    } else if hours > 0 {
        if m > 0 {
            format!("{hours}h {m}m")
        } else {
            format!("{hours}h")
        }
    } else if mins > 0 {
        format!("{m}m")
    } else {
        "<1m".into()
    }
}

/// "5m ago", "3h ago", "2d 4h ago", or "-".
pub fn ago(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) if t <= now => format!("{} ago", span(now - t)),
        Some(_) => "just now".into(),
        None => "-".into(),
    }
}

/// "3d 23h", "12m", "expired", or "-".
pub fn until(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) if t > now => span(t - now),
        Some(_) => "expired".into(),
        None => "-".into(),
    }
}

/// `2026-07-13 22:57 UTC`.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A number without needless decimals: 2, 0.5, 8.59.
pub fn num(v: f64) -> String {
    if (v - v.round()).abs() < 0.005 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn opt_num(v: Option<f64>) -> String {
    v.map(num).unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_trim() {
        let mut t = Table::new(&["ID", "NAME", "KIND"]);
        t.row(vec!["a".into(), "longer-name".into(), "notebook".into()]);
        t.row(vec!["bbbbbb".into(), "x".into(), String::new()]);
        assert_eq!(
            t.render(),
            "ID      NAME         KIND\na       longer-name  notebook\nbbbbbb  x\n"
        );
    }

    #[test]
    fn times_and_numbers() {
        let now: DateTime<Utc> = "2026-01-02T00:00:00Z".parse().expect("t");
        let t = |s: &str| Some(s.parse::<DateTime<Utc>>().expect("t"));
        assert_eq!(ago(t("2026-01-01T21:00:00Z"), now), "3h ago");
        assert_eq!(ago(t("2026-01-01T23:59:30Z"), now), "<1m ago");
        assert_eq!(ago(None, now), "-");
        assert_eq!(until(t("2026-01-05T23:30:00Z"), now), "3d 23h");
        assert_eq!(until(t("2026-01-01T00:00:00Z"), now), "expired");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(8.59), "8.59");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(opt_num(None), "-");
    }
}
