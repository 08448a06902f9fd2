//! Every limit the server, the dialer's providers and the CLI enforce, in
//! one place, named with the unit last. The domain's and the log's own
//! limits are re-exported from where they are enforced, never copied, and
//! the relations between limits are checked when this compiles. The
//! OpenAPI document states the limits from these constants
//! (`server::openapi`), so the document cannot drift from the code.

use leadline_storage::LogLimits;

pub use leadline_domain::allocation::{
    CONCURRENT_CALLS_LIMIT_MAX, SYSTEM_CONCURRENT_CALLS_DEFAULT, USER_CONCURRENT_CALLS_DEFAULT,
};
pub use leadline_domain::campaign::DIAL_DELAY_MS_MAX;
pub use leadline_domain::plans::IMPORT_ROWS_MAX;
pub use leadline_domain::retry::{
    ATTEMPTS_PER_DAY_MAX_LIMIT, DROPPED_RETRY_DELAY_MINUTES_DEFAULT, MAX_ATTEMPTS_DEFAULT,
    MAX_ATTEMPTS_MAX, RETRY_DELAY_MINUTES_DEFAULT, RETRY_DELAY_MINUTES_MAX,
};
pub use leadline_domain::subscription::{
    SUBSCRIPTIONS_PER_OWNER_MAX, WEBHOOK_SECRET_BYTES_MAX, WEBHOOK_URL_BYTES_MAX,
};
pub use leadline_domain::text::{
    ECHO_BYTES_MAX, FIELDS_MAX, FIELD_KEY_BYTES_MAX, FIELD_VALUE_BYTES_MAX, NAME_BYTES_MAX,
    NOTE_BYTES_MAX, REASON_BYTES_MAX,
};
pub use leadline_domain::user::{CONTACTS_PER_USER_MAX, DNC_PER_USER_MAX};
pub use leadline_projections::compliance::table::{
    RULES_FILE_BYTES_MAX, RULES_FILE_ROWS_MAX, RULE_HOLD_HOURS_MAX, RULE_ID_BYTES_MAX,
    RULE_NAME_BYTES_MAX, RULE_SOURCE_BYTES_MAX, RULE_ZONES_MAX,
};
pub use leadline_projections::compliance::{
    COMPLIANCE_PROBLEMS_LISTED_MAX, COMPLIANCE_READ_PAGE_EVENTS, COMPLIANCE_VIOLATIONS_LISTED_MAX,
};

/// The event log's limits (events and bytes per append, page sizes …).
/// They are runtime values, so their relations to the limits here are
/// checked by tests rather than by the compiler.
pub fn log_limits() -> LogLimits {
    LogLimits::default()
}

// --- HTTP ---

