//! One module per resource.

pub mod access;
pub mod admin;
pub mod calls;
pub mod campaigns;
pub mod compliance;
pub mod contacts;
pub mod dashboard;
pub mod dnc;
pub mod eligibility;
pub mod events;
pub mod exports;
pub mod forecast;
pub mod lead_view;
pub mod leads;
pub mod ops;
pub mod subscriptions;
pub mod timeline;
pub mod users;
pub mod webhooks;

use std::str::FromStr;

use actix_web::web;
use leadline_domain::text::echo;
use serde::Deserialize;

use super::auth::Principal;
use super::error::ApiError;
use crate::write::Cause;

/// Every route under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    contacts::configure(cfg);
    dnc::configure(cfg);
    campaigns::configure(cfg);
    leads::configure(cfg);
    eligibility::configure(cfg);
    forecast::configure(cfg);
    timeline::configure(cfg);
    compliance::configure(cfg);
    calls::configure(cfg);
    events::configure(cfg);
    exports::configure(cfg);
    subscriptions::configure(cfg);
    admin::configure(cfg);
    webhooks::configure(cfg);
}

/// Parses an id from a path or a body; junk is "not found" for a path
/// segment and invalid for a field.
pub fn parse_id<T: FromStr>(what: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| {
        if what.ends_with(" id") {
            ApiError::not_found(&format!("{what} `{}` ({e})", echo(text)))
        } else {
            ApiError::unprocessable(format!("{what}: {e}"))
        }
    })
}

/// Reads a request body into memory, refusing more than `limit` bytes.
/// Refuses a body whose declared `Content-Length` is over `limit`, before
/// any of it is read.
pub(crate) fn check_declared_length(
    req: &actix_web::HttpRequest,
    limit: usize,
) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => Err(ApiError::too_large(format!(
            "the body declares {length} bytes; the limit is {limit}"
        ))),
        _ => Ok(()),
    }
}

/// The whole body, refused past `limit` bytes (at once when its declared
/// length is over it).
pub(crate) async fn read_body(
    req: &actix_web::HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<bytes::Bytes, ApiError> {
    use futures_util::StreamExt;
    check_declared_length(req, limit)?;
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::too_large(format!(
                "the body is over the limit of {limit} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The audit cause of a request's events.
pub fn cause(principal: &Principal) -> Cause {
    Cause::new(principal.actor())
}

/// The (start, size) of a page from a request's `cursor` and `limit`.
pub fn page_bounds(limit: Option<usize>, cursor: Option<&str>) -> Result<(usize, usize), ApiError> {
    use super::limits::{PAGE_ITEMS_DEFAULT, PAGE_ITEMS_MAX};
    let size = limit.unwrap_or(PAGE_ITEMS_DEFAULT).clamp(1, PAGE_ITEMS_MAX);
    let start = match cursor {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| {
            ApiError::bad_request("cursor must be a `next_cursor` from a previous page")
        })?,
    };
    Ok((start, size))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// At most this many.
    pub limit: Option<usize>,
}
