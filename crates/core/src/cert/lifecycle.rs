//! The certificate's life as the app's monitor drives it: expiry warnings, when to renew,
//! backing off after failures, and when to stop and ask the user.
//!
//! [`Lifecycle`] is a state machine with an injected clock and jitter: it never sleeps,
//! never reads the system clock and never does network I/O. The monitor feeds it what
//! the [`super::CertWatcher`] sees ([`Lifecycle::observe`]) and the outcome of renewals,
//! carries out the [`LifecycleAction`]s it returns, and sleeps until
//! [`Lifecycle::next_wake`]. After sleep/resume (a wall-clock jump) every due time is
//! already in the past, so the next [`Lifecycle::tick`] and [`Lifecycle::renewal_due`]
//! act at once.
//!
//! What must survive a restart (which warnings were given for which certificate, and
//! that auto-renewal is waiting for the user) is kept in a small JSON file in the state
//! folder, written atomically whenever it changes, so a restart never repeats a
//! notification. Renewal times are not kept: they are recomputed from the certificate.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::schedule::{
    cert_state, early_warning_at, next_threshold_crossed, renew_at, retry_delay, CertState,
    JitterSource, RenewPolicy, Threshold, ThresholdState, RETRY_BASE,
};
use super::watch::CertEvent;
use super::CertInfo;
use crate::error::ErrorCode;
use crate::paths::Paths;

/// Version of the state file.
pub const STATE_VERSION: u32 = 1;

/// How the monitor behaves (from the app's settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// When to renew.
    pub policy: RenewPolicy,
    /// Renew unattended; when false, only warnings are given.
    pub auto_renew: bool,
    /// How long before expiry to warn, once (`None`: only when it has expired).
    pub warn_before: Option<Duration>,
}

impl Default for LifecycleConfig {
    /// 2/3 of the lifetime, auto-renewal on, one warning 12 hours before expiry.
    fn default() -> Self {
        Self {
            policy: RenewPolicy::TwoThirds,
            auto_renew: true,
            warn_before: Some(Duration::hours(12)),
        }
    }
}

/// What the certificate file holds, as the watcher reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum CertObservation {
    Loaded(CertInfo),
    Missing,
    Invalid,
}

impl CertObservation {
    /// The observation in a watcher event; `None` for [`CertEvent::Tick`] (call
    /// [`Lifecycle::tick`] for those).
    pub fn from_event(event: &CertEvent) -> Option<CertObservation> {
        match event {
            CertEvent::Loaded { info, .. } => Some(CertObservation::Loaded(info.clone())),
            CertEvent::Missing => Some(CertObservation::Missing),
            CertEvent::Invalid { .. } => Some(CertObservation::Invalid),
            CertEvent::Tick { .. } => None,
        }
    }
}

/// Why auto-renewal stopped and waits for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum NeedsYouReason {
    /// No credential to renew with: remember the password, add a netrc entry or sign in.
    SignInNeeded,
    /// The credential was refused (a changed password, an ended sign-in).
    CredentialRefused,
}

impl NeedsYouReason {
    /// The reason for an error code, when the code means retrying cannot help.
    pub fn from_code(code: ErrorCode) -> Option<NeedsYouReason> {
        match code {
            ErrorCode::SignInNeeded => Some(NeedsYouReason::SignInNeeded),
            ErrorCode::PermissionDenied => Some(NeedsYouReason::CredentialRefused),
            _ => None,
        }
    }

    /// Words for a notification.
    pub fn message(self) -> &'static str {
        match self {
            NeedsYouReason::SignInNeeded => {
                "Your certificate cannot be renewed automatically: remember your password, add a ~/.netrc entry, or sign in."
            }
            NeedsYouReason::CredentialRefused => {
                "Your certificate could not be renewed because the credential was refused (was your password changed?). Sign in again or renew it by hand."
            }
        }
    }
}

/// What the monitor should do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleAction {
    /// Show an expiry warning (never twice for the same threshold and certificate).
    Notify(Threshold),
    /// The next renewal attempt is planned for this time (informational: the monitor
    /// learns when through [`Lifecycle::next_wake`] and [`Lifecycle::renewal_due`]).
    ScheduleRenewal(DateTime<Utc>),
    /// The certificate's state changed (for the tray icon and status bar).
    StateChanged(CertState),
    /// Auto-renewal stopped until the user acts; notify once.
    RenewalNeedsYou { reason: NeedsYouReason },
}

