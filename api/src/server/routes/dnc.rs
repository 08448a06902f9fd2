//! A user's do-not-call list: add, list, check, remove a number. A
//! resource of its own (`/dnc`), apart from the users and their contacts.

use actix_web::{web, HttpResponse};
use leadline_domain::lead::Lead;
use leadline_domain::plans;
use leadline_domain::user::{self, UserCommand};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::Principal;
use crate::server::commands::execute;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::cause;
use super::users::{leads_with_number, parse_phone, subject, user_of, SubjectQuery};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dnc", web::post().to(add_dnc))
        .route("/dnc", web::get().to(list_dnc))
        .route("/dnc/{phone}", web::get().to(get_dnc))
        .route("/dnc/{phone}", web::delete().to(remove_dnc));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDnc {
    pub phone: String,
    pub reason: Option<String>,
    /// Region for a number without a country code (`IN`).
    pub default_region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DncList {
    pub numbers: Vec<String>,
}

/// Adds a number to the caller's do-not-call list; its leads are never dialed again.
#[utoipa::path(post, path = "/api/v1/dnc", tag = "dnc", request_body = NewDnc, params(SubjectQuery),
    responses((status = 201, description = "added")))]
pub async fn add_dnc(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<SubjectQuery>,
    body: web::Json<NewDnc>,
) -> Result<HttpResponse, ApiError> {
    let user_id = subject(&principal, &query)?;
    let phone = parse_phone(&body.phone, body.default_region.as_deref())?;
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let user = &user_of(model, &user_id)?.user;
        let leads: Vec<Lead> = leads_with_number(model, &user_id, &phone);
        Ok((
            plans::add_dnc(user, &phone, body.reason.clone(), &leads, now)?,
            (),
        ))
    })
    .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"phone": phone.to_string()})))
}

#[utoipa::path(get, path = "/api/v1/dnc", tag = "dnc", params(SubjectQuery), responses((status = 200, body = DncList)))]
pub async fn list_dnc(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = subject(&principal, &query)?;
    let model = state.projections.read();
    let user = &user_of(&model, &user_id)?.user;
    Ok(HttpResponse::Ok().json(DncList {
        numbers: user.dnc.iter().map(|p| p.to_string()).collect(),
    }))
}

/// Whether a number (E.164) is on the list: 200 if so, 404 if not.
#[utoipa::path(get, path = "/api/v1/dnc/{phone}", tag = "dnc", params(SubjectQuery), responses((status = 200, description = "on the list"), (status = 404, description = "not on the list")))]
pub async fn get_dnc(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = subject(&principal, &query)?;
    let phone = parse_phone(&path, None)?;
    let model = state.projections.read();
    let user = &user_of(&model, &user_id)?.user;
    if user.is_dnc(&phone) {
        Ok(HttpResponse::Ok().json(serde_json::json!({"phone": phone.to_string()})))
    } else {
        Err(ApiError::not_found(&format!(
            "{phone} on the do-not-call list"
        )))
    }
}

#[utoipa::path(delete, path = "/api/v1/dnc/{phone}", tag = "dnc", params(SubjectQuery), responses((status = 204, description = "removed")))]
pub async fn remove_dnc(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = subject(&principal, &query)?;
    let phone = parse_phone(&path, None)?;
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let user = &user_of(model, &user_id)?.user;
        Ok((
            user::decide(
                user,
                UserCommand::RemoveDnc {
                    phone: phone.clone(),
                },
                now,
            )?,
            (),
        ))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
