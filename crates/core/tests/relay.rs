//! The loopback auth relay against skyport-sim with auth-required session pages, and
//! against small recording servers for what must never leave the session's origin.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use skyport_core::platform::ServiceUrl;
use skyport_core::relay::{
    self, credential_for, probe, probe_client, Available, PathScope, Probe, RelayCredential,
    RelayError, RelayHandle, RelayOptions,
};
use skyport_core::secret::{Secret, SecretString};
use skyport_core::skaha::{Auth, CreateRequest, SessionKind, SessionStatus, SkahaClient};
use skyport_sim::{SimConfig, SimHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use url::Url;

const TOKEN: &str = "tok";

fn secret(s: &str) -> SecretString {
    SecretString::new(s.into())
}

async fn sim() -> SimHandle {
    skyport_sim::start(SimConfig {
        session_auth_required: true,
        tokens: vec![(TOKEN.into(), "alice".into())],
        pending_delay: Duration::ZERO,
        ..Default::default()
    })
    .await
    .expect("start sim")
}

/// A running notebook session: its connect URL, id and name.
struct Session {
    url: Url,
    id: String,
    name: String,
}

async fn running_notebook(sim: &SimHandle) -> Session {
    let http = skyport_core::http::build_client(Default::default()).expect("http client");
    let service = ServiceUrl::parse(sim.skaha_url().as_str()).expect("service url");
    let c = SkahaClient::new(http, service, Auth::Bearer(secret(TOKEN)));
    let req = CreateRequest {
        name: "relaynb".into(),
        image: "images.canfar.net/skaha/astroml:latest".into(),
        kind: Some(SessionKind::Notebook),
        ..Default::default()
    };
    let id = c.create_session(&req).await.expect("create");
    for _ in 0..100 {
        let s = c.get_session(&id).await.expect("get session");
        if s.status == SessionStatus::Running {
            let url = s.connect_url.expect("connect url");
            return Session {
                url: Url::parse(&url).expect("connect url parses"),
                id: id.to_string(),
                name: s.name,
            };
        }
        sim.advance_clock(Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("session {id} never ran");
}

/// A relay for a session page, scoped to that session's paths.
async fn start_relay(
    page: &Url,
    id: &str,
    cred: RelayCredential,
    opts: RelayOptions,
) -> RelayHandle {
    let scope = PathScope::for_session(page, id).expect("session scope");
    relay::start(page.clone(), scope, cred, opts)
        .await
        .expect("start relay")
}

/// The session path the recording servers below play (`/session/notebook/rec1/...`).
const REC_ID: &str = "rec1";
const REC: &str = "/session/notebook/rec1";

/// What a browser does: keeps cookies, follows redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("browser client")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The relay cookie (`name=value`) the entry URL sets.
async fn relay_cookie(relay: &RelayHandle) -> String {
    let r = no_redirects()
        .get(relay.entry_url("/"))
        .send()
        .await
        .expect("entry");
    assert_eq!(r.status(), 303);
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("entry sets a cookie")
        .to_string();
    set.split(';').next().expect("name=value").to_string()
}

/// `/__skyport/<secret>` from the entry URL.
fn secret_prefix(relay: &RelayHandle) -> String {
    relay.entry_url("/").path().to_string()
}

fn ws_url(relay: &RelayHandle, path: &str) -> String {
    format!("ws://{}{path}", relay.addr())
}

async fn ws_echo(url: &str, cookie: Option<&str>, text: &str) -> Result<String, String> {
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(c) = cookie {
        req.headers_mut().insert(
            "cookie",
            HeaderValue::from_str(c).map_err(|e| e.to_string())?,
        );
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| e.to_string())?;
    ws.send(Message::text(text))
        .await
        .map_err(|e| e.to_string())?;
    let reply = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(m) = ws.next().await {
            match m.map_err(|e| e.to_string())? {
                Message::Text(t) => return Ok(t.to_string()),
                Message::Close(_) => return Err("closed".to_string()),
                _ => {}
            }
        }
        Err("ended".to_string())
    })
    .await
    .map_err(|_| "no echo within 10 s".to_string())??;
    let _ = ws.close(None).await;
    Ok(reply)
}

#[tokio::test]
async fn auth_required_page_is_refused_without_the_relay_and_served_through_it() {
    let sim = sim().await;
    let s = running_notebook(&sim).await;

    // (1) The probe sees the challenges; a plain GET is refused.
    let pc = probe_client(&RelayOptions::default()).expect("probe client");
    let Probe::NeedsAuth { challenges } = probe(&pc, &s.url).await.expect("probe") else {
        panic!("session page must need auth");
    };
    assert_eq!(challenges[0].scheme.as_str(), "Bearer");
    assert!(challenges.iter().any(|c| c.scheme.as_str() == "ivoa_x509"));
    let plain = browser()
        .get(s.url.clone())
        .send()
        .await
        .expect("plain get");
    assert_eq!(plain.status(), 401, "without the relay the page is refused");

    // (2) Through the relay with the credential the challenges ask for.
    let available = Available {
        token: Some(secret(TOKEN)),
        ..Default::default()
    };
    let cred = credential_for(&challenges, &available).expect("a token answers Bearer");
    assert!(matches!(cred, RelayCredential::Bearer(_)));
    let relay = start_relay(&s.url, &s.id, cred, RelayOptions::default()).await;
    assert_eq!(relay.origin().as_str(), format!("http://{}/", relay.addr()));
    assert!(relay.addr().ip().is_loopback());
    let entry = relay
        .entry_url_for(&s.url)
        .expect("session is on the relay's origin");
    let b = browser();
    let page = b.get(entry).send().await.expect("page via relay");
    assert_eq!(page.status(), 200);
    // The browser ended on the session path, on the relay, without the secret.
    assert_eq!(page.url().port(), Some(relay.port()));
    assert_eq!(page.url().path(), s.url.path());
    assert_eq!(page.url().query(), s.url.query());
    let html = page.text().await.expect("html");
    assert!(html.contains(&s.name), "{html}");
    assert!(html.contains("id=\"ws-status\""));
    assert!(html.contains("Signed in as <strong id=\"session-user\">alice</strong>"));
    // Later requests ride on the cookie alone.
    let again = b
        .get(relay.origin().join(s.url.path()).expect("url"))
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 200);
    // The platform's API on the same origin is not the session's: refused, even to the
    // window's own cookie.
    let api = b
        .get(relay.origin().join("/skaha/v1/session").expect("url"))
        .send()
        .await
        .expect("api via relay");
    assert_eq!(api.status(), 403);

    // (3) The page's websocket echoes through the relay, with the cookie or the prefix.
    let cookie = relay_cookie(&relay).await;
    let ws_path = format!("/session/notebook/{}/ws", s.id);
    let echo = ws_echo(&ws_url(&relay, &ws_path), Some(&cookie), "hello via relay")
        .await
        .expect("websocket through the relay");
    assert_eq!(echo, "hello via relay");
    let prefixed = format!("{}{ws_path}", secret_prefix(&relay));
    let echo = ws_echo(&ws_url(&relay, &prefixed), None, "prefixed")
        .await
        .expect("websocket under the secret prefix");
    assert_eq!(echo, "prefixed");
    // Without the relay the websocket is refused too.
    let direct = format!("ws://{}{ws_path}", sim.addrs().sessions);
    let e = ws_echo(&direct, None, "x")
        .await
        .expect_err("direct ws needs auth");
    assert!(e.contains("401"), "{e}");

    // Dropping the handle closes the listener.
    let addr = relay.addr();
    drop(relay);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn requests_without_the_window_secret_get_403() {
    let sim = sim().await;
    let s = running_notebook(&sim).await;
    let relay = start_relay(
        &s.url,
        &s.id,
        RelayCredential::Bearer(secret(TOKEN)),
        Default::default(),
    )
    .await;
    let page = relay
        .origin()
        .join(&format!("{}?{}", s.url.path(), s.url.query().unwrap_or("")))
        .expect("url");
    let c = no_redirects();
    let r = c.get(page.clone()).send().await.expect("no cookie");
    assert_eq!(r.status(), 403);
    let body = r.text().await.expect("body");
    assert!(body.contains("Skyport session window"), "{body}");
    assert!(
        !body.contains(&s.name),
        "nothing from the session leaks: {body}"
    );
    let r = c
        .get(page.clone())
        .header("cookie", "__spdeadbeef0000=0000")
        .send()
        .await
        .expect("forged");
    assert_eq!(r.status(), 403);
    let cookie = relay_cookie(&relay).await;
    let (name, _) = cookie.split_once('=').expect("pair");
    let r = c
        .get(page.clone())
        .header("cookie", format!("{name}=wrong"))
        .send()
        .await
        .expect("wrong");
    assert_eq!(r.status(), 403);
    let guess = relay
        .origin()
        .join(&format!("/__skyport/{}/x", "0".repeat(64)))
        .expect("url");
    assert_eq!(c.get(guess).send().await.expect("guess").status(), 403);
    // A page on another origin cannot use the cookie either.
    let r = c
        .get(page.clone())
        .header("cookie", &cookie)
        .header("origin", "http://127.0.0.1:9")
        .send()
        .await
        .expect("cross-origin");
    assert_eq!(r.status(), 403);
    // The websocket is guarded the same way.
    let ws_path = format!("/session/notebook/{}/ws", s.id);
    let e = ws_echo(&ws_url(&relay, &ws_path), None, "x")
        .await
        .expect_err("no cookie");
    assert!(e.contains("403"), "{e}");
    // Malformed requests get 400 before anything else happens.
    assert_eq!(raw_status(&relay, "NOT HTTP AT ALL\r\n\r\n").await, 400);
    let star = format!("OPTIONS * HTTP/1.1\r\nHost: {}\r\n\r\n", relay.addr());
    assert_eq!(raw_status(&relay, &star).await, 400);
    let no_host = format!("GET / HTTP/1.0\r\nCookie: {cookie}\r\n\r\n");
    assert_eq!(raw_status(&relay, &no_host).await, 400);
    // With the cookie (and the relay's own Origin, as a page would send it): served.
    let r = c
        .get(page)
        .header("cookie", &cookie)
        .header("origin", relay.origin().as_str().trim_end_matches('/'))
        .send()
        .await
        .expect("with cookie");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn cookie_credential_works_too() {
    let sim = sim().await;
    let s = running_notebook(&sim).await;
    let cred = RelayCredential::Cookie {
        name: "CADC_SSO".into(),
        value: secret(TOKEN),
    };
    let relay = start_relay(&s.url, &s.id, cred, RelayOptions::default()).await;
    let page = browser()
        .get(relay.entry_url_for(&s.url).expect("entry"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains(&s.name));
    // A page-supplied CADC_SSO cannot replace the relay's.
    let cookie = relay_cookie(&relay).await;
    let r = no_redirects()
        .get(relay.origin().join(s.url.path()).expect("url"))
        .header("cookie", format!("{cookie}; CADC_SSO=forged"))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200);
    let echo = ws_echo(
        &ws_url(&relay, &format!("/session/notebook/{}/ws", s.id)),
        Some(&cookie),
        "cookie echo",
    )
    .await
    .expect("ws");
    assert_eq!(echo, "cookie echo");
}

#[tokio::test]
async fn client_certificate_over_https_with_a_test_ca() {
    let sim = sim().await;
    let whoami = sim.https_url().join("ac/whoami").expect("url");
    let opts = RelayOptions {
        extra_roots_pem: vec![sim.ca_pem().into_bytes()],
        ..Default::default()
    };
    let pc = probe_client(&opts).expect("probe client");
    let Probe::NeedsAuth { challenges } = probe(&pc, &whoami).await.expect("probe") else {
        panic!("whoami needs auth");
    };
    let pem = sim.issue_client_cert("alice", Duration::from_secs(3600));
    let available = Available {
        token: Some(secret(TOKEN)),
        certificate_pem: Some(Secret::new(pem.into_bytes())),
        ..Default::default()
    };
    let cred = credential_for(&challenges, &available).expect("credential");
    assert!(
        matches!(cred, RelayCredential::ClientCert(_)),
        "certificates come first"
    );
    // The sim serves session pages over plain HTTP only; its HTTPS /ac/ service stands in
    // for a session's paths here (scope `/ac/`).
    let relay = start_relay(&whoami, "ac", cred, opts).await;
    // whoami answers 303 to an absolute URL on the same origin: the relay rewrites it to
    // itself, so the browser comes back through the relay (and the certificate).
    let c = no_redirects();
    let cookie = relay_cookie(&relay).await;
    let r = c
        .get(relay.origin().join("/ac/whoami").expect("url"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("whoami");
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert_eq!(
        loc,
        format!("http://{}/ac/users/alice?idType=HTTP", relay.addr())
    );
    let user = browser()
        .get(relay.entry_url("/ac/whoami"))
        .send()
        .await
        .expect("follow");
    assert_eq!(user.status(), 200);
    assert!(user
        .text()
        .await
        .expect("xml")
        .contains("<identity type=\"HTTP\">alice</identity>"));
}

/// A tiny HTTP/1.1 server that records every request head and answers from a closure.
struct Recorder {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let seen = seen.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    // Read the body too when there is one, so tests can check it.
                    let head_len = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
                    let want = String::from_utf8_lossy(&buf[..head_len])
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0usize);
                    while buf.len() < head_len + want {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    seen.lock().expect("lock").push(head.clone());
                    let _ = s.write_all(answer(&head).as_bytes()).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        Recorder { port, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("lock").clone()
    }

    fn origin(&self) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}/", self.port)).expect("url")
    }

    /// The recorded session's page (`/session/notebook/rec1/`).
    fn session(&self) -> Url {
        self.origin().join(&format!("{REC}/")).expect("url")
    }
}

fn http_response(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
}

fn request_path(head: &str) -> &str {
    head.split_whitespace().nth(1).unwrap_or("")
}

/// Sends raw bytes to the relay and returns the status code.
async fn raw_status(relay: &RelayHandle, request: &str) -> u16 {
    let mut s = TcpStream::connect(relay.addr()).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 1024];
    let n = s.read(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}

#[tokio::test]
async fn credential_never_reaches_another_origin() {
    const CRED: &str = "tok-NEVER-ELSEWHERE";
    let other = Recorder::start(|_| http_response("200 OK", "", "other origin")).await;
    // `localhost` is another cookie host than the relay's 127.0.0.1, as any real other
    // origin would be.
    let away = format!("http://localhost:{}", other.port);
    let away_for_target = away.clone();
    let target = Recorder::start(move |head| {
        let path = request_path(head).strip_prefix(REC).unwrap_or("/outside");
        let me = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("host: ")
                    .or_else(|| l.strip_prefix("Host: "))
            })
            .unwrap_or("")
            .to_string();
        match path {
            "/redirect-away" => http_response(
                "302 Found",
                &format!("Location: {away_for_target}/steal\r\n"),
                "",
            ),
            "/redirect-home" => http_response(
                "302 Found",
                &format!("Location: http://{me}{REC}/landing?x=1\r\n"),
                "",
            ),
            "/page" => http_response(
                "200 OK",
                "",
                &format!("<a id=\"out\" href=\"{away_for_target}/link\">docs</a>"),
            ),
            _ => http_response("200 OK", "", "target"),
        }
    })
    .await;
    let relay = start_relay(
        &target.session(),
        REC_ID,
        RelayCredential::Bearer(secret(CRED)),
        RelayOptions::default(),
    )
    .await;
    let cookie = relay_cookie(&relay).await;
    let via = |p: &str| relay.origin().join(&format!("{REC}{p}")).expect("url");

    // A link on the page points elsewhere; the shell opens it outside the relay.
    let b = browser();
    let page = b
        .get(relay.entry_url(&format!("{REC}/page")))
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!("{away}/link")),
        "links are not rewritten: {html}"
    );
    b.get(format!("{away}/link"))
        .send()
        .await
        .expect("follow link");

    // A redirect elsewhere goes to the browser unchanged and unfollowed by the relay.
    let r = no_redirects()
        .get(via("/redirect-away"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("redirect");
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], format!("{away}/steal").as_str());
    let followed = b
        .get(via("/redirect-away"))
        .send()
        .await
        .expect("browser follows");
    assert_eq!(followed.url().as_str(), format!("{away}/steal"));

    // A redirect home comes back through the relay.
    let r = no_redirects()
        .get(via("/redirect-home"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("redirect");
    assert_eq!(
        r.headers()["location"],
        format!("http://{}{REC}/landing?x=1", relay.addr()).as_str()
    );

    // Absolute-form targets and forged Host headers cannot aim the relay elsewhere.
    let host = relay.addr().to_string();
    for req in [
        format!(
            "GET {away}/abs HTTP/1.1\r\nHost: localhost:{}\r\nCookie: {cookie}\r\n\r\n",
            other.port
        ),
        format!("GET {away}/abs HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n"),
        format!(
            "GET /forged HTTP/1.1\r\nHost: localhost:{}\r\nCookie: {cookie}\r\n\r\n",
            other.port
        ),
        format!(
            "CONNECT localhost:{} HTTP/1.1\r\nHost: localhost:{}\r\nCookie: {cookie}\r\n\r\n",
            other.port, other.port
        ),
    ] {
        let status = raw_status(&relay, &req).await;
        assert!(
            status == 403 || status == 405 || status == 400,
            "{status} for {req}"
        );
    }

    // What the page sends cannot replace or leak past the relay's credential.
    let r = no_redirects()
        .get(via("/echo"))
        .header(
            "cookie",
            format!("{cookie}; theme=dark; __spffff00000000=other-relay"),
        )
        .header("authorization", "Basic ZXZpbDpldmls")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .expect("echo");
    assert_eq!(r.status(), 200);

    tokio::time::sleep(Duration::from_millis(50)).await;
    let secret_value = cookie.split_once('=').expect("pair").1.to_string();
    let other_heads = other.heads();
    let paths: Vec<&str> = other_heads.iter().map(|h| request_path(h)).collect();
    assert_eq!(paths, ["/link", "/steal"], "only the browser's own visits");
    for h in &other_heads {
        let lower = h.to_ascii_lowercase();
        assert!(!lower.contains("authorization"), "{h}");
        assert!(!h.contains(CRED), "{h}");
        assert!(!h.contains(&secret_value), "{h}");
        assert!(!lower.contains("cookie"), "{h}");
    }
    let target_heads = target.heads();
    assert!(!target_heads.iter().any(|h| {
        let p = request_path(h);
        p.contains("abs") || p.contains("forged") || p.contains("localhost")
    }));
    let echo = target_heads
        .iter()
        .find(|h| request_path(h) == format!("{REC}/echo"))
        .expect("echo reached the target");
    let lower = echo.to_ascii_lowercase();
    assert_eq!(lower.matches("authorization:").count(), 1, "{echo}");
    assert!(echo.contains(&format!("Bearer {CRED}")), "{echo}");
    assert!(!echo.contains("ZXZpbDpldmls"), "{echo}");
    assert!(
        !echo.contains(&secret_value),
        "the relay's cookie stays local: {echo}"
    );
    assert!(!lower.contains("__sp"), "{echo}");
    assert!(!lower.contains("evil.example"), "{echo}");
    assert!(lower.contains("theme=dark"), "{echo}");
    assert!(
        lower.contains(&format!("host: 127.0.0.1:{}", target.port)),
        "{echo}"
    );
    for h in &target_heads {
        assert!(!h.contains(&secret_value), "{h}");
    }
}

#[tokio::test]
async fn upstream_session_cookies_and_request_bodies_pass_through() {
    let target = Recorder::start(|head| match request_path(head).strip_prefix(REC) {
        Some("/login") => http_response(
            "200 OK",
            "Set-Cookie: sid=abc; Domain=127.0.0.1; Path=/; HttpOnly; Secure; SameSite=None\r\nSet-Cookie: _xsrf=t1; Path=/\r\n",
            "logged in",
        ),
        _ => http_response("200 OK", "", "ok"),
    })
    .await;
    let relay = start_relay(
        &target.session(),
        REC_ID,
        RelayCredential::Bearer(secret("t")),
        Default::default(),
    )
    .await;
    let b = browser();
    assert_eq!(
        b.get(relay.entry_url(&format!("{REC}/login")))
            .send()
            .await
            .expect("login")
            .status(),
        200
    );
    let r = b
        .get(relay.origin().join(&format!("{REC}/next")).expect("url"))
        .send()
        .await
        .expect("next");
    assert_eq!(r.status(), 200);
    let heads = target.heads();
    let next = heads
        .iter()
        .find(|h| request_path(h) == format!("{REC}/next"))
        .expect("next");
    let cookie_line = next
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("cookie:"))
        .expect("cookies sent upstream");
    assert!(cookie_line.contains("sid=abc"), "{cookie_line}");
    assert!(cookie_line.contains("_xsrf=t1"), "{cookie_line}");
    assert!(!cookie_line.contains("__sp"), "{cookie_line}");

    // Request bodies stream through unchanged.
    let r = b
        .post(
            relay
                .origin()
                .join(&format!("{REC}/api/contents"))
                .expect("url"),
        )
        .header("content-type", "application/json")
        .body("{\"type\":\"notebook\"}")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let heads = target.heads();
    let post = heads
        .iter()
        .find(|h| h.starts_with(&format!("POST {REC}/api/contents ")))
        .expect("post reached the target");
    assert!(post.ends_with("\r\n\r\n{\"type\":\"notebook\"}"), "{post}");
    assert!(
        post.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{post}"
    );
}

