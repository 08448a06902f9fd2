use super::*;
use crate::campaign::CampaignCommand;
use crate::eligibility::NeverReason;
use crate::events::{LeadSkipped, SkipReason};
use crate::status::CampaignStatus;
use crate::testkit::*;
use crate::time::DailyHours;

fn when(lead: &Lead, campaign: &Campaign, command: LeadCommand) -> Result<Vec<Event>, DomainError> {
    decide(lead, campaign, command, t0())
}

fn report(call: CallId, outcome: CallOutcome) -> LeadCommand {
    LeadCommand::RecordCallReport {
        call_id: call,
        report: ended(outcome),
    }
}

fn skipped(campaign: &Campaign, lead: &Lead) -> Lead {
    then_lead(
        lead,
        &[Event::LeadSkipped(LeadSkipped {
            campaign_id: campaign.id,
            lead_id: lead.id,
            reason: SkipReason::Dnc,
            at: t0(),
        })],
    )
}

fn marked_dnc(campaign: &Campaign, lead: &Lead) -> Lead {
    run(
        lead,
        campaign,
        LeadCommand::MarkDnc {
            reason: "asked".into(),
        },
        t0(),
    )
}

fn cancelled(campaign: &Campaign, lead: &Lead) -> Lead {
    run(
        lead,
        campaign,
        LeadCommand::Cancel {
            reason: "by hand".into(),
        },
        t0(),
    )
}

fn answered(campaign: &Campaign, lead: &Lead) -> Lead {
    called(
        lead,
        campaign,
        call_id(1),
        CallOutcome::Answered,
        t0() - minutes(10),
    )
}

fn paused(campaign: &Campaign) -> Campaign {
    let events =
        crate::campaign::decide(campaign, CampaignCommand::Pause { reason: None }, t0()).unwrap();
    then_campaign(campaign, &events)
}

// --- queue ---

#[test]
fn queue_puts_an_eligible_lead_in_the_hopper() {
    let (campaign, lead) = active_with_one_lead();
    let events = when(&lead, &campaign, LeadCommand::Queue).unwrap();
    assert_eq!(
        events,
        vec![Event::LeadQueued(LeadQueued {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            from: LeadStatus::New,
            at: t0(),
        })]
    );
    let queued = then_lead(&lead, &events);
    assert_eq!(queued.status, LeadStatus::Queued);
    assert_eq!(queued.queued_from, Some(LeadStatus::New));
}

#[test]
fn queue_is_refused_for_queued_dialing_barred_cancelled_and_final_leads() {
    let (campaign, lead) = active_with_one_lead();
    let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
    assert_eq!(
        when(&queued, &campaign, LeadCommand::Queue),
        Err(DomainError::LeadAlreadyQueued(lead.id))
    );
    let dialing = dialed(&lead, &campaign, call_id(1), t0());
    assert_eq!(
        when(&dialing, &campaign, LeadCommand::Queue),
        Err(DomainError::CallInFlight {
            lead: lead.id,
            call: call_id(1)
        })
    );
    assert_eq!(
        when(&marked_dnc(&campaign, &lead), &campaign, LeadCommand::Queue),
        Err(DomainError::LeadIsDnc(lead.id))
    );
    assert_eq!(
        when(&skipped(&campaign, &lead), &campaign, LeadCommand::Queue),
        Err(DomainError::LeadIsSkipped(lead.id))
    );
    assert_eq!(
        when(&cancelled(&campaign, &lead), &campaign, LeadCommand::Queue),
        Err(DomainError::LeadIsCancelled(lead.id))
    );
    assert_eq!(
        when(&answered(&campaign, &lead), &campaign, LeadCommand::Queue),
        Err(DomainError::LeadIsFinal {
            id: lead.id,
            status: LeadStatus::Answered
        })
    );
}

