//! Full JSON: every run, with its baseline's name and comparison.

use serde::Serialize;

use super::Exporter;
use crate::report::{ReportComparison, ReportError, ReportInput};
use crate::store::StoredRun;

/// `json`: `{"schema": "llm-bench/export", "schema_version": 1, "scenarios": [{"run": …,
/// "comparison": …}]}`, each run exactly as stored.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

/// The `schema` field of the JSON export.
pub const EXPORT_SCHEMA: &str = "llm-bench/export";

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    schema_version: u32,
    scenarios: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    run: &'a StoredRun,
    baseline_started_at_unix_ms: Option<u64>,
    comparison: Option<&'a ReportComparison>,
}

impl Exporter for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn file_name(&self) -> &'static str {
        "llm-bench.json"
    }

    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError> {
        let doc = Doc {
            schema: EXPORT_SCHEMA,
            schema_version: 1,
            scenarios: inputs
                .iter()
                .map(|i| Entry {
                    run: i.run,
                    baseline_started_at_unix_ms: i.baseline.map(|b| b.started_at_unix_ms),
                    comparison: i.comparison,
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Encode {
            format: "json",
            message: e.to_string(),
        })?;
        text.push('\n');
        Ok(text)
    }
}
