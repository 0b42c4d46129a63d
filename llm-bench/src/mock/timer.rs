//! The simulated endpoint's precise timer: one thread per process holds every pending
//! deadline and wakes the task that waits for each. Tokio's timer cannot pace tokens to the
//! microsecond: its wheel ticks once a millisecond and rounds every deadline up to the next
//! tick.
//!
//! Sleeping is not precise either. On this project's 2-core VM (a throwaway probe, 500
//! sleeps each): a sleep of 1-20 ms with the timer slack at 1 ns ends 100-180 µs late (the
//! idle virtual CPU is halted and the host is slow to resume it), one of 100-400 µs ends
//! 25-35 µs late (the CPU is still polling), and waking a parked thread takes 17 µs (p50)
//! to 40-60 µs (p99). So the thread waits for a deadline in three steps:
//! a long sleep that ends [`NEAR`] before it, a short sleep that ends [`SPIN`] before it,
//! and a spin; and it wakes the task a [`lead`] early, for the task to spin out the rest
//! ([`super::pacing`]), so that the hand-over to the runtime's worker is inside the lead.
//! The lead follows how long the hand-over takes: a parked worker on an idle machine takes
//! 30-60 µs to run again, a busy one a few; a fixed lead would make a busy endpoint spin
//! for nothing.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::task::Waker;
use std::thread::Thread;
use std::time::Duration;

use quanta::Instant;

/// The shortest and the longest [`lead`].
const MIN_LEAD: Duration = Duration::from_micros(5);
const MAX_LEAD: Duration = Duration::from_micros(150);

/// How long hand-overs take: a running mean and mean deviation, in nanoseconds (updated
/// without a lock: a lost update only slows the estimate).
struct Handover {
    mean_ns: AtomicU64,
    deviation_ns: AtomicU64,
}

/// The process's hand-overs, starting from a parked worker's typical 30 ± 10 µs.
static HANDOVER: Handover = Handover {
    mean_ns: AtomicU64::new(30_000),
    deviation_ns: AtomicU64::new(10_000),
};

/// How long before its deadline a task is woken: the hand-over's mean plus three mean
/// deviations (most hand-overs take less), within 5-150 µs. The task spins for what is
/// left of it (`cargo bench --bench accuracy` measures the result).
pub(crate) fn lead() -> Duration {
    lead_of(
        HANDOVER.mean_ns.load(AtomicOrdering::Relaxed),
        HANDOVER.deviation_ns.load(AtomicOrdering::Relaxed),
    )
}

/// A task woken for a wake-up ran `took` after it: feeds the [`lead`].
pub(crate) fn handed_over(took: Duration) {
    let (mean, deviation) = updated(
        HANDOVER.mean_ns.load(AtomicOrdering::Relaxed),
        HANDOVER.deviation_ns.load(AtomicOrdering::Relaxed),
        took,
    );
    HANDOVER.mean_ns.store(mean, AtomicOrdering::Relaxed);
    HANDOVER
        .deviation_ns
        .store(deviation, AtomicOrdering::Relaxed);
}

/// The running mean and mean deviation (ns) after one more hand-over of `took` (weight
/// 1/16; a hand-over longer than four times the longest lead counts as that: a stall of
/// the machine says nothing of the next hand-over).
fn updated(mean_ns: u64, deviation_ns: u64, took: Duration) -> (u64, u64) {
    let took = nanos(took).min(nanos(MAX_LEAD) * 4) as i64;
    let (mean, deviation) = (mean_ns as i64, deviation_ns as i64);
    let error = took - mean;
    let mean = mean + error / 16;
    let deviation = deviation + (error.abs() - deviation) / 16;
    (mean.max(0) as u64, deviation.max(0) as u64)
}

/// [`lead`] of a mean and mean deviation.
fn lead_of(mean_ns: u64, deviation_ns: u64) -> Duration {
    Duration::from_nanos(mean_ns.saturating_add(deviation_ns.saturating_mul(3)))
        .clamp(MIN_LEAD, MAX_LEAD)
}

/// A wake-up further away than this is first slept towards with a long sleep, which ends
/// this long before it (a long sleep may end up to ~200 µs late).
const NEAR: Duration = Duration::from_micros(300);

/// The short sleep ends this long before the wake-up (it ends up to ~35 µs late); the
/// thread spins the rest.
const SPIN: Duration = Duration::from_micros(50);

