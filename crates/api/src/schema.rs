//! OpenAPI schemas for the domain's code lists, built from the codes themselves so the
//! document can never disagree with what the API accepts.
//!
//! Each list is one named component (`CaseStatus`, `Domain`, …: its name in `GET
//! /v1/reference`, in PascalCase), referenced wherever the list is used, so that a generated
//! client has one type per list; a field that may be `null` is `oneOf: [{$ref}, {type: null}]`.

use relais_domain::Coded;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaType, Type};
use utoipa::openapi::{Object, Ref, RefOr, Schema};

/// The component name of `T`'s list: its reference name in PascalCase (`case_status` →
/// `CaseStatus`).
pub fn component_name<T: Coded>() -> String {
    T::LIST
        .split('_')
        .map(|word| {
            let mut letters = word.chars();
            letters.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(letters).collect()
            })
        })
        .collect()
}

/// The component itself: a string schema listing every code of `T`.
pub fn codes<T: Coded>() -> Object {
    ObjectBuilder::new()
        .title(Some(component_name::<T>()))
        .schema_type(Type::String)
        .enum_values(Some(T::ALL.iter().map(|c| c.code())))
        .description(Some(format!(
            "A code of the `{}` list (see GET /v1/reference for its labels).",
            T::LIST
        )))
        .build()
}

/// A reference to the component of `T`'s codes.
pub fn codes_ref<T: Coded>() -> Ref {
    Ref::from_schema_name(component_name::<T>())
}

/// A code of `T`, or `null`.
pub fn nullable_codes_ref<T: Coded>() -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(codes_ref::<T>())
            .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
            .build(),
    )
}

/// Declares `fn name() -> RefOr<Schema>` (and a nullable twin) for `#[schema(schema_with)]`,
/// and [`components`], every list's component.
macro_rules! code_schemas {
    ($($name:ident, $nullable:ident => $ty:ty;)*) => {
        $(
            #[doc = concat!("Schema of `", stringify!($ty), "` codes.")]
            pub fn $name() -> RefOr<Schema> {
                RefOr::Ref(codes_ref::<$ty>())
            }
            #[doc = concat!("Schema of `", stringify!($ty), "` codes, or null.")]
            pub fn $nullable() -> RefOr<Schema> {
                RefOr::T(nullable_codes_ref::<$ty>())
            }
        )*

        /// The component of every code list, by name.
        pub fn components() -> Vec<(String, RefOr<Schema>)> {
            vec![$(
                (component_name::<$ty>(), RefOr::T(Schema::Object(codes::<$ty>()))),
            )*]
        }
    };
}

