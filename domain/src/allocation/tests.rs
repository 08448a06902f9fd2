use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

fn user(n: u128) -> UserId {
    UserId::from_u128(n)
}

fn leads(user: u128, count: usize) -> Vec<LeadId> {
    (0..count as u128)
        .map(|i| LeadId::from_u128(user * 1_000_000 + i))
        .collect()
}

fn counts(allocation: &Allocation) -> HashMap<UserId, usize> {
    let mut counts = HashMap::new();
    for dial in &allocation.dials {
        *counts.entry(dial.user_id).or_insert(0) += 1;
    }
    counts
}

#[test]
fn free_slots_never_go_negative() {
    assert_eq!(free_slots(2, 0), 2);
    assert_eq!(free_slots(2, 2), 0);
    assert_eq!(free_slots(2, 5), 0);
}

#[test]
fn one_big_campaign_does_not_starve_the_others() {
    let big = leads(1, 58_466);
    let small = leads(2, 3);
    let users = [
        UserDemand {
            user_id: user(1),
            free_slots: 10,
            leads: &big,
        },
        UserDemand {
            user_id: user(2),
            free_slots: 10,
            leads: &small,
        },
    ];
    let allocation = allocate(10, &users, None);
    let counts = counts(&allocation);
    assert_eq!(counts[&user(1)], 7);
    assert_eq!(counts[&user(2)], 3);
    assert_eq!(
        allocation.dials[0],
        Dial {
            user_id: user(1),
            lead_id: big[0]
        }
    );
    assert_eq!(
        allocation.dials[1],
        Dial {
            user_id: user(2),
            lead_id: small[0]
        }
    );
}

#[test]
fn defaults_two_per_user_ten_in_all() {
    let lists: Vec<Vec<LeadId>> = (1..=6).map(|u| leads(u, 50)).collect();
    let users: Vec<UserDemand> = lists
        .iter()
        .enumerate()
        .map(|(i, l)| UserDemand {
            user_id: user(i as u128 + 1),
            free_slots: USER_CONCURRENT_CALLS_DEFAULT,
            leads: l,
        })
        .collect();
    let allocation = allocate(SYSTEM_CONCURRENT_CALLS_DEFAULT, &users, None);
    assert_eq!(allocation.dials.len(), 10);
    assert!(counts(&allocation).values().all(|&c| c <= 2));
}

#[test]
fn the_turn_carries_over_between_calls() {
    let a = leads(1, 10);
    let b = leads(2, 10);
    let users = [
        UserDemand {
            user_id: user(1),
            free_slots: 5,
            leads: &a,
        },
        UserDemand {
            user_id: user(2),
            free_slots: 5,
            leads: &b,
        },
    ];
    let first = allocate(1, &users, None);
    assert_eq!(first.last_served, Some(user(1)));
    let second = allocate(1, &users, first.last_served);
    assert_eq!(second.dials[0].user_id, user(2));
    let third = allocate(1, &users, second.last_served);
    assert_eq!(third.dials[0].user_id, user(1));
}

#[test]
fn nothing_to_deal_keeps_the_turn() {
    let allocation = allocate(0, &[], Some(user(3)));
    assert!(allocation.dials.is_empty());
    assert_eq!(allocation.last_served, Some(user(3)));
}

fn demands() -> impl Strategy<Value = Vec<(u32, usize)>> {
    prop::collection::vec((0_u32..6, 0_usize..12), 0..7)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No limit is ever exceeded, leads are taken in order, no slot is left
    /// unused while someone has work and room, and users still wanting
    /// more got within one dial of each other.
    #[test]
    fn allocation_respects_limits_and_is_fair(
        system in 0_u32..20,
        demand in demands(),
        resume in prop::option::of(0_u128..8),
    ) {
        let lists: Vec<Vec<LeadId>> = demand.iter().enumerate().map(|(i, (_, n))| leads(i as u128, *n)).collect();
        let users: Vec<UserDemand> = demand
            .iter()
            .enumerate()
            .map(|(i, (slots, _))| UserDemand { user_id: user(i as u128), free_slots: *slots, leads: &lists[i] })
            .collect();
        let allocation = allocate(system, &users, resume.map(user));
        let counts = counts(&allocation);
        prop_assert!(allocation.dials.len() <= system as usize);
        let mut unsatisfied = Vec::new();
        for u in &users {
            let got = counts.get(&u.user_id).copied().unwrap_or(0);
            prop_assert!(got <= u.free_slots as usize);
            prop_assert!(got <= u.leads.len());
            let theirs: Vec<LeadId> = allocation.dials.iter().filter(|d| d.user_id == u.user_id).map(|d| d.lead_id).collect();
            prop_assert_eq!(&theirs[..], &u.leads[..got], "leads in order");
            if got < u.free_slots as usize && got < u.leads.len() {
                unsatisfied.push(got);
            }
        }
        if !unsatisfied.is_empty() {
            prop_assert_eq!(allocation.dials.len(), system as usize, "a slot left unused while there is work");
        }
        let max = counts.values().copied().max().unwrap_or(0);
        for got in unsatisfied {
            prop_assert!(max - got <= 1, "a user with work got {got}, another {max}");
        }
    }

    /// Over any sequence of rounds, users with backlog differ by at most
    /// one dial in total.
    #[test]
    fn rounds_stay_fair(rounds in prop::collection::vec(0_u32..7, 1..40), users_n in 2_u128..5) {
        let lists: Vec<Vec<LeadId>> = (0..users_n).map(|u| leads(u, 400)).collect();
        let mut taken = vec![0_usize; users_n as usize];
        let mut resume = None;
        for system in rounds {
            let users: Vec<UserDemand> = (0..users_n as usize)
                .map(|u| UserDemand { user_id: user(u as u128), free_slots: 100, leads: &lists[u][taken[u]..] })
                .collect();
            let allocation = allocate(system, &users, resume);
            resume = allocation.last_served;
            for dial in &allocation.dials {
                let index = usize::try_from(dial.user_id.as_uuid().as_u128()).unwrap_or(0);
                taken[index] += 1;
            }
            let max = taken.iter().max().copied().unwrap_or(0);
            let min = taken.iter().min().copied().unwrap_or(0);
            prop_assert!(max - min <= 1, "{taken:?}");
        }
    }
}
