//! CSV: one row per request.

use super::Exporter;
use crate::metrics::TokenSource;
use crate::report::{ReportError, ReportInput};

/// `csv`: one row per measured request, failed ones included. Durations in milliseconds
/// with microsecond precision; empty cells where a value does not exist.
///
/// Columns: `scenario, index, started_at_ms, ttfb_ms, ttft_ms, ttfo_ms, e2e_ms, tpot_ms,
/// itl_median_ms, itl_per_token_median_ms, output_events, output_tokens, token_source,
/// counted_tokens, error_class, error_message`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Csv;

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
        w.write_record(CSV_COLUMNS).map_err(|e| fail(&e))?;
        for input in inputs {
            for s in &input.run.samples {
                let record = [
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
                w.write_record(&record).map_err(|e| fail(&e))?;
            }
        }
        let bytes = w.into_inner().map_err(|e| fail(&e))?;
        String::from_utf8(bytes).map_err(|e| fail(&e))
    }
}