code_schemas! {
    case_status, case_status_nullable => relais_domain::CaseStatus;
    case_origin, case_origin_nullable => relais_domain::CaseOrigin;
    closure_reason, closure_reason_nullable => relais_domain::ClosureReason;
    marital_status, marital_status_nullable => relais_domain::MaritalStatus;
    informed_channel, informed_channel_nullable => relais_domain::InformedChannel;
    legal_protection_kind, legal_protection_kind_nullable => relais_domain::LegalProtectionKind;
    disability_recognition, disability_recognition_nullable => relais_domain::DisabilityRecognition;
    disability_rate, disability_rate_nullable => relais_domain::DisabilityRate;
    consent_scope, consent_scope_nullable => relais_domain::ConsentScope;
    consent_channel, consent_channel_nullable => relais_domain::ConsentChannel;
    restriction_kind, restriction_kind_nullable => relais_domain::RestrictionKind;
    audit_action, audit_action_nullable => relais_domain::AuditAction;
    role, role_nullable => relais_domain::Role;
    party, party_nullable => relais_domain::Party;
    item_kind, item_kind_nullable => relais_domain::ItemKind;
    item_category, item_category_nullable => relais_domain::ItemCategory;
    item_status, item_status_nullable => relais_domain::ItemStatus;
    domain, domain_nullable => relais_domain::Domain;
    needs_action, needs_action_nullable => relais_domain::NeedsAction;
    priority, priority_nullable => relais_domain::Priority;
    decision_outcome, decision_outcome_nullable => relais_domain::DecisionOutcome;
    decision_channel, decision_channel_nullable => relais_domain::DecisionChannel;
    contact_kind, contact_kind_nullable => relais_domain::ContactKind;
    contact_status, contact_status_nullable => relais_domain::ContactStatus;
    legal_basis, legal_basis_nullable => relais_domain::LegalBasis;
    liaison_content, liaison_content_nullable => relais_domain::LiaisonContent;
    liaison_status, liaison_status_nullable => relais_domain::LiaisonStatus;
    referral_status, referral_status_nullable => relais_domain::ReferralStatus;
    referral_support_status, referral_support_status_nullable => relais_domain::SupportStatus;
    referral_urgency, referral_urgency_nullable => relais_domain::Urgency;
    referral_decline_reason, referral_decline_reason_nullable => relais_domain::DeclineReason;
    referral_outcome, referral_outcome_nullable => relais_domain::ReferralOutcome;
    webhook_delivery_status, webhook_delivery_status_nullable => relais_domain::DeliveryStatus;
    household_relationship, household_relationship_nullable => relais_domain::Relationship;
    housing_status, housing_status_nullable => relais_domain::HousingStatus;
    employment_status, employment_status_nullable => relais_domain::EmploymentStatus;
    resource_kind, resource_kind_nullable => relais_domain::ResourceKind;
    charge_kind, charge_kind_nullable => relais_domain::ChargeKind;
    debt_kind, debt_kind_nullable => relais_domain::DebtKind;
    application_status, application_status_nullable => relais_domain::ApplicationStatus;
    application_decision, application_decision_nullable => relais_domain::ApplicationDecision;
    application_document_status, application_document_status_nullable => relais_domain::DocumentStatus;
    funder_status, funder_status_nullable => relais_domain::FunderStatus;
    criterion_kind, criterion_kind_nullable => relais_domain::CriterionKind;
    resources_basis, resources_basis_nullable => relais_domain::ResourcesBasis;
    criterion_result, criterion_result_nullable => relais_domain::CriterionResult;
    match_result, match_result_nullable => relais_domain::MatchResult;
    situation_data, situation_data_nullable => relais_domain::SituationData;
    document_provider, document_provider_nullable => relais_domain::DocumentProvider;
    webhook_event, webhook_event_nullable => relais_domain::WebhookEvent;
    event_type, event_type_nullable => relais_domain::EventType;
    notification_kind, notification_kind_nullable => relais_domain::NotificationKind;
    civility, civility_nullable => relais_domain::Civility;
    activity_indicator, activity_indicator_nullable => relais_domain::activity::Indicator;
    figure_unit, figure_unit_nullable => relais_domain::activity::Unit;
    age_band, age_band_nullable => relais_domain::activity::AgeBand;
    household_composition, household_composition_nullable => relais_domain::activity::HouseholdComposition;
    letter_field_kind, letter_field_kind_nullable => relais_domain::LetterFieldKind;
    letter_addressee, letter_addressee_nullable => relais_domain::Addressee;
}

/// A list of `items`.
fn array_of(items: Ref) -> RefOr<Schema> {
    RefOr::T(Schema::Array(
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(items)
            .build(),
    ))
}

/// A list of codes of `T`, each the list's component.
pub fn code_array<T: Coded>() -> RefOr<Schema> {
    array_of(codes_ref::<T>())
}

/// Schema of a list of role codes.
pub fn roles() -> RefOr<Schema> {
    code_array::<relais_domain::Role>()
}

/// Schema of a value that is always `null` (a status an event does not move).
pub fn always_null() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Null))
            .build(),
    ))
}

