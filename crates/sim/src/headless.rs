//! Headless jobs executed for real (opt-in `run_headless`): `cmd` with `args` and `env` as a
//! local child process; its output is what `view=logs` returns and its exit code decides
//! Completed or Failed.

use std::process::Stdio;
use std::sync::{Arc, Mutex, Weak};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::oneshot;

use crate::store::{Session, Store};

/// Cap on kept output; older output is dropped first, as a log tail would.
const MAX_OUTPUT: usize = 4 * 1024 * 1024;

/// Handle to stop a running child.
#[derive(Debug)]
pub struct ProcessCtl {
    kill: Option<oneshot::Sender<()>>,
}

impl ProcessCtl {
    pub fn kill(mut self) {
        if let Some(tx) = self.kill.take() {
            let _ = tx.send(());
        }
    }
}

fn append(buf: &Mutex<String>, bytes: &[u8]) {
    let mut out = buf.lock().unwrap_or_else(|e| e.into_inner());
    out.push_str(&String::from_utf8_lossy(bytes));
    if out.len() > MAX_OUTPUT {
        let mut cut = out.len() - MAX_OUTPUT;
        while !out.is_char_boundary(cut) {
            cut += 1;
        }
        out.drain(..cut);
    }
}

async fn pump(mut r: impl AsyncRead + Unpin, buf: Arc<Mutex<String>>) {
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => append(&buf, &chunk[..n]),
        }
    }
}

/// Starts the session's command. Must be called inside a Tokio runtime.
pub(crate) fn spawn(store: &Arc<Store>, s: &Session) -> ProcessCtl {
    let (tx, rx) = oneshot::channel();
    let weak: Weak<Store> = Arc::downgrade(store);
    let id = s.id.clone();
    let seq = s.seq_value();
    let output = s.output.clone();
    let Some(cmd) = s.cmd.clone() else {
        return ProcessCtl { kill: None };
    };
    let mut command = tokio::process::Command::new(&cmd);
    command
        .args(&s.args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("SKAHA_SESSION_ID", &s.id)
        .envs(s.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let spawned = command.spawn();
    tokio::spawn(async move {
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                // What a container runtime reports for a missing executable.
                append(&output, format!("exec {cmd}: {e}\n").as_bytes());
                if let Some(store) = weak.upgrade() {
                    store.process_exited(&id, seq, Some(127));
                }
                return;
            }
        };
        let out = child
            .stdout
            .take()
            .map(|o| tokio::spawn(pump(o, output.clone())));
        let err = child
            .stderr
            .take()
            .map(|e| tokio::spawn(pump(e, output.clone())));
        let code = tokio::select! {
            status = child.wait() => status.ok().and_then(|s| s.code()).or(Some(137)),
            _ = rx => {
                let _ = child.kill().await;
                None
            }
        };
        for h in [out, err].into_iter().flatten() {
            let _ = h.await;
        }
        if let (Some(code), Some(store)) = (code, weak.upgrade()) {
            store.process_exited(&id, seq, Some(code));
        }
    });
    ProcessCtl { kill: Some(tx) }
}
