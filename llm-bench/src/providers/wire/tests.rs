//! The stream parser over every wire format: one delta per unit, usage merging, errors.

use super::*;
use crate::delta::{Delta, Usage};
use crate::framing::eventstream::Message;

fn parse_all(format: WireFormat, body: &[u8]) -> Result<Vec<Delta>, StreamError> {
    let mut parser = StreamParser::new(format);
    let mut out = Vec::new();
    parser.feed(body, &mut out)?;
    parser.finish(&mut out)?;
    Ok(out)
}

fn text(deltas: &[Delta]) -> String {
    deltas.iter().map(|d| d.text.as_str()).collect()
}

#[test]
fn corpus_names_round_trip() {
    for &format in registry::FORMATS {
        assert_eq!(
            WireFormat::from_corpus_name(format.corpus_name()),
            Some(format)
        );
        assert_eq!(format.to_string(), format.corpus_name());
    }
    assert_eq!(WireFormat::from_corpus_name("none"), None);
    assert_eq!(
        WireFormat::from_corpus_name("bedrock_invoke_anthropic"),
        Some(WireFormat::BedrockInvokeAnthropic)
    );
    assert_eq!(WireFormat::GeminiJsonArray.framing(), Framing::JsonArray);
    assert_eq!(WireFormat::BedrockConverse.framing(), Framing::EventStream);
    assert_eq!(WireFormat::OllamaChat.framing(), Framing::Ndjson);
    assert_eq!(WireFormat::Replicate.framing(), Framing::Sse);
}

