//! The dialer: the one place that decides dials.
//!
//! Each [`Engine::step`] at an instant `now`:
//! 1. records the results of calls that ended (the simulator's, due by now);
//! 2. reclaims calls that never reported back within the stale timeout
//!    (recorded as failed, reason "stale"), freeing their slots;
//! 3. dials: [`plan`] deals the free slots and asks the domain
//!    (`leadline_domain::dialing`) what each picked lead's dial records.
//!    The dial events of one round are appended at once, on condition
//!    that none of the campaigns changed meanwhile (a pause acknowledged
//!    before the append makes it fail, and no call starts);
//! 4. completes active campaigns with nothing left to call.
//!
//! The dialer holds no calling rule of its own: it reads the read models,
//! asks the domain, commits through the one write path
//! ([`crate::write::CommandRunner`], whose stream locks it shares with the
//! HTTP commands) and places calls ([`placer`]).
//!
//! It returns the next instant anything is due (a result, a stale deadline,
//! a lead becoming ready, a window opening, a pacing delay). `serve` runs
//! steps on a thread with the real clock, waking at once on any new event
//! in the log (a call ending frees a slot), else at that instant; tests run
//! them with a virtual clock.

mod engine;
pub mod ledger;
pub mod placer;
mod plan;
pub mod providers;
pub mod simulator;

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

pub use self::engine::Engine;
pub use self::ledger::Ledger;
use self::placer::CallPlacer;
use crate::write::{CommandRunner, RunError};

/// How the dialer runs.
#[derive(Clone, Debug)]
pub struct DialerConfig {
    /// Calls in flight at once across all users.
    pub system_concurrent_calls: u32,
    /// A call without a result after this long is reclaimed as failed.
    pub stale_call_ms: u64,
    /// The simulator's call length, dial to result.
    pub sim_call_ms: u64,
    /// Dials decided in one step (the rest wait for the next step).
    pub dials_per_step_max: usize,
    /// The longest the dialer sleeps without a known reason to wake.
    pub idle_wake_ms: u64,
}

impl Default for DialerConfig {
    fn default() -> Self {
        DialerConfig {
            system_concurrent_calls: leadline_domain::allocation::SYSTEM_CONCURRENT_CALLS_DEFAULT,
            stale_call_ms: 30 * 60 * 1000,
            sim_call_ms: 2000,
            dials_per_step_max: 1000,
            idle_wake_ms: 30_000,
        }
    }
}

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub dialed: usize,
    pub reported: usize,
    pub reclaimed: usize,
    pub completed: usize,
    /// Appends refused because a stream moved meanwhile; the next step
    /// decides again.
    pub conflicts: usize,
    /// The next instant something is due.
    pub next_wake: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DialerError {
    #[error(transparent)]
    Write(#[from] RunError<Infallible>),
}

/// Runs the dialer on its own thread with the real clock until `stop`,
/// placing calls through `placer`.
pub fn spawn(
    commands: Arc<CommandRunner>,
    config: DialerConfig,
    placer: Box<dyn CallPlacer>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("leadline-dialer".into())
        .spawn(move || {
            let projections = commands.projections().clone();
            let mut engine = Engine::new(commands, config, placer);
            while !stop.load(Ordering::Relaxed) {
                let now = Utc::now();
                let position = projections.position();
                let step = match engine.step(now) {
                    Ok(step) => step,
                    Err(e) => {
                        eprintln!("dialer: {e}; retrying in a second");
                        std::thread::sleep(StdDuration::from_secs(1));
                        continue;
                    }
                };
                if step.dialed > 0 || step.conflicts > 0 {
                    continue;
                }
                // Wake at once on any new event (a call ended, a resume, an
                // import), else when something is due; check for stop often.
                let until = step.next_wake.unwrap_or(now + Duration::seconds(1));
                let wait = (until - Utc::now())
                    .to_std()
                    .unwrap_or(StdDuration::ZERO)
                    .min(StdDuration::from_millis(250));
                projections.wait_for(position + 1, wait);
            }
        })
}
