//! The parser of a generic stream: the spec's framing, then its JSON pointers on each
//! event (see the [module documentation](super)).

use serde_json::Value;

use super::spec::{GenericFraming, GenericSpec};
use crate::delta::{Delta, Usage};
use crate::framing::ndjson::{NdjsonDecoder, NdjsonError};
use crate::framing::sse::{SseDecoder, SseError, SseEvent};
use crate::framing::Poisoning;
use crate::providers::api::{BodyError, BodyParser};

/// Why a generic stream could not be parsed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GenericError {
    /// The SSE framing is invalid.
    #[error(transparent)]
    Sse(#[from] SseError),
    /// The NDJSON framing is invalid.
    #[error(transparent)]
    Ndjson(#[from] NdjsonError),
    /// An event's data is not JSON (the pointers need JSON).
    #[error("invalid generic event ({reason}): {excerpt}")]
    Event {
        /// What the JSON parser said.
        reason: serde_json::Error,
        /// The start of the data.
        excerpt: String,
    },
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
    /// A parser of one stream of `spec`'s API.
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
    pub(crate) fn run(
        &mut self,
        bytes: Option<&[u8]>,
        out: &mut Vec<Delta>,
    ) -> Result<(), GenericError> {
        let mut units: Vec<String> = Vec::new();
        let framing: Result<(), GenericError> = match &mut self.decoder {
            GenericDecoder::Sse(decoder, events) => {
                let framing = decoder.feed_or_finish(bytes, events);
                units.extend(events.drain(..).map(|e| e.data));
                framing.map_err(GenericError::from)
            }
            GenericDecoder::Ndjson(decoder, lines) => {
                let framing = decoder.feed_or_finish(bytes, lines);
                units.append(lines);
                framing.map_err(GenericError::from)
            }
        };
        // The events completed before a framing error are parsed first (whatever the read
        // split, the same deltas precede the error); an invalid one among them comes first.
        for unit in units {
            let delta = self.parse_unit(&unit)?;
            out.push(delta);
        }
        framing
    }

    /// The delta of one event's data, read with the spec's pointers.
    fn parse_unit(&mut self, data: &str) -> Result<Delta, GenericError> {
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
        let event: Value = serde_json::from_str(data).map_err(|reason| GenericError::Event {
            reason,
            excerpt: crate::providers::payload::excerpt(data),
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
                    .unwrap_or_else(|| crate::providers::payload::excerpt(&v.to_string())),
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

impl BodyParser for GenericParser {
    fn parse(&mut self, bytes: Option<&[u8]>, out: &mut Vec<Delta>) -> Result<(), BodyError> {
        Ok(self.run(bytes, out)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        assert!(matches!(err, GenericError::Event { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("invalid generic event (expected ident"),
            "{err}"
        );
        assert!(err.to_string().ends_with(": not json"), "{err}");
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
