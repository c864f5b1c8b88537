//! Session state and lifecycle. Statuses are derived from sim-clock timestamps (Pending until
//! `ready_at`, Running until the deadline, then Failed; Terminating then gone; finished jobs
//! garbage-collected after `ttlSecondsAfterFinished`), so any clock jump lands in the same
//! state a real cluster would have reached.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::clock::{to_chrono, Clock};
use crate::config::SimConfig;
use crate::headless::{self, ProcessCtl};

/// Session types, in the order the real `SessionType` enum lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Carta,
    Contributed,
    Desktop,
    Notebook,
    Headless,
    DesktopApp,
    Firefly,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Carta,
        Kind::Contributed,
        Kind::Desktop,
        Kind::Notebook,
        Kind::Headless,
        Kind::DesktopApp,
        Kind::Firefly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Carta => "carta",
            Kind::Contributed => "contributed",
            Kind::Desktop => "desktop",
            Kind::Notebook => "notebook",
            Kind::Headless => "headless",
            Kind::DesktopApp => "desktop-app",
            Kind::Firefly => "firefly",
        }
    }

    /// Case-insensitive, as `SessionType.fromApplicationStringType`.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    pub fn is_headless(self) -> bool {
        self == Kind::Headless
    }

    /// Whether the session has a browser page (an ingress).
    pub fn is_interactive_page(self) -> bool {
        !matches!(self, Kind::Headless | Kind::DesktopApp)
    }

    /// Path segment used by the session ingress (`contrib` for contributed).
    pub fn path_segment(self) -> &'static str {
        match self {
            Kind::Contributed => "contrib",
            other => other.as_str(),
        }
    }

    pub fn from_path_segment(s: &str) -> Option<Kind> {
        match s {
            "notebook" => Some(Kind::Notebook),
            "desktop" => Some(Kind::Desktop),
            "carta" => Some(Kind::Carta),
            "contrib" => Some(Kind::Contributed),
            "firefly" => Some(Kind::Firefly),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Running,
    Terminating,
    Completed,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Running => "Running",
            Status::Terminating => "Terminating",
            Status::Completed => "Completed",
            Status::Failed => "Failed",
        }
    }
    pub fn is_active(self) -> bool {
        matches!(self, Status::Pending | Status::Running)
    }
}

/// Why a session is held Pending, on demand (`SimHandle::stall`, `POST /admin/stall`): the
/// session waits until released, and its events table shows what Kubernetes would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stall {
    /// FailedScheduling: Insufficient memory.
    NoMemory,
    /// FailedScheduling: Insufficient cpu.
    NoCpu,
    /// FailedScheduling: Insufficient nvidia.com/gpu.
    NoGpu,
    /// Scheduled, then pulling the image (a large one, first use on the node).
    Pulling,
    /// The image does not exist: ErrImagePull, ImagePullBackOff.
    ImageMissing,
    /// The registry refuses the pull (401): a private image without credentials.
    ImagePrivate,
    /// The container exits at once: BackOff restarting failed container.
    Crashing,
    /// The storage volume cannot be mounted: FailedMount.
    StorageMount,
}

impl Stall {
    pub const ALL: [Stall; 8] = [
        Stall::NoMemory,
        Stall::NoCpu,
        Stall::NoGpu,
        Stall::Pulling,
        Stall::ImageMissing,
        Stall::ImagePrivate,
        Stall::Crashing,
        Stall::StorageMount,
    ];

    /// Whether the pod never got a node (no Scheduled event).
    pub fn unscheduled(self) -> bool {
        matches!(self, Stall::NoMemory | Stall::NoCpu | Stall::NoGpu)
    }
}

/// Requested resources; `cores`/`ram_gb` are `Some` for fixed sessions only.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub cores: Option<u32>,
    pub ram_gb: Option<u32>,
    pub gpus: u32,
}

