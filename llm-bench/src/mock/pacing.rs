//! When each token of an answer is due: absolute deadlines `received + offset`, walked
//! through the request's planned gaps, so delays do not drift. A deadline already passed is
//! met at once, without a timer; one still ahead is waited for by both clocks (tokio's
//! timer, then the quanta clock the truth is recorded with), so a token is never early.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

use super::answer::Answer;
use super::profile::{RequestPlan, MAX_OFFSET};

/// The deadlines of one answer's tokens.
pub(crate) struct Pacer {
    /// The request's gaps.
    plan: RequestPlan,
    /// When the request was received, by tokio's clock.
    start: tokio::time::Instant,
    /// When the request was received, by the quanta clock.
    received_at: quanta::Instant,
    /// The current deadline's offset from the request's receipt.
    offset: Duration,
    /// The timer of the current deadline.
    sleep: Pin<Box<Sleep>>,
}

impl Pacer {
    /// The deadlines of a request received at `start` (tokio's clock) and `received_at`
    /// (quanta's): the first is the plan's time to first token.
    pub(crate) fn new(
        plan: RequestPlan,
        start: tokio::time::Instant,
        received_at: quanta::Instant,
    ) -> Self {
        Pacer {
            offset: plan.ttft,
            plan,
            start,
            received_at,
            sleep: Box::pin(tokio::time::sleep_until(start)),
        }
    }

    /// The deadlines of a streamed answer: tokens generated but not sent (hidden reasoning)
    /// take their time, so the first deadline is the first sent token's; when nothing is
    /// sent at all, it is when the last hidden token is done (the stream's end).
    pub(crate) fn for_stream(
        plan: RequestPlan,
        start: tokio::time::Instant,
        received_at: quanta::Instant,
        answer: &Answer,
    ) -> Self {
        let mut pacer = Pacer::new(plan, start, received_at);
        let skip = if answer.streamed() == 0 {
            answer.hidden().saturating_sub(1)
        } else {
            answer.hidden()
        };
        for _ in 0..skip {
            pacer.offset = pacer.plan.next_offset(pacer.offset);
        }
        pacer
    }

    /// The plan's time to first token.
    pub(crate) fn ttft(&self) -> Duration {
        self.plan.ttft
    }

    /// The current deadline's offset from the request's receipt.
    pub(crate) fn offset(&self) -> Duration {
        self.offset
    }

    /// Moves the deadline on by `tokens` gaps, without waiting (a non-streaming answer's
    /// end is its last token's deadline: `tokens - 1` gaps after the first).
    pub(crate) fn skip(&mut self, tokens: u32) {
        for _ in 0..tokens {
            self.offset = self.plan.next_offset(self.offset);
        }
    }

    /// Moves the current deadline, and every later one, `by` later (a stall), and arms the
    /// timer for it.
    pub(crate) fn delay(&mut self, by: Duration) {
        self.offset = (self.offset + by).min(MAX_OFFSET);
        self.arm();
    }

    /// Arms the timer for the current deadline.
    pub(crate) fn arm(&mut self) {
        self.sleep.as_mut().reset(self.start + self.offset);
    }

    /// Moves the deadline to the next token's and arms the timer for it.
    pub(crate) fn advance(&mut self) {
        self.offset = self.plan.next_offset(self.offset);
        self.arm();
    }

    /// Ready, with the quanta time, once the current deadline has passed by both clocks;
    /// at once when it already has (tokio's wheel would hold a passed deadline until its
    /// next 1 ms tick).
    pub(crate) fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<quanta::Instant> {
        let target = self.received_at + self.offset;
        let now = quanta::Instant::now();
        if now >= target {
            return Poll::Ready(now);
        }
        loop {
            ready!(self.sleep.as_mut().poll(cx));
            let now = quanta::Instant::now();
            if now >= target {
                return Poll::Ready(now);
            }
            // The tokio timer fired a hair before the quanta clock reached the deadline:
            // wait the rest, so truth never shows a token early.
            let rest = target.saturating_duration_since(now);
            self.sleep
                .as_mut()
                .reset(tokio::time::Instant::now() + rest);
        }
    }

    /// Waits until the current deadline has passed by both clocks.
    pub(crate) fn due(&self) -> impl Future<Output = ()> + Send + 'static {
        sleep_past(self.start, self.received_at, self.offset)
    }
}

/// Sleeps until `offset` after the request was received, by both clocks: the tokio timer
/// (deadline `start + offset`) and the quanta clock the truth is recorded with.
async fn sleep_past(start: tokio::time::Instant, received_at: quanta::Instant, offset: Duration) {
    tokio::time::sleep_until(start + offset).await;
    let target = received_at + offset;
    loop {
        let now = quanta::Instant::now();
        if now >= target {
            return;
        }
        tokio::time::sleep(target.saturating_duration_since(now)).await;
    }
}
