//! The session model, parsed leniently from every format real Skaha servers have sent.
//!
//! Servers in the field differ: RAM as `"8.59"` (decimal GB), `"16G"` or `"90Mi"`; cores as
//! `"0.250"` or `"561m"`; `"<none>"` placeholders; missing fields; legacy statuses
//! (`Succeeded`, `Error`). A session list must never fail because one field is odd, so every
//! field is optional and parsed on its own; what cannot be read becomes `None`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SkahaError;

/// An answer that is not what the API documents.
fn garbage(detail: String) -> SkahaError {
    SkahaError::Garbage { detail }
}

/// A session id as the server issued it (8 characters, `[a-z][a-z0-9]{7}` on Skaha).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
#[serde(transparent)]
pub struct SessionId(pub String);

/// A session id that cannot be one, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadSessionId(String);

impl crate::error::Coded for BadSessionId {
    fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::Validation
    }
}

impl SessionId {
    /// Accept an id typed by a person: trimmed, and only characters a URL path can carry.
    pub fn parse(input: &str) -> Result<Self, BadSessionId> {
        let id = input.trim();
        if id.is_empty() {
            return Err(BadSessionId(
                "a session id is empty; copy it from the session list (e.g. k3x9q2ab)".into(),
            ));
        }
        if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(BadSessionId(format!(
                "{id:?} is not a session id; ids are short letters and digits such as k3x9q2ab"
            )));
        }
        Ok(Self(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a session (`type` on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    Notebook,
    Desktop,
    Carta,
    Contributed,
    Firefly,
    Headless,
    DesktopApp,
    /// A kind this version does not know; kept so the session still shows.
    #[serde(untagged)]
    Other(String),
}

impl SessionKind {
    /// The kinds a user can launch, in the order the launch form offers them.
    pub const LAUNCHABLE: [SessionKind; 6] = [
        SessionKind::Notebook,
        SessionKind::Desktop,
        SessionKind::Carta,
        SessionKind::Firefly,
        SessionKind::Contributed,
        SessionKind::Headless,
    ];

    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "notebook" => Self::Notebook,
            "desktop" => Self::Desktop,
            "carta" => Self::Carta,
            "contributed" => Self::Contributed,
            "firefly" => Self::Firefly,
            "headless" => Self::Headless,
            "desktop-app" => Self::DesktopApp,
            other => Self::Other(other.to_string()),
        }
    }

    /// The wire name (`type=` parameter).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Notebook => "notebook",
            Self::Desktop => "desktop",
            Self::Carta => "carta",
            Self::Contributed => "contributed",
            Self::Firefly => "firefly",
            Self::Headless => "headless",
            Self::DesktopApp => "desktop-app",
            Self::Other(s) => s,
        }
    }

    /// Interactive kinds count against the quota and have a page to open.
    pub fn is_interactive(&self) -> bool {
        !matches!(self, Self::Headless | Self::DesktopApp)
    }
}

impl std::fmt::Display for SessionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a session is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
pub enum SessionStatus {
    Pending,
    Running,
    Terminating,
    Completed,
    Failed,
    /// Anything else the server said, kept verbatim.
    Unknown(String),
}

impl SessionStatus {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" | "queued" | "" | "<none>" => Self::Pending,
            "running" => Self::Running,
            "terminating" => Self::Terminating,
            "completed" | "succeeded" => Self::Completed,
            "failed" | "error" => Self::Failed,
            _ => Self::Unknown(s.trim().to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Terminating => "Terminating",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Unknown(s) => s,
        }
    }

    /// Pending or Terminating: the list should be polled quickly.
    pub fn is_transitional(&self) -> bool {
        matches!(self, Self::Pending | Self::Terminating)
    }

    /// Still holds resources (and, for interactive kinds, a quota slot).
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }
}

/// One session, as the app and the CLI use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    pub name: String,
    pub kind: SessionKind,
    pub status: SessionStatus,
    pub image: String,
    pub userid: Option<String>,
    #[specta(type = Option<String>)]
    pub start_time: Option<DateTime<Utc>>,
    #[specta(type = Option<String>)]
    pub expiry_time: Option<DateTime<Utc>>,
    /// The page to open; `None` for headless and until the server gives one.
    pub connect_url: Option<String>,
    pub requested_cores: Option<f64>,
    /// Decimal gigabytes (10^9 bytes), as the service reports them.
    pub requested_ram_gb: Option<f64>,
    pub requested_gpus: Option<f64>,
    pub cores_in_use: Option<f64>,
    pub ram_in_use_gb: Option<f64>,
    /// True for fixed resources, false for flexible, `None` when not reported.
    pub fixed_resources: Option<bool>,
    /// Desktop-app id, for `desktop-app` entries.
    pub app_id: Option<String>,
}

