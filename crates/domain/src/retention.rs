//! Retention (PROTECTION.md, CNIL référentiel 2021-028): how long each kind of data is kept, per
//! organisation, and the dates a retention run on a given day derives from it. The run itself
//! (archive, purge = anonymise, applications, referral attachments, audit events) applies these
//! dates in the store.

use chrono::{Months, NaiveDate};

use crate::refusal::Refusal;

/// How long an organisation keeps each kind of data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSettings {
    /// A case whose last contact (or closure, if later) is older is archived.
    pub archive_after_months: u32,
    /// A person all of whose cases have been archived this long is anonymised (0: at once).
    pub purge_after_archive_months: u32,
    /// A granted (or partially granted) application is kept this long after its decision.
    pub applications_granted_years: u32,
    /// Any other application is kept this long after its decision or withdrawal.
    pub applications_other_years: u32,
    /// A referral's attachments are kept this long after its case closes, or after it is
    /// declined, redirected or expired.
    pub referral_attachments_months: u32,
    /// Audit events are kept this long.
    pub audit_months: u32,
}

impl Default for RetentionSettings {
    /// The référentiel's defaults.
    fn default() -> Self {
        RetentionSettings {
            archive_after_months: 24,
            purge_after_archive_months: 0,
            applications_granted_years: 10,
            applications_other_years: 2,
            referral_attachments_months: 6,
            audit_months: 12,
        }
    }
}

/// Each setting's name and bounds (inclusive): an archive later than 60 months or an audit log
/// kept less than 6 months is refused.
pub const BOUNDS: [(&str, u32, u32); 6] = [
    ("archive_after_months", 1, 60),
    ("purge_after_archive_months", 0, 120),
    ("applications_granted_years", 1, 30),
    ("applications_other_years", 1, 30),
    ("referral_attachments_months", 1, 60),
    ("audit_months", 6, 120),
];

/// A setting outside its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be between {min} and {max}")]
pub struct OutOfBounds {
    pub field: &'static str,
    pub min: u32,
    pub max: u32,
}

impl Refusal for OutOfBounds {
    fn code(&self) -> &'static str {
        "out_of_range"
    }

    fn sentence_fr(&self) -> String {
        format!(
            "{} doit être compris entre {} et {}",
            self.field, self.min, self.max
        )
    }
}

impl RetentionSettings {
    fn values(&self) -> [u32; 6] {
        [
            self.archive_after_months,
            self.purge_after_archive_months,
            self.applications_granted_years,
            self.applications_other_years,
            self.referral_attachments_months,
            self.audit_months,
        ]
    }

    /// Every setting outside its bounds ([`BOUNDS`]).
    pub fn check(&self) -> Vec<OutOfBounds> {
        BOUNDS
            .iter()
            .zip(self.values())
            .filter(|((_, min, max), value)| value < min || value > max)
            .map(|(&(field, min, max), _)| OutOfBounds { field, min, max })
            .collect()
    }

    /// The dates a run on `as_of` applies.
    pub fn cutoffs(&self, as_of: NaiveDate) -> Cutoffs {
        let months_before = |months: u32| {
            as_of
                .checked_sub_months(Months::new(months))
                .unwrap_or(NaiveDate::MIN)
        };
        Cutoffs {
            archive_before: months_before(self.archive_after_months),
            purge_archived_before: months_before(self.purge_after_archive_months),
            granted_decided_before: months_before(self.applications_granted_years * 12),
            other_ended_before: months_before(self.applications_other_years * 12),
            attachments_ended_before: months_before(self.referral_attachments_months),
            audit_before: months_before(self.audit_months),
        }
    }
}

/// The dates of one run: what ended before each is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// A closed case whose last activity (closure, last contact) is before this is archived.
    pub archive_before: NaiveDate,
    /// A person whose cases were all archived before this is anonymised (on the day of the run
    /// itself when no delay is set).
    pub purge_archived_before: NaiveDate,
    /// A granted or partially granted application decided before this has its content erased.
    pub granted_decided_before: NaiveDate,
    /// Any other application decided or withdrawn before this has its content erased.
    pub other_ended_before: NaiveDate,
    /// A referral whose case closed, or which was declined, redirected or expired, before this
    /// loses its attachments.
    pub attachments_ended_before: NaiveDate,
    /// Audit events before this are deleted.
    pub audit_before: NaiveDate,
}

