//! Time limits of a request's phases, and the lazy watchdog that enforces them on a stream.
//!
//! Every phase has its own limit and its own error class ([`TimeoutPhase`]): opening the
//! connection, the response headers, the first output event, and the gap between two reads
//! of the stream; the whole invocation has the scenario's `timeout` on top. The watchdog
//! costs nothing per read: a read only notes its arrival time (which the recorder takes
//! anyway), and the timer is armed when the stream waits, then re-armed from the latest
//! read when it fires early.

use std::time::Duration;

use quanta::Instant;

use crate::error::{Error, TimeoutPhase};

/// The time limits of one request's phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhaseLimits {
    /// Opening the connection (built-in client).
    pub connect: Duration,
    /// From the request's start to the response headers (built-in client).
    pub first_byte: Duration,
    /// From the request's start to the first output event.
    pub first_token: Duration,
    /// Between two reads of the stream.
    pub idle: Duration,
}

impl PhaseLimits {
    /// The defaults: connect 10 s, first byte 30 s, first token 60 s, idle 30 s.
    pub const DEFAULT: PhaseLimits = PhaseLimits {
        connect: Duration::from_secs(10),
        first_byte: Duration::from_secs(30),
        first_token: Duration::from_secs(60),
        idle: Duration::from_secs(30),
    };
}

impl Default for PhaseLimits {
    fn default() -> Self {
        PhaseLimits::DEFAULT
    }
}

/// Watches a stream for the first-token and idle limits.
#[derive(Debug)]
pub(crate) struct Watchdog {
    limits: PhaseLimits,
    /// When the request started (the first-token limit counts from here).
    start: Instant,
    /// When the latest read arrived (the idle limit counts from here).
    last_read: Instant,
}

impl Watchdog {
    /// A watchdog for a request that started at `start`.
    pub(crate) fn new(limits: PhaseLimits, start: Instant) -> Self {
        Watchdog {
            limits,
            start,
            last_read: start,
        }
    }

    /// A read arrived at `at`.
    #[inline]
    pub(crate) fn read_at(&mut self, at: Instant) {
        self.last_read = at;
    }

    /// At `now`: the expired limit's error, or how long until the next limit could expire.
    /// `output_seen` says whether the stream has carried output yet (the first-token limit
    /// applies until it has).
    pub(crate) fn check(&self, now: Instant, output_seen: bool) -> Result<Duration, Error> {
        let idle_left = self
            .limits
            .idle
            .checked_sub(now.saturating_duration_since(self.last_read))
            .filter(|left| !left.is_zero());
        let first_token_left = if output_seen {
            None
        } else {
            match self
                .limits
                .first_token
                .checked_sub(now.saturating_duration_since(self.start))
                .filter(|left| !left.is_zero())
            {
                Some(left) => Some(left),
                None => {
                    return Err(Error::Timeout {
                        phase: TimeoutPhase::FirstToken,
                        limit: self.limits.first_token,
                    })
                }
            }
        };
        let Some(idle_left) = idle_left else {
            return Err(Error::Timeout {
                phase: TimeoutPhase::Idle,
                limit: self.limits.idle,
            });
        };
        Ok(first_token_left.map_or(idle_left, |f| f.min(idle_left)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> PhaseLimits {
        PhaseLimits {
            connect: Duration::from_secs(1),
            first_byte: Duration::from_secs(1),
            first_token: Duration::from_millis(500),
            idle: Duration::from_millis(200),
        }
    }

    #[test]
    fn the_idle_limit_counts_from_the_latest_read() {
        let (clock, mock) = quanta::Clock::mock();
        let start = clock.now();
        let mut dog = Watchdog::new(limits(), start);
        mock.increment(Duration::from_millis(150));
        assert_eq!(
            dog.check(clock.now(), true).unwrap(),
            Duration::from_millis(50)
        );
        dog.read_at(clock.now());
        mock.increment(Duration::from_millis(150));
        assert_eq!(
            dog.check(clock.now(), true).unwrap(),
            Duration::from_millis(50)
        );
        mock.increment(Duration::from_millis(50));
        let err = dog.check(clock.now(), true).unwrap_err();
        assert_eq!(err.class(), crate::ErrorClass::IdleTimeout);
    }

    #[test]
    fn the_first_token_limit_holds_until_output_arrives() {
        let (clock, mock) = quanta::Clock::mock();
        let mut dog = Watchdog::new(limits(), clock.now());
        for _ in 0..4 {
            mock.increment(Duration::from_millis(100));
            dog.read_at(clock.now()); // keep-alive reads, no output
        }
        assert_eq!(
            dog.check(clock.now(), false).unwrap(),
            Duration::from_millis(100)
        );
        mock.increment(Duration::from_millis(100));
        dog.read_at(clock.now());
        let err = dog.check(clock.now(), false).unwrap_err();
        assert_eq!(err.class(), crate::ErrorClass::FirstTokenTimeout);
        // once output came, only the idle limit applies
        assert_eq!(
            dog.check(clock.now(), true).unwrap(),
            Duration::from_millis(200)
        );
    }
}