/// The raw JSON object, every field optional and loosely typed.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSession {
    id: Option<serde_json::Value>,
    userid: Option<serde_json::Value>,
    appid: Option<serde_json::Value>,
    image: Option<serde_json::Value>,
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
    status: Option<serde_json::Value>,
    name: Option<serde_json::Value>,
    start_time: Option<serde_json::Value>,
    expiry_time: Option<serde_json::Value>,
    #[serde(rename = "connectURL")]
    connect_url: Option<serde_json::Value>,
    #[serde(rename = "requestedRAM")]
    requested_ram: Option<serde_json::Value>,
    #[serde(rename = "requestedCPUCores")]
    requested_cpu_cores: Option<serde_json::Value>,
    #[serde(rename = "requestedGPUCores")]
    requested_gpu_cores: Option<serde_json::Value>,
    #[serde(rename = "ramInUse")]
    ram_in_use: Option<serde_json::Value>,
    #[serde(rename = "cpuCoresInUse", alias = "coresInUse")]
    cpu_cores_in_use: Option<serde_json::Value>,
    is_fixed_resources: Option<serde_json::Value>,
}

/// A field's text, with `""`, `"<none>"` and `null` meaning absent.
fn text(v: &Option<serde_json::Value>) -> Option<String> {
    let s = match v.as_ref()? {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty() && s != "<none>" && s != "<nil>" && s != "null").then_some(s)
}

fn time(v: &Option<serde_json::Value>) -> Option<DateTime<Utc>> {
    let s = text(v)?;
    DateTime::parse_from_rfc3339(&s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Decimal gigabytes, as the platform reports memory, in the launch form's "GB" (Kubernetes'
/// Gi, which the form asks for): 8.59 reported is 8 chosen.
pub fn chosen_gb(reported_gb: f64) -> f64 {
    reported_gb / 1.073_741_824
}

/// The memory as the user chose it. The launch form's "GB" are Kubernetes' Gi, and the
/// platform reports the request in decimal GB (192 chosen → "206.16"): the option it came
/// from, when one matches either way.
pub fn as_chosen(reported_gb: f64, ctx: Option<&Context>) -> f64 {
    let gib = chosen_gb(reported_gb);
    let options = ctx.map(|c| c.memory_gb.options.as_slice()).unwrap_or(&[]);
    let near = |v: f64| options.iter().copied().find(|o| (o - v).abs() < 0.02);
    near(gib).or_else(|| near(reported_gb)).unwrap_or_else(|| {
        if (gib - gib.round()).abs() < 0.02 {
            gib.round()
        } else {
            reported_gb
        }
    })
}

/// Memory in decimal gigabytes from `"8.59"`, `"16G"`, `"16Gi"`, `"90Mi"`, `"67M"`,
/// `"560M / 8192M"` (the first figure), or a bare number.
pub fn parse_memory_gb(s: &str) -> Option<f64> {
    let first = s.split('/').next()?.trim();
    let split =
        first.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == '+'));
    let (num, unit) = match split {
        Some(i) => first.split_at(i),
        None => (first, ""),
    };
    let n: f64 = num.trim().parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let bytes_per = match unit.trim() {
        "" | "G" | "GB" | "g" => 1e9,
        "Gi" | "GiB" => 1_073_741_824.0,
        "M" | "MB" => 1e6,
        "Mi" | "MiB" => 1_048_576.0,
        "K" | "k" | "KB" => 1e3,
        "Ki" | "KiB" => 1024.0,
        "T" | "TB" => 1e12,
        "Ti" | "TiB" => 1_099_511_627_776.0,
        _ => return None,
    };
    // A huge figure ("1e300T") overflows to infinity: not a size.
    let gb = n * bytes_per / 1e9;
    gb.is_finite().then_some(gb)
}

