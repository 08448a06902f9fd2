//! The campaign aggregate: settings and life cycle.
//!
//! ```text
//! draft ──start──▶ active ◀──resume── paused
//!   │               │  └────pause────▶  │
//!   │               ├──complete──▶ completed ──start (after a recycle)──▶ active
//!   └──cancel───────┴──cancel────────────┴──▶ cancelled
//! draft | completed | cancelled ──archive──▶ archived
//! ```
//!
//! `scheduled` is how an active campaign reads before its start date or
//! outside its calling window ([`Campaign::status_at`]); it is derived, so
//! no event is needed when a window opens or closes.
//!
//! Commands here produce the campaign's own events. Commands that also
//! change leads (start, pause, resume, cancel, complete, recycle, import)
//! are in [`crate::plans`], which calls [`decide`] and adds the leads'
//! events.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, SettingsError};
use crate::events::{CampaignCreated, CampaignTransition, CampaignUpdated, Event};
use crate::ids::{CampaignId, UserId};
use crate::phone::Region;
use crate::retry::RetryPolicy;
use crate::status::CampaignStatus;
use crate::text;
use crate::time::{CallingWindow, DailyHours, Zone};

/// Longest pause between two dials of one campaign accepted: 10 minutes.
pub const DIAL_DELAY_MS_MAX: u32 = 10 * 60 * 1000;

/// How a campaign reaches its telephony provider. Every field is optional
/// and passed through to the provider adapter.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct ProviderSettings {
    /// The provider's agent (voice bot, flow or app) id.
    pub agent_id: Option<String>,
    /// The number calls come from.
    pub caller_id: Option<String>,
    /// What the provider does once connected.
    pub next_action: Option<String>,
    /// Anything else the adapter needs, as text.
    pub extra: BTreeMap<String, String>,
}

/// Everything a campaign is configured with. Build it with
/// [`CampaignSettings::new`] and set fields; [`create`] and the `Update`
/// command check it with [`CampaignSettings::validate`].
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CampaignSettings {
    /// Display name, 1–200 bytes.
    pub name: String,
    /// The zone the calling window and start date are read in.
    pub timezone: Zone,
    /// When calls may start each day, in `timezone`. Default: all day.
    pub hours: DailyHours,
    /// First local date of calling; before it the campaign is scheduled.
    pub start_date: Option<NaiveDate>,
    /// Region used to read numbers written without a country code.
    pub default_region: Option<Region>,
    /// Retries.
    pub retry: RetryPolicy,
    /// Legal calling hours in each lead's own zone (its `timezone`, else
    /// inferred from its number). `None`: not applied.
    pub local_hours: Option<DailyHours>,
    /// Pause between two dials of this campaign, in ms (pacing).
    pub dial_delay_ms: Option<u32>,
    /// Provider settings.
    pub provider: ProviderSettings,
    /// Ask the provider to tell a machine from a person (answering-machine
    /// detection), so that a call a machine answers ends as `voicemail`.
    /// Providers that always report it (voice-agent platforms) do so
    /// whatever this says. Off by default: detection delays the greeting.
    pub detect_voicemail: bool,
    /// Apply the built-in rules of each lead's jurisdiction (hours, caps,
    /// the abandoned-call hold; `crate::jurisdiction`) on top of the
    /// campaign's own. On by default; off only when asked for.
    pub jurisdiction_rules: bool,
    /// Debt collection (Reg F): at most 7 calls per lead in any 7 days,
    /// and none within 7 days after an answered call. Off by default.
    pub debt_collection: bool,
}

impl CampaignSettings {
    /// Defaults for everything but the name: UTC, all day, no start date,
    /// no default region, the default retry policy, no local hours, no
    /// pacing, no voicemail detection, jurisdiction rules on, not debt
    /// collection.
    pub fn new(name: &str) -> Result<Self, SettingsError> {
        Ok(CampaignSettings {
            name: text::required_name("campaign name", name)?,
            timezone: Zone::UTC,
            hours: DailyHours::ALL_DAY,
            start_date: None,
            default_region: None,
            retry: RetryPolicy::default(),
            local_hours: None,
            dial_delay_ms: None,
            provider: ProviderSettings::default(),
            detect_voicemail: false,
            jurisdiction_rules: true,
            debt_collection: false,
        })
    }

