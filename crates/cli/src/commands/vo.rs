//! VO services beyond the platform: `probe`, `curl`, `token`, `credentials`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use skyport_core::error::ErrorCode;
use skyport_core::keyring::SecretStoreExt;
use skyport_core::vault::probe::{ask, check, Decision, Requirement};
use skyport_core::vault::{self, fetch, Kind, NewCredential};
use url::Url;

use crate::cli::{CredentialAddArgs, CredentialsCommand, CurlArgs, ProbeArgs};
use crate::ctx::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::{json, line, note, warn, Table};
use crate::prompt;

fn parse_url(text: &str) -> CliResult<Url> {
    let url = Url::parse(text.trim())
        .map_err(|e| CliError::usage(format!("{text:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CliError::usage(format!("{text}: only http and https URLs")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CliError::usage(
            "give the address without a user name or password; add a credential for it instead (`skyport credentials add`)",
        ));
    }
    Ok(url)
}

fn roots(cacert: Option<&Path>) -> CliResult<Vec<Vec<u8>>> {
    match cacert {
        Some(f) => Ok(vec![std::fs::read(f).map_err(|e| {
            CliError::usage(format!("--cacert {}: {e}", f.display()))
        })?]),
        None => Ok(vec![]),
    }
}

fn no_redirect_client(ctx: &Ctx, cacert: Option<&Path>) -> CliResult<reqwest::Client> {
    Ok(skyport_core::http::build_client(
        skyport_core::http::HttpOptions {
            timeout: ctx.timeout,
            extra_roots_pem: roots(cacert)?,
            identity_pem: None,
            no_redirects: true,
            ..Default::default()
        },
    )?)
}

/// `skyport probe URL`.
pub async fn probe(ctx: &Ctx, a: &ProbeArgs) -> CliResult {
    let url = parse_url(&a.url)?;
    let http = no_redirect_client(ctx, a.cacert.as_deref())?;
    let report = check(&http, &ctx.paths, &ctx.store, &url)
        .await
        .map_err(|e| CliError::from_coded(&e))?;
    if ctx.json {
        return json(&report);
    }
    let need = match report.requirement {
        Requirement::None => "no credential needed",
        Requirement::Optional => "a credential is optional (anonymous works; signed in shows more)",
        Requirement::Required => "a credential is required",
    };
    line(&format!(
        "{} answered {} to {}: {need}.",
        report.url, report.status, report.method
    ))?;
    if !report.challenges.is_empty() {
        let mut t = Table::new(&["SCHEME", "LOGIN AT", "HOW", "ANSWERED BY"]);
        for c in &report.challenges {
            t.row(vec![
                c.scheme.clone(),
                c.access_url.clone().unwrap_or_else(|| "-".into()),
                c.standard_id
                    .as_deref()
                    .map(|s| s.rsplit('#').next().unwrap_or(s).to_string())
                    .unwrap_or_else(|| "-".into()),
                if c.kinds.is_empty() {
                    "(not a kind Skyport has)".into()
                } else {
                    c.kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            ]);
        }
        t.print()?;
    }
    for u in &report.unreadable {
        warn(&format!("a challenge could not be read: {u}"));
    }
    if let Some(to) = &report.redirected_to {
        line(&format!(
            "It sends visitors to {to} (a login page, often); that origin gets no credential of this one's."
        ))?;
    }
    match &report.decision {
        Decision::NotNeeded => line("Sent: nothing (none needed, none bound here)."),
        Decision::Use { id, kind, why } => {
            line(&format!("Sent: {id} ({}), {why}.", kind.describe()))
        }
        Decision::Anonymous { id } => line(&format!(
            "Sent: nothing; {id} binds this place to no credential (anonymous)."
        )),
        Decision::Suggest { id, kind, how } => line(&format!(
            "Sent: nothing. {id} ({}) would do: {how}.",
            kind.describe()
        )),
        Decision::Missing { how } => {
            line("Sent: nothing; no credential of yours is of a kind this service takes. To get one:")?;
            for h in how {
                line(&format!("  - {h}"))?;
            }
            Ok(())
        }
    }
}

/// A header line `Name: value`.
fn header(text: &str) -> CliResult<(String, String)> {
    match text.split_once(':') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_string(), v.trim().to_string())),
        _ => Err(CliError::usage(format!(
            "-H {text:?}: give a header as \"Name: value\""
        ))),
    }
}

