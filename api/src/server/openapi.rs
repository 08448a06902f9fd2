//! The OpenAPI document, generated from the handlers and their types. The
//! limits and defaults it states are written in by [`Limits`] from the
//! constants the code enforces, never typed into an annotation.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

use crate::limits as l;

use super::routes::exports;
use super::routes::timeline;
use super::routes::{
    admin, calls, campaigns, compliance, contacts, dnc, eligibility, events, forecast, leads, ops,
    subscriptions, users, webhooks,
};

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
        description = "An event-sourced outbound calling engine. Every request under /api/v1 needs `Authorization: Bearer <api key>`. Errors are application/problem+json with status, title and detail; an internal error's detail is only a reference (`error_id`) to the server's log.",
    ),
    modifiers(&BearerAuth, &Limits, &Contract),
    security(("api_key" = [])),
    paths(
        users::create, users::list, users::me, users::update,
        users::get_contact_policy, users::put_contact_policy,
        contacts::add_contact, contacts::list_contacts, contacts::get_contact, contacts::delete_contact,
        dnc::add_dnc, dnc::list_dnc, dnc::get_dnc, dnc::remove_dnc,
        campaigns::create, campaigns::list, campaigns::get, campaigns::update, campaigns::archive,
        campaigns::start, campaigns::pause, campaigns::resume, campaigns::cancel,
        campaigns::stats, campaigns::hopper, campaigns::recycle,
        leads::import, leads::list, leads::get, leads::history, leads::disposition,
        eligibility::lead, eligibility::campaign, forecast::campaign,
        timeline::campaign,
        compliance::report, compliance::report_with_rules,
        calls::list, calls::get,
        exports::leads_csv, exports::calls_csv,
        events::list, events::stream,
        subscriptions::create, subscriptions::list, subscriptions::get, subscriptions::delete,
        admin::verify, admin::rebuild,
        ops::healthz, ops::metrics,
        webhooks::receive,
    ),
    tags(
        (name = "campaigns"), (name = "leads"), (name = "calls"), (name = "users"),
        (name = "contacts"), (name = "dnc"), (name = "events"),
        (name = "subscriptions", description = "Webhooks out: your events posted to your own URL, signed with `Leadline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`, at least once, in log order"),
        (name = "admin"), (name = "operations"),
        (name = "webhooks", description = "Provider status callbacks; authenticated by each provider's signature or token, not an API key")
    )
)]
pub struct ApiDoc;

/// What every operation has in common, written in once:
/// - a unique `operationId`, `<method>_<path>` (`post_campaigns_id_start`);
/// - the routes that take no API key (health, metrics, provider callbacks)
///   say so, and every other one documents its 401;
/// - the error answers every operation of a kind can give: 404 with a path
///   id, 400 with query parameters, 400/413/415/422 with a body, 503
///   (`Retry-After`) for a write;
/// - the `Problem` schema, which every error answer has.
struct Contract;

/// Paths that take no API key.
const PUBLIC_PATHS: [&str; 3] = ["/healthz", "/metrics", "/api/v1/webhooks/{provider}"];

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert(
            "Problem".to_owned(),
            <super::error::Problem as utoipa::PartialSchema>::schema(),
        );
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let public = PUBLIC_PATHS.contains(&path.as_str());
            let name: String = path
                .trim_start_matches("/api/v1")
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| s.trim_matches(|c| c == '{' || c == '}'))
                .collect::<Vec<_>>()
                .join("_");
            for (method, operation) in [
                ("get", item.get.as_mut()),
                ("post", item.post.as_mut()),
                ("put", item.put.as_mut()),
                ("patch", item.patch.as_mut()),
                ("delete", item.delete.as_mut()),
            ] {
                let Some(operation) = operation else {
                    continue;
                };
                operation.operation_id = Some(format!("{method}_{name}"));
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let in_path = parameters
                    .iter()
                    .any(|p| p.parameter_in == ParameterIn::Path);
                let in_query = parameters
                    .iter()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                let mut errors: Vec<(&str, &str)> = Vec::new();
                if public {
                    operation.security = Some(Vec::new());
                } else {
                    errors.push(("401", "no API key, or a wrong one"));
                }
                if in_path {
                    errors.push(("404", "no such resource, or another user's"));
                }
                if in_query {
                    errors.push(("400", "a query parameter that cannot be read"));
                }
                if operation.request_body.is_some() {
                    errors.extend([
                        ("400", "a body that cannot be read"),
                        ("413", "a body over its limit"),
                        ("415", "a content type this operation does not take"),
                        ("422", "a value that breaks a rule"),
                    ]);
                }
                if method != "get" {
                    errors.push((
                        "503",
                        "not written this time (the log unavailable, or busy for too long); try again after Retry-After",
                    ));
                }
                for (status, description) in errors {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                }
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// "1,000,000".
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "256 MiB", "64 KiB" or "300 bytes".
fn bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    match n {
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", count(n / MIB)),
        n if n >= 1024 && n % 1024 == 0 => format!("{} KiB", count(n / 1024)),
        n => format!("{} bytes", count(n)),
    }
}

