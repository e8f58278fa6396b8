//! Persons' request and response types, their conversion from the store's records, and the
//! validation shared by a creation and a correction (also used for a person created with a case).

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::need_to_know;
use relais_domain::person::check_representative;
use relais_domain::{
    Civility, Disability, DisabilityRate, DisabilityRecognition, InformedChannel, LegalProtection,
    LegalProtectionKind, MaritalStatus, Nir, PersonView, Representative,
};
use relais_store::Code;
use relais_store::persons::{Known, NirChange, PersonData, PersonRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::patch::{apply, nullable};
use crate::routes::{today, trimmed};

/// A postal address.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub line1: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub line2: Option<String>,
    #[validate(length(max = 20))]
    #[schema(max_length = 20)]
    #[schema(example = "75011")]
    pub postcode: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    #[schema(example = "Paris")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[validate(length(equal = 2))]
    #[schema(min_length = 2, max_length = 2)]
    #[schema(example = "FR")]
    pub country: Option<String>,
}

/// Changes to an address, merged into the current one (RFC 7396: absent keeps, `null` clears).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressPatch {
    #[serde(default, deserialize_with = "nullable")]
    pub line1: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub line2: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub postcode: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub country: Option<Option<String>>,
}

/// Who represents or assists a protected person: a mandataire judiciaire, an association
/// (UDAF, ATMP), a relative. A name or an organisation is required.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeBody {
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "Mme Karine Lefort")]
    pub name: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "UDAF du Rhône")]
    pub organisation: Option<String>,
    #[validate(length(min = 3, max = 30))]
    #[schema(min_length = 3, max_length = 30, example = "04 72 00 00 00")]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
}

/// A legal protection measure and, when known, its representative.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalProtectionBody {
    #[schema(schema_with = crate::schema::legal_protection_kind)]
    pub kind: LegalProtectionKind,
    #[validate(nested)]
    pub representative: Option<RepresentativeBody>,
}

/// What is known of the person's disability (health data: seen and written only by those who
/// see the person's whole record, not reception).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabilityBody {
    /// Whether the MDPH recognised a disability.
    #[schema(schema_with = crate::schema::disability_recognition)]
    pub recognised: DisabilityRecognition,
    /// The rate of incapacity, by band; only with `recognised: yes`.
    #[schema(schema_with = crate::schema::disability_rate_nullable)]
    pub rate: Option<DisabilityRate>,
}

/// Changes to a representative (absent keeps, `null` clears).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RepresentativePatch {
    #[serde(default, deserialize_with = "nullable")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub organisation: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub email: Option<Option<String>>,
}

/// Changes to the protection measure, merged into the current one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalProtectionPatch {
    #[serde(default, deserialize_with = "crate::patch::not_null")]
    pub kind: Option<LegalProtectionKind>,
    #[serde(default, deserialize_with = "nullable")]
    pub representative: Option<Option<RepresentativePatch>>,
}

/// Changes to the disability, merged into the current one.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisabilityPatch {
    #[serde(default, deserialize_with = "crate::patch::not_null")]
    pub recognised: Option<DisabilityRecognition>,
    #[serde(default, deserialize_with = "nullable")]
    pub rate: Option<Option<DisabilityRate>>,
}

/// How and when the person was informed of the processing of their data.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Informed {
    /// When the person was informed; a bare date is the start of that day.
    #[serde(deserialize_with = "crate::instant::timestamp_or_date")]
    #[schema(schema_with = crate::instant::schema)]
    pub at: DateTime<Utc>,
    #[schema(schema_with = crate::schema::informed_channel)]
    pub channel: InformedChannel,
    /// Version of the information notice given.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_length = 1, max_length = 50)]
    #[schema(example = "2026-01")]
    pub notice_version: String,
}

/// A new person.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    #[validate(length(min = 1, max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    #[schema(example = "Éloïse")]
    pub first_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    #[schema(example = "Martin")]
    pub last_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// The NIR (numéro de sécurité sociale), 15 characters with its key; spaces allowed.
    #[schema(schema_with = crate::schema::nir_nullable)]
    pub nir: Option<String>,
    /// The CAF allocataire number.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20)]
    pub caf_number: Option<String>,
    #[schema(schema_with = crate::schema::marital_status_nullable)]
    pub marital_status: Option<MaritalStatus>,
    #[validate(nested)]
    pub address: Option<Address>,
    #[validate(length(min = 3, max = 30))]
    #[schema(min_length = 3, max_length = 30)]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    #[validate(nested)]
    pub informed: Option<Informed>,
    /// How the person is addressed in letters (`mme`, `m`), when they said.
    #[schema(schema_with = crate::schema::civility_nullable)]
    pub civility: Option<Civility>,
    /// A legal protection measure (tutelle, curatelle…) and its representative.
    #[validate(nested)]
    pub legal_protection: Option<LegalProtectionBody>,
    /// What is known of a disability (not for reception: 403).
    pub disability: Option<DisabilityBody>,
    /// `true` to create the person although the organisation has persons with the same names
    /// and birth date (after a 409 `possible_duplicate` whose candidates are other persons).
    #[serde(default)]
    pub confirm_distinct: bool,
}

