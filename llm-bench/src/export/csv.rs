//! CSV: one row per request.

use super::Exporter;
use crate::metrics::TokenSource;
use crate::report::{ReportError, ReportInput};
use crate::store::StoredRun;

/// `csv`: one row per measured request, failed ones included. Durations in milliseconds
/// with microsecond precision; empty cells where a value does not exist.
///
/// Columns: `scenario, index, started_at_ms, ttfb_ms, ttft_ms, ttfo_ms, e2e_ms, tpot_ms,
/// itl_median_ms, itl_per_token_median_ms, output_events, output_tokens, token_source,
/// counted_tokens, error_class, error_message`.
///
/// When some run exported recorded its load or objectives (open loop, `slo`), the
/// [`CSV_LOAD_COLUMNS`] follow: the request's `schedule_lag_ms` and `retries`, then its
/// run's `target_rate`, `achieved_rate` (requests/s), `schedule_lag_p99_ms`,
/// `client_bound` (`true`/`false`), `goodput_rps` (good requests/s) and `good_fraction`
/// (0 to 1), repeated on each of the run's rows like `scenario`. Without such runs the
/// file is as before.
///
/// When some request exported carries its clocks (runs recorded since llm-bench placed
/// requests on the machine's clocks), the [`CSV_CLOCK_COLUMNS`] come last:
/// `start_monotonic_ns` (where its latency counts from, on `CLOCK_MONOTONIC`),
/// `start_utc` (RFC 3339 with microseconds), `request_id` (the server's), and the HTTP
/// phases of the built-in client: `new_connection`, `connect_ms`, `tls_ms`,
/// `request_written_ms`.
///
/// When some failed request exported carries where it failed (runs recorded since
/// llm-bench kept it), the [`CSV_FAILURE_COLUMNS`] come after those: `error_phase`
/// (`connect`, `request`, `first_token`, `stream`) and `error_after_ms` (its start to the
/// failure), empty on the rows of successful requests.
///
/// In a run `llm-bench merge` combined from several machines' runs, the
/// [`CSV_MACHINE_COLUMNS`] come last: `machine`, the name of the machine that sent the
/// request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Csv;

/// The column added when some request was merged from another machine's run (see [`Csv`]).
pub const CSV_MACHINE_COLUMNS: [&str; 1] = ["machine"];

/// The header row.
pub const CSV_COLUMNS: [&str; 16] = [
    "scenario",
    "index",
    "started_at_ms",
    "ttfb_ms",
    "ttft_ms",
    "ttfo_ms",
    "e2e_ms",
    "tpot_ms",
    "itl_median_ms",
    "itl_per_token_median_ms",
    "output_events",
    "output_tokens",
    "token_source",
    "counted_tokens",
    "error_class",
    "error_message",
];

/// The columns added when a run recorded its load or objectives (see [`Csv`]).
pub const CSV_LOAD_COLUMNS: [&str; 8] = [
    "schedule_lag_ms",
    "retries",
    "target_rate",
    "achieved_rate",
    "schedule_lag_p99_ms",
    "client_bound",
    "goodput_rps",
    "good_fraction",
];

/// The columns added when requests carry their clocks and HTTP phases (see [`Csv`]).
pub const CSV_CLOCK_COLUMNS: [&str; 7] = [
    "start_monotonic_ns",
    "start_utc",
    "request_id",
    "new_connection",
    "connect_ms",
    "tls_ms",
    "request_written_ms",
];

/// The columns added when some failed request carries how long it ran and where it failed
/// (see [`Csv`]).
pub const CSV_FAILURE_COLUMNS: [&str; 2] = ["error_phase", "error_after_ms"];

/// The cells of [`CSV_FAILURE_COLUMNS`] of one request (empty for a success).
fn failure_cells(s: &crate::metrics::RequestSample) -> [String; 2] {
    let e = s.error.as_ref();
    [
        e.and_then(|e| e.phase)
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        ms(e.and_then(|e| e.after_ns)),
    ]
}

/// The cells of [`CSV_CLOCK_COLUMNS`] of one request.
fn clock_cells(s: &crate::metrics::RequestSample) -> [String; 7] {
    let http = s.http.as_ref();
    [
        s.start_monotonic_ns
            .map(|t| t.to_string())
            .unwrap_or_default(),
        s.start_unix_ns
            .map(crate::format::format_rfc3339_ns)
            .unwrap_or_default(),
        s.request_id.clone().unwrap_or_default(),
        http.map(|h| h.new_connection.to_string())
            .unwrap_or_default(),
        ms(http.and_then(|h| h.connect_ns)),
        ms(http.and_then(|h| h.tls_ns)),
        ms(http.and_then(|h| h.request_written_ns)),
    ]
}

