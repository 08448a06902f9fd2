//! Running a command: decide from the read models, append the events with
//! the stream versions the decision saw, and answer once the events are
//! durable and visible. A stream that moved meanwhile is a conflict: wait
//! for the read models to catch up and decide again.

use leadline_domain::{Event, StreamName};
use leadline_projections::{codec, Cause, ReadModel};
use leadline_storage::{ExpectedVersion, LogError};

use super::error::ApiError;
use super::limits::COMMAND_TRIES_MAX;
use super::state::AppState;

/// The stream version a decision on `model` saw.
pub fn expected_version(model: &ReadModel, stream: &StreamName) -> ExpectedVersion {
    let version = match stream {
        StreamName::User(id) => model.user(id).map(|e| e.version),
        StreamName::Campaign(id) => model.campaign(id).map(|e| e.version),
        StreamName::Lead(id) => model.lead(id).map(|e| e.version),
    };
    ExpectedVersion::Exact(version.unwrap_or(0))
}

/// A command's result and the log position that reflects it.
pub struct Done<T> {
    pub value: T,
    pub position: u64,
}

/// Decides on the current read models and appends the events; retries when
/// a stream moved. `decide` returns the events and the answer.
pub async fn execute<T>(
    state: &AppState,
    cause: &Cause,
    mut decide: impl FnMut(&ReadModel) -> Result<(Vec<Event>, T), ApiError>,
) -> Result<Done<T>, ApiError> {
    for _ in 0..COMMAND_TRIES_MAX {
        let (appends, value) = {
            let model = state.projections.read();
            let (events, value) = decide(&model)?;
            if events.is_empty() {
                return Ok(Done {
                    value,
                    position: model.position(),
                });
            }
            let appends = codec::appends(&events, cause, |s| expected_version(&model, s))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            (appends, value)
        };
        match state.log.submit(appends).await {
            Ok(outcome) => {
                let position = outcome.last_position();
                state
                    .metrics
                    .events_appended(outcome.positions.len() as u64);
                state.wait_visible(position).await?;
                return Ok(Done { value, position });
            }
            Err(LogError::Conflict { .. }) => {
                state.wait_visible(state.log.last_position()).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "the resource kept changing while this request ran; try again",
    ))
}
