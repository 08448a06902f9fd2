//! Commands that change a campaign (or user) and many leads at once. Each
//! returns every event to record, across streams; the caller appends them
//! in one multi-stream append so that all or none are recorded, with each
//! stream's expected version as read.
//!
//! The leads handed in are the caller's read of the campaign's leads. A
//! caller that keeps a bounded hopper may hand in only the leads it wants
//! queued; `start` needs all of them to tell "no callable leads".
//!
//! Size: these return about one event per lead handed in (import: up to
//! two per row). [`IMPORT_ROWS_MAX`] keeps an import under the log's
//! per-append limit.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::campaign::{self, Campaign, CampaignCommand};
use crate::eligibility::eligibility;
use crate::error::DomainError;
use crate::events::{Event, LeadImported, LeadSkipped, LeadsImported, SkipReason};
use crate::ids::{ContactId, LeadId};
use crate::lead::{self, Lead, LeadCommand, LEAD_PHONES_MAX};
use crate::phone::PhoneNumber;
use crate::policy::Owner;
use crate::status::{LeadCategory, LeadStatus};
use crate::text;
use crate::time::Zone;
use crate::user::{self, User, UserCommand};

/// Rows in one import. Each row is at most two events (imported, then
/// skipped), so an import stays well under the log's 65,536 events per
/// append; a bigger file is imported in several batches.
pub const IMPORT_ROWS_MAX: usize = 20_000;

/// One row to import, as read from CSV or JSON (nothing parsed yet).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct LeadInput {
    /// The number as written.
    pub phone: String,
    /// The person's name.
    pub name: Option<String>,
    /// Priority (higher first) as written: a whole number in 32 bits; 0
    /// when absent or empty.
    pub priority: Option<String>,
    /// An IANA zone name.
    pub timezone: Option<String>,
    /// Extra columns.
    pub fields: BTreeMap<String, String>,
    /// The saved contact this row comes from.
    pub contact_id: Option<ContactId>,
    /// Other numbers as written (CSV `phone2`…`phone5`, JSON
    /// `alt_phones`); empty ones are ignored.
    pub alt_phones: Vec<String>,
}

impl LeadInput {
    /// A row with only a number.
    pub fn with_phone(phone: impl Into<String>) -> Self {
        LeadInput {
            phone: phone.into(),
            ..LeadInput::default()
        }
    }
}

/// A row that was refused.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InvalidRow {
    /// Row number, from 1 (the first row after a CSV header is 1).
    pub row: usize,
    /// The number as written.
    pub phone: String,
    /// Why, for a person to fix it.
    pub error: String,
}

/// What an import did.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ImportSummary {
    /// Leads imported to be called.
    pub imported: usize,
    /// Rows whose number was already in the campaign (or earlier in the
    /// batch): imported as skipped.
    pub duplicates: usize,
    /// Rows whose number is on the do-not-call list: imported as skipped.
    pub dnc: usize,
    /// Rows refused.
    pub invalid: Vec<InvalidRow>,
}

/// A row checked on its own: its number parsed with the campaign's default
/// region, its name, zone and fields checked — or why it is invalid.
/// Preparing needs no state, so a large upload is prepared in parallel,
/// outside any lock, before [`import_prepared`] decides.
#[derive(Clone, Debug)]
pub struct PreparedRow {
    /// Row number, from 1 in the order given.
    pub row: usize,
    parsed: Result<ParsedRow, InvalidRow>,
}

/// Checks rows numbered from `first_row`, each on its own.
pub fn prepare_rows(
    default_region: Option<crate::phone::Region>,
    rows: Vec<LeadInput>,
    first_row: usize,
) -> Vec<PreparedRow> {
    rows.into_iter()
        .enumerate()
        .map(|(index, row)| {
            let number = first_row + index;
            PreparedRow {
                row: number,
                parsed: parse_row(default_region, row).map_err(|(phone, error)| InvalidRow {
                    row: number,
                    phone,
                    error,
                }),
            }
        })
        .collect()
}

