//! One request, one unit of work: the transaction every handler that touches tenant data
//! stands on.
//!
//! A handler parses its input, checks the caller's role, then asks its [`Ctx`] for a [`Work`]
//! (`ctx.work(Access::Write)`) or for the case its path names (`ctx.case(id, CaseUse::Plan)`).
//! The work holds the one tenant transaction, the caller resolved without writing, the audit
//! events collected along the way, and the `Idempotency-Key` claimed inside that same
//! transaction. [`Work::commit`] writes the events, stores the response for replay when a key
//! was claimed, and commits: the work, its audit trail and its stored answer land together or
//! not at all, so no key is ever left "in flight".

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::http::header::{self, HeaderMap};
use relais_domain::need_to_know::{self, Denial, PersonPart, PersonView};
use relais_domain::{AuditAction, AuditResource, CaseStatus};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::{self, CaseRecord};
use relais_store::db::{self, Access, Tx};
use relais_store::idempotency::{self, Claim, KeyOwner, StoredResponse};
use relais_store::persons::{self, Known};
use uuid::Uuid;

use crate::context::{Actor, Ctx};
use crate::error::{ApiError, Code, FieldError};

/// The `Idempotency-Key` of a request, fingerprinted by the idempotency layer and claimed by
/// the request's work.
#[derive(Debug, Clone)]
pub struct PendingKey {
    pub owner: KeyOwner,
    /// SHA-256 of the method, the path and query, and the body.
    pub hash: Vec<u8>,
}

/// Set on a response whose key the work already settled (stored, released or replayed), so
/// the idempotency layer leaves it alone.
#[derive(Debug, Clone, Copy)]
pub struct KeySettled;

/// What a request does with the case its path names; each use asks the domain its guard.
#[derive(Debug, Clone, Copy)]
pub enum CaseUse<'a> {
    /// Reads its content: the caller's role must allow reading case content, and an archived
    /// case is read only with this reason, recorded with every audit event of the work.
    Read(Option<&'a str>),
    /// Only sees it, with no guard of its own: what has always been read without the reason an
    /// archived case's other content asks for (its timeline, its liaisons). The handler checks
    /// the caller's role first, before parsing, so that its 403 comes first.
    Visible,
    /// Changes something of it: the case must be writable (not archived).
    Write,
    /// Moves it through its lifecycle, with no guard of its own: the lifecycle itself refuses
    /// what a status forbids (an archived case has no transition), with its own codes.
    Lifecycle,
    /// Changes its plan: the case must be open.
    Plan,
}

impl CaseUse<'_> {
    /// The transaction a use needs: a read, or a change.
    pub fn access(self) -> Access {
        match self {
            CaseUse::Read(_) | CaseUse::Visible => Access::Read,
            CaseUse::Write | CaseUse::Plan | CaseUse::Lifecycle => Access::Write,
        }
    }
}

/// The unit of work of one request: its transaction, its caller, its audit events and its
/// idempotency key. Dropping it without [`Work::commit`] rolls everything back.
pub struct Work {
    /// The tenant transaction; store functions take `&mut work.tx`.
    pub tx: Tx,
    /// Who calls.
    pub actor: Actor,
    events: Vec<NewAuditEvent>,
    /// The audited reason for reading an archived case.
    reason: Option<String>,
    /// The key this work claimed, whose answer it stores at commit.
    key: Option<KeyOwner>,
}

impl Ctx {
    /// Opens the request's unit of work: the tenant transaction, the caller, and the request's
    /// `Idempotency-Key` claimed in it (a retry of a finished request is answered with the
    /// first response instead; the same key with another request is a 422).
    pub async fn work(&self, access: Access) -> Result<Work, ApiError> {
        let (tx, actor) = self.begin(access).await?;
        let mut work = Work {
            tx,
            actor,
            events: Vec::new(),
            reason: None,
            key: None,
        };
        if let Some(pending) = &self.key {
            match idempotency::claim(&mut work.tx, &pending.owner, &pending.hash).await? {
                Claim::New => work.key = Some(pending.owner.clone()),
                Claim::Replay(stored) => return Err(ApiError::Replayed(Box::new(stored))),
                Claim::Mismatch => return Err(key_reused()),
            }
        }
        Ok(work)
    }

