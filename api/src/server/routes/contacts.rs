//! A user's saved contacts: add, list, read, delete. A resource of its
//! own (`/contacts`), apart from the users and the do-not-call list.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use leadline_domain::lead::Lead;
use leadline_domain::plans;
use leadline_domain::user::{self, UserCommand};
use leadline_domain::{ContactId, UserId, Zone};
use leadline_projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::server::auth::Principal;
use crate::server::commands::execute;
use crate::server::error::ApiError;
use crate::server::state::AppState;

use super::users::{leads_of_user, parse_phone, subject, user_of, SubjectQuery};
use super::{cause, parse_id};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/contacts", web::post().to(add_contact))
        .route("/contacts", web::get().to(list_contacts))
        .route("/contacts/{id}", web::get().to(get_contact))
        .route("/contacts/{id}", web::delete().to(delete_contact));
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
