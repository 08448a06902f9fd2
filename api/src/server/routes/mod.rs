//! One module per resource.

pub mod admin;
pub mod calls;
pub mod campaigns;
pub mod events;
pub mod leads;
pub mod ops;
pub mod users;

use std::str::FromStr;

use actix_web::web;
use leadline_projections::Cause;
use serde::Deserialize;

use super::auth::Principal;
use super::error::ApiError;

/// Every route under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    campaigns::configure(cfg);
    leads::configure(cfg);
    calls::configure(cfg);
    events::configure(cfg);
    admin::configure(cfg);
}

/// Parses an id from a path or a body; junk is "not found" for a path
/// segment and invalid for a field.
pub fn parse_id<T: FromStr>(what: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| {
        if what.ends_with(" id") {
            ApiError::not_found(&format!("{what} `{}` ({e})", shorten(text)))
        } else {
            ApiError::unprocessable(format!("{what}: {e}"))
        }
    })
}

fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}

/// The audit cause of a request's events.
pub fn cause(principal: &Principal) -> Cause {
    Cause::new(principal.actor())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// At most this many.
    pub limit: Option<usize>,
}