/// A query parameter listing codes of `T`, comma-separated (spaces around an entry and blank
/// entries allowed: see `extract::coded_list`), as a pattern of exactly that.
pub fn coded_list<T: Coded>() -> RefOr<Schema> {
    // Codes are snake_case words, some joined by dots (`case.opened`): a dot is literal.
    let codes: Vec<String> = T::ALL
        .iter()
        .map(|c| c.code().replace('.', "\\."))
        .collect();
    let entry = format!(" *({})? *", codes.join("|"));
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^{entry}(,{entry})*$")))
            .description(Some(format!(
                "Comma-separated codes of the `{}` list (see GET /v1/reference).",
                T::LIST
            )))
            .build(),
    ))
}

/// Comma-separated case statuses.
pub fn case_status_list() -> RefOr<Schema> {
    coded_list::<relais_domain::CaseStatus>()
}

/// Comma-separated contact statuses.
pub fn contact_status_list() -> RefOr<Schema> {
    coded_list::<relais_domain::ContactStatus>()
}

/// Comma-separated plan item statuses.
pub fn item_status_list() -> RefOr<Schema> {
    coded_list::<relais_domain::ItemStatus>()
}

/// Comma-separated event types.
pub fn event_type_list() -> RefOr<Schema> {
    coded_list::<relais_domain::EventType>()
}

/// Comma-separated referral statuses.
pub fn referral_status_list() -> RefOr<Schema> {
    coded_list::<relais_domain::ReferralStatus>()
}

/// Schema of a list of `liaison_content` codes.
pub fn liaison_contents() -> RefOr<Schema> {
    code_array::<relais_domain::LiaisonContent>()
}

/// Schema of a list of `domain` codes.
pub fn domain_list() -> RefOr<Schema> {
    code_array::<relais_domain::Domain>()
}

/// The name of the component listing the fields of a plan item that are compared and recorded
/// as changed.
pub const PLAN_ITEM_FIELD: &str = "PlanItemField";

/// The component itself: the compared fields of a plan item.
pub fn plan_item_field_component() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .title(Some(PLAN_ITEM_FIELD))
            .schema_type(Type::String)
            .enum_values(Some(
                relais_domain::proposal::COMPARED_FIELDS.iter().copied(),
            ))
            .description(Some(
                "A field of a plan item, as compared with the agreement.",
            ))
            .build(),
    ))
}

/// A field of a plan item.
pub fn plan_item_field() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(PLAN_ITEM_FIELD))
}

/// A list of fields of a plan item.
pub fn plan_item_fields() -> RefOr<Schema> {
    array_of(Ref::from_schema_name(PLAN_ITEM_FIELD))
}

/// Schema of a list of `situation_data` codes (the data a match is missing).
pub fn situation_data_list() -> RefOr<Schema> {
    code_array::<relais_domain::SituationData>()
}

/// Spaces a NIR may hold between its characters (see `relais_domain::nir`).
const NIR_SPACE: &str = "[ \\u00a0\\u202f]*";

/// The shape of a NIR as [`relais_domain::nir::Nir::parse`] reads it, spaces allowed between
/// characters: sex, year, month (01–12, 20–42, 50–99), department (2A/2B for Corsica), commune
/// and order, key. Whether the key matches the number (modulo 97) is the one rule a pattern
/// cannot state: a wrong key is `nir_wrong_key`.
pub fn nir_pattern() -> String {
    let s = NIR_SPACE;
    let digits = |n: usize| format!("({s}[0-9]){{{n}}}");
    format!(
        "^{s}[1-478]{year}{s}(0{s}[1-9]|1{s}[0-2]|[23]{s}[0-9]|4{s}[0-2]|[5-9]{s}[0-9])\
         {s}(2{s}[ABab]|[0-9]{s}[0-9]){rest}{s}$",
        year = digits(2),
        rest = digits(8),
    )
}

fn nir_schema(types: SchemaType) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(types)
            .min_length(Some(15))
            .max_length(Some(relais_domain::nir::MAX_NIR_INPUT_CHARS))
            .pattern(Some(nir_pattern()))
            .description(Some(
                "The NIR (numéro de sécurité sociale): 13 characters and a 2-digit key, spaces \
                 allowed; the key must match the number (`nir_wrong_key`).",
            ))
            .examples(["2 69 05 49 588 157 80"])
            .build(),
    ))
}

