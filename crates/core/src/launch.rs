//! Launching sessions: the rules the app and the CLI share — image names, session names,
//! which options each kind takes, replicas, the form the API receives (so that a dry run
//! shows exactly what is sent), and the interactive-session quota.
//!
//! Facts: skaha-api.md §2 (the create form) and §5.2 (the official client's rules:
//! `cmd/args/env` only for headless, replicas 1–512 and never for desktop or firefly, one
//! POST per replica named `<name>-<i>` with `REPLICA_ID`/`REPLICA_COUNT`).

use serde::Serialize;

use crate::error::{Coded, ErrorCode};
use crate::skaha::{Context, CreateRequest, Resources, Session, SessionKind};

/// The registry a `project/name` image is taken from when the platform names none.
pub const DEFAULT_REGISTRY: &str = "images.canfar.net";
/// The most replicas one launch may ask for.
pub const MAX_REPLICAS: u32 = 512;
/// The longest name the server keeps.
pub const MAX_NAME: usize = 63;

/// A launch that cannot be sent as it is: which field, and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LaunchError {
    /// The form field it is about: `name`, `image`, `kind`, `replicas`, `cmd`, `env`.
    pub field: &'static str,
    pub message: String,
}

impl LaunchError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl Coded for LaunchError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Validation
    }
}

/// `project/name` → `<registry>/project/name`; `:latest` when no tag or digest.
pub fn normalize_image(input: &str, registry: &str) -> Result<String, LaunchError> {
    let bad = |m: String| LaunchError::new("image", m);
    let s = input.trim();
    if s.is_empty() {
        return Err(bad("choose an image, e.g. skaha/astroml".into()));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(format!(
            "{s:?} is not an image name (it contains spaces)"
        )));
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad(format!(
            "{s:?} is not an image name (an empty part between '/')"
        )));
    }
    let full = match parts.len() {
        1 => {
            return Err(bad(format!(
                "{s:?} needs a project: give PROJECT/NAME (e.g. skaha/{s}) or REGISTRY/PROJECT/NAME"
            )))
        }
        2 => format!("{registry}/{s}"),
        3 => s.to_string(),
        _ => {
            return Err(bad(format!(
                "{s:?} has too many parts: give REGISTRY/PROJECT/NAME[:TAG]"
            )))
        }
    };
    let last = full.rsplit('/').next().unwrap_or_default();
    if last.contains(':') || last.contains('@') {
        Ok(full)
    } else {
        Ok(format!("{full}:latest"))
    }
}

/// A session name as the server takes it (`[A-Za-z0-9-]+`, at most 63; stored lower-cased).
pub fn validate_name(name: &str) -> Result<(), LaunchError> {
    let bad = |m: &str| Err(LaunchError::new("name", m));
    if name.is_empty() {
        return bad("a session needs a name, e.g. notebook1");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return bad("names can only contain letters, digits and '-'");
    }
    if name.len() > MAX_NAME {
        return bad("names can be at most 63 characters long");
    }
    Ok(())
}

/// The first free `<kind><n>` (n = 1, 2, …) among the names taken, e.g. `notebook3`.
pub fn free_name<'a>(kind: &SessionKind, taken: impl IntoIterator<Item = &'a str>) -> String {
    let taken: std::collections::HashSet<String> =
        taken.into_iter().map(str::to_ascii_lowercase).collect();
    let base: String = kind
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let base = if base.is_empty() {
        "session".into()
    } else {
        base
    };
    (1u32..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !taken.contains(n))
        .unwrap_or(base)
}

/// Whether a kind can be launched `replicas` times at once.
pub fn check_replicas(kind: &SessionKind, replicas: u32) -> Result<(), LaunchError> {
    if !(1..=MAX_REPLICAS).contains(&replicas) {
        return Err(LaunchError::new(
            "replicas",
            format!("ask for 1 to {MAX_REPLICAS} replicas"),
        ));
    }
    if replicas > 1 && matches!(kind, SessionKind::Desktop | SessionKind::Firefly) {
        return Err(LaunchError::new(
            "replicas",
            format!("{kind} sessions cannot be replicated; ask for one"),
        ));
    }
    Ok(())
}

