//! Whether a principal may see a campaign or a lead: another user's is
//! "not found". Shared by every route that reads a campaign or a lead
//! (campaigns, leads, calls, events), so that none of them depends on
//! another's module for it.

use leadline_domain::lead::Lead;
use leadline_domain::{CampaignId, LeadId};
use leadline_projections::{CampaignEntry, ReadModel};

use crate::server::auth::Principal;
use crate::server::error::ApiError;

/// The campaign, if the caller may see it (another user's is "not found").
pub fn visible<'m>(
    model: &'m ReadModel,
    principal: &Principal,
    id: &CampaignId,
) -> Result<&'m CampaignEntry, ApiError> {
    model
        .campaign(id)
        .filter(|e| principal.owns(&e.campaign.owner))
        .ok_or_else(|| ApiError::not_found(&format!("campaign {id}")))
}

/// The lead, if the caller may see it.
pub fn visible_lead<'m>(
    model: &'m ReadModel,
    principal: &Principal,
    id: &LeadId,
) -> Result<&'m Lead, ApiError> {
    let lead = &model
        .lead(id)
        .ok_or_else(|| ApiError::not_found(&format!("lead {id}")))?
        .lead;
    let owner = model.campaign(&lead.campaign_id).map(|c| c.campaign.owner);
    match owner {
        Some(owner) if principal.owns(&owner) => Ok(lead),
        _ => Err(ApiError::not_found(&format!("lead {id}"))),
    }
}
