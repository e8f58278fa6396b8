//! The agents' directory, profile, absences and handovers: request and response types.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::Civility;
use relais_domain::agent::{DISPLAY_NAME_MAX_CHARS, JOB_TITLE_MAX_CHARS, PHONE_MAX_CHARS};
use relais_store::Code;
use relais_store::absences::AbsenceRecord;
use relais_store::agents::AgentRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::FieldError;
use crate::patch::nullable;
use crate::routes::view_from;

/// An agent of the organisation: a member of staff, not a person supported.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agent {
    /// The id to name as a referent, team member, delegate.
    pub id: Uuid,
    /// The name the agent gave, else the one of their token.
    #[schema(example = "Jeanne Martin")]
    pub display_name: Option<String>,
    /// What documents print as the agent's role.
    #[schema(example = "Assistante de service social")]
    pub job_title: Option<String>,
    #[schema(schema_with = crate::schema::civility_nullable)]
    pub civility: Option<Civility>,
    #[schema(schema_with = crate::schema::roles)]
    pub roles: Vec<String>,
    /// Still at work in the organisation (an administrator marks those who left).
    pub active: bool,
    /// Shown to supervisors, administrators and the agent themself; null for others.
    #[schema(example = "jeanne.martin@ccas.example")]
    pub email: Option<String>,
    /// Shown to supervisors, administrators and the agent themself; null for others.
    #[schema(example = "04 72 00 00 00")]
    pub phone: Option<String>,
    /// When the agent last called the API (within five minutes); like the contact details,
    /// shown to supervisors, administrators and the agent themself only.
    pub last_seen_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Agent {
    /// The agent as `reader` sees them: contact details only when `contacts` allows them or
    /// the agent is the reader.
    pub fn seen_by(r: AgentRecord, reader: Uuid, contacts: bool) -> Self {
        let shown = contacts || r.id == reader;
        Self {
            id: r.id,
            display_name: r.display_name,
            job_title: r.job_title,
            civility: r.civility.map(Code::into_inner),
            roles: r.roles,
            active: r.active,
            email: r.email.filter(|_| shown),
            phone: r.phone.filter(|_| shown),
            last_seen_at: Some(r.last_seen_at).filter(|_| shown),
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A page of agents.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    pub items: Vec<Agent>,
    pub next_cursor: Option<String>,
}

/// Changes to the caller's own profile (JSON merge patch: absent keeps, `null` clears). Once
/// written, the token's name and e-mail no longer overwrite it.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200, example = "Jeanne Martin")]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 120, example = "Assistante de service social")]
    pub job_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::civility_nullable)]
    pub civility: Option<Option<Civility>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Email, example = "jeanne.martin@ccas.example")]
    pub email: Option<Option<String>>,
    /// Digits, spaces, dots, dashes, parentheses and a leading `+` (at least 4 digits); 30
    /// characters at most.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(
        value_type = Option<String>,
        max_length = 30,
        pattern = r"^\+?[0-9 .()-]*[0-9][0-9 .()-]*[0-9][0-9 .()-]*[0-9][0-9 .()-]*[0-9][0-9 .()-]*$",
        example = "04 72 00 00 00"
    )]
    pub phone: Option<Option<String>>,
}

/// A trimmed text, `None` when blank; `too_long` at `pointer` beyond `max` characters.
pub(super) fn text(
    value: Option<&str>,
    max: usize,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = crate::routes::trimmed(value)?;
    if value.chars().count() > max {
        errors.push(FieldError::body(
            pointer,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    Some(value)
}

/// The profile's texts, checked: each error points at its field.
pub(super) fn checked_texts(
    display_name: Option<&str>,
    job_title: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> [Option<String>; 4] {
    let display_name = text(
        display_name,
        DISPLAY_NAME_MAX_CHARS,
        "/display_name",
        errors,
    );
    let job_title = text(job_title, JOB_TITLE_MAX_CHARS, "/job_title", errors);
    let email = text(email, 254, "/email", errors);
    if let Some(e) = &email
        && !validator::ValidateEmail::validate_email(e)
    {
        errors.push(FieldError::body(
            "/email",
            "invalid_email",
            "not an e-mail address",
        ));
    }
    let phone = text(phone, PHONE_MAX_CHARS, "/phone", errors);
    if let Some(p) = &phone
        && !is_phone(p)
    {
        errors.push(FieldError::body(
            "/phone",
            "invalid_phone",
            "digits, spaces, dots, dashes, parentheses and a leading + only",
        ));
    }
    [display_name, job_title, email, phone]
}

/// Whether `phone` is written with digits, spaces, dots, dashes, parentheses and a leading
/// `+`, with at least 4 digits.
fn is_phone(phone: &str) -> bool {
    let body = phone.strip_prefix('+').unwrap_or(phone);
    body.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
        && body.chars().filter(char::is_ascii_digit).count() >= 4
}

/// An administrator's change of an agent (JSON merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    /// `false`: the agent left (they can no longer be named referent, team member or
    /// delegate; what they wrote keeps their name). `true`: back at work.
    pub active: Option<bool>,
}

/// A new absence.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAbsence {
    /// The first day away.
    #[schema(example = "2027-03-01")]
    pub from: NaiveDate,
    /// The last day away (included), today or later.
    #[schema(example = "2027-03-19")]
    pub to: NaiveDate,
    /// The worker or supervisor who covers the absent agent's open cases meanwhile.
    pub delegate_id: Uuid,
}

/// An absence: while it runs, the delegate is on the team of every open case the absent agent
/// is referent of.
#[derive(Debug, Serialize, ToSchema)]
pub struct Absence {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub delegate_id: Uuid,
    /// The first day away.
    pub from: NaiveDate,
    /// The last day away (included).
    pub to: NaiveDate,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

view_from!(AbsenceRecord as r => Absence {
    id, agent_id, delegate_id, created_by, created_at, version;
    from: r.starts_on,
    to: r.ends_on,
});

/// A page of absences.
#[derive(Debug, Serialize, ToSchema)]
pub struct AbsenceList {
    pub items: Vec<Absence>,
    pub next_cursor: Option<String>,
}

/// A handover of cases from one agent to another.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReassignment {
    /// The referent the cases leave.
    pub from_agent_id: Uuid,
    /// The new referent: an agent of the organisation still at work.
    pub to_agent_id: Uuid,
    /// Only these cases (each open, with `from_agent_id` as referent); by default every open
    /// case of `from_agent_id`.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub case_ids: Option<Vec<Uuid>>,
    /// Whether `from_agent_id` stays on the cases' teams (false: they leave them).
    #[serde(default)]
    pub keep_previous_in_team: bool,
}

/// What a handover moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reassignment {
    /// How many cases changed referent.
    pub count: usize,
    /// Their ids, in id order.
    pub case_ids: Vec<Uuid>,
}
