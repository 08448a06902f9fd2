use super::*;
use crate::testkit::*;

fn when(campaign: &Campaign, command: CampaignCommand) -> Result<Vec<Event>, DomainError> {
    decide(campaign, command, t0())
}

fn apply(campaign: &Campaign, command: CampaignCommand) -> Campaign {
    let events = when(campaign, command).unwrap();
    then_campaign(campaign, &events)
}

fn with_one_lead() -> Campaign {
    with_leads(&draft(), 1).0
}

fn active() -> Campaign {
    apply(&with_one_lead(), CampaignCommand::Start)
}

fn paused() -> Campaign {
    apply(&active(), CampaignCommand::Pause { reason: None })
}

fn cancelled() -> Campaign {
    apply(&active(), CampaignCommand::Cancel { reason: None })
}

fn completed() -> Campaign {
    apply(&active(), CampaignCommand::Complete)
}

fn archived() -> Campaign {
    apply(&completed(), CampaignCommand::Archive)
}

fn transition(reason: Option<&str>) -> CampaignTransition {
    CampaignTransition {
        campaign_id: CAMPAIGN,
        reason: reason.map(str::to_owned),
        at: t0(),
    }
}

#[test]
fn create_records_a_draft() {
    let events = create(None, CAMPAIGN, OWNER, settings(), t0()).unwrap();
    assert_eq!(
        events,
        vec![Event::CampaignCreated(CampaignCreated {
            campaign_id: CAMPAIGN,
            owner: OWNER,
            settings: settings(),
            at: t0(),
        })]
    );
    let campaign = campaign_from(&events);
    assert_eq!(campaign.status, CampaignStatus::Draft);
    assert_eq!(campaign.owner, OWNER);
    assert_eq!(campaign.leads_imported, 0);
}

#[test]
fn create_is_refused_when_the_campaign_exists() {
    let existing = draft();
    assert_eq!(
        create(Some(&existing), CAMPAIGN, OWNER, settings(), t0()),
        Err(DomainError::CampaignExists(CAMPAIGN))
    );
}

#[test]
fn create_is_refused_with_bad_settings() {
    let mut bad = settings();
    bad.name = "   ".to_owned();
    assert!(matches!(
        create(None, CAMPAIGN, OWNER, bad, t0()),
        Err(DomainError::Settings(SettingsError::Empty { .. }))
    ));
    let mut bad = settings();
    bad.dial_delay_ms = Some(DIAL_DELAY_MS_MAX + 1);
    assert!(matches!(
        create(None, CAMPAIGN, OWNER, bad, t0()),
        Err(DomainError::Settings(SettingsError::PacingTooLong { .. }))
    ));
    let mut bad = settings();
    bad.provider.agent_id = Some("x".repeat(text::FIELD_VALUE_BYTES_MAX + 1));
    assert!(matches!(
        create(None, CAMPAIGN, OWNER, bad, t0()),
        Err(DomainError::Settings(SettingsError::TextTooLong { .. }))
    ));
    let mut bad = settings();
    bad.provider.extra = (0..=text::FIELDS_MAX)
        .map(|i| (i.to_string(), String::new()))
        .collect();
    assert!(matches!(
        create(None, CAMPAIGN, OWNER, bad, t0()),
        Err(DomainError::Settings(SettingsError::TooMany { .. }))
    ));
}

