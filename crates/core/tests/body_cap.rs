//! Every response body core reads is read with a size cap: an answer over it is a clean,
//! coded error, and reading stops early (the server never gets to send it all), with or
//! without a `Content-Length`.

use std::time::Duration;

use skyport_core::auth::oidc::{self, OidcError, Provider};
use skyport_core::auth::password::{self, PasswordLoginError};
use skyport_core::cert::obtain::{self, CredAuth, ObtainError};
use skyport_core::error::{Coded, ErrorCode};
use skyport_core::http::{
    read_capped, BodyError, API_BODY_LIMIT, CERT_BODY_LIMIT, TOKEN_BODY_LIMIT,
};
use skyport_core::platform::ServiceUrl;
use skyport_core::secret::SecretString;
use skyport_core::skaha::{Auth, ListQuery, SkahaClient, SkahaError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Far more than any cap, so a reader without one would take it all.
const HUGE: usize = 64 * 1024 * 1024;
/// What loopback socket buffers and the HTTP client's own buffer can hold beyond what the
/// reader took: the most a capped reader may let the server send past the cap.
const IN_FLIGHT: usize = 16 * 1024 * 1024;

/// How the body's end is announced.
#[derive(Clone, Copy, Debug)]
enum Framing {
    ContentLength,
    Chunked,
}

const FRAMINGS: [Framing; 2] = [Framing::ContentLength, Framing::Chunked];

/// A one-request HTTP server answering `status` with `total` bytes of spaces (not valid
/// JSON, PEM or a token, so a reader without a cap fails differently).
struct Server {
    url: String,
    sent: JoinHandle<usize>,
}

impl Server {
    async fn start(status: &'static str, total: usize, framing: Framing) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let sent = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            read_request(&mut sock).await;
            serve(&mut sock, status, total, framing).await
        });
        Server { url, sent }
    }

    /// Body bytes written before the client went away (or all of them).
    async fn sent(self) -> usize {
        // The client closes the connection when it stops reading; this only bounds a hang.
        tokio::time::timeout(Duration::from_secs(60), self.sent)
            .await
            .expect("the client never closed the connection")
            .expect("server task")
    }
}

/// Reads the request head and any body it announces.
async fn read_request(sock: &mut TcpStream) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut buf).await.expect("read request");
        assert!(n > 0, "the client closed before sending a request");
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = data.len() - head_end;
    while have < length {
        let n = sock.read(&mut buf).await.expect("read body");
        assert!(n > 0, "the client closed mid-request");
        have += n;
    }
}

async fn serve(sock: &mut TcpStream, status: &str, total: usize, framing: Framing) -> usize {
    let framing_header = match framing {
        Framing::ContentLength => format!("content-length: {total}"),
        Framing::Chunked => "transfer-encoding: chunked".to_string(),
    };
    let head =
        format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{framing_header}\r\n\r\n");
    if sock.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let n = chunk.len().min(total - sent);
        let written = match framing {
            Framing::ContentLength => sock.write_all(&chunk[..n]).await,
            Framing::Chunked => {
                let mut framed = format!("{n:x}\r\n").into_bytes();
                framed.extend_from_slice(&chunk[..n]);
                framed.extend_from_slice(b"\r\n");
                sock.write_all(&framed).await
            }
        };
        if written.is_err() {
            return sent;
        }
        sent += n;
    }
    if matches!(framing, Framing::Chunked) {
        let _ = sock.write_all(b"0\r\n\r\n").await;
    }
    sent
}

fn http() -> reqwest::Client {
    skyport_core::http::build_client(Default::default()).expect("http client")
}

/// The server stopped well before the end: the reader dropped the connection near the cap.
fn assert_stopped_early(sent: usize, limit: usize, what: &str) {
    assert!(
        sent < HUGE && sent <= limit + IN_FLIGHT,
        "{what}: the server sent {sent} of {HUGE} bytes for a cap of {limit}"
    );
}

#[tokio::test]
async fn read_capped_takes_up_to_the_cap_and_refuses_more() {
    const LIMIT: usize = 100_000;
    for framing in FRAMINGS {
        for total in [0, 1, LIMIT - 1, LIMIT] {
            let server = Server::start("200 OK", total, framing).await;
            let resp = http().get(&server.url).send().await.expect("send");
            let body = read_capped(resp, LIMIT).await.expect("within the cap");
            assert_eq!(body.len(), total, "{framing:?}");
            assert!(body.iter().all(|&b| b == b' '));
            assert_eq!(server.sent().await, total);
        }
        let server = Server::start("200 OK", HUGE, framing).await;
        let resp = http().get(&server.url).send().await.expect("send");
        let err = read_capped(resp, LIMIT).await.expect_err("over the cap");
        assert!(matches!(err, BodyError::TooLarge { .. }), "{err:?}");
        assert_eq!(err.code(), ErrorCode::PlatformError);
        assert!(err.to_string().contains("100000 bytes"), "{err}");
        assert_stopped_early(server.sent().await, LIMIT, &format!("{framing:?}"));
    }
}

