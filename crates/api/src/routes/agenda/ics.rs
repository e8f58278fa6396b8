//! The agenda as an RFC 5545 calendar feed, for calendar applications that subscribe to a URL.
//!
//! The request carries no bearer token: the feed token in the URL is the credential. It is
//! looked up by its hash before any organisation is known, then the agenda is read in the
//! owner's organisation with the owner's scope, exactly as `GET /v1/agenda` would for them.
//!
//! A calendar leaves the secured perimeter (phones, third-party calendar services), so the feed
//! names persons by their first name and last initial only, and links to the case rather than
//! describing it. Each pending item is an all-day event on its due date with a stable UID, so
//! calendars update events in place when an item changes.
//!
//! The content lines are written here (escaping, folding at 75 octets, CRLF) rather than by a
//! crate: the one tried folded multi-byte text right next to spaces, which readers that trim
//! line ends before unfolding (several do) turn into missing spaces in French titles.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get};
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use relais_domain::{Coded, ItemStatus, Party, Permission, Role, Roles, is_overdue};
use relais_store::agenda::{
    self, AgendaContact, AgendaEntry, AgendaEvent, AgendaRange, FEED_TOKEN_CHARS,
};
use relais_store::audit::{self, AuditActor};
use relais_store::db::{self, Access};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{FEED_READ, audit_events, base_url};
use crate::error::ApiError;
use crate::extract::Query;
use crate::observability::RequestId;
use crate::responses::ReadErrors;
use crate::routes::today;
use crate::state::AppState;

/// Days after today the feed covers (overdue items come whatever their date).
pub const FEED_DAYS: u64 = 366;
/// Most events in one feed; the earliest deadlines are kept.
pub const FEED_MAX_EVENTS: u32 = 2000;

/// The feed's credential.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The feed token given by `POST /v1/agenda/feed-token` (also in `GET /v1/me`'s
    /// `agenda_feed_url`).
    #[param(min_length = 43, max_length = 43, pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: Option<String>,
}

fn unknown_token() -> ApiError {
    ApiError::Unauthorized("unknown or revoked agenda feed token".into())
}

/// Whether `token` can be a feed token at all (checked before touching the database).
fn well_formed(token: &str) -> bool {
    token.len() == FEED_TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The caller's agenda as an iCalendar feed (no bearer: the token in the URL is the credential).
///
/// One all-day event per pending item due from today to a year ahead, and per overdue item
/// (its summary starts with « En retard »); one timed event (UTC, one hour) per contact planned
/// from today to a year ahead. Persons appear by first name and last initial only.
/// An unknown or rotated token answers 401.
///
/// The feed token's owner must still be a worker or a supervisor, as their last token said (403
/// otherwise). The events are those `GET /v1/agenda` gives that agent, at most 2000 (the earliest
/// first), sent with `Cache-Control: no-store`. Each read is audited under the owner as a `read` of
/// `agenda.ics`, plus one about each person the feed names.
#[utoipa::path(
    tag = "agenda",
    operation_id = "read_agenda_feed",
    params(FeedParams),
    responses(
        (status = 200, description = "The agenda as an RFC 5545 calendar", content_type = "text/calendar", body = String),
        ReadErrors
    ),
    security(("agenda_feed_token" = []))
)]
#[get("/agenda.ics")]
pub async fn feed(req: HttpRequest, params: Query<FeedParams>) -> Result<HttpResponse, ApiError> {
    let state = AppState::of(&req)?;
    let token = params
        .token
        .as_deref()
        .filter(|t| well_formed(t))
        .ok_or_else(unknown_token)?;
    let owner = agenda::feed_owner(&state.db, token)
        .await?
        .ok_or_else(unknown_token)?;
    // Not a `Work`: without a bearer token there is no `Ctx` (nor any idempotency key); the
    // feed token names the organisation and the agent.
    let mut tx = state.db.tenant(owner.org_id, Access::Read).await?;
    let agent = agenda::feed_agent(&mut tx, owner.agent_id)
        .await?
        .ok_or_else(unknown_token)?;
    // The roles of the agent's last token: one who is no longer a worker or supervisor has no
    // agenda any more.
    let roles: Roles = agent.roles.iter().filter_map(|r| Role::parse(r)).collect();
    if !roles.allows(Permission::CaseReadTeam) {
        return Err(ApiError::Forbidden);
    }
    let today = today();
    let range = AgendaRange {
        from: today,
        to: today
            .checked_add_days(Days::new(FEED_DAYS))
            .unwrap_or(today),
        today,
    };
    let page = agenda::list(&mut tx, owner.agent_id, range, None, FEED_MAX_EVENTS).await?;
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    audit::record(
        &mut tx,
        &AuditActor {
            org_id: owner.org_id,
            agent_id: Some(owner.agent_id),
            subject: &agent.subject,
            request_id: request_id.as_deref(),
        },
        &audit_events(FEED_READ, &page.items),
    )
    .await?;
    db::commit(tx).await?;
    let name = agent.display_name.as_deref().unwrap_or(&agent.subject);
    let body = calendar(name, &base_url(&req), &page.items, today);
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"relais-agenda.ics\"",
        ))
        .body(body))
}