fn body(data: &str) -> CliResult<Vec<u8>> {
    match data.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)
                .map_err(|e| CliError::failed(format!("cannot read standard input: {e}")))?;
            Ok(buf)
        }
        Some(file) => std::fs::read(file).map_err(|e| CliError::usage(format!("-d @{file}: {e}"))),
        None => Ok(data.as_bytes().to_vec()),
    }
}

/// The exit code of an HTTP answer that is not a success, in the CLI's terms.
fn http_code(status: u16) -> ErrorCode {
    match status {
        401 => ErrorCode::SignInNeeded,
        403 => ErrorCode::PermissionDenied,
        404 | 410 => ErrorCode::NotFound,
        400 | 405 | 409 | 411..=499 => ErrorCode::Validation,
        502..=504 => ErrorCode::PlatformUnavailable,
        _ => ErrorCode::PlatformError,
    }
}

fn size(n: u64) -> String {
    skyport_core::http::ByteSize(usize::try_from(n).unwrap_or(usize::MAX)).to_string()
}

/// `skyport curl URL`.
pub async fn curl(ctx: &Ctx, a: &CurlArgs) -> CliResult {
    let url = parse_url(&a.url)?;
    let body = a.data.as_deref().map(body).transpose()?;
    let method = match (&a.method, &body) {
        (Some(m), _) => reqwest::Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| CliError::usage(format!("-X {m:?} is not an HTTP method")))?,
        (None, Some(_)) => reqwest::Method::POST,
        (None, None) => reqwest::Method::GET,
    };
    let mut headers = a
        .headers
        .iter()
        .map(|h| header(h))
        .collect::<CliResult<Vec<_>>>()?;
    if body.is_some()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        // As curl -d does.
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let request = fetch::Request {
        url,
        method,
        headers,
        body,
    };
    let mut opts = fetch::Options {
        timeout: ctx.timeout,
        extra_roots_pem: roots(a.cacert.as_deref())?,
        ssh_passphrase: None,
    };
    let answer = match fetch::send(&ctx.paths, &ctx.store, request.clone(), &opts).await {
        // An SSH key with a passphrase that neither the keyring nor ssh-agent holds: ask.
        Err(fetch::FetchError::Jwt(skyport_core::vault::jwt::JwtError::NeedPassphrase {
            path,
        })) if prompt::interactive() => {
            opts.ssh_passphrase = Some(prompt::ask_secret(
                &format!("Passphrase of {path}"),
                "a key in ssh-agent, or `skyport credentials add ssh-jwt … --passphrase-stdin`",
            )?);
            fetch::send(&ctx.paths, &ctx.store, request, &opts).await
        }
        other => other,
    }
    .map_err(|e| CliError::from_coded(&e))?;
    if let Some((id, kind)) = &answer.sent {
        tracing::info!(credential = %id, kind = kind.as_str(), "sent with a credential");
    }
    if answer.left_origin {
        note("Redirected to another origin: no credential went there.");
    }
    let mut resp = answer.response;
    let status = resp.status();
    if !status.is_success() {
        // A short excerpt of what the service said, never the whole page.
        let text = skyport_core::http::read_error_text(resp)
            .await
            .unwrap_or_default();
        let said = text.lines().next().unwrap_or("").trim();
        let mut message = format!(
            "HTTP {} from {}{}",
            status.as_u16(),
            a.url,
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        );
        if status.as_u16() == 401 {
            message.push_str(if answer.sent.is_some() {
                ". The credential sent was refused; check it (`skyport credentials list`) or add it again."
            } else {
                ". No credential is bound here: `skyport probe URL` says what the service takes."
            });
        }
        return Err(CliError::new(http_code(status.as_u16()), message));
    }
    let total = resp.content_length();
    let show = std::io::stderr().is_terminal();
    let mut progress = Progress::new(show, total);
    match &a.output {
        Some(path) => {
            // Complete under the final name, or not there at all.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
                CliError::new(
                    ErrorCode::Io,
                    format!("cannot write in {}: {e}", dir.display()),
                )
            })?;
            while let Some(chunk) = next_chunk(&mut resp).await? {
                tmp.write_all(&chunk).map_err(|e| {
                    CliError::new(
                        ErrorCode::Io,
                        format!("cannot write {}: {e}", path.display()),
                    )
                })?;
                progress.add(chunk.len() as u64);
            }
            tmp.as_file().sync_all().ok();
            tmp.persist(path).map_err(|e| {
                CliError::new(
                    ErrorCode::Io,
                    format!("cannot save {}: {}", path.display(), e.error),
                )
            })?;
            progress.done();
            note(&format!(
                "Saved {} ({}).",
                path.display(),
                size(progress.got)
            ));
        }
        None => {
            let mut out = std::io::stdout().lock();
            while let Some(chunk) = next_chunk(&mut resp).await? {
                if let Err(e) = out.write_all(&chunk) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Err(CliError::closed_output());
                    }
                    return Err(CliError::new(ErrorCode::Io, format!("cannot write: {e}")));
                }
                progress.add(chunk.len() as u64);
            }
            let _ = out.flush();
            progress.done();
        }
    }
    Ok(())
}

