//! The clocks a measurement is placed on.
//!
//! Every duration is measured with quanta's clock (`quanta::Instant`: cheap, monotonic,
//! nanosecond resolution). To line a request up with the rest of the world, its start is
//! also read, at the same moment, on the machine's monotonic clock ([`monotonic_ns`]:
//! `CLOCK_MONOTONIC` on Linux and the other Unixes, the clock `std::time::Instant` and
//! other processes' logs use) and as UTC wall time: an [`Anchor`]. Any event time, an offset
//! from the start, can then be placed on both.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now on the machine's monotonic clock, in nanoseconds since its (unspecified, boot-time)
/// origin: `CLOCK_MONOTONIC` on Unix, so another process on the same machine reads the same
/// clock. Elsewhere, nanoseconds since this process first asked (not comparable across
/// processes).
pub(crate) fn monotonic_ns() -> u64 {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        (t.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(t.tv_nsec as u64)
    }
    #[cfg(not(unix))]
    {
        use std::sync::OnceLock;
        static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
        let origin = *ORIGIN.get_or_init(std::time::Instant::now);
        u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Now as UTC wall time, in nanoseconds since the Unix epoch (0 for a clock set before it).
pub(crate) fn utc_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Now on quanta's clock and as UTC (nanoseconds since the Unix epoch), read together
/// ([`paired`]).
pub(crate) fn quanta_and_utc_ns() -> (quanta::Instant, u64) {
    paired(utc_ns)
}

/// Now on quanta's clock and on `clock` (nanoseconds), read together: the quanta read
/// between two reads of `clock` at most 5 µs apart (taken again, up to three times, when
/// the thread was preempted between them), paired with their midpoint.
fn paired(clock: impl Fn() -> u64) -> (quanta::Instant, u64) {
    let mut tries = 0;
    loop {
        let before = clock();
        let at = quanta::Instant::now();
        let after = clock();
        tries += 1;
        if after.saturating_sub(before) <= 5_000 || tries == 3 {
            return (at, before + after.saturating_sub(before) / 2);
        }
    }
}

/// One moment read on the three clocks: quanta's, the monotonic clock and UTC.
///
/// The three reads are a few tens of nanoseconds apart; the quanta read is taken between
/// two monotonic reads and the monotonic time is their midpoint, so the pairing is off by
/// at most half the gap between them (at most 2.5 µs, unless the thread was preempted
/// three times in a row).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anchor {
    /// The moment, on quanta's clock.
    pub(crate) at: quanta::Instant,
    /// The moment on the monotonic clock ([`monotonic_ns`]).
    pub(crate) monotonic_ns: u64,
    /// The moment as UTC wall time, nanoseconds since the Unix epoch.
    pub(crate) utc_ns: u64,
}

impl Anchor {
    /// Now, on the three clocks: quanta's and the monotonic clock read together
    /// ([`paired`]), then UTC.
    pub(crate) fn now() -> Anchor {
        let (at, monotonic_ns) = paired(monotonic_ns);
        Anchor {
            at,
            monotonic_ns,
            utc_ns: utc_ns(),
        }
    }

    /// `at` (quanta's clock) on the monotonic clock, through this anchor.
    pub(crate) fn monotonic_ns_of(&self, at: quanta::Instant) -> u64 {
        if at >= self.at {
            self.monotonic_ns
                .saturating_add(nanos(at.duration_since(self.at)))
        } else {
            self.monotonic_ns
                .saturating_sub(nanos(self.at.duration_since(at)))
        }
    }
}

/// A duration in whole nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monotonic_clock_is_std_s_instant_clock() {
        // std's Instant reads CLOCK_MONOTONIC on Linux: two reads of ours bracket one of
        // std's elapsed time.
        let a = monotonic_ns();
        std::thread::sleep(Duration::from_millis(2));
        let b = monotonic_ns();
        assert!(b - a >= 2_000_000, "{a} {b}");
        assert!(b - a < 2_000_000_000, "{a} {b}");
    }

    #[test]
    fn an_anchor_places_later_instants_on_the_monotonic_clock() {
        let anchor = Anchor::now();
        std::thread::sleep(Duration::from_millis(5));
        let later = quanta::Instant::now();
        let direct = monotonic_ns();
        let placed = anchor.monotonic_ns_of(later);
        // quanta and CLOCK_MONOTONIC agree to well under a millisecond over 5 ms.
        assert!(
            placed <= direct + 1_000_000 && direct <= placed + 1_000_000,
            "{placed} {direct}"
        );
        assert!(anchor.monotonic_ns_of(anchor.at) == anchor.monotonic_ns);
        assert!(anchor.utc_ns > 1_700_000_000_000_000_000);
    }
}