#[tokio::test]
async fn upstream_down_gives_502_with_a_clear_page() {
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr").port()
    };
    let target = Url::parse(&format!("http://127.0.0.1:{dead}/")).expect("url");
    let page = target.join("session/notebook/abc/lab").expect("url");
    let relay = start_relay(
        &page,
        "abc",
        RelayCredential::Bearer(secret("t")),
        Default::default(),
    )
    .await;
    let r = browser()
        .get(relay.entry_url("/session/notebook/abc/lab?token=abc"))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 502);
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/plain"));
    let body = r.text().await.expect("body");
    assert!(
        body.contains(&format!("could not reach http://127.0.0.1:{dead}")),
        "{body}"
    );
    assert!(body.contains("502 Bad Gateway"), "{body}");
    assert!(
        !body.contains("token=abc"),
        "no session path in the page: {body}"
    );

    // The probe says the same, as an error with advice.
    let pc = probe_client(&RelayOptions::default()).expect("probe client");
    let e = probe(&pc, &target).await.expect_err("unreachable");
    assert!(matches!(e, RelayError::Unreachable { .. }), "{e:?}");
    assert!(
        e.to_string().contains("check the network connection"),
        "{e}"
    );
}

#[tokio::test]
async fn probe_outcomes() {
    let target = Recorder::start(|head| match request_path(head) {
        "/open" => http_response("200 OK", "", "hi"),
        "/hop" => http_response("302 Found", "Location: /needs\r\n", ""),
        "/away" => http_response("302 Found", "Location: http://localhost:9/idp\r\n", ""),
        "/needs" => http_response(
            "401 Unauthorized",
            "WWW-Authenticate: Basic realm=\"nb\"\r\nWWW-Authenticate: ivoa_cookie standard_id=\"ivo://ivoa.net/sso#tls-with-password\", access_url=\"https://h/login\"\r\n",
            "",
        ),
        "/bare401" => http_response("401 Unauthorized", "", ""),
        "/forbidden" => http_response("403 Forbidden", "", ""),
        "/broken" => http_response("500 Internal Server Error", "", ""),
        _ => http_response("404 Not Found", "", ""),
    })
    .await;
    let pc = probe_client(&RelayOptions::default()).expect("client");
    let at = |p: &str| target.origin().join(p).expect("url");
    assert_eq!(probe(&pc, &at("/open")).await.expect("open"), Probe::Open);
    assert_eq!(probe(&pc, &at("/away")).await.expect("away"), Probe::Open);
    let Probe::NeedsAuth { challenges } = probe(&pc, &at("/hop")).await.expect("hop") else {
        panic!("same-origin redirect is followed to the 401");
    };
    assert_eq!(challenges.len(), 2);
    let pw = Available {
        password: Some(("alice".into(), secret("pw"))),
        ..Default::default()
    };
    assert!(matches!(
        credential_for(&challenges, &pw),
        Some(RelayCredential::Basic { .. })
    ));
    assert!(matches!(
        probe(&pc, &at("/bare401")).await,
        Err(RelayError::Refused { status: 401, .. })
    ));
    assert!(matches!(
        probe(&pc, &at("/forbidden")).await,
        Err(RelayError::Refused { status: 403, .. })
    ));
    assert!(matches!(
        probe(&pc, &at("/gone")).await,
        Err(RelayError::NotFound { .. })
    ));
    assert!(matches!(
        probe(&pc, &at("/broken")).await,
        Err(RelayError::Upstream { status: 500, .. })
    ));
    // Only the first hop of /away was asked; the other origin never saw the probe.
    assert!(!target.heads().iter().any(|h| request_path(h) == "/idp"));
}

