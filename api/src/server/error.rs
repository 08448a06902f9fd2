//! The HTTP layer's one error type: every 4xx and 5xx is
//! `application/problem+json` with `status`, `title` and `detail`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use leadline_domain::DomainError;
use leadline_projections::ProjectionError;
use leadline_storage::LogError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("{what} does not exist"),
        )
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    pub fn too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", detail)
    }

    pub fn unsupported_media(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            detail,
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", detail)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.title, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        problem_response(self.status, self.title, &self.detail)
    }
}

pub fn problem_response(status: StatusCode, title: &'static str, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(Problem {
            problem_type: "about:blank",
            title,
            status: status.as_u16(),
            detail: detail.to_owned(),
        })
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        use DomainError as E;
        let detail = error.to_string();
        match error {
            E::CampaignNotFound(_)
            | E::LeadNotFound(_)
            | E::UserNotFound(_)
            | E::ContactNotFound(_)
            | E::NotOnDncList(_) => ApiError::new(StatusCode::NOT_FOUND, "Not found", detail),
            E::Settings(_)
            | E::TooManyRows { .. }
            | E::CallbackNeedsTime
            | E::CallbackNotInFuture(_)
            | E::BadRecycleTarget(_)
            | E::NotADisposition(_)
            | E::StatusNotRecyclable(_)
            | E::NothingToRecycle => ApiError::unprocessable(detail),
            _ => ApiError::conflict(detail),
        }
    }
}

impl From<LogError> for ApiError {
    fn from(error: LogError) -> Self {
        match error {
            LogError::Conflict { .. } => ApiError::conflict(format!(
                "{error}; the resource changed while the request ran"
            )),
            LogError::LimitExceeded { .. } => ApiError::too_large(error.to_string()),
            LogError::InvalidAppend(_) | LogError::PartialDuplicate { .. } => {
                ApiError::unprocessable(error.to_string())
            }
            LogError::Busy { .. } => ApiError::unavailable(error.to_string()),
            _ => ApiError::internal(format!("the event log failed: {error}")),
        }
    }
}

impl From<ProjectionError> for ApiError {
    fn from(error: ProjectionError) -> Self {
        match error {
            ProjectionError::Log(e) => e.into(),
            ProjectionError::Codec(e) => ApiError::internal(e.to_string()),
        }
    }
}

/// Problem responses for malformed JSON, paths and query strings, so that
/// actix's own extractors never answer with plain text.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(|error, _| {
            use actix_web::error::JsonPayloadError as J;
            let api = match &error {
                J::OverflowKnownLength { length, limit } => {
                    ApiError::too_large(format!("the body is {length} bytes; the limit is {limit}"))
                }
                J::Overflow { limit } => {
                    ApiError::too_large(format!("the body is over the limit of {limit} bytes"))
                }
                J::ContentType => {
                    ApiError::unsupported_media("send JSON with Content-Type: application/json")
                }
                J::Deserialize(e) if e.is_data() => ApiError::unprocessable(e.to_string()),
                J::Deserialize(e) => ApiError::bad_request(format!("malformed JSON: {e}")),
                other => ApiError::bad_request(other.to_string()),
            };
            api.into()
        })
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default()
        .error_handler(|error, _| ApiError::not_found(&format!("the path ({error})")).into())
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|error, _| {
        ApiError::bad_request(format!("bad query string: {error}")).into()
    })
}