/// Changes to a person (JSON merge patch: absent keeps, `null` clears).
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "06 12 34 56 78", "address": {"city": "Lyon", "postcode": "69003"}, "email": null}))]
pub struct PersonPatch {
    // Required on a person: may be changed, not cleared (`null` is refused).
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 100))]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub first_name: Option<String>,
    // Required on a person: may be changed, not cleared (`null` is refused).
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 100))]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub birth_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub birth_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::nir_nullable)]
    pub nir: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 20)]
    pub caf_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::marital_status_nullable)]
    pub marital_status: Option<Option<MaritalStatus>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<AddressPatch>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 30)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 254, format = Email)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Informed>)]
    pub informed: Option<Option<Informed>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::civility_nullable)]
    pub civility: Option<Option<Civility>>,
    /// Merged into the current measure (`kind` may change, not be cleared; `representative`
    /// merged field by field); `null` ends the measure's record.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<LegalProtectionBody>)]
    pub legal_protection: Option<Option<LegalProtectionPatch>>,
    /// Merged into the current one; not for reception (403).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DisabilityBody>)]
    pub disability: Option<Option<DisabilityPatch>>,
}

/// A merge-patch field that may be absent but not `null`: a required field cannot be cleared,
/// and silently keeping it would hide the client's mistake.
fn not_null<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    String::deserialize(deserializer).map(Some)
}

/// A person as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Masked (`"2 69 05 ** *** *** 80"`) unless revealed with `reveal=nir` and a reason.
    pub nir: Option<String>,
    /// Whether `nir` is in clear in this response.
    pub nir_revealed: bool,
    pub caf_number: Option<String>,
    #[schema(schema_with = crate::schema::marital_status_nullable)]
    pub marital_status: Option<MaritalStatus>,
    pub address: Option<Address>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub informed: Option<InformedView>,
    #[schema(schema_with = crate::schema::civility_nullable)]
    pub civility: Option<Civility>,
    pub legal_protection: Option<LegalProtectionBody>,
    /// Null when not known, and always for reception (health data).
    pub disability: Option<DisabilityBody>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The version, also sent as the `ETag`.
    pub version: i32,
    /// Always `false`: the record itself (see `PersonSearchView`).
    #[schema(schema_with = crate::schema::must_be_false)]
    pub restricted: bool,
    /// Whether the person was anonymised (the retention purge, or an erasure): the names read
    /// `Personne anonymisée`, the birth date keeps its year, identifiers and contact details
    /// are gone.
    pub anonymised: bool,
    /// Whether a restriction of processing or an objection of the person is active: their data
    /// is kept but not shared (no liaison sent, no referral redirected), and left out of
    /// statistics.
    pub processing_restricted: bool,
}

/// What a worker sees of a person they have no tie to (on the team of none of the person's open
/// cases, and not the creator of a person who has no case yet): enough to recognise the person and
/// not create a duplicate, nothing of the record itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonSearchView {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub known: KnownView,
    /// Always `true`: the record is out of the caller's need to know.
    #[schema(schema_with = crate::schema::must_be_true)]
    pub restricted: bool,
}

/// What is known of a person whose record is out of reach.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnownView {
    /// Whether a case of the person is open (neither closed nor archived).
    pub open_case: bool,
    /// The display name of that case's referent, if it has one: whom to ask.
    #[schema(example = "Claire Martin")]
    pub referent_name: Option<String>,
}

impl From<Known> for KnownView {
    fn from(known: Known) -> Self {
        Self {
            open_case: known.open_case,
            referent_name: known.referent_name,
        }
    }
}

/// A person as the caller may see them: the record (`restricted: false`), or the minimal search
/// view (`restricted: true`) when the record is out of the caller's need to know.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SeenPerson {
    Record(Box<Person>),
    Restricted(PersonSearchView),
}