/// CPU cores from `"2"`, `"0.250"`, `"561m"` (millicores).
pub fn parse_cores(s: &str) -> Option<f64> {
    let t = s.trim();
    let v = match t.strip_suffix('m') {
        Some(milli) => milli.trim().parse::<f64>().ok()? / 1000.0,
        None => t.parse::<f64>().ok()?,
    };
    (v.is_finite() && v >= 0.0).then_some(v)
}

fn fixed(v: &Option<serde_json::Value>) -> Option<bool> {
    match v.as_ref()? {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "fixed" => Some(true),
            "false" | "flexible" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl Session {
    /// Parse one JSON object leniently. Only a missing id makes it unusable.
    pub fn from_json(v: &serde_json::Value) -> Option<Session> {
        let raw: RawSession = serde_json::from_value(v.clone()).ok()?;
        let id = text(&raw.id)?;
        let kind = text(&raw.kind)
            .map(|k| SessionKind::parse(&k))
            .unwrap_or(SessionKind::Headless);
        let connect_url = text(&raw.connect_url);
        Some(Session {
            id: SessionId(id),
            name: text(&raw.name).unwrap_or_default(),
            kind,
            status: text(&raw.status)
                .map(|s| SessionStatus::parse(&s))
                .unwrap_or(SessionStatus::Pending),
            image: text(&raw.image).unwrap_or_default(),
            userid: text(&raw.userid),
            start_time: time(&raw.start_time),
            expiry_time: time(&raw.expiry_time),
            connect_url,
            requested_cores: text(&raw.requested_cpu_cores).and_then(|s| parse_cores(&s)),
            requested_ram_gb: text(&raw.requested_ram).and_then(|s| parse_memory_gb(&s)),
            requested_gpus: text(&raw.requested_gpu_cores).and_then(|s| parse_cores(&s)),
            cores_in_use: text(&raw.cpu_cores_in_use).and_then(|s| parse_cores(&s)),
            ram_in_use_gb: text(&raw.ram_in_use).and_then(|s| parse_memory_gb(&s)),
            fixed_resources: fixed(&raw.is_fixed_resources),
            app_id: text(&raw.appid),
        })
    }

    /// Parse a session list; entries that are not objects or have no id are skipped and
    /// counted, so one broken entry never hides the others.
    pub fn list_from_json(v: &serde_json::Value) -> Result<(Vec<Session>, usize), SkahaError> {
        let arr = v.as_array().ok_or_else(|| {
            garbage(format!(
                "expected a JSON list of sessions, got {}",
                json_kind(v)
            ))
        })?;
        let mut out = Vec::with_capacity(arr.len());
        let mut skipped = 0;
        for item in arr {
            match Session::from_json(item) {
                Some(s) => out.push(s),
                None => skipped += 1,
            }
        }
        Ok((out, skipped))
    }

    /// Time left before the platform stops the session, if it said.
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.expiry_time.map(|e| e - now)
    }
}

pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// One container image from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// `registry/project/name:tag`
    pub id: String,
    pub kinds: Vec<SessionKind>,
    pub digest: Option<String>,
}

impl Image {
    pub fn from_json(v: &serde_json::Value) -> Option<Image> {
        let id = v.get("id")?.as_str()?.trim().to_string();
        if id.is_empty() {
            return None;
        }
        let kinds = v
            .get("types")
            .and_then(|t| t.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str())
                    .map(SessionKind::parse)
                    .collect()
            })
            .unwrap_or_default();
        let digest = v.get("digest").and_then(|d| d.as_str()).map(str::to_string);
        Some(Image { id, kinds, digest })
    }

    /// `(registry, project, name:tag)` for grouping in the launch form.
    pub fn parts(&self) -> (&str, &str, &str) {
        let mut it = self.id.splitn(3, '/');
        match (it.next(), it.next(), it.next()) {
            (Some(r), Some(p), Some(n)) => (r, p, n),
            (Some(r), Some(n), None) => (r, "", n),
            _ => ("", "", self.id.as_str()),
        }
    }
}

/// One resource dimension of the context (`cores`, `memoryGB`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ResourceOptions {
    pub default: Option<f64>,
    pub default_request: Option<f64>,
    pub default_limit: Option<f64>,
    pub options: Vec<f64>,
}

/// What sessions may ask for (`GET /v1/context`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    pub cores: ResourceOptions,
    pub memory_gb: ResourceOptions,
    pub gpus: ResourceOptions,
    /// The interactive-session quota, when the server says (string or number on the wire).
    pub max_interactive_sessions: Option<u32>,
}

