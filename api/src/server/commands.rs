//! HTTP commands on the one write path ([`crate::write::CommandRunner`]):
//! a handler's decision returns its events and its answer; the runner's
//! outcomes become problem+json answers.

use leadline_domain::Event;
use leadline_projections::ReadModel;

use super::error::ApiError;
use super::state::AppState;
use crate::write::{Cause, Decision, RunError};

pub use crate::write::Done;

/// Decides on the current read models and appends the events (see
/// [`crate::write`]). `decide` returns the events and the answer.
pub async fn execute<T>(
    state: &AppState,
    cause: &Cause,
    mut decide: impl FnMut(&ReadModel) -> Result<(Vec<Event>, T), ApiError>,
) -> Result<Done<T>, ApiError> {
    execute_decision(state, cause, |model| {
        decide(model).map(|(events, value)| Decision::new(events, value))
    })
    .await
}

/// Like [`execute`], for a decision that also names streams it read
/// without writing (checked at append time, see [`Decision`]).
pub async fn execute_decision<T>(
    state: &AppState,
    cause: &Cause,
    decide: impl FnMut(&ReadModel) -> Result<Decision<T>, ApiError>,
) -> Result<Done<T>, ApiError> {
    let done = state.commands.run(cause, decide).await.map_err(run_error)?;
    state.metrics.events_appended(done.appended as u64);
    Ok(done)
}

fn run_error(error: RunError<ApiError>) -> ApiError {
    match error {
        RunError::Decide(e) => e,
        RunError::Log(e) => e.into(),
        RunError::Codec(e) => ApiError::internal(e.to_string()),
        RunError::NotVisible {
            failure: Some(failure),
            ..
        } => ApiError::unavailable(format!(
            "the read models stopped folding the log: {failure}"
        )),
        e @ RunError::NotVisible { failure: None, .. } => ApiError::unavailable(e.to_string()),
        e @ RunError::Contended => ApiError::unavailable(format!("{e}; try again")),
    }
}