#[test]
fn queue_is_refused_inside_the_retry_delay() {
    let (campaign, lead) = active_with_one_lead();
    let busy = called(
        &lead,
        &campaign,
        call_id(1),
        CallOutcome::Busy,
        t0() - minutes(61),
    );
    assert_eq!(
        when(&busy, &campaign, LeadCommand::Queue),
        Err(DomainError::LeadNotYetEligible {
            id: lead.id,
            until: t0() - minutes(60) + minutes(240)
        })
    );
}

#[test]
fn queue_is_refused_when_the_campaign_is_not_active() {
    let (campaign, lead) = active_with_one_lead();
    assert_eq!(
        when(&lead, &paused(&campaign), LeadCommand::Queue),
        Err(DomainError::LeadNotEligible {
            id: lead.id,
            reason: NeverReason::CampaignNotActive(CampaignStatus::Paused)
        })
    );
}

#[test]
fn commands_are_refused_with_a_lead_of_another_campaign() {
    let (campaign, lead) = active_with_one_lead();
    let mut other = campaign.clone();
    other.id = crate::ids::CampaignId::from_u128(77);
    assert_eq!(
        when(&lead, &other, LeadCommand::Queue),
        Err(DomainError::LeadOfOtherCampaign {
            lead: lead.id,
            actual: CAMPAIGN,
            expected: other.id
        })
    );
}

// --- unqueue ---

#[test]
fn unqueue_restores_the_status_it_was_queued_from() {
    let (campaign, lead) = active_with_one_lead();
    let busy = called(
        &lead,
        &campaign,
        call_id(1),
        CallOutcome::Busy,
        t0() - minutes(300),
    );
    let queued = run(&busy, &campaign, LeadCommand::Queue, t0());
    let events = when(
        &queued,
        &campaign,
        LeadCommand::Unqueue {
            reason: "campaign paused".into(),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::LeadUnqueued(LeadUnqueued {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            restored: LeadStatus::Busy,
            reason: "campaign paused".into(),
            at: t0(),
        })]
    );
    let back = then_lead(&queued, &events);
    assert_eq!(back.status, LeadStatus::Busy);
    assert_eq!(
        back.dial_attempts, 1,
        "an unqueue never makes a dialed lead look new"
    );
}

#[test]
fn unqueue_is_refused_unless_queued_or_without_a_reason() {
    let (campaign, lead) = active_with_one_lead();
    assert_eq!(
        when(
            &lead,
            &campaign,
            LeadCommand::Unqueue { reason: "x".into() }
        ),
        Err(DomainError::LeadNotQueued {
            id: lead.id,
            status: LeadStatus::New
        })
    );
    let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
    assert!(matches!(
        when(
            &queued,
            &campaign,
            LeadCommand::Unqueue {
                reason: "  ".into()
            }
        ),
        Err(DomainError::Settings(_))
    ));
}

// --- dial ---

#[test]
fn dial_starts_a_call_of_a_queued_lead() {
    let (campaign, lead) = active_with_one_lead();
    let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
    let events = when(
        &queued,
        &campaign,
        LeadCommand::Dial {
            call_id: call_id(1),
            phone: lead.phone.clone(),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::LeadDialed(LeadDialed {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            call_id: call_id(1),
            attempt: 1,
            phone: lead.phone.clone(),
            at: t0(),
        })]
    );
    let dialing = then_lead(&queued, &events);
    assert_eq!(dialing.status, LeadStatus::Dialing);
    assert_eq!(dialing.dial_attempts, 1);
    assert_eq!(dialing.last_dial_attempt, Some(t0()));
    assert_eq!(
        dialing.in_flight.as_ref().map(|c| c.call_id),
        Some(call_id(1))
    );
}