/// Whether a request's options fit its kind: a command and environment only for headless.
pub fn check_options(req: &CreateRequest) -> Result<(), LaunchError> {
    let kind = req.kind.clone().unwrap_or(SessionKind::Headless);
    if kind != SessionKind::Headless {
        if req.cmd.is_some() || req.args.is_some() {
            return Err(LaunchError::new(
                "cmd",
                format!("a command can only be given to headless sessions, not {kind}"),
            ));
        }
        if !req.env.is_empty() {
            return Err(LaunchError::new(
                "env",
                format!("environment variables can only be given to headless sessions, not {kind}"),
            ));
        }
    }
    Ok(())
}

/// The form fields `POST session` receives for `req` (the registry credential goes in a
/// header, never here). The one place the form is written: the client sends it, a dry run
/// shows it.
pub fn form(req: &CreateRequest) -> Result<Vec<(&'static str, String)>, LaunchError> {
    validate_name(&req.name)?;
    if req.image.trim().is_empty() {
        return Err(LaunchError::new("image", "choose an image to launch"));
    }
    let mut form: Vec<(&'static str, String)> = vec![
        ("name", req.name.clone()),
        ("image", req.image.trim().to_string()),
    ];
    if let Some(k) = &req.kind {
        form.push(("type", k.as_str().to_string()));
    }
    if let Resources::Fixed {
        cores,
        ram_gb,
        gpus,
    } = &req.resources
    {
        form.push(("cores", cores.to_string()));
        form.push(("ram", ram_gb.to_string()));
        // The API rejects gpus=0; leaving it out means no GPU.
        if let Some(g) = gpus.filter(|g| *g > 0) {
            form.push(("gpus", g.to_string()));
        }
    }
    if let Some(cmd) = req.cmd.as_ref().filter(|c| !c.trim().is_empty()) {
        form.push(("cmd", cmd.clone()));
    }
    if let Some(args) = req.args.as_ref().filter(|a| !a.trim().is_empty()) {
        form.push(("args", args.clone()));
    }
    for (k, v) in &req.env {
        if k.is_empty() || k.contains('=') {
            return Err(LaunchError::new(
                "env",
                format!("environment variable name {k:?} is not valid"),
            ));
        }
        if v.contains('=') {
            // The server splits on '=' and silently drops such entries; say so instead.
            return Err(LaunchError::new(
                "env",
                format!(
                    "the value of {k} contains '=', which the platform cannot pass on; remove it"
                ),
            ));
        }
        form.push(("env", format!("{k}={v}")));
    }
    Ok(form)
}

/// The requests a launch of `replicas` sends, one per replica: `<name>-<i>` with
/// `REPLICA_ID` and `REPLICA_COUNT` when more than one.
pub fn plan(req: &CreateRequest, replicas: u32) -> Vec<CreateRequest> {
    let n = replicas.max(1);
    (1..=n)
        .map(|i| {
            let mut r = req.clone();
            if n > 1 {
                r.name = format!("{}-{i}", req.name);
                r.env.push(("REPLICA_ID".into(), i.to_string()));
                r.env.push(("REPLICA_COUNT".into(), n.to_string()));
            }
            r
        })
        .collect()
}

/// How many interactive sessions count against the quota, and the quota (`None` when the
/// platform does not say: it is shown as unknown, and nothing is blocked on a guess).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub used: u32,
    pub max: Option<u32>,
}