/// Writes the limits into the document: a paragraph of the description,
/// `x-limits` (every limit by name, for tools), and the texts of the
/// operations, parameters and fields they apply to.
struct Limits;

impl Limits {
    fn named() -> Vec<(&'static str, u64)> {
        let n = |v: usize| v as u64;
        let log = l::log_limits();
        vec![
            ("json_body_bytes_max", n(l::JSON_BODY_BYTES_MAX)),
            ("csv_body_bytes_max", n(l::CSV_BODY_BYTES_MAX)),
            ("upload_rows_max", n(l::UPLOAD_ROWS_MAX)),
            ("import_batch_rows_max", n(l::IMPORT_BATCH_ROWS_MAX)),
            ("invalid_rows_listed_max", n(l::INVALID_ROWS_LISTED_MAX)),
            ("page_items_max", n(l::PAGE_ITEMS_MAX)),
            ("page_items_default", n(l::PAGE_ITEMS_DEFAULT)),
            ("hopper_list_max", n(l::HOPPER_LIST_MAX)),
            ("events_page_max", n(l::EVENTS_PAGE_MAX)),
            ("contact_ids_max", n(l::CONTACT_IDS_MAX)),
            ("sse_streams_max", n(l::SSE_STREAMS_MAX)),
            ("sse_streams_per_key_max", n(l::SSE_STREAMS_PER_KEY_MAX)),
            ("webhook_body_bytes_max", n(l::WEBHOOK_BODY_BYTES_MAX)),
            ("name_bytes_max", n(l::NAME_BYTES_MAX)),
            ("reason_bytes_max", n(l::REASON_BYTES_MAX)),
            ("note_bytes_max", n(l::NOTE_BYTES_MAX)),
            ("fields_max", n(l::FIELDS_MAX)),
            ("field_key_bytes_max", n(l::FIELD_KEY_BYTES_MAX)),
            ("field_value_bytes_max", n(l::FIELD_VALUE_BYTES_MAX)),
            ("contacts_per_user_max", n(l::CONTACTS_PER_USER_MAX)),
            ("dnc_per_user_max", n(l::DNC_PER_USER_MAX)),
            (
                "concurrent_calls_limit_max",
                u64::from(l::CONCURRENT_CALLS_LIMIT_MAX),
            ),
            (
                "user_concurrent_calls_default",
                u64::from(l::USER_CONCURRENT_CALLS_DEFAULT),
            ),
            (
                "retry_delay_minutes_default",
                u64::from(l::RETRY_DELAY_MINUTES_DEFAULT),
            ),
            (
                "retry_delay_minutes_max",
                u64::from(l::RETRY_DELAY_MINUTES_MAX),
            ),
            (
                "dropped_retry_delay_minutes_default",
                u64::from(l::DROPPED_RETRY_DELAY_MINUTES_DEFAULT),
            ),
            ("max_attempts_default", u64::from(l::MAX_ATTEMPTS_DEFAULT)),
            ("max_attempts_max", u64::from(l::MAX_ATTEMPTS_MAX)),
            (
                "attempts_per_day_max_limit",
                u64::from(l::ATTEMPTS_PER_DAY_MAX_LIMIT),
            ),
            ("dial_delay_ms_max", u64::from(l::DIAL_DELAY_MS_MAX)),
            (
                "webhook_signature_age_max_ms",
                l::SIGNATURE_AGE_MAX_MS.unsigned_abs(),
            ),
            (
                "subscription_body_bytes_max",
                n(l::SUBSCRIPTION_BODY_BYTES_MAX),
            ),
            (
                "subscriptions_per_owner_max",
                n(l::SUBSCRIPTIONS_PER_OWNER_MAX),
            ),
            ("webhook_url_bytes_max", n(l::WEBHOOK_URL_BYTES_MAX)),
            ("forecast_body_bytes_max", n(l::FORECAST_BODY_BYTES_MAX)),
            (
                "forecast_horizon_days",
                l::FORECAST_HORIZON_DAYS.unsigned_abs(),
            ),
            ("forecast_history_calls_min", l::FORECAST_HISTORY_CALLS_MIN),
            ("timeline_buckets_max", n(l::TIMELINE_BUCKETS_MAX)),
            (
                "subscription_batch_events_max",
                n(l::SUBSCRIPTION_BATCH_EVENTS_MAX),
            ),
            (
                "subscription_batch_bytes_max",
                n(l::SUBSCRIPTION_BATCH_BYTES_MAX),
            ),
            ("webhook_retry_delay_ms_min", l::WEBHOOK_RETRY_DELAY_MS_MIN),
            ("webhook_retry_delay_ms_max", l::WEBHOOK_RETRY_DELAY_MS_MAX),
            ("webhook_connect_timeout_ms", l::WEBHOOK_CONNECT_TIMEOUT_MS),
            ("webhook_request_timeout_ms", l::WEBHOOK_REQUEST_TIMEOUT_MS),
            ("rules_file_bytes_max", n(l::RULES_FILE_BYTES_MAX)),
            ("rules_file_rows_max", n(l::RULES_FILE_ROWS_MAX)),
            (
                "compliance_violations_listed_max",
                n(l::COMPLIANCE_VIOLATIONS_LISTED_MAX),
            ),
            (
                "compliance_reports_concurrent_max",
                n(l::COMPLIANCE_REPORTS_CONCURRENT_MAX),
            ),
            ("log_events_per_append_max", n(log.events_per_append_max)),
            ("log_payload_bytes_max", n(log.payload_bytes_max)),
        ]
    }

