//! The write side: every write of the system, from an HTTP request, a
//! provider webhook or the dialer, goes through [`CommandRunner`].
//!
//! A command is a pure decision on the read models. The runner:
//! 1. takes the in-process lock of every stream the decision writes or
//!    checks ([`locks`]), deciding once without locks to learn which
//!    streams those are, and again under them;
//! 2. encodes the events ([`record`]) and appends them with the stream
//!    versions that decision saw; streams the decision only read are sent
//!    as check-only entries, so the append fails if any of them moved;
//! 3. waits until the read models show the events, so the caller's next
//!    read sees its write, and only then lets the locks go.
//!
//! Commands on the same streams in this process therefore queue, and a
//! version conflict can only come from a writer in another process. It is
//! not reported: the runner catches up with the log and decides again,
//! backing off, until `COMMAND_CONFLICT_WAIT_MS` has passed; only then does
//! the caller hear "contended" (a 503 to an HTTP client, never a 409: a
//! 409 is for a conflict the client caused, which the decision reports).
//!
//! Streams a decision creates (version 0 in the read models) are not
//! locked: their ids are fresh, and nothing can refer to them before they
//! are visible.

pub mod locks;
pub mod record;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use leadline_domain::{Event, StreamName};
use leadline_projections::{CodecError, Projections, ReadModel};
use leadline_storage::{EventLog, ExpectedVersion, LogError, StreamAppend};

pub use self::locks::StreamLocks;
pub use self::record::Cause;
use crate::limits::{COMMAND_CONFLICT_BACKOFF_MS_MAX, COMMAND_CONFLICT_WAIT_MS, VISIBLE_WAIT_MS};

/// What a command decided: the events to append, the streams it read
/// without writing (checked at append time), and the answer.
pub struct Decision<T> {
    pub events: Vec<Event>,
    pub checks: Vec<StreamName>,
    pub value: T,
}

impl<T> Decision<T> {
    /// Events and an answer, no extra checks.
    pub fn new(events: Vec<Event>, value: T) -> Self {
        Decision {
            events,
            checks: Vec::new(),
            value,
        }
    }
}

/// A command's answer and the log position that reflects it.
#[derive(Debug)]
pub struct Done<T> {
    pub value: T,
    pub position: u64,
    /// Events appended (0 when the decision wrote nothing).
    pub appended: usize,
}

/// Why a command did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E> {
    /// The decision refused the command.
    #[error(transparent)]
    Decide(E),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// Durable, but the read models did not show it in time.
    #[error(
        "the write is durable at position {position} but the read models have not caught up yet"
    )]
    NotVisible {
        position: u64,
        /// Why the read models stopped, when they did.
        failure: Option<String>,
    },
    /// Other processes kept changing the command's streams.
    #[error("other writers kept changing these records for {COMMAND_CONFLICT_WAIT_MS} ms")]
    Contended,
}

/// How the runner waits: on an async reactor, or on a plain thread (the
/// dialer's), where the same future runs under `block_on`.
#[derive(Clone, Copy)]
enum Waiting {
    Async,
    Blocking,
}

/// Runs commands: decide, append, wait until visible.
pub struct CommandRunner {
    log: Arc<dyn EventLog>,
    projections: Arc<Projections>,
    locks: StreamLocks,
}

impl CommandRunner {
    pub fn new(log: Arc<dyn EventLog>, projections: Arc<Projections>) -> Arc<Self> {
        Arc::new(CommandRunner {
            log,
            projections,
            locks: StreamLocks::default(),
        })
    }

    pub fn projections(&self) -> &Arc<Projections> {
        &self.projections
    }

    /// Runs a command from async code.
    pub async fn run<T, E>(
        &self,
        cause: &Cause,
        decide: impl FnMut(&ReadModel) -> Result<Decision<T>, E>,
    ) -> Result<Done<T>, RunError<E>> {
        self.run_waiting(Waiting::Async, cause, decide).await
    }

