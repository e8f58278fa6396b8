//! Store errors, and the one place where PostgreSQL errors become them.

use relais_domain::TransitionError;

/// What can go wrong in the store, in terms the API can answer with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or belongs to another organisation.
    #[error("not found")]
    NotFound,
    /// The caller's version is not the current one (optimistic concurrency).
    #[error("version mismatch: the record was changed by someone else")]
    VersionMismatch,
    /// A uniqueness or state rule was broken; `code` is stable.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A referenced record (e.g. an agent id) does not exist; `field` names it.
    #[error("{message}")]
    InvalidReference {
        field: &'static str,
        message: String,
    },
    /// A case transition was refused by the lifecycle rules.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The database cannot be reached (pool timeout, connection refused).
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Anything else: a bug or an unexpected database state.
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(err),
            sqlx::Error::Database(db) if is_unavailable_code(db.code().as_deref()) => {
                StoreError::Unavailable(err)
            }
            _ => StoreError::Database(err),
        }
    }
}

/// SQLSTATE classes that mean "the server is going away or not ready", not "your query is wrong".
fn is_unavailable_code(code: Option<&str>) -> bool {
    matches!(code, Some(c) if c.starts_with("08") || c.starts_with("57P"))
}

/// Maps a violation of the named constraint to `mapped`, any other error through `From`.
///
/// ```text
/// insert(...).await.map_err(on_constraint("persons_org_nir_key", || StoreError::Conflict { .. }))
/// ```
pub fn on_constraint(
    name: &'static str,
    mapped: impl FnOnce() -> StoreError,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some(name) => mapped(),
        _ => StoreError::from(err),
    }
}

/// The one row a read by key answered, or [`StoreError::NotFound`].
pub(crate) fn single<T>(mut rows: Vec<T>) -> Result<T, StoreError> {
    rows.pop().ok_or(StoreError::NotFound)
}