/// Schema of a NIR.
pub fn nir() -> RefOr<Schema> {
    nir_schema(SchemaType::Type(Type::String))
}

/// Schema of a NIR, or `null`.
pub fn nir_nullable() -> RefOr<Schema> {
    nir_schema(SchemaType::from_iter([Type::String, Type::Null]))
}

/// Any text with a character other than a space, and no NUL (a blank value is refused).
pub const NOT_BLANK: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";

fn participants_schema(types: SchemaType) -> RefOr<Schema> {
    RefOr::T(Schema::Array(
        utoipa::openapi::schema::ArrayBuilder::new()
            .schema_type(types)
            .max_items(Some(20))
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(200))
                    .pattern(Some(NOT_BLANK)),
            )
            .description(Some(
                "Who took part: names and roles (at most 20, each 1 to 200 characters).",
            ))
            .examples([serde_json::json!([
                "Camille Lefèvre",
                "Mme Roux, conseillère CAF"
            ])])
            .build(),
    ))
}

/// Schema of a contact's participants.
pub fn participants() -> RefOr<Schema> {
    participants_schema(SchemaType::from_iter([Type::Array, Type::Null]))
}

/// An array of `items`, `min` to `max` of them, each once.
fn distinct_array(items: impl Into<RefOr<Schema>>, min: usize, max: usize) -> RefOr<Schema> {
    let items: RefOr<Schema> = items.into();
    RefOr::T(Schema::Array(
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(items)
            .min_items(Some(min))
            .max_items(Some(max))
            .unique_items(true)
            .build(),
    ))
}

/// Schema of a criterion's housing statuses.
pub fn housing_statuses() -> RefOr<Schema> {
    distinct_array(codes_ref::<relais_domain::HousingStatus>(), 1, 6)
}

/// Schema of a criterion's employment statuses.
pub fn employment_statuses() -> RefOr<Schema> {
    distinct_array(codes_ref::<relais_domain::EmploymentStatus>(), 1, 6)
}

/// Schema of a criterion's debt kinds.
pub fn debt_kinds() -> RefOr<Schema> {
    let all = <relais_domain::DebtKind as relais_domain::Coded>::ALL.len();
    distinct_array(codes_ref::<relais_domain::DebtKind>(), 1, all)
}

/// Schema of a criterion's legal protection kinds.
pub fn legal_protection_kinds() -> RefOr<Schema> {
    let all = <relais_domain::LegalProtectionKind as relais_domain::Coded>::ALL.len();
    distinct_array(codes_ref::<relais_domain::LegalProtectionKind>(), 1, all)
}

/// Schema of a criterion's postcode prefixes: 1 to 5 digits each.
pub fn postcode_prefixes() -> RefOr<Schema> {
    let prefix = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[0-9]{1,5}$"))
        .build();
    let max = relais_domain::eligibility::MAX_PREFIXES;
    distinct_array(prefix, 1, max)
}

/// Schema of a ceiling's table of amounts (cents a month), by household size or children.
pub fn cents_scale() -> RefOr<Schema> {
    let cents = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
            utoipa::openapi::schema::KnownFormat::Int64,
        )))
        .minimum(Some(0))
        .maximum(Some(relais_domain::eligibility::MAX_CENTS))
        .build();
    RefOr::T(Schema::Array(
        utoipa::openapi::schema::ArrayBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
            .items(cents)
            .min_items(Some(1))
            .max_items(Some(relais_domain::eligibility::MAX_SCALE_ENTRIES))
            .build(),
    ))
}

/// The shape of a SIRET as `relais_domain::partner::Siret::parse` reads it: 14 digits, spaces
/// allowed between them. Its check digit (Luhn) is the one rule a pattern cannot state: a wrong
/// one is `siret_wrong_key`.
fn siret_schema(types: SchemaType) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(types)
            .min_length(Some(14))
            .max_length(Some(relais_domain::partner::MAX_SIRET_INPUT_CHARS))
            .pattern(Some(format!("^{NIR_SPACE}([0-9]{NIR_SPACE}){{14}}$")))
            .description(Some(
                "The establishment's SIRET: 14 digits (spaces allowed) with a valid check digit \
                 (`siret_wrong_key`).",
            ))
            .examples(["53408366500016"])
            .build(),
    ))
}

