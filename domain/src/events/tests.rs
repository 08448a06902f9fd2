use super::*;
use crate::testkit::*;
use bincode::Options;

/// One event of every type, in variant order.
fn one_of_each() -> Vec<Event> {
    let lead = lead_id(1);
    let user = UserId::from_u128(9);
    let contact = ContactId::from_u128(3);
    let number = phone("+919876543210");
    let transition = CampaignTransition {
        campaign_id: CAMPAIGN,
        reason: Some("why".into()),
        at: t0(),
    };
    let ended = CallEnded {
        campaign_id: CAMPAIGN,
        lead_id: lead,
        call_id: call_id(1),
        provider_status: "completed".into(),
        duration_secs: Some(30),
        error: None,
        provider_call_id: Some("CA1".into()),
        at: t0(),
    };
    vec![
        Event::CampaignCreated(CampaignCreated {
            campaign_id: CAMPAIGN,
            owner: OWNER,
            settings: settings(),
            at: t0(),
        }),
        Event::CampaignUpdated(CampaignUpdated {
            campaign_id: CAMPAIGN,
            settings: settings(),
            at: t0(),
        }),
        Event::LeadsImported(LeadsImported {
            campaign_id: CAMPAIGN,
            imported: 1,
            duplicates: 2,
            dnc: 3,
            invalid: 4,
            first_sequence: 5,
            at: t0(),
        }),
        Event::CampaignStarted(transition.clone()),
        Event::CampaignPaused(transition.clone()),
        Event::CampaignResumed(transition.clone()),
        Event::CampaignCancelled(transition.clone()),
        Event::CampaignCompleted(transition.clone()),
        Event::CampaignArchived(transition),
        Event::LeadImported(LeadImported {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            sequence: 0,
            phone: number.clone(),
            name: Some("Asha".into()),
            priority: -1,
            timezone: Some(Zone::UTC),
            contact_id: Some(contact),
            fields: [("city".to_owned(), "Pune".to_owned())].into(),
            at: t0(),
            alt_phones: vec![PhoneNumber::parse("+919876500002", None).unwrap()],
        }),
        Event::LeadSkipped(LeadSkipped {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            reason: SkipReason::Duplicate { of: lead_id(2) },
            at: t0(),
        }),
        Event::LeadQueued(LeadQueued {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            from: LeadStatus::New,
            at: t0(),
        }),
        Event::LeadUnqueued(LeadUnqueued {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            restored: LeadStatus::Busy,
            reason: "campaign paused".into(),
            at: t0(),
        }),
        Event::LeadDialed(LeadDialed {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            call_id: call_id(1),
            attempt: 1,
            phone: number.clone(),
            at: t0(),
        }),
        Event::CallPlaced(CallPlaced {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            call_id: call_id(1),
            provider_call_id: "CA1".into(),
            at: t0(),
        }),
        Event::CallAnswered(ended.clone()),
        Event::CallNoAnswer(ended.clone()),
        Event::CallBusy(ended.clone()),
        Event::CallFailed(CallEnded {
            error: Some("402 payment required".into()),
            ..ended.clone()
        }),
        Event::CallDropped(ended.clone()),
        Event::CallCongestion(ended.clone()),
        Event::CallVoicemail(ended),
        Event::CallReclaimed(CallReclaimed {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            call_id: call_id(1),
            dialed_at: t0(),
            reason: "stale".into(),
            at: t0(),
        }),
        Event::LeadCancelled(LeadCancelled {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            from: LeadStatus::New,
            reason: "campaign cancelled".into(),
            at: t0(),
        }),
        Event::LeadRecycled(LeadRecycled {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            from: LeadStatus::NoAnswer,
            to: LeadStatus::New,
            reset_dial_count: true,
            reason: "again".into(),
            at: t0(),
        }),
        Event::LeadDispositioned(LeadDispositioned {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            disposition: Disposition::Callback,
            callback_at: Some(t0()),
            note: None,
            at: t0(),
        }),
        Event::LeadMarkedDnc(LeadMarkedDnc {
            campaign_id: CAMPAIGN,
            lead_id: lead,
            reason: "asked".into(),
            at: t0(),
        }),
        Event::UserCreated(UserCreated {
            user_id: user,
            name: "Priya".into(),
            concurrent_calls_limit: 2,
            api_key_digest: "d".into(),
            at: t0(),
        }),
        Event::UserLimitChanged(UserLimitChanged {
            user_id: user,
            concurrent_calls_limit: 4,
            at: t0(),
        }),
        Event::ContactAdded(ContactAdded {
            user_id: user,
            contact_id: contact,
            phone: number.clone(),
            name: None,
            timezone: None,
            at: t0(),
        }),
        Event::ContactDeleted(ContactDeleted {
            user_id: user,
            contact_id: contact,
            at: t0(),
        }),
        Event::DncAdded(DncAdded {
            user_id: user,
            phone: number.clone(),
            reason: None,
            at: t0(),
        }),
        Event::DncRemoved(DncRemoved {
            user_id: user,
            phone: number,
            at: t0(),
        }),
        Event::SubscriptionCreated(SubscriptionCreated {
            subscription_id: SubscriptionId::from_u128(5),
            owner: Some(user),
            url: "https://hooks.example.com/x".into(),
            events: vec!["*".into()],
            campaign_id: None,
            secret: WebhookSecret::new("whsec_x".into()),
            at: t0(),
        }),
        Event::SubscriptionDeleted(SubscriptionDeleted {
            subscription_id: SubscriptionId::from_u128(5),
            at: t0(),
        }),
        Event::ContactPolicySet(crate::events::ContactPolicySet {
            user_id: user,
            policy: crate::policy::ContactPolicy {
                per_number: vec![crate::policy::NumberCap {
                    calls_max: 3,
                    window_hours: 24,
                }],
                holidays: vec![crate::policy::Holiday {
                    date: chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
                    regions: vec!["US".parse().unwrap()],
                }],
            },
            at: t0(),
        }),
    ]
}

