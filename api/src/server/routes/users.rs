//! Users, their saved contacts and their do-not-call list.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::lead::Lead;
use leadline_domain::plans;
use leadline_domain::user::{self, UserCommand};
use leadline_domain::{ContactId, PhoneNumber, Region, UserId, Zone};
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
        .route("/contacts", web::post().to(add_contact))
        .route("/contacts", web::get().to(list_contacts))
        .route("/contacts/{id}", web::get().to(get_contact))
        .route("/contacts/{id}", web::delete().to(delete_contact))
        .route("/dnc", web::post().to(add_dnc))
        .route("/dnc", web::get().to(list_dnc))
        .route("/dnc/{phone}", web::get().to(get_dnc))
        .route("/dnc/{phone}", web::delete().to(remove_dnc));
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

/// The caller. The admin key answers `{"id": "admin", "admin": true}`.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", responses((status = 200, body = UserView)))]
pub async fn me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    match principal {
        Principal::Admin => Ok(HttpResponse::Ok()
            .json(serde_json::json!({"id": "admin", "name": "admin", "admin": true}))),
        Principal::User(id) => {
            let model = state.projections.read();
            Ok(HttpResponse::Ok().json(user_view(&model, &id)?))
        }
    }
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
fn user_of<'m>(
    model: &'m ReadModel,
    id: &UserId,
) -> Result<&'m leadline_projections::UserEntry, ApiError> {
    model
        .user(id)
        .ok_or_else(|| ApiError::not_found(&format!("user {id}")))
}

/// The user whose contacts and do-not-call list a request touches: the
/// caller, or for the admin the `user` query parameter.
fn subject(principal: &Principal, query: &SubjectQuery) -> Result<UserId, ApiError> {
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub phone: String,
    pub name: Option<String>,
    /// IANA zone.
    pub timezone: Option<String>,
    /// Region for a number without a country code (`IN`).
    pub default_region: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub phone: String,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub added_at: DateTime<Utc>,
}

fn contact_view(contact: &leadline_domain::user::Contact) -> ContactView {
    ContactView {
        id: contact.id.to_string(),
        phone: contact.phone.to_string(),
        name: contact.name.clone(),
        timezone: contact.timezone.map(|z| z.to_string()),
        added_at: contact.added_at,
    }
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = NewContact, params(SubjectQuery),
    responses((status = 201, body = ContactView)))]
pub async fn add_contact(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<SubjectQuery>,
    body: web::Json<NewContact>,
) -> Result<HttpResponse, ApiError> {
    let user_id = subject(&principal, &query)?;
    let phone = parse_phone(&body.phone, body.default_region.as_deref())?;
    let timezone = body
        .timezone
        .as_deref()
        .map(|z| {
            z.parse::<Zone>()
                .map_err(|e| ApiError::unprocessable(format!("timezone: {e}")))
        })
        .transpose()?;
    let contact_id = ContactId::from_uuid(uuid::Uuid::now_v7());
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let entry = user_of(model, &user_id)?;
        let command = UserCommand::AddContact {
            contact_id,
            phone: phone.clone(),
            name: body.name.clone(),
            timezone,
        };
        Ok((user::decide(&entry.user, command, now)?, ()))
    })
    .await?;
    let model = state.projections.read();
    let contact = model
        .user(&user_id)
        .and_then(|u| u.user.contacts.get(&contact_id))
        .ok_or_else(|| ApiError::internal("the new contact did not fold"))?;
    Ok(HttpResponse::Created().json(contact_view(contact)))
}

#[derive(Serialize, ToSchema)]
pub struct ContactList {
    pub contacts: Vec<ContactView>,
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(SubjectQuery), responses((status = 200, body = ContactList)))]
pub async fn list_contacts(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = subject(&principal, &query)?;
    let model = state.projections.read();
    let entry = user_of(&model, &user_id)?;
    let contacts = entry.user.contacts.values().map(contact_view).collect();
    Ok(HttpResponse::Ok().json(ContactList { contacts }))
}

/// Finds a contact among the caller's (the admin: anyone's).
fn find_contact(
    model: &ReadModel,
    principal: &Principal,
    id: &ContactId,
) -> Result<UserId, ApiError> {
    model
        .users()
        .filter(|u| principal.owns(&u.user.id))
        .find(|u| u.user.contacts.contains_key(id))
        .map(|u| u.user.id)
        .ok_or_else(|| ApiError::not_found(&format!("contact {id}")))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", responses((status = 200, body = ContactView)))]
pub async fn get_contact(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: ContactId = parse_id("contact id", &path)?;
    let model = state.projections.read();
    let user_id = find_contact(&model, &principal, &id)?;
    let contact = model
        .user(&user_id)
        .and_then(|u| u.user.contacts.get(&id))
        .ok_or_else(|| ApiError::not_found(&format!("contact {id}")))?;
    Ok(HttpResponse::Ok().json(contact_view(contact)))
}

/// Leads of `user_id`'s campaigns, with their campaigns.
fn leads_of_user(
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

/// Deletes a contact; its leads waiting in a hopper are cancelled.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", responses((status = 204, description = "deleted")))]
pub async fn delete_contact(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: ContactId = parse_id("contact id", &path)?;
    let now = state.now();
    execute(&state, &cause(&principal), |model| {
        let user_id = find_contact(model, &principal, &id)?;
        let user = &model
            .user(&user_id)
            .ok_or_else(|| ApiError::not_found("the contact's user"))?
            .user;
        let leads = leads_of_user(model, &user_id, |l| l.contact_id == Some(id));
        let pairs: Vec<(&Lead, &leadline_domain::campaign::Campaign)> =
            leads.iter().map(|(l, c)| (l, c)).collect();
        Ok((plans::delete_contact(user, id, &pairs, now)?, ()))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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

fn parse_phone(text: &str, region: Option<&str>) -> Result<PhoneNumber, ApiError> {
    let region = region
        .map(|r| {
            r.parse::<Region>()
                .map_err(|e| ApiError::unprocessable(format!("default_region: {e}")))
        })
        .transpose()?;
    PhoneNumber::parse(text, region).map_err(|e| ApiError::unprocessable(format!("phone: {e}")))
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
        let leads: Vec<Lead> = leads_of_user(model, &user_id, |l| l.phone == phone)
            .into_iter()
            .map(|(l, _)| l)
            .collect();
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
