//! Test support shared by unit and integration tests: the real OIDC provider
//! (npm `oidc-provider`, tools/oidc/server.mjs) on loopback and a scripted browser that
//! fills in its login and consent pages. Compiled for tests and with feature `testsupport`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running provider; stopped (SIGTERM) on drop.
pub struct OidcServer {
    pub issuer: String,
    pub client_id: String,
    pub audience: String,
    child: Child,
}

impl Drop for OidcServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Start the provider, or `None` (with a message) when node or its packages are missing
/// outside CI. In CI a missing provider is a failure.
pub fn start_oidc(access_ttl_secs: u64) -> Option<OidcServer> {
    let dir = repo_root().join("tools/oidc");
    let missing = |what: String| {
        if std::env::var_os("CI").is_some() {
            panic!("OIDC tests need {what} in CI (make test installs it)");
        }
        eprintln!("SKIPPED OIDC test: {what} (run `make test`)");
        None
    };
    if !dir.join("node_modules/oidc-provider").exists() {
        return missing("tools/oidc/node_modules (npm ci in tools/oidc)".into());
    }
    let mut child = match Command::new("node")
        .arg(dir.join("server.mjs"))
        .args(["--port", "0"])
        .env("OIDC_ACCESS_TTL", access_ttl_secs.to_string())
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(std::env::temp_dir().join("skyport-oidc-provider.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return missing(format!("node ({e})")),
    };
    let stdout = child.stdout.take()?;
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        let _ = child.kill();
        panic!("the OIDC provider did not start");
    }
    // Keep draining its stdout: the provider logs notices there and dies of EPIPE otherwise.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("provider said {line:?}: {e}"));
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    Some(OidcServer {
        issuer: s("issuer"),
        client_id: s("client_id"),
        audience: s("audience"),
        child,
    })
}

fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("browser http client")
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<input").skip(1) {
        let tag = part.split('>').next().unwrap_or("");
        let attr = |n: &str| {
            tag.split(&format!("{n}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_string)
        };
        if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
            out.push((name, value));
        }
    }
    out
}

fn form_action(html: &str, base: &url::Url) -> Option<url::Url> {
    let action = html.split("action=\"").nth(1)?.split('"').next()?;
    base.join(action).ok()
}

/// What the scripted browser does with the final redirect to the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Deliver it as is.
    Deliver,
    /// Change the `state` parameter (a forged or stale answer).
    TamperState,
}

/// Walk the provider's pages like a person would: log in as `user`, consent, and follow
/// the redirect back to the app's loopback listener. Returns the final redirect URL.
pub async fn complete_login(start: &str, user: &str, finish: Finish) -> Result<String, String> {
    let http = browser_client();
    let mut next = url::Url::parse(start).map_err(|e| chain(&e))?;
    let mut form: Option<Vec<(String, String)>> = None;
    for _ in 0..20 {
        if next.host_str() == Some("127.0.0.1") && next.path() == "/callback" {
            if finish == Finish::TamperState {
                let pairs: Vec<(String, String)> = next
                    .query_pairs()
                    .map(|(k, v)| {
                        if k == "state" {
                            (k.into_owned(), "forged-state".into())
                        } else {
                            (k.into_owned(), v.into_owned())
                        }
                    })
                    .collect();
                next.query_pairs_mut().clear().extend_pairs(pairs);
            }
            let url = next.to_string();
            http.get(next).send().await.map_err(|e| chain(&e))?;
            return Ok(url);
        }
        let resp = match form.take() {
            Some(fields) => http.post(next.clone()).form(&fields).send().await,
            None => http.get(next.clone()).send().await,
        }
        .map_err(|e| chain(&e))?;
        if let Some(loc) = resp.headers().get("location").and_then(|l| l.to_str().ok()) {
            next = next.join(loc).map_err(|e| chain(&e))?;
            continue;
        }
        let base = resp.url().clone();
        let html = resp.text().await.map_err(|e| chain(&e))?;
        let action = form_action(&html, &base)
            .ok_or_else(|| format!("no form on {base}: {}", &html[..html.len().min(300)]))?;
        let mut fields = hidden_fields(&html);
        if html.contains("name=\"login\"") {
            fields.retain(|(k, _)| k != "login" && k != "password");
            fields.push(("login".into(), user.into()));
            fields.push(("password".into(), "any-password".into()));
        }
        next = action;
        form = Some(fields);
    }
    Err("too many pages in the scripted login".into())
}

/// Device flow: open the verification page, enter the code, log in, consent.
pub async fn complete_device_login(
    verification_uri: &str,
    user_code: &str,
    user: &str,
) -> Result<(), String> {
    complete_device_login_inner(verification_uri, user_code, user)
        .await
        .map_err(|e| format!("{e} (device page {verification_uri})"))
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s = format!("{s}: {x}");
        src = x.source();
    }
    s
}

async fn complete_device_login_inner(
    verification_uri: &str,
    user_code: &str,
    user: &str,
) -> Result<(), String> {
    let http = browser_client();
    let page = http
        .get(verification_uri)
        .send()
        .await
        .map_err(|e| chain(&e))?;
    let base = page.url().clone();
    let html = page.text().await.map_err(|e| chain(&e))?;
    let action = form_action(&html, &base).ok_or("no code form")?;
    let mut fields = hidden_fields(&html);
    fields.retain(|(k, _)| k != "user_code");
    fields.push(("user_code".into(), user_code.into()));
    let mut next = action;
    let mut form = Some(fields);
    for _ in 0..20 {
        let resp = match form.take() {
            Some(f) => http.post(next.clone()).form(&f).send().await,
            None => http.get(next.clone()).send().await,
        }
        .map_err(|e| chain(&e))?;
        if let Some(loc) = resp.headers().get("location").and_then(|l| l.to_str().ok()) {
            next = next.join(loc).map_err(|e| chain(&e))?;
            continue;
        }
        let base = resp.url().clone();
        let html = resp.text().await.map_err(|e| chain(&e))?;
        if !html.contains("<form") {
            return if html.to_ascii_lowercase().contains("success")
                || html.contains("Sign-in Success")
            {
                Ok(())
            } else {
                Err(format!(
                    "device flow ended on: {}",
                    &html[..html.len().min(300)]
                ))
            };
        }
        let action = form_action(&html, &base).ok_or("no form")?;
        let mut f = hidden_fields(&html);
        if html.contains("name=\"login\"") {
            f.retain(|(k, _)| k != "login" && k != "password");
            f.push(("login".into(), user.into()));
            f.push(("password".into(), "any-password".into()));
        }
        next = action;
        form = Some(f);
    }
    Err("too many pages in the device login".into())
}

/// Write an executable shell script at `path` that records its arguments and the
/// environment it got into `out` (whole, by a rename): a stand-in for a browser or
/// launcher, to see what a child process would inherit.
#[cfg(unix)]
pub fn env_writer_script(path: &std::path::Path, out: &std::path::Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("script folder");
    }
    std::fs::write(
        path,
        format!(
            "#!/bin/sh\n{{ printf 'args: %s\\n' \"$*\"; env; }} > '{out}.tmp' && mv '{out}.tmp' '{out}'\n",
            out = out.display()
        ),
    )
    .expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.to_path_buf()
}