#[test]
fn every_type_is_covered_once_in_variant_order() {
    let names: Vec<&str> = one_of_each().iter().map(Event::type_name).collect();
    assert_eq!(names, Event::TYPE_NAMES);
    for required in [
        "LeadImported",
        "LeadQueued",
        "LeadDialed",
        "CallAnswered",
        "CallNoAnswer",
        "CallBusy",
        "CallFailed",
        "CallDropped",
        "CallCongestion",
        "CallVoicemail",
        "LeadCancelled",
        "LeadRecycled",
        "LeadSkipped",
        "CampaignCreated",
        "CampaignStarted",
        "CampaignPaused",
        "CampaignResumed",
        "CampaignCancelled",
        "CampaignCompleted",
    ] {
        assert!(Event::TYPE_NAMES.contains(&required), "{required}");
    }
}

#[test]
fn streams_follow_the_aggregate() {
    for event in one_of_each() {
        let stream = event.stream().to_string();
        let expected_prefix = match event.type_name() {
            name if name.starts_with("Campaign") || name == "LeadsImported" => "campaign-c_",
            "UserCreated" | "UserLimitChanged" | "ContactAdded" | "ContactDeleted" | "DncAdded"
            | "DncRemoved" | "ContactPolicySet" => "user-u_",
            "SubscriptionCreated" | "SubscriptionDeleted" => "subscription-sub_",
            _ => "lead-l_",
        };
        assert!(
            stream.starts_with(expected_prefix),
            "{} in {stream}",
            event.type_name()
        );
        assert_eq!(stream.parse::<StreamName>(), Ok(event.stream()));
        let expected_version = match event.type_name() {
            "CampaignCreated" | "CampaignUpdated" => 4,
            "LeadImported" => 2,
            _ => 1,
        };
        assert_eq!(event.schema_version(), expected_version);
        assert_eq!(event.at(), t0());
    }
    assert!("order-c_1".parse::<StreamName>().is_err());
    assert!("lead-c_00000000000000000000000000000abc"
        .parse::<StreamName>()
        .is_err());
}

#[test]
fn payloads_round_trip_through_bincode_with_the_seed() {
    let options = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes();
    for event in one_of_each() {
        let bytes = bincode::serialize(&event.payload()).unwrap();
        let seed = EventSeed {
            type_name: event.type_name(),
            schema_version: event.schema_version(),
        };
        let decoded = options.deserialize_seed(seed, &bytes).unwrap();
        assert_eq!(decoded, event);
        assert!(
            bytes.len() < 1_024,
            "{} is {} bytes",
            event.type_name(),
            bytes.len()
        );
    }
}

