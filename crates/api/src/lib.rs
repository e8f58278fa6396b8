//! Relais HTTP API: actix-web handlers, authentication, errors and the OpenAPI document.
//!
//! [`build_app`] assembles the application for the server; [`openapi`] gives the document
//! the same routes produce, for the committed copy in `openapi/`.

pub mod auth;
pub mod conditional;
pub mod context;
pub mod conventions;
pub mod cors;
pub mod documents;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod instant;
pub mod language;
pub mod links;
pub mod oauth;
pub mod observability;
pub mod openapi;
pub mod pagination;
pub mod patch;
pub mod printed;
pub mod rate_limit;
pub mod responses;
pub mod routes;
pub mod schema;
pub mod state;
pub mod webhook_target;
pub mod work;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

pub use state::{ApiSettings, AppState};

use crate::error::ApiError;
use crate::routes::{
    agenda, assessment, audit, cases, consents, contacts, health, me, persons, plan, plan_items,
    stats,
};

/// Registers every route (and so every path of the document).
fn with_routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(oauth::jwks::jwks)
        .service(
            scope::scope("/v1")
                .service(me::me)
                .service(routes::agents::update_me)
                .service(me::reference)
                .service(routes::notifications::list)
                .service(routes::notifications::mark_read)
                .service(routes::agents::list)
                .service(routes::agents::read)
                .service(routes::agents::update)
                .service(routes::agents::create_absence)
                .service(routes::agents::list_absences)
                .service(routes::agents::read_absence)
                .service(routes::agents::delete_absence)
                .service(oauth::token::token)
                .service(
                    scope::scope("/persons")
                        .service(persons::search)
                        .service(persons::create)
                        .service(persons::read)
                        .service(persons::update)
                        .service(persons::history)
                        .service(persons::merge::merge)
                        .service(consents::list)
                        .service(consents::create)
                        .service(consents::withdraw)
                        .service(routes::export::export_person)
                        .service(routes::household::read)
                        .service(routes::household::replace)
                        .service(routes::budget::read)
                        .service(routes::budget::replace)
                        .service(routes::restrictions::create)
                        .service(routes::restrictions::list)
                        .service(routes::restrictions::read)
                        .service(routes::restrictions::lift)
                        .service(routes::retention::erase),
                )
                .service(
                    scope::scope("/cases")
                        .service(routes::agents::reassign)
                        .service(cases::opened_today)
                        .service(cases::list)
                        .service(cases::create)
                        .service(cases::read)
                        .service(cases::update)
                        .service(cases::transition)
                        .service(cases::timeline)
                        .service(contacts::list)
                        .service(contacts::create)
                        .service(contacts::read)
                        .service(contacts::update)
                        .service(contacts::record_outcome)
                        .service(assessment::read)
                        .service(assessment::replace)
                        .service(plan_items::create)
                        .service(plan_items::list)
                        .service(plan_items::read)
                        .service(plan_items::update)
                        .service(plan_items::remove)
                        .service(plan::view)
                        .service(plan::create)
                        .service(plan::list)
                        .service(plan::read)
                        .service(plan::decide)
                        .service(plan::observe)
                        .service(plan::document)
                        .service(routes::documents::upload)
                        .service(routes::documents::list)
                        .service(routes::applications::list)
                        .service(routes::applications::create)
                        .service(routes::applications::read)
                        .service(routes::applications::update)
                        .service(routes::applications::transition)
                        .service(routes::applications::add_document)
                        .service(routes::applications::read_document)
                        .service(routes::applications::update_document)
                        .service(routes::applications::read_funding_plan)
                        .service(routes::applications::replace_funding_plan)
                        .service(routes::applications::list_social_reports)
                        .service(routes::applications::read_social_report)
                        .service(routes::applications::social_report_document)
                        .service(routes::applications::add_social_report)
                        .service(routes::schemes::matches::list)
                        .service(routes::liaisons::list)
                        .service(routes::liaisons::create)
                        .service(routes::liaisons::read)
                        .service(routes::liaisons::send)
                        .service(routes::liaisons::answer)
                        .service(routes::liaisons::document)
                        .service(routes::letters::list)
                        .service(routes::letters::create)
                        .service(routes::letters::read)
                        .service(routes::letters::document),
                )
                .service(scope::scope("/imports").service(routes::imports::import_cases))
                .service(contacts::create_group_session)
                .service(routes::documents::read)
                .service(routes::documents::content)
                .service(routes::schemes::list)
                .service(routes::schemes::create)
                .service(routes::schemes::export)
                .service(routes::schemes::import)
                .service(routes::schemes::read)
                .service(routes::schemes::update)
                .service(routes::letter_templates::list)
                .service(routes::letter_templates::create)
                .service(routes::letter_templates::read)
                .service(routes::letter_templates::update)
                .service(routes::partners::list)
                .service(routes::partners::create)
                .service(routes::partners::read)
                .service(routes::partners::update)
                .service(routes::partners::rotate_client_secret)
                .service(routes::partners::rotate_webhook_secret)
                .service(routes::deliveries::list)
                .service(routes::deliveries::redeliver)
                .service(routes::partner_liaisons::list)
                .service(routes::partner_liaisons::read)
                .service(routes::partner_liaisons::document)
                .service(routes::partner_liaisons::acknowledge)
                .service(routes::referrals::create)
                .service(routes::referrals::list)
                .service(routes::referrals::read)
                .service(routes::referrals::decide)
                .service(routes::referrals::attachment)
                .service(agenda::list)
                .service(agenda::feed)
                .service(agenda::rotate_feed_token)
                .service(agenda::revoke_feed_token)
                .service(stats::caseload)
                .service(stats::activity)
                .service(routes::organisation::read_profile)
                .service(routes::organisation::replace_profile)
                .service(routes::organisation::read_logo)
                .service(routes::organisation::replace_logo)
                .service(routes::organisation::delete_logo)
                .service(routes::retention::read_settings)
                .service(routes::retention::replace_settings)
                .service(routes::retention::report)
                .service(routes::events::feed)
                .service(routes::subscriptions::list)
                .service(routes::subscriptions::create)
                .service(routes::subscriptions::read)
                .service(routes::subscriptions::update)
                .service(routes::subscriptions::rotate_secret)
                .service(routes::subscriptions::remove)
                .service(routes::subscriptions::list_deliveries)
                .service(routes::subscriptions::redeliver)
                .service(audit::list),
        )
}

