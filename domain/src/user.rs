//! The user aggregate: a user, their concurrent calls limit, their saved
//! contacts and their do-not-call list (all in the stream `user-u_…`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::allocation::{CONCURRENT_CALLS_LIMIT_MAX, USER_CONCURRENT_CALLS_DEFAULT};
use crate::error::{DomainError, SettingsError};
use crate::events::{
    ContactAdded, ContactDeleted, ContactPolicySet, DncAdded, DncRemoved, Event, UserCreated,
    UserLimitChanged,
};
use crate::ids::{ContactId, UserId};
use crate::phone::PhoneNumber;
use crate::policy::ContactPolicy;
use crate::text;
use crate::time::Zone;

/// Saved contacts per user.
pub const CONTACTS_PER_USER_MAX: usize = 100_000;
/// Numbers on one user's do-not-call list.
pub const DNC_PER_USER_MAX: usize = 1_000_000;

/// A saved contact.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// Its number.
    pub phone: PhoneNumber,
    /// Its name.
    pub name: Option<String>,
    /// Its zone, when known.
    pub timezone: Option<Zone>,
    /// When it was saved.
    pub added_at: DateTime<Utc>,
}

/// A user as their events left them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct User {
    /// Their id.
    pub id: UserId,
    /// Their name.
    pub name: String,
    /// Calls they may have in flight at once.
    pub concurrent_calls_limit: u32,
    /// Opaque digest of their API key (see `UserCreated`).
    pub api_key_digest: String,
    /// Saved contacts by id.
    pub contacts: BTreeMap<ContactId, Contact>,
    /// Their do-not-call list.
    pub dnc: BTreeSet<PhoneNumber>,
    /// Their rules across all their campaigns.
    pub contact_policy: ContactPolicy,
    /// When they were created.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// Whether `phone` is on their do-not-call list.
    pub fn is_dnc(&self, phone: &PhoneNumber) -> bool {
        self.dnc.contains(phone)
    }

    /// The contact saved with `phone`, if any.
    pub fn contact_with_phone(&self, phone: &PhoneNumber) -> Option<&Contact> {
        self.contacts
            .values()
            .find(|contact| &contact.phone == phone)
    }
}

/// What can be asked of an existing user.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum UserCommand {
    /// Change the concurrent calls limit.
    ChangeLimit {
        /// The new limit, 1–1000.
        concurrent_calls_limit: u32,
    },
    /// Save a contact.
    AddContact {
        /// A new contact id.
        contact_id: ContactId,
        /// Its number.
        phone: PhoneNumber,
        /// Its name.
        name: Option<String>,
        /// Its zone.
        timezone: Option<Zone>,
    },
    /// Delete a contact. Use [`crate::plans::delete_contact`] to also take
    /// its leads out of the hopper.
    DeleteContact {
        /// The contact.
        contact_id: ContactId,
    },
    /// Add a number to the do-not-call list (again: nothing recorded). Use
    /// [`crate::plans::add_dnc`] to also mark the number's leads.
    AddDnc {
        /// The number.
        phone: PhoneNumber,
        /// Why.
        reason: Option<String>,
    },
    /// Remove a number from the do-not-call list. Leads already marked
    /// do-not-call stay so.
    RemoveDnc {
        /// The number.
        phone: PhoneNumber,
    },
    /// Replace the contact policy (caps per number, holidays).
    SetContactPolicy {
        /// The new policy.
        policy: ContactPolicy,
    },
}

fn check_limit(value: u32) -> Result<u32, SettingsError> {
    if !(1..=CONCURRENT_CALLS_LIMIT_MAX).contains(&value) {
        return Err(SettingsError::ConcurrentCallsOutOfRange {
            value,
            max: CONCURRENT_CALLS_LIMIT_MAX,
        });
    }
    Ok(value)
}

/// Creates a user. `existing` is the state of the stream with this id.
/// The limit defaults to 2.
pub fn create(
    existing: Option<&User>,
    id: UserId,
    name: &str,
    concurrent_calls_limit: Option<u32>,
    api_key_digest: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    if existing.is_some() {
        return Err(DomainError::UserExists(id));
    }
    let name = text::required_name("user name", name)?;
    let limit = check_limit(concurrent_calls_limit.unwrap_or(USER_CONCURRENT_CALLS_DEFAULT))?;
    text::check_len("API key digest", api_key_digest, text::DIGEST_BYTES_MAX)?;
    Ok(vec![Event::UserCreated(UserCreated {
        user_id: id,
        name,
        concurrent_calls_limit: limit,
        api_key_digest: api_key_digest.to_owned(),
        at: now,
    })])
}