/// Imports rows into a campaign: the events for every valid row (a
/// `LeadImported`, plus `LeadSkipped` for a duplicate number or a
/// do-not-call number) and a `LeadsImported` summary for the campaign.
/// Invalid rows are reported with their number and reason, not fatal.
pub fn import_leads<S: std::hash::BuildHasher>(
    campaign: &Campaign,
    existing: &HashMap<PhoneNumber, LeadId, S>,
    is_dnc: impl Fn(&PhoneNumber) -> bool,
    rows: Vec<LeadInput>,
    next_lead_id: impl FnMut() -> LeadId,
    now: DateTime<Utc>,
) -> Result<(Vec<Event>, ImportSummary), DomainError> {
    if rows.len() > IMPORT_ROWS_MAX {
        return Err(DomainError::TooManyRows {
            rows: rows.len(),
            max: IMPORT_ROWS_MAX,
        });
    }
    let prepared = prepare_rows(campaign.settings.default_region, rows, 1);
    import_prepared(campaign, existing, is_dnc, &prepared, next_lead_id, now)
}

/// [`import_leads`] for rows already prepared (with the campaign's
/// default region).
pub fn import_prepared<S: std::hash::BuildHasher>(
    campaign: &Campaign,
    existing: &HashMap<PhoneNumber, LeadId, S>,
    is_dnc: impl Fn(&PhoneNumber) -> bool,
    rows: &[PreparedRow],
    mut next_lead_id: impl FnMut() -> LeadId,
    now: DateTime<Utc>,
) -> Result<(Vec<Event>, ImportSummary), DomainError> {
    // A completed campaign takes new leads (then starts again); cancelled
    // and archived ones do not.
    campaign.ensure_open()?;
    if rows.len() > IMPORT_ROWS_MAX {
        return Err(DomainError::TooManyRows {
            rows: rows.len(),
            max: IMPORT_ROWS_MAX,
        });
    }
    let first_sequence = campaign.next_sequence();
    let mut sequence = first_sequence;
    let mut seen: HashMap<PhoneNumber, LeadId> = HashMap::new();
    let mut summary = ImportSummary::default();
    let mut lead_events = Vec::with_capacity(rows.len());
    for prepared in rows {
        let parsed = match &prepared.parsed {
            Ok(parsed) => parsed,
            Err(invalid) => {
                summary.invalid.push(invalid.clone());
                continue;
            }
        };
        let lead_id = next_lead_id();
        let numbers = || std::iter::once(&parsed.phone).chain(parsed.alt_phones.iter());
        let duplicate_of =
            numbers().find_map(|phone| existing.get(phone).or_else(|| seen.get(phone)));
        let skip = match duplicate_of {
            Some(of) => Some(SkipReason::Duplicate { of: *of }),
            None if numbers().all(&is_dnc) => Some(SkipReason::Dnc),
            None => None,
        };
        match skip {
            Some(SkipReason::Duplicate { .. }) => summary.duplicates += 1,
            Some(SkipReason::Dnc) => summary.dnc += 1,
            None => summary.imported += 1,
        }
        // Every row's numbers are taken, skipped rows' too, as the
        // campaign's read model records them: a number is a duplicate in
        // the same way whether its first row came in this batch or an
        // earlier one.
        for phone in numbers() {
            seen.entry(phone.clone()).or_insert(lead_id);
        }
        lead_events.push(Event::LeadImported(LeadImported {
            campaign_id: campaign.id,
            lead_id,
            sequence,
            phone: parsed.phone.clone(),
            name: parsed.name.clone(),
            priority: parsed.priority,
            timezone: parsed.timezone,
            contact_id: parsed.contact_id,
            fields: parsed.fields.clone(),
            at: now,
            alt_phones: parsed.alt_phones.clone(),
        }));
        if let Some(reason) = skip {
            lead_events.push(Event::LeadSkipped(LeadSkipped {
                campaign_id: campaign.id,
                lead_id,
                reason,
                at: now,
            }));
        }
        sequence += 1;
    }
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut events = Vec::with_capacity(lead_events.len() + 1);
    events.push(Event::LeadsImported(LeadsImported {
        campaign_id: campaign.id,
        imported: count(summary.imported),
        duplicates: count(summary.duplicates),
        dnc: count(summary.dnc),
        invalid: count(summary.invalid.len()),
        first_sequence,
        at: now,
    }));
    events.append(&mut lead_events);
    Ok((events, summary))
}

#[derive(Clone, Debug)]
struct ParsedRow {
    phone: PhoneNumber,
    alt_phones: Vec<PhoneNumber>,
    name: Option<String>,
    priority: i32,
    timezone: Option<Zone>,
    contact_id: Option<ContactId>,
    fields: BTreeMap<String, String>,
}