    /// Checks what the field types cannot: text lengths, counts, pacing.
    pub fn validate(&self) -> Result<(), SettingsError> {
        text::required_name("campaign name", &self.name)?;
        self.retry.validate()?;
        let provider = &self.provider;
        for (field, value) in [
            ("provider agent id", &provider.agent_id),
            ("provider caller id", &provider.caller_id),
            ("provider next action", &provider.next_action),
        ] {
            if let Some(value) = value {
                text::check_len(field, value, text::FIELD_VALUE_BYTES_MAX)?;
            }
        }
        text::check_fields("provider settings", &provider.extra)?;
        if let Some(value_ms) = self.dial_delay_ms {
            if value_ms > DIAL_DELAY_MS_MAX {
                return Err(SettingsError::PacingTooLong {
                    value_ms,
                    max_ms: DIAL_DELAY_MS_MAX,
                });
            }
        }
        Ok(())
    }
}

/// A campaign as its events left it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Campaign {
    /// Its id.
    pub id: CampaignId,
    /// The user who owns it.
    pub owner: UserId,
    /// Its settings.
    pub settings: CampaignSettings,
    /// Its stored status: never `scheduled` (see [`Campaign::status_at`]).
    pub status: CampaignStatus,
    /// Leads imported to be called (skipped ones not counted).
    pub leads_imported: u64,
    /// Leads skipped at import (duplicates, do-not-call).
    pub leads_skipped: u64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last started or resumed.
    pub started_at: Option<DateTime<Utc>>,
    /// When it completed, was cancelled or archived.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Campaign {
    /// Its calling window: its hours in its zone.
    pub fn calling_window(&self) -> CallingWindow {
        self.settings.hours.in_zone(self.settings.timezone)
    }

    /// The first instant of its start date in its zone, if it has one.
    pub fn starts_at(&self) -> Option<DateTime<Utc>> {
        let date = self.settings.start_date?;
        self.settings.timezone.first_instant(date, NaiveTime::MIN)
    }

    /// The status to show at `now`: `scheduled` for an active campaign
    /// before its start date or outside its window, else the stored one.
    pub fn status_at(&self, now: DateTime<Utc>) -> CampaignStatus {
        let before_start = self.starts_at().is_some_and(|start| now < start);
        if self.status == CampaignStatus::Active
            && (before_start || !self.calling_window().is_open(now))
        {
            CampaignStatus::Scheduled
        } else {
            self.status
        }
    }

    /// The import sequence number the next imported lead gets.
    pub fn next_sequence(&self) -> u64 {
        self.leads_imported + self.leads_skipped
    }

    /// Refuses commands on campaigns that are over, each with its own
    /// error.
    pub(crate) fn ensure_not_ended(&self) -> Result<(), DomainError> {
        match self.status {
            CampaignStatus::Cancelled => Err(DomainError::CampaignCancelled(self.id)),
            CampaignStatus::Archived => Err(DomainError::CampaignArchived(self.id)),
            CampaignStatus::Completed => Err(DomainError::CampaignCompleted(self.id)),
            _ => Ok(()),
        }
    }

    /// Refuses commands on cancelled or archived campaigns (a completed
    /// one can still be recycled, updated and restarted).
    pub(crate) fn ensure_open(&self) -> Result<(), DomainError> {
        match self.status {
            CampaignStatus::Cancelled => Err(DomainError::CampaignCancelled(self.id)),
            CampaignStatus::Archived => Err(DomainError::CampaignArchived(self.id)),
            _ => Ok(()),
        }
    }
}

/// What can be asked of an existing campaign.
// A command lives for one decision: the size of `Update` costs nothing
// worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CampaignCommand {
    /// Replace its settings.
    Update {
        /// The new settings, in full.
        settings: CampaignSettings,
    },
    /// Start calling (from draft, or from completed after a recycle).
    Start,
    /// Stop new dials; calls in flight finish.
    Pause {
        /// Why, optionally.
        reason: Option<String>,
    },
    /// Continue a paused campaign.
    Resume,
    /// End it for good.
    Cancel {
        /// Why, optionally.
        reason: Option<String>,
    },
    /// Record that nothing is left to call. Use
    /// [`crate::plans::complete`], which checks the leads.
    Complete,
    /// Hide it from lists; its history stays.
    Archive,
}

/// Creates a campaign, as a draft. `existing` is the state of the stream
/// with this id, if any.
pub fn create(
    existing: Option<&Campaign>,
    id: CampaignId,
    owner: UserId,
    settings: CampaignSettings,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    if existing.is_some() {
        return Err(DomainError::CampaignExists(id));
    }
    settings.validate()?;
    Ok(vec![Event::CampaignCreated(CampaignCreated {
        campaign_id: id,
        owner,
        settings,
        at: now,
    })])
}

