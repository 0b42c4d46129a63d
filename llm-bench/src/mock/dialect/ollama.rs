//! The dialect of Ollama's native API (`POST /api/chat` and `POST /api/generate`,
//! NDJSON): the requests it reads, the lines it writes, and Ollama's error shape.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use super::{BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::{reasoning_for, Answer, TokenKind};
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, words};

/// `/api/chat`: [`Endpoint::Chat`].
const CHAT_PATH: &str = "/api/chat";

/// `/api/generate`: [`Endpoint::Generate`].
const GENERATE_PATH: &str = "/api/generate";

/// The dialect of Ollama's native API.
pub(crate) struct Ollama;

impl DialectWriter for Ollama {
    const DIALECT: Dialect = Dialect::Ollama;
    const PATHS: &'static [&'static str] = &[CHAT_PATH, GENERATE_PATH];
    const BASE_PATH: &'static str = "";

    type Request = Endpoint;
    type Stream = LineWriter;

    fn read(
        &self,
        call: &Call<'_>,
        profile: &LatencyProfile,
    ) -> Result<Reading<Endpoint>, ApiError> {
        let endpoint = if call.path == GENERATE_PATH {
            Endpoint::Generate
        } else {
            Endpoint::Chat
        };
        let r = parse_request(call.body, endpoint)?;
        let answer = r.answer(profile);
        Ok(Reading::new(
            r.model,
            r.max_tokens,
            r.stream,
            answer,
            endpoint,
        ))
    }

    fn content_type(&self, _: &Endpoint) -> &'static str {
        "application/x-ndjson"
    }

    fn start(&self, endpoint: Endpoint, reply: &Reply<'_>) -> LineWriter {
        LineWriter::new(reply.model, reply.answer, endpoint, reply.received_at)
    }

    /// None: the first line is the first token's.
    fn head(&self, _: &mut LineWriter) -> Option<String> {
        None
    }

    fn token(&self, stream: &mut LineWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut LineWriter) -> Option<String> {
        Some(stream.trailer())
    }

    /// The durations are the planned ones: the prompt's evaluation until the first token,
    /// the generation from it to the last.
    fn body(&self, endpoint: Endpoint, reply: &Reply<'_>, timing: BodyTiming) -> String {
        let durations = Durations {
            total: quanta::Instant::now().saturating_duration_since(reply.received_at),
            prompt_eval: timing.ttft,
            eval: timing.last.saturating_sub(timing.ttft),
        };
        response_body(reply.model, &reply.answer, endpoint, durations)
    }

    /// `{"error": message}`.
    fn error_body(&self, error: &ApiError) -> String {
        serde_json::json!({"error": error.message}).to_string()
    }

    fn injected_error(&self) -> ApiError {
        ApiError::generation_failed()
    }

    fn shutdown_error(&self) -> ApiError {
        ApiError::overloaded()
    }

    fn rate_limit_error(&self) -> ApiError {
        ApiError::too_many_requests()
    }

    fn overloaded_error(&self, why: &str) -> ApiError {
        ApiError::busy(why)
    }
}

/// Which of Ollama's two generation endpoints a request spoke to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/api/chat`: `messages` in, `message.content` / `message.thinking` out.
    Chat,
    /// `/api/generate`: `prompt` in, `response` / `thinking` out.
    Generate,
}

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
struct RawRequest {
    /// `model`: echoed in the answer.
    #[serde(default)]
    model: Option<String>,
    /// `messages`: required by `/api/chat`, non-empty.
    #[serde(default)]
    messages: Option<Vec<Value>>,
    /// `prompt`: required by `/api/generate`.
    #[serde(default)]
    prompt: Option<String>,
    /// `system`: counted in the prompt (`/api/generate`).
    #[serde(default)]
    system: Option<String>,
    /// `options`.
    #[serde(default)]
    options: Option<Options>,
    /// `think`: a boolean or an effort level.
    #[serde(default)]
    think: Option<Value>,
    /// `stream`.
    #[serde(default)]
    stream: Option<bool>,
}

/// The request's `options`.
#[derive(Deserialize)]
struct Options {
    /// `num_predict`: the answer's cap; negative for none.
    #[serde(default)]
    num_predict: Option<i64>,
}

