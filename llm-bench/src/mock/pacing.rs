//! When each token of an answer is due: absolute deadlines `received + offset`, walked
//! through the request's planned gaps, so delays do not drift. A deadline already passed is
//! met at once. One still ahead is waited for with the process's precise timer
//! ([`super::timer`]), which wakes the task a [`lead`] early, and the task spins out the rest:
//! a token goes out within microseconds of its deadline, and never before it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use quanta::Instant;

use super::answer::Answer;
use super::profile::{RequestPlan, MAX_OFFSET};
use super::timer::{handed_over, lead, wake_at};

/// A task polled within the [`lead`] and this much more of its deadline spins until it
/// instead of sleeping: the timer woke it early on purpose (the margin takes a wake-up that
/// came a little before its time on the timer thread's clock reads).
const SPIN_MARGIN: Duration = Duration::from_micros(20);

/// The deadlines of one answer's tokens.
pub(crate) struct Pacer {
    /// The request's gaps.
    plan: RequestPlan,
    /// When the request was received.
    received_at: Instant,
    /// The current deadline's offset from the request's receipt.
    offset: Duration,
    /// The wake-up asked of the timer for the current deadline, if any.
    waiting: Waiting,
}

impl Pacer {
    /// The deadlines of a request received at `received_at`: the first is the plan's time
    /// to first token.
    pub(crate) fn new(plan: RequestPlan, received_at: Instant) -> Self {
        Pacer {
            offset: plan.ttft,
            plan,
            received_at,
            waiting: Waiting::default(),
        }
    }

    /// The deadlines of a streamed answer: tokens generated but not sent (hidden reasoning)
    /// take their time, so the first deadline is the first sent token's; when nothing is
    /// sent at all, it is when the last hidden token is done (the stream's end).
    pub(crate) fn for_stream(plan: RequestPlan, received_at: Instant, answer: &Answer) -> Self {
        let mut pacer = Pacer::new(plan, received_at);
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

    /// Moves the current deadline, and every later one, `by` later (a stall).
    pub(crate) fn delay(&mut self, by: Duration) {
        self.offset = (self.offset + by).min(MAX_OFFSET);
    }

    /// Moves the deadline to the next token's.
    pub(crate) fn advance(&mut self) {
        self.offset = self.plan.next_offset(self.offset);
    }

    /// The current deadline.
    fn deadline(&self) -> Instant {
        self.received_at + self.offset
    }

    /// Ready, with the time, once the current deadline has passed; at once when it already
    /// has.
    pub(crate) fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let deadline = self.deadline();
        self.waiting.poll_until(deadline, cx)
    }

    /// Waits until the current deadline has passed.
    pub(crate) fn due(&self) -> impl Future<Output = ()> + Send + 'static {
        Due {
            deadline: self.deadline(),
            waiting: Waiting::default(),
        }
    }
}

/// The wake-up a task asked of the timer: for which moment, and for which waker (a task
/// polled again before its time asks again only if either changed).
#[derive(Default)]
struct Waiting(Option<(Instant, Waker)>);

impl Waiting {
    /// Ready, with the time, once `deadline` has passed: at once if it has; spinning if it
    /// is within the [`lead`] (and [`SPIN_MARGIN`]); otherwise after asking the timer to
    /// wake the task a lead before it. A task woken by the timer reports how long the
    /// hand-over took.
    fn poll_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<Instant> {
        let now = Instant::now();
        if let Some((wake, _)) = &self.0 {
            if now >= *wake {
                handed_over(now.saturating_duration_since(*wake));
            }
        }
        if now >= deadline {
            self.0 = None;
            return Poll::Ready(now);
        }
        let lead = lead();
        if deadline.saturating_duration_since(now) <= lead + SPIN_MARGIN {
            self.0 = None;
            return Poll::Ready(spin_until(deadline));
        }
        let wake = deadline.checked_sub(lead).unwrap_or(now);
        let asked =
            matches!(&self.0, Some((at, waker)) if *at == wake && waker.will_wake(cx.waker()));
        if !asked {
            wake_at(wake, cx.waker());
            self.0 = Some((wake, cx.waker().clone()));
        }
        Poll::Pending
    }
}

/// Spins until `deadline`; returns the time then.
fn spin_until(deadline: Instant) -> Instant {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return now;
        }
        std::hint::spin_loop();
    }
}

/// Completes once a deadline has passed (a non-streaming answer's end).
struct Due {
    /// The deadline.
    deadline: Instant,
    /// The wake-up asked for it.
    waiting: Waiting,
}

impl Future for Due {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiting.poll_until(this.deadline, cx).map(|_| ())
    }
}
