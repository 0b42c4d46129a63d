//! What the last event of both Cohere chat APIs carries: the finish reason and the usage
//! (v2 `message-end` `delta`, v1 `stream-end` `response`).
//!
//! Usage: `tokens` (the model's real input/output token counts) when present, else
//! `billed_units`. Cohere bills fewer input tokens than the model reads (its own system
//! preamble is free), so the two differ; a benchmark measures the model, hence `tokens`.

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{Count, Lenient, Text};

/// Sets the finish reason, and an error when it is `ERROR` (Cohere's "the generation
/// failed").
pub(crate) fn finish(delta: &mut Delta, reason: Option<Text<'_>>) {
    if let Some(reason) = reason.filter(|r| !r.as_str().is_empty()) {
        if reason.as_str() == "ERROR" && delta.error.is_none() {
            delta.error = Some("generation failed (finish_reason ERROR)".to_owned());
        }
        delta.finish_reason = Some(reason.0.into_owned());
    }
}

/// `usage` (v2 `message-end`) or `meta` (v1 `stream-end`): `tokens` and `billed_units`.
#[derive(Deserialize)]
pub(crate) struct CohereUsage {
    #[serde(default)]
    tokens: Lenient<Units>,
    #[serde(default)]
    billed_units: Lenient<Units>,
}

/// Input and output token counts.
#[derive(Deserialize)]
struct Units {
    #[serde(default)]
    input_tokens: Count,
    #[serde(default)]
    output_tokens: Count,
}

impl CohereUsage {
    /// The usage: `tokens`, else `billed_units`; `None` when neither is there.
    pub(crate) fn into_usage(self) -> Option<Usage> {
        let units = self.tokens.0.or(self.billed_units.0)?;
        Some(Usage {
            prompt_tokens: units.input_tokens.0,
            completion_tokens: units.output_tokens.0,
            reasoning_tokens: None,
        })
    }
}