// Security review #12, item 1: on Skaha the session's origin also serves the API and every
// other session. A page in the window must not reach them with the user's credential.
#[tokio::test]
async fn the_credential_goes_only_to_the_sessions_own_paths() {
    const CRED: &str = "tok-ONLY-THE-SESSION";
    let target = Recorder::start(|_| http_response("200 OK", "", "upstream")).await;
    let relay = start_relay(
        &target.session(),
        REC_ID,
        RelayCredential::Bearer(secret(CRED)),
        RelayOptions::default(),
    )
    .await;
    let cookie = relay_cookie(&relay).await;
    let c = no_redirects();
    let via = |p: &str| relay.origin().join(p).expect("url");
    // The page's own paths pass, with the credential.
    let own = c
        .get(via(&format!("{REC}/api/kernels")))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("own path");
    assert_eq!(own.status(), 200);
    // The API (list, launch), another session and the platform's other services do not.
    for (method, path) in [
        ("GET", "/skaha/v1/session"),
        ("POST", "/skaha/v1/session"),
        ("GET", "/skaha/v0/session"),
        ("DELETE", &format!("/skaha/v1/session/{REC_ID}") as &str),
        ("GET", "/session/notebook/other99/lab"),
        ("GET", "/session/notebook/rec1x/lab"),
        ("GET", "/ac/whoami"),
        ("GET", "/"),
    ] {
        let r = c
            .request(method.parse().expect("method"), via(path))
            .header("cookie", &cookie)
            .header("origin", relay.origin().as_str().trim_end_matches('/'))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 403, "{method} {path}");
        let body = r.text().await.expect("body");
        assert!(body.contains("own session's pages"), "{body}");
        // The secret prefix is no way around it.
        let prefixed = format!("{}{path}", secret_prefix(&relay));
        let r = c
            .request(method.parse().expect("method"), via(&prefixed))
            .send()
            .await
            .expect("prefixed");
        assert_eq!(r.status(), 403, "prefixed {method} {path}");
    }
    // Walking out of the session's paths, plainly or encoded, sent as raw bytes (a client
    // library would normalise the dots away before the relay saw them).
    for path in [
        format!("{REC}/../../skaha/v1/session"),
        format!("{REC}/..%2f..%2fskaha/v1/session"),
        format!("{REC}/%2E%2E/%2E%2E/skaha/v1/session"),
        format!("{REC}/..%5c..%5cskaha"),
        format!("{REC}/..;/..;/..;/skaha/v1/session"),
        format!("{REC}/%252e%252e/%252e%252e/skaha/v1/session"),
        format!("{REC}/%c0%ae%c0%ae/%c0%ae%c0%ae/skaha/v1/session"),
    ] {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
            relay.addr()
        );
        assert_eq!(raw_status(&relay, &req).await, 403, "{path}");
    }
    // Headers some servers route by cannot point an in-scope request elsewhere.
    let r = c
        .post(via(&format!("{REC}/api/kernels")))
        .header("cookie", &cookie)
        .header("x-original-url", "/skaha/v1/session")
        .header("x-http-method-override", "DELETE")
        .send()
        .await
        .expect("override headers");
    assert_eq!(r.status(), 200);
    // A websocket outside the session is refused the same way.
    let e = ws_echo(&ws_url(&relay, "/skaha/v1/session"), Some(&cookie), "x")
        .await
        .expect_err("ws outside");
    assert!(e.contains("403"), "{e}");

    // Nothing but the session's own requests reached the platform, without the overrides.
    let heads = target.heads();
    let paths: Vec<&str> = heads.iter().map(|h| request_path(h)).collect();
    assert_eq!(
        paths,
        [format!("{REC}/api/kernels"), format!("{REC}/api/kernels")],
        "{heads:?}"
    );
    for h in &heads {
        let lower = h.to_ascii_lowercase();
        assert!(
            !lower.contains("x-original-url") && !lower.contains("method-override"),
            "{h}"
        );
    }
}

