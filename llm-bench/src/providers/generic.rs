//! A provider for any streaming JSON API: a body template, SSE or NDJSON framing, and
//! JSON-pointer paths that pick the text, reasoning, usage and errors out of each event.
//!
//! The client's base URL is the full request URL (it may contain `{{model}}`). A spec can be
//! written in code or read from a JSON file (`LLM_BENCH_GENERIC_SPEC` for the environment):
//!
//! ```
//! use llm_bench::providers::generic::{GenericFraming, GenericSpec};
//! use serde_json::json;
//!
//! let spec: GenericSpec = serde_json::from_value(json!({
//!     "framing": "sse",
//!     "body": {"model": "{{model}}", "messages": "{{messages}}", "max_tokens": "{{max_tokens}}", "stream": true},
//!     "headers": {"authorization": "Bearer {{api_key}}"},
//!     "text": "/choices/0/delta/content",
//!     "completion_tokens": "/usage/completion_tokens",
//!     "done": "[DONE]"
//! }))?;
//! assert_eq!(spec.framing, GenericFraming::Sse);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Placeholders
//!
//! In the body template, a string that is exactly a placeholder is replaced by a JSON value:
//! `"{{messages}}"` by `[{"role", "content"}, ...]`, `"{{max_tokens}}"` and
//! `"{{temperature}}"` by numbers (the key is removed when the request sets none),
//! `"{{model}}"`, `"{{prompt}}"` (the messages as text, see
//! [`body::prompt`](super::body::prompt)), `"{{system}}"` and `"{{user}}"` (the last user
//! message) by strings (`{{system}}` is removed when there is none). A placeholder inside a
//! longer string is replaced by its text. `{{api_key}}` is replaced only in header values,
//! never in the body or the URL; when no header uses it, a key is sent as
//! `Authorization: Bearer ...`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::body::{prompt, split_system};
use super::openai::request::{merge_fields, messages_json};
use super::openai::ChatRequest;
use crate::delta::{Delta, Usage};
use crate::framing::ndjson::NdjsonDecoder;
use crate::framing::sse::{SseDecoder, SseEvent};
use crate::framing::Poisoning;

/// How a generic stream frames its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GenericFraming {
    /// Server-sent events: each event's `data` is one JSON event.
    #[default]
    Sse,
    /// Newline-delimited JSON: each non-blank line is one JSON event.
    Ndjson,
}

/// Everything the generic provider needs to know about an API. See the [module
/// documentation](self).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericSpec {
    /// SSE (default) or NDJSON.
    #[serde(default)]
    pub framing: GenericFraming,
    /// The JSON body template.
    pub body: Value,
    /// Request headers (values may contain `{{api_key}}`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON pointer (RFC 6901) to the answer text of an event, e.g. `/choices/0/delta/content`.
    #[serde(default)]
    pub text: Option<String>,
    /// JSON pointer to the reasoning text of an event.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// JSON pointer to the prompt token count, in the events that report it.
    #[serde(default)]
    pub prompt_tokens: Option<String>,
    /// JSON pointer to the completion token count, in the events that report it.
    #[serde(default)]
    pub completion_tokens: Option<String>,
    /// JSON pointer to an error the API reports inside the stream (a string, or an object
    /// with a `message`); a non-null value ends the request as a mid-stream error.
    #[serde(default)]
    pub error: Option<String>,
    /// The end of the stream: a pointer (starting with `/`) whose value `true` (or any
    /// non-null, non-false value) marks the last event, or the exact `data` of a terminator
    /// event such as `[DONE]`. Without it, the stream ends when the connection closes.
    #[serde(default)]
    pub done: Option<String>,
}

impl GenericSpec {
    /// Reads a spec from a JSON file.
    pub fn from_file(path: &std::path::Path) -> crate::Result<GenericSpec> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            crate::Error::Config(format!(
                "could not read the generic provider spec {}: {e}",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            crate::Error::Config(format!(
                "the generic provider spec {} is not valid: {e}",
                path.display()
            ))
        })
    }

    /// The request body for `req` and `model`: the template with its placeholders replaced,
    /// then the request's extra fields merged in.
    ///
    /// ```
    /// use llm_bench::providers::generic::GenericSpec;
    /// use llm_bench::ChatRequest;
    /// use serde_json::json;
    /// let spec = GenericSpec {
    ///     body: json!({"q": "Q: {{prompt}}", "n": "{{max_tokens}}", "t": "{{temperature}}"}),
    ///     ..GenericSpec::default()
    /// };
    /// let body = spec.render_body(&ChatRequest::new("hi").max_tokens(8), Some("m"));
    /// assert_eq!(body, json!({"q": "Q: hi", "n": 8}));
    /// ```
    pub fn render_body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        let vars = Vars::of(req, model);
        let mut body = match render(&self.body, &vars) {
            Some(v) => v,
            None => Value::Null,
        };
        if let Value::Object(map) = &mut body {
            merge_fields(map, req.extra_fields());
        }
        body
    }

    /// True when a header value uses `{{api_key}}`.
    pub(crate) fn uses_key_in_headers(&self) -> bool {
        self.headers.values().any(|v| v.contains("{{api_key}}"))
    }
}