/// Decides what a command on an existing user records.
pub fn decide(
    user: &User,
    command: UserCommand,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let user_id = user.id;
    let event = match command {
        UserCommand::ChangeLimit {
            concurrent_calls_limit,
        } => {
            let limit = check_limit(concurrent_calls_limit)?;
            if limit == user.concurrent_calls_limit {
                return Ok(Vec::new());
            }
            Event::UserLimitChanged(UserLimitChanged {
                user_id,
                concurrent_calls_limit: limit,
                at: now,
            })
        }
        UserCommand::AddContact {
            contact_id,
            phone,
            name,
            timezone,
        } => {
            if user.contacts.contains_key(&contact_id) {
                return Err(DomainError::ContactExists(contact_id));
            }
            if let Some(existing) = user.contact_with_phone(&phone) {
                return Err(DomainError::ContactPhoneExists {
                    phone,
                    existing: existing.id,
                });
            }
            if user.contacts.len() >= CONTACTS_PER_USER_MAX {
                return Err(SettingsError::TooMany {
                    field: "contacts",
                    max: CONTACTS_PER_USER_MAX,
                }
                .into());
            }
            Event::ContactAdded(ContactAdded {
                user_id,
                contact_id,
                phone,
                name: text::optional("contact name", name.as_deref(), text::NAME_BYTES_MAX)?,
                timezone,
                at: now,
            })
        }
        UserCommand::DeleteContact { contact_id } => {
            if !user.contacts.contains_key(&contact_id) {
                return Err(DomainError::ContactNotFound(contact_id));
            }
            Event::ContactDeleted(ContactDeleted {
                user_id,
                contact_id,
                at: now,
            })
        }
        UserCommand::AddDnc { phone, reason } => {
            if user.is_dnc(&phone) {
                return Ok(Vec::new());
            }
            if user.dnc.len() >= DNC_PER_USER_MAX {
                return Err(SettingsError::TooMany {
                    field: "do-not-call numbers",
                    max: DNC_PER_USER_MAX,
                }
                .into());
            }
            Event::DncAdded(DncAdded {
                user_id,
                phone,
                reason: text::optional("reason", reason.as_deref(), text::REASON_BYTES_MAX)?,
                at: now,
            })
        }
        UserCommand::RemoveDnc { phone } => {
            if !user.is_dnc(&phone) {
                return Err(DomainError::NotOnDncList(phone));
            }
            Event::DncRemoved(DncRemoved {
                user_id,
                phone,
                at: now,
            })
        }
        UserCommand::SetContactPolicy { policy } => {
            let policy = policy.validated()?;
            if policy == user.contact_policy {
                return Ok(Vec::new());
            }
            Event::ContactPolicySet(ContactPolicySet {
                user_id,
                policy,
                at: now,
            })
        }
    };
    Ok(vec![event])
}

/// Applies one event. Events of other users and of other aggregates leave
/// the state as it is.
pub fn evolve(state: Option<User>, event: &Event) -> Option<User> {
    if let Event::UserCreated(created) = event {
        return match state {
            Some(existing) => Some(existing),
            None => Some(User {
                id: created.user_id,
                name: created.name.clone(),
                concurrent_calls_limit: created.concurrent_calls_limit,
                api_key_digest: created.api_key_digest.clone(),
                contacts: BTreeMap::new(),
                dnc: BTreeSet::new(),
                contact_policy: ContactPolicy::default(),
                created_at: created.at,
            }),
        };
    }
    let mut user = state?;
    match event {
        Event::UserLimitChanged(e) if e.user_id == user.id => {
            user.concurrent_calls_limit = e.concurrent_calls_limit;
        }
        Event::ContactAdded(e) if e.user_id == user.id => {
            user.contacts.insert(
                e.contact_id,
                Contact {
                    id: e.contact_id,
                    phone: e.phone.clone(),
                    name: e.name.clone(),
                    timezone: e.timezone,
                    added_at: e.at,
                },
            );
        }
        Event::ContactDeleted(e) if e.user_id == user.id => {
            user.contacts.remove(&e.contact_id);
        }
        Event::DncAdded(e) if e.user_id == user.id => {
            user.dnc.insert(e.phone.clone());
        }
        Event::DncRemoved(e) if e.user_id == user.id => {
            user.dnc.remove(&e.phone);
        }
        Event::ContactPolicySet(e) if e.user_id == user.id => {
            user.contact_policy = e.policy.clone();
        }
        _ => {}
    }
    Some(user)
}

/// Folds a user stream from its start.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<User> {
    events.into_iter().fold(None, evolve)
}

#[cfg(test)]
mod tests;
