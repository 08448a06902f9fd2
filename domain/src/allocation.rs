//! Allocation: which leads to dial now, given the free slots.
//!
//! Limits are never exceeded: each user gets at most their free slots
//! (their concurrent calls limit minus their calls in flight), all users
//! together at most the system's free slots. Slots are dealt round-robin,
//! one dial per user per turn, across users that still have eligible leads
//! and free slots, so one big campaign cannot starve the others. The turn
//! continues across calls: pass back [`Allocation::last_served`] as
//! `resume_after`, and over any sequence of rounds the dials of two users
//! with backlog differ by at most one.

use crate::ids::{LeadId, UserId};

/// A user's concurrent calls limit when none is given.
pub const USER_CONCURRENT_CALLS_DEFAULT: u32 = 2;
/// The whole system's concurrent calls limit when none is given.
pub const SYSTEM_CONCURRENT_CALLS_DEFAULT: u32 = 10;
/// The largest concurrent calls limit accepted, for a user or the system.
pub const CONCURRENT_CALLS_LIMIT_MAX: u32 = 1_000;

/// Free slots under `limit` with `in_flight` calls (never negative: a
/// limit lowered below the calls in flight gives 0, and those calls
/// finish).
pub fn free_slots(limit: u32, in_flight: u32) -> u32 {
    limit.saturating_sub(in_flight)
}

/// One user's side of an allocation.
#[derive(Clone, Copy, Debug)]
pub struct UserDemand<'a> {
    /// The user. One entry per user.
    pub user_id: UserId,
    /// Their free slots now.
    pub free_slots: u32,
    /// Their eligible leads, in dial order (see
    /// [`crate::lead::Lead::dial_order`]).
    pub leads: &'a [LeadId],
}

/// One dial to start.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Dial {
    /// Whose slot it takes.
    pub user_id: UserId,
    /// The lead to dial.
    pub lead_id: LeadId,
}

/// The outcome of an allocation.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Allocation {
    /// Dials to start, in the order they were dealt.
    pub dials: Vec<Dial>,
    /// The user who got the last dial; pass it as `resume_after` next
    /// time. Unchanged from `resume_after` when nothing was dealt.
    pub last_served: Option<UserId>,
}

/// Deals `system_free_slots` round-robin among `users`. Users take turns
/// in ascending id order, starting with the first whose id is greater than
/// `resume_after` (wrapping around), each taking their next lead while
/// they have leads and free slots.
pub fn allocate(
    system_free_slots: u32,
    users: &[UserDemand<'_>],
    resume_after: Option<UserId>,
) -> Allocation {
    let mut order: Vec<usize> = (0..users.len()).collect();
    order.sort_by_key(|&index| users[index].user_id);
    let start = resume_after
        .and_then(|after| order.iter().position(|&index| users[index].user_id > after))
        .unwrap_or(0);
    order.rotate_left(start);

    let mut taken = vec![0_usize; users.len()];
    let mut remaining = system_free_slots;
    let mut allocation = Allocation {
        dials: Vec::new(),
        last_served: resume_after,
    };
    while remaining > 0 {
        let mut dealt_this_turn = false;
        for &index in &order {
            if remaining == 0 {
                break;
            }
            let user = &users[index];
            let slots = usize::try_from(user.free_slots).unwrap_or(usize::MAX);
            let Some(lead_id) = user
                .leads
                .get(taken[index])
                .filter(|_| taken[index] < slots)
            else {
                continue;
            };
            taken[index] += 1;
            remaining -= 1;
            dealt_this_turn = true;
            allocation.dials.push(Dial {
                user_id: user.user_id,
                lead_id: *lead_id,
            });
            allocation.last_served = Some(user.user_id);
        }
        if !dealt_this_turn {
            break;
        }
    }
    allocation
}

#[cfg(test)]
mod tests;