async fn next_chunk(resp: &mut reqwest::Response) -> CliResult<Option<bytes::Bytes>> {
    resp.chunk().await.map_err(|e| {
        CliError::new(
            if e.is_timeout() {
                ErrorCode::Timeout
            } else {
                ErrorCode::PlatformUnreachable
            },
            format!(
                "the download broke off: {}; try again",
                skyport_core::http::short_cause(&e)
            ),
        )
    })
}

/// "Downloaded 12.0 MB of 40.0 MB (30%)" on standard error, at most every 200 ms, on a
/// terminal only.
struct Progress {
    show: bool,
    total: Option<u64>,
    got: u64,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(show: bool, total: Option<u64>) -> Self {
        Self {
            show,
            total,
            got: 0,
            last: Instant::now(),
            shown: false,
        }
    }

    fn add(&mut self, n: u64) {
        self.got += n;
        if self.show && self.last.elapsed() >= Duration::from_millis(200) {
            self.last = Instant::now();
            self.shown = true;
            let text = match self.total {
                Some(t) if t > 0 => format!(
                    "Downloaded {} of {} ({}%)",
                    size(self.got),
                    size(t),
                    self.got * 100 / t
                ),
                _ => format!("Downloaded {}", size(self.got)),
            };
            let _ = write!(std::io::stderr().lock(), "\r{text}\x1b[K");
        }
    }