impl SeenPerson {
    /// `record` as a caller with `view` of it sees it, the NIR masked.
    pub(crate) fn of(record: PersonRecord, view: PersonView, known: Known) -> Self {
        match view {
            PersonView::Full | PersonView::Reception => {
                SeenPerson::Record(Box::new(Person::build(record, None, view)))
            }
            PersonView::Search => SeenPerson::Restricted(PersonSearchView {
                id: record.id,
                first_name: record.first_name,
                last_name: record.last_name,
                birth_name: record.birth_name,
                birth_date: record.birth_date,
                known: known.into(),
                restricted: true,
            }),
        }
    }
}

/// How the person was informed, as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct InformedView {
    pub at: DateTime<Utc>,
    #[schema(schema_with = crate::schema::informed_channel)]
    pub channel: InformedChannel,
    pub notice_version: Option<String>,
}

impl Person {
    /// The whole record, the NIR masked.
    pub(crate) fn masked(record: PersonRecord) -> Self {
        Self::build(record, None, PersonView::Full)
    }

    /// The record as a caller with `view` of it sees it (`Full` or `Reception`), the NIR in clear
    /// when `revealed`.
    pub(crate) fn build(r: PersonRecord, revealed: Option<Nir>, view: PersonView) -> Self {
        let legal_protection = r.legal_protection().map(|p| LegalProtectionBody {
            kind: p.kind,
            representative: p.representative.map(|r| RepresentativeBody {
                name: r.name,
                organisation: r.organisation,
                phone: r.phone,
                email: r.email,
            }),
        });
        let disability = r
            .disability()
            .filter(|_| need_to_know::sees_health(view))
            .map(|d| DisabilityBody {
                recognised: d.recognised,
                rate: d.rate,
            });
        let has_address = [
            &r.address_line1,
            &r.address_line2,
            &r.address_postcode,
            &r.address_city,
            &r.address_country,
        ]
        .iter()
        .any(|f| f.is_some());
        let informed = match (r.informed_at, r.informed_channel) {
            (Some(at), Some(channel)) => Some(InformedView {
                at,
                channel: channel.into_inner(),
                notice_version: r.informed_notice_version,
            }),
            _ => None,
        };
        Self {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            birth_name: r.birth_name,
            birth_date: r.birth_date,
            nir_revealed: revealed.is_some(),
            nir: revealed.map(|n| n.as_str().to_owned()).or(r.nir_masked),
            caf_number: r.caf_number,
            marital_status: r.marital_status.map(Code::into_inner),
            address: has_address.then_some(Address {
                line1: r.address_line1,
                line2: r.address_line2,
                postcode: r.address_postcode,
                city: r.address_city,
                country: r.address_country,
            }),
            phone: r.phone,
            email: r.email,
            informed,
            civility: r.civility.map(Code::into_inner),
            legal_protection,
            disability,
            last_contact_at: r.last_contact_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            restricted: false,
            anonymised: r.anonymised_at.is_some(),
            processing_restricted: r.processing_restricted,
        }
    }
}

/// A page of persons.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonList {
    /// Each person as the caller may see them.
    pub items: Vec<SeenPerson>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn parse_nir(value: &str, pointer: &str) -> Result<Nir, ApiError> {
    Nir::parse(value).map_err(|e| ApiError::refused_at(pointer, &e))
}

fn check_birth_date(date: Option<NaiveDate>, pointer: &str, errors: &mut Vec<FieldError>) {
    if let Some(date) = date {
        let today = today();
        let oldest = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap_or(NaiveDate::MIN);
        if date > today || date < oldest {
            errors.push(FieldError::body(
                pointer,
                "out_of_range",
                "the birth date must be in the past, after 1890",
            ));
        }
    }
}

fn check_informed(informed: Option<&Informed>, pointer: &str, errors: &mut Vec<FieldError>) {
    if let Some(informed) = informed
        && !relais_domain::clock::has_happened(informed.at, Utc::now())
    {
        errors.push(FieldError::body(
            pointer,
            "out_of_range",
            "the information date cannot be in the future",
        ));
    }
}

/// Names made only of spaces pass a length check but say nothing: refuse them.
fn check_not_blank(value: Option<&String>, pointer: &str, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| !v.is_empty() && v.trim().is_empty()) {
        errors.push(FieldError::body(pointer, "blank", "must not be blank"));
    }
}

