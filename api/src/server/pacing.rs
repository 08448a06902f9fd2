//! Request bodies must keep coming: a client that stops sending, or sends
//! a trickle (one byte every two seconds), would otherwise hold a
//! connection and a worker's buffer for as long as it likes. Every body is
//! read through [`Paced`]: after [`BODY_GRACE_MS`] it must have kept up
//! with [`BODY_BYTES_PER_S_MIN`], and it may never pause longer than
//! [`BODY_IDLE_MS_MAX`]. A body that falls behind ends with an error its
//! reader answers 4xx, and the connection is closed.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::error::PayloadError;
use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

pub use crate::limits::{BODY_BYTES_PER_S_MIN, BODY_GRACE_MS, BODY_IDLE_MS_MAX};

/// A request body as actix-web streams it.
pub type BoxedBody = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// A body stream held to the pace above.
pub struct Paced<S> {
    inner: S,
    started: Instant,
    received: u64,
    last: Instant,
    /// Armed at the first read: a request whose body is never read (every
    /// GET) costs no timer.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> Paced<S> {
    pub fn new(inner: S) -> Self {
        let now = Instant::now();
        Paced {
            inner,
            started: now,
            received: 0,
            last: now,
            timer: None,
        }
    }

    /// When the next byte must have come: the sooner of the idle bound
    /// and the pace's schedule for what has come so far.
    fn due(&self) -> Instant {
        let idle = self.last + Duration::from_millis(BODY_IDLE_MS_MAX);
        let schedule = self.started
            + Duration::from_millis(BODY_GRACE_MS)
            + Duration::from_millis(self.received.saturating_mul(1000) / BODY_BYTES_PER_S_MIN);
        idle.min(schedule)
    }

    fn too_slow(&self) -> PayloadError {
        let idle = self.last.elapsed() >= Duration::from_millis(BODY_IDLE_MS_MAX);
        let why = if idle {
            format!(
                "the body stopped arriving (nothing for {} s)",
                BODY_IDLE_MS_MAX / 1000
            )
        } else {
            format!(
                "the body arrives too slowly ({} bytes in {} s; at least {} bytes a second are needed)",
                self.received,
                self.started.elapsed().as_secs(),
                BODY_BYTES_PER_S_MIN
            )
        };
        PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, why))
    }
}

impl<S> Stream for Paced<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received = this.received.saturating_add(chunk.len() as u64);
                this.last = Instant::now();
                let due = this.due();
                if let Some(timer) = this.timer.as_mut() {
                    timer.as_mut().reset(due);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let due = this.due();
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(this.too_slow()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn trickle(every: Duration) -> impl Stream<Item = Result<Bytes, PayloadError>> + Unpin {
        Box::pin(futures_util::stream::unfold((), move |()| async move {
            tokio::time::sleep(every).await;
            Some((Ok(Bytes::from_static(b"x")), ()))
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_is_cut_off_once_it_falls_behind_the_pace() {
        let started = Instant::now();
        let mut body = Paced::new(trickle(Duration::from_secs(2)));
        let error = loop {
            match body.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break e,
                None => panic!("the trickle ended"),
            }
        };
        let after = started.elapsed();
        assert!(error.to_string().contains("too slowly"), "{error}");
        assert!(
            after >= Duration::from_millis(BODY_GRACE_MS)
                && after <= Duration::from_millis(BODY_GRACE_MS + 1_000),
            "{after:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_is_cut_off_after_the_idle_bound() {
        let chunk = Bytes::from(vec![0u8; 10 * 1024 * 1024]);
        let stalled = Box::pin(
            futures_util::stream::iter([Ok(chunk)]).chain(futures_util::stream::pending()),
        );
        let mut body = Paced::new(stalled);
        assert!(matches!(body.next().await, Some(Ok(_))));
        let started = Instant::now();
        let error = match body.next().await {
            Some(Err(e)) => e,
            other => panic!("{other:?}"),
        };
        assert!(error.to_string().contains("stopped arriving"), "{error}");
        assert_eq!(started.elapsed(), Duration::from_millis(BODY_IDLE_MS_MAX));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_at_a_fair_pace_goes_through() {
        // 64 KiB every 100 ms for a minute.
        let mut sent = 0;
        let chunks = futures_util::stream::iter(0..600).then(|_| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok::<_, PayloadError>(Bytes::from(vec![0u8; 64 * 1024]))
        });
        let mut body = Paced::new(Box::pin(chunks));
        while let Some(chunk) = body.next().await {
            sent += chunk.expect("kept up").len();
        }
        assert_eq!(sent, 600 * 64 * 1024);
    }
}