/// What a create request asks for, after validation.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user: String,
    pub kind: Kind,
    pub image: String,
    pub name: String,
    pub res: Resources,
    pub cmd: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Held Pending from the start, and why.
    pub stall: Option<Stall>,
}

#[derive(Debug)]
pub struct Session {
    pub id: String,
    pub appid: Option<String>,
    pub user: String,
    pub kind: Kind,
    pub image: String,
    pub name: String,
    pub res: Resources,
    pub cmd: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub created: DateTime<Utc>,
    pub pod_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
    pub status: Status,
    pub start: Option<DateTime<Utc>>,
    /// `activeDeadlineSeconds`, counted from `start`.
    pub deadline: chrono::Duration,
    pub finished: Option<DateTime<Utc>>,
    pub terminating_since: Option<DateTime<Utc>>,
    pub terminating_until: Option<DateTime<Utc>>,
    /// Simulated completion of a headless job that is not really executed.
    pub run_end: Option<DateTime<Utc>>,
    /// Executed as a real child process.
    pub real: bool,
    pub process: Option<ProcessCtl>,
    pub output: Arc<Mutex<String>>,
    pub exit_code: Option<i32>,
    /// Held Pending, and why (see `Stall`).
    pub stall: Option<Stall>,
    /// What the pod's metrics say it uses (cores, decimal GB), when set on demand; else a
    /// small figure of its own.
    pub usage: Option<(f64, f64)>,
    seq: u64,
}

impl Session {
    pub fn expiry(&self) -> Option<DateTime<Utc>> {
        self.start.map(|s| s + self.deadline)
    }

    pub fn is_app(&self) -> bool {
        self.appid.is_some()
    }

    fn next_due(&self, gc: chrono::Duration) -> Option<DateTime<Utc>> {
        match self.status {
            Status::Pending if self.stall.is_some() => None,
            Status::Pending => Some(self.ready_at),
            Status::Running => {
                let exp = self.expiry()?;
                Some(match self.run_end {
                    Some(r) if r < exp => r,
                    _ => exp,
                })
            }
            Status::Terminating => self.terminating_until,
            Status::Completed | Status::Failed => self.finished.map(|f| f + gc),
        }
    }

    pub(crate) fn seq_value(&self) -> u64 {
        self.seq
    }

    fn kill(&mut self) {
        if let Some(p) = self.process.take() {
            p.kill();
        }
    }
}

/// Lifecycle timings taken from the config, in sim time.
#[derive(Debug, Clone)]
pub struct Timings {
    pub pending: chrono::Duration,
    pub queue: chrono::Duration,
    pub interactive_lifetime: chrono::Duration,
    pub headless_lifetime: chrono::Duration,
    pub headless_run: chrono::Duration,
    pub terminating: chrono::Duration,
    pub interactive_gc: chrono::Duration,
    pub headless_gc: chrono::Duration,
}

