//! Fault injection: which requests the simulated endpoint rate-limits, refuses as
//! overloaded, stalls or cuts off, drawn from the profile's seed and the request's index.

use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::profile::{parse_duration, splitmix64};

/// Mixed into a request's seed to give its fault draw a generator of its own, so that the
/// gaps and `error_rate`'s draws are the same with or without faults.
const FAULT_STREAM: u64 = 0x6661_756C_745F_7631; // "fault_v1"

/// The default `retry_after`: 1 s.
pub(crate) const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The default `stall_for`: 2 s.
pub(crate) const DEFAULT_STALL_FOR: Duration = Duration::from_secs(2);

/// What went wrong with one request, on purpose: the fault the profile injected or the
/// capacity model caused ([`RequestTruth::fault`](crate::mock::RequestTruth::fault)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// `error_rate`: answered HTTP 500.
    InjectedError,
    /// `rate_limited`: answered HTTP 429 with a `Retry-After` header.
    RateLimited,
    /// `server_errors`: answered as overloaded, HTTP 503 (Anthropic 529 `overloaded_error`).
    ServerError,
    /// `stall`: the first token came `stall_for` late (the headers did not).
    Stall,
    /// `stall_mid`: the stream stopped for `stall_for` halfway through its tokens.
    StallMid,
    /// `disconnect`: the server cut the connection halfway through the answer, without its
    /// end (no finish reason, usage or terminator).
    Disconnect,
    /// `max_queue`: more requests waited for a slot than allowed; answered as overloaded,
    /// like [`ServerError`](Self::ServerError).
    QueueFull,
}

/// The fault injection settings of a
/// [`LatencyProfile`](crate::mock::LatencyProfile): shares of requests (each in `[0, 1]`,
/// default 0) that get each fault. A request gets at most one fault, drawn once per request
/// from a generator seeded by the profile's seed and the request's index (apart from the
/// gaps' and `error_rate`'s, which stay the same with faults on). The shares are taken in
/// this order, each from what the earlier ones left: `rate_limited`, `server_errors`,
/// `stall`, `stall_mid`, `disconnect` (shares summing to more than 1 cut the later ones
/// short). A request that `error_rate` picks gets its HTTP 500 and no other fault.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Faults {
    /// Share answered HTTP 429 with `Retry-After` and the dialect's rate-limit error.
    pub rate_limited: f64,
    /// The `Retry-After` of a rate-limited answer (written in whole seconds, rounded up).
    pub retry_after: Duration,
    /// Share answered as overloaded: HTTP 503 (Anthropic 529).
    pub server_errors: f64,
    /// Share whose first token comes [`stall_for`](Self::stall_for) late.
    pub stall: f64,
    /// Share that stops for [`stall_for`](Self::stall_for) halfway through its tokens.
    pub stall_mid: f64,
    /// How long a stall lasts.
    pub stall_for: Duration,
    /// Share whose connection is cut halfway through the answer.
    pub disconnect: f64,
}

impl Default for Faults {
    /// No faults; `retry_after` 1 s, `stall_for` 2 s.
    fn default() -> Self {
        Faults {
            rate_limited: 0.0,
            retry_after: DEFAULT_RETRY_AFTER,
            server_errors: 0.0,
            stall: 0.0,
            stall_mid: 0.0,
            stall_for: DEFAULT_STALL_FOR,
            disconnect: 0.0,
        }
    }
}

impl Faults {
    /// The shares with their faults, in order of precedence.
    fn shares(&self) -> [(f64, Fault); 5] {
        [
            (self.rate_limited, Fault::RateLimited),
            (self.server_errors, Fault::ServerError),
            (self.stall, Fault::Stall),
            (self.stall_mid, Fault::StallMid),
            (self.disconnect, Fault::Disconnect),
        ]
    }

    /// The fault of a request whose seed is `request_seed`, if any.
    pub(crate) fn draw(&self, request_seed: u64) -> Option<Fault> {
        let shares = self.shares();
        if shares.iter().all(|(share, _)| *share <= 0.0) {
            return None;
        }
        let mut rng = StdRng::seed_from_u64(splitmix64(request_seed ^ FAULT_STREAM));
        let u: f64 = rng.random();
        let mut upto = 0.0;
        for (share, fault) in shares {
            upto += share;
            if u < upto {
                return Some(fault);
            }
        }
        None
    }

