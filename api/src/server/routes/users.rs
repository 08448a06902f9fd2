//! Users: create, list, the caller, change a limit. Also the helpers the
//! per-user resources ([`super::contacts`], [`super::dnc`]) share: whose
//! list a request touches, the user's leads, a phone number from a body.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::lead::Lead;
use leadline_domain::user::{self, UserCommand};
use leadline_domain::{PhoneNumber, Region, UserId};
use leadline_projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::{key_digest, new_api_key, Principal};
use crate::server::commands::execute;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::{cause, parse_id};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::post().to(create))
        .route("/users", web::get().to(list))
        .route("/users/me", web::get().to(me))
        .route("/users/{id}", web::patch().to(update))
        .route(
            "/users/{id}/contact-policy",
            web::get().to(get_contact_policy),
        )
        .route(
            "/users/{id}/contact-policy",
            web::put().to(put_contact_policy),
        );
}

/// At most `calls_max` dials of one number in any `window_hours`.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapBody {
    #[schema(minimum = 1, maximum = 100)]
    pub calls_max: u32,
    #[schema(minimum = 1, maximum = 744)]
    pub window_hours: u32,
}

/// A date (in the lead's local time) on which numbers of `regions` are
/// not called.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayBody {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// ISO 3166-1 alpha-2 codes (`GB`, not `UK`).
    pub regions: Vec<String>,
}

/// A user's contact policy, across all of their campaigns.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPolicyBody {
    /// Caps per number over rolling windows, counted over every campaign.
    #[serde(default)]
    #[schema(max_items = 8)]
    pub per_number: Vec<CapBody>,
    #[serde(default)]
    #[schema(max_items = 400)]
    pub holidays: Vec<HolidayBody>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactPolicyView {
    pub user_id: String,
    pub per_number: Vec<CapBody>,
    pub holidays: Vec<HolidayBody>,
}

fn policy_view(user: &leadline_domain::user::User) -> ContactPolicyView {
    let policy = &user.contact_policy;
    ContactPolicyView {
        user_id: user.id.to_string(),
        per_number: policy
            .per_number
            .iter()
            .map(|cap| CapBody {
                calls_max: cap.calls_max,
                window_hours: cap.window_hours,
            })
            .collect(),
        holidays: policy
            .holidays
            .iter()
            .map(|holiday| HolidayBody {
                date: holiday.date.to_string(),
                regions: holiday.regions.iter().map(|r| r.to_string()).collect(),
            })
            .collect(),
    }
}

/// The user a contact-policy request names: `me`, or an id the caller may
/// see (itself; the admin sees everyone). Another user's is not found.
fn policy_subject(principal: &Principal, path: &str) -> Result<UserId, ApiError> {
    let id = match (principal, path) {
        (Principal::User(id), "me") => return Ok(*id),
        (Principal::Admin, "me") => {
            return Err(ApiError::unprocessable(
                "the admin has no contact policy of its own: name the user",
            ))
        }
        (_, text) => parse_id::<UserId>("user id", text)?,
    };
    match principal {
        Principal::User(own) if *own != id => Err(ApiError::not_found(&format!("user {id}"))),
        _ => Ok(id),
    }
}

