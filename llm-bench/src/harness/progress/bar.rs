//! The bar a terminal shows while a scenario (or a step of a sweep) runs: what it counts
//! ([`BarKind`]), what it says ([`message`], a pure function of a [`Snapshot`] of the
//! counters), and the indicatif bar that draws it. Plain ASCII, no colours.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::format::{format_duration_ns, format_num};
use crate::harness::plan::Plan;
use crate::harness::runner::Live;

/// What a bar measures its run against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum BarKind {
    /// The requests done of those planned.
    Count,
    /// The time the measured phase has run of its duration (`--duration`, `duration =`):
    /// the duration ends the run, the sample count is only its cap.
    Timed {
        /// The run's duration.
        duration: Duration,
    },
    /// A spinner: the run stops on an output-token budget or a precision, at an unknown
    /// point before its sample count.
    Open,
}

impl BarKind {
    /// The kind of bar for a run of `plan`.
    pub(super) fn of(plan: &Plan) -> BarKind {
        let stop = &plan.stop;
        match stop.duration {
            Some(duration) => BarKind::Timed { duration },
            None if stop.output_tokens.is_some() || stop.precision.is_some() => BarKind::Open,
            None => BarKind::Count,
        }
    }

    /// The bar's template: the label, the bar (or a spinner) and the message.
    fn template(self) -> &'static str {
        match self {
            // Two lines, so that the figures fit an 80-column terminal beside any label.
            BarKind::Count | BarKind::Timed { .. } => "{prefix} [{bar:30}]\n  {wide_msg}",
            BarKind::Open => "{spinner} {prefix}\n  {wide_msg}",
        }
    }
}

/// The counters of a running scenario at one moment, as the bar shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Snapshot {
    /// The warm-up is running.
    pub warming_up: bool,
    /// Measured requests finished.
    pub done: u32,
    /// Measured requests planned (the cap, for a timed or open-ended run).
    pub total: u32,
    /// Requests running now.
    pub in_flight: u32,
    /// Measured requests that failed.
    pub failed: u32,
    /// The median TTFT of the successful measured requests so far.
    pub ttft_p50_ns: Option<u64>,
    /// How long the measured phase has run, once it has begun.
    pub measuring_for: Option<Duration>,
}

impl Snapshot {
    /// The counters of `live` at `now`.
    pub(super) fn of(live: &Live, now: Instant) -> Snapshot {
        Snapshot {
            warming_up: live.warming_up(),
            done: live.done(),
            total: live.total(),
            in_flight: live.in_flight(),
            failed: live.failed(),
            ttft_p50_ns: live.ttft_p50_ns(),
            measuring_for: live
                .measured_since()
                .map(|since| now.saturating_duration_since(since)),
        }
    }

    /// Finished measured requests per second since the measured phase began, once one
    /// has finished.
    fn rate(&self) -> Option<f64> {
        let secs = self.measuring_for?.as_secs_f64();
        (secs > 0.0 && self.done > 0).then(|| f64::from(self.done) / secs)
    }
}

/// What the bar says beside itself: `12/20 requests, 3 in flight, 0 failed, TTFT p50
/// 51.20 ms, 4.80 req/s, 2.5 s` (a timed run begins with `2.5 s / 10.0 s, 12 requests`, an
/// open-ended one with `12 requests (at most 200)`), or `warming up` (the warm-up's
/// requests are counted apart: none of them shows).
pub(super) fn message(kind: BarKind, s: &Snapshot) -> String {
    if s.warming_up {
        return "warming up".to_string();
    }
    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    let elapsed = s.measuring_for.unwrap_or_default();
    let head = match kind {
        BarKind::Count => format!("{}/{} requests", s.done, s.total),
        BarKind::Timed { duration } => format!(
            "{} / {}, {}",
            secs(elapsed.min(duration)),
            secs(duration),
            requests(s.done)
        ),
        BarKind::Open => format!("{} (at most {})", requests(s.done), s.total),
    };
    let mut text = format!("{head}, {} in flight, {} failed", s.in_flight, s.failed);
    if let Some(ns) = s.ttft_p50_ns {
        text.push_str(&format!(", TTFT p50 {}", format_duration_ns(ns as f64)));
    }
    if let Some(rate) = s.rate() {
        text.push_str(&format!(", {} req/s", format_num(rate)));
    }
    if !matches!(kind, BarKind::Timed { .. }) {
        text.push_str(&format!(", {}", secs(elapsed)));
    }
    text
}

/// `1 request`, `12 requests`.
fn requests(n: u32) -> String {
    match n {
        1 => "1 request".to_string(),
        n => format!("{n} requests"),
    }
}