    /// `retry_after` in whole seconds, rounded up (the `Retry-After` header's form).
    pub(crate) fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }

    /// Sets `key` from `value` if it is a fault key: `None` when it is not one, else whether
    /// the value was valid (the error is the reason).
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Option<Result<(), String>> {
        let share = match key {
            "rate_limited" => &mut self.rate_limited,
            "server_errors" => &mut self.server_errors,
            "stall" => &mut self.stall,
            "stall_mid" => &mut self.stall_mid,
            "disconnect" => &mut self.disconnect,
            "retry_after" => return Some(parse_duration(value).map(|d| self.retry_after = d)),
            "stall_for" => return Some(parse_duration(value).map(|d| self.stall_for = d)),
            _ => return None,
        };
        Some(parse_share(value).map(|s| *share = s))
    }
}

impl fmt::Display for Faults {
    /// The keys that differ from the default, each as `,key=value` (durations in ns).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = [
            ("rate_limited", self.rate_limited),
            ("server_errors", self.server_errors),
            ("stall", self.stall),
            ("stall_mid", self.stall_mid),
            ("disconnect", self.disconnect),
        ];
        for (key, share) in named {
            if share != 0.0 {
                write!(f, ",{key}={share}")?;
            }
        }
        if self.retry_after != DEFAULT_RETRY_AFTER {
            write!(f, ",retry_after={}ns", self.retry_after.as_nanos())?;
        }
        if self.stall_for != DEFAULT_STALL_FOR {
            write!(f, ",stall_for={}ns", self.stall_for.as_nanos())?;
        }
        Ok(())
    }
}

/// A share: a number in `[0, 1]`.
pub(crate) fn parse_share(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(s) if (0.0..=1.0).contains(&s) => Ok(s),
        Ok(_) => Err("must be within [0, 1]".into()),
        Err(_) => Err("expected a number".into()),
    }
}

/// Panics unless `share` is in `[0, 1]` (the builders' check).
pub(crate) fn assert_share(key: &str, share: f64) {
    assert!(
        (0.0..=1.0).contains(&share),
        "{key} must be within [0, 1], got {share}"
    );
}

/// What a fault does to a streamed answer of `tokens` sent tokens.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Disruption {
    /// Before sent token `.0`, wait `.1` more.
    pub(crate) stall: Option<(u32, Duration)>,
    /// At sent token `i`'s deadline, cut the connection instead of sending it (at the end's
    /// when no token is sent).
    pub(crate) cut_at: Option<u32>,
}

impl Disruption {
    /// The disruption of a stream of `tokens` tokens with this fault: a mid-stream stall or
    /// cut is at token `tokens / 2` (0-based). A stall before the first token is not here:
    /// it is added to the time to first token.
    pub(crate) fn of(fault: Option<Fault>, tokens: u32, stall_for: Duration) -> Disruption {
        let mid = tokens / 2;
        match fault {
            Some(Fault::StallMid) => Disruption {
                stall: Some((mid, stall_for)),
                cut_at: None,
            },
            Some(Fault::Disconnect) => Disruption {
                stall: None,
                cut_at: Some(mid),
            },
            _ => Disruption::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let with = |d| Faults {
            retry_after: d,
            ..Faults::default()
        };
        assert_eq!(with(Duration::from_secs(1)).retry_after_secs(), 1);
        assert_eq!(with(Duration::from_millis(1500)).retry_after_secs(), 2);
        assert_eq!(with(Duration::from_nanos(1)).retry_after_secs(), 1);
        assert_eq!(with(Duration::ZERO).retry_after_secs(), 0);
    }

    #[test]
    fn no_shares_no_faults_and_full_shares_take_precedence() {
        assert!((0..100).all(|s| Faults::default().draw(s).is_none()));
        let all = Faults {
            rate_limited: 1.0,
            disconnect: 1.0,
            ..Faults::default()
        };
        assert!((0..100).all(|s| all.draw(s) == Some(Fault::RateLimited)));
    }

    #[test]
    fn mid_stream_faults_are_halfway() {
        let d = Disruption::of(Some(Fault::StallMid), 10, Duration::from_millis(5));
        assert_eq!(d.stall, Some((5, Duration::from_millis(5))));
        assert_eq!(
            Disruption::of(Some(Fault::Disconnect), 1, Duration::ZERO).cut_at,
            Some(0)
        );
        let none = Disruption::of(Some(Fault::Stall), 10, Duration::ZERO);
        assert!(none.stall.is_none() && none.cut_at.is_none());
    }
}
