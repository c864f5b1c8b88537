//! Renewal schedule and expiry policy: pure functions on an injected clock.
//!
//! Nothing here reads the system clock: every function takes `now`, and randomness
//! comes from a [`JitterSource`], so tests are exact.
//!
//! The renewal default follows `step ca renew --daemon`: renew once 2/3 of the lifetime
//! has passed, minus a jitter of up to 1/20 of the lifetime so that many clients do not
//! renew at the same instant; retry after failures with a backoff starting at 1 minute.

use chrono::{DateTime, Duration, Utc};

use super::error::{CertError, CertErrorKind};

/// When to renew a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RenewPolicy {
    /// When 2/3 of the lifetime has passed, minus up to lifetime/20 of jitter.
    TwoThirds,
    /// `n` days before expiry, minus up to (n days)/20 of jitter. When `n` days is
    /// not shorter than the certificate's lifetime this falls back to
    /// [`RenewPolicy::TwoThirds`]: renewing "immediately" would otherwise loop, since
    /// every new certificate would again be due at once.
    DaysBefore(u32),
}

/// A source of jitter: fractions in `[0, 1)`.
pub trait JitterSource {
    /// A number in `[0, 1)`. Values outside are clamped.
    fn fraction(&mut self) -> f64;
}

/// No jitter (always 0).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoJitter;

impl JitterSource for NoJitter {
    fn fraction(&mut self) -> f64 {
        0.0
    }
}

/// Uniform random jitter.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomJitter;

impl JitterSource for RandomJitter {
    fn fraction(&mut self) -> f64 {
        fastrand::f64()
    }
}

impl<F: FnMut() -> f64> JitterSource for F {
    fn fraction(&mut self) -> f64 {
        self()
    }
}

fn jitter_of(span: Duration, jitter: &mut dyn JitterSource) -> Duration {
    let f = jitter.fraction();
    let f = if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let ms = span.num_milliseconds().max(0) as f64 * f;
    // `f < 1` keeps the jitter strictly below `span` (up to rounding): clamp anyway.
    let ms = (ms as i64).min((span.num_milliseconds() - 1).max(0));
    Duration::milliseconds(ms)
}

/// When to renew a certificate valid from `not_before` to `not_after`.
///
/// The result may be in the past (renew now) but never before `not_before`. A
/// certificate with no lifetime (`not_after <= not_before`) is due at `not_before`.
pub fn renew_at(
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    policy: RenewPolicy,
    jitter: &mut dyn JitterSource,
) -> DateTime<Utc> {
    let lifetime = not_after - not_before;
    if lifetime <= Duration::zero() {
        return not_before;
    }
    let two_thirds = |jitter: &mut dyn JitterSource| {
        let margin = lifetime / 3;
        not_after - margin - jitter_of(lifetime / 20, jitter)
    };
    let at = match policy {
        RenewPolicy::TwoThirds => two_thirds(jitter),
        RenewPolicy::DaysBefore(days) => {
            let margin = Duration::days(i64::from(days));
            if margin >= lifetime {
                two_thirds(jitter)
            } else {
                not_after - margin - jitter_of(margin / 20, jitter)
            }
        }
    };
    at.max(not_before)
}

/// Expiry warnings, from least to most urgent. Each is notified at most once per
/// certificate.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// 3 days or less left.
    ThreeDays,
    /// 1 day or less left.
    OneDay,
    /// 1 hour or less left.
    OneHour,
    /// Expired.
    Expired,
}

impl Threshold {
    /// All thresholds, least urgent first.
    pub const ALL: [Threshold; 4] = [
        Threshold::ThreeDays,
        Threshold::OneDay,
        Threshold::OneHour,
        Threshold::Expired,
    ];

    /// Time left at which the threshold is crossed.
    pub fn remaining(self) -> Duration {
        match self {
            Threshold::ThreeDays => Duration::days(3),
            Threshold::OneDay => Duration::days(1),
            Threshold::OneHour => Duration::hours(1),
            Threshold::Expired => Duration::zero(),
        }
    }
}

/// What has been notified so far. Persist it (it is serde) so a restart does not
/// notify again.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type,
)]
pub struct ThresholdState {
    /// The certificate the state belongs to (its expiry); a different value means a new
    /// certificate, and notification starts afresh.
    pub not_after: Option<DateTime<Utc>>,
    /// The most urgent threshold notified for it.
    pub notified: Option<Threshold>,
}