    fn done(&self) {
        if self.shown {
            let _ = writeln!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// `skyport token`: the access token of the profile's sign-in (refreshed before, when due).
pub async fn token(ctx: &Ctx) -> CliResult {
    use skyport_core::connect::TokenSlot;
    let profile = ctx.profile()?;
    let token = [TokenSlot::Access, TokenSlot::Token]
        .into_iter()
        .find_map(|slot| ctx.store.get(&slot.key(&profile.name)).ok().flatten())
        .ok_or_else(|| {
            CliError::new(
                ErrorCode::SignInNeeded,
                format!(
                    "profile {} is not signed in; sign in first (`skyport login`)",
                    profile.name
                ),
            )
        })?;
    line(token.expose())
}

/// `skyport credentials …`.
pub async fn credentials(ctx: &Ctx, cmd: &CredentialsCommand) -> CliResult {
    match cmd {
        CredentialsCommand::List => list(ctx),
        CredentialsCommand::Add(a) => add(ctx, a).await,
        CredentialsCommand::Remove { id } => {
            vault::remove(&ctx.paths, &ctx.store, id).map_err(|e| CliError::from_coded(&e))?;
            note(&format!("Removed {id} and its keyring entries."));
            Ok(())
        }
    }
}

fn list(ctx: &Ctx) -> CliResult {
    let all = vault::list(&ctx.paths, &ctx.store).map_err(|e| CliError::from_coded(&e))?;
    if ctx.json {
        return json(&all);
    }
    if all.is_empty() {
        note("No credentials yet. Add one with `skyport credentials add KIND --origin URL` (see --help), or sign in to a platform (`skyport login`).");
        return Ok(());
    }
    let mut t = Table::new(&["ID", "KIND", "ORIGINS", "EXPIRES", "KEPT IN"]);
    for c in &all {
        t.row(vec![
            c.id.clone(),
            c.kind.as_str().to_string(),
            c.origins.join(" "),
            c.expires_at
                .map(crate::output::when)
                .unwrap_or_else(|| "-".into()),
            c.kept.clone(),
        ]);
    }
    t.print()
}

async fn add(ctx: &Ctx, a: &CredentialAddArgs) -> CliResult {
    let kind = Kind::parse(&a.kind)
        .ok_or_else(|| CliError::usage(format!("unknown kind {:?}", a.kind)))?;
    let mut login_url = a.login_url.clone().or_else(|| a.issuer.clone());
    // A token given as it is needs no login address.
    let logs_in = kind == Kind::Cookie || (kind == Kind::CadcToken && !a.token_stdin);
    if logs_in && login_url.is_none() {
        login_url = discover_login(ctx, a, kind).await?;
    }
    let secret = match kind {
        Kind::Basic | Kind::Cookie | Kind::CadcToken
            if a.token_stdin && kind == Kind::CadcToken =>
        {
            Some(prompt::secret_from_stdin("token")?)
        }
        Kind::Basic | Kind::Cookie | Kind::CadcToken => Some(if a.password_stdin {
            prompt::secret_from_stdin("password")?
        } else {
            prompt::ask_secret("Password", "--password-stdin")?
        }),
        Kind::Bearer | Kind::BasicToken => Some(if a.token_stdin {
            prompt::secret_from_stdin("token")?
        } else {
            prompt::ask_secret("Token", "--token-stdin")?
        }),
        _ => None,
    };
    let passphrase = if a.passphrase_stdin {
        Some(prompt::secret_from_stdin("passphrase")?)
    } else {
        None
    };
    // A CADC token is got by logging in now (the password is not kept).
    let secret = if kind == Kind::CadcToken && !a.token_stdin {
        let user = a
            .username
            .clone()
            .ok_or_else(|| CliError::usage("a CADC token needs --username (or --token-stdin)"))?;
        let login = login_url
            .clone()
            .ok_or_else(|| CliError::usage("give --login-url"))?;
        let login = parse_url(&login)?;
        let http = no_redirect_client(ctx, None)?;
        let password = secret.ok_or_else(|| CliError::usage("a password is needed"))?;
        let answer = skyport_core::auth::password::login(&http, &login, &user, &password)
            .await
            .map_err(|e| CliError::from_coded(&e))?;
        Some(answer.token)
    } else {
        secret
    };
    if kind == Kind::SshJwt {
        if let Some(file) = &a.identity {
            if passphrase.is_none()
                && skyport_core::vault::jwt::needs_passphrase(file)
                    .await
                    .map_err(|e| CliError::from_coded(&e))?
            {
                note("The key has a passphrase and ssh-agent does not hold it: it will be asked at each use on a terminal. Keep it with --passphrase-stdin, or add the key to ssh-agent (`ssh-add`).");
            }
        }
    }
    let id = vault::add(
        &ctx.paths,
        &ctx.store,
        NewCredential {
            kind: Some(kind),
            origins: a.origin.clone(),
            username: a.username.clone(),
            login_url,
            file: a.identity.clone(),
            secret,
            passphrase,
            id: a.name.clone(),
        },
    )
    .map_err(|e| CliError::from_coded(&e))?;
    note(&format!(
        "Added {id}: a {} for {}.",
        kind.describe(),
        a.origin.join(", ")
    ));
    if kind == Kind::SshJwt {
        if let Some(file) = &a.identity {
            if let Ok(line) = skyport_core::vault::jwt::public_key_line(file) {
                note(&format!(
                    "The site must know this public key for {}: {line}",
                    a.username.as_deref().unwrap_or("you")
                ));
            }
        }
    }
    Ok(())
}

/// The login address of a cookie or token credential: the first origin's challenge says it.
async fn discover_login(ctx: &Ctx, a: &CredentialAddArgs, kind: Kind) -> CliResult<Option<String>> {
    let Some(first) = a.origin.first() else {
        return Ok(None);
    };
    let Ok(url) = Url::parse(first.trim()) else {
        return Ok(None);
    };
    let http = no_redirect_client(ctx, None)?;
    let scheme = if kind == Kind::Cookie {
        "ivoa_cookie"
    } else {
        "ivoa_bearer"
    };
    match ask(&http, &url).await {
        Ok(answer) => {
            let found = answer
                .challenges
                .iter()
                .find(|c| c.scheme.as_str() == scheme && c.access_url().is_some())
                .and_then(|c| c.access_url().map(str::to_string));
            let Some(u) = found else {
                return Err(CliError::usage(format!(
                    "{first} names no {scheme} login; give it with --login-url"
                )));
            };
            // The service names it; the password goes there only if the user bound it.
            vault::login_allowed(&u, &a.origin)
                .map_err(|e| CliError::usage(format!("{first} says to log in at {u}, but {e}")))?;
            note(&format!("Logging in at {u} (as {first} says)."));
            Ok(Some(u))
        }
        Err(e) => Err(CliError::usage(format!(
            "cannot find where to log in ({e}); give it with --login-url"
        ))),
    }
}
