//! The capacity model of the simulated endpoint: a number of parallel generation slots, a
//! FIFO queue in front of them (optionally bounded), prefill time per prompt token and the
//! slowdown of batched decoding as the slots fill. Off by default (no `slots`).

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::profile::parse_duration;

/// The capacity settings of a [`LatencyProfile`](crate::mock::LatencyProfile): how many
/// requests the endpoint generates for at once, and what load costs. The default (no
/// `slots`, no prefill, no slowdown) is an endpoint of unlimited capacity whose latency does
/// not depend on load.
///
/// With [`slots`](Self::slots) set, a request waits in a FIFO queue until one of the slots
/// is free (the wait is before the headers, so it counts into TTFB and TTFT, as on a vLLM
/// or llama-server endpoint under load), holds it for its whole generation and frees it
/// when its response ends or its client goes away. Requests refused before generating
/// (400s, injected errors, rate limiting) never take a slot.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Capacity {
    /// Parallel generation slots (`None`: unlimited, no queue).
    pub slots: Option<u32>,
    /// Prefill time per prompt token: the first token comes `ttft + prefill × prompt_tokens`
    /// after the request got its slot (prompt tokens as the usage reports them, the
    /// whitespace-separated words of the prompt text, at least 1:
    /// [`RequestTruth::prompt_tokens`](crate::mock::RequestTruth::prompt_tokens)). Applies
    /// with or without `slots`; default 0.
    pub prefill: Duration,
    /// Slowdown of batched decoding (≥ 0, default 0): each gap between tokens is multiplied
    /// by `1 + batch_slowdown × (busy − 1) / max(slots − 1, 1)`, `busy` the slots in use
    /// when the gap is scheduled. No effect without `slots`.
    pub batch_slowdown: f64,
    /// The most requests that may wait for a slot: one more is answered at once with an
    /// overloaded error (503; Anthropic 529). `None`: the queue is unbounded. No effect
    /// without `slots`.
    pub max_queue: Option<u32>,
}

impl Capacity {
    /// The gap factor with every slot busy: `1 + batch_slowdown` (`1` with one slot).
    pub(crate) fn full_load_factor(&self, slots: u32) -> f64 {
        gap_factor(self.batch_slowdown, slots, slots)
    }

    /// Sets `key` from `value` if it is a capacity key: `None` when it is not one, else
    /// whether the value was valid (the error is the reason).
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Option<Result<(), String>> {
        let result = match key {
            "slots" => parse_count(value, 1).map(|n| self.slots = Some(n)),
            "prefill" => parse_duration(value).map(|d| self.prefill = d),
            "batch_slowdown" => match value.parse::<f64>() {
                Ok(f) if f.is_finite() && f >= 0.0 => {
                    self.batch_slowdown = f;
                    Ok(())
                }
                Ok(_) => Err("must be a finite number >= 0".into()),
                Err(_) => Err("expected a number".into()),
            },
            "max_queue" => parse_count(value, 0).map(|n| self.max_queue = Some(n)),
            _ => return None,
        };
        Some(result)
    }

    /// The keys that need `slots`, when given without it (for a conflict error).
    pub(crate) fn needs_slots(&self) -> Option<&'static str> {
        if self.slots.is_some() {
            None
        } else if self.max_queue.is_some() {
            Some("max_queue")
        } else if self.batch_slowdown > 0.0 {
            Some("batch_slowdown")
        } else {
            None
        }
    }
}

impl fmt::Display for Capacity {
    /// The keys that differ from the default, each as `,key=value` (durations in ns).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.slots {
            write!(f, ",slots={n}")?;
        }
        if !self.prefill.is_zero() {
            write!(f, ",prefill={}ns", self.prefill.as_nanos())?;
        }
        if self.batch_slowdown != 0.0 {
            write!(f, ",batch_slowdown={}", self.batch_slowdown)?;
        }
        if let Some(n) = self.max_queue {
            write!(f, ",max_queue={n}")?;
        }
        Ok(())
    }
}

/// A whole number from `min` to `u32::MAX`.
fn parse_count(value: &str, min: u32) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n >= min => Ok(n),
        Ok(_) => Err(format!("must be at least {min}")),
        Err(_) => Err(format!("expected a whole number from {min} to 4294967295")),
    }
}

/// The prompt tokens prefill is paid for: the prompt size the dialect reports in its usage
/// (whitespace-separated words of the prompt text), at least 1. The same count as
/// [`RequestTruth::prompt_tokens`](crate::mock::RequestTruth::prompt_tokens), so
/// [`LatencyProfile::capacity_rps`](crate::mock::LatencyProfile::capacity_rps) can be
/// asked about the prompts a run sent.
pub(crate) fn prefill_tokens(reported_prompt_tokens: u32) -> u32 {
    reported_prompt_tokens.max(1)
}