/// Line breaks as one `\n` (escaped as text) and no other control character: a title or a
/// name must not end a content line.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks escaped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in clean(value).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Longest content line, in octets, before the line break (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

/// Where to end the next segment of `rest`, at most `limit` octets in: on a character
/// boundary, and where possible neither just after nor just before a space nor just after a
/// backslash. RFC 5545 allows those breaks, but some readers trim the ends of lines before they
/// unfold them and would lose the space.
fn break_at(rest: &str, limit: usize) -> usize {
    let boundaries = (1..=limit).rev().filter(|&i| rest.is_char_boundary(i));
    let mut fallback = None;
    for i in boundaries {
        fallback.get_or_insert(i);
        let before = rest[..i].chars().next_back();
        let after = rest[i..].chars().next();
        let awkward = before.is_some_and(|c| c.is_whitespace() || c == '\\')
            || after.is_some_and(char::is_whitespace);
        if !awkward {
            return i;
        }
    }
    // A character is at most 4 octets, so a boundary always exists within the limit.
    fallback.unwrap_or(limit)
}

/// Appends one content line, folded at 75 octets (continuations start with a space), ending
/// with CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = LINE_OCTETS;
    while rest.len() > limit {
        let cut = break_at(rest, limit);
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space counts.
        limit = LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

/// How the feed names a person: first name and last initial (« Camille L. »).
pub fn pseudonym(first_name: &str, last_name: &str) -> String {
    let first = first_name.trim();
    match last_name.trim().chars().next() {
        Some(initial) => format!("{first} {}.", initial.to_uppercase()),
        None => first.to_owned(),
    }
}

/// The event's one-line summary.
fn summary(e: &AgendaEntry, overdue: bool) -> String {
    let kind = e.party.kind().label_fr();
    let text = match e.party {
        Party::Worker => format!("{kind} — {}", e.title),
        Party::Person | Party::Partner => format!(
            "{kind} — {} : {}",
            pseudonym(&e.first_name, &e.last_name),
            e.title
        ),
    };
    if overdue {
        format!("En retard — {text}")
    } else {
        text
    }
}

fn date(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

fn push_event(out: &mut String, e: &AgendaEntry, base: &str, today: NaiveDate) {
    let overdue = is_overdue(e.due_on, e.status, today);
    let case_url = clean(&format!("{base}/v1/cases/{}", e.case_id));
    let mut status = format!("Statut : {}", e.status.label_fr());
    if overdue {
        status.push_str(" (en retard)");
    }
    let description = [
        format!("Personne : {}", pseudonym(&e.first_name, &e.last_name)),
        format!("Échéance : {}", e.due_on.format("%d/%m/%Y")),
        status,
        format!("Dossier : {case_url}"),
    ]
    .join("\n");
    let stamp = e.updated_at.format("%Y%m%dT%H%M%SZ").to_string();
    // A blocked step may well miss its date.
    let event_status = match e.status {
        ItemStatus::Blocked => "TENTATIVE",
        _ => "CONFIRMED",
    };
    let lines = [
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@relais", e.item_id),
        format!("DTSTAMP:{stamp}"),
        format!("LAST-MODIFIED:{stamp}"),
        format!("SEQUENCE:{}", e.version.saturating_sub(1).max(0)),
        format!("DTSTART;VALUE=DATE:{}", date(e.due_on)),
        format!(
            "DTEND;VALUE=DATE:{}",
            date(e.due_on.succ_opt().unwrap_or(e.due_on))
        ),
        format!("SUMMARY:{}", text(&summary(e, overdue))),
        format!("DESCRIPTION:{}", text(&description)),
        format!("URL:{case_url}"),
        format!("CATEGORIES:{}", text(e.party.kind().label_fr())),
        "CLASS:CONFIDENTIAL".to_owned(),
        format!("STATUS:{event_status}"),
        // Deadlines do not make the agent busy.
        "TRANSP:TRANSPARENT".to_owned(),
        "END:VEVENT".to_owned(),
    ];
    for line in lines {
        push_line(out, &line);
    }
}

/// How long a planned contact's event lasts: calendars need an end.
const CONTACT_MINUTES: i64 = 60;

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A planned contact: a timed event (UTC) of one hour, which makes the agent busy.
fn push_contact(out: &mut String, c: &AgendaContact, base: &str) {
    let case_url = clean(&format!("{base}/v1/cases/{}", c.case_id));
    let person = pseudonym(&c.first_name, &c.last_name);
    let description = [
        format!("Personne : {person}"),
        format!("Contact prévu : {}", c.kind.label_fr()),
        format!("Dossier : {case_url}"),
    ]
    .join("\n");
    let stamp = utc(c.updated_at);
    let end = c.scheduled_at + Duration::minutes(CONTACT_MINUTES);
    let lines = [
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@relais", c.contact_id),
        format!("DTSTAMP:{stamp}"),
        format!("LAST-MODIFIED:{stamp}"),
        format!("SEQUENCE:{}", c.version.saturating_sub(1).max(0)),
        format!("DTSTART:{}", utc(c.scheduled_at)),
        format!("DTEND:{}", utc(end)),
        format!(
            "SUMMARY:{}",
            text(&format!("{} — {person}", c.kind.label_fr()))
        ),
        format!("DESCRIPTION:{}", text(&description)),
        format!("URL:{case_url}"),
        format!("CATEGORIES:{}", text("Contact")),
        "CLASS:CONFIDENTIAL".to_owned(),
        "STATUS:CONFIRMED".to_owned(),
        "TRANSP:OPAQUE".to_owned(),
        "END:VEVENT".to_owned(),
    ];
    for line in lines {
        push_line(out, &line);
    }
}

/// The whole calendar of `owner`'s agenda entries: deadlines and planned contacts.
pub fn calendar(owner: &str, base: &str, entries: &[AgendaEvent], today: NaiveDate) -> String {
    let name = text(&format!("Relais — agenda de {owner}"));
    let mut out = String::with_capacity(512 + entries.len() * 512);
    for line in [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Relais//Agenda//FR".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("NAME:{name}"),
        format!("X-WR-CALNAME:{name}"),
        // Ask subscribed calendars to refresh hourly.
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H".to_owned(),
        "X-PUBLISHED-TTL:PT1H".to_owned(),
    ] {
        push_line(&mut out, &line);
    }
    for entry in entries {
        match entry {
            AgendaEvent::Deadline(e) => push_event(&mut out, e, base, today),
            AgendaEvent::Contact(c) => push_contact(&mut out, c, base),
        }
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn entry(party: Party, title: &str) -> AgendaEntry {
        AgendaEntry {
            item_id: Uuid::now_v7(),
            case_id: Uuid::now_v7(),
            person_id: Uuid::now_v7(),
            first_name: "Camille".into(),
            last_name: "lefèvre".into(),
            party,
            title: title.into(),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap_or_default(),
            status: ItemStatus::Planned,
            updated_at: Utc::now(),
            version: 1,
        }
    }

    #[test]
    fn a_person_is_named_by_first_name_and_last_initial() {
        assert_eq!(pseudonym("Camille", "lefèvre"), "Camille L.");
        assert_eq!(pseudonym(" Élise ", "Ényé"), "Élise É.");
        assert_eq!(pseudonym("Noé", ""), "Noé");
    }

    #[test]
    fn summaries_name_the_kind_and_for_the_person_their_pseudonym() {
        assert_eq!(
            summary(&entry(Party::Worker, "Appeler la CAF"), false),
            "Intervention — Appeler la CAF"
        );
        assert_eq!(
            summary(&entry(Party::Person, "Déposer le dossier"), false),
            "Préconisation — Camille L. : Déposer le dossier"
        );
        assert_eq!(
            summary(&entry(Party::Worker, "Écrire au bailleur"), true),
            "En retard — Intervention — Écrire au bailleur"
        );
    }

    #[test]
    fn control_characters_cannot_break_a_content_line() {
        assert_eq!(clean("a\r\nb\rc\u{7}d"), "a\nb\ncd");
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let entries = [AgendaEvent::Deadline(entry(
            Party::Worker,
            "t\r\nEND:VCALENDAR",
        ))];
        let ics = calendar("Alice\r\nX-EVIL:1", "http://h", &entries, NaiveDate::MIN);
        let lines: Vec<&str> = ics.split("\r\n").collect();
        assert!(!lines.iter().any(|l| l.starts_with("X-EVIL")));
        assert_eq!(lines.iter().filter(|l| **l == "END:VCALENDAR").count(), 1);
    }

    fn unfold(folded: &str) -> String {
        folded.trim_end_matches("\r\n").replace("\r\n ", "")
    }

    #[test]
    fn long_lines_fold_at_75_octets_on_character_boundaries_away_from_spaces() {
        let base = "SUMMARY:Préconisation — Camille L. : Rassembler les trois dernières \
                    quittances de loyer\\, l'avis d'imposition et l'attestation de la CAF";
        for shift in 0..80 {
            let line = format!("{}{base}{}", "é".repeat(shift % 7), "x".repeat(shift));
            let mut out = String::new();
            push_line(&mut out, &line);
            assert!(out.ends_with("\r\n"));
            let segments: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
            assert!(segments.len() > 1);
            for (n, segment) in segments.iter().enumerate() {
                assert!(segment.len() <= 75, "{segment:?}");
                let body = if n == 0 { *segment } else { &segment[1..] };
                assert!(n == 0 || segment.starts_with(' '));
                assert!(
                    !body.starts_with(' ') && !body.ends_with(' '),
                    "{segment:?}"
                );
                assert!(!body.ends_with('\\'), "{segment:?}");
            }
            assert_eq!(unfold(&out), line);
        }
    }

    #[test]
    fn a_line_of_spaces_still_folds_within_the_limit() {
        let line = format!("DESCRIPTION:{}", " ".repeat(200));
        let mut out = String::new();
        push_line(&mut out, &line);
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(unfold(&out), line);
    }
}