/// Converts a validated request into the store's data; `prefix` is the pointer of the person
/// in the request (`""` here, `"/person"` inside a new case).
pub(crate) fn person_data(input: &NewPerson, prefix: &str) -> Result<PersonData, ApiError> {
    let mut errors = Vec::new();
    check_birth_date(
        input.birth_date,
        &format!("{prefix}/birth_date"),
        &mut errors,
    );
    check_informed(
        input.informed.as_ref(),
        &format!("{prefix}/informed/at"),
        &mut errors,
    );
    for (field, value) in [
        ("first_name", Some(&input.first_name)),
        ("last_name", Some(&input.last_name)),
        ("birth_name", input.birth_name.as_ref()),
    ] {
        check_not_blank(value, &format!("{prefix}/{field}"), &mut errors);
    }
    let legal_protection = legal_protection(
        input.legal_protection.as_ref(),
        &format!("{prefix}/legal_protection"),
        &mut errors,
    );
    let disability = disability(
        input.disability,
        &format!("{prefix}/disability"),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let nir = match input.nir.as_deref() {
        Some(value) => NirChange::Set(parse_nir(value, &format!("{prefix}/nir"))?),
        None => NirChange::Keep,
    };
    let address = input.address.clone().unwrap_or_default();
    Ok(PersonData {
        first_name: input.first_name.trim().to_owned(),
        last_name: input.last_name.trim().to_owned(),
        birth_name: input.birth_name.as_deref().map(|s| s.trim().to_owned()),
        birth_date: input.birth_date,
        nir,
        caf_number: input.caf_number.clone(),
        marital_status: input.marital_status,
        address_line1: address.line1,
        address_line2: address.line2,
        address_postcode: address.postcode,
        address_city: address.city,
        address_country: address.country.map(|c| c.to_ascii_uppercase()),
        phone: input.phone.clone(),
        email: input.email.clone(),
        informed_at: input.informed.as_ref().map(|i| i.at),
        informed_channel: input.informed.as_ref().map(|i| i.channel),
        informed_notice_version: input.informed.as_ref().map(|i| i.notice_version.clone()),
        civility: input.civility,
        legal_protection,
        disability,
    })
}

/// The measure as the domain has it, its representative's texts trimmed (blank is absent).
fn legal_protection(
    input: Option<&LegalProtectionBody>,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Option<LegalProtection> {
    let input = input?;
    let representative = input.representative.as_ref().and_then(|r| {
        let r = Representative {
            name: trimmed(r.name.as_deref()),
            organisation: trimmed(r.organisation.as_deref()),
            phone: trimmed(r.phone.as_deref()),
            email: trimmed(r.email.as_deref()),
        };
        if r == Representative::default() {
            return None;
        }
        if let Err(refusal) = check_representative(r.name.as_deref(), r.organisation.as_deref()) {
            errors.push(FieldError::refused(
                format!("{pointer}/representative/name"),
                &refusal,
            ));
        }
        Some(r)
    });
    Some(LegalProtection {
        kind: input.kind,
        representative,
    })
}

/// The disability as the domain accepts it.
fn disability(
    input: Option<DisabilityBody>,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Disability> {
    let input = input?;
    match Disability::new(input.recognised, input.rate) {
        Ok(disability) => Some(disability),
        Err(refusal) => {
            errors.push(FieldError::refused(format!("{pointer}/rate"), &refusal));
            None
        }
    }
}

/// Applies a merge patch to the current person and validates the result with exactly the rules
/// of a creation, so a field can never be stored by PATCH in a form POST refuses.
pub(super) fn patched(current: PersonRecord, p: &PersonPatch) -> Result<PersonData, ApiError> {
    let legal_protection = patched_protection(&current, p.legal_protection.as_ref())?;
    let disability = patched_disability(&current, p.disability);
    let address = match &p.address {
        None => Some(Address {
            line1: current.address_line1,
            line2: current.address_line2,
            postcode: current.address_postcode,
            city: current.address_city,
            country: current.address_country,
        }),
        Some(None) => None,
        Some(Some(a)) => Some(Address {
            line1: apply(current.address_line1, a.line1.clone()),
            line2: apply(current.address_line2, a.line2.clone()),
            postcode: apply(current.address_postcode, a.postcode.clone()),
            city: apply(current.address_city, a.city.clone()),
            country: apply(current.address_country, a.country.clone()),
        }),
    };
    // An `informed` the patch does not touch is kept as stored and not checked again: a person
    // created by accepting a referral was informed by the partner, with no notice version of
    // this organisation, which a client must otherwise give.
    let kept_informed = p.informed.is_none().then(|| {
        (
            current.informed_at,
            current.informed_channel.map(Code::into_inner),
            current.informed_notice_version.clone(),
        )
    });
    let stored_informed = match (current.informed_at, current.informed_channel) {
        (Some(at), Some(Code(channel))) if kept_informed.is_none() => Some(Informed {
            at,
            channel,
            notice_version: current.informed_notice_version.clone().unwrap_or_default(),
        }),
        _ => None,
    };
    let merged = NewPerson {
        first_name: p.first_name.clone().unwrap_or(current.first_name),
        last_name: p.last_name.clone().unwrap_or(current.last_name),
        birth_name: apply(current.birth_name, p.birth_name.clone()),
        birth_date: apply(current.birth_date, p.birth_date),
        // The stored NIR was validated when it was written; only a new one is checked.
        nir: p.nir.clone().flatten(),
        caf_number: apply(current.caf_number, p.caf_number.clone()),
        marital_status: apply(
            current.marital_status.map(Code::into_inner),
            p.marital_status,
        ),
        address: address.filter(|a| {
            [&a.line1, &a.line2, &a.postcode, &a.city, &a.country]
                .iter()
                .any(|f| f.is_some())
        }),
        phone: apply(current.phone, p.phone.clone()),
        email: apply(current.email, p.email.clone()),
        informed: apply(stored_informed, p.informed.clone()),
        civility: apply(current.civility.map(Code::into_inner), p.civility),
        legal_protection,
        disability,
        confirm_distinct: false,
    };
    merged
        .validate()
        .map_err(|e| ApiError::validation(crate::extract::validation_errors(&e)))?;
    let mut data = person_data(&merged, "")?;
    if let Some((at, channel, notice_version)) = kept_informed {
        data.informed_at = at;
        data.informed_channel = channel;
        data.informed_notice_version = notice_version;
    }
    data.nir = match &p.nir {
        None => NirChange::Keep,
        Some(None) => NirChange::Clear,
        Some(Some(_)) => data.nir,
    };
    Ok(data)
}

/// The measure once `change` is merged into the stored one.
fn patched_protection(
    current: &PersonRecord,
    change: Option<&Option<LegalProtectionPatch>>,
) -> Result<Option<LegalProtectionBody>, ApiError> {
    let stored = current.legal_protection();
    let change = match change {
        None => {
            return Ok(stored.map(|p| LegalProtectionBody {
                kind: p.kind,
                representative: p.representative.map(representative_body),
            }));
        }
        Some(None) => return Ok(None),
        Some(Some(change)) => change,
    };
    let kind = change
        .kind
        .or(stored.as_ref().map(|p| p.kind))
        .ok_or_else(|| {
            ApiError::invalid(
                "/legal_protection/kind",
                "required",
                "the person has no measure recorded: give its kind",
            )
        })?;
    let before = stored
        .and_then(|p| p.representative)
        .map(representative_body);
    let representative = match &change.representative {
        None => before,
        Some(None) => None,
        Some(Some(r)) => {
            let b = before.unwrap_or_default();
            Some(RepresentativeBody {
                name: apply(b.name, r.name.clone()),
                organisation: apply(b.organisation, r.organisation.clone()),
                phone: apply(b.phone, r.phone.clone()),
                email: apply(b.email, r.email.clone()),
            })
        }
    };
    Ok(Some(LegalProtectionBody {
        kind,
        representative,
    }))
}

fn representative_body(r: Representative) -> RepresentativeBody {
    RepresentativeBody {
        name: r.name,
        organisation: r.organisation,
        phone: r.phone,
        email: r.email,
    }
}

/// The disability once `change` is merged into the stored one. A new recognition other than
/// `yes` drops a stored rate it no longer allows, unless the patch gives a rate (then refused).
fn patched_disability(
    current: &PersonRecord,
    change: Option<Option<DisabilityPatch>>,
) -> Option<DisabilityBody> {
    let stored = current.disability();
    let change = match change {
        None => {
            return stored.map(|d| DisabilityBody {
                recognised: d.recognised,
                rate: d.rate,
            });
        }
        Some(None) => return None,
        Some(Some(change)) => change,
    };
    let recognised = change
        .recognised
        .or(stored.map(|d| d.recognised))
        .unwrap_or(DisabilityRecognition::Unknown);
    let kept_rate = stored
        .and_then(|d| d.rate)
        .filter(|_| recognised == DisabilityRecognition::Yes);
    Some(DisabilityBody {
        recognised,
        rate: apply(kept_rate, change.rate),
    })
}