/// The row checked, or (the number as written, why it is invalid).
fn parse_row(
    default_region: Option<crate::phone::Region>,
    row: LeadInput,
) -> Result<ParsedRow, (String, String)> {
    let invalid = |error: String| (crate::ids::echo(&row.phone), error);
    let phone = PhoneNumber::parse(&row.phone, default_region)
        .map_err(|error| invalid(error.to_string()))?;
    // Each kept with its place as given, so that an error names the
    // column it was written in (`phone2` is the first), empty ones before
    // it included.
    let written: Vec<(usize, &str)> = row
        .alt_phones
        .iter()
        .map(|text| text.trim())
        .enumerate()
        .filter(|(_, text)| !text.is_empty())
        .collect();
    if written.len() > LEAD_PHONES_MAX - 1 {
        return Err(invalid(format!(
            "a lead has at most {} other numbers, not {}",
            LEAD_PHONES_MAX - 1,
            written.len()
        )));
    }
    let mut alt_phones: Vec<PhoneNumber> = Vec::with_capacity(written.len());
    for (index, text) in written {
        let other = PhoneNumber::parse(text, default_region).map_err(|error| {
            invalid(format!(
                "phone{} `{}`: {error}",
                index + 2,
                crate::ids::echo(text)
            ))
        })?;
        if other != phone && !alt_phones.contains(&other) {
            alt_phones.push(other);
        }
    }
    let name = text::optional("name", row.name.as_deref(), text::NAME_BYTES_MAX)
        .map_err(|error| invalid(error.to_string()))?;
    let timezone = match row.timezone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(zone) => Some(
            zone.parse::<Zone>()
                .map_err(|error| invalid(error.to_string()))?,
        ),
    };
    text::check_fields("fields", &row.fields).map_err(|error| invalid(error.to_string()))?;
    let priority = match row.priority.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(text) => text.parse::<i32>().map_err(|_| {
            invalid(format!(
                "priority must be a whole number from {} to {}, not `{}`",
                i32::MIN,
                i32::MAX,
                crate::ids::echo(text)
            ))
        })?,
    };
    Ok(ParsedRow {
        phone,
        alt_phones,
        name,
        priority,
        timezone,
        contact_id: row.contact_id,
        fields: row.fields,
    })
}

/// Rows for a campaign built from a user's saved contacts, in the order
/// of `contact_ids`.
pub fn contacts_as_rows(
    user: &User,
    contact_ids: &[ContactId],
) -> Result<Vec<LeadInput>, DomainError> {
    contact_ids
        .iter()
        .map(|id| {
            let contact = user
                .contacts
                .get(id)
                .ok_or(DomainError::ContactNotFound(*id))?;
            Ok(LeadInput {
                phone: contact.phone.to_string(),
                name: contact.name.clone(),
                priority: None,
                timezone: contact.timezone.map(|zone| zone.name().to_owned()),
                fields: BTreeMap::new(),
                contact_id: Some(contact.id),
                alt_phones: Vec::new(),
            })
        })
        .collect()
}

fn check_leads(campaign: &Campaign, leads: &[Lead]) -> Result<(), DomainError> {
    match leads.iter().find(|lead| lead.campaign_id != campaign.id) {
        Some(lead) => Err(DomainError::LeadOfOtherCampaign {
            lead: lead.id,
            actual: lead.campaign_id,
            expected: campaign.id,
        }),
        None => Ok(()),
    }
}

/// Applies `events` to a copy of the campaign, to decide the leads'
/// events under the campaign as it will be.
fn after(campaign: &Campaign, events: &[Event]) -> Option<Campaign> {
    events.iter().fold(Some(campaign.clone()), campaign::evolve)
}

/// Queues every lead in `leads` that is eligible at `now` under
/// `campaign` and `owner`, and not queued already.
fn queue_eligible(
    campaign: &Campaign,
    owner: &Owner<'_>,
    leads: &[Lead],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let mut events = Vec::new();
    for lead in leads {
        if lead.status != LeadStatus::Queued
            && eligibility(lead, campaign, owner, now).is_eligible()
        {
            events.extend(lead::decide_with(
                lead,
                campaign,
                owner,
                LeadCommand::Queue,
                now,
            )?);
        }
    }
    Ok(events)
}

