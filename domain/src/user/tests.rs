use super::*;
use crate::testkit::*;

const USER: UserId = UserId::from_u128(0x77);

fn contact(n: u128) -> ContactId {
    ContactId::from_u128(n)
}

fn fresh() -> User {
    replay(&create(None, USER, "Priya", None, "digest", t0()).unwrap()).unwrap()
}

fn given(user: &User, command: UserCommand) -> User {
    let events = decide(user, command, t0()).unwrap();
    events.iter().fold(Some(user.clone()), evolve).unwrap()
}

fn add_contact(n: u128, number: &str) -> UserCommand {
    UserCommand::AddContact {
        contact_id: contact(n),
        phone: phone(number),
        name: Some("Asha".into()),
        timezone: None,
    }
}

#[test]
fn create_records_a_user_with_the_default_limit() {
    let events = create(None, USER, " Priya ", None, "digest", t0()).unwrap();
    assert_eq!(
        events,
        vec![Event::UserCreated(UserCreated {
            user_id: USER,
            name: "Priya".into(),
            concurrent_calls_limit: 2,
            api_key_digest: "digest".into(),
            at: t0(),
        })]
    );
    assert_eq!(
        replay(&events).unwrap().concurrent_calls_limit,
        USER_CONCURRENT_CALLS_DEFAULT
    );
}

#[test]
fn create_is_refused_for_an_existing_user_or_bad_input() {
    assert_eq!(
        create(Some(&fresh()), USER, "x", None, "d", t0()),
        Err(DomainError::UserExists(USER))
    );
    assert!(matches!(
        create(None, USER, "", None, "d", t0()),
        Err(DomainError::Settings(SettingsError::Empty { .. }))
    ));
    assert!(matches!(
        create(None, USER, "x", Some(0), "d", t0()),
        Err(DomainError::Settings(
            SettingsError::ConcurrentCallsOutOfRange { value: 0, .. }
        ))
    ));
    assert!(matches!(
        create(
            None,
            USER,
            "x",
            Some(CONCURRENT_CALLS_LIMIT_MAX + 1),
            "d",
            t0()
        ),
        Err(DomainError::Settings(
            SettingsError::ConcurrentCallsOutOfRange { .. }
        ))
    ));
}

#[test]
fn change_limit_records_a_new_limit_only() {
    let user = fresh();
    let events = decide(
        &user,
        UserCommand::ChangeLimit {
            concurrent_calls_limit: 5,
        },
        t0(),
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::UserLimitChanged(UserLimitChanged {
            user_id: USER,
            concurrent_calls_limit: 5,
            at: t0()
        })]
    );
    assert_eq!(
        decide(
            &user,
            UserCommand::ChangeLimit {
                concurrent_calls_limit: 2
            },
            t0()
        ),
        Ok(vec![])
    );
    assert!(decide(
        &user,
        UserCommand::ChangeLimit {
            concurrent_calls_limit: 0
        },
        t0()
    )
    .is_err());
}

#[test]
fn contacts_are_added_and_deleted() {
    let user = given(&fresh(), add_contact(1, "+919876543210"));
    assert_eq!(user.contacts.len(), 1);
    assert_eq!(user.contacts[&contact(1)].name.as_deref(), Some("Asha"));
    let events = decide(
        &user,
        UserCommand::DeleteContact {
            contact_id: contact(1),
        },
        t0(),
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::ContactDeleted(ContactDeleted {
            user_id: USER,
            contact_id: contact(1),
            at: t0()
        })]
    );
    assert!(events
        .iter()
        .fold(Some(user), evolve)
        .unwrap()
        .contacts
        .is_empty());
}

#[test]
fn contact_errors() {
    let user = given(&fresh(), add_contact(1, "+919876543210"));
    assert_eq!(
        decide(&user, add_contact(1, "+919876543211"), t0()),
        Err(DomainError::ContactExists(contact(1)))
    );
    assert_eq!(
        decide(&user, add_contact(2, "+919876543210"), t0()),
        Err(DomainError::ContactPhoneExists {
            phone: phone("+919876543210"),
            existing: contact(1)
        })
    );
    assert_eq!(
        decide(
            &user,
            UserCommand::DeleteContact {
                contact_id: contact(9)
            },
            t0()
        ),
        Err(DomainError::ContactNotFound(contact(9)))
    );
}

#[test]
fn the_dnc_list_adds_once_and_removes_what_it_has() {
    let number = phone("+919876543210");
    let add = || UserCommand::AddDnc {
        phone: number.clone(),
        reason: Some("asked".into()),
    };
    let events = decide(&fresh(), add(), t0()).unwrap();
    assert_eq!(
        events,
        vec![Event::DncAdded(DncAdded {
            user_id: USER,
            phone: number.clone(),
            reason: Some("asked".into()),
            at: t0()
        })]
    );
    let user = given(&fresh(), add());
    assert!(user.is_dnc(&number));
    assert_eq!(decide(&user, add(), t0()), Ok(vec![]));
    let removed = given(
        &user,
        UserCommand::RemoveDnc {
            phone: number.clone(),
        },
    );
    assert!(!removed.is_dnc(&number));
    assert_eq!(
        decide(
            &removed,
            UserCommand::RemoveDnc {
                phone: number.clone()
            },
            t0()
        ),
        Err(DomainError::NotOnDncList(number))
    );
}

#[test]
fn evolve_ignores_other_users() {
    let other = Event::DncAdded(DncAdded {
        user_id: UserId::from_u128(1),
        phone: phone("+919876543210"),
        reason: None,
        at: t0(),
    });
    assert_eq!(evolve(Some(fresh()), &other), Some(fresh()));
    assert_eq!(evolve(None, &other), None);
}
