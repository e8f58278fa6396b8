//! The letters of a case (migration 40), stored as sent: written once ([`create`], with the
//! `letter_sent` timeline event, in one statement), never changed or deleted by the
//! application; anonymisation erases their texts with the case's.
//!
//! Callers check that the case is visible (and writable, for a new letter) first; row-level
//! security keeps every query inside the organisation.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::letter::Addressee;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::error::single;
use crate::page::{Page, PageRequest};

/// Who a letter is from, as printed: the case's referent, or its author when the case has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: String,
    /// Their role as documents print it (their job title, or a word agreed with their civility).
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Whom a letter is to, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    /// The address, one line per item (none when unknown).
    pub address: Vec<String>,
}

/// A letter as written: everything its reprint needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLetter<'a> {
    pub template_id: Uuid,
    pub template_name: &'a str,
    pub addressee: Addressee,
    pub subject: &'a str,
    pub body: &'a str,
    /// The values given, by field name, as given (normalised).
    pub values: &'a BTreeMap<String, String>,
    /// The letterhead's text as it is when the letter is sent.
    pub letterhead: &'a SentLetterhead,
    pub sender: &'a Sender,
    /// None for a letter addressed to nobody (an attestation).
    pub recipient: Option<&'a Recipient>,
    pub written_on: NaiveDate,
}

/// The letterhead's text printed on a letter, kept as it was when the letter was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentLetterhead {
    pub name: String,
    /// The postal address, one line each.
    #[serde(default)]
    pub address: Vec<String>,
    /// Phone, e-mail, website.
    #[serde(default)]
    pub contact: Vec<String>,
    /// The city letters are dated from.
    #[serde(default)]
    pub city: Option<String>,
}

/// A letter as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub template_id: Uuid,
    pub template_name: String,
    pub addressee: Addressee,
    pub subject: String,
    pub body: String,
    pub values: BTreeMap<String, String>,
    pub letterhead: SentLetterhead,
    pub sender: Sender,
    pub recipient: Option<Recipient>,
    pub written_on: NaiveDate,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

struct Row {
    id: Uuid,
    case_id: Uuid,
    template_id: Uuid,
    template_name: String,
    addressee: Code<Addressee>,
    subject: String,
    body: String,
    field_values: Json<BTreeMap<String, String>>,
    letterhead: Json<SentLetterhead>,
    sender_name: String,
    sender_role: String,
    sender_email: Option<String>,
    sender_phone: Option<String>,
    recipient_name: Option<String>,
    recipient_address: Option<String>,
    written_on: NaiveDate,
    author_id: Uuid,
    created_at: DateTime<Utc>,
}

impl From<Row> for LetterRecord {
    fn from(r: Row) -> Self {
        LetterRecord {
            id: r.id,
            case_id: r.case_id,
            template_id: r.template_id,
            template_name: r.template_name,
            addressee: r.addressee.into_inner(),
            subject: r.subject,
            body: r.body,
            values: r.field_values.0,
            letterhead: r.letterhead.0,
            sender: Sender {
                name: r.sender_name,
                role: r.sender_role,
                email: r.sender_email,
                phone: r.sender_phone,
            },
            recipient: r.recipient_name.map(|name| Recipient {
                name,
                address: r
                    .recipient_address
                    .as_deref()
                    .map(|a| a.lines().map(str::to_owned).collect())
                    .unwrap_or_default(),
            }),
            written_on: r.written_on,
            author_id: r.author_id,
            created_at: r.created_at,
        }
    }
}

/// Stores a letter of a case as written, with its `letter_sent` timeline event (which names
/// the letter and its template, never its text).
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    author_id: Uuid,
    case_id: Uuid,
    new: &NewLetter<'_>,
) -> Result<LetterRecord, StoreError> {
    let id = Uuid::now_v7();
    let event = serde_json::json!({"letter_id": id, "template_id": new.template_id});
    let values = serde_json::to_value(new.values)
        .unwrap_or_else(|_| serde_json::Value::Object(Default::default()));
    let recipient_address = new
        .recipient
        .map(|r| r.address.join("\n"))
        .filter(|a| !a.is_empty());
    let row = sqlx::query_as!(
        Row,
        r#"
        WITH l AS (
            INSERT INTO letters (id, org_id, case_id, template_id, template_name, addressee,
                                 subject, body, field_values, letterhead, sender_name,
                                 sender_role, sender_email, sender_phone, recipient_name,
                                 recipient_address, written_on, author_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18)
            RETURNING id, case_id, template_id, template_name, addressee, subject, body,
                      field_values, letterhead, sender_name, sender_role, sender_email,
                      sender_phone, recipient_name, recipient_address, written_on, author_id,
                      created_at
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $19, $2, l.case_id, $18, 'letter_sent', $20
            FROM l
        )
        SELECT id AS "id!", case_id AS "case_id!", template_id AS "template_id!",
               template_name AS "template_name!", addressee AS "addressee!: Code<Addressee>",
               subject AS "subject!", body AS "body!",
               field_values AS "field_values!: Json<BTreeMap<String, String>>",
               letterhead AS "letterhead!: Json<SentLetterhead>", sender_name AS "sender_name!",
               sender_role AS "sender_role!", sender_email, sender_phone, recipient_name,
               recipient_address, written_on AS "written_on!", author_id AS "author_id!",
               created_at AS "created_at!"
        FROM l
        "#,
        id,
        org_id,
        case_id,
        new.template_id,
        new.template_name,
        new.addressee.code(),
        new.subject,
        new.body,
        values,
        Json(new.letterhead) as _,
        new.sender.name,
        new.sender.role,
        new.sender.email,
        new.sender.phone,
        new.recipient.map(|r| r.name.as_str()),
        recipient_address,
        new.written_on,
        author_id,
        Uuid::now_v7(),
        event,
    )
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

/// One letter of the case `case_id`.
///
/// # Errors
/// `NotFound` when the case has no such letter.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<LetterRecord, StoreError> {
    single(read(conn, case_id, Some(id), None, 1).await?)
}

/// A page of a case's letters, newest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    case_id: Uuid,
    page: PageRequest,
) -> Result<Page<LetterRecord>, StoreError> {
    let rows = read(conn, case_id, None, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |l| l.id))
}

/// The one read of letters, newest first: a case's, before the letter `before`, at most
/// `limit` of them, or only the letter `id`.
async fn read(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<LetterRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT id, case_id, template_id, template_name,
               addressee AS "addressee: Code<Addressee>", subject, body,
               field_values AS "field_values: Json<BTreeMap<String, String>>",
               letterhead AS "letterhead: Json<SentLetterhead>",
               sender_name, sender_role, sender_email, sender_phone, recipient_name,
               recipient_address, written_on, author_id, created_at
        FROM letters
        WHERE case_id = $1
          AND ($2::uuid IS NULL OR id = $2)
          AND ($3::uuid IS NULL OR id < $3)
        ORDER BY id DESC
        LIMIT $4
        "#,
        case_id,
        id,
        before,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