/// A number as written in the file (empty when absent or not finite).
fn num(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map(|v| ((v * 1e6).round() / 1e6).to_string())
        .unwrap_or_default()
}

/// The run's cells of [`CSV_LOAD_COLUMNS`] (all but the two per-request ones).
fn run_load_cells(run: &StoredRun) -> [String; 6] {
    let load = run.load.as_ref();
    [
        num(load.and_then(|l| l.target_rate)),
        num(load.map(|l| l.achieved_rate)),
        num(load
            .and_then(|l| l.schedule_lag.as_ref())
            .map(|s| s.p99 / 1e6)),
        load.map(|l| l.client_bound.is_some().to_string())
            .unwrap_or_default(),
        num(run.slo.as_ref().map(|s| s.goodput_rps)),
        num(run.slo.as_ref().map(|s| s.good_fraction)),
    ]
}

fn ms(ns: Option<u64>) -> String {
    ns.map(|v| format!("{:.3}", v as f64 / 1e6))
        .unwrap_or_default()
}

impl Exporter for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn file_name(&self) -> &'static str {
        "requests.csv"
    }

    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError> {
        let fail = |e: &dyn std::fmt::Display| ReportError::Encode {
            format: "csv",
            message: e.to_string(),
        };
        let mut w = ::csv::Writer::from_writer(Vec::new());
        let with_load = inputs
            .iter()
            .any(|i| i.run.load.is_some() || i.run.slo.is_some());
        let mut header: Vec<&str> = CSV_COLUMNS.to_vec();
        if with_load {
            header.extend(CSV_LOAD_COLUMNS);
        }
        let with_clocks = inputs
            .iter()
            .any(|i| i.run.samples.iter().any(|s| s.start_monotonic_ns.is_some()));
        if with_clocks {
            header.extend(CSV_CLOCK_COLUMNS);
        }
        let with_failures = inputs.iter().any(|i| {
            (i.run.samples.iter().filter_map(|s| s.error.as_ref()))
                .any(|e| e.phase.is_some() || e.after_ns.is_some())
        });
        if with_failures {
            header.extend(CSV_FAILURE_COLUMNS);
        }
        let with_machines = inputs
            .iter()
            .any(|i| i.run.samples.iter().any(|s| s.machine.is_some()));
        if with_machines {
            header.extend(CSV_MACHINE_COLUMNS);
        }
        w.write_record(&header).map_err(|e| fail(&e))?;
        for input in inputs {
            let run_cells = run_load_cells(input.run);
            for s in &input.run.samples {
                let mut record = vec![
                    input.run.scenario.id.clone(),
                    s.index.to_string(),
                    ms(Some(s.started_at_ns)),
                    ms(s.ttfb_ns),
                    ms(s.ttft_ns),
                    ms(s.ttfo_ns),
                    ms(s.e2e_ns),
                    ms(s.tpot_ns()),
                    ms(s.itl_median_ns),
                    ms(s.itl_per_token_median_ns),
                    s.output_events.to_string(),
                    s.output_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    match s.token_source {
                        Some(TokenSource::Usage) => "usage".into(),
                        Some(TokenSource::Counted) => "counted".into(),
                        None => String::new(),
                    },
                    s.counted_tokens.map(|t| t.to_string()).unwrap_or_default(),
                    s.error
                        .as_ref()
                        .map(|e| e.class.as_str().to_string())
                        .unwrap_or_default(),
                    s.error
                        .as_ref()
                        .map(|e| e.message.clone())
                        .unwrap_or_default(),
                ];
                if with_load {
                    record.push(ms(s.schedule_lag_ns));
                    record.push(s.retries.to_string());
                    record.extend(run_cells.iter().cloned());
                }
                if with_clocks {
                    record.extend(clock_cells(s));
                }
                if with_failures {
                    record.extend(failure_cells(s));
                }
                if with_machines {
                    record.push(s.machine.clone().unwrap_or_default());
                }
                w.write_record(&record).map_err(|e| fail(&e))?;
            }
        }
        let bytes = w.into_inner().map_err(|e| fail(&e))?;
        String::from_utf8(bytes).map_err(|e| fail(&e))
    }
}
