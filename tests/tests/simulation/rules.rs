//! The calling rules' independent judge in the simulation: the compliance
//! checker (`leadline_projections::compliance::Checker`), which folds its
//! own state from the log and recomputes every window and rolling count
//! from the instants in the events, apart from the domain's eligibility.
//! A dial that breaks any rule, or that the checker cannot place, fails
//! the run.

use leadline_domain::Event;
use leadline_projections::compliance::{Checker, RulesTable, Unplaced};

/// The checker, and the counts the run reports.
pub struct RulesJudge {
    checker: Checker,
    /// Dials judged.
    pub dials: u64,
    pub dials_under_jurisdiction: u64,
    pub capped_numbers_dialed: u64,
    /// Dials that brought a cap (jurisdiction, policy or Reg F) to its
    /// maximum: the caps are reached, not only present.
    pub caps_filled: u64,
}

impl Default for RulesJudge {
    fn default() -> Self {
        RulesJudge {
            // The simulation's limits on calls in flight are checked on the
            // read models after every step; the checker judges the users'.
            checker: Checker::new(RulesTable::built_in(), None),
            dials: 0,
            dials_under_jurisdiction: 0,
            capped_numbers_dialed: 0,
            caps_filled: 0,
        }
    }
}

/// A dial the rules forbid: which rule, and why.
pub struct Breach {
    pub rule: String,
    pub detail: String,
}

impl RulesJudge {
    /// Judges `event` (at log `position`) against the state before it,
    /// then folds it in.
    pub fn observe(&mut self, position: u64, event: &Event) -> Result<(), Breach> {
        let verdict = self.checker.observe(position, event);
        let counts = self.checker.counts();
        self.dials = counts.dials;
        self.dials_under_jurisdiction = counts.dials_under_jurisdiction;
        self.capped_numbers_dialed = counts.capped_numbers_dialed;
        self.caps_filled = counts.caps_filled;
        match verdict {
            None => Ok(()),
            Some(Err(Unplaced(detail))) => Err(Breach {
                rule: "a dial of a known lead, on one of its numbers".to_owned(),
                detail,
            }),
            Some(Ok(judgement)) => match judgement.breaches().next() {
                None => Ok(()),
                Some((rule, detail)) => Err(Breach {
                    rule: rule.name().to_owned(),
                    detail: detail.to_owned(),
                }),
            },
        }
    }
}