/// Bytes of a JSON request body.
pub const JSON_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Bytes of a CSV upload.
pub const CSV_BODY_BYTES_MAX: usize = 256 * 1024 * 1024;
/// Rows of one lead upload (CSV or JSON).
pub const UPLOAD_ROWS_MAX: usize = 1_000_000;
/// Invalid rows listed in an import report (all are counted).
pub const INVALID_ROWS_LISTED_MAX: usize = 1_000;
/// Leads imported per atomic append; an upload is validated whole first,
/// then written in batches of this size.
pub const IMPORT_BATCH_ROWS_MAX: usize = 5_000;
/// Chunks of a CSV body queued for the parser: the body streams through
/// in bounded memory.
pub const CSV_CHUNKS_QUEUED_MAX: usize = 16;
/// Items in one page of a list.
pub const PAGE_ITEMS_MAX: usize = 1_000;
/// Items in a page when the client gives no limit.
pub const PAGE_ITEMS_DEFAULT: usize = 100;
/// Leads listed by the hopper endpoint.
pub const HOPPER_LIST_MAX: usize = 1_000;
/// Leads a campaign's eligibility counts per read of the read models, so
/// that a large campaign does not hold back the log's followers.
pub const ELIGIBILITY_CHUNK_LEADS: usize = 4_096;
/// Leads of a CSV export read per read of the read models and sent as one
/// chunk: a large campaign downloads in constant memory and does not hold
/// back the log's followers.
pub const EXPORT_CHUNK_LEADS: usize = 2_000;
/// Calls of a CSV export read per read of the read models and sent as one
/// chunk.
pub const EXPORT_CHUNK_CALLS: usize = 4_000;
/// The campaign-name part of an export's file name.
pub const EXPORT_FILENAME_SLUG_BYTES_MAX: usize = 60;
/// A forecast's request body.
pub const FORECAST_BODY_BYTES_MAX: usize = 4 * 1024;
/// Forecasts computed at once; more wait their turn.
pub const FORECASTS_CONCURRENT_MAX: usize = 1;
/// How far ahead a forecast runs the dialer before saying the campaign
/// does not finish.
pub const FORECAST_HORIZON_DAYS: i64 = 60;
/// Rounds of the dialer a forecast runs at most.
pub const FORECAST_DIALER_STEPS_MAX: usize = 2_000_000;
/// The forecast's dialer wakes at least this often without a known reason.
pub const FORECAST_IDLE_WAKE_MS: u64 = 15 * 60 * 1000;
/// Ended calls of its own a campaign needs before a forecast uses their
/// outcome rates and lengths.
pub const FORECAST_HISTORY_CALLS_MIN: u64 = 50;
/// The longest call a forecast request may ask for.
pub const FORECAST_CALL_SECONDS_MAX: u32 = 24 * 60 * 60;
/// Buckets in one answer of a campaign's timeline (a day of minutes, two
/// months of hours, about four years of days).
pub const TIMELINE_BUCKETS_MAX: usize = 1_440;
/// Compliance reports made at once; more wait their turn (a report reads
/// and verifies the whole log).
pub const COMPLIANCE_REPORTS_CONCURRENT_MAX: usize = 2;
/// Bytes of the body of `POST /campaigns/{id}/compliance`: a rules file.
pub const COMPLIANCE_BODY_BYTES_MAX: usize = RULES_FILE_BYTES_MAX;
/// Events in one page of the log (also the page size when none is given).
pub const EVENTS_PAGE_MAX: usize = 1_000;
/// A request body is given this long before its pace is checked.
pub const BODY_GRACE_MS: u64 = 10_000;
/// After the grace, a request body must have kept up with this rate.
pub const BODY_BYTES_PER_S_MIN: u64 = 1_024;
/// A request body may pause this long at most.
pub const BODY_IDLE_MS_MAX: u64 = 10_000;
/// The highest log position a request may name (`?after=`,
/// `Last-Event-ID`): OpenAPI's int64, which every JSON client can hold.
pub const LOG_POSITION_MAX: u64 = i64::MAX as u64;
/// Contact ids in one campaign creation.
pub const CONTACT_IDS_MAX: usize = 10_000;
/// How long a command keeps deciding again while writers in other
/// processes win the race for its streams (in-process writers queue on
/// the stream locks instead); then it answers 503.
pub const COMMAND_CONFLICT_WAIT_MS: u64 = 10_000;
/// The longest pause between two tries of such a contended command.
pub const COMMAND_CONFLICT_BACKOFF_MS_MAX: u64 = 100;
/// How long a command waits for its events to show in the read models.
pub const VISIBLE_WAIT_MS: u64 = 10_000;
/// The `Retry-After` of a 503 (contended, not yet visible, log unavailable).
pub const UNAVAILABLE_RETRY_AFTER_S: u32 = 1;
/// Open Server-Sent Events streams at once.
pub const SSE_STREAMS_MAX: usize = 256;
/// Open Server-Sent Events streams at once for one API key, so that no
/// one key can take every feed.
pub const SSE_STREAMS_PER_KEY_MAX: usize = 16;
const _: () = assert!(SSE_STREAMS_PER_KEY_MAX <= SSE_STREAMS_MAX);
/// Frames queued for one live-feed client.
pub const SSE_FRAMES_QUEUED_MAX: usize = 64;
/// A comment line keeps idle connections open through proxies, and its
/// write is how a feed whose client went away is noticed (within two
/// heartbeats) and its place given back.
pub const SSE_HEARTBEAT_MS: u64 = 5_000;
/// Bytes of a provider callback body. Retell's `call_ended` carries the
/// whole transcript, so this is well above a form callback's few hundred
/// bytes.
pub const WEBHOOK_BODY_BYTES_MAX: usize = 2 * 1024 * 1024;
/// How long a callback for a call not known yet waits for it: a provider
/// can report before its acceptance of the call has been recorded.
pub const UNKNOWN_CALL_WAIT_MS: u64 = 2_000;

// --- Providers ---

