//! An independent judge of the calling rules: its own state, folded from
//! the log event by event, and its own reading of the jurisdiction table
//! (`leadline_domain::jurisdiction::RULES`), the campaign's hours and the
//! user's contact policy. It does not ask the domain whether a lead was
//! eligible: it recomputes every window and every rolling count from the
//! instants in the events, with `chrono-tz`.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use leadline_domain::campaign::CampaignSettings;
use leadline_domain::events::LeadDialed;
use leadline_domain::jurisdiction::{Applies, NumberPlace, RULES};
use leadline_domain::policy::{ContactPolicy, NumberCap};
use leadline_domain::{CallId, CampaignId, DailyHours, Event, LeadId, PhoneNumber, UserId};

/// Reg F: dials to one lead in any 7 days, and the quiet period after an
/// answered call.
const DEBT_COLLECTION_CALLS: usize = 7;
const DEBT_COLLECTION_DAYS: i64 = 7;

struct CampaignFacts {
    owner: UserId,
    settings: CampaignSettings,
}

struct LeadFacts {
    campaign: CampaignId,
    phones: Vec<PhoneNumber>,
    timezone: Option<Tz>,
    dials: Vec<DateTime<Utc>>,
    answered_at: Option<DateTime<Utc>>,
    marked_dnc_at: Option<u64>,
}

/// What the judge knows, as of the last event it folded.
#[derive(Default)]
pub struct RulesJudge {
    campaigns: HashMap<CampaignId, CampaignFacts>,
    leads: HashMap<LeadId, LeadFacts>,
    calls: HashMap<CallId, (UserId, PhoneNumber)>,
    /// (user, number) → the position of the `DncAdded` that listed it.
    dnc: HashMap<(UserId, PhoneNumber), u64>,
    policies: HashMap<UserId, ContactPolicy>,
    /// (user, number) → every dial of it, over all the user's campaigns.
    number_dials: HashMap<(UserId, PhoneNumber), Vec<DateTime<Utc>>>,
    /// (user, number) → the latest dropped (abandoned) call to it.
    dropped: HashMap<(UserId, PhoneNumber), DateTime<Utc>>,
    /// Counts, for the end-of-run report.
    pub dials: u64,
    pub dials_under_jurisdiction: u64,
    pub capped_numbers_dialed: u64,
    /// Dials that brought a cap (jurisdiction, policy or Reg F) to its
    /// maximum: the caps are reached, not only present.
    pub caps_filled: u64,
}

/// A dial the rules forbid: which rule, and why.
pub struct Breach {
    pub rule: String,
    pub detail: String,
}

fn breach(rule: impl Into<String>, detail: impl Into<String>) -> Breach {
    Breach {
        rule: rule.into(),
        detail: detail.into(),
    }
}

/// Whether wall-clock `t` is within `start..end` (end exclusive; equal:
/// all day; `end < start`: across midnight).
fn within(t: NaiveTime, start: NaiveTime, end: NaiveTime) -> bool {
    if start == end {
        true
    } else if start < end {
        start <= t && t < end
    } else {
        t >= start || t < end
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time of the table")
}

fn hours_of(hours: DailyHours) -> (NaiveTime, NaiveTime) {
    let parse = |t: leadline_domain::TimeOfDay| {
        NaiveTime::parse_from_str(&t.to_string(), "%H:%M").expect("time of day")
    };
    (parse(hours.start), parse(hours.end))
}

fn local(at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{} {}",
        at.with_timezone(&tz).format("%a %F %T %Z"),
        tz.name()
    )
}

/// Dials in `(at - window, at]`.
fn in_window(dials: &[DateTime<Utc>], at: DateTime<Utc>, window: Duration) -> usize {
    dials
        .iter()
        .filter(|d| **d > at - window && **d <= at)
        .count()
}

/// The dials of `phone` by `user` in the window of `cap` before `at`,
/// when they already reach it; counts in `caps_filled` a dial that fills
/// a cap.
fn cap_reached(
    number_dials: &HashMap<(UserId, PhoneNumber), Vec<DateTime<Utc>>>,
    caps_filled: &mut u64,
    user: UserId,
    phone: &PhoneNumber,
    at: DateTime<Utc>,
    cap: NumberCap,
) -> Option<usize> {
    let dials = number_dials.get(&(user, phone.clone())).map_or(0, |d| {
        in_window(d, at, Duration::hours(i64::from(cap.window_hours)))
    });
    *caps_filled += u64::from(dials + 1 == cap.calls_max as usize);
    (dials >= cap.calls_max as usize).then_some(dials)
}