#[test]
fn update_replaces_the_settings() {
    let mut changed = settings();
    changed.name = "EMI Reminder v2".to_owned();
    for campaign in [draft(), active(), paused(), completed()] {
        let events = when(
            &campaign,
            CampaignCommand::Update {
                settings: Box::new(changed.clone()),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![Event::CampaignUpdated(CampaignUpdated {
                campaign_id: CAMPAIGN,
                settings: changed.clone(),
                at: t0(),
            })]
        );
        assert_eq!(
            then_campaign(&campaign, &events).settings.name,
            "EMI Reminder v2"
        );
    }
}

#[test]
fn update_with_the_same_settings_records_nothing() {
    assert_eq!(
        when(
            &draft(),
            CampaignCommand::Update {
                settings: Box::new(settings())
            }
        ),
        Ok(vec![])
    );
}

#[test]
fn update_is_refused_when_cancelled_archived_or_invalid() {
    let update = || CampaignCommand::Update {
        settings: Box::new(settings()),
    };
    assert_eq!(
        when(&cancelled(), update()),
        Err(DomainError::CampaignCancelled(CAMPAIGN))
    );
    assert_eq!(
        when(&archived(), update()),
        Err(DomainError::CampaignArchived(CAMPAIGN))
    );
    let mut bad = settings();
    bad.name.clear();
    assert!(matches!(
        when(
            &draft(),
            CampaignCommand::Update {
                settings: Box::new(bad)
            }
        ),
        Err(DomainError::Settings(_))
    ));
}

#[test]
fn start_activates_a_draft_with_leads() {
    let events = when(&with_one_lead(), CampaignCommand::Start).unwrap();
    assert_eq!(events, vec![Event::CampaignStarted(transition(None))]);
    let campaign = then_campaign(&with_one_lead(), &events);
    assert_eq!(campaign.status, CampaignStatus::Active);
    assert_eq!(campaign.started_at, Some(t0()));
}

#[test]
fn start_restarts_a_completed_campaign() {
    let events = when(&completed(), CampaignCommand::Start).unwrap();
    assert_eq!(events, vec![Event::CampaignStarted(transition(None))]);
}

#[test]
fn start_is_refused_when_running() {
    assert_eq!(
        when(&active(), CampaignCommand::Start),
        Err(DomainError::CampaignAlreadyRunning {
            id: CAMPAIGN,
            status: CampaignStatus::Active
        })
    );
    assert_eq!(
        when(&paused(), CampaignCommand::Start),
        Err(DomainError::CampaignAlreadyRunning {
            id: CAMPAIGN,
            status: CampaignStatus::Paused
        })
    );
}

#[test]
fn start_is_refused_without_leads() {
    assert_eq!(
        when(&draft(), CampaignCommand::Start),
        Err(DomainError::CampaignHasNoLeads(CAMPAIGN))
    );
}

#[test]
fn start_is_refused_when_cancelled_or_archived() {
    assert_eq!(
        when(&cancelled(), CampaignCommand::Start),
        Err(DomainError::CampaignCancelled(CAMPAIGN))
    );
    assert_eq!(
        when(&archived(), CampaignCommand::Start),
        Err(DomainError::CampaignArchived(CAMPAIGN))
    );
}

#[test]
fn pause_pauses_an_active_campaign() {
    let events = when(
        &active(),
        CampaignCommand::Pause {
            reason: Some(" lunch ".into()),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::CampaignPaused(transition(Some("lunch")))]
    );
    assert_eq!(
        then_campaign(&active(), &events).status,
        CampaignStatus::Paused
    );
}

#[test]
fn pause_is_refused_unless_active() {
    let pause = || CampaignCommand::Pause { reason: None };
    assert_eq!(
        when(&draft(), pause()),
        Err(DomainError::CampaignNotActive {
            id: CAMPAIGN,
            status: CampaignStatus::Draft
        })
    );
    assert_eq!(
        when(&paused(), pause()),
        Err(DomainError::CampaignNotActive {
            id: CAMPAIGN,
            status: CampaignStatus::Paused
        })
    );
    assert_eq!(
        when(&cancelled(), pause()),
        Err(DomainError::CampaignCancelled(CAMPAIGN))
    );
    assert_eq!(
        when(&completed(), pause()),
        Err(DomainError::CampaignCompleted(CAMPAIGN))
    );
    assert_eq!(
        when(&archived(), pause()),
        Err(DomainError::CampaignArchived(CAMPAIGN))
    );
}

#[test]
fn pause_is_refused_with_a_reason_too_long() {
    assert!(matches!(
        when(
            &active(),
            CampaignCommand::Pause {
                reason: Some("x".repeat(text::REASON_BYTES_MAX + 1))
            }
        ),
        Err(DomainError::Settings(SettingsError::TextTooLong { .. }))
    ));
}

#[test]
fn resume_reactivates_a_paused_campaign() {
    let events = when(&paused(), CampaignCommand::Resume).unwrap();
    assert_eq!(events, vec![Event::CampaignResumed(transition(None))]);
    assert_eq!(
        then_campaign(&paused(), &events).status,
        CampaignStatus::Active
    );
}

#[test]
fn resume_is_refused_unless_paused() {
    assert_eq!(
        when(&active(), CampaignCommand::Resume),
        Err(DomainError::CampaignNotPaused {
            id: CAMPAIGN,
            status: CampaignStatus::Active
        })
    );
    assert_eq!(
        when(&draft(), CampaignCommand::Resume),
        Err(DomainError::CampaignNotPaused {
            id: CAMPAIGN,
            status: CampaignStatus::Draft
        })
    );
    assert_eq!(
        when(&cancelled(), CampaignCommand::Resume),
        Err(DomainError::CampaignCancelled(CAMPAIGN))
    );
    assert_eq!(
        when(&completed(), CampaignCommand::Resume),
        Err(DomainError::CampaignCompleted(CAMPAIGN))
    );
    assert_eq!(
        when(&archived(), CampaignCommand::Resume),
        Err(DomainError::CampaignArchived(CAMPAIGN))
    );
}

#[test]
fn cancel_ends_a_draft_active_or_paused_campaign() {
    for campaign in [draft(), active(), paused()] {
        let events = when(
            &campaign,
            CampaignCommand::Cancel {
                reason: Some("wrong list".into()),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![Event::CampaignCancelled(transition(Some("wrong list")))]
        );
        let cancelled = then_campaign(&campaign, &events);
        assert_eq!(cancelled.status, CampaignStatus::Cancelled);
        assert_eq!(cancelled.ended_at, Some(t0()));
    }
}

#[test]
fn cancel_is_refused_when_already_over() {
    let cancel = || CampaignCommand::Cancel { reason: None };
    assert_eq!(
        when(&cancelled(), cancel()),
        Err(DomainError::CampaignCancelled(CAMPAIGN))
    );
    assert_eq!(
        when(&completed(), cancel()),
        Err(DomainError::CampaignCompleted(CAMPAIGN))
    );
    assert_eq!(
        when(&archived(), cancel()),
        Err(DomainError::CampaignArchived(CAMPAIGN))
    );
}

#[test]
fn complete_ends_an_active_campaign() {
    let events = when(&active(), CampaignCommand::Complete).unwrap();
    assert_eq!(events, vec![Event::CampaignCompleted(transition(None))]);
    assert_eq!(
        then_campaign(&active(), &events).status,
        CampaignStatus::Completed
    );
}

#[test]
fn complete_is_refused_unless_active() {
    assert_eq!(
        when(&paused(), CampaignCommand::Complete),
        Err(DomainError::CampaignNotActive {
            id: CAMPAIGN,
            status: CampaignStatus::Paused
        })
    );
    assert_eq!(
        when(&draft(), CampaignCommand::Complete),
        Err(DomainError::CampaignNotActive {
            id: CAMPAIGN,
            status: CampaignStatus::Draft
        })
    );
    assert_eq!(
        when(&completed(), CampaignCommand::Complete),
        Err(DomainError::CampaignCompleted(CAMPAIGN))
    );
    assert_eq!(
        when(&cancelled(), CampaignCommand::Complete),
        Err(DomainError::CampaignCancelled(CAMPAIGN))
    );
}

#[test]
fn archive_hides_an_idle_campaign() {
    for campaign in [draft(), completed(), cancelled()] {
        let events = when(&campaign, CampaignCommand::Archive).unwrap();
        assert_eq!(events, vec![Event::CampaignArchived(transition(None))]);
        assert_eq!(
            then_campaign(&campaign, &events).status,
            CampaignStatus::Archived
        );
    }
}

#[test]
fn archive_is_refused_while_running_or_archived() {
    assert_eq!(
        when(&active(), CampaignCommand::Archive),
        Err(DomainError::CampaignStillRunning {
            id: CAMPAIGN,
            status: CampaignStatus::Active
        })
    );
    assert_eq!(
        when(&paused(), CampaignCommand::Archive),
        Err(DomainError::CampaignStillRunning {
            id: CAMPAIGN,
            status: CampaignStatus::Paused
        })
    );
    assert_eq!(
        when(&archived(), CampaignCommand::Archive),
        Err(DomainError::CampaignArchived(CAMPAIGN))
    );
}

#[test]
fn scheduled_is_derived_from_the_start_date_and_the_window() {
    let mut later = settings();
    later.timezone = "Asia/Kolkata".parse().unwrap();
    later.start_date = Some(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    later.hours = DailyHours::new("09:00".parse().unwrap(), "18:00".parse().unwrap());
    let campaign = apply(&with_leads(&draft_with(later), 1).0, CampaignCommand::Start);
    assert_eq!(campaign.status, CampaignStatus::Active);
    assert_eq!(campaign.starts_at(), Some(at("2026-11-22T18:30:00Z")));
    assert_eq!(
        campaign.status_at(t0()),
        CampaignStatus::Scheduled,
        "before the start date"
    );
    assert_eq!(
        campaign.status_at(at("2026-11-23T05:00:00Z")),
        CampaignStatus::Active
    );
    assert_eq!(
        campaign.status_at(at("2026-11-23T14:00:00Z")),
        CampaignStatus::Scheduled,
        "19:30 in Kolkata, outside the window"
    );
    let paused = apply(&campaign, CampaignCommand::Pause { reason: None });
    assert_eq!(paused.status_at(t0()), CampaignStatus::Paused);
}

#[test]
fn imports_are_counted() {
    let (campaign, _) = with_leads(&draft(), 3);
    assert_eq!(campaign.leads_imported, 3);
    assert_eq!(campaign.next_sequence(), 3);
}

#[test]
fn evolve_ignores_other_campaigns_and_needs_a_creation() {
    let other = Event::CampaignPaused(CampaignTransition {
        campaign_id: CampaignId::from_u128(999),
        reason: None,
        at: t0(),
    });
    let campaign = active();
    assert_eq!(
        evolve(Some(campaign.clone()), &other),
        Some(campaign.clone())
    );
    assert_eq!(evolve(None, &other), None);
    let again = create(None, CAMPAIGN, UserId::from_u128(5), settings(), t0()).unwrap();
    assert_eq!(
        evolve(Some(campaign.clone()), &again[0]),
        Some(campaign),
        "a second creation changes nothing"
    );
}
