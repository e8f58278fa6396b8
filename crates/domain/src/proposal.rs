//! Negotiating the help plan: proposals, the person's answer, and what changed since the last
//! agreement.
//!
//! A **proposal** freezes the plan's items as a [`ProposalItem`] snapshot, fingerprinted by
//! [`content_hash`]: the hex SHA-256 of a canonical JSON text of the items, so the same plan
//! always gives the same hash, whatever order the items were read in. The person answers with a
//! [`DecisionOutcome`] through a [`DecisionChannel`]; observations are added afterwards through
//! the same channels.
//!
//! The plan keeps evolving after an agreement; [`diff`] compares the agreed snapshot with the
//! current items, item by item and field by field, and [`PlanChanges::calls_for_agreement`] says
//! whether the plan as it stands must be agreed again.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::plan::{ItemCategory, ItemStatus, Party};
use crate::reference::Domain;

crate::coded_enum! {
    /// The person's answer to a proposal of the plan.
    pub enum DecisionOutcome in "decision_outcome" {
        /// The person agrees with the plan: it becomes the negotiated plan.
        Accepted => "accepted" { fr: "Plan accepté", en: "Plan accepted" },
        /// The person asks for changes; a new proposal will follow.
        ChangesRequested => "changes_requested" {
            fr: "Modifications demandées",
            en: "Changes requested"
        },
        /// The person refuses the plan.
        Refused => "refused" { fr: "Plan refusé", en: "Plan refused" },
    }
}

crate::coded_enum! {
    /// How the person gave an answer or an observation.
    pub enum DecisionChannel in "decision_channel" {
        /// During an interview.
        InPerson => "in_person" { fr: "Entretien", en: "In person" },
        /// On the phone.
        Phone => "phone" { fr: "Téléphone", en: "Phone" },
        /// By email.
        Email => "email" { fr: "Courriel", en: "Email" },
        /// By post.
        Post => "post" { fr: "Courrier", en: "Post" },
        /// The written plan, signed on paper.
        SignedPaper => "signed_paper" { fr: "Document papier signé", en: "Signed paper" },
    }
}

/// One item of the plan as a proposal froze it.
///
/// The field order is the canonical order of [`content_hash`]: changing it changes every hash,
/// so it never changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalItem {
    pub id: Uuid,
    pub party: Party,
    pub category: ItemCategory,
    pub domain: Domain,
    pub title: String,
    pub details: Option<String>,
    pub due_on: NaiveDate,
    pub status: ItemStatus,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
}

/// The fields [`diff`] compares, in the order it reports them (every field but `id`).
pub const COMPARED_FIELDS: &[&str] = &[
    "party",
    "category",
    "domain",
    "title",
    "details",
    "due_on",
    "status",
    "done_on",
    "outcome",
    "scheme_id",
    "application_id",
];

/// Fields that record how the plan is carried out rather than what was agreed: a change there
/// is shown, but does not call for a new agreement (except cancelling or restoring a step).
pub const PROGRESS_FIELDS: &[&str] = &["status", "done_on", "outcome"];

/// The canonical text of a snapshot: a JSON array of the items sorted by id, each an object
/// with the fields in [`ProposalItem`]'s order, no whitespace, codes as codes, dates as
/// `YYYY-MM-DD`, absent values as `null`.
pub fn canonical_json(items: &[ProposalItem]) -> String {
    let mut sorted: Vec<&ProposalItem> = items.iter().collect();
    sorted.sort_by_key(|item| item.id);
    // Serialising plain strings, dates, ids and codes cannot fail.
    serde_json::to_string(&sorted).unwrap_or_default()
}

/// The fingerprint of a snapshot: the lowercase hex SHA-256 of its [`canonical_json`].
/// The same items give the same hash in any order; any change of any field changes it.
pub fn content_hash(items: &[ProposalItem]) -> String {
    hex::encode(Sha256::digest(canonical_json(items).as_bytes()))
}

/// An item added to or removed from the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRef {
    pub item_id: Uuid,
    pub party: Party,
    pub title: String,
}

/// One field of an item that differs, as JSON values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// One of [`COMPARED_FIELDS`].
    pub field: &'static str,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl FieldChange {
    /// Whether this change alters what was agreed: any field but the progress ones, and a
    /// step cancelled or restored.
    pub fn alters_agreement(&self) -> bool {
        let cancelled = serde_json::Value::from(ItemStatus::Cancelled.code());
        !PROGRESS_FIELDS.contains(&self.field)
            || (self.field == "status" && (self.before == cancelled || self.after == cancelled))
    }
}

/// An item present in both, with the fields that differ (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemChange {
    pub item_id: Uuid,
    /// The current title.
    pub title: String,
    pub fields: Vec<FieldChange>,
}

/// What changed between a snapshot and the current plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanChanges {
    /// Items of the current plan that the snapshot did not have, in the current plan's order.
    pub added: Vec<ItemRef>,
    /// Items of the snapshot that the plan no longer has, in the snapshot's order.
    pub removed: Vec<ItemRef>,
    /// Items of both whose fields differ, in the current plan's order.
    pub changed: Vec<ItemChange>,
}

impl PlanChanges {
    /// Nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Whether the plan differs from what was agreed in a way the person should agree to
    /// again: a step added or removed, or changed in anything but its progress.
    pub fn calls_for_agreement(&self) -> bool {
        !self.added.is_empty()
            || !self.removed.is_empty()
            || self
                .changed
                .iter()
                .flat_map(|c| &c.fields)
                .any(FieldChange::alters_agreement)
    }
}

fn fields_of(item: &ProposalItem) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(item) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

fn item_ref(item: &ProposalItem) -> ItemRef {
    ItemRef {
        item_id: item.id,
        party: item.party,
        title: item.title.clone(),
    }
}

/// Compares `snapshot` (e.g. the last accepted proposal) with `current` (the items now), by
/// item id and field by field.
pub fn diff(snapshot: &[ProposalItem], current: &[ProposalItem]) -> PlanChanges {
    let before: HashMap<Uuid, &ProposalItem> = snapshot.iter().map(|i| (i.id, i)).collect();
    let now: HashMap<Uuid, &ProposalItem> = current.iter().map(|i| (i.id, i)).collect();
    let mut changes = PlanChanges::default();
    for item in current {
        let Some(old) = before.get(&item.id) else {
            changes.added.push(item_ref(item));
            continue;
        };
        if *old == item {
            continue;
        }
        let (old_fields, new_fields) = (fields_of(old), fields_of(item));
        let fields: Vec<FieldChange> = COMPARED_FIELDS
            .iter()
            .filter_map(|&field| {
                let was = old_fields.get(field).cloned().unwrap_or_default();
                let is = new_fields.get(field).cloned().unwrap_or_default();
                (was != is).then_some(FieldChange {
                    field,
                    before: was,
                    after: is,
                })
            })
            .collect();
        if !fields.is_empty() {
            changes.changed.push(ItemChange {
                item_id: item.id,
                title: item.title.clone(),
                fields,
            });
        }
    }
    changes.removed = snapshot
        .iter()
        .filter(|i| !now.contains_key(&i.id))
        .map(item_ref)
        .collect();
    changes
}

#[cfg(test)]
#[path = "proposal_tests.rs"]
mod tests;
