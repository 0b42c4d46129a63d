//! Progress while a scenario runs, on stderr: an indicatif bar on a terminal (`bar.rs`);
//! elsewhere (CI logs, pipes, or `CI` set) a plain line every 10% of the requests and at
//! least every few seconds, as criterion prints "Collecting N samples"; nothing with
//! `--quiet`.
//!
//! Scenarios (and the steps of a sweep) run one after another, so one bar at most is on
//! the screen. Whatever the harness prints to stderr while a scenario runs goes through
//! [`suspend`], which hides the bar for the print; the bar is cleared before the
//! scenario's block is printed.

mod bar;

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget};

use crate::format::format_duration_ns;
use crate::harness::plan::Plan;
use crate::harness::runner::Live;

use bar::{BarKind, Snapshot};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Nothing (`--quiet`).
    Off,
    /// An indicatif bar redrawn in place (stderr is a terminal, outside CI).
    Live,
    /// Plain lines (stderr is a file or a pipe, or `CI` is set: CI logs).
    Lines,
}

impl Mode {
    /// The mode for this process: `Off` when quiet, else by what stderr is and whether
    /// `CI` is set.
    pub(crate) fn detect(quiet: bool) -> Mode {
        let ci = std::env::var_os("CI");
        Mode::choose(quiet, std::io::stderr().is_terminal(), ci.as_deref())
    }

    /// The mode for `quiet`, a stderr that is a terminal or not, and the value of `CI`.
    fn choose(quiet: bool, stderr_is_terminal: bool, ci: Option<&OsStr>) -> Mode {
        if quiet {
            Mode::Off
        } else if interactive(stderr_is_terminal, ci) {
            Mode::Live
        } else {
            Mode::Lines
        }
    }
}

/// True when a stream that is (or is not) a terminal is one a person watches: a terminal,
/// and `CI` unset (or empty, `false` or `0`). CI services set `CI` and some of them give
/// the job a pseudo-terminal whose log would keep every frame of a bar.
pub(crate) fn interactive(is_terminal: bool, ci: Option<&OsStr>) -> bool {
    let in_ci = ci.is_some_and(|v| !(v.is_empty() || v == "false" || v == "0"));
    is_terminal && !in_ci
}

/// True when standard output is [`interactive`] in this process.
pub(crate) fn stdout_is_interactive() -> bool {
    interactive(
        std::io::stdout().is_terminal(),
        std::env::var_os("CI").as_deref(),
    )
}

/// How often the bar is updated from the counters (and at most redrawn: 10 times a second).
const REDRAW: Duration = Duration::from_millis(100);
/// The longest silence between plain lines while requests are running.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// The bar on the screen now, if any: what [`suspend`] hides.
static VISIBLE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `print` with the progress bar (if one is on the screen) hidden, so that a line the
/// harness prints while a scenario runs is not drawn over.
pub(crate) fn suspend<R>(print: impl FnOnce() -> R) -> R {
    let bar = VISIBLE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match bar {
        Some(bar) => bar.suspend(print),
        None => print(),
    }
}

/// Wraps the panic hook (once) so that the message of a scenario's panic, which the
/// runner catches and counts, is printed with the bar hidden.
fn hide_bar_for_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| suspend(|| previous(info))));
    });
}

/// The progress of one scenario; dropping it ends the output (and clears the bar).
pub(crate) struct Progress {
    mode: Mode,
    shared: Arc<Shared>,
    ticker: Option<tokio::task::JoinHandle<()>>,
    bar: Option<ProgressBar>,
}

/// What the plain lines read: the counters, and when the last line was printed.
struct Shared {
    id: String,
    live: Arc<Live>,
    started: Instant,
    /// When the last plain line was printed, and the tenths of the requests it reported.
    last: Mutex<(Instant, u32)>,
}

impl Progress {
    /// Starts showing the progress of scenario `id` running `plan`, its bar named `label`
    /// (the id, or the id with its sweep step); returns the counters the runner updates.
    pub(crate) fn start(id: &str, label: &str, plan: &Plan, mode: Mode) -> (Progress, Arc<Live>) {
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
        let (ticker, bar) = match mode {
            Mode::Off => (None, None),
            Mode::Lines => (Some(tokio::spawn(heartbeat(shared.clone()))), None),
            Mode::Live => {
                hide_bar_for_panics();
                let kind = BarKind::of(plan);
                let bar = bar::new_bar(label, kind, ProgressDrawTarget::stderr_with_hz(10));
                *VISIBLE.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
                let ticker = tokio::spawn(redraw(live.clone(), kind, bar.clone()));
                (Some(ticker), Some(bar))
            }
        };
        (
            Progress {
                mode,
                shared,
                ticker,
                bar,
            },
            live,
        )
    }

    /// What the runner calls after each measured request: a plain line at each tenth of
    /// the requests (nothing on a terminal: the bar reads the counters on its own tick).
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
        if let Some(bar) = self.bar.take() {
            *VISIBLE.lock().unwrap_or_else(PoisonError::into_inner) = None;
            bar.finish_and_clear();
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

/// Updates the bar from the counters until aborted.
async fn redraw(live: Arc<Live>, kind: BarKind, bar: ProgressBar) {
    let mut tick = tokio::time::interval(REDRAW);
    loop {
        tick.tick().await;
        bar::show(&bar, kind, &Snapshot::of(&live, std::time::Instant::now()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_on_a_terminal_outside_ci_and_nothing_when_quiet() {
        let ci = |v: &'static str| Some(OsStr::new(v));
        assert_eq!(Mode::choose(false, true, None), Mode::Live);
        assert_eq!(Mode::choose(false, false, None), Mode::Lines, "a pipe");
        assert_eq!(Mode::choose(false, true, ci("true")), Mode::Lines);
        assert_eq!(Mode::choose(false, true, ci("1")), Mode::Lines);
        for unset in ["", "false", "0"] {
            assert_eq!(
                Mode::choose(false, true, ci(unset)),
                Mode::Live,
                "{unset:?}"
            );
        }
        assert_eq!(Mode::choose(true, true, None), Mode::Off);
        assert_eq!(Mode::choose(true, false, ci("true")), Mode::Off);
    }

    #[test]
    fn the_plain_line_reads_as_before() {
        let live = Arc::new(Live::default());
        let shared = Shared {
            id: "chat/short".into(),
            live: live.clone(),
            started: Instant::now(),
            last: Mutex::new((Instant::now(), 0)),
        };
        live.set_warming_up(true);
        assert!(
            shared
                .status()
                .starts_with("chat/short: warming up, 0 in flight, "),
            "{}",
            shared.status()
        );
        live.set_warming_up(false);
        live.set_total(20);
        live.measuring();
        let status = shared.status();
        assert!(
            status.starts_with("chat/short: 0/20 requests, 0 in flight, 0 failed, ")
                && status.ends_with(" s")
                && !status.contains("req/s"),
            "no rate in the plain lines: {status}"
        );
    }

    #[test]
    fn suspend_runs_the_print_with_or_without_a_bar() {
        assert_eq!(suspend(|| 7), 7);
    }
}
