//! Webhook delivery rules: the retry schedule, and what follows an attempt.
//!
//! A message is retried with exponential backoff: the n-th failed attempt waits
//! `base × 2^(n−1)`, capped at one hour, then spread by ±20 % of jitter (so the longest wait is
//! 72 minutes) — several messages that failed together do not retry together. Retries stop at
//! the message's `give_up_at` (3 days after it was queued or manually redelivered): the last
//! retry is moved back to that instant if needed, and a failure at or after it gives up.
//! Randomness comes from the caller, so every rule here is a pure function.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest nominal wait between two attempts (before jitter).
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// How far the jitter moves a delay, as a fraction of it: ±20 %.
pub const JITTER_FRACTION: f64 = 0.2;

/// How long a message is retried after it is queued (or redelivered by hand), in days.
pub const DELIVERY_WINDOW_DAYS: i64 = 3;

crate::coded_enum! {
    /// Where a webhook message stands.
    pub enum DeliveryStatus in "webhook_delivery_status" {
        /// Waiting for its first attempt or a retry.
        Pending => "pending" {
            fr: "En attente d'envoi",
            en: "Pending"
        },
        /// The partner answered 2xx.
        Delivered => "delivered" {
            fr: "Remis",
            en: "Delivered"
        },
        /// Every attempt failed until `give_up_at`; a manual redelivery starts again.
        Failed => "failed" {
            fr: "Échec définitif",
            en: "Failed"
        },
    }
}

/// The wait before the next attempt after `failed_attempts` failures (1 for the first retry),
/// with `jitter` in `0..=1` drawn by the caller (0.5 is the nominal delay; values outside the
/// range are clamped, a NaN counts as 0.5).
pub fn retry_delay(base: Duration, failed_attempts: u32, jitter: f64) -> Duration {
    let exponent = failed_attempts.max(1) - 1;
    // 2^31 already exceeds any cap: clamp the exponent so the power stays finite.
    let growth = 2f64.powi(i32::try_from(exponent.min(31)).unwrap_or(31));
    let nominal = (base.as_secs_f64() * growth).min(MAX_RETRY_DELAY.as_secs_f64());
    let jitter = if jitter.is_nan() {
        0.5
    } else {
        jitter.clamp(0.0, 1.0)
    };
    let factor = 1.0 - JITTER_FRACTION + 2.0 * JITTER_FRACTION * jitter;
    let seconds = nominal * factor;
    if seconds.is_finite() && seconds > 0.0 {
        Duration::from_secs_f64(seconds)
    } else {
        Duration::ZERO
    }
}

/// Whether an HTTP status means the partner took the message: any 2xx. A redirect is a
/// failure (redirects are never followed).
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// What becomes of a message after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The partner answered 2xx: done.
    Delivered,
    /// Try again at this instant.
    RetryAt(DateTime<Utc>),
    /// The delivery window is over: the message is failed.
    GiveUp,
}

impl AttemptOutcome {
    /// The message status this outcome leads to.
    pub fn status(self) -> DeliveryStatus {
        match self {
            AttemptOutcome::Delivered => DeliveryStatus::Delivered,
            AttemptOutcome::RetryAt(_) => DeliveryStatus::Pending,
            AttemptOutcome::GiveUp => DeliveryStatus::Failed,
        }
    }
}