/// An `/api/chat` or `/api/generate` request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct GenerateRequest {
    /// The model the request names (`None` when absent or empty).
    pub(crate) model: Option<String>,
    /// `options.num_predict` when positive (or 0); negative values mean no limit.
    pub(crate) max_tokens: Option<u32>,
    /// `stream`, which defaults to true in Ollama.
    pub(crate) stream: bool,
    /// The prompt size the mock reports: the whitespace-separated words of its text.
    pub(crate) prompt_tokens: u32,
    /// `think`: `None` when absent, `Some(false)` for `false`, `Some(true)` for `true` or an
    /// effort level (`"low"`, `"medium"`, `"high"`).
    pub(crate) think: Option<bool>,
}

impl GenerateRequest {
    /// The answer's plan: `think: true` asks for reasoning (the profile's count, or the
    /// default when that is 0), `think: false` turns it off, and without `think` the
    /// profile's count is used.
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        let reasoning = reasoning_for(profile, self.think, None);
        Answer::plan(
            profile,
            self.max_tokens,
            reasoning,
            true,
            self.prompt_tokens,
        )
    }
}

/// A 400 with this message, in the dialect's way.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("", message)
}

/// Parses an `/api/chat` or `/api/generate` body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8], endpoint: Endpoint) -> Result<GenerateRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
    let prompt_tokens = match endpoint {
        Endpoint::Chat => {
            let messages = raw
                .messages
                .filter(|m| !m.is_empty())
                .ok_or_else(|| invalid("messages are required"))?;
            messages
                .iter()
                .map(|m| m.get("content").map_or(0, words))
                .sum::<usize>()
        }
        Endpoint::Generate => {
            let prompt = raw.prompt.ok_or_else(|| invalid("prompt is required"))?;
            prompt.split_whitespace().count()
                + raw
                    .system
                    .as_deref()
                    .map_or(0, |s| s.split_whitespace().count())
        }
    };
    let think = match raw.think {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(level)) if matches!(level.as_str(), "low" | "medium" | "high") => {
            Some(true)
        }
        Some(other) => {
            return Err(invalid(format!(
                "invalid think value: {other} (must be a boolean or \"low\", \"medium\", \"high\")"
            )))
        }
    };
    let max_tokens = raw
        .options
        .and_then(|o| o.num_predict)
        .and_then(|n| u32::try_from(n).ok());
    Ok(GenerateRequest {
        model: raw.model.filter(|m| !m.is_empty()),
        max_tokens,
        stream: raw.stream.unwrap_or(true),
        prompt_tokens: count(prompt_tokens),
        think,
    })
}

/// The `done_reason` of an answer.
fn done_reason(answer: &Answer) -> &'static str {
    if answer.cut {
        "length"
    } else {
        "stop"
    }
}

/// A time as Go writes it in JSON (RFC 3339 in UTC, nanoseconds without trailing zeros), as
/// in Ollama's `created_at`.
fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut s = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    let nanos = d.subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// The durations of the final object, as Ollama reports them (nanoseconds).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Durations {
    /// Request received to the end.
    pub(crate) total: Duration,
    /// Request received to the first token (the prompt's evaluation).
    pub(crate) prompt_eval: Duration,
    /// First token to the end (the generation).
    pub(crate) eval: Duration,
}

/// The fields of the final object after `done`: durations and counts; `eval_count` counts
/// thinking too.
fn stats_json(answer: &Answer, d: Durations) -> String {
    format!(
        r#""total_duration":{},"load_duration":0,"prompt_eval_count":{},"prompt_eval_duration":{},"eval_count":{},"eval_duration":{}"#,
        d.total.as_nanos(),
        answer.prompt_tokens,
        d.prompt_eval.as_nanos(),
        answer.total(),
        d.eval.as_nanos()
    )
}

/// Writes the NDJSON lines of one streamed answer, as the recorded Ollama streams have them.
pub(crate) struct LineWriter {
    /// `{"model":"...","created_at":"`
    prefix: String,
    /// The answer's plan.
    answer: Answer,
    /// The endpoint the request came to.
    endpoint: Endpoint,
    /// When the request was received.
    received_at: quanta::Instant,
    /// When the first token's line was written.
    first_token_at: Option<quanta::Instant>,
}

