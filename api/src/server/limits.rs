//! Every limit the HTTP API enforces, documented in the OpenAPI document.

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
/// Items in one page of a list.
pub const PAGE_ITEMS_MAX: usize = 1_000;
/// Items in a page when the client gives no limit.
pub const PAGE_ITEMS_DEFAULT: usize = 100;
/// Leads listed by the hopper endpoint.
pub const HOPPER_LIST_MAX: usize = 1_000;
/// Events in one page of the log.
pub const EVENTS_PAGE_MAX: usize = 1_000;
/// Contact ids in one campaign creation.
pub const CONTACT_IDS_MAX: usize = 10_000;

/// Open Server-Sent Events streams at once.
pub const SSE_STREAMS_MAX: usize = 256;