/// `1 + slowdown × (busy − 1) / max(slots − 1, 1)`, busy clamped to `[1, slots]`.
fn gap_factor(slowdown: f64, busy: u32, slots: u32) -> f64 {
    let busy = busy.clamp(1, slots.max(1));
    let spread = slots.saturating_sub(1).max(1);
    1.0 + slowdown * f64::from(busy - 1) / f64::from(spread)
}

/// The slots of a server's current profile: a FIFO semaphore (tokio's is fair) and the
/// count of requests waiting for it.
#[derive(Debug)]
pub(crate) struct Slots {
    /// One permit per free slot.
    semaphore: Arc<Semaphore>,
    /// The number of slots.
    total: u32,
    /// Requests waiting for a slot.
    waiting: AtomicUsize,
    /// The most requests that may wait.
    max_queue: Option<u32>,
    /// The decode slowdown.
    batch_slowdown: f64,
}

/// A slot held for one request's generation: freed when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    /// The semaphore's permit.
    _permit: OwnedSemaphorePermit,
}

/// More requests wait for a slot than `max_queue` allows.
#[derive(Debug)]
pub(crate) struct QueueFull;

impl Slots {
    /// The slots of `capacity`, or `None` when it has none (unlimited).
    pub(crate) fn of(capacity: &Capacity) -> Option<Arc<Slots>> {
        let total = capacity.slots?.max(1);
        Some(Arc::new(Slots {
            semaphore: Arc::new(Semaphore::new(total as usize)),
            total,
            waiting: AtomicUsize::new(0),
            max_queue: capacity.max_queue,
            batch_slowdown: capacity.batch_slowdown,
        }))
    }

    /// Waits, in arrival order, for a free slot; at once `Err(QueueFull)` when no slot is
    /// free and `max_queue` requests already wait. Dropping the future leaves the queue.
    pub(crate) async fn acquire(&self) -> Result<Slot, QueueFull> {
        // Released permits go to the waiters first, so this never jumps the queue.
        if let Ok(permit) = Arc::clone(&self.semaphore).try_acquire_owned() {
            return Ok(Slot { _permit: permit });
        }
        let limit = self.max_queue.map_or(usize::MAX, |n| n as usize);
        self.waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                (w < limit).then_some(w + 1)
            })
            .map_err(|_| QueueFull)?;
        let _waiting = Waiting(&self.waiting);
        match Arc::clone(&self.semaphore).acquire_owned().await {
            Ok(permit) => Ok(Slot { _permit: permit }),
            // The semaphore is never closed; were it, there would be no slot to give.
            Err(_) => Err(QueueFull),
        }
    }

    /// Slots in use right now.
    pub(crate) fn busy(&self) -> u32 {
        let free = u32::try_from(self.semaphore.available_permits()).unwrap_or(u32::MAX);
        self.total.saturating_sub(free)
    }

    /// The factor of a gap scheduled now: `1 + batch_slowdown × (busy − 1) / max(slots − 1, 1)`.
    pub(crate) fn gap_factor(&self) -> f64 {
        gap_factor(self.batch_slowdown, self.busy(), self.total)
    }

    /// Whether gaps depend on the load at all.
    pub(crate) fn slows_decoding(&self) -> bool {
        self.batch_slowdown > 0.0
    }
}

/// Counts a request in the queue for as long as it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefill_counts_the_reported_prompt_at_least_one_token() {
        assert_eq!(prefill_tokens(0), 1);
        assert_eq!(prefill_tokens(1), 1);
        assert_eq!(prefill_tokens(9), 9);
        assert_eq!(prefill_tokens(u32::MAX), u32::MAX);
    }

    #[test]
    fn gap_factor_grows_with_busy_slots() {
        assert_eq!(gap_factor(0.5, 1, 4), 1.0);
        assert_eq!(gap_factor(0.5, 4, 4), 1.5);
        assert!((gap_factor(0.6, 2, 4) - 1.2).abs() < 1e-12);
        // One slot: never slower; busy is clamped.
        assert_eq!(gap_factor(0.5, 1, 1), 1.0);
        assert_eq!(gap_factor(0.5, 9, 4), 1.5);
        assert_eq!(gap_factor(0.5, 0, 4), 1.0);
    }

    #[tokio::test]
    async fn the_queue_is_fifo_and_bounded() {
        let capacity = Capacity {
            slots: Some(1),
            max_queue: Some(1),
            ..Capacity::default()
        };
        let slots = Slots::of(&capacity).expect("slots");
        let first = slots.acquire().await.expect("a free slot");
        assert_eq!(slots.busy(), 1);
        let queued = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.acquire().await.is_ok() })
        };
        while slots.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // One waits: a second waiter is refused at once.
        assert!(slots.acquire().await.is_err());
        drop(first);
        assert!(queued.await.expect("joined"));
        assert_eq!(slots.busy(), 0);
        assert_eq!(slots.waiting.load(Ordering::SeqCst), 0);
    }
}