/// Schema of a SIRET, or `null`.
pub fn siret_nullable() -> RefOr<Schema> {
    siret_schema(SchemaType::from_iter([Type::String, Type::Null]))
}

/// The name of a file sent inline, as `relais_domain::document::check_filename` takes it:
/// not blank, no path separator, control or disguising character, and the extension of a PDF,
/// PNG or JPEG. Whether the extension agrees with the content (read from its bytes) is the one
/// rule a pattern cannot state: a disagreement is `type_mismatch`.
pub fn filename() -> RefOr<Schema> {
    let unsafe_chars = "/\\\\\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069";
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(4))
            .max_length(Some(relais_domain::document::MAX_FILENAME_CHARS))
            .pattern(Some(format!(
                "^\\s*[^{unsafe_chars}]*\\.([pP][dD][fF]|[pP][nN][gG]|[jJ][pP][eE]?[gG])\\s*$"
            )))
            .description(Some(
                "The file's name: a PDF, PNG or JPEG's extension, no path.",
            ))
            .examples(["courrier-orientation.pdf"])
            .build(),
    ))
}

/// Schema of a flag that must be `true` (a consent given).
pub fn must_be_true() -> RefOr<Schema> {
    boolean_always(true)
}

/// Schema of a boolean that is always `false` (a full person's `restricted`).
pub fn must_be_false() -> RefOr<Schema> {
    boolean_always(false)
}

fn boolean_always(value: bool) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([value]))
            .build(),
    ))
}

/// Schema of the status a transition asks an application for: every status but those the
/// checklist alone reaches (`ApplicationStatus::is_automatic`).
pub fn requested_application_status() -> RefOr<Schema> {
    use relais_domain::ApplicationStatus;
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                ApplicationStatus::ALL
                    .iter()
                    .filter(|status| !status.is_automatic())
                    .map(|status| status.code()),
            ))
            .description(Some(
                "A code of the `application_status` list, but `preparing` and `complete`, which \
                 the documents checklist alone reaches.",
            ))
            .build(),
    ))
}

/// An agent id, or `none` (the cases without referent).
pub fn referent_filter() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(
                "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
            ))
            .examples(["none"])
            .build(),
    ))
}

/// Declares a type that is one constant string in JSON and in the document (`enum` of one
/// value): the `kind` or `type` that tells the variants of a typed `oneOf` apart.
macro_rules! constant_code {
    ($(#[$meta:meta])* $name:ident = $code:expr) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name;

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($code)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = String::deserialize(d)?;
                if code == $code {
                    Ok(Self)
                } else {
                    Err(serde::de::Error::custom(format!("not a {} event", $code)))
                }
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
                    utoipa::openapi::schema::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String)
                        .enum_values(Some([$code]))
                        .build(),
                ))
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use constant_code;

