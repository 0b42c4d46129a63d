//! Stopping on SIGINT and SIGTERM (how a terminal and a CI job cancel a run).
//!
//! The first signal stops new requests and lets the ones in flight finish for a grace
//! period ([`DEFAULT_GRACE`], `--grace`); then they are cut off and not counted. The
//! finished samples are stored, the run is marked interrupted (never a baseline) and the
//! process exits 130 (SIGINT) or 143 (SIGTERM). A second signal cuts the requests in flight
//! at once; the finished samples are still stored, and if the harness has not exited within
//! [`FLUSH_LIMIT`] after it, it exits anyway.

use std::time::Duration;

use tokio::sync::watch;

/// How long the requests in flight may take to finish after the first signal, by default.
/// GitHub Actions sends SIGTERM 7.5 s after its SIGINT, so this fits before it.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// After a second signal, the longest the harness takes to store what it has before it
/// exits regardless.
pub(crate) const FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// The signal that stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (how CI systems and container runtimes cancel).
    Terminate,
}

impl Signal {
    /// Its name, as `kill -l` prints it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit status of a process it stopped: 128 + the signal's number, as shells report.
    pub(crate) fn exit_code(self) -> i32 {
        match self {
            Signal::Interrupt => super::EXIT_INTERRUPTED,
            Signal::Terminate => super::EXIT_TERMINATED,
        }
    }
}

/// Where a run stands with respect to signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Stop {
    /// No signal: go on.
    #[default]
    Running,
    /// A signal came: start no new request; the requests in flight may finish.
    Draining(Signal),
    /// The grace period is over, or a second signal came: cut the requests in flight.
    Cutting(Signal),
}

impl Stop {
    /// True once no new request may start.
    pub(crate) fn starts_nothing(self) -> bool {
        self != Stop::Running
    }

    /// True once the requests in flight are to be cut off.
    pub(crate) fn cuts_in_flight(self) -> bool {
        matches!(self, Stop::Cutting(_))
    }

    /// The first signal that came, if any.
    pub(crate) fn signal(self) -> Option<Signal> {
        match self {
            Stop::Running => None,
            Stop::Draining(s) | Stop::Cutting(s) => Some(s),
        }
    }
}

/// What the runner watches: the run's [`Stop`].
pub(crate) type StopWatch = watch::Receiver<Stop>;

/// A watch that never stops (for runs no signal can stop: tests, llm-bench's own
/// benchmarks). Its sender is gone, which the runner reads as "no signal will come".
pub(crate) fn never() -> StopWatch {
    watch::channel(Stop::Running).1
}

/// Listens for SIGINT and SIGTERM on the current runtime, for a run whose requests in
/// flight get `grace` to finish after the first signal. Says on stderr what each signal
/// does. Returns the watch the runner follows; a second signal also arms a timer that
/// exits the process, with the first signal's status, if storing takes longer than
/// [`FLUSH_LIMIT`].
pub(crate) fn listen(grace: Duration) -> StopWatch {
    let (tx, rx) = watch::channel(Stop::Running);
    let mut signals = Signals::new();
    tokio::spawn(async move {
        let Some(first) = signals.next().await else {
            return;
        };
        crate::harness::progress::suspend(|| {
            eprintln!(
                "\nllm-bench: {}: starting no new request; the requests in flight have {} to \
                 finish (--grace), then the finished samples are stored and the run is marked \
                 interrupted; signal again to stop at once",
                first.name(),
                crate::format::format_duration_ns(grace.as_nanos() as f64),
            )
        });
        let _ = tx.send(Stop::Draining(first));
        tokio::select! {
            () = tokio::time::sleep(grace) => {
                crate::harness::progress::suspend(|| eprintln!(
                    "llm-bench: the grace period is over: cutting off the requests still in flight (they are not counted)"
                ));
                let _ = tx.send(Stop::Cutting(first));
                if signals.next().await.is_none() {
                    return;
                }
            }
            second = signals.next() => {
                if second.is_none() {
                    return;
                }
                crate::harness::progress::suspend(|| eprintln!(
                    "llm-bench: second signal: cutting off the requests in flight and storing the finished samples"
                ));
                let _ = tx.send(Stop::Cutting(first));
            }
        }
        // A signal after the cut, or the second one: storing must not hang the exit.
        std::thread::spawn(move || {
            std::thread::sleep(FLUSH_LIMIT);
            crate::harness::progress::suspend(|| {
                eprintln!(
                    "llm-bench: storing took longer than {} after the second signal: exiting",
                    crate::format::format_duration_ns(FLUSH_LIMIT.as_nanos() as f64)
                )
            });
            std::process::exit(first.exit_code());
        });
    });
    rx
}

/// The process's SIGINT and SIGTERM, listened to from the moment it is made.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Starts listening (a kind that cannot be listened to is left out).
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next SIGINT or SIGTERM; `None` when neither can be listened to.
    #[cfg(unix)]
    async fn next(&mut self) -> Option<Signal> {
        async fn recv(listener: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
            match listener {
                Some(l) => l.recv().await,
                None => std::future::pending().await,
            }
        }
        if self.interrupt.is_none() && self.terminate.is_none() {
            return None;
        }
        tokio::select! {
            got = recv(&mut self.interrupt) => got.map(|()| Signal::Interrupt),
            got = recv(&mut self.terminate) => got.map(|()| Signal::Terminate),
        }
    }

    /// The next Ctrl-C; `None` when it cannot be listened to.
    #[cfg(not(unix))]
    async fn next(&mut self) -> Option<Signal> {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| Signal::Interrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_first_stops_new_requests_then_cuts_the_ones_in_flight() {
        assert!(!Stop::Running.starts_nothing());
        let draining = Stop::Draining(Signal::Terminate);
        assert!(draining.starts_nothing() && !draining.cuts_in_flight());
        let cutting = Stop::Cutting(Signal::Interrupt);
        assert!(cutting.starts_nothing() && cutting.cuts_in_flight());
        assert_eq!(draining.signal(), Some(Signal::Terminate));
        assert_eq!(Stop::Running.signal(), None);
    }

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(Signal::Interrupt.exit_code(), 128 + 2);
        assert_eq!(Signal::Terminate.exit_code(), 128 + 15);
    }
}
