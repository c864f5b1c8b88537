//! Shared state of one running sim.

use std::sync::Arc;

use crate::auth::AuthState;
use crate::clock::Clock;
use crate::config::SimConfig;
use crate::faults::Faults;
use crate::server::PanicLog;
use crate::store::Store;
use crate::tls::TlsMaterial;

/// Origins (scheme://host:port, no trailing slash) of the listeners.
#[derive(Debug, Clone)]
pub struct Urls {
    pub http: String,
    pub https: String,
    pub sessions: String,
    pub admin: String,
}

#[derive(Debug)]
pub struct App {
    pub cfg: SimConfig,
    pub clock: Arc<Clock>,
    pub store: Arc<Store>,
    pub auth: AuthState,
    /// The other VO services' state (login cookies, registered SSH keys).
    pub vo: crate::vo::VoState,
    /// The `/arc` storage's tree.
    pub cavern: crate::cavern::Cavern,
    pub tls: TlsMaterial,
    pub faults: Faults,
    pub urls: Urls,
    pub panics: PanicLog,
    /// Configured user names, for stable uids.
    pub user_names: Vec<String>,
    /// Flips when the sim shuts down (ends websockets and other long-lived tasks).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// While true, a slow file's last part waits (a test holds a download unfinished for
    /// as long as it needs, whatever the machine's pace).
    pub hold_slow_files: tokio::sync::watch::Sender<bool>,
}