impl RulesJudge {
    /// Judges `event` (at log `position`) against the state before it,
    /// then folds it in.
    pub fn observe(&mut self, position: u64, event: &Event) -> Result<(), Breach> {
        let verdict = match event {
            Event::LeadDialed(dialed) => self.judge(dialed),
            _ => Ok(()),
        };
        self.fold(position, event);
        verdict
    }

    fn fold(&mut self, position: u64, event: &Event) {
        match event {
            Event::CampaignCreated(e) => {
                self.campaigns.insert(
                    e.campaign_id,
                    CampaignFacts {
                        owner: e.owner,
                        settings: e.settings.clone(),
                    },
                );
            }
            Event::CampaignUpdated(e) => {
                if let Some(c) = self.campaigns.get_mut(&e.campaign_id) {
                    c.settings = e.settings.clone();
                }
            }
            Event::LeadImported(e) => {
                let mut phones = vec![e.phone.clone()];
                phones.extend(e.alt_phones.iter().cloned());
                self.leads.insert(
                    e.lead_id,
                    LeadFacts {
                        campaign: e.campaign_id,
                        phones,
                        timezone: e.timezone.map(|z| z.tz()),
                        dials: Vec::new(),
                        answered_at: None,
                        marked_dnc_at: None,
                    },
                );
            }
            Event::LeadDialed(e) => {
                let owner = self.campaigns.get(&e.campaign_id).map(|c| c.owner);
                if let Some(owner) = owner {
                    self.calls.insert(e.call_id, (owner, e.phone.clone()));
                    self.number_dials
                        .entry((owner, e.phone.clone()))
                        .or_default()
                        .push(e.at);
                }
                if let Some(lead) = self.leads.get_mut(&e.lead_id) {
                    lead.dials.push(e.at);
                }
            }
            Event::CallAnswered(e) => {
                if let Some(lead) = self.leads.get_mut(&e.lead_id) {
                    lead.answered_at = Some(lead.answered_at.map_or(e.at, |a| a.max(e.at)));
                }
            }
            Event::CallDropped(e) => {
                if let Some(key) = self.calls.get(&e.call_id).cloned() {
                    let at = self.dropped.entry(key).or_insert(e.at);
                    *at = (*at).max(e.at);
                }
            }
            Event::LeadMarkedDnc(e) => {
                if let Some(lead) = self.leads.get_mut(&e.lead_id) {
                    lead.marked_dnc_at.get_or_insert(position);
                }
            }
            Event::DncAdded(e) => {
                self.dnc
                    .entry((e.user_id, e.phone.clone()))
                    .or_insert(position);
            }
            Event::DncRemoved(e) => {
                self.dnc.remove(&(e.user_id, e.phone.clone()));
            }
            Event::ContactPolicySet(e) => {
                self.policies.insert(e.user_id, e.policy.clone());
            }
            _ => {}
        }
    }

