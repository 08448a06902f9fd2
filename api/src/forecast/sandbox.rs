//! A private copy of the read models that the engine writes to directly:
//! a forecast's ledger. Decisions are folded in as if appended, with the
//! positions and stream versions a log would give them, and nothing is
//! written anywhere.

use leadline_projections::hash::HashMap;
use std::cell::{Ref, RefCell};
use std::convert::Infallible;

use leadline_domain::StreamName;
use leadline_projections::ReadModel;

use crate::dialer::Ledger;
use crate::write::{stream_version, Decision, Done, RunError};

/// The read models of a forecast.
pub struct Sandbox {
    model: RefCell<ReadModel>,
}

impl Sandbox {
    pub fn new(model: ReadModel) -> Self {
        Sandbox {
            model: RefCell::new(model),
        }
    }
}

impl Ledger for Sandbox {
    type Model<'a> = Ref<'a, ReadModel>;

    fn model(&self) -> Self::Model<'_> {
        self.model.borrow()
    }

    fn commit<T>(
        &self,
        mut decide: impl FnMut(&ReadModel) -> Result<Decision<T>, Infallible>,
    ) -> Result<Done<T>, RunError<Infallible>> {
        let decision = match decide(&self.model.borrow()) {
            Ok(decision) => decision,
            Err(never) => match never {},
        };
        if decision.events.is_empty() {
            return Ok(Done {
                value: decision.value,
                position: self.model.borrow().position(),
                appended: 0,
            });
        }
        let mut model = self.model.borrow_mut();
        let mut versions: HashMap<StreamName, u64> = HashMap::default();
        let mut position = model.position();
        for event in &decision.events {
            let stream = event.stream();
            let version = versions
                .entry(stream)
                .or_insert_with(|| stream_version(&model, &stream));
            *version += 1;
            position += 1;
            model.apply(position, *version, event);
        }
        Ok(Done {
            value: decision.value,
            position,
            appended: decision.events.len(),
        })
    }
}
