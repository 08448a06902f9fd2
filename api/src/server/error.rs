//! The HTTP layer's one error type: every 4xx and 5xx is
//! `application/problem+json` with `status`, `title` and `detail`.
//!
//! An internal error's own text can hold file paths and storage messages,
//! which are no business of the client: it is logged under a fresh id, and
//! the client gets only that id to quote.

use crate::limits::UNAVAILABLE_RETRY_AFTER_S;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use leadline_domain::DomainError;
use leadline_projections::ProjectionError;
use leadline_storage::LogError;
use serde::Serialize;

/// An error answer, `application/problem+json` (RFC 9457).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The id an internal error was logged under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub error_id: Option<String>,
    /// Seconds a client should wait before trying again (`Retry-After`).
    pub retry_after_s: Option<u32>,
}

impl ApiError {
    /// A 500 goes through [`ApiError::internal`], whoever builds it, so that
    /// its detail is never sent.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return Self::internal(detail);
        }
        ApiError {
            status,
            title,
            detail: detail.into(),
            error_id: None,
            retry_after_s: None,
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

    pub fn method_not_allowed(detail: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            detail.to_owned(),
        )
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

    /// A 503: the request was valid and may succeed when tried again, which
    /// `Retry-After` says.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        ApiError {
            retry_after_s: Some(UNAVAILABLE_RETRY_AFTER_S),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", detail)
        }
    }

    /// Logs `detail` (one line, with a new id) and keeps only the id for
    /// the client.
    pub fn internal(detail: impl Into<String>) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let detail: String = detail.into();
        eprintln!("internal error {id}: {}", detail.replace('\n', " "));
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Internal error",
            detail: format!("internal error; reference {id}"),
            error_id: Some(id),
            retry_after_s: None,
        }
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
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_s {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response
            .content_type("application/problem+json")
            .json(Problem {
                problem_type: "about:blank",
                title: self.title,
                status: self.status.as_u16(),
                detail: self.detail.clone(),
                error_id: self.error_id.clone(),
            })
    }
}

/// A problem response; a 500 is logged and answered by its id only.
pub fn problem_response(status: StatusCode, title: &'static str, detail: &str) -> HttpResponse {
    ApiError::new(status, title, detail).error_response()
}

/// Every variant is named, so a new one does not compile until it is given
/// a status. 409 is for requests that clash with the current state; errors
/// only the engine's own commands (dial, reclaim) can meet are a bug if they
/// reach a client, so they are internal.
impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        use DomainError as E;
        let detail = error.to_string();
        match error {
            E::CampaignNotFound(_)
            | E::LeadNotFound(_)
            | E::UserNotFound(_)
            | E::ContactNotFound(_)
            | E::NotOnDncList(_)
            | E::SubscriptionNotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "Not found", detail),
            E::Settings(_)
            | E::TooManyRows { .. }
            | E::CallbackNeedsTime
            | E::CallbackNotInFuture(_)
            | E::BadRecycleTarget(_)
            | E::NotADisposition(_)
            | E::StatusNotRecyclable(_)
            | E::NothingToRecycle
            | E::UnknownEventType { .. }
            | E::BadWebhookUrl { .. } => ApiError::unprocessable(detail),
            E::CampaignExists(_)
            | E::CampaignAlreadyRunning { .. }
            | E::CampaignHasNoLeads(_)
            | E::CampaignHasNoCallableLeads { .. }
            | E::CampaignCancelled(_)
            | E::CampaignArchived(_)
            | E::CampaignCompleted(_)
            | E::CampaignNotActive { .. }
            | E::CampaignNotPaused { .. }
            | E::CampaignStillRunning { .. }
            | E::CampaignHasWork { .. }
            | E::LeadAlreadyQueued(_)
            | E::LeadIsDnc(_)
            | E::LeadIsSkipped(_)
            | E::LeadIsCancelled(_)
            | E::LeadIsFinal { .. }
            | E::CallInFlight { .. }
            | E::LeadStatusNotSelected { .. }
            | E::LeadNotAnswered(_)
            | E::UserExists(_)
            | E::ContactExists(_)
            | E::ContactPhoneExists { .. }
            | E::SubscriptionExists(_)
            // A provider's report for a call that has ended or is not the
            // lead's current one.
            | E::UnknownCall { .. }
            | E::NoCallInFlight(_) => ApiError::conflict(detail),
            E::LeadOfOtherCampaign { .. }
            | E::LeadNotQueued { .. }
            | E::DuplicateCallId(_)
            | E::NotTheLeadsNumber { .. }
            | E::NumberNotDialable { .. }
            | E::LeadNotYetEligible { .. }
            | E::LeadNotEligible { .. }
            | E::CallNotStale { .. } => ApiError::internal(detail),
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
            LogError::Closed
            | LogError::Poisoned(_)
            | LogError::Corrupt { .. }
            | LogError::Locked { .. }
            | LogError::Sled(_)
            | LogError::Io { .. } => ApiError::internal(format!("the event log failed: {error}")),
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(error: &ApiError) -> serde_json::Value {
        let bytes = error
            .error_response()
            .into_body()
            .try_into_bytes()
            .expect("a complete body");
        serde_json::from_slice(&bytes).expect("problem+json")
    }

    #[test]
    fn an_internal_error_answers_with_its_id_only() {
        let secret = "/var/lib/leadline/db: sled io error: permission denied";
        let error: ApiError = LogError::InvalidAppend("x".into()).into();
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.error_id, None);

        let error = ApiError::internal(secret);
        let id = error.error_id.clone().expect("an id");
        assert!(!id.is_empty());
        let body = body_of(&error);
        assert_eq!(body["status"], 500);
        assert_eq!(body["error_id"], id.as_str());
        assert_eq!(
            body["detail"],
            format!("internal error; reference {id}").as_str()
        );
        assert!(!body.to_string().contains("sled"), "{body}");
        assert!(!body.to_string().contains("/var/lib"), "{body}");

        // However a 500 is built, its detail stays in the log.
        let built = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", secret);
        assert!(!body_of(&built).to_string().contains("sled"));
        let other = ApiError::internal(secret);
        assert_ne!(other.error_id, error.error_id, "each error has its own id");
    }

    #[test]
    fn client_errors_keep_their_detail_and_have_no_id() {
        let body = body_of(&ApiError::conflict("campaign c is already running"));
        assert_eq!(body["status"], 409);
        assert_eq!(body["detail"], "campaign c is already running");
        assert!(body.get("error_id").is_none(), "{body}");
    }
}