    fn judge(&mut self, dialed: &LeadDialed) -> Result<(), Breach> {
        let at = dialed.at;
        let phone = &dialed.phone;
        let Some(lead) = self.leads.get(&dialed.lead_id) else {
            return Err(breach("known lead", "a dial of a lead never imported"));
        };
        if lead.campaign != dialed.campaign_id {
            return Err(breach(
                "lead's campaign",
                format!(
                    "dialed by campaign {} but imported into {}",
                    dialed.campaign_id, lead.campaign
                ),
            ));
        }
        let Some(campaign) = self.campaigns.get(&dialed.campaign_id) else {
            return Err(breach(
                "known campaign",
                "a dial in a campaign never created",
            ));
        };
        let user = campaign.owner;
        let settings = &campaign.settings;
        self.dials += 1;

        // The number is the lead's.
        if !lead.phones.contains(phone) {
            return Err(breach(
                "one of the lead's numbers",
                format!("the lead's numbers are {:?}", lead.phones),
            ));
        }
        // Opt-outs.
        if let Some(marked) = lead.marked_dnc_at {
            return Err(breach(
                "lead marked do-not-call",
                format!("the lead was marked do-not-call at position {marked}"),
            ));
        }
        if let Some(listed) = self.dnc.get(&(user, phone.clone())) {
            return Err(breach(
                "number on the do-not-call list",
                format!("user {user} listed the number at position {listed}"),
            ));
        }

        // The campaign's window.
        let campaign_tz = settings.timezone.tz();
        let (start, end) = hours_of(settings.hours);
        if !within(at.with_timezone(&campaign_tz).time(), start, end) {
            return Err(breach(
                "campaign window",
                format!(
                    "{start}–{end} in the campaign's zone; local time {}",
                    local(at, campaign_tz)
                ),
            ));
        }

        let place = NumberPlace::of(phone);
        let own_zones: Vec<Tz> = match lead.timezone {
            Some(tz) => vec![tz],
            None => place.zones.iter().map(|z| z.tz()).collect(),
        };

        // The campaign's local hours in the lead's zone(s).
        if let Some(hours) = settings.local_hours {
            let (start, end) = hours_of(hours);
            for tz in &own_zones {
                if !within(at.with_timezone(tz).time(), start, end) {
                    return Err(breach(
                        "campaign local hours",
                        format!("{start}–{end} lead-local; local time {}", local(at, *tz)),
                    ));
                }
            }
        }

        // The jurisdiction table.
        let country = place.country.map(|r| r.code().to_owned());
        if settings.jurisdiction_rules {
            let mut covered = false;
            for rule in RULES {
                let applies = match rule.applies {
                    Applies::Country(c) => country.as_deref() == Some(c),
                    Applies::Subdivision(c, s) => {
                        country.as_deref() == Some(c) && place.subdivision == Some(s)
                    }
                };
                if !applies {
                    continue;
                }
                covered = true;
                let zones: Vec<Tz> = if own_zones.is_empty() {
                    rule.zones.to_vec()
                } else {
                    own_zones.clone()
                };
                for tz in zones {
                    let local_at = at.with_timezone(&tz);
                    let weekend = matches!(local_at.weekday(), Weekday::Sat | Weekday::Sun);
                    let ((h1, m1), (h2, m2)) = if weekend {
                        rule.weekend_hours
                    } else {
                        rule.weekday_hours
                    };
                    let t = local_at.time();
                    if !(hm(h1, m1) <= t && t < hm(h2, m2)) {
                        return Err(breach(
                            format!("{} hours", rule.id),
                            format!(
                                "{:02}:{:02}–{:02}:{:02} on {}; local time {}",
                                h1,
                                m1,
                                h2,
                                m2,
                                if weekend { "weekends" } else { "weekdays" },
                                local(at, tz)
                            ),
                        ));
                    }
                }
                if let Some(cap) = rule.cap {
                    self.capped_numbers_dialed += 1;
                    if let Some(dials) = cap_reached(
                        &self.number_dials,
                        &mut self.caps_filled,
                        user,
                        phone,
                        at,
                        cap,
                    ) {
                        return Err(breach(
                            format!("{} cap", rule.id),
                            format!(
                                "{dials} dials of the number by user {user} in the {} h before, at most {}",
                                cap.window_hours, cap.calls_max
                            ),
                        ));
                    }
                }
                if let Some(hold) = rule.abandoned_hold_hours {
                    if let Some(dropped) = self.dropped.get(&(user, phone.clone())) {
                        if at < *dropped + Duration::hours(i64::from(hold)) {
                            return Err(breach(
                                format!("{} abandoned-call hold", rule.id),
                                format!("a call to the number dropped at {dropped}, held {hold} h"),
                            ));
                        }
                    }
                }
            }
            if covered {
                self.dials_under_jurisdiction += 1;
            }
        }

        // The user's contact policy.
        if let Some(policy) = self.policies.get(&user) {
            if let Some(country) = &country {
                let zones: Vec<Tz> = if own_zones.is_empty() {
                    vec![campaign_tz]
                } else {
                    own_zones.clone()
                };
                for holiday in &policy.holidays {
                    if !holiday.regions.iter().any(|r| r.code() == country) {
                        continue;
                    }
                    for tz in &zones {
                        if at.with_timezone(tz).date_naive() == holiday.date {
                            return Err(breach(
                                "holiday",
                                format!(
                                    "{} is a holiday for {country} numbers; local time {}",
                                    holiday.date,
                                    local(at, *tz)
                                ),
                            ));
                        }
                    }
                }
            }
            for cap in &policy.per_number {
                if let Some(dials) = cap_reached(
                    &self.number_dials,
                    &mut self.caps_filled,
                    user,
                    phone,
                    at,
                    *cap,
                ) {
                    return Err(breach(
                        "contact policy cap",
                        format!(
                            "{dials} dials of the number by user {user} in the {} h before, at most {}",
                            cap.window_hours, cap.calls_max
                        ),
                    ));
                }
            }
        }

        // Reg F.
        if settings.debt_collection {
            let period = Duration::days(DEBT_COLLECTION_DAYS);
            let dials = in_window(&lead.dials, at, period);
            self.caps_filled += u64::from(dials + 1 == DEBT_COLLECTION_CALLS);
            if dials >= DEBT_COLLECTION_CALLS {
                return Err(breach(
                    "Reg F cap",
                    format!("{dials} dials of the lead in the 7 days before"),
                ));
            }
            if let Some(answered) = lead.answered_at {
                if at < answered + period {
                    return Err(breach(
                        "Reg F quiet period",
                        format!("a call to the lead was answered at {answered}"),
                    ));
                }
            }
        }
        Ok(())
    }
}
