//! Contacts' and group sessions' request and response types, and the checks of their texts.

use chrono::{DateTime, Utc};
use relais_domain::contact::{
    MAX_GROUP_CASES, MAX_PARTICIPANTS, OUTCOME_MAX_CHARS, PARTICIPANT_MAX_CHARS,
    PRIVATE_NOTE_MAX_CHARS, SUMMARY_MAX_CHARS,
};
use relais_domain::{Coded, ContactKind, ContactStatus};
use relais_store::contacts::{ContactRecord, GroupSessionRecord, SessionCase};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::FieldError;
use crate::patch::nullable;
use crate::routes::view_from;

/// A new contact of a case: planned (`scheduled_at`) or held (`occurred_at`), exactly one.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// A closed case only takes post_closure_review, phone_call, email and other (late
    /// answers); post_closure_review only a closed case (409 otherwise).
    #[schema(schema_with = crate::schema::contact_kind)]
    pub kind: ContactKind,
    /// When a planned contact will take place.
    #[schema(example = "2026-12-03T09:30:00Z")]
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When a held contact took place (not in the future).
    #[schema(example = "2026-11-24T14:00:00Z")]
    pub occurred_at: Option<DateTime<Utc>>,
    #[validate(length(max = 20))]
    #[schema(schema_with = crate::schema::participants)]
    pub participants: Option<Vec<String>>,
    /// What was said and decided, shared with the case's team.
    #[validate(length(max = 10000))]
    #[schema(
        max_length = 10000,
        example = "Point sur la demande FSL ; la personne apportera ses quittances."
    )]
    pub summary: Option<String>,
    /// A note only its author will ever read (not even a supervisor).
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000, example = "Semble fatiguée, à revoir vite.")]
    pub private_note: Option<String>,
    /// What came of it; for the post-closure review: orientation taken up, answers received.
    #[validate(length(max = 5000))]
    #[schema(
        max_length = 5000,
        example = "Orientation vers la mission locale suivie ; réponse CAF reçue."
    )]
    pub outcome: Option<String>,
}

/// Changes to a contact (JSON merge patch; only its author may change it): set `occurred_at`
/// to record a planned contact as held; `null` clears a text.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// When the contact took place (not in the future); cannot be cleared.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>, example = "2026-12-03T09:45:00Z")]
    pub occurred_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::participants)]
    pub participants: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub summary: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub private_note: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub outcome: Option<Option<String>>,
}

/// The outcome of a planned contact (its author only, `If-Match`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "cancelled", "reason": "La personne est hospitalisée"}))]
pub struct NewContactOutcome {
    /// `held`, `cancelled` or `no_show` (`planned` is no outcome: 422).
    #[schema(schema_with = crate::schema::contact_status)]
    pub status: ContactStatus,
    /// When a held contact took place (not in the future; default now); `held` only.
    #[schema(example = "2026-12-03T09:45:00Z")]
    pub occurred_at: Option<DateTime<Utc>>,
    /// Replaces the contact's summary (blank clears it); absent keeps it.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
    /// Why it did not take place; `cancelled` and `no_show` only. Trimmed, not blank.
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reason: Option<String>,
}

/// What the outcome request requires or refuses by `status` (the document states it, the
/// domain checks it).
pub const OUTCOME_FIELDS: crate::openapi::Variants = crate::openapi::Variants {
    schema: "NewContactOutcome",
    on: "status",
    cases: &[
        // No outcome: refused by the rule of `outcome_rules`.
        ("planned", &[], &[]),
        ("held", &[], &["reason"]),
        ("cancelled", &[], &["occurred_at"]),
        ("no_show", &[], &["occurred_at"]),
    ],
};

/// The outcomes a request may give: every status but `planned`.
pub fn outcome_rules() -> (&'static str, Vec<serde_json::Value>) {
    let outcomes: Vec<&str> = ContactStatus::ALL
        .iter()
        .filter(|s| !s.is_planned())
        .map(|s| s.code())
        .collect();
    (
        "NewContactOutcome",
        vec![serde_json::json!({"properties": {"status": {"enum": outcomes}}})],
    )
}

/// The group session a contact belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactGroupSession {
    pub id: Uuid,
    pub topic: String,
    pub place: Option<String>,
}

