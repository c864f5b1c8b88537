//! Listeners: one accept loop per port, hyper connections with upgrades (websockets),
//! optional TLS with client-certificate capture, per-connection info for handlers, a
//! connection-reset hook for fault injection, and panic capture so a handler panic fails the
//! test that owns the sim instead of vanishing in a task.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use futures_util::FutureExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// The user behind a verified client certificate.
#[derive(Debug, Clone)]
pub struct ClientCert {
    pub user: String,
    pub dn: String,
}

/// Facts about the connection a request came in on.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Origin of the listener, e.g. `http://127.0.0.1:1234` (used in challenges and
    /// capabilities so clients stay on the origin they asked).
    pub origin: Arc<str>,
    pub tls: bool,
    pub client_cert: Option<Arc<ClientCert>>,
    /// Notified to drop the connection with a TCP reset.
    pub reset: Arc<Notify>,
}

/// Panics caught in server tasks.
#[derive(Debug, Clone, Default)]
pub struct PanicLog(Arc<Mutex<Vec<String>>>);

impl PanicLog {
    pub fn record(&self, what: String) {
        tracing::error!("skyport-sim panic: {what}");
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(what);
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".to_string()
    }
}

/// Spawns a task whose panic is recorded rather than lost.
pub fn spawn_guarded<F>(
    panics: &PanicLog,
    name: &'static str,
    fut: F,
) -> tokio::task::JoinHandle<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let panics = panics.clone();
    tokio::spawn(async move {
        if let Err(p) = AssertUnwindSafe(fut).catch_unwind().await {
            panics.record(format!("{name}: {}", panic_message(p.as_ref())));
        }
    })
}

/// Serves `router` on `listener` until `shutdown` flips.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    origin: Arc<str>,
    panics: PanicLog,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let (stream, _) = match accepted {
            Ok(s) => s,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let origin = origin.clone();
        let panics2 = panics.clone();
        let shutdown = shutdown.clone();
        spawn_guarded(&panics, "connection", async move {
            handle_conn(stream, router, tls, origin, panics2, shutdown).await;
        });
    }
}

async fn handle_conn(
    stream: TcpStream,
    router: Router,
    tls: Option<TlsAcceptor>,
    origin: Arc<str>,
    panics: PanicLog,
    shutdown: watch::Receiver<bool>,
) {
    // A duplicate handle on the socket, used only to force a TCP reset (SO_LINGER 0).
    let dup = stream
        .into_std()
        .and_then(|s| s.try_clone().map(|d| (s, d)));
    let Ok((std_stream, dup)) = dup else { return };
    let Ok(stream) = TcpStream::from_std(std_stream) else {
        return;
    };
    let reset = Arc::new(Notify::new());
    match tls {
        None => {
            let info = ConnInfo {
                origin,
                tls: false,
                client_cert: None,
                reset: reset.clone(),
            };
            run_http(stream, router, info, panics, shutdown, dup).await;
        }
        Some(acceptor) => {
            let hs =
                tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(stream))
                    .await;
            let Ok(Ok(tls_stream)) = hs else { return };
            let client_cert = tls_stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|der| crate::tls::client_identity(der.as_ref()))
                .map(Arc::new);
            let info = ConnInfo {
                origin,
                tls: true,
                client_cert,
                reset: reset.clone(),
            };
            run_http(tls_stream, router, info, panics, shutdown, dup).await;
        }
    }
}

async fn run_http<S>(
    io: S,
    router: Router,
    info: ConnInfo,
    panics: PanicLog,
    mut shutdown: watch::Receiver<bool>,
    dup: std::net::TcpStream,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let reset = info.reset.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(info.clone());
        let router = router.clone();
        let panics = panics.clone();
        async move {
            let fut = router.oneshot(req.map(Body::new));
            match AssertUnwindSafe(fut).catch_unwind().await {
                Ok(Ok(resp)) => Ok::<_, Infallible>(resp),
                Ok(Err(never)) => match never {},
                Err(p) => {
                    panics.record(format!("handler: {}", panic_message(p.as_ref())));
                    let mut resp = Response::new(Body::from("unexpected exception: panic\n"));
                    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                    Ok(resp)
                }
            }
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), svc);
    tokio::select! {
        _ = conn => {}
        _ = reset.notified() => {
            let _ = socket2::SockRef::from(&dup).set_linger(Some(std::time::Duration::ZERO));
        }
        _ = shutdown.changed() => {}
    }
    drop(dup);
}