/// Auto-renewal is paused for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsYou {
    pub reason: NeedsYouReason,
    /// The certificate it happened with; another certificate resumes auto-renewal.
    pub not_after: Option<DateTime<Utc>>,
}

/// What is kept across restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecycleRecord {
    pub version: u32,
    /// Warnings already given, per certificate.
    pub thresholds: ThresholdState,
    /// Set while auto-renewal waits for the user (its notice has been given).
    pub needs_you: Option<NeedsYou>,
}

/// The state file for a certificate path: `state/cert/lifecycle-<hash>.json`. Keyed by
/// the path, so profiles sharing `~/.ssl/cadcproxy.pem` share their warnings.
pub fn default_state_file(paths: &Paths, cert_path: &Path) -> PathBuf {
    // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cert_path.as_os_str().as_encoded_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    paths
        .state_dir
        .join("cert")
        .join(format!("lifecycle-{h:016x}.json"))
}

/// Read a state file. A missing or unreadable file starts afresh (at worst a warning is
/// repeated); it is never an error.
pub fn load_record(path: &Path) -> LifecycleRecord {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return LifecycleRecord::default(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the certificate state; starting afresh");
            return LifecycleRecord::default();
        }
    };
    match serde_json::from_slice::<LifecycleRecord>(&bytes) {
        Ok(r) if r.version <= STATE_VERSION => r,
        Ok(r) => {
            tracing::warn!(path = %path.display(), version = r.version, "certificate state from a newer Skyport; starting afresh");
            LifecycleRecord::default()
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "damaged certificate state; starting afresh");
            LifecycleRecord::default()
        }
    }
}

/// Write a state file atomically.
pub fn save_record(path: &Path, record: &LifecycleRecord) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(record).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, &bytes)
}

#[derive(Debug, Clone, PartialEq)]
enum Current {
    Unknown,
    Loaded(CertInfo),
    Missing,
    Invalid,
}

/// The monitor's state machine. See the module documentation.
#[derive(Debug)]
pub struct Lifecycle {
    config: LifecycleConfig,
    record: LifecycleRecord,
    state_file: Option<PathBuf>,
    current: Current,
    reported: Option<CertState>,
    /// The next automatic attempt (the planned renewal, or a retry).
    next_attempt: Option<DateTime<Utc>>,
    /// Failed attempts in a row for the current certificate.
    failures: u32,
    last_success: Option<DateTime<Utc>>,
}

impl Lifecycle {
    /// A lifecycle kept in memory only.
    pub fn new(config: LifecycleConfig) -> Lifecycle {
        Lifecycle {
            config,
            record: LifecycleRecord {
                version: STATE_VERSION,
                ..Default::default()
            },
            state_file: None,
            current: Current::Unknown,
            reported: None,
            next_attempt: None,
            failures: 0,
            last_success: None,
        }
    }

    /// A lifecycle whose record is read from and saved to `state_file`.
    pub fn with_state_file(config: LifecycleConfig, state_file: PathBuf) -> Lifecycle {
        let mut lc = Lifecycle::new(config);
        lc.record = load_record(&state_file);
        lc.record.version = STATE_VERSION;
        lc.state_file = Some(state_file);
        lc
    }

    pub fn config(&self) -> &LifecycleConfig {
        &self.config
    }

    /// What is persisted.
    pub fn record(&self) -> &LifecycleRecord {
        &self.record
    }

    /// The state last reported with [`LifecycleAction::StateChanged`].
    pub fn state(&self) -> Option<CertState> {
        self.reported
    }

    /// The next automatic renewal attempt, when one is planned.
    pub fn next_attempt(&self) -> Option<DateTime<Utc>> {
        self.active().then_some(self.next_attempt).flatten()
    }

    /// Failed automatic attempts in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Why auto-renewal waits for the user, if it does.
    pub fn needs_you(&self) -> Option<NeedsYouReason> {
        self.record.needs_you.map(|n| n.reason)
    }

    fn cert(&self) -> Option<&CertInfo> {
        match &self.current {
            Current::Loaded(i) => Some(i),
            _ => None,
        }
    }

