//! The paths of the records an operation names within a case (or a partner): their segments
//! typed and documented once, for every operation that takes them.

use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// The path of an application of a case (`/cases/{id}/applications/{app_id}…`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ApplicationPath {
    /// Case id
    pub id: Uuid,
    /// Application id
    pub app_id: Uuid,
}

/// The path of a line of an application's checklist.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ChecklistLinePath {
    /// Case id
    pub id: Uuid,
    /// Application id
    pub app_id: Uuid,
    /// Checklist line id
    pub doc_id: Uuid,
}

/// The path of a version of an application's social report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SocialReportPath {
    /// Case id
    pub id: Uuid,
    /// Application id
    pub app_id: Uuid,
    /// Version number (1, 2, 3…)
    pub version_no: i32,
}

/// The path of a contact of a case (`/cases/{id}/contacts/{contact_id}`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ContactPath {
    /// Case id
    pub id: Uuid,
    /// Contact id
    pub contact_id: Uuid,
}

/// The path of an item of a case's plan (`/cases/{id}/plan/items/{item_id}`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ItemPath {
    /// Case id
    pub id: Uuid,
    /// Plan item id
    pub item_id: Uuid,
}

/// The path of one liaison of a case (`/cases/{id}/liaisons/{lid}…`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LiaisonPath {
    /// Case id
    pub id: Uuid,
    /// Liaison id
    pub lid: Uuid,
}

/// The path of a proposal of a case (`/cases/{id}/plan/proposals/{number}…`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ProposalPath {
    /// Case id
    pub id: Uuid,
    /// Proposal number within the case
    pub number: i32,
}

/// The path of a delivery to a partner (`/partners/{id}/deliveries/{did}…`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// Partner id
    pub id: Uuid,
    /// Delivery id
    pub did: Uuid,
}

/// The path of a delivery to a webhook subscription
/// (`/webhook-subscriptions/{id}/deliveries/{did}…`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubscriptionDeliveryPath {
    /// Subscription id
    pub id: Uuid,
    /// Delivery id
    pub did: Uuid,
}

/// The path of an absence of an agent (`/agents/{id}/absences/{absence_id}`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AbsencePath {
    /// Agent id
    pub id: Uuid,
    /// Absence id
    pub absence_id: Uuid,
}