fn parse_policy(
    body: ContactPolicyBody,
) -> Result<leadline_domain::policy::ContactPolicy, ApiError> {
    use leadline_domain::policy::{ContactPolicy, Holiday, NumberCap};
    let holidays = body
        .holidays
        .into_iter()
        .enumerate()
        .map(|(index, holiday)| {
            let date = leadline_domain::time::parse_date(&holiday.date)
                .map_err(|e| ApiError::unprocessable(format!("holidays[{index}].date: {e}")))?;
            let regions = holiday
                .regions
                .iter()
                .map(|region| {
                    region.parse::<Region>().map_err(|e| {
                        ApiError::unprocessable(format!(
                            "holidays[{index}].regions: {e} (ISO 3166-1 alpha-2, e.g. GB, not UK)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Holiday { date, regions })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(ContactPolicy {
        per_number: body
            .per_number
            .into_iter()
            .map(|cap| NumberCap {
                calls_max: cap.calls_max,
                window_hours: cap.window_hours,
            })
            .collect(),
        holidays,
    })
}

/// A user's contact policy: caps per number and holidays, over all of
/// their campaigns (`{id}` may be `me`).
#[utoipa::path(get, path = "/api/v1/users/{id}/contact-policy", tag = "users",
    responses((status = 200, body = ContactPolicyView)))]
pub async fn get_contact_policy(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = policy_subject(&principal, &path)?;
    let model = state.projections.read();
    Ok(HttpResponse::Ok().json(policy_view(&user_of(&model, &id)?.user)))
}

/// Replaces a user's contact policy. Caps count real dials over rolling
/// windows across every campaign of the user; holidays are dates in the
/// lead's local time, for numbers of the listed regions. It applies to
/// the next dial.
#[utoipa::path(put, path = "/api/v1/users/{id}/contact-policy", tag = "users",
    request_body = ContactPolicyBody, responses((status = 200, body = ContactPolicyView)))]
pub async fn put_contact_policy(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<ContactPolicyBody>,
) -> Result<HttpResponse, ApiError> {
    let id = policy_subject(&principal, &path)?;
    let policy = parse_policy(body.into_inner())?;
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let user = &user_of(model, &id)?.user;
        let command = UserCommand::SetContactPolicy {
            policy: policy.clone(),
        };
        Ok((user::decide(user, command, now)?, ()))
    })
    .await?;
    let model = state.projections.read();
    Ok(HttpResponse::Ok().json(policy_view(&user_of(&model, &id)?.user)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    /// Calls in flight at once.
    pub concurrent_calls_limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub concurrent_calls_limit: u32,
    /// Calls in flight now.
    pub in_flight: u32,
    pub created_at: DateTime<Utc>,
    /// Only in the answer to its creation: it is stored as a digest only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

fn user_view(model: &ReadModel, id: &UserId) -> Result<UserView, ApiError> {
    let entry = model
        .user(id)
        .ok_or_else(|| ApiError::not_found(&format!("user {id}")))?;
    Ok(UserView {
        id: entry.user.id.to_string(),
        name: entry.user.name.clone(),
        concurrent_calls_limit: entry.user.concurrent_calls_limit,
        in_flight: entry.in_flight,
        created_at: entry.user.created_at,
        api_key: None,
    })
}

/// Creates a user and its API key (admin). The key is shown once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 403, description = "not the admin")))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    principal.require_admin()?;
    let id = UserId::from_uuid(uuid::Uuid::now_v7());
    let key = new_api_key();
    let digest = key_digest(&key);
    let now = state.now();
    execute(&state, &cause(&principal), |_| {
        Ok((
            user::create(
                None,
                id,
                &body.name,
                body.concurrent_calls_limit,
                &digest,
                now,
            )?,
            (),
        ))
    })
    .await?;
    let model = state.projections.read();
    let mut view = user_view(&model, &id)?;
    view.api_key = Some(key);
    Ok(HttpResponse::Created().json(view))
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

/// Every user (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = UserList)))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    principal.require_admin()?;
    let model = state.projections.read();
    let mut ids: Vec<UserId> = model.users().map(|u| u.user.id).collect();
    ids.sort();
    let users = ids
        .iter()
        .map(|id| user_view(&model, id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(UserList { users }))
}

/// The caller: a user, or the admin (`{"id": "admin", "name": "admin",
/// "admin": true}`, without a user's fields).
#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub id: String,
    pub name: String,
    /// Whether this is the admin key.
    pub admin: bool,
    /// A user's: calls in flight at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_calls_limit: Option<u32>,
    /// A user's: calls in flight now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<u32>,
    /// A user's: when it was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// The caller. The admin key answers `{"id": "admin", "admin": true}`.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", responses((status = 200, body = MeView)))]
pub async fn me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let me = match principal {
        Principal::Admin => MeView {
            id: "admin".to_owned(),
            name: "admin".to_owned(),
            admin: true,
            concurrent_calls_limit: None,
            in_flight: None,
            created_at: None,
        },
        Principal::User(id) => {
            let user = user_view(&state.projections.read(), &id)?;
            MeView {
                id: user.id,
                name: user.name,
                admin: false,
                concurrent_calls_limit: Some(user.concurrent_calls_limit),
                in_flight: Some(user.in_flight),
                created_at: Some(user.created_at),
            }
        }
    };
    Ok(HttpResponse::Ok().json(me))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub concurrent_calls_limit: u32,
}

/// Changes a user's concurrent calls limit (admin).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    responses((status = 200, body = UserView)))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    principal.require_admin()?;
    let id: UserId = parse_id("user id", &path)?;
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let entry = model
            .user(&id)
            .ok_or_else(|| ApiError::not_found(&format!("user {id}")))?;
        let command = UserCommand::ChangeLimit {
            concurrent_calls_limit: body.concurrent_calls_limit,
        };
        Ok((user::decide(&entry.user, command, now)?, ()))
    })
    .await?;
    let model = state.projections.read();
    Ok(HttpResponse::Ok().json(user_view(&model, &id)?))
}

