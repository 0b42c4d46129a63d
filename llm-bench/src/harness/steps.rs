//! Swept and searched scenarios: one run per step, each stored as `<id>/<step>`, and the
//! step list with the knee (a sweep) or the highest load meeting the objectives (a
//! search) in `<id>/new/sweep.json`.
//!
//! - A **sweep** runs every step in order.
//! - A **search** bisects for the highest rate (or concurrency) whose run meets every
//!   objective: it probes the low end, then the high end, then the geometric middle of
//!   the last bracket until the bracket is within [`SEARCH_TOLERANCE`] or
//!   [`MAX_PROBES`] probes ran. Every probe is stored and printed.
//! - The **knee** of a sweep: for rates, the last step whose completed requests per
//!   second kept up with the offered rate (at least [`KEEPS_UP`] of it); for
//!   concurrencies, the last step whose throughput per request in flight is at least
//!   [`KEEPS_UP`] of the first step's.

use crate::harness::interrupt::StopWatch;

use crate::format::{format_duration_ns, format_num};
use crate::harness::bench::One;
use crate::harness::plan::{Load, OpenLoad, Plan};
use crate::harness::settings::{default_samples, Steps};
use crate::harness::Status;
use crate::metrics::Metric;
use crate::rules::load::Arrival;
use crate::rules::stop::Dimension;
use crate::store::{self, StoredRun, StoredSweep, SweepStep, SWEEP_SCHEMA};

/// A search stops once its bracket `[met, missed]` is narrower than this share of `met`.
pub(crate) const SEARCH_TOLERANCE: f64 = 0.05;

/// The most probes a search runs.
pub(crate) const MAX_PROBES: usize = 12;

/// The share of the offered load a step must complete to be at or before the knee.
pub(crate) const KEEPS_UP: f64 = 0.9;

/// Runs the steps of scenario `id`; false when the bench must stop (interrupted, budget).
pub(crate) async fn run(
    one: &One<'_>,
    id: &str,
    steps: &Steps,
    stop: StopWatch,
    status: &mut Status,
) -> bool {
    let base = &one.prepared.settings.plan;
    let objectives: Vec<String> = one
        .prepared
        .settings
        .slos
        .iter()
        .map(|o| o.text.clone())
        .collect();
    let (kind, dimension) = match steps {
        Steps::Sweep { dimension, .. } => ("sweep", *dimension),
        Steps::Search { dimension, .. } => ("search", *dimension),
    };
    let mut sweep = StoredSweep {
        schema: SWEEP_SCHEMA.into(),
        scenario: id.to_string(),
        kind: kind.into(),
        dimension: dimension.name().into(),
        objectives,
        steps: Vec::new(),
        knee: None,
        best: None,
    };
    let mut go_on = true;
    let probe = async |value: f64, sweep: &mut StoredSweep, status: &mut Status| {
        let plan = plan_at(base, dimension, value);
        let step_id = step_id(id, dimension, value);
        let label = step_label(id, dimension, value);
        let baseline = one.step_baseline(&step_id, &plan);
        let measured = one
            .measure(&step_id, &label, &plan, baseline, stop.clone(), status)
            .await;
        sweep.steps.push(step_of(value, &step_id, &measured.run));
        (
            measured.run.slo.as_ref().is_some_and(|s| s.met),
            measured.go_on,
        )
    };
    match steps {
        Steps::Sweep { values, .. } => {
            for &value in values {
                let (_, cont) = probe(value, &mut sweep, status).await;
                if !cont {
                    go_on = false;
                    break;
                }
            }
            sweep.knee = knee(dimension, &sweep.steps);
        }
        Steps::Search { low, high, .. } => {
            let (mut met, mut missed) = (None::<f64>, None::<f64>);
            let mut next = Some(round(dimension, *low));
            while let Some(value) = next {
                let (ok, cont) = probe(value, &mut sweep, status).await;
                if ok {
                    met = Some(value);
                } else {
                    missed = Some(value);
                }
                if !cont {
                    go_on = false;
                    break;
                }
                next = next_probe(dimension, *high, met, missed, sweep.steps.len());
            }
            sweep.best = met;
        }
    }
    match store::save_sweep(&one.settings.root, &sweep) {
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {e}");
            status.failed = true;
        }
    }
    if one.args.quiet {
        println!("{}", one_line(&sweep));
    } else {
        println!("{}", table(&sweep));
    }
    go_on
}

/// The next value a search probes, or `None` when it is done: the low end first (the
/// caller), then the high end, then the geometric middle of `[met, missed]`.
fn next_probe(
    dimension: Dimension,
    high: f64,
    met: Option<f64>,
    missed: Option<f64>,
    probes: usize,
) -> Option<f64> {
    if probes >= MAX_PROBES {
        return None;
    }
    let high = round(dimension, high);
    match (met, missed) {
        // Even the lowest load misses.
        (None, Some(_)) => None,
        (Some(met), None) if met < high => Some(high),
        (Some(_), None) => None,
        (Some(met), Some(missed)) => {
            if missed - met <= met * SEARCH_TOLERANCE {
                return None;
            }
            let mid = round(dimension, (met * missed).sqrt());
            (mid > met && mid < missed).then_some(mid)
        }
        (None, None) => None,
    }
}

