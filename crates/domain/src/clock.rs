//! What "not in the future" means for a moment someone reports: a contact held, a consent
//! given, the information notice received. Devices' clocks drift, so a few minutes ahead of
//! the service's clock still count as past.

use chrono::{DateTime, Duration, Utc};

/// How far ahead of the service's clock a reported moment may be.
pub const TOLERANCE_MINUTES: i64 = 5;

/// Whether `at` has happened by `now`, give or take the clocks' drift.
pub fn has_happened(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at <= now + Duration::minutes(TOLERANCE_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_minutes_ahead_is_drift_and_more_is_the_future() {
        let now = DateTime::from_timestamp(1_796_464_800, 0).expect("a valid instant");
        assert!(has_happened(now - Duration::days(400), now));
        assert!(has_happened(now, now));
        assert!(has_happened(
            now + Duration::minutes(TOLERANCE_MINUTES),
            now
        ));
        assert!(!has_happened(
            now + Duration::minutes(TOLERANCE_MINUTES) + Duration::seconds(1),
            now
        ));
        assert!(!has_happened(now + Duration::days(1), now));
    }
}