    /// Opens the unit of work on the case `id`, loaded once within the caller's scope (404 when
    /// they may not see it), after the guard `use_` asks of the domain.
    pub async fn case(&self, id: Uuid, use_: CaseUse<'_>) -> Result<(Work, CaseRecord), ApiError> {
        let mut work = self.work(use_.access()).await?;
        match work.case(id, use_).await {
            Ok(case) => Ok((work, case)),
            Err(refusal @ (ApiError::NotFound | ApiError::Forbidden)) => Err(work
                .refuse_on_case(refusal, id, AuditResource::Case, id)
                .await),
            Err(err) => Err(err),
        }
    }

    /// Opens the unit of work that reads one of the lists of the case `id` (its contacts, its
    /// documents…: `of`), after the guard `use_`; the read is audited once, about the case's
    /// person.
    pub async fn case_list(
        &self,
        id: Uuid,
        use_: CaseUse<'_>,
        of: AuditResource,
    ) -> Result<(Work, CaseRecord), ApiError> {
        let (mut work, case) = self.case(id, use_).await?;
        work.audit(case_event(&case, AuditAction::Read, of, case.id));
        Ok((work, case))
    }
}

/// What a caller sees of the person a request names: their view (need to know) and what is known
/// of the person without opening the record.
#[derive(Debug, Clone)]
pub struct Seen {
    pub view: PersonView,
    pub known: Known,
}

impl Ctx {
    /// Opens the unit of work on the person `id` for `part` of their record, after need to know
    /// ([`need_to_know::may_use`]): 404 for a person not in the organisation; a refusal of a
    /// person who exists (403 for a part the caller's role never reaches, 404 for a person the
    /// caller has no tie to) is recorded as an `access_denied` of `resource` about the person.
    pub async fn person(
        &self,
        id: Uuid,
        part: PersonPart,
        resource: AuditResource,
    ) -> Result<(Work, Seen), ApiError> {
        let access = match part {
            PersonPart::Read
            | PersonPart::ReadHistory
            | PersonPart::ReadConsents
            | PersonPart::ReadSituation
            | PersonPart::RevealNir => Access::Read,
            // Restrictions are recorded and lifted far more than read: one access for all.
            PersonPart::Correct
            | PersonPart::WriteConsents
            | PersonPart::WriteSituation
            | PersonPart::Restrictions
            | PersonPart::Erase
            | PersonPart::Merge => Access::Write,
        };
        let mut work = self.work(access).await?;
        let Some(sight) = persons::sight(&mut work.tx, id, work.actor.agent_id).await? else {
            // Nobody's record: a caller whose role never reaches it still learns only the 403.
            return Err(
                match need_to_know::may_use(&self.principal.roles, Default::default(), part) {
                    Err(Denial::Forbidden) => ApiError::Forbidden,
                    _ => ApiError::NotFound,
                },
            );
        };
        if let Some(merged_into) = sight.merged_into {
            // A merged duplicate's tombstone: every route under it names the kept record, to
            // whoever the part is open to at all.
            return Err(
                match need_to_know::may_use(&self.principal.roles, Default::default(), part) {
                    Err(Denial::Forbidden) => ApiError::Forbidden,
                    _ => ApiError::PersonMerged { merged_into },
                },
            );
        }
        match need_to_know::may_use(&self.principal.roles, sight.ties, part) {
            Ok(view) => Ok((
                work,
                Seen {
                    view,
                    known: sight.known,
                },
            )),
            Err(denial) => {
                let refusal = match denial {
                    Denial::Forbidden => ApiError::Forbidden,
                    Denial::Hidden => ApiError::NotFound,
                };
                let event = NewAuditEvent::new(AuditAction::AccessDenied, resource, id).about(id);
                Err(work.deny(refusal, event).await)
            }
        }
    }
}

/// An access to `resource_id` (of kind `resource`) within a case: about the case's person.
pub fn case_event(
    case: &CaseRecord,
    action: AuditAction,
    resource: AuditResource,
    resource_id: Uuid,
) -> NewAuditEvent {
    NewAuditEvent::new(action, resource, resource_id).about(case.person_id)
}

/// Shortest and longest reason for reading an archived case, in characters.
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 5..=500;

/// The pattern the document gives `reason`: 5 characters or more from the first to the last
/// that is not a space, and no NUL (see [`given_reason`]).
pub const REASON_PATTERN: &str = r"^\s*[^\s\u0000][^\u0000]{3,}[^\s\u0000]\s*$";