#[test]
fn the_seed_refuses_unknown_types_and_versions() {
    let options = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes();
    let event = &one_of_each()[3];
    let bytes = bincode::serialize(&event.payload()).unwrap();
    let unknown = EventSeed {
        type_name: "LeadTeleported",
        schema_version: 1,
    };
    assert!(options.deserialize_seed(unknown, &bytes).is_err());
    let future = EventSeed {
        type_name: event.type_name(),
        schema_version: 99,
    };
    assert!(options.deserialize_seed(future, &bytes).is_err());
    let created = &one_of_each()[0];
    let bytes = bincode::serialize(&created.payload()).unwrap();
    for version in [0, 5] {
        let seed = EventSeed {
            type_name: created.type_name(),
            schema_version: version,
        };
        let err = options.deserialize_seed(seed, &bytes).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("CampaignCreated has no schema version {version}")),
            "{err}"
        );
    }
}

/// Campaign payloads as schema version 1 laid them out, written here apart
/// from the upcast so that a slip in one cannot hide in the other.
mod version_1 {
    use chrono::NaiveDate;

    use super::*;
    use crate::campaign::ProviderSettings;
    use crate::phone::Region;
    use crate::time::DailyHours;

    #[derive(Serialize)]
    pub struct Retry {
        pub delay_minutes: u32,
        pub max_attempts: u32,
        pub statuses: Vec<LeadStatus>,
        pub dropped_delay_minutes: u32,
        pub attempts_per_day_max: Option<u32>,
    }

    #[derive(Serialize)]
    pub struct Settings {
        pub name: String,
        pub timezone: Zone,
        pub hours: DailyHours,
        pub start_date: Option<NaiveDate>,
        pub default_region: Option<Region>,
        pub retry: Retry,
        pub local_hours: Option<DailyHours>,
        pub dial_delay_ms: Option<u32>,
        pub provider: ProviderSettings,
    }

    #[derive(Serialize)]
    pub struct Created {
        pub campaign_id: CampaignId,
        pub owner: UserId,
        pub settings: Settings,
        #[serde(with = "crate::events::instant")]
        pub at: DateTime<Utc>,
    }

    #[derive(Serialize)]
    pub struct Updated {
        pub campaign_id: CampaignId,
        pub settings: Settings,
        #[serde(with = "crate::events::instant")]
        pub at: DateTime<Utc>,
    }

    /// `settings` as version 1 stored them, with the given dropped delay.
    pub fn settings(settings: &CampaignSettings, dropped_delay_minutes: u32) -> Settings {
        Settings {
            name: settings.name.clone(),
            timezone: settings.timezone,
            hours: settings.hours,
            start_date: settings.start_date,
            default_region: settings.default_region,
            retry: Retry {
                delay_minutes: settings.retry.delay_minutes(),
                max_attempts: settings.retry.max_attempts(),
                statuses: settings.retry.statuses().to_vec(),
                dropped_delay_minutes,
                attempts_per_day_max: settings.retry.attempts_per_day_max(),
            },
            local_hours: settings.local_hours,
            dial_delay_ms: settings.dial_delay_ms,
            provider: settings.provider.clone(),
        }
    }
}

fn decode_payload(type_name: &str, schema_version: u16, bytes: &[u8]) -> Event {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .deserialize_seed(
            EventSeed {
                type_name,
                schema_version,
            },
            bytes,
        )
        .unwrap_or_else(|e| panic!("{type_name} v{schema_version}: {e}"))
}

