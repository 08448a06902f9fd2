use super::*;
use crate::campaign::CampaignCommand;
use crate::events::LeadQueued;
use crate::ids::{CallId, UserId};
use crate::status::{CallOutcome, CampaignStatus};
use crate::testkit::*;

fn row(phone: &str) -> LeadInput {
    LeadInput {
        phone: phone.to_owned(),
        ..LeadInput::default()
    }
}

fn import(
    campaign: &Campaign,
    existing: &HashMap<PhoneNumber, LeadId>,
    rows: Vec<LeadInput>,
) -> Result<(Vec<Event>, ImportSummary), DomainError> {
    let mut n = 100;
    import_leads(
        campaign,
        existing,
        |p| p.as_str() == "+919999999999",
        rows,
        || {
            n += 1;
            lead_id(n)
        },
        t0(),
    )
}

fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::type_name).collect()
}

fn count(events: &[Event], type_name: &str) -> usize {
    events.iter().filter(|e| e.type_name() == type_name).count()
}

// --- import ---

#[test]
fn import_normalises_numbers_and_skips_duplicates() {
    let rows = [
        "9876543210",
        "09876543210",
        "919876543210",
        "+91 98765 43210",
    ]
    .map(row)
    .to_vec();
    let (events, summary) = import(&draft(), &HashMap::new(), rows).unwrap();
    assert_eq!(summary.imported, 1);
    assert_eq!(summary.duplicates, 3);
    assert_eq!(
        types(&events),
        [
            "LeadsImported",
            "LeadImported",
            "LeadImported",
            "LeadSkipped",
            "LeadImported",
            "LeadSkipped",
            "LeadImported",
            "LeadSkipped"
        ]
    );
    let leads = leads_from(&events);
    assert!(leads.iter().all(|l| l.phone.as_str() == "+919876543210"));
    assert_eq!(leads[0].status, LeadStatus::New);
    assert!(leads[1..].iter().all(|l| l.status == LeadStatus::Skipped));
    let Event::LeadSkipped(skip) = &events[3] else {
        panic!("{events:?}")
    };
    assert_eq!(skip.reason, SkipReason::Duplicate { of: leads[0].id });
    let campaign = then_campaign(&draft(), &events);
    assert_eq!((campaign.leads_imported, campaign.leads_skipped), (1, 3));
}

#[test]
fn import_reports_invalid_rows_and_dnc_hits() {
    let mut with_zone = row("9876543211");
    with_zone.timezone = Some("Asia/Kolkata".into());
    with_zone.name = Some(" Asha ".into());
    with_zone.priority = Some("3".into());
    let mut bad_zone = row("9876543212");
    bad_zone.timezone = Some("Mars/Base".into());
    let mut many_fields = row("9876543213");
    many_fields.fields = (0..=crate::text::FIELDS_MAX)
        .map(|i| (format!("f{i}"), "v".into()))
        .collect();
    let rows = vec![
        row("12345"),
        with_zone,
        row("9999999999"),
        bad_zone,
        row(""),
        many_fields,
        row("abc"),
    ];
    let (events, summary) = import(&draft(), &HashMap::new(), rows).unwrap();
    assert_eq!(summary.imported, 1);
    assert_eq!(summary.dnc, 1);
    let invalid: Vec<usize> = summary.invalid.iter().map(|r| r.row).collect();
    assert_eq!(invalid, vec![1, 4, 5, 6, 7]);
    assert!(
        summary.invalid[0].error.contains("too short"),
        "{:?}",
        summary.invalid[0]
    );
    assert!(
        summary.invalid[1].error.contains("time zone"),
        "{:?}",
        summary.invalid[1]
    );
    let Event::LeadsImported(batch) = &events[0] else {
        panic!()
    };
    assert_eq!(
        (
            batch.imported,
            batch.duplicates,
            batch.dnc,
            batch.invalid,
            batch.first_sequence
        ),
        (1, 0, 1, 5, 0)
    );
    let leads = leads_from(&events);
    assert_eq!(leads[0].name.as_deref(), Some("Asha"));
    assert_eq!(leads[0].priority, 3);
    assert_eq!(leads[0].timezone.map(|z| z.name()), Some("Asia/Kolkata"));
    assert_eq!(leads[1].status, LeadStatus::Skipped);
}