#[test]
fn dial_is_refused_unless_queued() {
    let (campaign, lead) = active_with_one_lead();
    let dial = || LeadCommand::Dial {
        call_id: call_id(9),
        phone: lead.phone.clone(),
    };
    assert_eq!(
        when(&lead, &campaign, dial()),
        Err(DomainError::LeadNotQueued {
            id: lead.id,
            status: LeadStatus::New
        })
    );
    let dialing = dialed(&lead, &campaign, call_id(1), t0());
    assert_eq!(
        when(&dialing, &campaign, dial()),
        Err(DomainError::CallInFlight {
            lead: lead.id,
            call: call_id(1)
        }),
        "a second call while one is in flight"
    );
    assert_eq!(
        when(&marked_dnc(&campaign, &lead), &campaign, dial()),
        Err(DomainError::LeadIsDnc(lead.id))
    );
    assert_eq!(
        when(&skipped(&campaign, &lead), &campaign, dial()),
        Err(DomainError::LeadIsSkipped(lead.id))
    );
    assert_eq!(
        when(&cancelled(&campaign, &lead), &campaign, dial()),
        Err(DomainError::LeadIsCancelled(lead.id))
    );
    assert_eq!(
        when(&answered(&campaign, &lead), &campaign, dial()),
        Err(DomainError::LeadIsFinal {
            id: lead.id,
            status: LeadStatus::Answered
        })
    );
}

#[test]
fn dial_is_refused_with_a_used_call_id() {
    let (campaign, lead) = active_with_one_lead();
    let failed = called(
        &lead,
        &campaign,
        call_id(1),
        CallOutcome::Dropped,
        t0() - minutes(30),
    );
    let queued = run(&failed, &campaign, LeadCommand::Queue, t0());
    assert_eq!(
        when(
            &queued,
            &campaign,
            LeadCommand::Dial {
                call_id: call_id(1),
                phone: lead.phone.clone(),
            }
        ),
        Err(DomainError::DuplicateCallId(call_id(1)))
    );
}

#[test]
fn dial_is_refused_once_the_window_closed_or_the_campaign_paused() {
    let mut settings = settings();
    settings.hours = DailyHours::new("09:00".parse().unwrap(), "11:00".parse().unwrap());
    let (campaign, lead) = active_with_one_lead_settings(settings);
    let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
    assert_eq!(
        decide(
            &queued,
            &campaign,
            LeadCommand::Dial {
                call_id: call_id(1),
                phone: lead.phone.clone(),
            },
            at("2026-11-20T11:30:00Z")
        ),
        Err(DomainError::LeadNotYetEligible {
            id: lead.id,
            until: at("2026-11-21T09:00:00Z")
        })
    );
    assert_eq!(
        when(
            &queued,
            &paused(&campaign),
            LeadCommand::Dial {
                call_id: call_id(1),
                phone: lead.phone.clone(),
            }
        ),
        Err(DomainError::LeadNotEligible {
            id: lead.id,
            reason: NeverReason::CampaignNotActive(CampaignStatus::Paused)
        })
    );
}

// --- provider reports ---

#[test]
fn each_outcome_is_recorded_with_its_event() {
    for outcome in CallOutcome::ALL {
        let (campaign, lead) = active_with_one_lead();
        let dialing = dialed(&lead, &campaign, call_id(1), t0() - minutes(1));
        let events = when(&dialing, &campaign, report(call_id(1), outcome)).unwrap();
        let mut expected = call_ended(&lead, call_id(1), t0());
        expected.provider_status = outcome.as_str().into();
        expected.duration_secs = Some(12);
        expected.provider_call_id = Some("prov-1".into());
        assert_eq!(events, vec![Event::call_ended(outcome, expected)]);
        let done = then_lead(&dialing, &events);
        assert_eq!(done.status, outcome.status());
        assert_eq!(done.dial_result, Some(outcome));
        assert_eq!(done.in_flight, None);
        assert_eq!(
            done.answered_count,
            u32::from(outcome == CallOutcome::Answered)
        );
    }
}