#[test]
fn version_1_campaign_events_upcast_with_the_stored_default_read_as_unset() {
    // Given settings with a 2-minute retry delay and pacing, as version 1
    // stored them with each dropped delay
    let mut current = settings();
    current.retry = current.retry.with_delay_minutes(2).unwrap();
    current.dial_delay_ms = Some(1_500);
    current.provider.agent_id = Some("agent-1".into());
    for (stored, expected_set, expected_effective) in [
        // the default every campaign got when none was chosen: unset, so
        // it follows the shorter retry delay
        (5, None, 2),
        // anything else was chosen by hand and is kept
        (10, Some(10), 10),
        (0, Some(0), 0),
        (1, Some(1), 1),
    ] {
        let created = version_1::Created {
            campaign_id: CAMPAIGN,
            owner: OWNER,
            settings: version_1::settings(&current, stored),
            at: t0(),
        };
        let updated = version_1::Updated {
            campaign_id: CAMPAIGN,
            settings: version_1::settings(&current, stored),
            at: t0(),
        };

        // When they are read back as version 1
        let created = decode_payload("CampaignCreated", 1, &bincode::serialize(&created).unwrap());
        let updated = decode_payload("CampaignUpdated", 1, &bincode::serialize(&updated).unwrap());

        // Then everything but the dropped delay is as it was, and that is
        // unset only when it held the default
        let mut expected = current.clone();
        // Old campaigns read with the jurisdiction rules on, the legal default.
        expected.jurisdiction_rules = true;
        expected.retry = match expected_set {
            Some(minutes) => expected.retry.with_dropped_delay_minutes(minutes).unwrap(),
            None => expected.retry.without_dropped_delay_minutes(),
        };
        let Event::CampaignCreated(created) = created else {
            panic!("{created:?}")
        };
        let Event::CampaignUpdated(updated) = updated else {
            panic!("{updated:?}")
        };
        for (decoded, what) in [
            (&created.settings, "created"),
            (&updated.settings, "updated"),
        ] {
            assert_eq!(decoded, &expected, "{what}, stored {stored}");
            assert_eq!(decoded.retry.dropped_delay_minutes_set(), expected_set);
            assert_eq!(decoded.retry.dropped_delay_minutes(), expected_effective);
        }
        assert_eq!(
            (created.campaign_id, created.owner, created.at),
            (CAMPAIGN, OWNER, t0())
        );
        assert_eq!((updated.campaign_id, updated.at), (CAMPAIGN, t0()));
    }
}

#[test]
fn a_dropped_delay_set_to_the_default_survives_version_2() {
    // Given a campaign whose dropped delay was set to 5 by hand
    let mut chosen = settings();
    chosen.retry = chosen
        .retry
        .with_delay_minutes(0)
        .and_then(|retry| retry.with_dropped_delay_minutes(5))
        .unwrap();
    let event = Event::CampaignUpdated(CampaignUpdated {
        campaign_id: CAMPAIGN,
        settings: chosen.clone(),
        at: t0(),
    });

    // When it is written and read back as the log does
    let bytes = bincode::serialize(&event.payload()).unwrap();
    let decoded = decode_payload(event.type_name(), event.schema_version(), &bytes);

    // Then it is still set, and still 5
    assert_eq!(decoded, event);
    let Event::CampaignUpdated(decoded) = decoded else {
        panic!("{decoded:?}")
    };
    assert_eq!(decoded.settings.retry.dropped_delay_minutes_set(), Some(5));
    assert_eq!(decoded.settings.retry.dropped_delay_minutes(), 5);
}

#[test]
fn whole_events_round_trip_through_json_and_bincode() {
    for event in one_of_each() {
        let json = serde_json::to_string(&event).unwrap();
        // JSON never holds a signing secret: it reads back redacted.
        let mut shown = event.clone();
        if let Event::SubscriptionCreated(created) = &mut shown {
            created.secret = WebhookSecret::new(WebhookSecret::REDACTED.into());
        }
        assert_eq!(
            serde_json::from_str::<Event>(&json).unwrap(),
            shown,
            "{json}"
        );
        let bytes = bincode::serialize(&event).unwrap();
        assert_eq!(bincode::deserialize::<Event>(&bytes).unwrap(), event);
    }
}

#[test]
fn json_payloads_read_like_the_api() {
    let dialed = &one_of_each()[13];
    let json = serde_json::to_value(dialed.payload()).unwrap();
    assert_eq!(json["phone"], "+919876543210");
    assert_eq!(json["at"], "2026-11-20T10:00:00Z");
    assert_eq!(json["call_id"], call_id(1).to_string());
    assert_eq!(json["attempt"], 1);
}