fn number(v: Option<&serde_json::Value>) -> Option<f64> {
    let n = match v? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    // Rust reads "inf", "NaN" and "1e400" as numbers; none is a resource figure.
    n.filter(|n: &f64| n.is_finite())
}

fn resource(v: Option<&serde_json::Value>) -> ResourceOptions {
    let Some(v) = v else {
        return ResourceOptions::default();
    };
    ResourceOptions {
        default: number(v.get("default")).or_else(|| number(v.get("defaultHeadless"))),
        default_request: number(v.get("defaultRequest")),
        default_limit: number(v.get("defaultLimit")),
        options: v
            .get("options")
            .and_then(|o| o.as_array())
            .map(|a| a.iter().filter_map(|x| number(Some(x))).collect())
            .unwrap_or_default(),
    }
}

impl Context {
    pub fn from_json(v: &serde_json::Value) -> Result<Context, SkahaError> {
        if !v.is_object() {
            return Err(garbage(format!(
                "expected the context as a JSON object, got {}",
                json_kind(v)
            )));
        }
        Ok(Context {
            cores: resource(v.get("cores")),
            memory_gb: resource(v.get("memoryGB")),
            gpus: resource(v.get("gpus")),
            max_interactive_sessions: number(v.get("maxInteractiveSessions"))
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .map(|n| n as u32),
        })
    }
}

/// Platform load (`GET /v1/session?view=stats`), current and 2022-era shapes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlatformStats {
    pub cores_requested: Option<f64>,
    pub cores_available: Option<f64>,
    pub ram_requested_gb: Option<f64>,
    pub ram_available_gb: Option<f64>,
    pub max_cores_per_session: Option<f64>,
    pub max_ram_gb_per_session: Option<f64>,
}

fn mem(v: Option<&serde_json::Value>) -> Option<f64> {
    match v? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_memory_gb(s),
        _ => None,
    }
}

impl PlatformStats {
    pub fn from_json(v: &serde_json::Value) -> Result<PlatformStats, SkahaError> {
        if !v.is_object() {
            return Err(garbage(format!(
                "expected platform statistics as a JSON object, got {}",
                json_kind(v)
            )));
        }
        let cores = v.get("cores");
        let ram = v.get("ram");
        let g = |o: Option<&serde_json::Value>, k: &str| o.and_then(|o| o.get(k)).cloned();
        Ok(PlatformStats {
            cores_requested: number(g(cores, "requestedCPUCores").as_ref())
                .or_else(|| number(g(cores, "coresInUse").as_ref())),
            cores_available: number(g(cores, "cpuCoresAvailable").as_ref())
                .or_else(|| number(g(cores, "coresAvailable").as_ref())),
            ram_requested_gb: mem(g(ram, "requestedRAM").as_ref())
                .or_else(|| mem(g(ram, "ramInUse").as_ref())),
            ram_available_gb: mem(g(ram, "ramAvailable").as_ref()),
            max_cores_per_session: cores
                .and_then(|c| c.get("maxCPUCores").or_else(|| c.get("maxCores")))
                .and_then(|m| number(m.get("cpuCores").or_else(|| m.get("cores")))),
            max_ram_gb_per_session: ram
                .and_then(|r| r.get("maxRAM"))
                .and_then(|m| mem(m.get("ram"))),
        })
    }
}

/// One row of `view=events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SessionEvent {
    pub kind: String,
    pub reason: String,
    pub message: String,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
}