#[tokio::test]
async fn a_huge_session_list_is_a_clean_error() {
    for framing in FRAMINGS {
        let server = Server::start("200 OK", HUGE, framing).await;
        let service = ServiceUrl::parse(&format!("{}/skaha", server.url)).expect("service url");
        let client = SkahaClient::new(http(), service, Auth::None);
        let err = client
            .list_sessions(&ListQuery::default())
            .await
            .expect_err("over the cap");
        drop(client);
        assert!(
            matches!(err, SkahaError::TooLarge { .. }),
            "{framing:?}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::PlatformError);
        assert!(!err.is_transient(), "a refused answer is not fetched again");
        let msg = err.to_string();
        assert!(
            msg.contains("16 MiB") && msg.contains("service URL"),
            "{msg}"
        );
        assert_stopped_early(server.sent().await, API_BODY_LIMIT, &format!("{framing:?}"));
    }
}

#[tokio::test]
async fn a_huge_error_page_keeps_its_status_and_is_not_read() {
    for framing in FRAMINGS {
        let server = Server::start("500 Internal Server Error", HUGE, framing).await;
        let service = ServiceUrl::parse(&format!("{}/skaha", server.url)).expect("service url");
        let client = SkahaClient::new(http(), service, Auth::None);
        let err = client.context().await.expect_err("500");
        drop(client);
        match &err {
            SkahaError::Server { status, message } => {
                assert_eq!(*status, 500);
                assert!(message.contains("larger than 64 KiB"), "{message}");
            }
            other => panic!("{framing:?}: expected the 500, got {other:?}"),
        }
        assert_stopped_early(server.sent().await, 64 * 1024, &format!("{framing:?}"));
    }
}

#[tokio::test]
async fn a_huge_certificate_answer_is_a_clean_error() {
    for framing in FRAMINGS {
        let server = Server::start("200 OK", HUGE, framing).await;
        let cred = url::Url::parse(&format!("{}/cred/generate", server.url)).expect("url");
        let auth = CredAuth::Bearer(SecretString::new("token".into()));
        let err = obtain::fetch(&http(), &cred, &auth, 10.0)
            .await
            .expect_err("over the cap");
        assert!(
            matches!(err, ObtainError::TooLarge { .. }),
            "{framing:?}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::PlatformError);
        let msg = err.to_string();
        assert!(msg.contains("1 MiB") && msg.contains("unchanged"), "{msg}");
        assert_stopped_early(
            server.sent().await,
            CERT_BODY_LIMIT,
            &format!("{framing:?}"),
        );
    }
}

#[tokio::test]
async fn a_huge_password_sign_in_answer_is_a_clean_error() {
    for framing in FRAMINGS {
        let server = Server::start("200 OK", HUGE, framing).await;
        let login = url::Url::parse(&format!("{}/ac/login", server.url)).expect("url");
        let err = password::login(&http(), &login, "alice", &SecretString::new("pw".into()))
            .await
            .expect_err("over the cap");
        assert!(
            matches!(err, PasswordLoginError::TooLarge { .. }),
            "{framing:?}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::PlatformError);
        assert_stopped_early(
            server.sent().await,
            TOKEN_BODY_LIMIT,
            &format!("{framing:?}"),
        );
    }
}

#[tokio::test]
async fn a_huge_provider_answer_is_a_clean_error() {
    for framing in FRAMINGS {
        let server = Server::start("200 OK", HUGE, framing).await;
        let http = oidc::http_client(Duration::from_secs(30)).expect("http");
        let err = Provider::discover(&http, &server.url)
            .await
            .expect_err("over the cap");
        assert!(
            matches!(err, OidcError::AnswerTooLarge { .. }),
            "{framing:?}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::ProviderUnreachable);
        assert!(err.to_string().contains("1 MiB"), "{err}");
        drop(http);
        assert_stopped_early(
            server.sent().await,
            TOKEN_BODY_LIMIT,
            &format!("{framing:?}"),
        );
    }
}

#[tokio::test]
async fn two_thousand_sessions_still_fit() {
    const TOKEN: &str = "test-token-alice";
    let sim = skyport_sim::start(skyport_sim::SimConfig {
        tokens: vec![(TOKEN.into(), "alice".into())],
        seed_sessions: 2_000,
        ..Default::default()
    })
    .await
    .expect("start sim");
    let service = ServiceUrl::parse(sim.skaha_url().as_str()).expect("service url");
    let client = SkahaClient::new(
        http(),
        service,
        Auth::Bearer(SecretString::new(TOKEN.into())),
    );
    let list = client
        .list_sessions(&ListQuery::default())
        .await
        .expect("list");
    assert_eq!(list.sessions.len(), 2_000);
}