/// The most urgent threshold crossed at `now` for a certificate with this validity.
///
/// A warning threshold applies only when the certificate lives at least twice as long
/// as it (a 1-day certificate never gets the 3-day or 1-day warning, which would fire
/// the moment it is obtained). `Expired` always applies.
pub fn crossed_threshold(
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Threshold> {
    let left = not_after - now;
    let lifetime = not_after - not_before;
    Threshold::ALL.into_iter().rev().find(|t| {
        let applies = *t == Threshold::Expired || t.remaining() * 2 <= lifetime;
        applies
            && if *t == Threshold::Expired {
                left <= Duration::zero()
            } else {
                left <= t.remaining()
            }
    })
}

/// Returns the threshold to notify now, if any, and the state to store.
///
/// A threshold is returned only when it is more urgent than anything notified for the
/// same certificate, so each is notified at most once and a notification is never
/// repeated; after a sleep that skipped several thresholds only the most urgent one is
/// returned. A new certificate (different `not_after`) starts afresh.
pub fn next_threshold_crossed(
    previous: ThresholdState,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (Option<Threshold>, ThresholdState) {
    let mut state = if previous.not_after == Some(not_after) {
        previous
    } else {
        ThresholdState {
            not_after: Some(not_after),
            notified: None,
        }
    };
    let crossed = crossed_threshold(not_before, not_after, now);
    match crossed {
        Some(t) if state.notified.is_none_or(|n| t > n) => {
            state.notified = Some(t);
            (Some(t), state)
        }
        _ => (None, state),
    }
}

/// A summary of the certificate for the status bar.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum CertState {
    /// Valid and not close to expiry.
    Fine,
    /// Valid, but within min(3 days, lifetime/3) of expiry.
    Expiring,
    /// Past its `not_after`.
    Expired,
    /// No certificate file.
    Missing,
    /// The file is unusable (damaged, no key, key mismatch, not yet valid, ...).
    Invalid,
}

/// Classifies a certificate at `now`. Pass the result of [`super::CertBundle::load`]
/// mapped to its info: `Ok(bundle.info())` or `Err(&error)`.
pub fn cert_state(loaded: Result<&super::CertInfo, &CertError>, now: DateTime<Utc>) -> CertState {
    match loaded {
        Err(e) => match e.kind() {
            CertErrorKind::Missing => CertState::Missing,
            _ => CertState::Invalid,
        },
        Ok(info) => {
            if info.not_after <= now {
                CertState::Expired
            } else if info.not_before > now || !info.key_matches {
                CertState::Invalid
            } else {
                let lifetime = info.not_after - info.not_before;
                let window = (lifetime / 3).min(Duration::days(3));
                if info.not_after - now <= window {
                    CertState::Expiring
                } else {
                    CertState::Fine
                }
            }
        }
    }
}

/// First retry delay after a failed renewal.
pub const RETRY_BASE: std::time::Duration = std::time::Duration::from_secs(60);
/// Longest retry delay.
pub const RETRY_CAP: std::time::Duration = std::time::Duration::from_secs(3600);

/// Delay before retry number `attempt` (0 for the first retry): 1 min, 2 min, 4 min,
/// ... capped at 1 h, minus a jitter of up to 10 % so that clients spread out. Never
/// more than [`RETRY_CAP`], never less than 90 % of the un-jittered delay.
pub fn retry_delay(attempt: u32, jitter: &mut dyn JitterSource) -> std::time::Duration {
    let factor = 1u64.checked_shl(attempt.min(32)).unwrap_or(u64::MAX);
    let base = RETRY_BASE
        .as_millis()
        .saturating_mul(u128::from(factor))
        .min(RETRY_CAP.as_millis());
    let base = u64::try_from(base).unwrap_or(u64::MAX);
    let span = Duration::milliseconds(i64::try_from(base / 10).unwrap_or(i64::MAX));
    let minus = u64::try_from(jitter_of(span, jitter).num_milliseconds()).unwrap_or(0);
    std::time::Duration::from_millis(base.saturating_sub(minus))
}

fn split(d: Duration) -> (i64, i64, i64) {
    let mins = d.num_minutes();
    (mins / (24 * 60), (mins / 60) % 24, mins % 60)
}

fn span_text(d: Duration) -> String {
    let (days, hours, mins) = split(d);
    if days > 0 {
        if hours > 0 {
            format!("{days} d {hours} h")
        } else {
            format!("{days} d")
        }
    } else if hours > 0 {
        if mins > 0 {
            format!("{hours} h {mins} min")
        } else {
            format!("{hours} h")
        }
    } else {
        format!("{mins} min")
    }
}

/// Human countdown: "6 d 4 h left", "3 h 12 min left", "5 min left", "less than a
/// minute left", "expired 2 h ago", "expired just now". Rounds down.
pub fn format_countdown(not_after: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = not_after - now;
    if left > Duration::zero() {
        if left < Duration::minutes(1) {
            "less than a minute left".into()
        } else {
            format!("{} left", span_text(left))
        }
    } else {
        let ago = -left;
        if ago < Duration::minutes(1) {
            "expired just now".into()
        } else {
            format!("expired {} ago", span_text(ago))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn two_thirds_without_and_with_jitter() {
        let nb = t0();
        let na = nb + Duration::days(30);
        assert_eq!(
            renew_at(nb, na, RenewPolicy::TwoThirds, &mut NoJitter),
            nb + Duration::days(20)
        );
        // Maximal jitter: just under lifetime/20 = 1.5 days earlier.
        let at = renew_at(nb, na, RenewPolicy::TwoThirds, &mut || 0.999_999_999);
        assert!(at > nb + Duration::days(20) - Duration::hours(36));
        assert!(at <= nb + Duration::days(20) - Duration::hours(35));
        // Random jitter stays in range.
        for _ in 0..200 {
            let at = renew_at(nb, na, RenewPolicy::TwoThirds, &mut RandomJitter);
            assert!(at <= nb + Duration::days(20));
            assert!(at > nb + Duration::days(20) - Duration::hours(36));
        }
        // Out-of-range jitter is clamped, NaN ignored.
        assert!(renew_at(nb, na, RenewPolicy::TwoThirds, &mut || 7.0) > nb + Duration::days(18));
        assert_eq!(
            renew_at(nb, na, RenewPolicy::TwoThirds, &mut || f64::NAN),
            nb + Duration::days(20)
        );
        assert_eq!(
            renew_at(nb, na, RenewPolicy::TwoThirds, &mut || -1.0),
            nb + Duration::days(20)
        );
    }

    #[test]
    fn days_before_and_fallback() {
        let nb = t0();
        let na = nb + Duration::days(10);
        assert_eq!(
            renew_at(nb, na, RenewPolicy::DaysBefore(2), &mut NoJitter),
            na - Duration::days(2)
        );
        // 10 days before a 10-day certificate: fall back to 2/3.
        let two_thirds = renew_at(nb, na, RenewPolicy::TwoThirds, &mut NoJitter);
        assert_eq!(
            renew_at(nb, na, RenewPolicy::DaysBefore(10), &mut NoJitter),
            two_thirds
        );
        assert_eq!(
            renew_at(nb, na, RenewPolicy::DaysBefore(u32::MAX), &mut NoJitter),
            two_thirds
        );
        // Degenerate validity.
        assert_eq!(renew_at(na, nb, RenewPolicy::TwoThirds, &mut NoJitter), na);
        assert_eq!(
            renew_at(nb, nb, RenewPolicy::DaysBefore(1), &mut NoJitter),
            nb
        );
    }

    #[test]
    fn thresholds_fire_once_each() {
        let nb = t0();
        let na = nb + Duration::days(10);
        let mut state = ThresholdState::default();
        let mut fired = Vec::new();
        let mut now = nb;
        while now < na + Duration::hours(5) {
            let (t, s) = next_threshold_crossed(state, nb, na, now);
            state = s;
            if let Some(t) = t {
                fired.push((t, now));
            }
            now += Duration::minutes(10);
        }
        let kinds: Vec<_> = fired.iter().map(|f| f.0).collect();
        assert_eq!(kinds, Threshold::ALL.to_vec());
        assert_eq!(fired[0].1, na - Duration::days(3));
        assert_eq!(fired[2].1, na - Duration::hours(1));
        assert_eq!(fired[3].1, na);
    }

    #[test]
    fn sleep_skips_to_most_urgent_and_new_cert_resets() {
        let nb = t0();
        let na = nb + Duration::days(10);
        let (t, s) = next_threshold_crossed(
            ThresholdState::default(),
            nb,
            na,
            na - Duration::minutes(30),
        );
        assert_eq!(t, Some(Threshold::OneHour));
        // Never repeats, and never goes back to a less urgent one.
        let (t, s) = next_threshold_crossed(s, nb, na, na - Duration::minutes(20));
        assert_eq!(t, None);
        let (t, s2) = next_threshold_crossed(s, nb, na, na - Duration::days(2));
        assert_eq!(t, None);
        assert_eq!(s2, s);
        // The state round-trips through JSON (persisted across restarts).
        let json = serde_json::to_string(&s).unwrap();
        let back: ThresholdState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        // A renewed certificate starts afresh.
        let na2 = na + Duration::days(10);
        let (t, s3) = next_threshold_crossed(s, nb + Duration::days(9), na2, na);
        assert_eq!(t, None);
        assert_eq!(s3.not_after, Some(na2));
        assert_eq!(s3.notified, None);
    }

    #[test]
    fn short_lived_certificates_skip_long_thresholds() {
        let nb = t0();
        let na = nb + Duration::days(1);
        assert_eq!(crossed_threshold(nb, na, nb), None);
        assert_eq!(
            crossed_threshold(nb, na, na - Duration::minutes(59)),
            Some(Threshold::OneHour)
        );
        let na = nb + Duration::minutes(90);
        assert_eq!(crossed_threshold(nb, na, na - Duration::minutes(1)), None);
        assert_eq!(crossed_threshold(nb, na, na), Some(Threshold::Expired));
    }

    #[test]
    fn states() {
        let nb = t0();
        let info = |na: DateTime<Utc>| super::super::CertInfo {
            subject: "CN=a".into(),
            issuer: "CN=b".into(),
            not_before: nb,
            not_after: na,
            serial: "01".into(),
            path: None,
            chain_len: 0,
            key_matches: true,
            key_type: "RSA 2048".into(),
        };
        let i = info(nb + Duration::days(10));
        assert_eq!(cert_state(Ok(&i), nb + Duration::days(1)), CertState::Fine);
        assert_eq!(
            cert_state(Ok(&i), nb + Duration::days(7)),
            CertState::Expiring
        );
        assert_eq!(
            cert_state(Ok(&i), nb + Duration::days(10)),
            CertState::Expired
        );
        assert_eq!(
            cert_state(Ok(&i), nb - Duration::hours(1)),
            CertState::Invalid
        );
        let short = info(nb + Duration::hours(3));
        assert_eq!(
            cert_state(Ok(&short), nb + Duration::hours(1)),
            CertState::Fine
        );
        assert_eq!(
            cert_state(Ok(&short), nb + Duration::hours(2) + Duration::minutes(1)),
            CertState::Expiring
        );
        let missing = CertError::NotFound { origin: "x".into() };
        assert_eq!(cert_state(Err(&missing), nb), CertState::Missing);
        let bad = CertError::NoPrivateKey { origin: "x".into() };
        assert_eq!(cert_state(Err(&bad), nb), CertState::Invalid);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let secs: Vec<u64> = (0..9)
            .map(|a| retry_delay(a, &mut NoJitter).as_secs())
            .collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(retry_delay(u32::MAX, &mut NoJitter), RETRY_CAP);
        let j = retry_delay(0, &mut || 0.999_999);
        assert!(j >= std::time::Duration::from_secs(54) && j < std::time::Duration::from_secs(60));
        for a in 0..40 {
            let d = retry_delay(a, &mut RandomJitter);
            assert!(d <= RETRY_CAP && d >= std::time::Duration::from_secs(54));
        }
    }

    #[test]
    fn countdown_text() {
        let na = t0();
        let f = |d: Duration| format_countdown(na, na - d);
        assert_eq!(
            f(Duration::days(6) + Duration::hours(4) + Duration::minutes(59)),
            "6 d 4 h left"
        );
        assert_eq!(f(Duration::days(2)), "2 d left");
        assert_eq!(
            f(Duration::hours(3) + Duration::minutes(12) + Duration::seconds(30)),
            "3 h 12 min left"
        );
        assert_eq!(f(Duration::hours(5)), "5 h left");
        assert_eq!(f(Duration::minutes(5)), "5 min left");
        assert_eq!(f(Duration::seconds(30)), "less than a minute left");
        assert_eq!(f(Duration::zero()), "expired just now");
        assert_eq!(f(-Duration::seconds(59)), "expired just now");
        assert_eq!(f(-Duration::hours(2)), "expired 2 h ago");
        assert_eq!(
            f(-(Duration::days(3) + Duration::hours(1))),
            "expired 3 d 1 h ago"
        );
        assert_eq!(f(-Duration::minutes(7)), "expired 7 min ago");
    }
}