/// Start: the campaign becomes active and every lead eligible now is
/// queued. Refused when already running, cancelled, archived, without
/// leads, or when none of its leads can be called. `leads` must be all of
/// the campaign's leads.
pub fn start(
    campaign: &Campaign,
    owner: &Owner<'_>,
    leads: &[Lead],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    check_leads(campaign, leads)?;
    let mut events = campaign::decide(campaign, CampaignCommand::Start, now)?;
    let callable = leads
        .iter()
        .filter(|lead| lead.category(campaign) != LeadCategory::Final)
        .count();
    if callable == 0 {
        return Err(DomainError::CampaignHasNoCallableLeads {
            id: campaign.id,
            total: leads.len(),
        });
    }
    let started = after(campaign, &events).ok_or(DomainError::CampaignNotFound(campaign.id))?;
    events.extend(queue_eligible(&started, owner, leads, now)?);
    Ok(events)
}

/// Pause: no new dials; queued leads go back to the status they were
/// queued from; calls in flight finish and record their results.
pub fn pause(
    campaign: &Campaign,
    leads: &[Lead],
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    check_leads(campaign, leads)?;
    let mut events = campaign::decide(campaign, CampaignCommand::Pause { reason }, now)?;
    for lead in leads
        .iter()
        .filter(|lead| lead.status == LeadStatus::Queued)
    {
        events.extend(lead::decide(
            lead,
            campaign,
            LeadCommand::Unqueue {
                reason: "campaign paused".to_owned(),
            },
            now,
        )?);
    }
    Ok(events)
}

/// Resume: the campaign is active again and the leads eligible now are
/// queued. Leads already called are not, unless the retry policy retries
/// them and their delay has passed.
pub fn resume(
    campaign: &Campaign,
    owner: &Owner<'_>,
    leads: &[Lead],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    check_leads(campaign, leads)?;
    let mut events = campaign::decide(campaign, CampaignCommand::Resume, now)?;
    let resumed = after(campaign, &events).ok_or(DomainError::CampaignNotFound(campaign.id))?;
    events.extend(queue_eligible(&resumed, owner, leads, now)?);
    Ok(events)
}

/// Whether a lead still has something to be done by the dialer: pending,
/// in progress, or to be retried.
fn has_work(lead: &Lead, campaign: &Campaign) -> bool {
    lead.category(campaign) != LeadCategory::Final
}

/// Cancel: the campaign ends; every lead that is not final and not in
/// flight is cancelled; calls in flight finish and record their results.
pub fn cancel(
    campaign: &Campaign,
    leads: &[Lead],
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    check_leads(campaign, leads)?;
    let mut events = campaign::decide(campaign, CampaignCommand::Cancel { reason }, now)?;
    for lead in leads {
        if lead.in_flight.is_none() && has_work(lead, campaign) && !lead.status.is_barred() {
            events.extend(lead::decide(
                lead,
                campaign,
                LeadCommand::Cancel {
                    reason: "campaign cancelled".to_owned(),
                },
                now,
            )?);
        }
    }
    Ok(events)
}

/// Leads with something left to do (pending, in progress, to be retried).
pub fn remaining_work(campaign: &Campaign, leads: &[Lead]) -> usize {
    leads.iter().filter(|lead| has_work(lead, campaign)).count()
}

/// Complete: records that an active campaign has nothing left to call.
/// Refused while any lead is pending, in progress or to be retried.
pub fn complete(
    campaign: &Campaign,
    leads: &[Lead],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    check_leads(campaign, leads)?;
    let remaining = remaining_work(campaign, leads);
    let events = campaign::decide(campaign, CampaignCommand::Complete, now)?;
    if remaining > 0 {
        return Err(DomainError::CampaignHasWork {
            id: campaign.id,
            remaining,
        });
    }
    Ok(events)
}

/// A manual recycle.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecycleRequest {
    /// The statuses whose leads are recycled.
    pub statuses: Vec<LeadStatus>,
    /// The status they go to: only `new` is accepted.
    pub target: LeadStatus,
    /// Whether their dial counts go back to 0.
    pub reset_dial_count: bool,
    /// Why, for the audit trail.
    pub reason: String,
}