/// Calls waiting for a worker. Far above any concurrent-calls limit, so it
/// fills only when the provider stalls; a call that finds it full is
/// refused (recorded as failed) rather than blocking the dialer.
pub const PLACER_QUEUE_CALLS_MAX: usize = 10_000;
/// The whole of one request to a provider, connect to last byte.
pub const PROVIDER_REQUEST_TIMEOUT_MS: u64 = 15_000;
/// Connecting to a provider.
pub const PROVIDER_CONNECT_TIMEOUT_MS: u64 = 5_000;
/// Bytes of a provider's error text kept in a failed call.
pub const PROVIDER_MESSAGE_BYTES_MAX: usize = 400;
/// A token bucket holds this many seconds of its rate: a short burst is
/// allowed (a campaign's first dials), a sustained rate is not.
pub const RATE_BURST_SECS: u32 = 6;
/// Exotel's documented API rate limit.
pub const EXOTEL_REQUESTS_PER_MIN_MAX: u32 = 200;
/// The shortest callback token (Exotel, Bolna) or webhook secret (Vapi)
/// accepted: it is the only thing authenticating those callbacks.
pub const WEBHOOK_TOKEN_BYTES_MIN: usize = 16;
/// Twilio starts one outbound call per second per account unless raised
/// (its "CPS"); more are queued by Twilio itself. Pacing here keeps
/// Twilio's queue, and so the time from dial to ring, short.
pub const TWILIO_REQUESTS_PER_MIN_MAX: u32 = 60;
/// Retell publishes no request rate for this endpoint that we rely on;
/// a conservative pace, well under its concurrency limits.
pub const RETELL_REQUESTS_PER_MIN_MAX: u32 = 60;
/// Bolna's documented limit for `POST /call`: 500 a minute, shared by
/// every user of the account's organization
/// (bolna.ai/docs/api-reference/rate-limiting).
pub const BOLNA_REQUESTS_PER_MIN_MAX: u32 = 500;
/// Vapi documents no request rate for `POST /call`, only concurrency (10
/// calls at once by default, more bought per line; over it a call is
/// refused); a conservative pace, as for Retell.
pub const VAPI_REQUESTS_PER_MIN_MAX: u32 = 60;
/// A Retell signature older (or newer) than this is refused.
pub const SIGNATURE_AGE_MAX_MS: i64 = 5 * 60 * 1000;

// --- Webhooks out (subscriptions) ---

/// Bytes of the JSON body of `POST /subscriptions`: a URL and a list of
/// event type names.
pub const SUBSCRIPTION_BODY_BYTES_MAX: usize = 64 * 1024;
/// Events in one delivery.
pub const SUBSCRIPTION_BATCH_EVENTS_MAX: usize = 100;
/// Bytes of one delivery's body. A batch stops before the event that
/// would pass this; a single event larger than it is sent alone.
pub const SUBSCRIPTION_BATCH_BYTES_MAX: usize = 1024 * 1024;
/// Log events read per look for a subscription's next batch (those not
/// for it are skipped over).
pub const SUBSCRIPTION_SCAN_EVENTS_MAX: usize = 1_000;
/// Log positions skipped over (no event for the subscription) before its
/// checkpoint is saved without a delivery: an fsync per few events would
/// cost more than reading them again after a crash.
pub const SUBSCRIPTION_SKIP_SAVE_POSITIONS_MIN: u64 = 1_000;
/// The first wait after a failed delivery.
pub const WEBHOOK_RETRY_DELAY_MS_MIN: u64 = 1_000;
/// The longest wait between two tries of a delivery.
pub const WEBHOOK_RETRY_DELAY_MS_MAX: u64 = 10 * 60 * 1000;
/// Resolving a receiver's host name (at creation and before each try).
pub const WEBHOOK_DNS_TIMEOUT_MS: u64 = 5_000;
/// Connecting to a receiver.
pub const WEBHOOK_CONNECT_TIMEOUT_MS: u64 = 5_000;
/// The whole of one delivery, connect to the receiver's last byte.
pub const WEBHOOK_REQUEST_TIMEOUT_MS: u64 = 15_000;
/// Bytes of a receiver's answer read (quoted in `last_error`); the rest
/// is not read.
pub const WEBHOOK_RESPONSE_BYTES_MAX: usize = 4 * 1024;
/// Bytes of a delivery error kept as `last_error`.
pub const WEBHOOK_ERROR_BYTES_MAX: usize = 300;
/// Random bytes in a new subscription's secret (shown as hex).
pub const WEBHOOK_SECRET_RANDOM_BYTES: usize = 32;
/// How long a stopping server waits for deliveries in flight.
pub const WEBHOOK_STOP_WAIT_MS: u64 = 5_000;