/// Parse the events table (`TYPE REASON MESSAGE FIRST-TIME LAST-TIME`, or `<none>`).
/// Lines that do not fit are kept whole in `message`, so nothing is lost.
pub fn parse_events(body: &str) -> Vec<SessionEvent> {
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.trim_end();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed == "<none>" || trimmed.starts_with("TYPE ") {
            continue;
        }
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        if words.len() >= 5 {
            let n = words.len();
            let opt = |s: &str| (s != "<nil>" && s != "<none>").then(|| s.to_string());
            out.push(SessionEvent {
                kind: words[0].to_string(),
                reason: words[1].to_string(),
                message: words[2..n - 2].join(" "),
                first_time: opt(words[n - 2]),
                last_time: opt(words[n - 1]),
            });
        } else {
            out.push(SessionEvent {
                kind: String::new(),
                reason: String::new(),
                message: trimmed.to_string(),
                first_time: None,
                last_time: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_current_format() {
        let v = json!({
            "id": "k3x9q2ab", "userid": "jdoe", "runAsUID": "20001", "image": "images.canfar.net/skaha/astroml:latest",
            "type": "notebook", "status": "Running", "name": "notebook1",
            "startTime": "2026-07-13T22:57:10Z", "expiryTime": "2026-07-17T22:57:10Z",
            "connectURL": "https://ws-uv.canfar.net/session/notebook/k3x9q2ab/lab/tree/arc/home/jdoe?token=k3x9q2ab",
            "requestedRAM": "8.59", "requestedCPUCores": "2", "requestedGPUCores": "0",
            "ramInUse": "0.54", "cpuCoresInUse": "0.012", "isFixedResources": true
        });
        let s = Session::from_json(&v).expect("session");
        assert_eq!(s.id.as_str(), "k3x9q2ab");
        assert_eq!(s.kind, SessionKind::Notebook);
        assert_eq!(s.status, SessionStatus::Running);
        assert_eq!(s.requested_ram_gb, Some(8.59));
        assert_eq!(s.requested_cores, Some(2.0));
        assert_eq!(s.requested_gpus, Some(0.0));
        assert_eq!(s.cores_in_use, Some(0.012));
        assert_eq!(s.fixed_resources, Some(true));
        let left = s
            .remaining("2026-07-16T22:57:10Z".parse().expect("time"))
            .expect("expiry");
        assert_eq!(left.num_hours(), 24);
    }

    #[test]
    fn parses_legacy_and_odd_formats() {
        let v = json!({
            "id": "abcd1234", "type": "desktop", "status": "Succeeded", "name": "<none>",
            "startTime": "<none>", "connectURL": "", "requestedRAM": "16G", "ramInUse": "90Mi",
            "coresInUse": "561m", "gpuRAMInUse": "560M / 8192M", "isFixedResources": "garbage"
        });
        let s = Session::from_json(&v).expect("session");
        assert_eq!(s.status, SessionStatus::Completed);
        assert_eq!(s.name, "");
        assert_eq!(s.start_time, None);
        assert_eq!(s.connect_url, None);
        assert_eq!(s.requested_ram_gb, Some(16.0));
        assert!((s.ram_in_use_gb.expect("ram") - 0.094_371_84).abs() < 1e-6);
        assert_eq!(s.cores_in_use, Some(0.561));
        assert_eq!(s.fixed_resources, None);
        assert_eq!(SessionStatus::parse("Error"), SessionStatus::Failed);
        assert_eq!(
            SessionStatus::parse("Weird"),
            SessionStatus::Unknown("Weird".into())
        );
        assert_eq!(
            SessionKind::parse("Quantum"),
            SessionKind::Other("quantum".into())
        );
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory_gb("8.59"), Some(8.59));
        assert_eq!(parse_memory_gb("32Gi"), Some(34.359_738_368));
        assert_eq!(parse_memory_gb("67M"), Some(0.067));
        assert_eq!(parse_memory_gb("560M / 8192M"), Some(0.56));
        assert_eq!(parse_memory_gb("1234.5G"), Some(1234.5));
        assert_eq!(parse_memory_gb("lots"), None);
        assert_eq!(parse_memory_gb("-3"), None);
        assert_eq!(parse_memory_gb("5Zb"), None);
        assert_eq!(parse_cores("0.250"), Some(0.25));
        assert_eq!(parse_cores("x"), None);
        // Found by fuzzing: a huge figure overflowed to infinity.
        assert_eq!(parse_memory_gb("1e300"), None);
        assert_eq!(parse_memory_gb("2e299Ti"), None);
    }

    #[test]
    fn context_and_stats_figures_are_finite() {
        // Found by fuzzing: strings Rust reads as infinity or NaN became resource options.
        let v = json!({"cores": {"default": "NaN", "options": ["1", "inf", "2e308", 4]},
                        "memoryGB": {"defaultRequest": "-inf"}, "maxInteractiveSessions": "inf"});
        let c = Context::from_json(&v).expect("context");
        assert_eq!(c.cores.default, None);
        assert_eq!(c.cores.options, vec![1.0, 4.0]);
        assert_eq!(c.memory_gb.default_request, None);
        assert_eq!(c.max_interactive_sessions, None);
        let s = PlatformStats::from_json(&json!({"cores": {"requestedCPUCores": "infinity"},
                                                  "ram": {"ramAvailable": "1e300T"}}))
        .expect("stats");
        assert_eq!((s.cores_requested, s.ram_available_gb), (None, None));
    }

    #[test]
    fn a_list_survives_broken_entries() {
        let v = json!([{"id": "aaaaaaaa", "type": "headless", "status": "Pending"}, 42, {"name": "no id"}, null]);
        let (list, skipped) = Session::list_from_json(&v).expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(skipped, 3);
        let e = Session::list_from_json(&json!({"error": "x"})).expect_err("object");
        assert!(e.to_string().contains("got an object"), "{e}");
    }

    #[test]
    fn context_accepts_string_or_number_quota_and_legacy_keys() {
        let v = json!({"cores": {"default": 2, "defaultRequest": 1, "defaultLimit": 8, "options": [1,2,4]},
                        "memoryGB": {"defaultHeadless": 4, "options": [1, "2", 4]},
                        "gpus": {"options": []}, "maxInteractiveSessions": "5"});
        let c = Context::from_json(&v).expect("context");
        assert_eq!(c.cores.options, vec![1.0, 2.0, 4.0]);
        assert_eq!(c.memory_gb.default, Some(4.0));
        assert_eq!(c.memory_gb.options, vec![1.0, 2.0, 4.0]);
        assert_eq!(c.max_interactive_sessions, Some(5));
        let c = Context::from_json(&json!({"maxInteractiveSessions": 3})).expect("context");
        assert_eq!(c.max_interactive_sessions, Some(3));
        assert!(Context::from_json(&json!([1])).is_err());
    }

    #[test]
    fn stats_current_and_legacy() {
        let v = json!({"cores": {"requestedCPUCores": 377.5, "cpuCoresAvailable": 960.0, "maxCPUCores": {"cpuCores": 8.0, "withRam": "32Gi"}},
                        "ram": {"requestedRAM": "1234.5G", "ramAvailable": "4096G", "maxRAM": {"ram": "32Gi", "withCPUCores": 8.0}}});
        let s = PlatformStats::from_json(&v).expect("stats");
        assert_eq!(s.cores_requested, Some(377.5));
        assert_eq!(s.ram_available_gb, Some(4096.0));
        assert_eq!(s.max_cores_per_session, Some(8.0));
        let legacy = json!({"cores": {"coresInUse": 10, "coresAvailable": 100, "maxCores": {"cores": 16}}, "ram": {"ramInUse": "20G"}});
        let s = PlatformStats::from_json(&legacy).expect("stats");
        assert_eq!(
            (
                s.cores_requested,
                s.cores_available,
                s.max_cores_per_session
            ),
            (Some(10.0), Some(100.0), Some(16.0))
        );
        assert_eq!(s.ram_requested_gb, Some(20.0));
    }

    #[test]
    fn events_table() {
        let body = "TYPE     REASON    MESSAGE                          FIRST-TIME             LAST-TIME\nNormal   Scheduled Successfully assigned skaha/x  2026-07-13T22:57:10Z   <nil>\nWarning  Failed    Back-off pulling image           <nil>                  2026-07-13T22:58:00Z\n";
        let ev = parse_events(body);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].reason, "Scheduled");
        assert_eq!(ev[0].message, "Successfully assigned skaha/x");
        assert_eq!(ev[0].last_time, None);
        assert_eq!(ev[1].first_time, None);
        assert!(parse_events("<none>\n").is_empty());
        assert_eq!(parse_events("odd line")[0].message, "odd line");
    }

    #[test]
    fn session_ids_typed_by_people() {
        assert_eq!(
            SessionId::parse(" k3x9q2ab ").expect("id").as_str(),
            "k3x9q2ab"
        );
        assert!(SessionId::parse("").is_err());
        assert!(SessionId::parse("../etc").is_err());
    }

    #[test]
    fn image_parts() {
        let i = Image {
            id: "images.canfar.net/skaha/astroml:latest".into(),
            kinds: vec![],
            digest: None,
        };
        assert_eq!(i.parts(), ("images.canfar.net", "skaha", "astroml:latest"));
    }
}