/// Recycle: every lead in one of `request.statuses` goes back to `new`
/// with a fresh round of attempts, each with a `LeadRecycled` event.
/// Returns the events and how many leads were recycled.
pub fn recycle(
    campaign: &Campaign,
    leads: &[Lead],
    request: &RecycleRequest,
    now: DateTime<Utc>,
) -> Result<(Vec<Event>, usize), DomainError> {
    check_leads(campaign, leads)?;
    if request.statuses.is_empty() {
        return Err(DomainError::NothingToRecycle);
    }
    if let Some(status) = request
        .statuses
        .iter()
        .find(|s| !s.is_manually_recyclable())
    {
        return Err(DomainError::StatusNotRecyclable(*status));
    }
    if request.target != LeadStatus::New {
        return Err(DomainError::BadRecycleTarget(request.target));
    }
    campaign.ensure_open()?;
    let mut events = Vec::new();
    let mut recycled = 0;
    for lead in leads
        .iter()
        .filter(|lead| request.statuses.contains(&lead.status))
    {
        events.extend(lead::decide(
            lead,
            campaign,
            LeadCommand::Recycle {
                reset_dial_count: request.reset_dial_count,
                reason: request.reason.clone(),
            },
            now,
        )?);
        recycled += 1;
    }
    Ok((events, recycled))
}

/// Deletes a contact and cancels its leads that are waiting or queued
/// (not in flight, not final), so it leaves every hopper. `leads` are the
/// contact's leads with their campaigns.
pub fn delete_contact(
    user: &User,
    contact_id: ContactId,
    leads: &[(&Lead, &Campaign)],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let mut events = user::decide(user, UserCommand::DeleteContact { contact_id }, now)?;
    for (lead, campaign) in leads {
        let waiting = lead.contact_id == Some(contact_id)
            && lead.in_flight.is_none()
            && !lead.status.is_barred()
            && lead.status != LeadStatus::Cancelled
            && has_work(lead, campaign);
        if waiting {
            events.extend(lead::decide(
                lead,
                campaign,
                LeadCommand::Cancel {
                    reason: "contact deleted".to_owned(),
                },
                now,
            )?);
        }
    }
    Ok(events)
}

/// Adds a number to a user's do-not-call list: from then on no campaign
/// of the user dials it. Each lead with that number and no other number
/// off the list is marked do-not-call (out of every hopper); a lead with
/// another number left is dialed on that one. `leads` are the leads with
/// that number in the user's campaigns. Already listed: only unmarked
/// leads are marked.
pub fn add_dnc(
    user: &User,
    phone: &PhoneNumber,
    reason: Option<String>,
    leads: &[Lead],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let mut events = user::decide(
        user,
        UserCommand::AddDnc {
            phone: phone.clone(),
            reason,
        },
        now,
    )?;
    let listed = |number: &PhoneNumber| number == phone || user.is_dnc(number);
    for lead in leads.iter().filter(|lead| lead.has_phone(phone)) {
        if lead.status != LeadStatus::Dnc && lead.phones().all(listed) {
            events.push(Event::LeadMarkedDnc(crate::events::LeadMarkedDnc {
                campaign_id: lead.campaign_id,
                lead_id: lead.id,
                reason: "number added to the do-not-call list".to_owned(),
                at: now,
            }));
        }
    }
    Ok(events)
}

/// A `dnc` disposition: the person asked not to be called again. The lead
/// is marked do-not-call, and the number its last call dialed goes on the
/// user's do-not-call list, so that no campaign of the user dials it
/// again ([`add_dnc`]). `leads` are the leads with that number in the
/// user's campaigns.
pub fn dnc_disposition(
    user: &User,
    lead: &Lead,
    campaign: &Campaign,
    leads: &[Lead],
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let number = lead.last_dialed_phone().clone();
    let mut events = add_dnc(
        user,
        &number,
        Some("dnc disposition".to_owned()),
        leads,
        now,
    )?;
    let marked = events
        .iter()
        .any(|event| matches!(event, Event::LeadMarkedDnc(e) if e.lead_id == lead.id));
    if !marked {
        events.extend(lead::decide(
            lead,
            campaign,
            LeadCommand::Dispose {
                disposition: lead::DispositionRequest::Dnc,
                note: None,
            },
            now,
        )?);
    }
    Ok(events)
}

#[cfg(test)]
mod tests;