/// The decision after an attempt that ended at `finished_at`: delivered on success; otherwise a
/// retry after [`retry_delay`] (`failed_attempts` counts this failure), never later than
/// `give_up_at`; given up once `give_up_at` has come.
pub fn after_attempt(
    succeeded: bool,
    finished_at: DateTime<Utc>,
    failed_attempts: u32,
    give_up_at: DateTime<Utc>,
    base: Duration,
    jitter: f64,
) -> AttemptOutcome {
    if succeeded {
        return AttemptOutcome::Delivered;
    }
    if finished_at >= give_up_at {
        return AttemptOutcome::GiveUp;
    }
    let delay = retry_delay(base, failed_attempts, jitter);
    let next = chrono::Duration::from_std(delay)
        .ok()
        .and_then(|d| finished_at.checked_add_signed(d))
        .unwrap_or(give_up_at);
    AttemptOutcome::RetryAt(next.min(give_up_at))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const BASE: Duration = Duration::from_secs(5);

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn the_first_retry_waits_the_base_delay_at_nominal_jitter() {
        assert_eq!(retry_delay(BASE, 1, 0.5), BASE);
    }

    #[test]
    fn each_failure_doubles_the_delay() {
        let delays: Vec<u64> = (1..=5)
            .map(|n| retry_delay(BASE, n, 0.5).as_secs())
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80]);
    }

    #[test]
    fn zero_failures_is_treated_as_the_first() {
        assert_eq!(retry_delay(BASE, 0, 0.5), BASE);
    }

    #[test]
    fn the_nominal_delay_is_capped_at_one_hour() {
        assert_eq!(retry_delay(BASE, 20, 0.5), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(BASE, u32::MAX, 0.5), MAX_RETRY_DELAY);
        assert_eq!(
            retry_delay(Duration::from_secs(86_400), 1, 0.5),
            MAX_RETRY_DELAY
        );
    }

    #[test]
    fn jitter_spreads_a_delay_over_plus_or_minus_twenty_percent() {
        assert_eq!(retry_delay(BASE, 1, 0.0), Duration::from_secs(4));
        assert_eq!(retry_delay(BASE, 1, 1.0), Duration::from_secs(6));
        let longest = retry_delay(BASE, 30, 1.0);
        assert_eq!(longest, Duration::from_secs(72 * 60));
        for j in [0.0, 0.1, 0.33, 0.5, 0.9, 1.0] {
            let d = retry_delay(BASE, 3, j).as_secs_f64();
            assert!((16.0..=24.0).contains(&d), "{j}: {d}");
        }
    }

    #[test]
    fn out_of_range_jitter_is_clamped_and_nan_is_nominal() {
        assert_eq!(retry_delay(BASE, 1, -3.0), Duration::from_secs(4));
        assert_eq!(retry_delay(BASE, 1, 7.0), Duration::from_secs(6));
        assert_eq!(retry_delay(BASE, 1, f64::NAN), BASE);
    }

    #[test]
    fn a_zero_base_retries_at_once() {
        assert_eq!(retry_delay(Duration::ZERO, 4, 0.7), Duration::ZERO);
    }

    #[test]
    fn a_success_is_delivered_even_after_the_window() {
        assert_eq!(
            after_attempt(true, at(100), 9, at(50), BASE, 0.5),
            AttemptOutcome::Delivered
        );
    }

    #[test]
    fn a_failure_within_the_window_is_retried_after_the_delay() {
        assert_eq!(
            after_attempt(false, at(0), 2, at(1000), BASE, 0.5),
            AttemptOutcome::RetryAt(at(10))
        );
    }

    #[test]
    fn the_last_retry_is_moved_back_to_the_end_of_the_window() {
        assert_eq!(
            after_attempt(false, at(0), 2, at(7), BASE, 0.5),
            AttemptOutcome::RetryAt(at(7))
        );
    }

    #[test]
    fn a_failure_at_or_after_the_end_of_the_window_gives_up() {
        assert_eq!(
            after_attempt(false, at(7), 3, at(7), BASE, 0.5),
            AttemptOutcome::GiveUp
        );
        assert_eq!(
            after_attempt(false, at(8), 1, at(7), BASE, 0.5),
            AttemptOutcome::GiveUp
        );
    }

    #[test]
    fn outcomes_lead_to_their_status() {
        assert_eq!(
            AttemptOutcome::Delivered.status(),
            DeliveryStatus::Delivered
        );
        assert_eq!(
            AttemptOutcome::RetryAt(at(0)).status(),
            DeliveryStatus::Pending
        );
        assert_eq!(AttemptOutcome::GiveUp.status(), DeliveryStatus::Failed);
    }

    #[test]
    fn only_2xx_is_a_success() {
        assert!(is_success(200) && is_success(204) && is_success(299));
        assert!(!is_success(199) && !is_success(301) && !is_success(302));
        assert!(!is_success(404) && !is_success(500));
    }
}