/// The OpenAPI document of this build: its fixed parts, every route's path, and what the
/// operations share ([`openapi::finish`]). It is the one served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    document().clone()
}

/// The same, built once per process: the server's workers and the conventions middleware
/// read it rather than collect the routes again.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::LazyLock<utoipa::openapi::OpenApi> =
        std::sync::LazyLock::new(|| {
            let mut document = with_routes(
                App::new()
                    .into_utoipa_app()
                    .openapi(openapi::ApiDoc::openapi()),
            )
            .split_for_parts()
            .1;
            openapi::finish(&mut document);
            document
        });
    &DOCUMENT
}

async fn no_route(_req: HttpRequest) -> HttpResponse {
    ApiError::NotFound.error_response()
}

/// `/docs` without its slash leads to the Swagger UI.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// The whole application, ready for `HttpServer::new`.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors_origins = state.settings.cors_origins.clone();
    // The routes' registration collects a document again; the one served is `document()`.
    let app = App::new()
        .into_utoipa_app()
        .app_data(web::Data::from(state.metrics.clone()))
        .app_data(state)
        .app_data(web::PathConfig::default().error_handler(extract::path_error));
    with_routes(app)
        .openapi_service(|_| SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi()))
        .route("/docs", web::get().to(docs_redirect))
        .default_service(web::to(no_route))
        .map(|app| {
            // Outermost last: compression sees the finished body (observe rewrites problem
            // bodies), CORS answers preflights before the conventions would refuse OPTIONS, and
            // a client over its budget is refused before anything else is done.
            app.wrap(from_fn(idempotency::idempotency))
                .wrap(from_fn(conventions::conventions))
                .wrap(from_fn(rate_limit::limit))
                .wrap(Condition::new(
                    !cors_origins.is_empty(),
                    cors::middleware(&cors_origins),
                ))
                .wrap(from_fn(observability::observe))
                .wrap(Compress::default())
        })
        .into_app()
}
