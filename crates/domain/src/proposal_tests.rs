//! Unit tests of proposals: the content hash and the plan's changes since a snapshot.

use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::codes::Coded;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, d).unwrap_or_default()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn item(n: u128, title: &str) -> ProposalItem {
    ProposalItem {
        id: id(n),
        party: Party::Person,
        category: ItemCategory::Paperwork,
        domain: Domain::Housing,
        title: title.to_owned(),
        details: None,
        due_on: day(12),
        status: ItemStatus::Planned,
        done_on: None,
        outcome: None,
        scheme_id: None,
        application_id: None,
    }
}

fn plan() -> Vec<ProposalItem> {
    vec![
        item(3, "Déposer le dossier FSL"),
        item(1, "Appeler la CAF"),
        item(2, "Prendre rendez-vous à la Mission locale"),
    ]
}

#[test]
fn the_decision_codes_and_labels_are_those_of_the_practice() {
    let outcomes: Vec<_> = DecisionOutcome::ALL.iter().map(|o| o.code()).collect();
    assert_eq!(outcomes, ["accepted", "changes_requested", "refused"]);
    assert_eq!(DecisionOutcome::Accepted.label_fr(), "Plan accepté");
    assert_eq!(
        DecisionOutcome::ChangesRequested.label_fr(),
        "Modifications demandées"
    );
    let channels: Vec<_> = DecisionChannel::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(
        channels,
        ["in_person", "phone", "email", "post", "signed_paper"]
    );
    assert_eq!(
        DecisionChannel::SignedPaper.label_fr(),
        "Document papier signé"
    );
}

#[test]
fn the_canonical_text_sorts_items_by_id_with_fields_in_a_fixed_order() {
    let text = canonical_json(&plan()[..2]);
    assert_eq!(
        text,
        concat!(
            r#"[{"id":"00000000-0000-0000-0000-000000000001","party":"person","#,
            r#""category":"paperwork","domain":"housing","title":"Appeler la CAF","#,
            r#""details":null,"due_on":"2027-03-12","status":"planned","done_on":null,"#,
            r#""outcome":null,"scheme_id":null,"application_id":null},"#,
            r#"{"id":"00000000-0000-0000-0000-000000000003","party":"person","#,
            r#""category":"paperwork","domain":"housing","title":"Déposer le dossier FSL","#,
            r#""details":null,"due_on":"2027-03-12","status":"planned","done_on":null,"#,
            r#""outcome":null,"scheme_id":null,"application_id":null}]"#
        )
    );
}

