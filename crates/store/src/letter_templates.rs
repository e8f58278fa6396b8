//! The organisation's letter templates (migration 40): written by administrators, read by those
//! who write letters, archived rather than deleted.
//!
//! The starter set of the domain (`relais_domain::letter::STARTERS`) is added to an
//! organisation by [`add_starters`]: when it is created (`organisations::create_with`), and at
//! the server's start for every organisation ([`add_starters_everywhere`]). Each starter is
//! added once per organisation (its key is unique there): an archived or renamed starter is
//! never added again. The API checks the templates' texts and fields before they get here.

use chrono::{DateTime, Utc};
use relais_domain::letter::{Addressee, LetterField, STARTERS};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::code::Code;
use crate::db::{self, Access, Db};
use crate::error::{on_constraint, single};
use crate::page::{Page, PageRequest};
use crate::version::{Versioned, stale_or_missing};
use crate::{StoreError, organisations};

/// A letter template as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRecord {
    pub id: Uuid,
    pub name: String,
    pub addressee: Addressee,
    pub subject: String,
    pub body: String,
    pub fields: Vec<LetterField>,
    /// The key of the starter it began as, if it did.
    pub starter: Option<String>,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    /// Null for a starter, added by the service.
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
    pub version: i32,
}

/// What an administrator sets on a template (checked by the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateData {
    pub name: String,
    pub addressee: Addressee,
    pub subject: String,
    pub body: String,
    pub fields: Vec<LetterField>,
    pub archived: bool,
}

struct Row {
    id: Uuid,
    name: String,
    addressee: Code<Addressee>,
    subject: String,
    body: String,
    fields: Json<Vec<LetterField>>,
    starter: Option<String>,
    archived: bool,
    created_at: DateTime<Utc>,
    created_by: Option<Uuid>,
    updated_at: DateTime<Utc>,
    updated_by: Option<Uuid>,
    version: i32,
}

impl From<Row> for TemplateRecord {
    fn from(r: Row) -> Self {
        TemplateRecord {
            id: r.id,
            name: r.name,
            addressee: r.addressee.into_inner(),
            subject: r.subject,
            body: r.body,
            fields: r.fields.0,
            starter: r.starter,
            archived: r.archived,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

fn fields_json(fields: &[LetterField]) -> serde_json::Value {
    serde_json::to_value(fields).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}

fn name_taken() -> StoreError {
    StoreError::Conflict {
        code: "letter_template_name_taken",
        message: "another letter template of the organisation has this name".into(),
    }
}

/// Adds a template to the organisation's.
///
/// # Errors
/// `Conflict` (`letter_template_name_taken`) when the name is already used in the organisation.
#[tracing::instrument(level = "debug", skip(conn, data))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    created_by: Uuid,
    data: &TemplateData,
) -> Result<TemplateRecord, StoreError> {
    let row = sqlx::query_as!(
        Row,
        r#"
        INSERT INTO letter_templates (id, org_id, name, addressee, subject, body, fields,
                                      archived, created_by, updated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
        RETURNING id, name, addressee AS "addressee: Code<Addressee>", subject, body,
                  fields AS "fields: Json<Vec<LetterField>>", starter, archived, created_at,
                  created_by, updated_at, updated_by, version
        "#,
        Uuid::now_v7(),
        org_id,
        data.name,
        data.addressee.code(),
        data.subject,
        data.body,
        fields_json(&data.fields),
        data.archived,
        created_by,
    )
    .fetch_one(conn)
    .await
    .map_err(on_constraint("letter_templates_name_key", name_taken))?;
    Ok(row.into())
}

/// One template of the organisation (archived or not).
///
/// # Errors
/// `NotFound` when it does not exist in the organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<TemplateRecord, StoreError> {
    single(read(conn, Some(id), None, None, 1).await?)
}

/// The organisation's templates, oldest first (the starter set first), only the archived ones
/// or only the others when `archived` says so.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    archived: Option<bool>,
    page: PageRequest,
) -> Result<Page<TemplateRecord>, StoreError> {
    let rows = read(conn, None, archived, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |t| t.id))
}