    fn paragraph() -> String {
        format!(
            "Limits: JSON bodies {json}; CSV uploads {csv} and {rows} rows; pages at most \
             {page} items (default {page_default}); events at most {events} per page; names \
             {name}; {contacts} contact ids per campaign creation; {feeds} open live feeds; \
             provider callbacks {webhook}. Every limit is also in `x-limits`.",
            json = bytes(l::JSON_BODY_BYTES_MAX),
            csv = bytes(l::CSV_BODY_BYTES_MAX),
            rows = count(l::UPLOAD_ROWS_MAX),
            page = count(l::PAGE_ITEMS_MAX),
            page_default = count(l::PAGE_ITEMS_DEFAULT),
            events = count(l::EVENTS_PAGE_MAX),
            name = bytes(l::NAME_BYTES_MAX),
            contacts = count(l::CONTACT_IDS_MAX),
            feeds = count(l::SSE_STREAMS_MAX),
            webhook = bytes(l::WEBHOOK_BODY_BYTES_MAX),
        )
    }
}

fn append(text: &mut String, more: &str) {
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(more);
}

fn append_opt(text: &mut Option<String>, more: &str) {
    append(text.get_or_insert_with(String::new), more);
}

fn operation<'a>(
    openapi: &'a mut utoipa::openapi::OpenApi,
    path: &str,
    post: bool,
) -> Option<&'a mut Operation> {
    let item = openapi.paths.paths.get_mut(path)?;
    if post {
        item.post.as_mut()
    } else {
        item.get.as_mut()
    }
}

fn describe_limit_param(operation: &mut Operation, text: &str) {
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.name == "limit" && parameter.parameter_in == ParameterIn::Query {
            append_opt(&mut parameter.description, text);
        }
    }
}

fn describe_field(openapi: &mut utoipa::openapi::OpenApi, schema: &str, field: &str, text: &str) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
        return;
    };
    match object.properties.get_mut(field) {
        Some(RefOr::T(Schema::Object(property))) => append_opt(&mut property.description, text),
        Some(RefOr::T(Schema::Array(property))) => append_opt(&mut property.description, text),
        _ => {}
    }
}

/// Sets the bounds of a field from the constants the code enforces.
fn constrain_field(
    openapi: &mut utoipa::openapi::OpenApi,
    schema: &str,
    field: &str,
    constrain: impl Fn(&mut utoipa::openapi::schema::Object),
) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(field) {
        constrain(property);
    }
}