    /// Runs a command on a plain thread. Must not be called on an async
    /// reactor thread.
    pub fn run_blocking<T, E>(
        &self,
        cause: &Cause,
        decide: impl FnMut(&ReadModel) -> Result<Decision<T>, E>,
    ) -> Result<Done<T>, RunError<E>> {
        futures_executor::block_on(self.run_waiting(Waiting::Blocking, cause, decide))
    }

    async fn run_waiting<T, E>(
        &self,
        waiting: Waiting,
        cause: &Cause,
        mut decide: impl FnMut(&ReadModel) -> Result<Decision<T>, E>,
    ) -> Result<Done<T>, RunError<E>> {
        let deadline = Instant::now() + Duration::from_millis(COMMAND_CONFLICT_WAIT_MS);
        let mut backoff_ms = 1;
        let mut keys = BTreeSet::new();
        let mut held = self.locks.lock(&keys).await;
        loop {
            let decided = {
                let model = self.projections.read();
                let decision = decide(&model).map_err(RunError::Decide)?;
                if decision.events.is_empty() && decision.checks.is_empty() {
                    return Ok(Done {
                        value: decision.value,
                        position: model.position(),
                        appended: 0,
                    });
                }
                let needed = stream_keys(&model, &decision);
                if held.covers(&needed) {
                    Ok((encode(&model, cause, &decision)?, decision.value))
                } else {
                    Err(needed)
                }
            };
            let (appends, value) = match decided {
                Ok(decided) => decided,
                Err(needed) => {
                    // The decision touches streams not held yet: take them
                    // all and decide again under them.
                    keys.extend(needed);
                    drop(held);
                    held = self.locks.lock(&keys).await;
                    continue;
                }
            };
            let count: usize = appends.iter().map(|a| a.events.len()).sum();
            match self.log.submit(appends).await {
                Ok(outcome) => {
                    let position = outcome.last_position();
                    self.wait_visible(waiting, position).await?;
                    drop(held);
                    return Ok(Done {
                        value,
                        position,
                        appended: count,
                    });
                }
                Err(LogError::Conflict { .. }) => {
                    // Another process moved one of these streams: catch up
                    // with the log, then decide again on what it wrote.
                    if Instant::now() >= deadline {
                        return Err(RunError::Contended);
                    }
                    self.wait_visible(waiting, self.log.last_position()).await?;
                    pause(waiting, Duration::from_millis(backoff_ms)).await;
                    backoff_ms = (backoff_ms * 2).min(COMMAND_CONFLICT_BACKOFF_MS_MAX);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn wait_visible<E>(&self, waiting: Waiting, position: u64) -> Result<(), RunError<E>> {
        let timeout = Duration::from_millis(VISIBLE_WAIT_MS);
        let visible = match waiting {
            Waiting::Blocking => self.projections.wait_for(position, timeout),
            Waiting::Async => {
                let mut reached = self.projections.subscribe();
                let waited = tokio::time::timeout(timeout, async {
                    reached.wait_for(|p| *p >= position).await.is_ok()
                })
                .await;
                waited.unwrap_or(false)
            }
        };
        if visible {
            Ok(())
        } else {
            Err(RunError::NotVisible {
                position,
                failure: self.projections.failure(),
            })
        }
    }
}

async fn pause(waiting: Waiting, duration: Duration) {
    match waiting {
        Waiting::Async => tokio::time::sleep(duration).await,
        Waiting::Blocking => std::thread::sleep(duration),
    }
}

/// The stream version a decision on `model` saw.
pub fn expected_version(model: &ReadModel, stream: &StreamName) -> ExpectedVersion {
    ExpectedVersion::Exact(stream_version(model, stream))
}

/// A stream's version in the read models (0: no such stream yet).
pub fn stream_version(model: &ReadModel, stream: &StreamName) -> u64 {
    let version = match stream {
        StreamName::User(id) => model.user(id).map(|e| e.version),
        StreamName::Campaign(id) => model.campaign(id).map(|e| e.version),
        StreamName::Lead(id) => model.lead(id).map(|e| e.version),
        StreamName::Subscription(id) => model.subscription(id).map(|e| e.version),
    };
    version.unwrap_or(0)
}

/// The streams a decision must hold: those it writes or checks, except
/// those it creates.
fn stream_keys<T>(model: &ReadModel, decision: &Decision<T>) -> BTreeSet<String> {
    decision
        .events
        .iter()
        .map(Event::stream)
        .chain(decision.checks.iter().copied())
        .filter(|stream| stream_version(model, stream) > 0)
        .map(|stream| stream.to_string())
        .collect()
}

/// The appends of a decision: its events with the versions `model` shows,
/// and a check-only entry for each stream it read without writing.
fn encode<T>(
    model: &ReadModel,
    cause: &Cause,
    decision: &Decision<T>,
) -> Result<Vec<StreamAppend>, CodecError> {
    let mut appends = record::appends(&decision.events, cause, |s| expected_version(model, s))?;
    let written: BTreeSet<StreamName> = decision.events.iter().map(Event::stream).collect();
    let checked: BTreeSet<StreamName> = decision.checks.iter().copied().collect();
    for stream in checked.difference(&written) {
        appends.push(StreamAppend {
            stream: stream.to_string(),
            expected: expected_version(model, stream),
            events: Vec::new(),
        });
    }
    Ok(appends)
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_domain::user::{self, UserCommand};
    use leadline_domain::{Actor, UserId};
    use leadline_storage::{system_clock, LogLimits, MemoryLog};

    const USER: UserId = UserId::from_u128(7);

    fn runner_pair() -> (Arc<CommandRunner>, Arc<CommandRunner>, Arc<Projections>) {
        let log: Arc<dyn EventLog> = Arc::new(MemoryLog::new(LogLimits::default(), system_clock()));
        let projections = Projections::open(log.clone()).expect("projections");
        projections.follow().expect("follower");
        // Two runners with their own lock tables: two processes on one log.
        let a = CommandRunner::new(log.clone(), projections.clone());
        let b = CommandRunner::new(log, projections.clone());
        (a, b, projections)
    }

    fn cause() -> Cause {
        Cause::new(Actor::System("test".into()))
    }

    /// Raises the user's limit by one: every run must write, so two runs
    /// deciding on the same version conflict.
    fn bump(model: &ReadModel) -> Result<Decision<u32>, String> {
        let now = chrono::DateTime::UNIX_EPOCH;
        let user = &model.user(&USER).ok_or("no user")?.user;
        let limit = user.concurrent_calls_limit + 1;
        let command = UserCommand::ChangeLimit {
            concurrent_calls_limit: limit,
        };
        let events = user::decide(user, command, now).map_err(|e| e.to_string())?;
        Ok(Decision::new(events, limit))
    }

    #[test]
    fn commands_on_one_stream_from_two_processes_are_retried_never_refused() {
        let (a, b, projections) = runner_pair();
        a.run_blocking(&cause(), |_| {
            let now = chrono::DateTime::UNIX_EPOCH;
            let events = user::create(None, USER, "Asha", Some(1), "digest", now)
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(Decision::new(events, ()))
        })
        .expect("created");
        const RUNS: usize = 40;
        std::thread::scope(|scope| {
            for runner in [&a, &a, &b, &b] {
                scope.spawn(move || {
                    for _ in 0..RUNS / 4 {
                        runner.run_blocking(&cause(), bump).expect("never refused");
                    }
                });
            }
        });
        let model = projections.read();
        let user = &model.user(&USER).expect("user");
        assert_eq!(user.user.concurrent_calls_limit, 1 + RUNS as u32);
        assert_eq!(
            projections.position(),
            1 + RUNS as u64,
            "one event per write"
        );
    }

    #[test]
    fn a_refused_decision_writes_nothing_and_says_why() {
        let (a, _, projections) = runner_pair();
        let refused = a.run_blocking(&cause(), bump);
        assert!(matches!(refused, Err(RunError::Decide(ref why)) if why == "no user"));
        assert_eq!(projections.position(), 0);
    }
}