#[test]
fn call_ended_helpers_agree() {
    for event in one_of_each() {
        if let Some((outcome, ended)) = event.as_call_ended() {
            assert_eq!(Event::call_ended(outcome, ended.clone()), event);
            assert_eq!(
                event.type_name(),
                format!(
                    "Call{}",
                    match outcome {
                        crate::status::CallOutcome::Answered => "Answered",
                        crate::status::CallOutcome::NoAnswer => "NoAnswer",
                        crate::status::CallOutcome::Busy => "Busy",
                        crate::status::CallOutcome::Failed => "Failed",
                        crate::status::CallOutcome::Dropped => "Dropped",
                        crate::status::CallOutcome::Congestion => "Congestion",
                        crate::status::CallOutcome::Voicemail => "Voicemail",
                    }
                )
            );
        }
        let lead_event = event.stream().to_string().starts_with("lead-");
        assert_eq!(event.lead_id().is_some(), lead_event);
        let stream = event.stream().to_string();
        let campaignless = stream.starts_with("user-") || stream.starts_with("subscription-");
        assert_eq!(event.campaign_id().is_none(), campaignless);
    }
}

/// Campaign settings as schema version 2 laid them out: today's fields
/// without `detect_voicemail`.
#[derive(Serialize)]
struct SettingsV2<'a> {
    name: &'a str,
    timezone: Zone,
    hours: crate::time::DailyHours,
    start_date: Option<chrono::NaiveDate>,
    default_region: Option<crate::phone::Region>,
    /// The retry policy before delays per status: delay, attempts,
    /// statuses, dropped delay, daily cap.
    retry: (u32, u32, &'a [LeadStatus], Option<u32>, Option<u32>),
    local_hours: Option<crate::time::DailyHours>,
    dial_delay_ms: Option<u32>,
    provider: &'a crate::campaign::ProviderSettings,
}

#[test]
fn version_2_campaign_events_upcast_with_voicemail_detection_off() {
    // Given settings as version 2 stored them
    let mut current = settings();
    current.dial_delay_ms = Some(250);
    current.provider.caller_id = Some("+15005550001".into());
    let v2 = SettingsV2 {
        name: &current.name,
        timezone: current.timezone,
        hours: current.hours,
        start_date: current.start_date,
        default_region: current.default_region,
        retry: (
            current.retry.delay_minutes(),
            current.retry.max_attempts(),
            current.retry.statuses(),
            current.retry.dropped_delay_minutes_set(),
            current.retry.attempts_per_day_max(),
        ),
        local_hours: current.local_hours,
        dial_delay_ms: current.dial_delay_ms,
        provider: &current.provider,
    };
    #[derive(Serialize)]
    struct At(#[serde(with = "crate::events::instant")] DateTime<Utc>);
    let created = bincode::serialize(&(CAMPAIGN, OWNER, &v2, At(t0()))).unwrap();
    let updated = bincode::serialize(&(CAMPAIGN, &v2, At(t0()))).unwrap();
    // Version 3 added voicemail detection at the end of the settings.
    let created_v3 = bincode::serialize(&(CAMPAIGN, OWNER, (&v2, true), At(t0()))).unwrap();
    let decoded_v3 = decode_payload("CampaignCreated", 3, &created_v3);
    let Event::CampaignCreated(v3) = decoded_v3 else {
        panic!("{decoded_v3:?}")
    };
    assert!(v3.settings.detect_voicemail);
    assert!(v3.settings.jurisdiction_rules && !v3.settings.debt_collection);
    assert!(v3.settings.retry.delay_minutes_by_status().is_empty());

    // When they are read back as version 2
    let created = decode_payload("CampaignCreated", 2, &created);
    let updated = decode_payload("CampaignUpdated", 2, &updated);

    // Then every setting is as it was, and voicemail detection is off
    let expected = CampaignSettings {
        detect_voicemail: false,
        jurisdiction_rules: true,
        ..current
    };
    assert_eq!(
        created,
        Event::CampaignCreated(CampaignCreated {
            campaign_id: CAMPAIGN,
            owner: OWNER,
            settings: expected.clone(),
            at: t0(),
        })
    );
    assert_eq!(
        updated,
        Event::CampaignUpdated(CampaignUpdated {
            campaign_id: CAMPAIGN,
            settings: expected,
            at: t0(),
        })
    );
}