/// A reason given to read (`reason`, a query parameter): at most 500 characters, 5 or more once
/// trimmed (what the document says of it with [`REASON_PATTERN`]), checked whenever it is
/// given. The trimmed reason, or a 400 pointing at the parameter.
pub fn given_reason(reason: Option<&str>) -> Result<Option<&str>, ApiError> {
    match reason {
        Some(given)
            if given.chars().count() > *REASON_CHARS.end()
                || given.trim().chars().count() < *REASON_CHARS.start() =>
        {
            Err(ApiError::bad_query_fr(
                "reason",
                "reason must have 5 to 500 characters, spaces around it aside",
                "reason : de 5 à 500 caractères, espaces autour non compris",
            ))
        }
        given => Ok(given.map(str::trim)),
    }
}

/// The reason given to read a case ([`given_reason`]); an archived case is read only with one,
/// which is audited. The reason to record, or a 400 pointing at the `reason` parameter.
pub fn read_reason(status: CaseStatus, reason: Option<&str>) -> Result<Option<String>, ApiError> {
    let reason = given_reason(reason)?;
    if status.read_needs_reason() && reason.is_none() {
        return Err(ApiError::new(
            Code::ReasonRequired,
            "an archived case is read only with a reason (5 characters or more)",
        )
        .at(FieldError::query(
            "reason",
            "reason_required",
            "give the reason for reading this archived case",
        )));
    }
    Ok(reason.map(str::to_owned))
}

impl Work {
    /// The case `id` within the caller's scope (404 when they may not see it), after the guard
    /// `use_` asks of the domain: for a request whose path names another record of the case
    /// (a document), read first.
    pub async fn case(&mut self, id: Uuid, use_: CaseUse<'_>) -> Result<CaseRecord, ApiError> {
        if matches!(use_, CaseUse::Read(_)) && !self.actor.principal.may_read_case_content() {
            return Err(ApiError::Forbidden);
        }
        let case = self.actor.visible_case(&mut self.tx, id).await?;
        let status = case.status();
        match use_ {
            CaseUse::Read(reason) => self.reason = read_reason(status, reason)?,
            CaseUse::Visible | CaseUse::Lifecycle => {}
            CaseUse::Write => status.writable()?,
            CaseUse::Plan => status.plan_open()?,
        }
        Ok(case)
    }

    /// Refuses a request on `resource_id` (of kind `resource`), a record of the case `case_id`,
    /// with `refusal` (the 403 of a role that never reaches it, the 404 of a case out of the
    /// caller's scope): when the case exists in the organisation, the refusal is recorded as an
    /// `access_denied` about its person ([`Work::deny`]).
    pub async fn refuse_on_case(
        mut self,
        refusal: ApiError,
        case_id: Uuid,
        resource: AuditResource,
        resource_id: Uuid,
    ) -> ApiError {
        match cases::person_of(&mut self.tx, case_id).await {
            Ok(Some(person_id)) => {
                let event = NewAuditEvent::new(AuditAction::AccessDenied, resource, resource_id)
                    .about(person_id);
                self.deny(refusal, event).await
            }
            Ok(None) => refusal,
            Err(err) => err.into(),
        }
    }

    /// The reason given to read an archived case, if one was needed.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// Records an access to personal data, written at commit. An event without a reason of
    /// its own carries the reason the case was read with.
    pub fn audit(&mut self, mut event: NewAuditEvent) {
        if event.reason.is_none() {
            event.reason.clone_from(&self.reason);
        }
        self.events.push(event);
    }

    /// Records several accesses (a list audits each person it shows).
    pub fn audit_all(&mut self, events: impl IntoIterator<Item = NewAuditEvent>) {
        for event in events {
            self.audit(event);
        }
    }

    /// Refuses the request with `refusal` (a 403, or a 404 hiding a record of the organisation
    /// that the caller's need to know does not reach) and records `event` (an `access_denied`)
    /// so that it outlives the refusal: nothing of the work but the event is written (refusals
    /// come before any change), and the request's key is given back, as for any refusal of the
    /// caller. An error writing the event is answered instead.
    pub async fn deny(self, refusal: ApiError, event: NewAuditEvent) -> ApiError {
        let Work {
            mut tx, actor, key, ..
        } = self;
        let recorded = async {
            actor.audit(&mut tx, &[event]).await?;
            if let Some(owner) = &key {
                idempotency::release(&mut tx, owner).await?;
            }
            db::commit(tx).await?;
            Ok::<(), ApiError>(())
        }
        .await;
        match recorded {
            Ok(()) => refusal,
            Err(err) => err,
        }
    }

