//! The organisation's change feed (`GET /v1/events`): what happened to its cases, referrals,
//! liaisons and applications, in order, with a durable cursor, for the systems that poll
//! instead of receiving webhooks.
//!
//! Supervisors and administrators only. Events hold identifiers, codes and dates, never a name
//! or a free text: reading the feed is not audited (reading the records it names is).

mod data;

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use relais_domain::{EventType, Permission};
use relais_store::db::Access;
use relais_store::events::{self as store, Position};
use serde::{Deserialize, Serialize};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use uuid::Uuid;

pub use data::{
    ApplicationDecidedData, CaseAssignedData, CaseOpenedData, CaseStatusChangedData,
    ContactUpcomingData, LiaisonAnsweredData, PlanItemOverdueData, ReferralExpiredData,
    ReferralReceivedData, ReviewDueData,
};

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Query, coded_list};
use crate::pagination::{Cursor, cursor_param, limit_param};
use crate::responses::ReadErrors;

/// Declares [`FeedEvent`] and [`EventWebhook`], one variant per event type: each type's feed
/// item (its `id`, its `cursor`, its `type` — a one-value code, the discriminator —, when it
/// happened and its `data`) and the body of its webhook to the organisation's subscriptions
/// (`type`, `timestamp`, `event_id`, the same `data`).
macro_rules! feed_events {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident($item:ident, $webhook:ident, $type_code:ident = $code:literal) {
            data: $data:ty
        }
    )*) => {
        /// One event of the feed, by `type`: its id, its position, when it happened and what its
        /// `data` holds.
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        #[serde(untagged)]
        #[schema(discriminator(property_name = "type", mapping(
            $(($code = concat!("#/components/schemas/", stringify!($item))),)*
        )))]
        pub enum FeedEvent {
            $($(#[doc = $doc])* $variant($item),)*
        }

        impl FeedEvent {
            /// The feed item of a stored event: its `data` read through its type (a shape the
            /// document does not describe is an internal error, never published).
            fn from_record(event: store::Event) -> Result<Self, ApiError> {
                let cursor = event.position.encode();
                match event.event_type.code() {
                    $($code => Ok(FeedEvent::$variant($item {
                        id: event.id,
                        cursor,
                        r#type: $type_code,
                        occurred_at: event.occurred_at,
                        data: serde_json::from_value(event.data).map_err(|e| {
                            ApiError::internal(std::io::Error::other(format!(
                                "a {} event does not read back: {e}",
                                $code
                            )))
                        })?,
                    })),)*
                    other => Err(ApiError::internal(std::io::Error::other(format!(
                        "the feed has no type for {other} events"
                    )))),
                }
            }
        }

        /// The body of a webhook to one of the organisation's subscriptions, by `type` (the
        /// Standard Webhooks structure `{type, timestamp, data}`, with the event's id): the
        /// event's identifiers, codes and dates, never a name or a free text.
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        #[serde(untagged)]
        #[schema(discriminator(property_name = "type", mapping(
            $(($code = concat!("#/components/schemas/", stringify!($webhook))),)*
        )))]
        pub enum EventWebhook {
            $($(#[doc = $doc])* $variant($webhook),)*
        }

        /// Each event type's webhook: its code, the name of its body's schema, its summary.
        pub const EVENT_WEBHOOKS: &[(&str, &str, &str)] = &[
            $(($code, stringify!($webhook), concat!($($doc, " ",)*)),)*
        ];

        /// The component schemas of the webhooks' bodies.
        pub fn event_webhook_schemas() -> Vec<(String, RefOr<Schema>)> {
            vec![
                ("EventWebhook".to_owned(), EventWebhook::schema()),
                $((stringify!($webhook).to_owned(), $webhook::schema()),)*
            ]
        }

        $(
            crate::schema::constant_code! {
                #[doc = concat!("The `type` of a `", $code, "` event: that text only.")]
                $type_code = $code
            }

            $(#[doc = $doc])*
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            #[serde(deny_unknown_fields)]
            pub struct $item {
                /// The event's id: the same in the feed and in every webhook that reports it.
                pub id: Uuid,
                /// The position just after this event: pass it as `after` to read on from here.
                pub cursor: String,
                #[schema(inline)]
                pub r#type: $type_code,
                pub occurred_at: DateTime<Utc>,
                pub data: $data,
            }

            $(#[doc = $doc])*
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            #[serde(deny_unknown_fields)]
            pub struct $webhook {
                #[schema(inline)]
                pub r#type: $type_code,
                /// When the event happened (its `occurred_at` in the change feed), to the
                /// millisecond.
                pub timestamp: DateTime<Utc>,
                /// The event's id: the same as in the change feed.
                pub event_id: Uuid,
                pub data: $data,
            }
        )*
    };
}

feed_events! {
    /// A case was opened.
    CaseOpened(CaseOpenedFeedEvent, CaseOpenedEventWebhook, CaseOpenedType = "case.opened") { data: CaseOpenedData }
    /// A case got a referent.
    CaseAssigned(CaseAssignedFeedEvent, CaseAssignedEventWebhook, CaseAssignedType = "case.assigned") { data: CaseAssignedData }
    /// A case moved to another status.
    CaseStatusChanged(CaseStatusChangedFeedEvent, CaseStatusChangedEventWebhook, CaseStatusChangedType = "case.status_changed") {
        data: CaseStatusChangedData
    }
    /// A partner posted a referral.
    ReferralReceived(ReferralReceivedFeedEvent, ReferralReceivedEventWebhook, ReferralReceivedType = "referral.received") {
        data: ReferralReceivedData
    }
    /// A referral expired unanswered.
    ReferralExpired(ReferralExpiredFeedEvent, ReferralExpiredEventWebhook, ReferralExpiredType = "referral.expired") {
        data: ReferralExpiredData
    }
    /// A liaison sheet was acknowledged by its destination.
    LiaisonAcknowledged(LiaisonAcknowledgedFeedEvent, LiaisonAcknowledgedEventWebhook, LiaisonAcknowledgedType = "liaison.acknowledged") {
        data: LiaisonAnsweredData
    }
    /// A liaison sheet was declined by its destination.
    LiaisonDeclined(LiaisonDeclinedFeedEvent, LiaisonDeclinedEventWebhook, LiaisonDeclinedType = "liaison.declined") {
        data: LiaisonAnsweredData
    }
    /// An application for aid was decided.
    ApplicationDecided(ApplicationDecidedFeedEvent, ApplicationDecidedEventWebhook, ApplicationDecidedType = "application.decided") {
        data: ApplicationDecidedData
    }
    /// A step of a plan is overdue (the day after its due date).
    PlanItemOverdue(PlanItemOverdueFeedEvent, PlanItemOverdueEventWebhook, PlanItemOverdueType = "plan_item.overdue") {
        data: PlanItemOverdueData
    }
    /// The post-closure review of a case is due.
    ReviewDue(ReviewDueFeedEvent, ReviewDueEventWebhook, ReviewDueType = "review.due") {
        data: ReviewDueData
    }
    /// A planned contact is within 24 hours.
    ContactUpcoming(ContactUpcomingFeedEvent, ContactUpcomingEventWebhook, ContactUpcomingType = "contact.upcoming") {
        data: ContactUpcomingData
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventFeed {
    /// The events after `after`, in feed order.
    pub items: Vec<FeedEvent>,
    /// Where to read on from: the cursor of the last event of the page, or `after` itself when
    /// the page is empty (absent only when the feed is empty from its start). Keep it: it is
    /// durable.
    pub next_cursor: Option<String>,
}

/// Where to read the feed from, and what.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The `cursor` of the last event already read (or a page's `next_cursor`); absent or
    /// empty: from the oldest event kept.
    #[param(pattern = "^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub after: Option<String>,
    /// Only these types, comma-separated (e.g. `case.opened,case.status_changed`).
    #[param(schema_with = crate::schema::event_type_list)]
    pub types: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl FeedParams {
    fn after(&self) -> Result<Option<Position>, ApiError> {
        cursor_param("after", self.after.as_deref())
    }

    fn types(&self) -> Result<Vec<EventType>, ApiError> {
        let mut types: Vec<EventType> = coded_list("types", "event type", self.types.as_deref())?;
        types.sort_by_key(|t| t.code());
        types.dedup();
        Ok(types)
    }

    fn limit(&self) -> Result<u32, ApiError> {
        limit_param(self.limit)
    }
}

/// The organisation's change feed: its events in order, after a cursor.
///
/// Supervisors and administrators only (403 otherwise). The events are those of changes
/// (`case.opened`, `case.assigned`, `case.status_changed`, `referral.received`,
/// `referral.expired`, `liaison.acknowledged`, `liaison.declined`, `application.decided`) and of
/// time (`plan_item.overdue` the day after a step's due date, `review.due` on a review's date,
/// `contact.upcoming` within 24 hours of a planned contact, each written once by the periodic
/// job): identifiers, codes and dates, never a name or a free text; read the record through its
/// endpoint (that read is audited, the feed is not).
///
/// Keep the `next_cursor` of each page and pass it as `after`: the feed never skips nor
/// repeats an event, even when transactions commit in another order than they started. An event
/// shows once every transaction that began before its own has ended, so a long transaction
/// delays the feed by its length. `types` keeps some types only (400 at `types` for an unknown
/// one); a cursor read from a filtered feed continues any other.
#[utoipa::path(
    tag = "events",
    operation_id = "list_events",
    params(FeedParams),
    responses((status = 200, description = "Events after the cursor, in order", body = EventFeed), ReadErrors),
    security(("bearer" = []))
)]
#[get("/events")]
pub async fn feed(ctx: Ctx, params: Query<FeedParams>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::EventFeedRead)?;
    let after = params.after()?;
    let types = params.types()?;
    let limit = params.limit()?;
    let mut work = ctx.work(Access::Read).await?;
    let events = store::feed(&mut work.tx, after, &types, limit).await?;
    let next_cursor = events
        .last()
        .map(|e| e.position)
        .or(after)
        .map(|p| p.encode());
    let items = events
        .into_iter()
        .map(FeedEvent::from_record)
        .collect::<Result<Vec<_>, _>>()?;
    work.commit(HttpResponse::Ok().json(EventFeed { items, next_cursor }))
        .await
}
