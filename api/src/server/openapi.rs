//! The OpenAPI document, generated from the handlers and their types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes::{admin, calls, campaigns, events, leads, ops, users, webhooks};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Leadline",
        description = "An event-sourced outbound calling engine. Every request under /api/v1 needs `Authorization: Bearer <api key>`. Errors are application/problem+json with status, title and detail.\n\nLimits: JSON bodies 16 MiB; CSV uploads 256 MiB and 1,000,000 rows; pages at most 1,000 items (default 100); events at most 1,000 per page; names 200 bytes; 10,000 contact ids per campaign creation; 256 open live feeds.",
    ),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    paths(
        users::create, users::list, users::me, users::update,
        users::add_contact, users::list_contacts, users::get_contact, users::delete_contact,
        users::add_dnc, users::list_dnc, users::get_dnc, users::remove_dnc,
        campaigns::create, campaigns::list, campaigns::get, campaigns::update, campaigns::archive,
        campaigns::start, campaigns::pause, campaigns::resume, campaigns::cancel,
        campaigns::stats, campaigns::hopper, campaigns::recycle,
        leads::import, leads::list, leads::get, leads::history, leads::disposition,
        calls::list, calls::get,
        events::list, events::stream,
        admin::verify, admin::rebuild,
        ops::healthz, ops::metrics,
        webhooks::receive,
    ),
    tags(
        (name = "campaigns"), (name = "leads"), (name = "calls"), (name = "users"),
        (name = "contacts"), (name = "dnc"), (name = "events"), (name = "admin"), (name = "operations"),
        (name = "webhooks", description = "Provider status callbacks; authenticated by each provider's signature or token, not an API key")
    )
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
