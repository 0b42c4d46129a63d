//! Hugging Face Text Generation Inference's `POST /generate_stream` wire format, as the
//! simulated endpoint reads and writes it.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::answer::Answer;
use super::api_error::ApiError;
use super::profile::LatencyProfile;
use super::text::{answer_token_id, count};

/// The end-of-sequence token sent after a natural end (`special: true`: not text).
const EOS: &str = r#"{"id":2,"text":"</s>","logprob":-0.01,"special":true}"#;

#[derive(Deserialize)]
struct RawRequest {
    #[serde(default)]
    inputs: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    max_new_tokens: Option<u32>,
    #[serde(default)]
    details: Option<bool>,
}

/// A `/generate_stream` request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct GenerateRequest {
    /// `parameters.max_new_tokens`.
    pub(crate) max_tokens: Option<u32>,
    /// `parameters.details`: the last event carries `details`.
    pub(crate) details: bool,
    pub(crate) prompt_tokens: u32,
}

impl GenerateRequest {
    /// The answer's plan: no reasoning (TGI streams tokens, whatever they are).
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        Answer::plan(profile, self.max_tokens, 0, true, self.prompt_tokens)
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("validation", message)
}

/// Parses a `/generate_stream` body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<GenerateRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| {
        invalid(format!(
            "Failed to deserialize the JSON body into the target type: {e}"
        ))
    })?;
    let inputs = raw.inputs.ok_or_else(|| {
        invalid("Failed to deserialize the JSON body into the target type: missing field `inputs`")
    })?;
    if inputs.trim().is_empty() {
        return Err(invalid("Input validation error: `inputs` cannot be empty"));
    }
    let parameters = raw.parameters;
    let max_tokens = parameters.as_ref().and_then(|p| p.max_new_tokens);
    if max_tokens == Some(0) {
        return Err(invalid(
            "Input validation error: `max_new_tokens` must be strictly positive",
        ));
    }
    Ok(GenerateRequest {
        max_tokens,
        details: parameters.and_then(|p| p.details).unwrap_or(false),
        prompt_tokens: count(inputs.split_whitespace().count()),
    })
}

/// Writes the SSE events of one `/generate_stream` answer: `data:` with no space after the
/// colon, as TGI's server writes it.
pub(crate) struct EventWriter {
    answer: Answer,
    details: bool,
}

impl EventWriter {
    pub(crate) fn new(answer: Answer, details: bool) -> Self {
        EventWriter { answer, details }
    }

    /// `generated_text` and `details` of the last event: the whole text, and (when asked
    /// for) the finish reason, the generated tokens (the end-of-sequence token counts, as
    /// TGI counts it) and the prompt's length.
    fn end_fields(&self) -> String {
        let a = &self.answer;
        let text = Value::String(a.answer_text());
        if !self.details {
            return format!(r#""generated_text":{text},"details":null"#);
        }
        let (reason, generated) = if a.cut {
            ("length", a.answer)
        } else {
            ("eos_token", a.answer.saturating_add(1))
        };
        format!(
            r#""generated_text":{text},"details":{{"finish_reason":"{reason}","generated_tokens":{generated},"seed":null,"input_length":{}}}"#,
            a.prompt_tokens
        )
    }

    /// The event of sent token `i`. When `max_new_tokens` cut the answer, the last token's
    /// event carries `generated_text` and `details`.
    pub(crate) fn token(&self, i: u32) -> String {
        let id = answer_token_id(self.answer.seed, i);
        let mut s = String::with_capacity(160);
        let _ = write!(
            s,
            r#"data:{{"index":{},"token":{{"id":{id},"text":""#,
            i + 1
        );
        self.answer.push_token(&mut s, i);
        let _ = write!(
            s,
            r#"","logprob":-{}.{:04},"special":false}},"#,
            id % 3,
            (id * 7919) % 10_000
        );
        if self.answer.cut && i + 1 == self.answer.streamed() {
            s.push_str(&self.end_fields());
        } else {
            s.push_str(r#""generated_text":null,"details":null"#);
        }
        s.push_str("}\n\n");
        s
    }

    /// The end after a natural stop: the end-of-sequence token's event, with
    /// `generated_text` and `details` (`finish_reason: "eos_token"`). Nothing when
    /// `max_new_tokens` cut the answer (its last token's event ended it).
    pub(crate) fn trailer(&self) -> Option<String> {
        if self.answer.cut {
            return None;
        }
        Some(format!(
            "data:{{\"index\":{},\"token\":{EOS},{}}}\n\n",
            self.answer.answer.saturating_add(1),
            self.end_fields()
        ))
    }
}