#[test]
fn the_same_outcome_twice_records_nothing() {
    let (campaign, lead) = active_with_one_lead();
    let done = called(
        &lead,
        &campaign,
        call_id(1),
        CallOutcome::NoAnswer,
        t0() - minutes(5),
    );
    assert_eq!(
        when(&done, &campaign, report(call_id(1), CallOutcome::NoAnswer)),
        Ok(vec![])
    );
    assert_eq!(
        when(&done, &campaign, report(call_id(1), CallOutcome::Answered)),
        Ok(vec![]),
        "the first result wins"
    );
}

#[test]
fn ringing_records_nothing_before_or_after_the_end() {
    let (campaign, lead) = active_with_one_lead();
    let dialing = dialed(&lead, &campaign, call_id(1), t0() - minutes(5));
    let ringing = LeadCommand::RecordCallReport {
        call_id: call_id(1),
        report: CallReport {
            state: ReportedCallState::Ringing,
            ..ended(CallOutcome::Answered)
        },
    };
    assert_eq!(when(&dialing, &campaign, ringing.clone()), Ok(vec![]));
    let done = run(
        &dialing,
        &campaign,
        report(call_id(1), CallOutcome::Busy),
        t0(),
    );
    assert_eq!(
        when(&done, &campaign, ringing),
        Ok(vec![]),
        "a late ringing changes nothing"
    );
    assert_eq!(done.status, LeadStatus::Busy);
}

#[test]
fn a_report_for_an_unknown_call_is_refused() {
    let (campaign, lead) = active_with_one_lead();
    assert_eq!(
        when(&lead, &campaign, report(call_id(5), CallOutcome::Answered)),
        Err(DomainError::UnknownCall {
            lead: lead.id,
            call: call_id(5)
        })
    );
}

#[test]
fn provider_texts_are_cut_to_their_limit() {
    let (campaign, lead) = active_with_one_lead();
    let dialing = dialed(&lead, &campaign, call_id(1), t0() - minutes(5));
    let long = "e".repeat(5_000);
    let events = when(
        &dialing,
        &campaign,
        LeadCommand::RecordCallReport {
            call_id: call_id(1),
            report: CallReport {
                error: Some(long.clone()),
                provider_status: long,
                ..ended(CallOutcome::Failed)
            },
        },
    )
    .unwrap();
    let Some((_, ended)) = events[0].as_call_ended() else {
        panic!("{events:?}")
    };
    assert_eq!(
        ended.provider_status.len(),
        crate::text::PROVIDER_TEXT_BYTES_MAX
    );
    assert_eq!(
        ended.error.as_ref().map(String::len),
        Some(crate::text::PROVIDER_TEXT_BYTES_MAX)
    );
}

#[test]
fn a_lead_marked_dnc_while_ringing_stays_dnc() {
    let (campaign, lead) = active_with_one_lead();
    let dialing = dialed(&lead, &campaign, call_id(1), t0() - minutes(5));
    let dnc = run(
        &dialing,
        &campaign,
        LeadCommand::MarkDnc {
            reason: "asked".into(),
        },
        t0(),
    );
    let done = run(
        &dnc,
        &campaign,
        report(call_id(1), CallOutcome::Answered),
        t0(),
    );
    assert_eq!(done.status, LeadStatus::Dnc);
    assert_eq!(done.answered_count, 1);
    assert_eq!(done.in_flight, None);
}

#[test]
fn call_placed_records_the_provider_id_once() {
    let (campaign, lead) = active_with_one_lead();
    let dialing = dialed(&lead, &campaign, call_id(1), t0() - minutes(5));
    let placed = || LeadCommand::RecordCallPlaced {
        call_id: call_id(1),
        provider_call_id: "CA123".into(),
    };
    let events = when(&dialing, &campaign, placed()).unwrap();
    assert_eq!(
        events,
        vec![Event::CallPlaced(CallPlaced {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            call_id: call_id(1),
            provider_call_id: "CA123".into(),
            at: t0(),
        })]
    );
    let placed_lead = then_lead(&dialing, &events);
    assert_eq!(when(&placed_lead, &campaign, placed()), Ok(vec![]));
    let done = run(
        &placed_lead,
        &campaign,
        report(call_id(1), CallOutcome::Busy),
        t0(),
    );
    assert_eq!(
        when(&done, &campaign, placed()),
        Ok(vec![]),
        "late acceptance"
    );
    assert_eq!(
        when(&lead, &campaign, placed()),
        Err(DomainError::UnknownCall {
            lead: lead.id,
            call: call_id(1)
        })
    );
}