#[test]
fn the_hash_is_hex_sha256_and_does_not_depend_on_the_order_of_the_items() {
    let items = plan();
    let hash = content_hash(&items);
    assert_eq!(hash.len(), 64);
    assert!(
        hash.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let mut reversed = items.clone();
    reversed.reverse();
    assert_eq!(content_hash(&reversed), hash);
    let mut rotated = items;
    rotated.rotate_left(1);
    assert_eq!(content_hash(&rotated), hash);
    // The empty plan has a hash too: that of `[]`.
    assert_eq!(
        content_hash(&[]),
        "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
    );
}

#[test]
fn any_change_of_any_field_changes_the_hash() {
    let base = plan();
    let hash = content_hash(&base);
    let edits: [fn(&mut ProposalItem); 12] = [
        |i| i.id = id(99),
        |i| i.party = Party::Partner,
        |i| i.category = ItemCategory::Orientation,
        |i| i.domain = Domain::Health,
        |i| i.title.push('.'),
        |i| i.details = Some(String::new()),
        |i| i.due_on = day(13),
        |i| i.status = ItemStatus::Done,
        |i| i.done_on = Some(day(1)),
        |i| i.outcome = Some("fait".into()),
        |i| i.scheme_id = Some(id(7)),
        |i| i.application_id = Some(id(8)),
    ];
    for (n, edit) in edits.iter().enumerate() {
        let mut items = base.clone();
        edit(&mut items[1]);
        assert_ne!(content_hash(&items), hash, "edit {n} kept the hash");
    }
    assert_ne!(content_hash(&base[..2]), hash, "a removed item");
}

#[test]
fn a_snapshot_round_trips_through_json_and_rejects_unknown_fields() {
    let items = plan();
    let value = serde_json::to_value(&items).unwrap_or_default();
    let back: Vec<ProposalItem> = serde_json::from_value(value).unwrap_or_default();
    assert_eq!(back, items);
    let mut extra = serde_json::to_value(&items[0]).unwrap_or_default();
    extra["colour"] = json!("red");
    assert!(serde_json::from_value::<ProposalItem>(extra).is_err());
}

#[test]
fn the_same_plan_has_no_changes() {
    let items = plan();
    let mut shuffled = items.clone();
    shuffled.swap(0, 2);
    let changes = diff(&items, &shuffled);
    assert!(changes.is_empty());
    assert!(!changes.calls_for_agreement());
}

#[test]
fn added_and_removed_items_are_listed_with_their_party_and_title() {
    let snapshot = plan();
    let mut current = snapshot[1..].to_vec();
    let mut partner = item(4, "Instruire la demande");
    partner.party = Party::Partner;
    current.push(partner);
    let changes = diff(&snapshot, &current);
    assert_eq!(
        changes.added,
        [ItemRef {
            item_id: id(4),
            party: Party::Partner,
            title: "Instruire la demande".into()
        }]
    );
    assert_eq!(
        changes.removed,
        [ItemRef {
            item_id: id(3),
            party: Party::Person,
            title: "Déposer le dossier FSL".into()
        }]
    );
    assert!(changes.changed.is_empty());
    assert!(changes.calls_for_agreement());
}

#[test]
fn a_changed_item_lists_each_differing_field_with_json_values_in_a_fixed_order() {
    let snapshot = plan();
    let mut current = snapshot.clone();
    current[0].title = "Déposer le dossier FSL complet".into();
    current[0].due_on = day(20);
    current[0].details = Some("Avec les quittances".into());
    let changes = diff(&snapshot, &current);
    assert!(changes.added.is_empty() && changes.removed.is_empty());
    assert_eq!(changes.changed.len(), 1);
    let change = &changes.changed[0];
    assert_eq!(change.item_id, id(3));
    assert_eq!(change.title, "Déposer le dossier FSL complet");
    let fields: Vec<_> = change
        .fields
        .iter()
        .map(|f| (f.field, f.before.clone(), f.after.clone()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "title",
                json!("Déposer le dossier FSL"),
                json!("Déposer le dossier FSL complet")
            ),
            ("details", json!(null), json!("Avec les quittances")),
            ("due_on", json!("2027-03-12"), json!("2027-03-20")),
        ]
    );
    assert!(changes.calls_for_agreement());
}

#[test]
fn progress_is_shown_but_does_not_call_for_a_new_agreement() {
    let snapshot = plan();
    let mut current = snapshot.clone();
    current[1].status = ItemStatus::Done;
    current[1].done_on = Some(day(2));
    current[1].outcome = Some("Droits ouverts".into());
    current[2].status = ItemStatus::InProgress;
    let changes = diff(&snapshot, &current);
    assert_eq!(changes.changed.len(), 2);
    let done: Vec<_> = changes.changed[0].fields.iter().map(|f| f.field).collect();
    assert_eq!(done, ["status", "done_on", "outcome"]);
    assert_eq!(changes.changed[0].fields[0].after, json!("done"));
    assert!(!changes.calls_for_agreement());
}

#[test]
fn cancelling_or_restoring_an_agreed_step_calls_for_a_new_agreement() {
    let snapshot = plan();
    let mut current = snapshot.clone();
    current[0].status = ItemStatus::Cancelled;
    assert!(diff(&snapshot, &current).calls_for_agreement());
    let mut restored = current.clone();
    restored[0].status = ItemStatus::Planned;
    assert!(diff(&current, &restored).calls_for_agreement());
}

#[test]
fn every_compared_field_is_a_field_of_the_snapshot_and_only_id_is_left_out() {
    let value = serde_json::to_value(item(1, "x")).unwrap_or_default();
    let mut keys: Vec<_> = value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.retain(|k| k != "id");
    keys.sort();
    let mut compared: Vec<_> = COMPARED_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    compared.sort();
    assert_eq!(keys, compared);
}
