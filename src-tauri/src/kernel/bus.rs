//! How features tell each other things without knowing each other: typed signals on one
//! broadcast channel, and watch channels for the state several features show.
//!
//! A feature sends what happened ("signed in", "the tray asks to renew") and whoever cares
//! listens; no feature imports another. Lagging listeners skip ahead: every signal means
//! "look again", never "this is the only time you will hear of it".

use skyport_core::cert::CertInfo;
use skyport_core::sessions::SessionsSnapshot;
use skyport_core::tray::CertSummary;
use tokio::sync::{broadcast, watch};

/// Something that happened, for whichever features care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// The credential's status may read differently. `replaced`: a different credential is
    /// in use now (saved, forgotten, signed in or out, refreshed), so lists are fetched again.
    CredentialChanged { replaced: bool },
    /// A sign-in just succeeded (a paused automatic renewal may work again).
    SignedIn,
    /// Someone (the tray) asks for the certificate to be renewed now.
    RenewCertificate,
    /// Someone (the tray) asks for a session's window.
    OpenSessionWindow(String),
    /// Another platform is in use now (its certificate file may be another one).
    PlatformChanged,
    /// The main window is shown again after being hidden in the tray: what was held back
    /// from it while nobody could see it (the list's time) is due.
    MainShown,
}

/// The certificate file as last read: its path and what was in it.
#[derive(Debug, Clone)]
pub struct CertReading {
    pub path: String,
    pub summary: CertSummary,
}

impl CertReading {
    pub fn info(&self) -> Option<&CertInfo> {
        match &self.summary {
            CertSummary::Present(info) => Some(info),
            _ => None,
        }
    }
}

/// The kernel's channels (managed state).
pub struct Bus {
    signals: broadcast::Sender<Signal>,
    /// The session list (published by the sessions feature).
    pub sessions: watch::Sender<SessionsSnapshot>,
    /// The certificate file (published by the certificates feature); `None` until read.
    pub cert: watch::Sender<Option<CertReading>>,
    /// The credential status the UI heard last (see `kernel::credential_changed`).
    pub(crate) credential_said: LastSaid<skyport_core::status::CredentialStatus>,
}

/// What the UI heard last of something re-read on a timer: it hears it again only when it
/// changed (or when told to), so an idle window is not woken for nothing.
pub struct LastSaid<T>(std::sync::Mutex<Option<T>>);

impl<T> Default for LastSaid<T> {
    fn default() -> Self {
        Self(std::sync::Mutex::new(None))
    }
}

impl<T: PartialEq + Clone> LastSaid<T> {
    /// Whether `value` is news (different from the last one, or `always`); it is the last
    /// one from now on.
    pub fn news(&self, value: &T, always: bool) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let news = always || last.as_ref() != Some(value);
        if news {
            *last = Some(value.clone());
        }
        news
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            signals: broadcast::channel(64).0,
            sessions: watch::channel(SessionsSnapshot::loading()).0,
            cert: watch::channel(None).0,
            credential_said: LastSaid::default(),
        }
    }
}

impl Bus {
    /// Tell whoever listens (nobody listening is fine).
    pub fn send(&self, signal: Signal) {
        let _ = self.signals.send(signal);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.signals.subscribe()
    }

    /// The session list now.
    pub fn sessions(&self) -> SessionsSnapshot {
        self.sessions.borrow().clone()
    }

    /// The certificate reading now.
    pub fn cert(&self) -> Option<CertReading> {
        self.cert.borrow().clone()
    }
}

/// The next signal; `None` once the bus is gone. A listener that fell behind gets the next
/// one it can still read.
pub async fn next(rx: &mut broadcast::Receiver<Signal>) -> Option<Signal> {
    loop {
        match rx.recv().await {
            Ok(s) => return Some(s),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::debug!("a listener skipped {n} signal(s)");
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listener_that_fell_behind_reads_on() {
        let bus = Bus::default();
        let mut rx = bus.subscribe();
        for i in 0..100 {
            bus.send(Signal::OpenSessionWindow(i.to_string()));
        }
        bus.send(Signal::SignedIn);
        // The oldest were dropped; the listener still gets what is left, in order.
        let first = next(&mut rx).await.expect("signal");
        assert_eq!(first, Signal::OpenSessionWindow("37".into()));
        let mut last = first;
        while let Ok(s) = rx.try_recv() {
            last = s;
        }
        assert_eq!(last, Signal::SignedIn);
    }
}