/// With nothing pending, the thread still looks again this often (for [`IDLE_FOR`]), so
/// that a task registering a wake-up at least this far off need not unpark it: unparking
/// a thread costs the registering task a system call and, on a VM, an interrupt to another
/// CPU, on its way to writing its token.
const IDLE_LOOK: Duration = Duration::from_millis(2);

/// After this long with nothing pending, the thread sleeps until a wake-up arrives.
const IDLE_FOR: Duration = Duration::from_secs(1);

/// A pending wake-up.
struct Entry {
    /// When to wake the task.
    at: Instant,
    /// The task.
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed: `BinaryHeap` is a max-heap, the earliest wake-up must be on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at)
    }
}

/// The process's timer: its pending wake-ups and its thread.
struct Timer {
    /// Pending wake-ups, earliest on top.
    pending: Mutex<BinaryHeap<Entry>>,
    /// Set when a wake-up earlier than all others arrives (the spinning thread looks).
    earlier: AtomicBool,
    /// When the thread will next look at the pending wake-ups, in nanoseconds since
    /// `origin` (`u64::MAX`: not until unparked).
    next_look: AtomicU64,
    /// The origin of `next_look`.
    origin: Instant,
    /// The timer thread, unparked when a wake-up earlier than all others arrives; `None` if
    /// no thread could be started (then every wake-up is delivered at once, and a waiting
    /// task polls until its deadline: correct, without the precision and at a CPU's cost).
    thread: Option<Thread>,
}

/// The process's timer, started on first use.
static TIMER: LazyLock<Timer> = LazyLock::new(|| {
    let thread = std::thread::Builder::new()
        .name("llm-bench-mock-timer".into())
        // The thread's first touch of `TIMER` waits until this initialisation is over.
        .spawn(|| run(&TIMER))
        .map(|handle| handle.thread().clone())
        .ok();
    Timer {
        pending: Mutex::new(BinaryHeap::with_capacity(1024)),
        earlier: AtomicBool::new(false),
        next_look: AtomicU64::new(u64::MAX),
        origin: Instant::now(),
        thread,
    }
});

/// Wakes `waker` at `at` (at once if that has passed). A task registers again whenever it
/// is polled before its deadline; a spurious extra wake-up is harmless.
pub(crate) fn wake_at(at: Instant, waker: &Waker) {
    let timer = &*TIMER;
    let Some(thread) = &timer.thread else {
        waker.wake_by_ref();
        return;
    };
    let earliest = {
        let mut pending = timer.pending.lock().unwrap_or_else(PoisonError::into_inner);
        // Earlier than every other, and too early for the thread's next look to still
        // sleep towards it.
        let looks_in_time = timer.since_origin(at).saturating_sub(nanos(NEAR))
            >= timer.next_look.load(AtomicOrdering::Acquire);
        let earliest = !looks_in_time && pending.peek().is_none_or(|top| at < top.at);
        pending.push(Entry {
            at,
            waker: waker.clone(),
        });
        earliest
    };
    if earliest {
        timer.earlier.store(true, AtomicOrdering::Release);
        thread.unpark();
    }
}

impl Timer {
    /// `at` in nanoseconds since the origin.
    fn since_origin(&self, at: Instant) -> u64 {
        nanos(at.saturating_duration_since(self.origin))
    }

    /// Publishes when the thread looks next (`None`: not until unparked).
    fn looks_at(&self, at: Option<Instant>) {
        let ns = at.map_or(u64::MAX, |at| self.since_origin(at));
        self.next_look.store(ns, AtomicOrdering::Release);
    }
}

/// A duration in whole nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The timer thread: wakes every task whose time has come, then sleeps until the next.
fn run(timer: &Timer) -> ! {
    precise_sleeps();
    let mut due: Vec<Waker> = Vec::with_capacity(256);
    let mut idle_since = Instant::now();
    loop {
        let next = {
            let mut pending = timer.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            while pending.peek().is_some_and(|top| top.at <= now) {
                if let Some(entry) = pending.pop() {
                    due.push(entry.waker);
                }
            }
            pending.peek().map(|top| top.at)
        };
        // Outside the lock: a woken task may register its next deadline at once.
        for waker in due.drain(..) {
            waker.wake();
        }
        timer.earlier.store(false, AtomicOrdering::Relaxed);
        match next {
            None => {
                let now = Instant::now();
                if now.saturating_duration_since(idle_since) >= IDLE_FOR {
                    // Published under the lock: a wake-up registered from now on unparks.
                    let pending = timer.pending.lock().unwrap_or_else(PoisonError::into_inner);
                    if pending.is_empty() {
                        timer.looks_at(None);
                        drop(pending);
                        std::thread::park();
                        idle_since = Instant::now();
                    }
                } else {
                    timer.looks_at(Some(now + IDLE_LOOK));
                    std::thread::park_timeout(IDLE_LOOK);
                }
            }
            Some(at) => {
                idle_since = Instant::now();
                wait_until(timer, at);
            }
        }
    }
}