    /// Auto-renewal is on, not waiting for the user, and there is a certificate.
    fn active(&self) -> bool {
        self.config.auto_renew && self.record.needs_you.is_none() && self.cert().is_some()
    }

    fn persist(&self) {
        if let Some(path) = &self.state_file {
            if let Err(e) = save_record(path, &self.record) {
                // At worst a warning is repeated after a restart; the monitor goes on.
                tracing::warn!(path = %path.display(), error = %e, "cannot save the certificate state");
            }
        }
    }

    /// Plan the renewal of the current certificate.
    fn schedule(&mut self, jitter: &mut dyn JitterSource) -> Vec<LifecycleAction> {
        self.next_attempt = None;
        let Some(info) = self.cert() else {
            return vec![];
        };
        let mut at = renew_at(info.not_before, info.not_after, self.config.policy, jitter);
        // Never straight after a success, even for a certificate due at once (a server
        // handing out very short certificates must not make us hammer it).
        if let Some(done) = self.last_success {
            at = at.max(done + retry(RETRY_BASE));
        }
        self.next_attempt = Some(at);
        if self.active() {
            vec![LifecycleAction::ScheduleRenewal(at)]
        } else {
            vec![]
        }
    }

    /// A new reading of the certificate file (start-up, or the watcher saw a change).
    pub fn observe(
        &mut self,
        observation: &CertObservation,
        now: DateTime<Utc>,
        jitter: &mut dyn JitterSource,
    ) -> Vec<LifecycleAction> {
        let mut actions = Vec::new();
        match observation {
            CertObservation::Loaded(info) => {
                let same = self
                    .cert()
                    .is_some_and(|c| c.not_after == info.not_after && c.serial == info.serial);
                if !same {
                    self.current = Current::Loaded(info.clone());
                    self.failures = 0;
                    // Another certificate (renewed here or by another program) ends a
                    // pause that was about the previous one.
                    if self
                        .record
                        .needs_you
                        .is_some_and(|n| n.not_after != Some(info.not_after))
                    {
                        self.record.needs_you = None;
                        self.persist();
                    }
                    actions.extend(self.schedule(jitter));
                }
            }
            CertObservation::Missing => {
                // Not obtained unattended: the user may have removed it on purpose.
                self.current = Current::Missing;
                self.next_attempt = None;
            }
            CertObservation::Invalid => {
                self.current = Current::Invalid;
                self.next_attempt = None;
            }
        }
        actions.extend(self.tick(now));
        actions
    }

    /// Re-evaluate at `now` (on every wake-up and watcher tick): state changes and
    /// expiry warnings. Whether to renew is [`Lifecycle::renewal_due`].
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<LifecycleAction> {
        let mut actions = Vec::new();
        let state = match &self.current {
            Current::Unknown => return actions,
            Current::Loaded(info) => cert_state(Ok(info), now),
            Current::Missing => CertState::Missing,
            Current::Invalid => CertState::Invalid,
        };
        if self.reported != Some(state) {
            self.reported = Some(state);
            actions.push(LifecycleAction::StateChanged(state));
        }
        if let Some(info) = self.cert() {
            let (crossed, thresholds) = next_threshold_crossed(
                self.record.thresholds,
                info.not_before,
                info.not_after,
                now,
                self.config.warn_before,
            );
            if thresholds != self.record.thresholds {
                self.record.thresholds = thresholds;
                // Saved before the warning is shown, so a crash cannot repeat it.
                self.persist();
            }
            if let Some(t) = crossed {
                actions.push(LifecycleAction::Notify(t));
            }
        }
        actions
    }

    /// Whether to start an automatic renewal now.
    pub fn renewal_due(&self, now: DateTime<Utc>) -> bool {
        self.next_attempt().is_some_and(|at| now >= at)
    }

    /// When the monitor should wake up next: the earliest of the next renewal attempt,
    /// the next expiry warning and the next state change (expiring, expired). May be in
    /// the past (after sleep/resume): act at once. `None`: nothing is pending.
    pub fn next_wake(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut times: Vec<DateTime<Utc>> = Vec::new();
        times.extend(self.next_attempt());
        if let Some(info) = self.cert() {
            let (nb, na) = (info.not_before, info.not_after);
            let lifetime = na - nb;
            let notified = if self.record.thresholds.not_after == Some(na) {
                self.record.thresholds.notified
            } else {
                None
            };
            if notified.is_none() {
                times.extend(early_warning_at(nb, na, self.config.warn_before));
            }
            // State changes, as `cert_state` draws them.
            if nb > now {
                times.push(nb);
            }
            if self.reported == Some(CertState::Fine) || self.reported == Some(CertState::Invalid) {
                times.push(na - (lifetime / 3).min(Duration::days(3)));
            }
            if self.reported != Some(CertState::Expired) {
                times.push(na);
            }
        }
        // Boundaries already passed and acted on (state reported) are not pending.
        times.retain(|t| *t > now || self.is_pending_at(*t, now));
        times.into_iter().min()
    }