/// How far along the bar is, of how much: requests done of those planned, or milliseconds
/// of the duration; `None` for a spinner.
pub(super) fn position(kind: BarKind, s: &Snapshot) -> Option<(u64, u64)> {
    match kind {
        BarKind::Count => Some((u64::from(s.done), u64::from(s.total))),
        BarKind::Timed { duration } => {
            let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let total = ms(duration);
            Some((ms(s.measuring_for.unwrap_or_default()).min(total), total))
        }
        BarKind::Open => None,
    }
}

/// A bar of `kind` named `label`, drawn on `target`.
pub(super) fn new_bar(label: &str, kind: BarKind, target: ProgressDrawTarget) -> ProgressBar {
    // Set up before its first draw, so that it never shows half made.
    let mut bar = ProgressBar::with_draw_target(None, target)
        .with_prefix(label.to_string())
        .with_message("starting");
    // The templates are constants, checked by a test; should one not parse, the default
    // style still shows the counts.
    if let Ok(style) = ProgressStyle::with_template(kind.template()) {
        bar = bar.with_style(style.progress_chars("=> ").tick_chars("-\\|/ "));
    }
    bar
}

/// Shows `s` on `bar`.
pub(super) fn show(bar: &ProgressBar, kind: BarKind, s: &Snapshot) {
    if let Some((at, of)) = position(kind, s) {
        bar.set_length(of);
        bar.set_position(at);
    }
    bar.set_message(message(kind, s));
    bar.tick();
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;
    use crate::harness::plan::{Load, Precision, StopRules};
    use crate::metrics::Metric;

    fn plan(stop: StopRules) -> Plan {
        Plan {
            samples: 20,
            samples_from_duration: false,
            warmup: 1,
            load: Load::Closed { concurrency: 2 },
            timeout: Duration::from_secs(5),
            max_consecutive_failures: 0,
            stop,
        }
    }

    fn running() -> Snapshot {
        Snapshot {
            warming_up: false,
            done: 12,
            total: 20,
            in_flight: 3,
            failed: 1,
            ttft_p50_ns: Some(51_234_000),
            measuring_for: Some(Duration::from_millis(2_500)),
        }
    }

    #[test]
    fn the_kind_follows_the_stopping_rules() {
        assert_eq!(BarKind::of(&plan(StopRules::default())), BarKind::Count);
        let ten = Duration::from_secs(10);
        let timed = plan(StopRules {
            duration: Some(ten),
            output_tokens: Some(1000),
            ..StopRules::default()
        });
        assert_eq!(BarKind::of(&timed), BarKind::Timed { duration: ten });
        let budget = plan(StopRules {
            output_tokens: Some(1000),
            ..StopRules::default()
        });
        assert_eq!(BarKind::of(&budget), BarKind::Open);
        let precise = plan(StopRules {
            precision: Some(Precision {
                metric: Metric::Ttft,
                relative_half_width: 0.05,
            }),
            ..StopRules::default()
        });
        assert_eq!(BarKind::of(&precise), BarKind::Open);
    }

    #[test]
    fn the_message_counts_requests_in_flight_errors_the_median_and_the_rate() {
        assert_eq!(
            message(BarKind::Count, &running()),
            "12/20 requests, 3 in flight, 1 failed, TTFT p50 51.23 ms, 4.80 req/s, 2.5 s"
        );
        assert_eq!(
            message(
                BarKind::Timed {
                    duration: Duration::from_secs(10)
                },
                &running()
            ),
            "2.5 s / 10.0 s, 12 requests, 3 in flight, 1 failed, TTFT p50 51.23 ms, 4.80 req/s"
        );
        assert_eq!(
            message(BarKind::Open, &running()),
            "12 requests (at most 20), 3 in flight, 1 failed, TTFT p50 51.23 ms, 4.80 req/s, 2.5 s"
        );
    }

    #[test]
    fn before_any_answer_the_message_leaves_out_what_it_cannot_know() {
        let warming = Snapshot {
            warming_up: true,
            in_flight: 2,
            ..Snapshot::default()
        };
        assert_eq!(message(BarKind::Count, &warming), "warming up");
        let starting = Snapshot {
            total: 20,
            in_flight: 2,
            measuring_for: Some(Duration::from_millis(300)),
            ..Snapshot::default()
        };
        assert_eq!(
            message(BarKind::Count, &starting),
            "0/20 requests, 2 in flight, 0 failed, 0.3 s",
            "no median and no rate before the first answer"
        );
        let at_once = Snapshot {
            done: 1,
            measuring_for: Some(Duration::ZERO),
            ..starting
        };
        assert_eq!(
            message(BarKind::Count, &at_once),
            "1/20 requests, 2 in flight, 0 failed, 0.0 s",
            "no rate in no time"
        );
        assert!(message(BarKind::Open, &at_once).starts_with("1 request (at most 20), "));
    }

    #[test]
    fn the_position_is_requests_or_milliseconds_of_the_duration() {
        assert_eq!(position(BarKind::Count, &running()), Some((12, 20)));
        let timed = BarKind::Timed {
            duration: Duration::from_secs(2),
        };
        assert_eq!(
            position(timed, &running()),
            Some((2_000, 2_000)),
            "never past the end"
        );
        assert_eq!(position(BarKind::Open, &running()), None);
    }

    #[test]
    fn the_templates_parse() {
        for kind in [
            BarKind::Count,
            BarKind::Timed {
                duration: Duration::from_secs(1),
            },
            BarKind::Open,
        ] {
            assert!(
                ProgressStyle::with_template(kind.template()).is_ok(),
                "{kind:?}"
            );
        }
    }

    /// A terminal in memory: the lines on its screen and the cursor's row, moved as
    /// indicatif moves it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<(Vec<String>, usize)>>);

    /// The stand-in terminal's width.
    const SCREEN_WIDTH: usize = 140;

    impl Screen {
        /// The screen's lines as a terminal of [`SCREEN_WIDTH`] columns wraps them (a
        /// line of two is written padded to the width), without trailing blanks, blank
        /// lines at the end left out.
        fn text(&self) -> Vec<String> {
            let guard = self.0.lock().unwrap();
            let mut lines: Vec<String> = Vec::new();
            for line in &guard.0 {
                let chars: Vec<char> = line.chars().collect();
                if chars.is_empty() {
                    lines.push(String::new());
                }
                for row in chars.chunks(SCREEN_WIDTH) {
                    lines.push(row.iter().collect::<String>().trim_end().into());
                }
            }
            while lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            lines
        }

        fn edit(&self, f: impl FnOnce(&mut String)) {
            let mut guard = self.0.lock().unwrap();
            let (lines, row) = &mut *guard;
            while lines.len() <= *row {
                lines.push(String::new());
            }
            f(&mut lines[*row]);
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            SCREEN_WIDTH as u16
        }
        fn move_cursor_up(&self, n: usize) -> io::Result<()> {
            let mut guard = self.0.lock().unwrap();
            guard.1 = guard.1.saturating_sub(n);
            Ok(())
        }
        fn move_cursor_down(&self, n: usize) -> io::Result<()> {
            self.0.lock().unwrap().1 += n;
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.edit(|line| line.push_str(s));
            self.0.lock().unwrap().1 += 1;
            Ok(())
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.edit(|line| line.push_str(s));
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            self.edit(String::clear);
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_terminal_shows_the_bar_then_nothing_once_it_is_cleared() {
        let screen = Screen::default();
        // Drawn at every update (a high rate), so that each one shows.
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(screen.clone()), 255);
        let bar = new_bar("chat/short [rate 4/s]", BarKind::Count, target);
        bar.tick();
        assert_eq!(
            screen.text(),
            [
                format!("chat/short [rate 4/s] [{}]", " ".repeat(30)),
                "  starting".to_string()
            ],
            "the first frame is whole"
        );
        show(&bar, BarKind::Count, &running());
        let shown = screen.text();
        assert_eq!(
            shown,
            [
                format!(
                    "chat/short [rate 4/s] [{}>{}]",
                    "=".repeat(18),
                    " ".repeat(11)
                ),
                "  12/20 requests, 3 in flight, 1 failed, TTFT p50 51.23 ms, 4.80 req/s, 2.5 s"
                    .to_string()
            ],
            "two lines, the figures under the bar"
        );

        // Every request done: the bar is full.
        let done = Snapshot {
            done: 20,
            in_flight: 0,
            ..running()
        };
        show(&bar, BarKind::Count, &done);
        let shown = screen.text();
        assert_eq!(shown.len(), 2, "redrawn in place: {shown:?}");
        assert_eq!(
            shown[0],
            format!("chat/short [rate 4/s] [{}]", "=".repeat(30))
        );
        assert!(
            shown[1].starts_with("  20/20 requests, 0 in flight"),
            "{shown:?}"
        );

        bar.finish_and_clear();
        assert_eq!(screen.text(), Vec::<String>::new(), "nothing left behind");
    }

    #[test]
    fn a_spinner_turns_for_an_open_ended_run() {
        let screen = Screen::default();
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(screen.clone()), 255);
        let bar = new_bar("chat/short", BarKind::Open, target);
        let mut frames = Vec::new();
        for _ in 0..3 {
            show(&bar, BarKind::Open, &running());
            frames.push(screen.text().join("\n"));
        }
        for frame in &frames {
            assert!(
                frame.ends_with(" chat/short\n  12 requests (at most 20), 3 in flight, 1 failed, TTFT p50 51.23 ms, 4.80 req/s, 2.5 s"),
                "{frame:?}"
            );
        }
        let spinners: Vec<char> = frames.iter().filter_map(|f| f.chars().next()).collect();
        assert_ne!(spinners[0], spinners[1], "the spinner turns: {frames:?}");
        bar.finish_and_clear();
        assert!(screen.text().is_empty());
    }
}
