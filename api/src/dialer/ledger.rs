//! What the engine reads and writes through: the live system's one write
//! path, or a private copy of the read models that a forecast runs on.
//!
//! The engine asks nothing else of either: a consistent read model, and a
//! commit that decides on it and makes the decision's events visible.

use std::convert::Infallible;
use std::ops::Deref;
use std::sync::Arc;

use leadline_domain::Actor;
use leadline_projections::ReadModel;

use crate::write::{Cause, CommandRunner, Decision, Done, RunError};

/// Where the engine reads the read models and commits its decisions.
pub trait Ledger {
    /// A consistent read of the models.
    type Model<'a>: Deref<Target = ReadModel>
    where
        Self: 'a;

    /// The read models as they stand.
    fn model(&self) -> Self::Model<'_>;

    /// Decides on the read models and records the decision's events; on
    /// return, `model` shows them.
    fn commit<T>(
        &self,
        decide: impl FnMut(&ReadModel) -> Result<Decision<T>, Infallible>,
    ) -> Result<Done<T>, RunError<Infallible>>;
}

/// The live system: the log, through the one write path.
impl Ledger for Arc<CommandRunner> {
    type Model<'a> = parking_lot::RwLockReadGuard<'a, ReadModel>;

    fn model(&self) -> Self::Model<'_> {
        self.projections().read()
    }

    fn commit<T>(
        &self,
        decide: impl FnMut(&ReadModel) -> Result<Decision<T>, Infallible>,
    ) -> Result<Done<T>, RunError<Infallible>> {
        let cause = Cause::new(Actor::System("dialer".into()));
        self.run_blocking(&cause, decide)
    }
}
