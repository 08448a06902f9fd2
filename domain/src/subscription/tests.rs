use super::*;
use crate::testkit::*;

const SUB: SubscriptionId = SubscriptionId::from_u128(0x5b);

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn asked(events: &[&str]) -> NewSubscription {
    NewSubscription {
        id: SUB,
        owner: Some(OWNER),
        url: " https://hooks.example.com/leadline ".into(),
        events: names(events),
        campaign_id: Some(CAMPAIGN),
        secret: WebhookSecret::new("whsec_0123456789abcdef".into()),
    }
}

fn given_created() -> Subscription {
    replay(&create(None, asked(&["*"]), 0, t0()).unwrap()).unwrap()
}

#[test]
fn create_records_the_subscription_with_its_secret_and_normalized_input() {
    let events = create(
        None,
        asked(&["CallAnswered", "LeadDialed", "CallAnswered"]),
        0,
        t0(),
    );
    assert_eq!(
        events,
        Ok(vec![Event::SubscriptionCreated(SubscriptionCreated {
            subscription_id: SUB,
            owner: Some(OWNER),
            url: "https://hooks.example.com/leadline".into(),
            events: names(&["CallAnswered", "LeadDialed"]),
            campaign_id: Some(CAMPAIGN),
            secret: WebhookSecret::new("whsec_0123456789abcdef".into()),
            at: t0(),
        })])
    );
    let subscription = replay(&events.unwrap()).unwrap();
    assert!(subscription.wants("CallAnswered"));
    assert!(!subscription.wants("CallBusy"));
    assert!(subscription.is_live());
}

#[test]
fn a_wildcard_selects_every_type() {
    let events = create(None, asked(&["CallBusy", "*"]), 0, t0()).unwrap();
    let subscription = replay(&events).unwrap();
    assert_eq!(subscription.events, names(&["*"]));
    for name in Event::TYPE_NAMES {
        assert!(subscription.wants(name), "{name}");
    }
}

#[test]
fn an_unknown_event_type_is_refused_and_the_message_lists_the_valid_ones() {
    let refused = create(None, asked(&["CallAnswered", "CallAnsered"]), 0, t0());
    let Err(error) = refused else {
        panic!("accepted: {refused:?}");
    };
    assert_eq!(
        error,
        DomainError::UnknownEventType {
            input: "CallAnsered".into()
        }
    );
    let message = error.to_string();
    for name in Event::TYPE_NAMES {
        assert!(message.contains(name), "{message} lacks {name}");
    }
}

#[test]
fn no_event_types_a_blank_url_or_a_url_with_spaces_is_refused() {
    assert!(matches!(
        create(None, asked(&[]), 0, t0()),
        Err(DomainError::Settings(SettingsError::Empty { .. }))
    ));
    let mut blank = asked(&["*"]);
    blank.url = "  ".into();
    assert!(matches!(
        create(None, blank, 0, t0()),
        Err(DomainError::Settings(SettingsError::Empty { .. }))
    ));
    let mut spaced = asked(&["*"]);
    spaced.url = "https://example.com/a b".into();
    assert!(matches!(
        create(None, spaced, 0, t0()),
        Err(DomainError::BadWebhookUrl { .. })
    ));
    let mut long = asked(&["*"]);
    long.url = format!("https://example.com/{}", "a".repeat(WEBHOOK_URL_BYTES_MAX));
    assert!(matches!(
        create(None, long, 0, t0()),
        Err(DomainError::Settings(SettingsError::TextTooLong { .. }))
    ));
    let mut no_secret = asked(&["*"]);
    no_secret.secret = WebhookSecret::new(String::new());
    assert!(create(None, no_secret, 0, t0()).is_err());
}

#[test]
fn an_owner_has_a_bounded_number_of_subscriptions() {
    assert!(create(None, asked(&["*"]), SUBSCRIPTIONS_PER_OWNER_MAX - 1, t0()).is_ok());
    assert!(matches!(
        create(None, asked(&["*"]), SUBSCRIPTIONS_PER_OWNER_MAX, t0()),
        Err(DomainError::Settings(SettingsError::TooMany { .. }))
    ));
}

#[test]
fn an_existing_id_is_refused() {
    let existing = given_created();
    assert_eq!(
        create(Some(&existing), asked(&["*"]), 0, t0()),
        Err(DomainError::SubscriptionExists(SUB))
    );
}

#[test]
fn delete_records_once_then_the_subscription_is_not_found() {
    let subscription = given_created();
    let events = delete(&subscription, t0() + minutes(1)).unwrap();
    assert_eq!(
        events,
        vec![Event::SubscriptionDeleted(SubscriptionDeleted {
            subscription_id: SUB,
            at: t0() + minutes(1),
        })]
    );
    let deleted = events.iter().fold(Some(subscription), evolve).unwrap();
    assert!(!deleted.is_live());
    assert_eq!(
        delete(&deleted, t0() + minutes(2)),
        Err(DomainError::SubscriptionNotFound(SUB))
    );
}

#[test]
fn the_secret_is_kept_in_the_log_encoding_and_hidden_in_json_and_debug() {
    let event = create(None, asked(&["*"]), 0, t0()).unwrap().remove(0);
    let json = serde_json::to_string(&event).unwrap();
    assert!(!json.contains("whsec_0123456789abcdef"), "{json}");
    assert!(json.contains(WebhookSecret::REDACTED), "{json}");
    assert!(!format!("{event:?}").contains("whsec_0123456789abcdef"));
    let bytes = bincode::serialize(&event).unwrap();
    let back: Event = bincode::deserialize(&bytes).unwrap();
    assert_eq!(back, event);
    let Event::SubscriptionCreated(created) = back else {
        panic!("another event");
    };
    assert_eq!(created.secret.expose(), "whsec_0123456789abcdef");
}