    /// Whether something due at `t <= now` has not been acted on yet.
    fn is_pending_at(&self, t: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        if self.next_attempt() == Some(t) {
            return true;
        }
        let Some(info) = self.cert() else {
            return false;
        };
        // A state or warning not yet produced by `tick`.
        if self.reported != Some(cert_state(Ok(info), now)) {
            return true;
        }
        let (crossed, _) = next_threshold_crossed(
            self.record.thresholds,
            info.not_before,
            info.not_after,
            now,
            self.config.warn_before,
        );
        crossed.is_some()
    }

    /// An automatic renewal failed with `code`. Retries back off (1 min, doubling, at
    /// most 1 h); for [`ErrorCode::SignInNeeded`] and [`ErrorCode::PermissionDenied`]
    /// retrying cannot help, so auto-renewal stops until a sign-in
    /// ([`Lifecycle::resume_auto_renew`]), a successful renewal, or another certificate,
    /// and [`LifecycleAction::RenewalNeedsYou`] is returned once.
    pub fn on_renewal_failed(
        &mut self,
        code: ErrorCode,
        now: DateTime<Utc>,
        jitter: &mut dyn JitterSource,
    ) -> Vec<LifecycleAction> {
        if !self.config.auto_renew {
            // Only automatic attempts are tracked; a manual one shows its own error.
            return vec![];
        }
        if let Some(reason) = NeedsYouReason::from_code(code) {
            let first = self.record.needs_you.is_none();
            self.record.needs_you = Some(NeedsYou {
                reason,
                not_after: self.cert().map(|c| c.not_after),
            });
            self.persist();
            return if first {
                vec![LifecycleAction::RenewalNeedsYou { reason }]
            } else {
                vec![]
            };
        }
        if self.cert().is_none() || self.record.needs_you.is_some() {
            return vec![];
        }
        let delay = retry(retry_delay(self.failures, jitter));
        self.failures = self.failures.saturating_add(1);
        let at = now + delay;
        self.next_attempt = Some(at);
        vec![LifecycleAction::ScheduleRenewal(at)]
    }

    /// A renewal (automatic or by hand) wrote `info`: resume auto-renewal, reset the
    /// backoff and plan the next renewal. The new certificate's warnings start afresh.
    pub fn on_renewal_succeeded(
        &mut self,
        info: &CertInfo,
        now: DateTime<Utc>,
        jitter: &mut dyn JitterSource,
    ) -> Vec<LifecycleAction> {
        self.last_success = Some(now);
        if self.record.needs_you.take().is_some() {
            self.persist();
        }
        self.current = Current::Loaded(info.clone());
        self.failures = 0;
        let mut actions = self.schedule(jitter);
        actions.extend(self.tick(now));
        actions
    }

    /// The user signed in (or changed the remembered password): try again. When the
    /// planned time has passed, the renewal is due at once.
    pub fn resume_auto_renew(&mut self, jitter: &mut dyn JitterSource) -> Vec<LifecycleAction> {
        if self.record.needs_you.take().is_some() {
            self.persist();
        }
        self.failures = 0;
        self.schedule(jitter)
    }

    /// New settings (policy, auto-renewal, warnings): replan.
    pub fn set_config(
        &mut self,
        config: LifecycleConfig,
        now: DateTime<Utc>,
        jitter: &mut dyn JitterSource,
    ) -> Vec<LifecycleAction> {
        self.config = config;
        let mut actions = self.schedule(jitter);
        actions.extend(self.tick(now));
        actions
    }
}