/// A user, or "not found".
pub(super) fn user_of<'m>(
    model: &'m ReadModel,
    id: &UserId,
) -> Result<&'m leadline_projections::UserEntry, ApiError> {
    model
        .user(id)
        .ok_or_else(|| ApiError::not_found(&format!("user {id}")))
}

/// The user whose contacts and do-not-call list a request touches: the
/// caller, or for the admin the `user` query parameter.
pub(super) fn subject(principal: &Principal, query: &SubjectQuery) -> Result<UserId, ApiError> {
    match (principal, &query.user) {
        (Principal::User(id), _) => Ok(*id),
        (Principal::Admin, Some(user)) => parse_id("user", user),
        (Principal::Admin, None) => Err(ApiError::unprocessable(
            "the admin must name the user: ?user=u_…",
        )),
    }
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct SubjectQuery {
    /// The user (admin only).
    pub user: Option<String>,
}

/// The leads of `user_id`'s campaigns that have `phone` among their
/// numbers (one per campaign at most: a number is a duplicate within one).
pub(super) fn leads_with_number(
    model: &ReadModel,
    user_id: &UserId,
    phone: &PhoneNumber,
) -> Vec<Lead> {
    let Some(user) = model.user(user_id) else {
        return Vec::new();
    };
    user.campaigns
        .iter()
        .filter_map(|c| model.campaign(c))
        .filter_map(|c| c.phones.get(phone))
        .filter_map(|l| model.lead(l))
        .map(|l| l.lead.clone())
        .collect()
}

/// Leads of `user_id`'s campaigns, with their campaigns.
pub(super) fn leads_of_user(
    model: &ReadModel,
    user_id: &UserId,
    keep: impl Fn(&Lead) -> bool,
) -> Vec<(Lead, leadline_domain::campaign::Campaign)> {
    let Some(user) = model.user(user_id) else {
        return Vec::new();
    };
    user.campaigns
        .iter()
        .filter_map(|c| model.campaign(c))
        .flat_map(|c| {
            c.leads
                .iter()
                .filter_map(|l| model.lead(l))
                .filter(|l| keep(&l.lead))
                .map(|l| (l.lead.clone(), c.campaign.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

pub(super) fn parse_phone(text: &str, region: Option<&str>) -> Result<PhoneNumber, ApiError> {
    let region = region
        .map(|r| {
            r.parse::<Region>()
                .map_err(|e| ApiError::unprocessable(format!("default_region: {e}")))
        })
        .transpose()?;
    PhoneNumber::parse(text, region).map_err(|e| ApiError::unprocessable(format!("phone: {e}")))
}