/// A concurrency is a whole number; a rate keeps 3 significant digits.
fn round(dimension: Dimension, value: f64) -> f64 {
    match dimension {
        Dimension::Concurrency => value.round().max(1.0),
        Dimension::Rate => {
            let digits = 3 - (value.abs().log10().floor() as i32) - 1;
            let scale = 10f64.powi(digits);
            (value * scale).round() / scale
        }
    }
}

/// The plan of one step: the scenario's plan at this rate or concurrency.
fn plan_at(base: &Plan, dimension: Dimension, value: f64) -> Plan {
    let load = match (dimension, &base.load) {
        (Dimension::Concurrency, _) => Load::Closed {
            concurrency: value.round().max(1.0) as u32,
        },
        (Dimension::Rate, Load::Open(open)) => Load::Open(OpenLoad {
            rate: value,
            ..open.clone()
        }),
        // A sweep of rates replaces the trace's times or the closed loop by a schedule.
        (Dimension::Rate, Load::Closed { .. } | Load::Replay(_)) => Load::Open(OpenLoad {
            rate: value,
            arrival: Arrival::Poisson,
            ramp_up: None,
            seed: 0,
        }),
    };
    let samples = if base.samples_from_duration {
        default_samples(&load, &base.stop)
    } else {
        base.samples
    };
    Plan {
        load,
        samples,
        ..base.clone()
    }
}

/// `<id>/rate-200` or `<id>/concurrency-8`.
fn step_id(id: &str, dimension: Dimension, value: f64) -> String {
    // `{}` of an f64 is its shortest exact form: 0.5, 8, 37.5.
    format!("{id}/{}-{value}", dimension.name())
}

/// What a step's progress bar is named: `chat/short [rate 4/s]`, `chat/short
/// [concurrency 8]`.
fn step_label(id: &str, dimension: Dimension, value: f64) -> String {
    match dimension {
        Dimension::Rate => format!("{id} [rate {value}/s]"),
        Dimension::Concurrency => format!("{id} [concurrency {value}]"),
    }
}

fn step_of(value: f64, id: &str, run: &StoredRun) -> SweepStep {
    let stat = |metric: Metric, p99: bool| {
        run.summary
            .get(&metric)
            .map(|s| if p99 { s.p99 } else { s.p50 })
    };
    let failed = run.samples.iter().filter(|s| !s.is_ok()).count();
    SweepStep {
        value,
        id: id.to_string(),
        achieved_rate: run.load.as_ref().map_or(0.0, |l| l.achieved_rate),
        throughput_rps: run.throughput.requests_per_second,
        output_tokens_per_second: run.throughput.output_tokens_per_second,
        ttft_p50_ns: stat(Metric::Ttft, false),
        ttft_p99_ns: stat(Metric::Ttft, true),
        tpot_p50_ns: stat(Metric::Tpot, false),
        tpot_p99_ns: stat(Metric::Tpot, true),
        error_rate: if run.samples.is_empty() {
            0.0
        } else {
            failed as f64 / run.samples.len() as f64
        },
        goodput_rps: run.slo.as_ref().map(|s| s.goodput_rps),
        slo_met: run.slo.as_ref().map(|s| s.met),
        client_bound: run.load.as_ref().is_some_and(|l| l.client_bound.is_some()),
    }
}

/// The knee of a sweep (see the module docs), `None` with no step at or before it.
pub(crate) fn knee(dimension: Dimension, steps: &[SweepStep]) -> Option<f64> {
    let first = steps.first()?;
    let per_unit = first.throughput_rps / first.value;
    steps
        .iter()
        .take_while(|s| match dimension {
            Dimension::Rate => s.throughput_rps >= KEEPS_UP * s.value,
            Dimension::Concurrency => s.throughput_rps >= KEEPS_UP * per_unit * s.value,
        })
        .last()
        .map(|s| s.value)
}

/// A sweep or a search in one line (`--quiet`): its knee or its answer.
fn one_line(sweep: &StoredSweep) -> String {
    let outcome = match (sweep.kind.as_str(), sweep.knee, sweep.best) {
        ("search", _, Some(best)) => format!(
            "highest {} meeting {}: {}",
            sweep.dimension,
            sweep.objectives.join(", "),
            format_num(best)
        ),
        ("search", _, None) => format!(
            "no {} probed meets {}",
            sweep.dimension,
            sweep.objectives.join(", ")
        ),
        (_, Some(knee), _) => format!("knee at {} {}", sweep.dimension, format_num(knee)),
        _ => "no step kept up with its load".to_string(),
    };
    format!(
        "{}: {} {} of {} steps: {outcome}",
        sweep.scenario,
        sweep.dimension,
        sweep.kind,
        sweep.steps.len()
    )
}