/// Waits until `at`, or until a wake-up earlier than it arrives: sleeps long towards it,
/// then short, then spins (module docs).
fn wait_until(timer: &Timer, at: Instant) {
    let now = Instant::now();
    let rest = at.saturating_duration_since(now);
    if rest > NEAR {
        timer.looks_at(Some(now + (rest - NEAR)));
        std::thread::park_timeout(rest - NEAR);
        return;
    }
    // From here the thread looks at once: an earlier wake-up must unpark it.
    timer.looks_at(Some(now));
    if rest > SPIN {
        std::thread::park_timeout(rest - SPIN);
        return;
    }
    while Instant::now() < at {
        if timer.earlier.load(AtomicOrdering::Acquire) {
            return;
        }
        std::hint::spin_loop();
    }
}

/// Sets this thread's timer slack to 1 ns: by default Linux lets a sleep of a normal thread
/// end up to 50 µs late, to group wake-ups.
fn precise_sleeps() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    /// Records the instant it was woken.
    struct Flag {
        woken: AtomicBool,
        at: Mutex<Option<Instant>>,
        thread: Thread,
    }

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            *self.at.lock().unwrap() = Some(Instant::now());
            self.woken.store(true, AtomicOrdering::SeqCst);
            self.thread.unpark();
        }
    }

    fn flag() -> Arc<Flag> {
        Arc::new(Flag {
            woken: AtomicBool::new(false),
            at: Mutex::new(None),
            thread: std::thread::current(),
        })
    }

    fn wait(flag: &Flag) -> Instant {
        let give_up = std::time::Instant::now() + Duration::from_secs(5);
        while !flag.woken.load(AtomicOrdering::SeqCst) {
            assert!(std::time::Instant::now() < give_up, "never woken");
            std::thread::park_timeout(Duration::from_millis(10));
        }
        flag.at.lock().unwrap().expect("woken")
    }

    #[test]
    fn wakes_at_the_deadline_and_never_before() {
        let early = flag();
        let late = flag();
        let now = Instant::now();
        // Registered out of order: the earlier one still goes first.
        wake_at(now + Duration::from_millis(30), &Waker::from(late.clone()));
        wake_at(now + Duration::from_millis(10), &Waker::from(early.clone()));
        let first = wait(&early);
        let second = wait(&late);
        assert!(first >= now + Duration::from_millis(10));
        assert!(second >= now + Duration::from_millis(30));
        assert!(first < second);
    }

    #[test]
    fn the_lead_follows_the_hand_overs_within_its_bounds() {
        let us = Duration::from_micros;
        let settle = |took: Duration| {
            let (mut mean, mut deviation) = (30_000, 10_000);
            for _ in 0..400 {
                (mean, deviation) = updated(mean, deviation, took);
            }
            lead_of(mean, deviation)
        };
        // Steady 8 µs hand-overs (a busy worker): the lead falls to about that.
        let busy = settle(us(8));
        assert!(busy >= us(8) && busy < us(12), "{busy:?}");
        // Steady 1 µs ones: the lead stops at its floor.
        assert_eq!(settle(us(1)), MIN_LEAD);
        // Machine stalls of 10 ms: counted as 600 µs, and the lead stops at its ceiling.
        assert_eq!(settle(Duration::from_millis(10)), MAX_LEAD);
        // Alternating 10 and 50 µs: mean 30, deviation 20, lead about 90 µs.
        let (mut mean, mut deviation) = (30_000, 10_000);
        for i in 0..400 {
            (mean, deviation) = updated(mean, deviation, us(if i % 2 == 0 { 10 } else { 50 }));
        }
        let mixed = lead_of(mean, deviation);
        assert!(mixed > us(75) && mixed < us(100), "{mixed:?}");
    }

    #[test]
    fn a_passed_deadline_wakes_at_once() {
        let f = flag();
        let now = Instant::now();
        wake_at(now, &Waker::from(f.clone()));
        let at = wait(&f);
        assert!(at >= now);
    }
}