impl Timings {
    pub fn from_config(c: &SimConfig) -> Self {
        Self {
            pending: to_chrono(c.pending_delay),
            queue: to_chrono(c.queue_delay),
            interactive_lifetime: to_chrono(c.interactive_lifetime),
            headless_lifetime: to_chrono(c.headless_lifetime),
            headless_run: to_chrono(c.headless_run_time),
            terminating: to_chrono(c.terminating_delay),
            interactive_gc: to_chrono(c.interactive_gc_delay),
            headless_gc: to_chrono(c.headless_gc_delay),
        }
    }
    fn gc(&self, kind: Kind) -> chrono::Duration {
        if kind.is_headless() {
            self.headless_gc
        } else {
            self.interactive_gc
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    by_seq: BTreeMap<u64, Session>,
    /// `id` or `id/appid` → seq.
    by_key: HashMap<String, u64>,
    by_user: HashMap<String, BTreeSet<u64>>,
    next_seq: u64,
}

impl Inner {
    fn insert(&mut self, mut s: Session) {
        let seq = self.next_seq;
        self.next_seq += 1;
        s.seq = seq;
        self.by_key.insert(key(&s.id, s.appid.as_deref()), seq);
        self.by_user.entry(s.user.clone()).or_default().insert(seq);
        self.by_seq.insert(seq, s);
    }

    fn remove(&mut self, seq: u64) {
        if let Some(mut s) = self.by_seq.remove(&seq) {
            s.kill();
            self.by_key.remove(&key(&s.id, s.appid.as_deref()));
            if let Some(set) = self.by_user.get_mut(&s.user) {
                set.remove(&seq);
                if set.is_empty() {
                    self.by_user.remove(&s.user);
                }
            }
        }
    }
}

fn key(id: &str, appid: Option<&str>) -> String {
    match appid {
        Some(a) => format!("{id}/{a}"),
        None => id.to_string(),
    }
}

/// Random id like uws `RandomStringGenerator`: a letter, then letters and digits.
pub fn random_id(len: usize) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let mut s = String::with_capacity(len);
    for i in 0..len {
        let set = if i == 0 { FIRST } else { REST };
        s.push(set[rng.random_range(0..set.len())] as char);
    }
    s
}

/// The session store shared by all handlers.
#[derive(Debug)]
pub struct Store {
    inner: RwLock<Inner>,
    /// Earliest sim time (ms) at which some session changes state; lets readers skip work.
    next_due_ms: AtomicI64,
    pub clock: Arc<Clock>,
    pub timings: Timings,
    pub run_headless: bool,
}

/// The outcome of `advance`, for the ticker.
pub struct Advance {
    pub next_due: Option<DateTime<Utc>>,
}

impl Store {
    pub fn new(clock: Arc<Clock>, cfg: &SimConfig) -> Self {
        Self {
            inner: RwLock::new(Inner::default()),
            next_due_ms: AtomicI64::new(i64::MAX),
            clock,
            timings: Timings::from_config(cfg),
            run_headless: cfg.run_headless,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    fn bump_due(&self, t: DateTime<Utc>) {
        self.next_due_ms
            .fetch_min(t.timestamp_millis(), Ordering::Relaxed);
    }

    /// Brings every session up to the current sim time.
    pub fn advance(self: &Arc<Self>) -> Advance {
        let now = self.clock.now();
        let due = self.next_due_ms.load(Ordering::Relaxed);
        if now.timestamp_millis() < due {
            return Advance {
                next_due: DateTime::from_timestamp_millis(due),
            };
        }
        let mut inner = self.write();
        let mut remove = Vec::new();
        let mut next: Option<DateTime<Utc>> = None;
        let seqs: Vec<u64> = inner.by_seq.keys().copied().collect();
        for seq in seqs {
            let Some(s) = inner.by_seq.get_mut(&seq) else {
                continue;
            };
            if self.step(s, now) {
                remove.push(seq);
                continue;
            }
            if let Some(d) = s.next_due(self.timings.gc(s.kind)) {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
        for seq in remove {
            inner.remove(seq);
        }
        self.next_due_ms.store(
            next.map_or(i64::MAX, |n| n.timestamp_millis()),
            Ordering::Relaxed,
        );
        Advance { next_due: next }
    }

    /// Applies due transitions to one session; returns true when it must be removed.
    fn step(self: &Arc<Self>, s: &mut Session, now: DateTime<Utc>) -> bool {
        loop {
            match s.status {
                Status::Pending => {
                    if now < s.ready_at || s.stall.is_some() {
                        return false;
                    }
                    s.status = Status::Running;
                    s.start = Some(s.ready_at);
                    if s.real {
                        s.process = Some(headless::spawn(self, s));
                    }
                }
                Status::Running => {
                    let Some(exp) = s.expiry() else {
                        return false;
                    };
                    let (end, to) = match s.run_end {
                        Some(r) if r < exp => (r, Status::Completed),
                        _ => (exp, Status::Failed),
                    };
                    if now < end {
                        return false;
                    }
                    s.status = to;
                    s.finished = Some(end);
                    s.kill();
                }
                Status::Terminating => {
                    return s.terminating_until.is_none_or(|u| now >= u);
                }
                Status::Completed | Status::Failed => {
                    let fin = s.finished.unwrap_or(now);
                    return now >= fin + self.timings.gc(s.kind);
                }
            }
        }
    }

    /// Called by a child-process watcher when the process exits.
    pub(crate) fn process_exited(&self, id: &str, seq_check: u64, code: Option<i32>) {
        let now = self.clock.now();
        let mut inner = self.write();
        let Some(seq) = inner.by_key.get(id).copied() else {
            return;
        };
        if seq != seq_check {
            return;
        }
        if let Some(s) = inner.by_seq.get_mut(&seq) {
            s.process = None;
            s.exit_code = code;
            if s.status == Status::Running {
                s.status = if code == Some(0) {
                    Status::Completed
                } else {
                    Status::Failed
                };
                s.finished = Some(now);
                self.bump_due(now + self.timings.gc(s.kind));
            }
        }
    }

    fn unique_id(inner: &Inner, len: usize, prefix: Option<&str>) -> String {
        loop {
            let id = random_id(len);
            if !inner
                .by_key
                .contains_key(&key(prefix.unwrap_or(&id), prefix.map(|_| id.as_str())))
            {
                return id;
            }
        }
    }

    fn build(
        &self,
        id: String,
        appid: Option<String>,
        n: NewSession,
        now: DateTime<Utc>,
    ) -> Session {
        let t = &self.timings;
        let ready_at = now + t.pending.max(t.queue);
        let deadline = if n.kind.is_headless() {
            t.headless_lifetime
        } else {
            t.interactive_lifetime
        };
        // A headless job with a command really runs when the sim was asked to.
        let real = self.run_headless && n.kind.is_headless() && n.cmd.is_some();
        let run_end = if n.kind.is_headless() && !real {
            Some(ready_at + t.headless_run)
        } else {
            None
        };
        Session {
            id,
            appid,
            user: n.user,
            kind: n.kind,
            image: n.image,
            name: n.name,
            res: n.res,
            cmd: n.cmd,
            args: n.args,
            env: n.env,
            created: now,
            pod_at: now + t.queue,
            ready_at,
            status: Status::Pending,
            start: None,
            deadline,
            finished: None,
            terminating_since: None,
            terminating_until: None,
            run_end,
            real,
            process: None,
            output: Arc::new(Mutex::new(String::new())),
            exit_code: None,
            stall: n.stall,
            usage: None,
            seq: 0,
        }
    }

    /// Creates a session (validation is done by the API layer); returns its id.
    pub fn create(self: &Arc<Self>, n: NewSession) -> String {
        let now = self.clock.now();
        let mut inner = self.write();
        let id = Self::unique_id(&inner, 8, None);
        let s = self.build(id.clone(), None, n, now);
        self.bump_due(s.ready_at);
        inner.insert(s);
        drop(inner);
        self.clock.changed.notify_waiters();
        id
    }

    /// Attaches a desktop app to a desktop session; `None` when there is no such live session.
    pub fn attach_app(self: &Arc<Self>, user: &str, id: &str, mut n: NewSession) -> Option<String> {
        self.advance();
        let now = self.clock.now();
        let mut inner = self.write();
        let seq = *inner.by_key.get(id)?;
        let parent = inner.by_seq.get(&seq)?;
        if parent.user != user || parent.kind != Kind::Desktop || !parent.status.is_active() {
            return None;
        }
        let appid = Self::unique_id(&inner, 3, Some(id));
        n.kind = Kind::DesktopApp;
        let s = self.build(id.to_string(), Some(appid.clone()), n, now);
        self.bump_due(s.ready_at);
        inner.insert(s);
        Some(appid)
    }

    /// Calls `f` on each of `user`'s sessions in creation order.
    pub fn for_user<R>(
        self: &Arc<Self>,
        user: &str,
        mut f: impl FnMut(&Session) -> Option<R>,
    ) -> Vec<R> {
        self.advance();
        let inner = self.read();
        let mut out = Vec::new();
        if let Some(seqs) = inner.by_user.get(user) {
            for seq in seqs {
                if let Some(s) = inner.by_seq.get(seq) {
                    if let Some(r) = f(s) {
                        out.push(r);
                    }
                }
            }
        }
        out
    }

    /// Calls `f` on every session of every user.
    pub fn for_all<R>(self: &Arc<Self>, mut f: impl FnMut(&Session) -> Option<R>) -> Vec<R> {
        self.advance();
        let inner = self.read();
        inner.by_seq.values().filter_map(&mut f).collect()
    }

    /// Reads one session (or app) by key.
    pub fn with<R>(
        self: &Arc<Self>,
        id: &str,
        appid: Option<&str>,
        f: impl FnOnce(&Session) -> R,
    ) -> Option<R> {
        self.advance();
        let inner = self.read();
        let seq = inner.by_key.get(&key(id, appid))?;
        inner.by_seq.get(seq).map(f)
    }

    /// Deletes the user's session (and its apps) — they go Terminating, then away.
    /// Returns how many jobs were affected; the API answers 200 regardless.
    pub fn delete(self: &Arc<Self>, user: &str, id: &str, appid: Option<&str>) -> usize {
        self.advance();
        let now = self.clock.now();
        let until = now + self.timings.terminating;
        let mut inner = self.write();
        let mut n = 0;
        for s in inner.by_seq.values_mut() {
            let hit = s.id == id
                && s.user == user
                && match appid {
                    Some(a) => s.appid.as_deref() == Some(a),
                    None => true,
                };
            if hit && s.status != Status::Terminating {
                s.kill();
                s.status = Status::Terminating;
                s.terminating_since = Some(now);
                s.terminating_until = Some(until);
                n += 1;
            }
        }
        drop(inner);
        if n > 0 {
            self.bump_due(until);
        }
        n
    }

    /// Renews the user's active jobs for the session, as `PostAction.renew`:
    /// when less than the configured expiry remains, the deadline becomes elapsed + expiry.
    /// Returns the number of active jobs found.
    pub fn renew(self: &Arc<Self>, user: &str, id: &str) -> usize {
        self.advance();
        let now = self.clock.now();
        let ext = self.timings.interactive_lifetime;
        let mut inner = self.write();
        let mut n = 0;
        for s in inner.by_seq.values_mut() {
            if s.id == id && s.user == user && s.status.is_active() {
                n += 1;
                let elapsed = s.start.map_or(chrono::Duration::zero(), |st| now - st);
                let remaining = s.deadline - elapsed;
                if remaining < ext {
                    s.deadline = elapsed + ext;
                }
            }
        }
        n
    }

    /// Holds a Pending session for `stall`'s reason, or (`None`) lets it go on. Returns false
    /// when there is no such session, or it is no longer Pending.
    pub fn stall(self: &Arc<Self>, id: &str, stall: Option<Stall>) -> bool {
        self.advance();
        let now = self.clock.now();
        let mut inner = self.write();
        let Some(seq) = inner.by_key.get(id).copied() else {
            return false;
        };
        let Some(s) = inner.by_seq.get_mut(&seq) else {
            return false;
        };
        if s.status != Status::Pending {
            return false;
        }
        s.stall = stall;
        // Held or released, the pod exists from now at the latest (its events show).
        s.pod_at = s.pod_at.min(now);
        if stall.is_none() {
            // Released: it runs after the usual delay.
            s.ready_at = s.ready_at.max(now + self.timings.pending);
            let due = s.ready_at;
            drop(inner);
            self.bump_due(due);
        }
        self.clock.changed.notify_waiters();
        true
    }

    /// Sets what a session's pod metrics report (cores, decimal GB); false when there is no
    /// such session.
    pub fn set_usage(&self, id: &str, cores: f64, ram_gb: f64) -> bool {
        let mut inner = self.write();
        let Some(seq) = inner.by_key.get(id).copied() else {
            return false;
        };
        let Some(s) = inner.by_seq.get_mut(&seq) else {
            return false;
        };
        s.usage = Some((cores, ram_gb));
        true
    }

    /// Counts the user's sessions that hold the interactive quota.
    pub fn active_interactive(self: &Arc<Self>, user: &str) -> u32 {
        self.for_user(user, |s| {
            (!s.is_app() && !s.kind.is_headless() && s.status.is_active()).then_some(())
        })
        .len() as u32
    }

    /// Total number of jobs held (for admin/diagnostics).
    pub fn len(&self) -> usize {
        self.read().by_seq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops every child process (shutdown).
    pub fn kill_all(&self) {
        let mut inner = self.write();
        for s in inner.by_seq.values_mut() {
            s.kill();
        }
    }

    /// Seeds `n` headless jobs in mixed states, as a busy platform would hold after a
    /// large replica launch. `owner: None` spreads them over synthetic users.
    pub fn seed(self: &Arc<Self>, n: usize, owner: Option<&str>) {
        let now = self.clock.now();
        let mut inner = self.write();
        let mut rng = rand::rng();
        for i in 0..n {
            let user = match owner {
                Some(o) => o.to_string(),
                None => format!("seed-user-{:02}", i % 50),
            };
            let ns = NewSession {
                user,
                kind: Kind::Headless,
                image: "images.canfar.net/skaha/astroml:latest".to_string(),
                name: format!("replica-{}", i + 1),
                res: Resources {
                    cores: Some(1 + (i % 4) as u32),
                    ram_gb: Some(4),
                    gpus: 0,
                },
                cmd: Some("python".to_string()),
                args: vec!["process.py".to_string(), format!("--chunk={}", i + 1)],
                env: vec![
                    ("REPLICA_ID".to_string(), (i + 1).to_string()),
                    ("REPLICA_COUNT".to_string(), n.to_string()),
                ],
                stall: None,
            };
            let age = chrono::Duration::seconds(rng.random_range(60..3000));
            let id = Self::unique_id(&inner, 8, None);
            let mut s = self.build(id, None, ns, now - age);
            s.real = false;
            s.ready_at = s.created + self.timings.pending;
            s.pod_at = s.created;
            match i % 10 {
                // Finished recently, not yet garbage-collected.
                1 | 4 => {
                    s.run_end = Some(now - chrono::Duration::seconds(rng.random_range(1..50)));
                    if s.run_end <= Some(s.ready_at) {
                        s.run_end = Some(s.ready_at + chrono::Duration::seconds(1));
                    }
                }
                // Still queued.
                2 => {
                    s.ready_at = now + chrono::Duration::hours(rng.random_range(1..12));
                    s.run_end = Some(s.ready_at + chrono::Duration::hours(2));
                }
                _ => {
                    s.run_end = Some(now + chrono::Duration::hours(rng.random_range(1..48)));
                }
            }
            if s.ready_at <= now {
                s.status = Status::Running;
                s.start = Some(s.ready_at);
                if let Some(end) = s.run_end.filter(|e| *e <= now) {
                    s.status = Status::Completed;
                    s.finished = Some(end);
                }
            }
            if let Some(d) = s.next_due(self.timings.gc(s.kind)) {
                self.next_due_ms
                    .fetch_min(d.timestamp_millis(), Ordering::Relaxed);
            }
            inner.insert(s);
        }
    }
}

/// Uid used for `runAsUID`/`runAsGID`: configured users get stable small numbers.
pub fn uid_for(users: &[String], user: &str) -> u32 {
    if let Some(i) = users.iter().position(|u| u == user) {
        return 20_001 + i as u32;
    }
    // FNV-1a: stable across runs for token/JWT users.
    let mut h: u32 = 0x811c_9dc5;
    for b in user.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    30_000 + h % 10_000
}