impl Modify for Limits {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for schema in ["NewUser", "UserPatch"] {
            constrain_field(openapi, schema, "concurrent_calls_limit", |p| {
                p.minimum = Some(utoipa::Number::UInt(1));
                p.maximum = Some(utoipa::Number::UInt(
                    usize::try_from(l::CONCURRENT_CALLS_LIMIT_MAX).unwrap_or(usize::MAX),
                ));
            });
        }
        for schema in ["NewUser", "CampaignBody"] {
            constrain_field(openapi, schema, "name", |p| {
                p.min_length = Some(1);
                p.max_length = Some(l::NAME_BYTES_MAX);
            });
        }
        let description = openapi.info.description.get_or_insert_with(String::new);
        description.push_str("\n\n");
        description.push_str(&Self::paragraph());
        let limits: serde_json::Map<String, serde_json::Value> = Self::named()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.into()))
            .collect();
        openapi
            .info
            .extensions
            .get_or_insert_with(Default::default)
            .insert("x-limits".to_owned(), limits.into());

        let pages = format!(
            "Default {}, at most {}.",
            count(l::PAGE_ITEMS_DEFAULT),
            count(l::PAGE_ITEMS_MAX)
        );
        for path in ["/api/v1/calls", "/api/v1/campaigns/{id}/leads"] {
            if let Some(op) = operation(openapi, path, false) {
                describe_limit_param(op, &pages);
            }
        }
        if let Some(op) = operation(openapi, "/api/v1/events", false) {
            let events = format!("Default and maximum {}.", count(l::EVENTS_PAGE_MAX));
            describe_limit_param(op, &events);
        }
        if let Some(op) = operation(openapi, "/api/v1/campaigns/{id}/hopper", false) {
            let hopper = format!(
                "Default {}, at most {}.",
                count(l::PAGE_ITEMS_DEFAULT),
                count(l::HOPPER_LIST_MAX)
            );
            describe_limit_param(op, &hopper);
        }
        if let Some(op) = operation(openapi, "/api/v1/campaigns/{id}/leads", true) {
            if let Some(body) = op.request_body.as_mut() {
                append_opt(
                    &mut body.description,
                    &format!(
                        "(at most {} rows, {}; JSON at most {})",
                        count(l::UPLOAD_ROWS_MAX),
                        bytes(l::CSV_BODY_BYTES_MAX),
                        bytes(l::JSON_BODY_BYTES_MAX)
                    ),
                );
            }
        }
        if let Some(op) = operation(openapi, "/api/v1/subscriptions", true) {
            append_opt(
                &mut op.description,
                &format!(
                    "At most {} subscriptions per user; URLs at most {}; body at most {}. \
                     Deliveries hold at most {} events and {}; a failed delivery is tried \
                     again after {} s, doubling up to {} s, with jitter; a receiver has {} s \
                     to answer.",
                    count(l::SUBSCRIPTIONS_PER_OWNER_MAX),
                    bytes(l::WEBHOOK_URL_BYTES_MAX),
                    bytes(l::SUBSCRIPTION_BODY_BYTES_MAX),
                    count(l::SUBSCRIPTION_BATCH_EVENTS_MAX),
                    bytes(l::SUBSCRIPTION_BATCH_BYTES_MAX),
                    l::WEBHOOK_RETRY_DELAY_MS_MIN / 1000,
                    l::WEBHOOK_RETRY_DELAY_MS_MAX / 1000,
                    l::WEBHOOK_REQUEST_TIMEOUT_MS / 1000,
                ),
            );
        }
        describe_field(
            openapi,
            "RuleReportView",
            "violations",
            &format!(
                "At most {}; `violations_total` counts them all.",
                count(l::COMPLIANCE_VIOLATIONS_LISTED_MAX)
            ),
        );
        let reports = format!(
            "At most {} reports are made at once; the others wait their turn.",
            count(l::COMPLIANCE_REPORTS_CONCURRENT_MAX)
        );
        if let Some(op) = operation(openapi, "/api/v1/campaigns/{id}/compliance", false) {
            append_opt(&mut op.description, &reports);
        }
        if let Some(op) = operation(openapi, "/api/v1/campaigns/{id}/compliance", true) {
            append_opt(&mut op.description, &reports);
            if let Some(body) = op.request_body.as_mut() {
                append_opt(
                    &mut body.description,
                    &format!(
                        "(at most {} and {} rows; ids at most {} bytes, names {} bytes, \
                         sources {} bytes, {} zones a row)",
                        bytes(l::RULES_FILE_BYTES_MAX),
                        count(l::RULES_FILE_ROWS_MAX),
                        l::RULE_ID_BYTES_MAX,
                        l::RULE_NAME_BYTES_MAX,
                        l::RULE_SOURCE_BYTES_MAX,
                        l::RULE_ZONES_MAX
                    ),
                );
            }
        }
        if let Some(op) = operation(openapi, "/api/v1/webhooks/{provider}", true) {
            let body = bytes(l::WEBHOOK_BODY_BYTES_MAX);
            if let Some(request) = op.request_body.as_mut() {
                append_opt(&mut request.description, &format!("(at most {body})"));
            }
            if let Some(RefOr::T(response)) = op.responses.responses.get_mut("413") {
                append(&mut response.description, &format!("({body})"));
            }
            append_opt(
                &mut op.description,
                &format!(
                    "A Retell signature more than {} seconds old is refused.",
                    l::SIGNATURE_AGE_MAX_MS / 1000
                ),
            );
        }
        let defaults = [
            (
                "RetryBody",
                "delay_minutes",
                format!(
                    "Default {}, at most {}.",
                    count(l::RETRY_DELAY_MINUTES_DEFAULT as usize),
                    count(l::RETRY_DELAY_MINUTES_MAX as usize)
                ),
            ),
            (
                "RetryBody",
                "dropped_delay_minutes",
                format!(
                    "Default {}.",
                    count(l::DROPPED_RETRY_DELAY_MINUTES_DEFAULT as usize)
                ),
            ),
            (
                "RetryBody",
                "max_attempts",
                format!(
                    "Default {}, at most {}.",
                    l::MAX_ATTEMPTS_DEFAULT,
                    l::MAX_ATTEMPTS_MAX
                ),
            ),
            (
                "NewUser",
                "concurrent_calls_limit",
                format!(
                    "Default {}, at most {}.",
                    l::USER_CONCURRENT_CALLS_DEFAULT,
                    count(l::CONCURRENT_CALLS_LIMIT_MAX as usize)
                ),
            ),
            (
                "ImportReport",
                "invalid",
                format!("Up to {} listed.", count(l::INVALID_ROWS_LISTED_MAX)),
            ),
        ];
        for (schema, field, text) in &defaults {
            describe_field(openapi, schema, field, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(bytes(256 * 1024 * 1024), "256 MiB");
        assert_eq!(bytes(64 * 1024), "64 KiB");
        assert_eq!(bytes(200), "200 bytes");
    }

    /// The limits in the document come from the constants, and every place
    /// meant to state one does (a renamed schema or field would not).
    #[test]
    fn the_document_states_the_limits_from_the_constants() {
        let doc = serde_json::to_value(document()).expect("the document serializes");
        let description = doc["info"]["description"].as_str().unwrap_or_default();
        assert!(description.contains(&Limits::paragraph()), "{description}");
        assert_eq!(
            doc["info"]["x-limits"]["upload_rows_max"],
            l::UPLOAD_ROWS_MAX as u64
        );
        assert_eq!(
            doc["info"]["x-limits"]["page_items_default"],
            l::PAGE_ITEMS_DEFAULT as u64
        );
        let import = &doc["paths"]["/api/v1/campaigns/{id}/leads"]["post"];
        let body = import["requestBody"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(body.contains(&count(l::UPLOAD_ROWS_MAX)), "{body}");
        let webhook = &doc["paths"]["/api/v1/webhooks/{provider}"]["post"];
        let too_large = webhook["responses"]["413"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            too_large.contains(&bytes(l::WEBHOOK_BODY_BYTES_MAX)),
            "{too_large}"
        );
        for path in [
            "/api/v1/calls",
            "/api/v1/campaigns/{id}/leads",
            "/api/v1/events",
            "/api/v1/campaigns/{id}/hopper",
        ] {
            let parameters = doc["paths"][path]["get"]["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let limit = parameters
                .iter()
                .find(|p| p["name"] == "limit")
                .unwrap_or_else(|| panic!("{path} has a limit"));
            let text = limit["description"].as_str().unwrap_or_default();
            assert!(
                text.contains("at most") || text.contains("maximum"),
                "{path}: {text}"
            );
        }
        let schemas = &doc["components"]["schemas"];
        for (schema, field, value) in [
            ("RetryBody", "delay_minutes", l::RETRY_DELAY_MINUTES_DEFAULT),
            (
                "RetryBody",
                "dropped_delay_minutes",
                l::DROPPED_RETRY_DELAY_MINUTES_DEFAULT,
            ),
            ("RetryBody", "max_attempts", l::MAX_ATTEMPTS_DEFAULT),
            (
                "NewUser",
                "concurrent_calls_limit",
                l::USER_CONCURRENT_CALLS_DEFAULT,
            ),
        ] {
            let text = schemas[schema]["properties"][field]["description"]
                .as_str()
                .unwrap_or_default();
            assert!(
                text.contains(&format!("Default {}", count(value as usize))),
                "{schema}.{field}: {text}"
            );
        }
        let invalid = schemas["ImportReport"]["properties"]["invalid"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            invalid.contains(&count(l::INVALID_ROWS_LISTED_MAX)),
            "{invalid}"
        );
    }

    #[test]
    fn operation_ids_are_unique_and_only_public_routes_skip_the_key() {
        let document = serde_json::to_value(document()).expect("json");
        let mut ids = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("item") {
                let id = operation["operationId"].as_str().expect("operationId");
                ids.push(id.to_owned());
                let public = PUBLIC_PATHS.contains(&path.as_str());
                if public {
                    assert_eq!(
                        operation["security"],
                        serde_json::json!([]),
                        "{method} {path}"
                    );
                } else {
                    assert!(
                        operation["security"].is_null(),
                        "{method} {path}: the default"
                    );
                    assert_eq!(
                        operation["responses"]["401"]["content"]["application/problem+json"]
                            ["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path}"
                    );
                }
            }
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "operationIds repeat: {ids:?}");
        assert!(
            ids.contains(&"post_campaigns_id_start".to_owned()),
            "{ids:?}"
        );
        assert!(ids.contains(&"get_healthz".to_owned()), "{ids:?}");
        assert!(document["components"]["schemas"]["Problem"].is_object());
    }

    #[test]
    fn the_lead_upload_declares_json_and_csv() {
        let document = serde_json::to_value(document()).expect("json");
        let content =
            &document["paths"]["/api/v1/campaigns/{id}/leads"]["post"]["requestBody"]["content"];
        assert!(content["application/json"].is_object(), "{content}");
        assert_eq!(content["text/csv"]["schema"]["type"], "string", "{content}");
    }

    #[test]
    fn each_operation_documents_the_errors_of_its_kind() {
        let document = serde_json::to_value(document()).expect("json");
        let statuses = |path: &str, method: &str| -> Vec<String> {
            document["paths"][path][method]["responses"]
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default()
        };
        let patch = statuses("/api/v1/campaigns/{id}", "patch");
        for status in ["200", "400", "401", "404", "413", "415", "422", "503"] {
            assert!(patch.iter().any(|s| s == status), "{status} in {patch:?}");
        }
        let events = statuses("/api/v1/events", "get");
        assert!(events.iter().any(|s| s == "400"), "{events:?}");
        assert!(!events.iter().any(|s| s == "503"), "{events:?}");
        let health = statuses("/healthz", "get");
        assert!(!health.iter().any(|s| s == "401"), "{health:?}");
    }

    #[test]
    fn bounds_come_from_the_constants() {
        let document = serde_json::to_value(document()).expect("json");
        let schemas = &document["components"]["schemas"];
        for schema in ["NewUser", "UserPatch"] {
            let limit = &schemas[schema]["properties"]["concurrent_calls_limit"];
            assert_eq!(limit["minimum"], 1, "{schema}: {limit}");
            assert_eq!(
                limit["maximum"],
                l::CONCURRENT_CALLS_LIMIT_MAX,
                "{schema}: {limit}"
            );
        }
        for schema in ["NewUser", "CampaignBody"] {
            let name = &schemas[schema]["properties"]["name"];
            assert_eq!(name["minLength"], 1, "{schema}: {name}");
            assert_eq!(name["maxLength"], l::NAME_BYTES_MAX, "{schema}: {name}");
        }
    }
}
