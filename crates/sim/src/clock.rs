//! The sim clock: real time scaled by `time_scale`, plus manual advances, so expiry and
//! renew tests take seconds instead of days.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::Notify;

#[derive(Debug)]
pub struct Clock {
    origin_real: Instant,
    origin_sim: DateTime<Utc>,
    scale: f64,
    advanced_ms: AtomicI64,
    /// Woken on `advance` so the lifecycle ticker reacts at once.
    pub(crate) changed: Notify,
}

impl Clock {
    pub fn new(scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        // Whole seconds, as Kubernetes timestamps are.
        let now = Utc::now();
        let origin_sim = Utc
            .timestamp_opt(now.timestamp(), 0)
            .single()
            .unwrap_or(now);
        Self {
            origin_real: Instant::now(),
            origin_sim,
            scale,
            advanced_ms: AtomicI64::new(0),
            changed: Notify::new(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let real = self.origin_real.elapsed().as_secs_f64() * self.scale;
        let ms = (real * 1000.0) as i64 + self.advanced_ms.load(Ordering::Relaxed);
        self.origin_sim + chrono::Duration::milliseconds(ms)
    }

    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.advanced_ms.fetch_add(ms, Ordering::Relaxed);
        self.changed.notify_waiters();
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Real time corresponding to a span of sim time (for the ticker's sleep).
    pub fn real_for(&self, sim: chrono::Duration) -> Duration {
        let secs = sim.num_milliseconds().max(0) as f64 / 1000.0 / self.scale;
        Duration::from_secs_f64(secs.min(3600.0))
    }
}

/// Converts a configured span, clamped to a century so date arithmetic never overflows.
pub(crate) fn to_chrono(d: Duration) -> chrono::Duration {
    let d = d.min(Duration::from_secs(100 * 365 * 86_400));
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero())
}

/// ISO-8601 UTC with whole seconds, as Kubernetes prints it.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