// --- CLI ---

/// Answers larger than this are refused: the server's pages are far
/// smaller, so anything bigger is not a Leadline server talking.
pub const ANSWER_BYTES_MAX: u64 = 256 * 1024 * 1024;
/// Longest part of an unexpected answer quoted back in a message.
pub const QUOTED_BYTES_MAX: usize = 300;
/// Leads in the demo's sample campaign.
pub const DEMO_LEADS_MAX: u32 = 10_000;

// --- Relations, checked at compile time ---

const _: () = assert!(PAGE_ITEMS_DEFAULT <= PAGE_ITEMS_MAX);
// An upload is written in batches, each one import decision in the domain.
const _: () = assert!(IMPORT_BATCH_ROWS_MAX <= IMPORT_ROWS_MAX);
const _: () = assert!(IMPORT_BATCH_ROWS_MAX <= UPLOAD_ROWS_MAX);
const _: () = assert!(INVALID_ROWS_LISTED_MAX <= UPLOAD_ROWS_MAX);
// The byte limit must admit the row limit with room for real rows (a
// number, a name, a zone and a few fields), or the row limit is a lie.
const _: () = assert!(UPLOAD_ROWS_MAX * 256 <= CSV_BODY_BYTES_MAX);
// Contacts given at creation are imported as one decision.
const _: () = assert!(CONTACT_IDS_MAX <= IMPORT_ROWS_MAX);
const _: () = assert!(CONTACT_IDS_MAX <= CONTACTS_PER_USER_MAX);
const _: () = assert!(HOPPER_LIST_MAX <= PAGE_ITEMS_MAX);
const _: () = assert!(PROVIDER_CONNECT_TIMEOUT_MS <= PROVIDER_REQUEST_TIMEOUT_MS);
// A callback waiting for its call answers before a provider's own request
// to us would time out, as a command's wait does.
const _: () = assert!(UNKNOWN_CALL_WAIT_MS <= VISIBLE_WAIT_MS);
const _: () = assert!(PROVIDER_MESSAGE_BYTES_MAX <= leadline_domain::text::PROVIDER_TEXT_BYTES_MAX);
const _: () = assert!(SYSTEM_CONCURRENT_CALLS_DEFAULT <= CONCURRENT_CALLS_LIMIT_MAX);
const _: () = assert!(WEBHOOK_RETRY_DELAY_MS_MIN <= WEBHOOK_RETRY_DELAY_MS_MAX);
const _: () = assert!(WEBHOOK_CONNECT_TIMEOUT_MS <= WEBHOOK_REQUEST_TIMEOUT_MS);
const _: () = assert!(SUBSCRIPTION_BATCH_EVENTS_MAX <= SUBSCRIPTION_SCAN_EVENTS_MAX);
const _: () = assert!(SUBSCRIPTION_SCAN_EVENTS_MAX <= EVENTS_PAGE_MAX);
const _: () = assert!(2 * WEBHOOK_SECRET_RANDOM_BYTES + 6 <= WEBHOOK_SECRET_BYTES_MAX);
// A URL at its limit fits the request body.
const _: () = assert!(4 * WEBHOOK_URL_BYTES_MAX <= SUBSCRIPTION_BODY_BYTES_MAX);
const _: () = assert!(SUBSCRIPTION_BODY_BYTES_MAX <= JSON_BODY_BYTES_MAX);
const _: () = assert!(USER_CONCURRENT_CALLS_DEFAULT <= CONCURRENT_CALLS_LIMIT_MAX);
const _: () = assert!(COMPLIANCE_REPORTS_CONCURRENT_MAX >= 1);
const _: () = assert!(COMPLIANCE_BODY_BYTES_MAX <= JSON_BODY_BYTES_MAX);

#[cfg(test)]
mod tests {
    use super::*;

    /// The log's limits are values, not constants: the relations to them
    /// are checked here.
    #[test]
    fn an_import_batch_fits_one_append() {
        let log = log_limits();
        // An imported row is at most two events (imported, then skipped).
        assert!(2 * IMPORT_ROWS_MAX <= log.events_per_append_max);
        assert!(2 * IMPORT_BATCH_ROWS_MAX <= log.events_per_append_max);
        assert!(2 * IMPORT_BATCH_ROWS_MAX <= log.group_events_max);
        assert!(EVENTS_PAGE_MAX <= log.read_events_max);
        assert!(PAGE_ITEMS_MAX <= log.read_events_max);
    }
}