#[test]
fn import_skips_numbers_already_in_the_campaign_and_continues_the_sequence() {
    let (campaign, leads) = with_leads(&draft(), 2);
    let existing: HashMap<PhoneNumber, LeadId> =
        leads.iter().map(|l| (l.phone.clone(), l.id)).collect();
    let (events, summary) = import(
        &campaign,
        &existing,
        vec![row(leads[0].phone.as_str()), row("9876500000")],
    )
    .unwrap();
    assert_eq!((summary.imported, summary.duplicates), (1, 1));
    let new_leads = leads_from(&events);
    assert_eq!(
        new_leads.iter().map(|l| l.sequence).collect::<Vec<_>>(),
        vec![2, 3]
    );
}

#[test]
fn import_is_refused_for_ended_campaigns_and_huge_files() {
    let (campaign, leads) = with_leads(&draft(), 1);
    let started = then_campaign(
        &campaign,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    let cancelled = then_campaign(&started, &cancel(&started, &[], None, t0()).unwrap());
    assert_eq!(
        import(&cancelled, &HashMap::new(), vec![]).unwrap_err(),
        DomainError::CampaignCancelled(CAMPAIGN)
    );
    let rows = vec![row("9876543210"); IMPORT_ROWS_MAX + 1];
    assert_eq!(
        import(&draft(), &HashMap::new(), rows).unwrap_err(),
        DomainError::TooManyRows {
            rows: IMPORT_ROWS_MAX + 1,
            max: IMPORT_ROWS_MAX
        }
    );
}

#[test]
fn a_completed_campaign_takes_new_leads() {
    let (campaign, leads) = with_leads(&draft(), 1);
    let started = then_campaign(
        &campaign,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    let completed = then_campaign(
        &started,
        &crate::campaign::decide(&started, CampaignCommand::Complete, t0()).unwrap(),
    );
    assert_eq!(completed.status, CampaignStatus::Completed);
    let (events, summary) = import(&completed, &HashMap::new(), vec![row("9876543219")]).unwrap();
    assert_eq!(summary.imported, 1);
    assert!(events.iter().any(|e| e.type_name() == "LeadImported"));
}

#[test]
fn campaigns_from_contacts() {
    let user_id = UserId::from_u128(0x10);
    let mut events = crate::user::create(None, user_id, "Priya", None, "d", t0()).unwrap();
    let user = crate::user::replay(&events).unwrap();
    events = crate::user::decide(
        &user,
        UserCommand::AddContact {
            contact_id: ContactId::from_u128(1),
            phone: phone("+919876543210"),
            name: Some("Asha".into()),
            timezone: None,
        },
        t0(),
    )
    .unwrap();
    let user = events.iter().fold(Some(user), crate::user::evolve).unwrap();
    let rows = contacts_as_rows(&user, &[ContactId::from_u128(1)]).unwrap();
    assert_eq!(rows[0].phone, "+919876543210");
    assert_eq!(rows[0].contact_id, Some(ContactId::from_u128(1)));
    assert_eq!(
        contacts_as_rows(&user, &[ContactId::from_u128(2)]),
        Err(DomainError::ContactNotFound(ContactId::from_u128(2)))
    );
}

// --- start, pause, resume ---

#[test]
fn start_queues_every_eligible_lead() {
    let (campaign, leads) = with_leads(&draft(), 3);
    let events = start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap();
    assert_eq!(
        types(&events),
        ["CampaignStarted", "LeadQueued", "LeadQueued", "LeadQueued"]
    );
    assert_eq!(
        events[1],
        Event::LeadQueued(LeadQueued {
            campaign_id: CAMPAIGN,
            lead_id: leads[0].id,
            from: LeadStatus::New,
            at: t0()
        })
    );
}

#[test]
fn start_outside_the_window_queues_nothing_yet() {
    let mut settings = settings();
    settings.hours =
        crate::time::DailyHours::new("11:00".parse().unwrap(), "12:00".parse().unwrap());
    let (campaign, leads) = with_leads(&draft_with(settings), 3);
    let events = start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap();
    assert_eq!(types(&events), ["CampaignStarted"]);
    let started = then_campaign(&campaign, &events);
    assert_eq!(started.status_at(t0()), CampaignStatus::Scheduled);
}

#[test]
fn start_errors() {
    let (campaign, leads) = with_leads(&draft(), 1);
    assert_eq!(
        start(&draft(), &crate::policy::Owner::detached(), &[], t0()),
        Err(DomainError::CampaignHasNoLeads(CAMPAIGN))
    );
    let dnc = run(
        &leads[0],
        &campaign,
        crate::lead::LeadCommand::MarkDnc {
            reason: "asked".into(),
        },
        t0(),
    );
    assert_eq!(
        start(&campaign, &crate::policy::Owner::detached(), &[dnc], t0()),
        Err(DomainError::CampaignHasNoCallableLeads {
            id: CAMPAIGN,
            total: 1
        })
    );
    let started = then_campaign(
        &campaign,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    assert_eq!(
        start(&started, &crate::policy::Owner::detached(), &leads, t0()),
        Err(DomainError::CampaignAlreadyRunning {
            id: CAMPAIGN,
            status: CampaignStatus::Active
        })
    );
    let mut stranger = leads[0].clone();
    stranger.campaign_id = crate::ids::CampaignId::from_u128(5);
    assert!(matches!(
        start(
            &campaign,
            &crate::policy::Owner::detached(),
            &[stranger],
            t0()
        ),
        Err(DomainError::LeadOfOtherCampaign { .. })
    ));
}

/// Applies a plan's events to a campaign and its leads.
fn apply(campaign: &Campaign, leads: &[Lead], events: &[Event]) -> (Campaign, Vec<Lead>) {
    let campaign = then_campaign(campaign, events);
    let leads = leads.iter().map(|lead| then_lead(lead, events)).collect();
    (campaign, leads)
}

fn dial(campaign: &Campaign, lead: &Lead, call: CallId) -> Lead {
    run(
        lead,
        campaign,
        crate::lead::LeadCommand::Dial {
            call_id: call,
            phone: lead.phone.clone(),
        },
        t0(),
    )
}

#[test]
fn pause_while_five_ring_lets_them_finish_and_dials_nobody_else() {
    let (campaign, leads) = with_leads(&draft(), 30);
    let (campaign, mut leads) = apply(
        &campaign,
        &leads,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    for (i, lead) in leads.iter_mut().take(5).enumerate() {
        *lead = dial(&campaign, lead, call_id(i as u128));
    }
    let events = pause(&campaign, &leads, Some("lunch".into()), t0()).unwrap();
    assert_eq!(count(&events, "CampaignPaused"), 1);
    assert_eq!(count(&events, "LeadUnqueued"), 25);
    let (paused, mut leads) = apply(&campaign, &leads, &events);
    assert_eq!(
        leads.iter().filter(|l| l.status == LeadStatus::New).count(),
        25
    );
    assert_eq!(
        leads
            .iter()
            .filter(|l| l.status == LeadStatus::Dialing)
            .count(),
        5
    );
    for (i, lead) in leads.iter_mut().take(5).enumerate() {
        let report = crate::lead::LeadCommand::RecordCallReport {
            call_id: call_id(i as u128),
            report: ended(CallOutcome::Answered),
        };
        *lead = run(lead, &paused, report, t0() + minutes(1));
        assert_eq!(lead.status, LeadStatus::Answered, "calls in flight finish");
    }
    for lead in &leads[5..] {
        assert!(lead::decide(
            lead,
            &paused,
            crate::lead::LeadCommand::Queue,
            t0() + minutes(2)
        )
        .is_err());
        assert!(lead::decide(
            lead,
            &paused,
            crate::lead::LeadCommand::Dial {
                call_id: call_id(99),
                phone: lead.phone.clone(),
            },
            t0()
        )
        .is_err());
    }
    assert_eq!(
        leads.iter().map(|l| l.dial_attempts).sum::<u32>(),
        5,
        "0 new dials"
    );
}

#[test]
fn resume_queues_exactly_the_leads_not_called() {
    let (campaign, leads) = with_leads(&draft(), 2_081);
    let (campaign, mut leads) = apply(
        &campaign,
        &leads,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    for (i, lead) in leads.iter_mut().take(171).enumerate() {
        let dialing = dial(&campaign, lead, call_id(i as u128));
        let report = crate::lead::LeadCommand::RecordCallReport {
            call_id: call_id(i as u128),
            report: ended(CallOutcome::Answered),
        };
        *lead = run(&dialing, &campaign, report, t0());
    }
    let (paused, leads) = apply(
        &campaign,
        &leads,
        &pause(&campaign, &leads, None, t0()).unwrap(),
    );
    let events = resume(
        &paused,
        &crate::policy::Owner::detached(),
        &leads,
        t0() + minutes(5),
    )
    .unwrap();
    assert_eq!(count(&events, "CampaignResumed"), 1);
    assert_eq!(count(&events, "LeadQueued"), 1_910);
    let queued: std::collections::HashSet<LeadId> = events
        .iter()
        .filter_map(|e| match e {
            Event::LeadQueued(q) => Some(q.lead_id),
            _ => None,
        })
        .collect();
    assert!(
        leads[..171].iter().all(|l| !queued.contains(&l.id)),
        "called leads are not queued again"
    );
}

#[test]
fn resume_requeues_retries_whose_delay_passed() {
    let (campaign, leads) = with_leads(&draft(), 2);
    let (campaign, mut leads) = apply(
        &campaign,
        &leads,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    let dialing = dial(&campaign, &leads[0], call_id(1));
    let report = crate::lead::LeadCommand::RecordCallReport {
        call_id: call_id(1),
        report: ended(CallOutcome::Busy),
    };
    leads[0] = run(&dialing, &campaign, report, t0());
    let (paused, leads) = apply(
        &campaign,
        &leads,
        &pause(&campaign, &leads, None, t0()).unwrap(),
    );
    assert_eq!(
        count(
            &resume(
                &paused,
                &crate::policy::Owner::detached(),
                &leads,
                t0() + minutes(10)
            )
            .unwrap(),
            "LeadQueued"
        ),
        1
    );
    assert_eq!(
        count(
            &resume(
                &paused,
                &crate::policy::Owner::detached(),
                &leads,
                t0() + minutes(241)
            )
            .unwrap(),
            "LeadQueued"
        ),
        2
    );
}

#[test]
fn pause_and_resume_errors_come_from_the_campaign() {
    let (campaign, leads) = with_leads(&draft(), 1);
    assert!(matches!(
        pause(&campaign, &leads, None, t0()),
        Err(DomainError::CampaignNotActive { .. })
    ));
    assert!(matches!(
        resume(&campaign, &crate::policy::Owner::detached(), &leads, t0()),
        Err(DomainError::CampaignNotPaused { .. })
    ));
}

// --- cancel, complete ---

#[test]
fn cancel_cancels_waiting_leads_and_lets_calls_finish() {
    let (campaign, leads) = with_leads(&draft(), 4);
    let (campaign, mut leads) = apply(
        &campaign,
        &leads,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    leads[0] = dial(&campaign, &leads[0], call_id(1));
    let dialing = dial(&campaign, &leads[1], call_id(2));
    let report = crate::lead::LeadCommand::RecordCallReport {
        call_id: call_id(2),
        report: ended(CallOutcome::Answered),
    };
    leads[1] = run(&dialing, &campaign, report, t0());
    let events = cancel(&campaign, &leads, Some("wrong list".into()), t0()).unwrap();
    assert_eq!(
        types(&events),
        ["CampaignCancelled", "LeadCancelled", "LeadCancelled"]
    );
    let (_, leads) = apply(&campaign, &leads, &events);
    let statuses: Vec<LeadStatus> = leads.iter().map(|l| l.status).collect();
    assert_eq!(
        statuses,
        [
            LeadStatus::Dialing,
            LeadStatus::Answered,
            LeadStatus::Cancelled,
            LeadStatus::Cancelled
        ]
    );
}

#[test]
fn complete_needs_every_lead_done() {
    let (campaign, leads) = with_leads(&draft(), 2);
    let (campaign, mut leads) = apply(
        &campaign,
        &leads,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    assert_eq!(
        complete(&campaign, &leads, t0()),
        Err(DomainError::CampaignHasWork {
            id: CAMPAIGN,
            remaining: 2
        })
    );
    for (i, lead) in leads.iter_mut().enumerate() {
        let dialing = dial(&campaign, lead, call_id(i as u128));
        let report = crate::lead::LeadCommand::RecordCallReport {
            call_id: call_id(i as u128),
            report: ended(CallOutcome::Answered),
        };
        *lead = run(&dialing, &campaign, report, t0());
    }
    assert_eq!(remaining_work(&campaign, &leads), 0);
    assert_eq!(
        types(&complete(&campaign, &leads, t0()).unwrap()),
        ["CampaignCompleted"]
    );
    let draft_campaign = with_leads(&draft(), 1).0;
    assert!(matches!(
        complete(&draft_campaign, &[], t0()),
        Err(DomainError::CampaignNotActive { .. })
    ));
}

// --- recycle ---

fn recycle_request(statuses: &[LeadStatus]) -> RecycleRequest {
    RecycleRequest {
        statuses: statuses.to_vec(),
        target: LeadStatus::New,
        reset_dial_count: false,
        reason: "second pass".into(),
    }
}

#[test]
fn recycle_moves_the_chosen_statuses_back_to_new() {
    let (campaign, leads) = with_leads(&draft(), 3);
    let (campaign, mut leads) = apply(
        &campaign,
        &leads,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    for (i, outcome) in [CallOutcome::NoAnswer, CallOutcome::Busy]
        .into_iter()
        .enumerate()
    {
        let dialing = dial(&campaign, &leads[i], call_id(i as u128));
        let report = crate::lead::LeadCommand::RecordCallReport {
            call_id: call_id(i as u128),
            report: ended(outcome),
        };
        leads[i] = run(&dialing, &campaign, report, t0());
    }
    let (events, recycled) = recycle(
        &campaign,
        &leads,
        &recycle_request(&[LeadStatus::NoAnswer]),
        t0(),
    )
    .unwrap();
    assert_eq!(recycled, 1);
    assert_eq!(types(&events), ["LeadRecycled"]);
    let (_, leads) = apply(&campaign, &leads, &events);
    assert_eq!(leads[0].status, LeadStatus::New);
    assert_eq!(leads[0].dial_attempts, 1);
    assert_eq!(leads[1].status, LeadStatus::Busy);
}

#[test]
fn recycle_errors() {
    let (campaign, leads) = with_leads(&draft(), 1);
    assert_eq!(
        recycle(&campaign, &leads, &recycle_request(&[]), t0()),
        Err(DomainError::NothingToRecycle)
    );
    assert_eq!(
        recycle(
            &campaign,
            &leads,
            &recycle_request(&[LeadStatus::Dnc]),
            t0()
        ),
        Err(DomainError::StatusNotRecyclable(LeadStatus::Dnc))
    );
    let mut to_busy = recycle_request(&[LeadStatus::NoAnswer]);
    to_busy.target = LeadStatus::Busy;
    assert_eq!(
        recycle(&campaign, &leads, &to_busy, t0()),
        Err(DomainError::BadRecycleTarget(LeadStatus::Busy))
    );
    let archived = then_campaign(
        &campaign,
        &crate::campaign::decide(&campaign, CampaignCommand::Archive, t0()).unwrap(),
    );
    assert_eq!(
        recycle(
            &archived,
            &leads,
            &recycle_request(&[LeadStatus::New]),
            t0()
        ),
        Err(DomainError::CampaignArchived(CAMPAIGN))
    );
}

// --- contacts and do-not-call ---

#[test]
fn deleting_a_queued_contact_takes_it_out_of_the_hopper() {
    let user_id = UserId::from_u128(0x10);
    let contact = ContactId::from_u128(1);
    let mut user =
        crate::user::replay(&crate::user::create(None, user_id, "Priya", None, "d", t0()).unwrap());
    let added = crate::user::decide(
        user.as_ref().unwrap(),
        UserCommand::AddContact {
            contact_id: contact,
            phone: phone("+919876543210"),
            name: None,
            timezone: None,
        },
        t0(),
    )
    .unwrap();
    user = added.iter().fold(user, crate::user::evolve);
    let user = user.unwrap();
    let rows = contacts_as_rows(&user, &[contact]).unwrap();
    let (events, _) = import(&draft(), &HashMap::new(), rows).unwrap();
    let campaign = then_campaign(&draft(), &events);
    let leads = leads_from(&events);
    let (campaign, leads) = apply(
        &campaign,
        &leads,
        &start(&campaign, &crate::policy::Owner::detached(), &leads, t0()).unwrap(),
    );
    assert_eq!(leads[0].status, LeadStatus::Queued);
    let events = delete_contact(&user, contact, &[(&leads[0], &campaign)], t0()).unwrap();
    assert_eq!(types(&events), ["ContactDeleted", "LeadCancelled"]);
    let (_, leads) = apply(&campaign, &leads, &events);
    assert_eq!(leads[0].status, LeadStatus::Cancelled);
    assert_eq!(
        delete_contact(&user, ContactId::from_u128(9), &[], t0()),
        Err(DomainError::ContactNotFound(ContactId::from_u128(9)))
    );
}

#[test]
fn adding_a_number_to_the_dnc_list_marks_its_leads() {
    let user = crate::user::replay(
        &crate::user::create(None, UserId::from_u128(0x10), "Priya", None, "d", t0()).unwrap(),
    )
    .unwrap();
    let (_, leads) = with_leads(&draft(), 2);
    let number = leads[0].phone.clone();
    let events = add_dnc(&user, &number, None, &leads, t0()).unwrap();
    assert_eq!(types(&events), ["DncAdded", "LeadMarkedDnc"]);
    let marked: Vec<Lead> = leads.iter().map(|l| then_lead(l, &events)).collect();
    assert_eq!(marked[0].status, LeadStatus::Dnc);
    assert_eq!(marked[1].status, LeadStatus::New);
}

#[test]
fn a_priority_that_is_not_a_32_bit_whole_number_refuses_its_row() {
    // Given rows whose priority is a whole number, empty, or not one
    let with = |phone: &str, priority: &str| {
        let mut row = row(phone);
        row.priority = Some(priority.into());
        row
    };
    let rows = vec![
        with("9876543211", "-7"),
        with("9876543212", ""),
        with("9876543213", "NaN"),
        with("9876543214", "99999999999999999999"),
        with("9876543215", "1.5"),
        with("9876543216", "2147483647"),
    ];

    // When they are imported
    let (events, summary) = import(&draft(), &HashMap::new(), rows).unwrap();

    // Then the whole numbers are kept, an empty one is the default, and
    // every other row is invalid with its reason
    let invalid: Vec<(usize, &str)> = summary
        .invalid
        .iter()
        .map(|r| (r.row, r.error.as_str()))
        .collect();
    assert_eq!(invalid.len(), 3, "{invalid:?}");
    for ((row, error), (expected_row, value)) in
        invalid
            .iter()
            .zip([(3, "NaN"), (4, "99999999999999999999"), (5, "1.5")])
    {
        assert_eq!(*row, expected_row);
        assert!(error.contains("priority must be a whole number"), "{error}");
        assert!(error.contains(value), "{error}");
    }
    let priorities: Vec<i32> = leads_from(&events).iter().map(|l| l.priority).collect();
    assert_eq!(priorities, [-7, 0, i32::MAX]);
    assert!(leads_from(&events)
        .iter()
        .all(|l| l.fields.get("priority").is_none()));
}