/// The one read of templates: oldest first, after `after`, at most `limit`, or only `id`.
async fn read(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    archived: Option<bool>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<TemplateRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT id, name, addressee AS "addressee: Code<Addressee>", subject, body,
               fields AS "fields: Json<Vec<LetterField>>", starter, archived, created_at,
               created_by, updated_at, updated_by, version
        FROM letter_templates
        WHERE ($1::uuid IS NULL OR id = $1)
          AND ($2::boolean IS NULL OR archived = $2)
          AND ($3::uuid IS NULL OR id > $3)
        ORDER BY id
        LIMIT $4
        "#,
        id,
        archived,
        after,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Replaces a template's settings at `expected_version`.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on, [`StoreError::NotFound`],
/// `Conflict` (`letter_template_name_taken`).
#[tracing::instrument(level = "debug", skip(conn, data))]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    updated_by: Uuid,
    data: &TemplateData,
) -> Result<TemplateRecord, StoreError> {
    let row = sqlx::query_as!(
        Row,
        r#"
        UPDATE letter_templates
        SET name = $3, addressee = $4, subject = $5, body = $6, fields = $7, archived = $8,
            updated_by = $9, updated_at = now(), version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, name, addressee AS "addressee: Code<Addressee>", subject, body,
                  fields AS "fields: Json<Vec<LetterField>>", starter, archived, created_at,
                  created_by, updated_at, updated_by, version
        "#,
        id,
        expected_version,
        data.name,
        data.addressee.code(),
        data.subject,
        data.body,
        fields_json(&data.fields),
        data.archived,
        updated_by,
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(on_constraint("letter_templates_name_key", name_taken))?;
    match row {
        Some(row) => Ok(row.into()),
        None => Err(stale_or_missing(conn, Versioned::LetterTemplate(id)).await),
    }
}

/// Adds the starter set to the organisation `org_id`, in the tenant transaction `conn` is in:
/// each starter it does not have yet (by key), unless it has a template of the same name.
/// Answers how many were added; running it again adds none.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn add_starters(conn: &mut PgConnection, org_id: Uuid) -> Result<u64, StoreError> {
    let mut ids = Vec::with_capacity(STARTERS.len());
    let mut keys = Vec::with_capacity(STARTERS.len());
    let mut names = Vec::with_capacity(STARTERS.len());
    let mut addressees = Vec::with_capacity(STARTERS.len());
    let mut subjects = Vec::with_capacity(STARTERS.len());
    let mut bodies = Vec::with_capacity(STARTERS.len());
    let mut fields = Vec::with_capacity(STARTERS.len());
    for starter in STARTERS {
        ids.push(Uuid::now_v7());
        keys.push(starter.key.to_owned());
        names.push(starter.name.to_owned());
        addressees.push(starter.addressee.code().to_owned());
        subjects.push(starter.subject.to_owned());
        bodies.push(starter.body.to_owned());
        fields.push(fields_json(&starter.fields()));
    }
    // In the set's order, so that ids (time-ordered) list them as the set lists them. Any
    // conflict (the key, or a name an administrator already gave another template) skips one.
    let added = sqlx::query!(
        r#"
        INSERT INTO letter_templates (id, org_id, starter, name, addressee, subject, body, fields)
        SELECT s.id, $1, s.starter, s.name, s.addressee, s.subject, s.body, s.fields
        FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::jsonb[]) WITH ORDINALITY
             AS s(id, starter, name, addressee, subject, body, fields, n)
        ORDER BY s.n
        ON CONFLICT DO NOTHING
        "#,
        org_id,
        &ids,
        &keys,
        &names,
        &addressees,
        &subjects,
        &bodies,
        &fields,
    )
    .execute(conn)
    .await?;
    Ok(added.rows_affected())
}

/// Adds the starter set to every organisation that lacks some of it (those created before
/// letters existed), each in its own tenant transaction: run at the server's start, after the
/// migrations. Answers how many templates were added in all.
pub async fn add_starters_everywhere(db: &Db) -> Result<u64, StoreError> {
    let orgs = {
        let mut conn = db.pool().acquire().await?;
        organisations::all(&mut conn).await?
    };
    let mut added = 0;
    for org in orgs {
        let mut tx = db.tenant(org.id, Access::Write).await?;
        added += add_starters(&mut tx, org.id).await?;
        db::commit(tx).await?;
    }
    Ok(added)
}