// --- reclaim ---

fn reclaim_cmd(call: CallId) -> LeadCommand {
    LeadCommand::Reclaim {
        call_id: call,
        stale_after: minutes(10),
        reason: "stale".into(),
    }
}

#[test]
fn reclaim_fails_a_stale_call() {
    let (campaign, lead) = active_with_one_lead();
    let dialing = dialed(&lead, &campaign, call_id(1), t0() - minutes(10));
    let events = when(&dialing, &campaign, reclaim_cmd(call_id(1))).unwrap();
    assert_eq!(
        events,
        vec![Event::CallReclaimed(CallReclaimed {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            call_id: call_id(1),
            dialed_at: t0() - minutes(10),
            reason: "stale".into(),
            at: t0(),
        })]
    );
    let failed = then_lead(&dialing, &events);
    assert_eq!(failed.status, LeadStatus::Failed);
    assert_eq!(failed.in_flight, None);
    assert_eq!(
        failed.category(&campaign),
        LeadCategory::Recyclable,
        "never stuck"
    );
    assert_eq!(
        when(
            &failed,
            &campaign,
            report(call_id(1), CallOutcome::Answered)
        ),
        Ok(vec![])
    );
}

#[test]
fn reclaim_is_refused_before_the_timeout_or_without_a_call() {
    let (campaign, lead) = active_with_one_lead();
    let dialing = dialed(&lead, &campaign, call_id(1), t0() - minutes(9));
    assert_eq!(
        when(&dialing, &campaign, reclaim_cmd(call_id(1))),
        Err(DomainError::CallNotStale {
            call: call_id(1),
            stale_at: t0() + minutes(1)
        })
    );
    assert_eq!(
        when(&dialing, &campaign, reclaim_cmd(call_id(2))),
        Err(DomainError::UnknownCall {
            lead: lead.id,
            call: call_id(2)
        })
    );
    assert_eq!(
        when(&lead, &campaign, reclaim_cmd(call_id(1))),
        Err(DomainError::NoCallInFlight(lead.id))
    );
    let done = called(
        &lead,
        &campaign,
        call_id(1),
        CallOutcome::Busy,
        t0() - minutes(30),
    );
    assert_eq!(
        when(&done, &campaign, reclaim_cmd(call_id(1))),
        Ok(vec![]),
        "ended already"
    );
}

// --- cancel ---