#[test]
fn every_format_yields_one_delta_per_unit() {
    let cases: [(WireFormat, &[u8], usize, &str); 13] = [
        (WireFormat::OpenAiChat, b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n", 2, "a"),
        (WireFormat::OpenAiCompletions, b"data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\ndata: [DONE]\n\n", 2, "a"),
        (WireFormat::OpenAiResponses, b"event: response.created\ndata: {\"type\":\"response.created\"}\n\nevent: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", 2, "a"),
        (WireFormat::Anthropic, b"event: ping\ndata: {\"type\":\"ping\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n", 2, "a"),
        (WireFormat::GeminiSse, b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n", 1, "a"),
        (WireFormat::GeminiJsonArray, b"[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n,\n{}]", 2, "a"),
        (WireFormat::CohereV2, b"event: content-delta\ndata: {\"type\":\"content-delta\",\"delta\":{\"message\":{\"content\":{\"text\":\"a\"}}}}\n\ndata: [DONE]\n\n", 2, "a"),
        (WireFormat::CohereV1, b"{\"event_type\":\"stream-start\"}\n{\"event_type\":\"text-generation\",\"text\":\"a\"}\n", 2, "a"),
        (WireFormat::OllamaChat, b"{\"message\":{\"content\":\"a\"},\"done\":false}\n\n{\"message\":{\"content\":\"\"},\"done\":true}", 2, "a"),
        (WireFormat::OllamaGenerate, b"{\"response\":\"a\",\"done\":false}\r\n", 1, "a"),
        (WireFormat::Tgi, b"data:{\"token\":{\"text\":\"a\",\"special\":false},\"generated_text\":null,\"details\":null}\n\n", 1, "a"),
        (WireFormat::Replicate, b": hi\n\nevent: output\ndata: \n\nevent: output\ndata: a\n\nevent: done\ndata: {}\n\n", 3, "a"),
        (WireFormat::Watsonx, b"id: 1\nevent: message\ndata: {\"results\":[{\"generated_text\":\"a\",\"generated_token_count\":1,\"input_token_count\":2}]}\n\n", 1, "a"),
    ];
    for (format, body, units, want) in cases {
        let deltas = parse_all(format, body).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(deltas.len(), units, "{format}");
        assert_eq!(text(&deltas), want, "{format}");
    }
}

/// An eventstream body of `(message type, event type, payload)` frames.
fn eventstream(frames: &[(&str, &str, &str)]) -> Vec<u8> {
    use crate::framing::eventstream::HeaderValue;
    frames
        .iter()
        .flat_map(|(message_type, event_type, payload)| {
            let type_header = if *message_type == "exception" {
                ":exception-type"
            } else {
                ":event-type"
            };
            Message::new(payload.as_bytes().to_vec())
                .with_header(type_header, HeaderValue::String((*event_type).into()))
                .with_header(":message-type", HeaderValue::String((*message_type).into()))
                .encode()
                .unwrap()
        })
        .collect()
}

#[test]
fn bedrock_formats_yield_one_delta_per_frame() {
    let body = eventstream(&[
        ("event", "messageStart", r#"{"role":"assistant"}"#),
        (
            "event",
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"a"}}"#,
        ),
        ("event", "messageStop", r#"{"stopReason":"end_turn"}"#),
        (
            "event",
            "metadata",
            r#"{"usage":{"inputTokens":3,"outputTokens":1}}"#,
        ),
    ]);
    let deltas = parse_all(WireFormat::BedrockConverse, &body).unwrap();
    assert_eq!(deltas.len(), 4);
    assert_eq!(text(&deltas), "a");
    assert!(deltas[3].done);
    let mut parser = StreamParser::new(WireFormat::BedrockConverse);
    let mut out = Vec::new();
    for byte in &body {
        parser.feed(std::slice::from_ref(byte), &mut out).unwrap();
    }
    assert_eq!(out, deltas);
    assert_eq!(
        parser.usage(),
        Some(Usage {
            prompt_tokens: Some(3),
            completion_tokens: Some(1),
            reasoning_tokens: None
        })
    );
    // base64 of {"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}
    let body = eventstream(&[
        (
            "event",
            "chunk",
            r#"{"bytes":"eyJ0eXBlIjoiY29udGVudF9ibG9ja19kZWx0YSIsImRlbHRhIjp7InR5cGUiOiJ0ZXh0X2RlbHRhIiwidGV4dCI6ImEifX0="}"#,
        ),
        (
            "exception",
            "throttlingException",
            r#"{"message":"slow down"}"#,
        ),
    ]);
    let deltas = parse_all(WireFormat::BedrockInvokeAnthropic, &body).unwrap();
    assert_eq!(text(&deltas), "a");
    assert_eq!(
        deltas[1].error.as_deref(),
        Some("throttlingException: slow down")
    );
}

#[test]
fn bedrock_errors_are_framing_or_payload_errors() {
    let body = eventstream(&[
        ("event", "contentBlockDelta", r#"{"delta":{"text":"a"}}"#),
        ("event", "contentBlockDelta", r#"{"delta":"#),
    ]);
    let err = parse_all(WireFormat::BedrockConverse, &body).unwrap_err();
    assert!(!err.is_framing());
    assert!(
        matches!(err, StreamError::Payload { index: 1, .. }),
        "{err:?}"
    );
    // A corrupt frame: the frames before it are kept, and the parser is poisoned.
    let mut body = eventstream(&[
        ("event", "contentBlockDelta", r#"{"delta":{"text":"a"}}"#),
        ("event", "contentBlockDelta", r#"{"delta":{"text":"b"}}"#),
    ]);
    let last = body.len() - 1;
    body[last] ^= 1;
    let mut parser = StreamParser::new(WireFormat::BedrockConverse);
    let mut out = Vec::new();
    let err = parser.feed(&body, &mut out).unwrap_err();
    assert!(err.is_framing());
    assert_eq!(err.format(), WireFormat::BedrockConverse);
    assert_eq!(text(&out), "a");
    assert!(
        err.to_string().starts_with(
            "malformed bedrock_converse_eventstream stream: eventstream frame at byte "
        ),
        "{err}"
    );
    assert_eq!(parser.finish(&mut out), Err(err));
    // Cut short.
    let body = eventstream(&[("event", "chunk", "{}")]);
    let err = parse_all(WireFormat::BedrockInvokeAnthropic, &body[..body.len() - 1]).unwrap_err();
    assert!(matches!(
        err,
        StreamError::EventStream {
            source: EventStreamError::Incomplete { .. },
            ..
        }
    ));
    // Frames over the limit.
    let mut parser = StreamParser::with_max_unit_len(WireFormat::BedrockConverse, 64);
    let body = eventstream(&[("event", "metadata", &"x".repeat(64))]);
    let err = parser.feed(&body, &mut Vec::new()).unwrap_err();
    assert!(matches!(
        err,
        StreamError::EventStream {
            source: EventStreamError::FrameTooLarge { limit: 64, .. },
            ..
        }
    ));
}

#[test]
fn usage_is_merged_over_the_stream() {
    let body = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":17,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":171}}\n\n";
    let mut parser = StreamParser::new(WireFormat::Anthropic);
    let mut out = Vec::new();
    parser.feed(body, &mut out).unwrap();
    let want = Usage {
        prompt_tokens: Some(17),
        completion_tokens: Some(171),
        reasoning_tokens: None,
    };
    assert_eq!(out[1].usage, Some(want));
    assert_eq!(parser.usage(), Some(want));
    assert_eq!(parser.units(), 2);
    parser.finish(&mut out).unwrap();
    // Reset for a new stream.
    assert_eq!((parser.usage(), parser.units()), (None, 0));
}

#[test]
fn payload_errors_carry_the_unit_index_and_poison() {
    let mut parser = StreamParser::new(WireFormat::OpenAiChat);
    let mut out = Vec::new();
    let body =
        b"data: {\"choices\":[]}\n\ndata: {\"choices\":[]}\n\ndata: not json\n\ndata: [DONE]\n\n";
    let err = parser.feed(body, &mut out).unwrap_err();
    assert_eq!(out.len(), 2);
    assert!(!err.is_framing());
    assert_eq!(err.format(), WireFormat::OpenAiChat);
    assert!(
        matches!(err, StreamError::Payload { index: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("invalid openai_chat event #2: "),
        "{err}"
    );
    assert_eq!(parser.feed(b"data: [DONE]\n\n", &mut out), Err(err.clone()));
    assert_eq!(parser.finish(&mut out), Err(err));
    assert_eq!(out.len(), 2);
}

#[test]
fn framing_errors_keep_the_units_before_them() {
    let mut parser = StreamParser::with_max_unit_len(WireFormat::OllamaChat, 64);
    let mut out = Vec::new();
    let mut body = b"{\"message\":{\"content\":\"a\"}}\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', 100));
    let err = parser.feed(&body, &mut out).unwrap_err();
    assert!(err.is_framing());
    assert_eq!(text(&out), "a");
    assert_eq!(
        err.to_string(),
        "malformed ollama_chat stream: NDJSON line longer than 64 bytes"
    );
    let err = parse_all(WireFormat::GeminiJsonArray, b"[{\"candidates\":[]}").unwrap_err();
    assert!(matches!(
        err,
        StreamError::JsonArray {
            source: JsonArrayError::Incomplete,
            ..
        }
    ));
    let err = parse_all(WireFormat::GeminiSse, &[b'x'; 2 << 20]).unwrap_err();
    assert!(matches!(err, StreamError::Sse { .. }));
}

#[test]
fn error_messages_are_short() {
    let body = format!(
        "data: {{\"choices\": 5, \"pad\": \"{}\"}}\n\n",
        "é".repeat(100_000)
    );
    let err = parse_all(WireFormat::OpenAiChat, body.as_bytes()).unwrap_err();
    assert!(err.to_string().len() < 700, "{}", err.to_string().len());
    let body = format!("{{\"response\": 5, \"x\": [{}]}}\n", "1,".repeat(100_000));
    let err = parse_all(WireFormat::OllamaGenerate, body.as_bytes()).unwrap_err();
    assert!(err.to_string().len() < 700);
}

#[test]
fn api_errors_are_deltas_not_stream_errors() {
    let deltas = parse_all(
        WireFormat::Anthropic,
        b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
    )
    .unwrap();
    assert_eq!(deltas[0].error.as_deref(), Some("Overloaded"));
    let deltas = parse_all(WireFormat::OllamaChat, b"{\"error\":\"out of memory\"}\n").unwrap();
    assert_eq!(deltas[0].error.as_deref(), Some("out of memory"));
}

/// The example the module documentation gave: a read may end inside an event.
#[test]
fn a_parser_reads_events_split_across_reads() -> Result<(), crate::providers::wire::StreamError> {
    use crate::providers::wire::{StreamParser, WireFormat};

    let mut parser = StreamParser::new(WireFormat::Anthropic);
    let mut deltas = Vec::new();
    parser.feed(b"event: ping\ndata: {\"type\": \"ping\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_de", &mut deltas)?;
    assert_eq!(deltas.len(), 1); // the ping, not output
    parser.feed(
        b"lta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
        &mut deltas,
    )?;
    parser.finish(&mut deltas)?;
    assert_eq!(deltas[1].text, "Hi");
    Ok(())
}

/// Sidecar names map to formats.
#[test]
fn corpus_names_map_to_formats() {
    use crate::providers::wire::WireFormat;
    assert_eq!(
        WireFormat::from_corpus_name("cohere_v2"),
        Some(WireFormat::CohereV2)
    );
    assert_eq!(
        WireFormat::from_corpus_name("bedrock_converse_eventstream"),
        Some(WireFormat::BedrockConverse)
    );
    assert_eq!(WireFormat::from_corpus_name("none"), None);
}