    /// Ends the work: writes its audit events, stores `response` for replay when the request
    /// claimed a key (or gives the key back when the answer must not be kept), and commits.
    pub async fn commit(self, response: HttpResponse) -> Result<HttpResponse, ApiError> {
        let Work {
            mut tx,
            actor,
            events,
            key,
            ..
        } = self;
        actor.audit(&mut tx, &events).await?;
        let response = match key {
            Some(owner) => settle_key(&mut tx, &owner, response).await?,
            None => response,
        };
        db::commit(tx).await?;
        Ok(response)
    }
}

/// Stores the response of the work that claimed `owner`'s key, or releases the key when the
/// answer must not be replayed; marks the response settled either way.
async fn settle_key(
    tx: &mut Tx,
    owner: &KeyOwner,
    response: HttpResponse,
) -> Result<HttpResponse, ApiError> {
    let (response, stored) = keepable(response);
    match &stored {
        Some(stored) => idempotency::complete(tx, owner, stored).await?,
        None => idempotency::release(tx, owner).await?,
    }
    let mut response = response;
    response.extensions_mut().insert(KeySettled);
    Ok(response)
}

/// Whether an answer may be kept for replay: never a refusal of the caller (401/403: a retry
/// with another token must run), or a server error. An answer marked `no-store` shows a secret
/// once: a success of that kind is kept as its 409 `secret_not_replayed` (with the first
/// answer's `Location`), never with the secret, so that a retry neither sees the secret again
/// nor does the work twice. The response comes back (a kept one with its body read into
/// memory) with what is stored of it, if it is kept.
pub fn keepable(response: HttpResponse) -> (HttpResponse, Option<StoredResponse>) {
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 401 || status.as_u16() == 403 {
        return (response, None);
    }
    if is_no_store(response.headers()) {
        let stored = status
            .is_success()
            .then(|| secret_not_replayed(response.headers()));
        return (response, stored);
    }
    let (head, body) = response.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        // A streamed body is not kept: the retry runs again.
        Err(body) => return (head.set_body(body), None),
    };
    let header_str = |name: header::HeaderName| {
        head.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let stored = StoredResponse {
        status: i16::try_from(status.as_u16()).unwrap_or(500),
        content_type: header_str(header::CONTENT_TYPE),
        location: header_str(header::LOCATION),
        etag: header_str(header::ETAG),
        body: bytes.to_vec(),
    };
    (head.set_body(BoxBody::new(bytes)), Some(stored))
}

/// What a retry of a success that showed a secret is answered: a 409 naming what the first
/// request made.
fn secret_not_replayed(first: &HeaderMap) -> StoredResponse {
    let problem = ApiError::new(
        Code::SecretNotReplayed,
        "the first request with this Idempotency-Key succeeded; its answer showed a secret once \
         and is not replayed: read the resource (Location), or rotate the secret",
    )
    .problem(None, None);
    StoredResponse {
        status: 409,
        content_type: Some(crate::error::PROBLEM_JSON.to_owned()),
        location: first
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        etag: None,
        body: serde_json::to_vec(&problem).unwrap_or_default(),
    }
}

fn is_no_store(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
        })
}

/// The 422 of a key used before with another request.
pub fn key_reused() -> ApiError {
    ApiError::new(
        Code::IdempotencyKeyReused,
        "this Idempotency-Key was used with another request",
    )
    .at(FieldError::header(
        "idempotency-key",
        "reused",
        "use a new key for a new request",
    ))
}

#[cfg(test)]
mod reason_tests {
    use super::{REASON_PATTERN, given_reason};

    #[test]
    fn the_documented_reason_pattern_accepts_exactly_what_is_taken() {
        let pattern = regex::Regex::new(REASON_PATTERN).expect("a regex");
        let long = "x".repeat(500);
        // (A NUL is refused by the query extractor, before any handler.)
        for reason in [
            "Relecture",
            "  abcde ",
            "  ab ",
            "abcd",
            "     ",
            long.as_str(),
        ] {
            assert_eq!(
                pattern.is_match(reason) && reason.chars().count() <= 500,
                given_reason(Some(reason)).is_ok(),
                "{reason:?}"
            );
        }
        // The document gives every `reason` parameter this pattern.
        let document = serde_json::to_value(crate::document()).expect("the document");
        let mut seen = 0;
        for item in document["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("operations").values() {
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if parameter["name"] == "reason" && parameter["in"] == "query" {
                        assert_eq!(parameter["schema"]["pattern"], REASON_PATTERN);
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 5, "{seen}");
    }
}
