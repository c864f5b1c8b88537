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

/// Expiry notices, from least to most urgent. A certificate gets one: the early warning
/// while there is time to act, or — when that never came (Skyport was not running, or the
/// certificate lives too short for it) — the notice that it expired. After the early
/// warning, expiry shows in the tray's state, not in another popup.
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
    /// The warning lead left (the setting; earlier versions warned at fixed times, read
    /// as this).
    #[serde(alias = "three_days", alias = "one_day", alias = "one_hour")]
    Early,
    /// Expired.
    Expired,
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
    /// The most urgent threshold reached for it.
    pub notified: Option<Threshold>,
}

/// When the early warning is due for a certificate with this validity (`None`: no early
/// warning wanted). A lead longer than half the certificate's life is cut to half of it,
/// so that a short certificate is not warned about the moment it is obtained, and a long
/// lead still warns before expiry.
pub fn early_warning_at(
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    lead: Option<Duration>,
) -> Option<DateTime<Utc>> {
    let lead = lead.filter(|l| *l > Duration::zero())?;
    let half = (not_after - not_before) / 2;
    Some(not_after - lead.min(half))
}

/// The most urgent threshold crossed at `now` for a certificate with this validity.
pub fn crossed_threshold(
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    now: DateTime<Utc>,
    lead: Option<Duration>,
) -> Option<Threshold> {
    if now >= not_after {
        return Some(Threshold::Expired);
    }
    early_warning_at(not_before, not_after, lead)
        .filter(|at| now >= *at)
        .map(|_| Threshold::Early)
}

/// Returns the notice to give now, if any, and the state to store.
///
/// One notice per certificate: the early warning when it is crossed, or the expiry when
/// nothing was said before it (after a sleep past both, the expiry alone). A new
/// certificate (different `not_after`) starts afresh.
pub fn next_threshold_crossed(
    previous: ThresholdState,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    now: DateTime<Utc>,
    lead: Option<Duration>,
) -> (Option<Threshold>, ThresholdState) {
    let mut state = if previous.not_after == Some(not_after) {
        previous
    } else {
        ThresholdState {
            not_after: Some(not_after),
            notified: None,
        }
    };
    match crossed_threshold(not_before, not_after, now, lead) {
        Some(t) if state.notified.is_none_or(|n| t > n) => {
            let said_before = state.notified.is_some();
            state.notified = Some(t);
            ((!said_before).then_some(t), state)
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

    const LEAD: Option<Duration> = Some(Duration::hours(12));

    /// Every notice given over a certificate's life, checked every 10 minutes.
    fn notices(
        nb: DateTime<Utc>,
        na: DateTime<Utc>,
        lead: Option<Duration>,
    ) -> Vec<(Threshold, DateTime<Utc>)> {
        let mut state = ThresholdState::default();
        let mut fired = Vec::new();
        let mut now = nb;
        while now < na + Duration::hours(5) {
            let (t, s) = next_threshold_crossed(state, nb, na, now, lead);
            state = s;
            if let Some(t) = t {
                fired.push((t, now));
            }
            now += Duration::minutes(10);
        }
        fired
    }

    #[test]
    fn one_early_warning_and_then_no_popup_at_expiry() {
        let nb = t0();
        let na = nb + Duration::days(10);
        assert_eq!(
            notices(nb, na, LEAD),
            vec![(Threshold::Early, na - Duration::hours(12))]
        );
        // The setting says when.
        let three_days = Some(Duration::days(3));
        assert_eq!(
            notices(nb, na, three_days),
            vec![(Threshold::Early, na - Duration::days(3))]
        );
        // No early warning wanted: the expiry is the one notice.
        assert_eq!(notices(nb, na, None), vec![(Threshold::Expired, na)]);
    }

    #[test]
    fn sleep_past_both_says_expired_once_and_new_cert_resets() {
        let nb = t0();
        let na = nb + Duration::days(10);
        let (t, s) = next_threshold_crossed(
            ThresholdState::default(),
            nb,
            na,
            na - Duration::minutes(30),
            LEAD,
        );
        assert_eq!(t, Some(Threshold::Early));
        // Never repeats, and never goes back.
        let (t, s) = next_threshold_crossed(s, nb, na, na - Duration::minutes(20), LEAD);
        assert_eq!(t, None);
        let (t, s2) = next_threshold_crossed(s, nb, na, na - Duration::days(2), LEAD);
        assert_eq!(t, None);
        assert_eq!(s2, s);
        // Expired after the warning: the tray says so, no second popup; the state moves on.
        let (t, s) = next_threshold_crossed(s, nb, na, na + Duration::minutes(1), LEAD);
        assert_eq!(t, None);
        assert_eq!(s.notified, Some(Threshold::Expired));
        // Asleep through the warning: woken after expiry, the expiry is said, once.
        let (t, e) = next_threshold_crossed(
            ThresholdState::default(),
            nb,
            na,
            na + Duration::hours(3),
            LEAD,
        );
        assert_eq!(t, Some(Threshold::Expired));
        assert_eq!(
            next_threshold_crossed(e, nb, na, na + Duration::hours(4), LEAD).0,
            None
        );
        // The state round-trips through JSON (persisted across restarts); older files,
        // which noted fixed thresholds, read as the early warning.
        let json = serde_json::to_string(&s).unwrap();
        let back: ThresholdState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        for old in ["three_days", "one_day", "one_hour"] {
            let v: ThresholdState =
                serde_json::from_str(&format!(r#"{{"not_after":null,"notified":"{old}"}}"#))
                    .unwrap();
            assert_eq!(v.notified, Some(Threshold::Early));
        }
        // A renewed certificate starts afresh.
        let na2 = na + Duration::days(10);
        let (t, s3) = next_threshold_crossed(s, nb + Duration::days(9), na2, na, LEAD);
        assert_eq!(t, None);
        assert_eq!(s3.not_after, Some(na2));
        assert_eq!(s3.notified, None);
    }

    #[test]
    fn a_lead_longer_than_half_the_life_is_cut_to_half() {
        let nb = t0();
        let na = nb + Duration::days(1);
        assert_eq!(crossed_threshold(nb, na, nb, LEAD), None);
        let early = crossed_threshold(nb, na, na - Duration::hours(12), LEAD);
        assert_eq!(early, Some(Threshold::Early));
        let na = nb + Duration::hours(20);
        assert_eq!(
            early_warning_at(nb, na, LEAD),
            Some(na - Duration::hours(10))
        );
        // A week's lead on a ten-day certificate: warned at half its life, not only at expiry.
        let na = nb + Duration::days(10);
        let week = Some(Duration::days(7));
        assert_eq!(early_warning_at(nb, na, week), Some(nb + Duration::days(5)));
        assert_eq!(
            crossed_threshold(nb, na, na, LEAD),
            Some(Threshold::Expired)
        );
        assert_eq!(early_warning_at(nb, na, Some(Duration::zero())), None);
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