/// The quota as the platform counts it: active interactive sessions (desktop apps live
/// inside a desktop and do not count).
pub fn quota(sessions: &[Session], ctx: &Context) -> Quota {
    let used = sessions
        .iter()
        .filter(|s| {
            s.kind.is_interactive() && s.kind != SessionKind::DesktopApp && s.status.is_active()
        })
        .count();
    Quota {
        used: u32::try_from(used).unwrap_or(u32::MAX),
        max: ctx.max_interactive_sessions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_normalised_like_canfar() {
        let n = |s: &str| normalize_image(s, DEFAULT_REGISTRY);
        assert_eq!(
            n("skaha/astroml").as_deref(),
            Ok("images.canfar.net/skaha/astroml:latest")
        );
        assert_eq!(n(" a.b/p/x:1.0 ").as_deref(), Ok("a.b/p/x:1.0"));
        assert_eq!(
            n("skaha/astroml:24.07").as_deref(),
            Ok("images.canfar.net/skaha/astroml:24.07")
        );
        assert_eq!(
            n("harbor.example:5000/p/x").as_deref(),
            Ok("harbor.example:5000/p/x:latest")
        );
        assert_eq!(n("r/p/x@sha256:ab").as_deref(), Ok("r/p/x@sha256:ab"));
        for bad in ["", "astroml", "a//b", "a/b/c/d", "a b/c"] {
            let e = n(bad).expect_err(bad);
            assert_eq!(e.field, "image", "{bad}");
        }
    }

    #[test]
    fn names_and_free_names() {
        assert!(validate_name("nb-1").is_ok());
        assert_eq!(validate_name("a b").map_err(|e| e.field), Err("name"));
        assert!(validate_name(&"x".repeat(64)).is_err());
        let taken = ["notebook1", "Notebook2", "desktop1"];
        assert_eq!(free_name(&SessionKind::Notebook, taken), "notebook3");
        assert_eq!(free_name(&SessionKind::DesktopApp, taken), "desktopapp1");
        assert_eq!(free_name(&SessionKind::Headless, []), "headless1");
    }

    #[test]
    fn replicas_and_options_by_kind() {
        assert!(check_replicas(&SessionKind::Headless, 512).is_ok());
        assert!(check_replicas(&SessionKind::Notebook, 3).is_ok());
        assert!(check_replicas(&SessionKind::Headless, 0).is_err());
        assert!(check_replicas(&SessionKind::Headless, 513).is_err());
        assert!(check_replicas(&SessionKind::Desktop, 2).is_err());
        assert!(check_replicas(&SessionKind::Firefly, 1).is_ok());
        let nb = CreateRequest {
            kind: Some(SessionKind::Notebook),
            cmd: Some("python".into()),
            ..Default::default()
        };
        assert_eq!(check_options(&nb).map_err(|e| e.field), Err("cmd"));
        let hl = CreateRequest {
            kind: Some(SessionKind::Headless),
            env: vec![("A".into(), "1".into())],
            ..nb
        };
        assert!(check_options(&hl).is_ok());
    }

    #[test]
    fn replicas_are_planned_like_the_client_sends_them() {
        let req = CreateRequest {
            name: "job".into(),
            image: "r/p/x:1".into(),
            kind: Some(SessionKind::Headless),
            env: vec![("A".into(), "1".into())],
            ..Default::default()
        };
        let one = plan(&req, 1);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].name, "job");
        assert_eq!(one[0].env, [("A".to_string(), "1".to_string())]);
        let three = plan(&req, 3);
        assert_eq!(
            three.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["job-1", "job-2", "job-3"]
        );
        let f = form(&three[1]).expect("form");
        assert!(f.contains(&("env", "REPLICA_ID=2".to_string())), "{f:?}");
        assert!(f.contains(&("env", "REPLICA_COUNT=3".to_string())), "{f:?}");
    }

    #[test]
    fn the_form_is_what_the_api_takes() {
        let req = CreateRequest {
            name: "nb1".into(),
            image: " r/p/x:1 ".into(),
            kind: Some(SessionKind::Notebook),
            resources: Resources::Fixed {
                cores: 2,
                ram_gb: 8,
                gpus: Some(0),
            },
            cmd: Some("  ".into()),
            ..Default::default()
        };
        let f = form(&req).expect("form");
        assert_eq!(
            f,
            [
                ("name", "nb1".to_string()),
                ("image", "r/p/x:1".to_string()),
                ("type", "notebook".to_string()),
                ("cores", "2".to_string()),
                ("ram", "8".to_string()),
            ]
        );
        let bad = CreateRequest {
            env: vec![("A".into(), "x=y".into())],
            ..req
        };
        assert_eq!(form(&bad).map_err(|e| e.field), Err("env"));
    }

    #[test]
    fn the_quota_counts_active_interactive_sessions_and_never_guesses_the_limit() {
        let session = |id: &str, status: &str, kind: &str| {
            let v = serde_json::json!({"id": id, "name": format!("n{id}"), "type": kind, "status": status});
            Session::from_json(&v).expect("session")
        };
        let sessions = [
            session("a", "Running", "notebook"),
            session("b", "Pending", "desktop"),
            session("c", "Running", "headless"),
            session("d", "Running", "desktop-app"),
            session("e", "Completed", "carta"),
        ];
        let unknown = quota(&sessions, &Context::default());
        assert_eq!(unknown, Quota { used: 2, max: None }, "no limit is made up");
        let ctx = Context {
            max_interactive_sessions: Some(5),
            ..Context::default()
        };
        assert_eq!(
            quota(&sessions, &ctx),
            Quota {
                used: 2,
                max: Some(5)
            }
        );
    }
}