#[test]
fn cancel_cancels_a_waiting_lead() {
    let (campaign, lead) = active_with_one_lead();
    let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
    let busy = called(
        &lead,
        &campaign,
        call_id(1),
        CallOutcome::Busy,
        t0() - minutes(30),
    );
    for (waiting, from) in [
        (lead.clone(), LeadStatus::New),
        (queued, LeadStatus::Queued),
        (busy, LeadStatus::Busy),
    ] {
        let events = when(
            &waiting,
            &campaign,
            LeadCommand::Cancel {
                reason: "by hand".into(),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![Event::LeadCancelled(LeadCancelled {
                campaign_id: CAMPAIGN,
                lead_id: lead.id,
                from,
                reason: "by hand".into(),
                at: t0(),
            })]
        );
        assert_eq!(then_lead(&waiting, &events).status, LeadStatus::Cancelled);
    }
}

#[test]
fn cancel_is_refused_in_flight_barred_cancelled_or_final() {
    let (campaign, lead) = active_with_one_lead();
    let cancel = || LeadCommand::Cancel { reason: "x".into() };
    let dialing = dialed(&lead, &campaign, call_id(1), t0());
    assert_eq!(
        when(&dialing, &campaign, cancel()),
        Err(DomainError::CallInFlight {
            lead: lead.id,
            call: call_id(1)
        })
    );
    assert_eq!(
        when(&marked_dnc(&campaign, &lead), &campaign, cancel()),
        Err(DomainError::LeadIsDnc(lead.id))
    );
    assert_eq!(
        when(&skipped(&campaign, &lead), &campaign, cancel()),
        Err(DomainError::LeadIsSkipped(lead.id))
    );
    assert_eq!(
        when(&cancelled(&campaign, &lead), &campaign, cancel()),
        Err(DomainError::LeadIsCancelled(lead.id))
    );
    assert_eq!(
        when(&answered(&campaign, &lead), &campaign, cancel()),
        Err(DomainError::LeadIsFinal {
            id: lead.id,
            status: LeadStatus::Answered
        })
    );
}

// --- recycle ---

#[test]
fn recycle_sends_a_lead_back_to_new_with_a_fresh_round() {
    let (campaign, lead) = active_with_one_lead();
    let mut exhausted = lead.clone();
    for n in 1..=3 {
        exhausted = called(
            &exhausted,
            &campaign,
            call_id(n),
            CallOutcome::NoAnswer,
            t0() - minutes(2000 - 300 * n as i64),
        );
    }
    assert_eq!(
        exhausted.category(&campaign),
        LeadCategory::Final,
        "3 of 3 attempts used"
    );
    let events = when(
        &exhausted,
        &campaign,
        LeadCommand::Recycle {
            reset_dial_count: false,
            reason: "new week".into(),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::LeadRecycled(LeadRecycled {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            from: LeadStatus::NoAnswer,
            to: LeadStatus::New,
            reset_dial_count: false,
            reason: "new week".into(),
            at: t0(),
        })]
    );
    let recycled = then_lead(&exhausted, &events);
    assert_eq!(recycled.status, LeadStatus::New);
    assert_eq!(recycled.dial_attempts, 3);
    assert_eq!(recycled.round_attempts, 0);
    assert!(crate::eligibility::eligibility(
        &recycled,
        &campaign,
        &crate::policy::Owner::detached(),
        t0()
    )
    .is_eligible());
    let reset = run(
        &exhausted,
        &campaign,
        LeadCommand::Recycle {
            reset_dial_count: true,
            reason: "r".into(),
        },
        t0(),
    );
    assert_eq!(reset.dial_attempts, 0);
}

#[test]
fn recycle_is_refused_for_in_progress_and_barred_leads() {
    let (campaign, lead) = active_with_one_lead();
    let recycle = || LeadCommand::Recycle {
        reset_dial_count: false,
        reason: "r".into(),
    };
    let queued = run(&lead, &campaign, LeadCommand::Queue, t0());
    assert_eq!(
        when(&queued, &campaign, recycle()),
        Err(DomainError::StatusNotRecyclable(LeadStatus::Queued))
    );
    let dialing = dialed(&lead, &campaign, call_id(1), t0());
    assert_eq!(
        when(&dialing, &campaign, recycle()),
        Err(DomainError::CallInFlight {
            lead: lead.id,
            call: call_id(1)
        })
    );
    assert_eq!(
        when(&marked_dnc(&campaign, &lead), &campaign, recycle()),
        Err(DomainError::StatusNotRecyclable(LeadStatus::Dnc))
    );
    assert_eq!(
        when(&skipped(&campaign, &lead), &campaign, recycle()),
        Err(DomainError::StatusNotRecyclable(LeadStatus::Skipped))
    );
    let cancelled_campaign = then_campaign(
        &campaign,
        &crate::campaign::decide(&campaign, CampaignCommand::Cancel { reason: None }, t0())
            .unwrap(),
    );
    assert_eq!(
        when(&lead, &cancelled_campaign, recycle()),
        Err(DomainError::CampaignCancelled(CAMPAIGN))
    );
}

// --- dispositions ---

#[test]
fn dispositions_record_the_conversation() {
    let (campaign, lead) = active_with_one_lead();
    let talked = answered(&campaign, &lead);
    let events = when(
        &talked,
        &campaign,
        LeadCommand::Dispose {
            disposition: DispositionRequest::Sale,
            note: Some("2 units".into()),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::LeadDispositioned(LeadDispositioned {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            disposition: Disposition::Sale,
            callback_at: None,
            note: Some("2 units".into()),
            at: t0(),
        })]
    );
    assert_eq!(then_lead(&talked, &events).status, LeadStatus::Sale);
    let not_interested = run(
        &talked,
        &campaign,
        LeadCommand::Dispose {
            disposition: DispositionRequest::NotInterested,
            note: None,
        },
        t0(),
    );
    assert_eq!(not_interested.status, LeadStatus::NotInterested);
    assert_eq!(not_interested.category(&campaign), LeadCategory::Final);
}

#[test]
fn a_callback_is_dialed_again_at_its_time() {
    let (campaign, lead) = active_with_one_lead();
    let talked = answered(&campaign, &lead);
    let later = t0() + minutes(90);
    let callback = run(
        &talked,
        &campaign,
        LeadCommand::Dispose {
            disposition: DispositionRequest::Callback { at: later },
            note: None,
        },
        t0(),
    );
    assert_eq!(callback.status, LeadStatus::Callback);
    assert_eq!(callback.callback_at, Some(later));
    assert_eq!(callback.category(&campaign), LeadCategory::Pending);
    assert_eq!(
        when(&callback, &campaign, LeadCommand::Queue),
        Err(DomainError::LeadNotYetEligible {
            id: lead.id,
            until: later
        })
    );
    let queued = run(&callback, &campaign, LeadCommand::Queue, later);
    assert_eq!(queued.status, LeadStatus::Queued);
}

#[test]
fn dispositions_are_refused_without_a_conversation_or_in_the_past() {
    let (campaign, lead) = active_with_one_lead();
    let sale = || LeadCommand::Dispose {
        disposition: DispositionRequest::Sale,
        note: None,
    };
    assert_eq!(
        when(&lead, &campaign, sale()),
        Err(DomainError::LeadNotAnswered(lead.id))
    );
    let dialing = dialed(&lead, &campaign, call_id(1), t0());
    assert_eq!(
        when(&dialing, &campaign, sale()),
        Err(DomainError::CallInFlight {
            lead: lead.id,
            call: call_id(1)
        })
    );
    let talked = answered(&campaign, &lead);
    assert_eq!(
        when(
            &talked,
            &campaign,
            LeadCommand::Dispose {
                disposition: DispositionRequest::Callback { at: t0() },
                note: None
            }
        ),
        Err(DomainError::CallbackNotInFuture(t0()))
    );
    let dnc = marked_dnc(&campaign, &talked);
    assert_eq!(
        when(&dnc, &campaign, sale()),
        Err(DomainError::LeadIsDnc(lead.id))
    );
    assert!(matches!(
        when(
            &talked,
            &campaign,
            LeadCommand::Dispose {
                disposition: DispositionRequest::Sale,
                note: Some("n".repeat(crate::text::NOTE_BYTES_MAX + 1))
            }
        ),
        Err(DomainError::Settings(_))
    ));
}

#[test]
fn disposition_requests_parse_from_the_api_status() {
    assert_eq!(
        DispositionRequest::from_status(LeadStatus::Sale, None),
        Ok(DispositionRequest::Sale)
    );
    assert_eq!(
        DispositionRequest::from_status(LeadStatus::Dnc, None),
        Ok(DispositionRequest::Dnc)
    );
    assert_eq!(
        DispositionRequest::from_status(LeadStatus::Callback, Some(t0())),
        Ok(DispositionRequest::Callback { at: t0() })
    );
    assert_eq!(
        DispositionRequest::from_status(LeadStatus::Callback, None),
        Err(DomainError::CallbackNeedsTime)
    );
    assert_eq!(
        DispositionRequest::from_status(LeadStatus::Busy, None),
        Err(DomainError::NotADisposition(LeadStatus::Busy))
    );
}

// --- do-not-call ---

#[test]
fn dnc_is_recorded_from_any_status_once() {
    let (campaign, lead) = active_with_one_lead();
    let events = when(
        &lead,
        &campaign,
        LeadCommand::Dispose {
            disposition: DispositionRequest::Dnc,
            note: None,
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![Event::LeadMarkedDnc(LeadMarkedDnc {
            campaign_id: CAMPAIGN,
            lead_id: lead.id,
            reason: "disposition".into(),
            at: t0(),
        })]
    );
    let dnc = then_lead(&lead, &events);
    assert_eq!(dnc.status, LeadStatus::Dnc);
    assert_eq!(
        when(
            &dnc,
            &campaign,
            LeadCommand::MarkDnc {
                reason: "again".into()
            }
        ),
        Ok(vec![])
    );
    assert_eq!(dnc.category(&campaign), LeadCategory::Final);
    assert!(!crate::eligibility::eligibility(
        &dnc,
        &campaign,
        &crate::policy::Owner::detached(),
        t0() + minutes(100_000)
    )
    .is_eligible());
}

// --- views ---

#[test]
fn dial_order_puts_dropped_retries_then_priority_then_named_then_fifo() {
    let (campaign, lead) = active_with_one_lead();
    let dropped = called(&lead, &campaign, call_id(1), CallOutcome::Dropped, t0());
    let high = imported_lead("+919876500001", None, 5, 10);
    let named = imported_lead("+919876500002", Some("Asha"), 0, 11);
    let first = imported_lead("+919876500003", None, 0, 12);
    let second = imported_lead("+919876500004", None, 0, 13);
    let mut leads = [
        second.clone(),
        first.clone(),
        named.clone(),
        high.clone(),
        dropped.clone(),
    ];
    leads.sort_by_key(Lead::dial_order);
    let order: Vec<LeadId> = leads.iter().map(|l| l.id).collect();
    assert_eq!(
        order,
        vec![dropped.id, high.id, named.id, first.id, second.id]
    );
}

#[test]
fn local_zones_come_from_the_lead_or_its_number() {
    let mut settings = settings();
    settings.jurisdiction_rules = true;
    let campaign = active_with_one_lead_settings(settings).0;
    let zones = |lead: &Lead| -> Vec<String> {
        let rules =
            crate::eligibility::number_rules(lead, &campaign, &crate::policy::Owner::detached());
        let mut zones: Vec<String> = rules[0]
            .windows
            .iter()
            .map(|w| match w {
                crate::time::LocalWindow::Daily(w) => w.zone.name().to_owned(),
                crate::time::LocalWindow::Week(w) => w.zone.name().to_owned(),
                crate::time::LocalWindow::Closed(c) => c.zone.name().to_owned(),
            })
            .collect();
        zones.dedup();
        zones
    };
    let lead = imported_lead("+919876500001", None, 0, 1);
    assert_eq!(zones(&lead), vec!["Asia/Kolkata"]);
    let us = imported_lead("+12015550123", None, 0, 2);
    assert_eq!(zones(&us), vec!["America/New_York"]);
    let mut own = us.clone();
    own.timezone = "America/Chicago".parse().ok();
    assert_eq!(zones(&own), vec!["America/Chicago"]);
}

#[test]
fn replay_folds_a_stream_and_ignores_other_leads() {
    let (campaign, lead) = active_with_one_lead();
    let other = imported_lead("+919876500001", None, 0, 1);
    let queued = when(&lead, &campaign, LeadCommand::Queue).unwrap();
    assert_eq!(evolve(Some(other.clone()), &queued[0]), Some(other));
    assert_eq!(evolve(None, &queued[0]), None);
}