/// A contact as the caller may see it: the private note only for its author.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub case_id: Uuid,
    #[schema(schema_with = crate::schema::contact_kind)]
    pub kind: &'static str,
    /// `planned` until its outcome is recorded: `held`, `cancelled` or `no_show`.
    #[schema(schema_with = crate::schema::contact_status)]
    pub status: ContactStatus,
    /// Planned: no outcome yet (`status` is `planned`).
    pub planned: bool,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub participants: Vec<String>,
    pub summary: Option<String>,
    /// Only for its author; null for everyone else (see `has_private_note`).
    pub private_note: Option<String>,
    /// Whether the contact carries a private note (whoever reads it).
    pub has_private_note: bool,
    pub outcome: Option<String>,
    /// Why a cancelled or missed contact did not take place, when given.
    pub outcome_reason: Option<String>,
    pub author_id: Uuid,
    /// The group session this contact belongs to, if any.
    pub group_session_id: Option<Uuid>,
    /// The group session's topic and place, when the contact belongs to one.
    pub group_session: Option<ContactGroupSession>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Contact {
    /// The contact as `reader` sees it.
    pub fn for_reader(r: ContactRecord, reader: Uuid) -> Self {
        let has_private_note = r.private_note.is_some();
        let planned = r.is_planned();
        let place = r.group_session_place;
        let group_session = r
            .group_session_id
            .zip(r.group_session_topic)
            .map(|(id, topic)| ContactGroupSession { id, topic, place });
        Self {
            id: r.id,
            case_id: r.case_id,
            kind: r.kind.code(),
            status: r.status,
            planned,
            scheduled_at: r.scheduled_at,
            occurred_at: r.occurred_at,
            participants: r.participants,
            summary: r.summary,
            private_note: r.private_note.filter(|_| r.author_id == reader),
            has_private_note,
            outcome: r.outcome,
            outcome_reason: r.outcome_reason,
            author_id: r.author_id,
            group_session_id: r.group_session_id,
            group_session,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A page of a case's contacts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<Contact>,
    pub next_cursor: Option<String>,
}

/// One case of a group session and whether its person attended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionParticipant {
    pub case_id: Uuid,
    /// `false`: the case gets a `no_show` contact of the session instead of a held one.
    pub attended: bool,
}

/// A held group session shared by several cases: `participants` (with attendance) or
/// `case_ids` (every case attended), exactly one.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"participants": [{"case_id": "0192f0c1-7c4e-7a51-9b1e-2f6f3c1f0a01", "attended": true}, {"case_id": "0192f0c1-7c4e-7a51-9b1e-2f6f3c1f0a02", "attended": false}], "occurred_at": "2026-11-24T14:00:00Z", "topic": "Atelier budget : les aides à l'énergie", "place": "Salle 2, CCAS"}))]
pub struct NewGroupSession {
    /// The cases it concerns, each with its attendance (1 to 30 distinct cases, each visible
    /// to the caller and not archived or closed to group sessions).
    #[validate(length(min = 1, max = 30))]
    #[schema(min_items = 1, max_items = 30)]
    pub participants: Option<Vec<SessionParticipant>>,
    /// The cases it concerns, every one attending (kept for compatibility: `participants`
    /// says who did not come).
    #[validate(length(min = 1, max = 30))]
    #[schema(min_items = 1, max_items = 30)]
    pub case_ids: Option<Vec<Uuid>>,
    /// When it took place (not in the future).
    #[schema(example = "2026-11-24T14:00:00Z")]
    pub occurred_at: DateTime<Utc>,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Atelier budget : les aides à l'énergie"
    )]
    pub topic: String,
    /// Where it took place.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Salle 2, CCAS"
    )]
    pub place: Option<String>,
    /// Shared with each case's team.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
}

/// A recorded group session.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupSession {
    pub id: Uuid,
    /// Every case it concerns, attending or not, in the request's order.
    pub case_ids: Vec<Uuid>,
    /// Every case it concerns, with its attendance, in the request's order.
    pub participants: Vec<SessionParticipant>,
    pub occurred_at: DateTime<Utc>,
    pub topic: String,
    pub place: Option<String>,
    pub summary: Option<String>,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<SessionCase> for SessionParticipant {
    fn from(p: SessionCase) -> Self {
        Self {
            case_id: p.case_id,
            attended: p.attended,
        }
    }
}

view_from!(GroupSessionRecord as r => GroupSession {
    id, occurred_at, topic, place, summary, author_id, created_at;
    case_ids: r.participants.iter().map(|p| p.case_id).collect(),
    participants: r.participants.iter().copied().map(SessionParticipant::from).collect(),
});

/// Trims an optional text; blank becomes absent.
pub(super) use crate::routes::trimmed as text;

/// Checks a text's length (the validator checks the request; this checks merged values).
pub(super) fn check_length(
    value: Option<&str>,
    pointer: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) {
    if value.is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::body(
            pointer,
            "length",
            format!("length must be at most {max}"),
        ));
    }
}

/// The participants, trimmed; each 1 to 200 characters, at most 20.
pub(super) fn participants(list: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if list.len() > MAX_PARTICIPANTS {
        errors.push(FieldError::body(
            "/participants",
            "length",
            format!("at most {MAX_PARTICIPANTS} participants"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let p = p.trim();
        let chars = p.chars().count();
        if chars == 0 || chars > PARTICIPANT_MAX_CHARS {
            errors.push(FieldError::body(
                format!("/participants/{i}"),
                "length",
                format!("a participant is 1 to {PARTICIPANT_MAX_CHARS} characters"),
            ));
        } else {
            out.push(p.to_owned());
        }
    }
    out
}

/// Length checks of the texts of a contact.
pub(super) fn check_texts(
    summary: Option<&str>,
    private_note: Option<&str>,
    outcome: Option<&str>,
    errors: &mut Vec<FieldError>,
) {
    check_length(summary, "/summary", SUMMARY_MAX_CHARS, errors);
    check_length(
        private_note,
        "/private_note",
        PRIVATE_NOTE_MAX_CHARS,
        errors,
    );
    check_length(outcome, "/outcome", OUTCOME_MAX_CHARS, errors);
}

/// Most cases of one group session, for the error message.
pub(super) const GROUP_CASES: usize = MAX_GROUP_CASES;