impl LineWriter {
    /// A writer of the lines of an answer as `model` to a request of `endpoint` received at `received_at`.
    pub(crate) fn new(
        model: &str,
        answer: Answer,
        endpoint: Endpoint,
        received_at: quanta::Instant,
    ) -> Self {
        LineWriter {
            prefix: format!(
                r#"{{"model":{},"created_at":""#,
                Value::String(model.to_owned())
            ),
            answer,
            endpoint,
            received_at,
            first_token_at: None,
        }
    }

    /// The start of a line: model and `created_at` (now).
    fn start(&self) -> String {
        let mut s = String::with_capacity(160);
        s.push_str(&self.prefix);
        s.push_str(&rfc3339(SystemTime::now()));
        s.push_str("\",");
        s
    }

    /// The line of sent token `i`: `message.content` / `message.thinking` (chat),
    /// `response` / `thinking` (generate).
    pub(crate) fn token(&mut self, i: u32) -> String {
        if self.first_token_at.is_none() {
            self.first_token_at = Some(quanta::Instant::now());
        }
        let mut s = self.start();
        let reasoning = self.answer.kind(i).0 == TokenKind::Reasoning;
        match (self.endpoint, reasoning) {
            (Endpoint::Chat, false) => s.push_str(r#""message":{"role":"assistant","content":""#),
            (Endpoint::Chat, true) => {
                s.push_str(r#""message":{"role":"assistant","content":"","thinking":""#);
            }
            (Endpoint::Generate, false) => s.push_str(r#""response":""#),
            (Endpoint::Generate, true) => s.push_str(r#""response":"","thinking":""#),
        }
        self.answer.push_token(&mut s, i);
        s.push('"');
        if self.endpoint == Endpoint::Chat {
            s.push('}');
        }
        s.push_str(",\"done\":false}\n");
        s
    }

    /// The final line: `done: true`, `done_reason`, the counts and the durations measured
    /// on this stream.
    pub(crate) fn trailer(&self) -> String {
        let now = quanta::Instant::now();
        let first = self.first_token_at.unwrap_or(now);
        let durations = Durations {
            total: now.saturating_duration_since(self.received_at),
            prompt_eval: first.saturating_duration_since(self.received_at),
            eval: now.saturating_duration_since(first),
        };
        let mut s = self.start();
        let stats = stats_json(&self.answer, durations);
        let reason = done_reason(&self.answer);
        let _ = match self.endpoint {
            Endpoint::Chat => writeln!(
                s,
                r#""message":{{"role":"assistant","content":""}},"done_reason":"{reason}","done":true,{stats}}}"#
            ),
            Endpoint::Generate => writeln!(
                s,
                r#""response":"","done":true,"done_reason":"{reason}",{stats}}}"#
            ),
        };
        s
    }
}

/// The body of a non-streaming answer: one object with the whole text (and thinking), as the
/// final line of a stream.
pub(crate) fn response_body(
    model: &str,
    answer: &Answer,
    endpoint: Endpoint,
    durations: Durations,
) -> String {
    let created_at = rfc3339(SystemTime::now());
    let text = answer.answer_text();
    let thinking = (answer.reasoning > 0).then(|| answer.reasoning_text());
    let mut v = match endpoint {
        Endpoint::Chat => {
            let mut message = serde_json::json!({"role": "assistant", "content": text});
            if let Some(t) = thinking {
                message["thinking"] = Value::String(t);
            }
            serde_json::json!({"model": model, "created_at": created_at, "message": message})
        }
        Endpoint::Generate => {
            let mut v =
                serde_json::json!({"model": model, "created_at": created_at, "response": text});
            if let Some(t) = thinking {
                v["thinking"] = Value::String(t);
            }
            v
        }
    };
    let stats: Value =
        serde_json::from_str(&format!("{{{}}}", stats_json(answer, durations))).unwrap_or_default();
    if let (Some(map), Value::Object(stats)) = (v.as_object_mut(), stats) {
        map.insert("done_reason".into(), done_reason(answer).into());
        map.insert("done".into(), Value::Bool(true));
        map.extend(stats);
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_like_go() {
        let t = UNIX_EPOCH + Duration::new(1_716_582_406, 294_874_000);
        assert_eq!(rfc3339(t), "2024-05-24T20:26:46.294874Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }
}