/// The console table of a sweep or a search.
fn table(sweep: &StoredSweep) -> String {
    let ms = |v: Option<f64>| v.map_or("-".to_string(), format_duration_ns);
    let mut out = format!(
        "{} {} of {}:\n  {:>12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}{}\n",
        sweep.dimension,
        sweep.kind,
        sweep.scenario,
        sweep.dimension,
        "req/s",
        "TTFT p50",
        "TTFT p99",
        "TPOT p50",
        "TPOT p99",
        "errors",
        if sweep.objectives.is_empty() {
            ""
        } else {
            "  goodput  SLO"
        },
    );
    for s in &sweep.steps {
        out.push_str(&format!(
            "  {:>12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7.1}%",
            format_num(s.value),
            format_num(s.throughput_rps),
            ms(s.ttft_p50_ns),
            ms(s.ttft_p99_ns),
            ms(s.tpot_p50_ns),
            ms(s.tpot_p99_ns),
            s.error_rate * 100.0,
        ));
        if let (Some(goodput), Some(met)) = (s.goodput_rps, s.slo_met) {
            out.push_str(&format!(
                "  {:>7} {}",
                format_num(goodput),
                if met { "met" } else { "missed" }
            ));
        }
        if s.client_bound {
            out.push_str("  (client-bound)");
        }
        if sweep.knee == Some(s.value) {
            out.push_str("  <- knee");
        }
        out.push('\n');
    }
    if sweep.kind == "search" {
        out.push_str(&match sweep.best {
            Some(best) => format!(
                "  highest {} meeting {}: {}\n",
                sweep.dimension,
                sweep.objectives.join(", "),
                format_num(best)
            ),
            None => format!(
                "  no {} probed meets {}\n",
                sweep.dimension,
                sweep.objectives.join(", ")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_bar_says_which_step() {
        assert_eq!(
            step_label("chat/short", Dimension::Rate, 4.0),
            "chat/short [rate 4/s]"
        );
        assert_eq!(
            step_label("chat/short", Dimension::Concurrency, 8.0),
            "chat/short [concurrency 8]"
        );
        assert_eq!(
            step_id("chat/short", Dimension::Rate, 0.5),
            "chat/short/rate-0.5"
        );
    }

    fn step(value: f64, throughput: f64) -> SweepStep {
        SweepStep {
            value,
            id: String::new(),
            achieved_rate: value,
            throughput_rps: throughput,
            output_tokens_per_second: 0.0,
            ttft_p50_ns: None,
            ttft_p99_ns: None,
            tpot_p50_ns: None,
            tpot_p99_ns: None,
            error_rate: 0.0,
            goodput_rps: None,
            slo_met: None,
            client_bound: false,
        }
    }

    #[test]
    fn the_knee_is_the_last_step_that_kept_up() {
        let rates = [
            step(10.0, 10.0),
            step(20.0, 19.5),
            step(40.0, 30.0),
            step(80.0, 31.0),
        ];
        assert_eq!(knee(Dimension::Rate, &rates), Some(20.0));
        let conc = [
            step(1.0, 5.0),
            step(2.0, 10.0),
            step(4.0, 19.0),
            step(8.0, 22.0),
        ];
        assert_eq!(knee(Dimension::Concurrency, &conc), Some(4.0));
        assert_eq!(knee(Dimension::Rate, &[step(10.0, 2.0)]), None);
    }

    /// A target that meets up to 37/s: probes 1, 100, then the bracket shrinks to
    /// within 5% around 37.
    #[test]
    fn a_search_brackets_the_highest_load_that_meets() {
        let meets = |v: f64| v <= 37.0;
        let (mut met, mut missed) = (None, None);
        let mut probes = Vec::new();
        let mut next = Some(1.0);
        while let Some(v) = next {
            probes.push(v);
            if meets(v) {
                met = Some(v)
            } else {
                missed = Some(v)
            }
            next = next_probe(Dimension::Rate, 100.0, met, missed, probes.len());
        }
        assert_eq!(probes[..2], [1.0, 100.0]);
        let (met, missed) = (met.unwrap(), missed.unwrap());
        assert!(met <= 37.0 && missed > 37.0, "{probes:?}");
        assert!(missed - met <= met * SEARCH_TOLERANCE, "{probes:?}");
        assert!(probes.len() <= MAX_PROBES);
        // A concurrency search stops when no whole number lies in between.
        let next = next_probe(Dimension::Concurrency, 64.0, Some(7.0), Some(8.0), 3);
        assert_eq!(next, None);
        // Nothing meets: one probe.
        assert_eq!(next_probe(Dimension::Rate, 100.0, None, Some(1.0), 1), None);
    }

    #[test]
    fn step_ids_name_the_value() {
        assert_eq!(step_id("chat", Dimension::Rate, 0.5), "chat/rate-0.5");
        assert_eq!(
            step_id("g/chat", Dimension::Concurrency, 8.0),
            "g/chat/concurrency-8"
        );
    }
}