/// What placeholders stand for in one request.
struct Vars {
    model: Option<String>,
    messages: Value,
    prompt: String,
    system: Option<String>,
    user: String,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
}

impl Vars {
    fn of(req: &ChatRequest, model: Option<&str>) -> Vars {
        let (system, _) = split_system(req.messages());

        Vars {
            model: req.model_name().or(model).map(str::to_string),
            messages: messages_json(req.messages()),
            prompt: prompt(req.messages()),
            system,
            user: req
                .messages()
                .iter()
                .rev()
                .find(|m| m.role == "user")
                .map(|m| m.content.clone())
                .unwrap_or_default(),
            max_tokens: req.max_tokens_setting(),
            temperature: req.temperature_setting(),
        }
    }

    /// The JSON value of a whole-string placeholder; `Some(None)` removes the key.
    fn value(&self, name: &str) -> Option<Option<Value>> {
        Some(match name {
            "messages" => Some(self.messages.clone()),
            "prompt" => Some(Value::String(self.prompt.clone())),
            "user" => Some(Value::String(self.user.clone())),
            "system" => self.system.clone().map(Value::String),
            "model" => self.model.clone().map(Value::String),
            "max_tokens" => self.max_tokens.map(Value::from),
            "temperature" => self.temperature.map(Value::from),
            _ => return None,
        })
    }

    /// The text of a placeholder inside a longer string.
    fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Some(Value::String(s)) => Some(s),
            Some(v) => Some(v.to_string()),
            None => Some(String::new()),
        }
    }
}

/// Renders a template value; `None` means "remove this key".
fn render(template: &Value, vars: &Vars) -> Option<Value> {
    match template {
        Value::String(s) => {
            if let Some(name) = whole_placeholder(s) {
                if let Some(v) = vars.value(name) {
                    return v;
                }
            }
            Some(Value::String(interpolate(s, |name| vars.text(name))))
        }
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(|v| render(v, vars)).collect(),
        )),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if let Some(v) = render(v, vars) {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other.clone()),
    }
}

/// `name` when `s` is exactly `{{name}}`.
fn whole_placeholder(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner.trim())
}

