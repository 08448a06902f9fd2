//! The worker pool that places calls: [`HttpPlacer`] hands each call to
//! one of a few threads, which wait on a shared [`TokenBucket`] for the
//! provider's rate limit and report back. Kept apart from the adapters
//! and the callbacks: it is the only part that runs threads.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{http_client, ProviderAdapter, PLACER_QUEUE_CALLS_MAX, RATE_BURST_SECS};
use crate::dialer::placer::{CallPlacer, OutboundCall, ProviderEvent};

/// Worker threads placing calls: enough to keep a provider busy at its
/// rate limit while a few requests wait on the network.
pub const PLACER_WORKERS: usize = 8;

/// A token bucket: `capacity` requests at once, refilled at a steady rate.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket for `requests_per_min` (at least one), full at `now`.
    pub fn per_minute(requests_per_min: u32, now: Instant) -> Self {
        let per_min = f64::from(requests_per_min.max(1));
        let per_sec = per_min / 60.0;
        let capacity = (per_sec * f64::from(RATE_BURST_SECS)).max(1.0);
        TokenBucket {
            capacity,
            tokens: capacity,
            per_sec,
            last: now,
        }
    }

    /// Takes a token at `now`, or says how long until there is one.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

/// The [`CallPlacer`] for HTTP providers.
pub struct HttpPlacer {
    queue: SyncSender<OutboundCall>,
    results: Receiver<ProviderEvent>,
    /// Events given back, or refusals decided here; polled first.
    pending: Vec<ProviderEvent>,
}

impl HttpPlacer {
    /// Starts [`PLACER_WORKERS`] threads placing calls through `adapter`.
    /// Call it outside any async context (it builds a blocking client).
    pub fn start(adapter: Arc<dyn ProviderAdapter>) -> Result<Self, String> {
        let client = http_client()?;
        let (queue, jobs) = mpsc::sync_channel::<OutboundCall>(PLACER_QUEUE_CALLS_MAX);
        let (report, results) = mpsc::channel();
        let jobs = Arc::new(Mutex::new(jobs));
        let bucket = Arc::new(Mutex::new(TokenBucket::per_minute(
            adapter.requests_per_min_max(),
            Instant::now(),
        )));
        for index in 0..PLACER_WORKERS {
            let worker = Worker {
                adapter: adapter.clone(),
                client: client.clone(),
                jobs: jobs.clone(),
                bucket: bucket.clone(),
                report: report.clone(),
            };
            std::thread::Builder::new()
                .name(format!("leadline-{}-{index}", adapter.name()))
                .spawn(move || worker.run())
                .map_err(|e| format!("cannot start a {} worker: {e}", adapter.name()))?;
        }
        Ok(HttpPlacer {
            queue,
            results,
            pending: Vec::new(),
        })
    }
}

/// One placing thread. It stops when the placer is dropped (the queue
/// closes) or the engine stops listening.
struct Worker {
    adapter: Arc<dyn ProviderAdapter>,
    client: reqwest::blocking::Client,
    jobs: Arc<Mutex<Receiver<OutboundCall>>>,
    bucket: Arc<Mutex<TokenBucket>>,
    report: mpsc::Sender<ProviderEvent>,
}

impl Worker {
    fn run(self) {
        loop {
            let next = match self.jobs.lock() {
                Ok(jobs) => jobs.recv(),
                Err(_) => return,
            };
            let Ok(call) = next else { return };
            self.wait_for_token();
            let event = match self.adapter.place(&self.client, &call) {
                Ok(provider_call_id) => ProviderEvent::Placed {
                    call_id: call.call_id,
                    lead_id: call.lead_id,
                    provider_call_id,
                },
                Err(error) => ProviderEvent::Refused {
                    call_id: call.call_id,
                    lead_id: call.lead_id,
                    error: error.0,
                },
            };
            if self.report.send(event).is_err() {
                return;
            }
        }
    }

    /// Sleeps until the rate limit allows a request; the lock is held only
    /// to take or count, never while sleeping.
    fn wait_for_token(&self) {
        loop {
            let wait = match self.bucket.lock() {
                Ok(mut bucket) => bucket.take(Instant::now()),
                Err(_) => return,
            };
            match wait {
                Ok(()) => return,
                Err(wait) => std::thread::sleep(wait),
            }
        }
    }
}

impl CallPlacer for HttpPlacer {
    fn start(&mut self, call: OutboundCall, _now: DateTime<Utc>) {
        match self.queue.try_send(call) {
            Ok(()) => {}
            Err(TrySendError::Full(call)) => self.pending.push(ProviderEvent::Refused {
                call_id: call.call_id,
                lead_id: call.lead_id,
                error: format!(
                    "not placed: {PLACER_QUEUE_CALLS_MAX} calls are already waiting for the provider"
                ),
            }),
            Err(TrySendError::Disconnected(call)) => self.pending.push(ProviderEvent::Refused {
                call_id: call.call_id,
                lead_id: call.lead_id,
                error: "not placed: the provider's workers stopped".into(),
            }),
        }
    }

    fn poll(&mut self, _now: DateTime<Utc>) -> Vec<ProviderEvent> {
        let mut events = std::mem::take(&mut self.pending);
        events.extend(self.results.try_iter());
        events
    }

    fn put_back(&mut self, events: Vec<ProviderEvent>) {
        self.pending.extend(events);
    }

    /// Results arrive from the workers at any time; the engine's own wake
    /// (at most a quarter second) picks them up.
    fn next_due(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// A call placed before a restart reports through the webhook, or is
    /// reclaimed when stale: nothing to do.
    fn resume(&mut self, _call: OutboundCall) {}
}
