//! Progress while a scenario runs, on stderr: a live line on a terminal; elsewhere (CI
//! logs) a plain line every 10% of the requests and at least every few seconds, as
//! criterion prints "Collecting N samples"; nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::format::format_duration_ns;
use crate::harness::plan::Plan;
use crate::harness::runner::Live;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Nothing (`--quiet`).
    Off,
    /// A line redrawn in place (stderr is a terminal).
    Live,
    /// Plain lines (stderr is a file or a pipe: CI logs).
    Lines,
}

impl Mode {
    /// The mode for this process: `Off` when quiet, else by what stderr is.
    pub(crate) fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Live
        } else {
            Mode::Lines
        }
    }
}

/// How often the live line is redrawn.
const REDRAW: Duration = Duration::from_millis(100);
/// The longest silence between plain lines while requests are running.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// The progress of one scenario; dropping it ends the output (and clears the live line).
pub(crate) struct Progress {
    mode: Mode,
    shared: Arc<Shared>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

struct Shared {
    id: String,
    live: Arc<Live>,
    started: Instant,
    /// When the last plain line was printed, and the tenths of the requests it reported.
    last: Mutex<(Instant, u32)>,
}

impl Progress {
    /// Starts showing the progress of scenario `id` running `plan`; returns the counters
    /// the runner updates.
    pub(crate) fn start(id: &str, plan: &Plan, mode: Mode) -> (Progress, Arc<Live>) {
        let live = Arc::new(Live::default());
        let shared = Arc::new(Shared {
            id: id.to_string(),
            live: live.clone(),
            started: Instant::now(),
            last: Mutex::new((Instant::now(), 0)),
        });
        if mode == Mode::Lines {
            let warmup = match plan.warmup {
                0 => String::new(),
                n => format!(" after {n} warm-up"),
            };
            eprintln!(
                "llm-bench: {id}: collecting {} samples{warmup}, {}",
                plan.samples,
                plan.load_label()
            );
        }
        let ticker = match mode {
            Mode::Off => None,
            Mode::Live => Some(tokio::spawn(redraw(shared.clone()))),
            Mode::Lines => Some(tokio::spawn(heartbeat(shared.clone()))),
        };
        (
            Progress {
                mode,
                shared,
                ticker,
            },
            live,
        )
    }

    /// What the runner calls after each measured request: a plain line at each tenth of
    /// the requests.
    pub(crate) fn on_sample(&self) -> impl Fn(&Live) + Send + Sync + 'static {
        let shared = self.shared.clone();
        let lines = self.mode == Mode::Lines;
        move |live: &Live| {
            if !lines || live.total() == 0 {
                return;
            }
            let tenth = live.done() * 10 / live.total();
            let mut last = shared.last.lock().unwrap_or_else(PoisonError::into_inner);
            if tenth > last.1 {
                *last = (Instant::now(), tenth);
                drop(last);
                eprintln!("llm-bench: {}", shared.status());
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        if self.mode == Mode::Live {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

impl Shared {
    /// `chat/short_turn: 10/20 requests, 1 in flight, 0 failed, TTFT p50 51.20 ms, 2.1 s`.
    fn status(&self) -> String {
        let live = &self.live;
        let elapsed = self.started.elapsed().as_secs_f64();
        if live.warming_up() {
            return format!(
                "{}: warming up, {} in flight, {elapsed:.1} s",
                self.id,
                live.in_flight()
            );
        }
        let ttft = live
            .ttft_p50_ns()
            .map(|ns| format!(", TTFT p50 {}", format_duration_ns(ns as f64)))
            .unwrap_or_default();
        format!(
            "{}: {}/{} requests, {} in flight, {} failed{ttft}, {elapsed:.1} s",
            self.id,
            live.done(),
            live.total(),
            live.in_flight(),
            live.failed()
        )
    }
}

/// Redraws the live line until aborted.
async fn redraw(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(REDRAW);
    loop {
        tick.tick().await;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2KBenchmarking {}", shared.status());
        let _ = err.flush();
    }
}

/// Prints a plain line whenever none was printed for [`HEARTBEAT`], until aborted.
async fn heartbeat(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let mut last = shared.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.0.elapsed() >= HEARTBEAT {
            last.0 = Instant::now();
            drop(last);
            eprintln!("llm-bench: {}", shared.status());
        }
    }
}