/// The characters of a printed line: not blank, no control character (`char::is_control`:
/// U+0000 to U+001F and U+007F to U+009F).
pub const PRINTED_LINE: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// An address as lines (a letter's recipient, the organisation's street lines): at most
/// `max_lines` items, each 1 to `max_chars` characters, not blank.
pub fn printed_lines(max_lines: usize, max_chars: usize, description: &str) -> RefOr<Schema> {
    RefOr::T(Schema::Array(
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(max_chars))
                    .pattern(Some(PRINTED_LINE)),
            )
            .max_items(Some(max_lines))
            .description(Some(description))
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    use relais_domain::nir::{Nir, NirError};

    /// `number` (13 characters) with its key (`00` when it is not a number).
    fn with_key(number: &str) -> String {
        let digits: String = number.replace("2A", "19").replace("2B", "18");
        let key = digits.parse::<u64>().map_or(0, |n| 97 - n % 97);
        format!("{number}{key:02}")
    }

    #[test]
    fn the_nir_pattern_accepts_what_parses_and_refuses_the_rest_but_the_key() {
        let pattern = regex::Regex::new(&super::nir_pattern()).expect("a regex");
        let mut inputs: Vec<String> = Vec::new();
        for sex in ["1", "2", "3", "5", "9"] {
            for month in ["00", "01", "12", "13", "20", "42", "43", "49", "50", "99"] {
                for department in ["69", "2A", "2b", "2C", "A1", "97"] {
                    let number = format!("{sex}85{month}{department}006084");
                    let keyed = with_key(&number.to_uppercase());
                    inputs.push(keyed.clone());
                    let spaced = format!(
                        "{} {} {} {} {} {} {}",
                        &keyed[0..1],
                        &keyed[1..3],
                        &keyed[3..5],
                        &keyed[5..7],
                        &keyed[7..10],
                        &keyed[10..13],
                        &keyed[13..15]
                    );
                    inputs.push(spaced.replace(' ', "\u{a0}"));
                    inputs.push(keyed.to_lowercase());
                    inputs.push(spaced);
                }
            }
        }
        inputs.extend(
            [
                "",
                "1",
                "18505690060849",
                "1850569006084911",
                "1 85 05 69 006 084 9x",
                "1-85",
            ]
            .map(str::to_owned),
        );
        for input in &inputs {
            let parsed = Nir::parse(input);
            let fits = pattern.is_match(input) && input.chars().count() <= 30;
            assert_eq!(fits, parsed.is_ok(), "{input:?}: {parsed:?}");
        }
        // A number of the right shape with a wrong key fits the pattern: the key is the
        // server's to check.
        let wrong_key = "185056900608400";
        assert!(pattern.is_match(wrong_key));
        assert_eq!(Nir::parse(wrong_key), Err(NirError::WrongKey));
    }

    #[test]
    fn the_siret_pattern_accepts_what_parses_and_refuses_the_rest_but_the_check_digit() {
        use relais_domain::partner::{Siret, SiretError};
        use utoipa::openapi::{RefOr, Schema};
        let RefOr::T(Schema::Object(schema)) = super::siret_nullable() else {
            panic!("an object schema");
        };
        let pattern =
            regex::Regex::new(schema.pattern.as_deref().expect("a pattern")).expect("a regex");
        let inputs = [
            "53408366500016",
            "534 083 665 00016",
            "534\u{a0}083\u{a0}665\u{a0}00016",
            "5340836650001",
            "534083665000166",
            "5340836650001A",
            "5 3 4 0 8 3 6 6 5 0 0 0 1 6",
            "",
        ];
        for input in inputs {
            let parsed = Siret::parse(input);
            let fits = pattern.is_match(input) && input.chars().count() <= 20;
            assert_eq!(fits, parsed.is_ok(), "{input:?}: {parsed:?}");
        }
        assert!(pattern.is_match("53408366500017"));
        assert_eq!(Siret::parse("53408366500017"), Err(SiretError::WrongKey));
    }

    #[test]
    fn the_filename_pattern_accepts_what_a_pdf_may_be_named() {
        use relais_domain::document::{DocumentType, check_filename};
        use utoipa::openapi::{RefOr, Schema};
        let RefOr::T(Schema::Object(schema)) = super::filename() else {
            panic!("an object schema");
        };
        let pattern =
            regex::Regex::new(schema.pattern.as_deref().expect("a pattern")).expect("a regex");
        for name in [
            "courrier.pdf",
            "Courrier d'orientation.PDF",
            " x.pdf ",
            ".pdf",
            "../courrier.pdf",
            "a\\b.pdf",
            "a\u{200b}.pdf",
            "a\tb.pdf",
            "courrier.txt",
            "courrier",
            "   ",
        ] {
            assert_eq!(
                pattern.is_match(name),
                check_filename(name, DocumentType::Pdf).is_ok(),
                "{name:?}"
            );
        }
    }
}