// Item 2: relays are isolated from each other. Each has a host of its own (browsers keep
// cookies per host, whatever the port), and `Origin: null` cannot make changes. Linux routes
// all of 127.0.0.0/8 to loopback; macOS has only 127.0.0.1 (see relay::bind_own_loopback).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn two_relays_share_no_cookies_and_refuse_changes_from_null_origins() {
    let a_target = Recorder::start(|head| match request_path(head).strip_prefix(REC) {
        Some("/set") => http_response(
            "200 OK",
            "Set-Cookie: theme=from-platform-a; Path=/\r\n",
            "set",
        ),
        _ => http_response("200 OK", "", "a"),
    })
    .await;
    let b_target = Recorder::start(|_| http_response("200 OK", "", "b")).await;
    let a = start_relay(
        &a_target.session(),
        REC_ID,
        RelayCredential::Bearer(secret("tok-a")),
        RelayOptions::default(),
    )
    .await;
    let b = start_relay(
        &b_target.session(),
        REC_ID,
        RelayCredential::Bearer(secret("tok-b")),
        RelayOptions::default(),
    )
    .await;
    assert_ne!(
        a.addr().ip(),
        b.addr().ip(),
        "each relay is a host of its own"
    );

    // One browser (one cookie jar) with both windows open, as the app has.
    let browser = browser();
    let r = browser
        .get(a.entry_url(&format!("{REC}/set")))
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 200);
    let r = browser
        .get(b.entry_url(&format!("{REC}/page")))
        .send()
        .await
        .expect("b");
    assert_eq!(r.status(), 200);
    let r = browser
        .get(b.origin().join(&format!("{REC}/again")).expect("url"))
        .send()
        .await
        .expect("b again");
    assert_eq!(r.status(), 200);
    // Platform A's script-visible cookie stays with A; B's platform never sees it.
    for h in b_target.heads() {
        assert!(!h.contains("from-platform-a"), "{h}");
    }
    let r = browser
        .get(a.origin().join(&format!("{REC}/back")).expect("url"))
        .send()
        .await
        .expect("a again");
    assert_eq!(r.status(), 200);
    assert!(
        a_target.heads().iter().any(
            |h| request_path(h) == format!("{REC}/back") && h.contains("theme=from-platform-a")
        ),
        "A still gets its own cookie"
    );

    // A page with an opaque origin (a sandboxed frame, a cross-origin redirect) may load
    // but not post with B's credential.
    let cookie = relay_cookie(&b).await;
    let before = b_target.heads().len();
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = no_redirects()
            .request(
                method.parse().expect("method"),
                b.origin().join(&format!("{REC}/api/x")).expect("url"),
            )
            .header("cookie", &cookie)
            .header("origin", "null")
            .body("{}")
            .send()
            .await
            .expect("null-origin change");
        assert_eq!(r.status(), 403, "{method}");
    }
    assert_eq!(b_target.heads().len(), before, "nothing reached platform B");
    // Nor may such a page open a websocket (a kernel runs what it is sent).
    let mut req = ws_url(&b, &format!("{REC}/api/kernels/1/channels"))
        .into_client_request()
        .expect("ws request");
    req.headers_mut()
        .insert("cookie", HeaderValue::from_str(&cookie).expect("cookie"));
    req.headers_mut()
        .insert("origin", HeaderValue::from_static("null"));
    let e = tokio_tungstenite::connect_async(req)
        .await
        .expect_err("null-origin websocket");
    assert!(e.to_string().contains("403"), "{e}");
    assert_eq!(b_target.heads().len(), before, "nothing reached platform B");
    let r = no_redirects()
        .get(b.origin().join(&format!("{REC}/api/x")).expect("url"))
        .header("cookie", &cookie)
        .header("origin", "null")
        .send()
        .await
        .expect("null-origin read");
    assert_eq!(r.status(), 200, "reading stays possible");
}