/// Decides what a command on an existing campaign records.
pub fn decide(
    campaign: &Campaign,
    command: CampaignCommand,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DomainError> {
    let id = campaign.id;
    let transition = |reason: Option<String>| -> Result<CampaignTransition, DomainError> {
        let reason = text::optional("reason", reason.as_deref(), text::REASON_BYTES_MAX)?;
        Ok(CampaignTransition {
            campaign_id: id,
            reason,
            at: now,
        })
    };
    let status = campaign.status;
    let event = match command {
        CampaignCommand::Update { settings } => {
            campaign.ensure_open()?;
            settings.validate()?;
            if settings == campaign.settings {
                return Ok(Vec::new());
            }
            Event::CampaignUpdated(CampaignUpdated {
                campaign_id: id,
                settings,
                at: now,
            })
        }
        CampaignCommand::Start => {
            campaign.ensure_open()?;
            if matches!(status, CampaignStatus::Active | CampaignStatus::Paused) {
                return Err(DomainError::CampaignAlreadyRunning {
                    id,
                    status: campaign.status_at(now),
                });
            }
            if campaign.leads_imported == 0 {
                return Err(DomainError::CampaignHasNoLeads(id));
            }
            Event::CampaignStarted(transition(None)?)
        }
        CampaignCommand::Pause { reason } => {
            campaign.ensure_not_ended()?;
            if status != CampaignStatus::Active {
                return Err(DomainError::CampaignNotActive { id, status });
            }
            Event::CampaignPaused(transition(reason)?)
        }
        CampaignCommand::Resume => {
            campaign.ensure_not_ended()?;
            if status != CampaignStatus::Paused {
                return Err(DomainError::CampaignNotPaused {
                    id,
                    status: campaign.status_at(now),
                });
            }
            Event::CampaignResumed(transition(None)?)
        }
        CampaignCommand::Cancel { reason } => {
            campaign.ensure_not_ended()?;
            Event::CampaignCancelled(transition(reason)?)
        }
        CampaignCommand::Complete => {
            campaign.ensure_not_ended()?;
            if status != CampaignStatus::Active {
                return Err(DomainError::CampaignNotActive { id, status });
            }
            Event::CampaignCompleted(transition(None)?)
        }
        CampaignCommand::Archive => {
            if status == CampaignStatus::Archived {
                return Err(DomainError::CampaignArchived(id));
            }
            if matches!(status, CampaignStatus::Active | CampaignStatus::Paused) {
                return Err(DomainError::CampaignStillRunning {
                    id,
                    status: campaign.status_at(now),
                });
            }
            Event::CampaignArchived(transition(None)?)
        }
    };
    Ok(vec![event])
}

/// Applies one event. Events of other campaigns and of other aggregates
/// leave the state as it is.
pub fn evolve(state: Option<Campaign>, event: &Event) -> Option<Campaign> {
    if let Event::CampaignCreated(created) = event {
        return match state {
            Some(existing) => Some(existing),
            None => Some(Campaign {
                id: created.campaign_id,
                owner: created.owner,
                settings: created.settings.clone(),
                status: CampaignStatus::Draft,
                leads_imported: 0,
                leads_skipped: 0,
                created_at: created.at,
                started_at: None,
                ended_at: None,
            }),
        };
    }
    let mut campaign = state?;
    if event.campaign_id() != Some(campaign.id) {
        return Some(campaign);
    }
    match event {
        Event::CampaignUpdated(updated) => campaign.settings = updated.settings.clone(),
        Event::LeadsImported(batch) => {
            campaign.leads_imported += u64::from(batch.imported);
            campaign.leads_skipped += u64::from(batch.duplicates) + u64::from(batch.dnc);
        }
        Event::CampaignStarted(t) | Event::CampaignResumed(t) => {
            campaign.status = CampaignStatus::Active;
            campaign.started_at = Some(t.at);
            campaign.ended_at = None;
        }
        Event::CampaignPaused(_) => campaign.status = CampaignStatus::Paused,
        Event::CampaignCancelled(t) => end(&mut campaign, CampaignStatus::Cancelled, t.at),
        Event::CampaignCompleted(t) => end(&mut campaign, CampaignStatus::Completed, t.at),
        Event::CampaignArchived(t) => end(&mut campaign, CampaignStatus::Archived, t.at),
        _ => {}
    }
    Some(campaign)
}

fn end(campaign: &mut Campaign, status: CampaignStatus, at: DateTime<Utc>) {
    campaign.status = status;
    campaign.ended_at.get_or_insert(at);
}

/// Folds a campaign stream from its start.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Campaign> {
    events.into_iter().fold(None, evolve)
}

#[cfg(test)]
mod tests;