fn retry(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::NoJitter;
    use chrono::TimeZone as _;

    fn info(nb: DateTime<Utc>, days: i64, serial: &str) -> CertInfo {
        CertInfo {
            subject: "CN=alice".into(),
            issuer: "CN=ca".into(),
            not_before: nb,
            not_after: nb + Duration::days(days),
            serial: serial.into(),
            path: None,
            chain_len: 1,
            key_matches: true,
            key_type: "RSA 2048".into(),
        }
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn codes_that_need_the_user() {
        assert_eq!(
            NeedsYouReason::from_code(ErrorCode::SignInNeeded),
            Some(NeedsYouReason::SignInNeeded)
        );
        assert_eq!(
            NeedsYouReason::from_code(ErrorCode::PermissionDenied),
            Some(NeedsYouReason::CredentialRefused)
        );
        for c in [
            ErrorCode::PlatformUnreachable,
            ErrorCode::PlatformUnavailable,
            ErrorCode::PlatformError,
            ErrorCode::CertificateInvalid,
            ErrorCode::Io,
            ErrorCode::Timeout,
        ] {
            assert_eq!(NeedsYouReason::from_code(c), None, "{c:?}");
        }
    }

    #[test]
    fn state_file_names_are_stable_per_path() {
        let p = Paths::under(PathBuf::from("/tmp/sp")).expect("test setup");
        let a = default_state_file(&p, Path::new("/home/a/.ssl/cadcproxy.pem"));
        let b = default_state_file(&p, Path::new("/home/a/.ssl/other.pem"));
        assert_ne!(a, b);
        assert_eq!(
            a,
            default_state_file(&p, Path::new("/home/a/.ssl/cadcproxy.pem"))
        );
        assert!(a.starts_with(&p.state_dir));
    }

    #[test]
    fn missing_and_invalid_are_reported_and_not_renewed() {
        let mut lc = Lifecycle::new(LifecycleConfig::default());
        assert_eq!(lc.next_wake(t0()), None);
        assert!(lc.tick(t0()).is_empty(), "nothing observed yet");
        let a = lc.observe(&CertObservation::Missing, t0(), &mut NoJitter);
        assert_eq!(a, vec![LifecycleAction::StateChanged(CertState::Missing)]);
        assert!(!lc.renewal_due(t0() + Duration::days(100)));
        assert_eq!(lc.next_wake(t0()), None);
        let a = lc.observe(&CertObservation::Invalid, t0(), &mut NoJitter);
        assert_eq!(a, vec![LifecycleAction::StateChanged(CertState::Invalid)]);
        // Repeated observations say nothing new.
        assert!(lc
            .observe(&CertObservation::Invalid, t0(), &mut NoJitter)
            .is_empty());
    }

    #[test]
    fn a_pause_belongs_to_one_certificate() {
        let mut lc = Lifecycle::new(LifecycleConfig::default());
        let first = info(t0(), 10, "01");
        lc.observe(&CertObservation::Loaded(first.clone()), t0(), &mut NoJitter);
        let due = lc.next_attempt().expect("planned");
        let a = lc.on_renewal_failed(ErrorCode::SignInNeeded, due, &mut NoJitter);
        assert_eq!(
            a,
            vec![LifecycleAction::RenewalNeedsYou {
                reason: NeedsYouReason::SignInNeeded
            }]
        );
        assert_eq!(
            lc.record().needs_you.and_then(|n| n.not_after),
            Some(first.not_after)
        );
        // The same certificate read again: still paused.
        lc.observe(&CertObservation::Loaded(first), due, &mut NoJitter);
        assert!(!lc.renewal_due(due + Duration::days(1)));
        // Another program put a new certificate there: auto-renewal resumes.
        let second = info(due, 10, "02");
        let a = lc.observe(&CertObservation::Loaded(second), due, &mut NoJitter);
        assert!(
            a.iter()
                .any(|a| matches!(a, LifecycleAction::ScheduleRenewal(_))),
            "{a:?}"
        );
        assert_eq!(lc.needs_you(), None);
    }

    #[test]
    fn a_damaged_state_file_starts_afresh() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("s.json");
        std::fs::write(&path, b"{not json").expect("test setup");
        assert_eq!(load_record(&path), LifecycleRecord::default());
        std::fs::write(&path, br#"{"version": 99}"#).expect("test setup");
        assert_eq!(load_record(&path), LifecycleRecord::default());
        assert_eq!(
            load_record(&dir.path().join("none")),
            LifecycleRecord::default()
        );
    }
}