/// What holds a person's data beyond the purge: an application still within its retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obligation {
    pub application_id: uuid::Uuid,
    /// The last day it is kept.
    pub kept_until: NaiveDate,
}

/// How long an application ended on `ended_on` is kept: `granted` (or partially) ones for
/// `applications_granted_years`, others for `applications_other_years`. The day it may go.
pub fn application_kept_until(
    settings: &RetentionSettings,
    granted: bool,
    ended_on: NaiveDate,
) -> NaiveDate {
    let years = if granted {
        settings.applications_granted_years
    } else {
        settings.applications_other_years
    };
    ended_on
        .checked_add_months(Months::new(years * 12))
        .unwrap_or(NaiveDate::MAX)
}

/// An erasure is refused while an obligation holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a retention obligation holds this person's data until {until}")]
pub struct RetentionObligation {
    /// The last of the days the obligations end.
    pub until: NaiveDate,
    pub obligations: Vec<Obligation>,
}

impl Refusal for RetentionObligation {
    fn code(&self) -> &'static str {
        "retention_obligation"
    }

    fn sentence_fr(&self) -> String {
        format!(
            "une obligation de conservation retient les données de cette personne jusqu'au {}",
            self.until.format("%d/%m/%Y")
        )
    }
}

/// Whether a person may be erased now: not while any of `obligations` holds on `today`.
///
/// # Errors
/// [`RetentionObligation`] naming what holds and until when.
pub fn check_erasure(
    obligations: Vec<Obligation>,
    today: NaiveDate,
) -> Result<(), RetentionObligation> {
    let holding: Vec<Obligation> = obligations
        .into_iter()
        .filter(|o| o.kept_until > today)
        .collect();
    match holding.iter().map(|o| o.kept_until).max() {
        Some(until) => Err(RetentionObligation {
            until,
            obligations: holding,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn the_defaults_are_the_referentiels_and_within_bounds() {
        let settings = RetentionSettings::default();
        assert!(settings.check().is_empty());
        assert_eq!(settings.archive_after_months, 24);
        assert_eq!(settings.audit_months, 12);
    }

    #[test]
    fn a_short_audit_log_or_a_long_archive_delay_is_refused() {
        let settings = RetentionSettings {
            audit_months: 5,
            archive_after_months: 61,
            ..RetentionSettings::default()
        };
        let fields: Vec<&str> = settings.check().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["archive_after_months", "audit_months"]);
    }

    #[test]
    fn cutoffs_count_back_from_the_day_of_the_run() {
        let cutoffs = RetentionSettings::default().cutoffs(day("2026-12-05"));
        assert_eq!(cutoffs.archive_before, day("2024-12-05"));
        assert_eq!(cutoffs.purge_archived_before, day("2026-12-05"));
        assert_eq!(cutoffs.granted_decided_before, day("2016-12-05"));
        assert_eq!(cutoffs.other_ended_before, day("2024-12-05"));
        assert_eq!(cutoffs.attachments_ended_before, day("2026-06-05"));
        assert_eq!(cutoffs.audit_before, day("2025-12-05"));
    }

    #[test]
    fn an_erasure_waits_for_the_last_obligation() {
        let settings = RetentionSettings::default();
        let granted = application_kept_until(&settings, true, day("2025-03-01"));
        let refused = application_kept_until(&settings, false, day("2025-03-01"));
        assert_eq!(granted, day("2035-03-01"));
        assert_eq!(refused, day("2027-03-01"));
        let id = uuid::Uuid::nil();
        let obligations = vec![
            Obligation {
                application_id: id,
                kept_until: refused,
            },
            Obligation {
                application_id: id,
                kept_until: granted,
            },
        ];
        let refusal = check_erasure(obligations.clone(), day("2026-12-05")).expect_err("held");
        assert_eq!(refusal.until, granted);
        assert_eq!(refusal.code(), "retention_obligation");
        assert_eq!(check_erasure(obligations, day("2035-03-02")), Ok(()));
    }
}