/// Replaces every `{{name}}` that `lookup` knows; leaves the others as they are.
pub(crate) fn interpolate(s: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses a generic stream: the framing decoder, then the spec's pointers on each event.
#[derive(Debug)]
pub(crate) struct GenericParser {
    spec: GenericSpec,
    decoder: GenericDecoder,
    usage: Option<Usage>,
}

/// The framing decoder of a [`GenericParser`], with its reusable output buffer.
#[derive(Debug)]
enum GenericDecoder {
    Sse(Poisoning<SseDecoder>, Vec<SseEvent>),
    Ndjson(Poisoning<NdjsonDecoder>, Vec<String>),
}

impl GenericParser {
    pub(crate) fn new(spec: GenericSpec) -> Self {
        let decoder = match spec.framing {
            GenericFraming::Sse => GenericDecoder::Sse(Poisoning::default(), Vec::new()),
            GenericFraming::Ndjson => GenericDecoder::Ndjson(Poisoning::default(), Vec::new()),
        };
        GenericParser {
            spec,
            decoder,
            usage: None,
        }
    }

    /// Decodes a read (or the end of the body, for `None`), appending one delta per event.
    pub(crate) fn run(&mut self, bytes: Option<&[u8]>, out: &mut Vec<Delta>) -> Result<(), String> {
        let mut units: Vec<String> = Vec::new();
        match &mut self.decoder {
            GenericDecoder::Sse(decoder, events) => {
                let framing = decoder.feed_or_finish(bytes, events);
                units.extend(events.drain(..).map(|e| e.data));
                framing.map_err(|e| e.to_string())?;
            }
            GenericDecoder::Ndjson(decoder, lines) => {
                let framing = decoder.feed_or_finish(bytes, lines);
                units.append(lines);
                framing.map_err(|e| e.to_string())?;
            }
        }
        for unit in units {
            let delta = self.parse_unit(&unit)?;
            out.push(delta);
        }
        Ok(())
    }

    fn parse_unit(&mut self, data: &str) -> Result<Delta, String> {
        let spec = &self.spec;
        if let Some(done) = spec.done.as_deref() {
            if !done.starts_with('/') && data.trim() == done {
                return Ok(Delta {
                    done: true,
                    ..Delta::default()
                });
            }
        }
        if data.trim().is_empty() {
            return Ok(Delta::default());
        }
        let event: Value = serde_json::from_str(data).map_err(|e| {
            format!(
                "invalid generic event ({e}): {}",
                super::payload::excerpt(data)
            )
        })?;
        let pick = |ptr: &Option<String>| ptr.as_deref().and_then(|p| event.pointer(p));
        let text = |ptr: &Option<String>| match pick(ptr) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let count = |ptr: &Option<String>| pick(ptr).and_then(Value::as_u64);
        let mut delta = Delta {
            text: text(&spec.text),
            reasoning: text(&spec.reasoning),
            ..Delta::default()
        };
        let (prompt_tokens, completion_tokens) =
            (count(&spec.prompt_tokens), count(&spec.completion_tokens));
        if prompt_tokens.is_some() || completion_tokens.is_some() {
            let old = self.usage.unwrap_or_default();
            let usage = Usage {
                prompt_tokens: prompt_tokens.or(old.prompt_tokens),
                completion_tokens: completion_tokens.or(old.completion_tokens),
                reasoning_tokens: old.reasoning_tokens,
            };
            self.usage = Some(usage);
            delta.usage = Some(usage);
        }
        delta.error = match pick(&spec.error) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(
                v.get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| super::payload::excerpt(&v.to_string())),
            ),
        };
        if let Some(ptr) = spec.done.as_deref().filter(|d| d.starts_with('/')) {
            delta.done = !matches!(
                event.pointer(ptr),
                None | Some(Value::Null | Value::Bool(false))
            );
        }
        Ok(delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_render_typed_values_and_drop_unset_ones() {
        let spec = GenericSpec {
            body: json!({
                "model": "{{model}}",
                "messages": "{{messages}}",
                "system": "{{system}}",
                "opts": {"max": "{{max_tokens}}", "label": "m={{model}} {{unknown}}"},
            }),
            ..GenericSpec::default()
        };
        let body = spec.render_body(&ChatRequest::new("hi").field("seed", json!(1)), Some("m1"));
        assert_eq!(
            body,
            json!({
                "model": "m1",
                "messages": [{"role": "user", "content": "hi"}],
                "opts": {"label": "m=m1 {{unknown}}"},
                "seed": 1,
            })
        );
    }

    #[test]
    fn the_api_key_is_never_a_body_placeholder() {
        let spec = GenericSpec {
            body: json!({"k": "{{api_key}}"}),
            ..GenericSpec::default()
        };
        assert_eq!(
            spec.render_body(&ChatRequest::new("x"), None),
            json!({"k": "{{api_key}}"})
        );
    }

    #[test]
    fn parser_picks_text_usage_error_and_done() {
        let spec = GenericSpec {
            framing: GenericFraming::Ndjson,
            body: json!({}),
            text: Some("/out/text".into()),
            reasoning: Some("/out/think".into()),
            prompt_tokens: Some("/u/in".into()),
            completion_tokens: Some("/u/out".into()),
            error: Some("/err".into()),
            done: Some("/end".into()),
            ..GenericSpec::default()
        };
        let mut p = GenericParser::new(spec);
        let mut out = Vec::new();
        p.run(
            Some(b"{\"out\":{\"think\":\"hm\"},\"u\":{\"in\":3}}\n{\"out\":{\"text\":\"Hi\"}}\n{\"u\":{\"out\":2},\"end\":true}\n"),
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].reasoning, "hm");
        assert_eq!(out[1].text, "Hi");
        assert!(out[2].done);
        assert_eq!(
            out[2].usage,
            Some(Usage {
                prompt_tokens: Some(3),
                completion_tokens: Some(2),
                reasoning_tokens: None
            })
        );
        p.run(Some(b"{\"err\":{\"message\":\"boom\"}}\n"), &mut out)
            .unwrap();
        assert_eq!(out[3].error.as_deref(), Some("boom"));
        let err = p.run(Some(b"not json\n"), &mut out).unwrap_err();
        assert!(err.contains("invalid generic event"), "{err}");
    }

    #[test]
    fn sse_terminator_literal() {
        let spec = GenericSpec {
            body: json!({}),
            text: Some("/t".into()),
            done: Some("[DONE]".into()),
            ..GenericSpec::default()
        };
        let mut p = GenericParser::new(spec);
        let mut out = Vec::new();
        p.run(Some(b"data: {\"t\":\"a\"}\n\ndata: [DONE]\n\n"), &mut out)
            .unwrap();
        p.run(None, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert!(out[1].done);
    }
}
