//! The Bedrock parsers' tests: frames built with [`Message::encode`]'s type.

use base64::Engine;

use super::{converse, invoke};
use crate::delta::{Delta, Usage};
use crate::framing::eventstream::{HeaderValue, Message};

fn event(event_type: &str, payload: &str) -> Message {
    Message::new(payload.as_bytes().to_vec())
        .with_header(":event-type", HeaderValue::String(event_type.into()))
        .with_header(
            ":content-type",
            HeaderValue::String("application/json".into()),
        )
        .with_header(":message-type", HeaderValue::String("event".into()))
}

fn chunk(anthropic_event: &str) -> Message {
    event(
        "chunk",
        &format!(
            r#"{{"bytes":"{}","p":"abcd"}}"#,
            base64::engine::general_purpose::STANDARD.encode(anthropic_event)
        ),
    )
}

fn usage(prompt: u64, completion: u64) -> Option<Usage> {
    Some(Usage {
        prompt_tokens: Some(prompt),
        completion_tokens: Some(completion),
        reasoning_tokens: None,
    })
}

#[test]
fn converse_text_reasoning_and_tool_deltas() {
    let d = converse::parse_frame(&event(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"text":"Okay"},"p":"abcdefghijklmnopqrstuvwxyzABCDE"}"#,
    ))
    .unwrap();
    assert_eq!(d.text, "Okay");
    assert!(d.is_answer());
    let d = converse::parse_frame(&event(
        "contentBlockDelta",
        r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Let me"}}}"#,
    ))
    .unwrap();
    assert_eq!(d.reasoning, "Let me");
    assert!(d.is_output() && !d.is_answer());
    let d = converse::parse_frame(&event(
        "contentBlockDelta",
        r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"locati"}}}"#,
    ))
    .unwrap();
    assert_eq!(d.tool_arguments, "{\"locati");
    assert!(d.is_output() && !d.is_answer());
}

#[test]
fn converse_non_output_events() {
    for (event_type, payload) in [
        (
            "messageStart",
            r#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHI","role":"assistant"}"#,
        ),
        (
            "contentBlockStart",
            r#"{"contentBlockIndex":1,"start":{"toolUse":{"name":"get_weather","toolUseId":"tooluse_yypYDr71TwCwByoyao4-Vg"}}}"#,
        ),
        (
            "contentBlockDelta",
            r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":""}}}"#,
        ),
        (
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"EqQB"}}}"#,
        ),
        ("contentBlockStop", r#"{"contentBlockIndex":0,"p":"abc"}"#),
        ("futureEvent", r#"{"delta":{"text":"not text"}}"#),
        ("messageStart", ""),
    ] {
        let d = converse::parse_frame(&event(event_type, payload)).unwrap();
        assert_eq!(d, Delta::default(), "{event_type} {payload}");
    }
}

#[test]
fn converse_stop_and_metadata() {
    let d = converse::parse_frame(&event(
        "messageStop",
        r#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","stopReason":"tool_use"}"#,
    ))
    .unwrap();
    assert_eq!(d.finish_reason.as_deref(), Some("tool_use"));
    assert!(!d.done && !d.is_output());
    let d = converse::parse_frame(&event(
        "metadata",
        r#"{"metrics":{"latencyMs":1176},"usage":{"inputTokens":236,"outputTokens":58,"serverToolUsage":{},"totalTokens":294}}"#,
    ))
    .unwrap();
    assert_eq!(d.usage, usage(236, 58));
    assert!(d.done && !d.is_output());
}

#[test]
fn exceptions_and_errors_are_deltas() {
    let exception = Message::new(
        br#"{"message":"Too many requests, please wait before trying again."}"#.to_vec(),
    )
    .with_header(
        ":exception-type",
        HeaderValue::String("throttlingException".into()),
    )
    .with_header(
        ":content-type",
        HeaderValue::String("application/json".into()),
    )
    .with_header(":message-type", HeaderValue::String("exception".into()));
    for parse in [converse::parse_frame, invoke::parse_frame] {
        let d = parse(&exception).unwrap();
        assert_eq!(
            d.error.as_deref(),
            Some("throttlingException: Too many requests, please wait before trying again.")
        );
    }
    let bare = Message::new(Vec::new())
        .with_header(":message-type", HeaderValue::String("exception".into()))
        .with_header(
            ":exception-type",
            HeaderValue::String("internalServerException".into()),
        );
    assert_eq!(
        converse::parse_frame(&bare).unwrap().error.as_deref(),
        Some("internalServerException")
    );
    let error = Message::new(Vec::new())
        .with_header(":message-type", HeaderValue::String("error".into()))
        .with_header(":error-code", HeaderValue::String("InternalFailure".into()))
        .with_header(":error-message", HeaderValue::String("boom".into()));
    assert_eq!(
        converse::parse_frame(&error).unwrap().error.as_deref(),
        Some("InternalFailure: boom")
    );
    // An unknown message type is skipped.
    let other = Message::new(b"\xff".to_vec())
        .with_header(":message-type", HeaderValue::String("future".into()));
    assert_eq!(converse::parse_frame(&other).unwrap(), Delta::default());
}

#[test]
fn invoke_reuses_the_anthropic_mapping() {
    let d = invoke::parse_frame(&chunk(
        r#"{"type":"message_start","message":{"id":"msg_bdrk_014eJfxWXNnxFKhmuiT8FYf7","type":"message","role":"assistant","content":[],"usage":{"input_tokens":16,"output_tokens":1}}}"#,
    ))
    .unwrap();
    assert_eq!(d.usage, usage(16, 1));
    assert!(!d.is_output());
    let d = invoke::parse_frame(&chunk(
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ))
    .unwrap();
    assert!(!d.is_output());
    let d = invoke::parse_frame(&chunk(
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Why"}}"#,
    ))
    .unwrap();
    assert_eq!(d.text, "Why");
    let d = invoke::parse_frame(&chunk(
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a"}}"#,
    ))
    .unwrap();
    assert_eq!(d.tool_arguments, "{\"a");
    let d = invoke::parse_frame(&chunk(
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":21}}"#,
    ))
    .unwrap();
    assert_eq!(d.finish_reason.as_deref(), Some("end_turn"));
    // The invocation metrics of the last event give its usage.
    let d = invoke::parse_frame(&chunk(
        r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":16,"outputTokenCount":21,"invocationLatency":738,"firstByteLatency":378}}"#,
    ))
    .unwrap();
    assert!(d.done);
    assert_eq!(d.usage, usage(16, 21));
    // An Anthropic error event, wrapped.
    let d = invoke::parse_frame(&chunk(
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    ))
    .unwrap();
    assert_eq!(d.error.as_deref(), Some("Overloaded"));
    // Other event types are skipped.
    assert_eq!(
        invoke::parse_frame(&event("future", "{}")).unwrap(),
        Delta::default()
    );
}

#[test]
fn invalid_payloads_are_errors() {
    for (event_type, payload) in [
        ("contentBlockDelta", &b"{\"delta\":"[..]),
        ("contentBlockDelta", b"{\"delta\":{\"text\":\"\xff\"}}"),
    ] {
        let frame = Message::new(payload.to_vec())
            .with_header(":event-type", HeaderValue::String(event_type.into()));
        assert!(converse::parse_frame(&frame).is_err(), "{payload:?}");
    }
    for payload in [
        r#"{"bytes":"not base64!"}"#,
        r#"{"bytes":"/w=="}"#,         // 0xFF: not UTF-8
        r#"{"bytes":"eyJ0eXBlIjo="}"#, // {"type": (cut JSON)
        r#"{"bytes":"#,
    ] {
        let err = invoke::parse_frame(&event("chunk", payload)).unwrap_err();
        assert!(!err.excerpt.is_empty(), "{payload}: {err}");
    }
    // Padding is optional.
    let d = invoke::parse_frame(&event(
        "chunk",
        r#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0"}"#,
    ))
    .unwrap();
    assert!(d.done);
}

#[test]
fn doc_examples() {
    let frame = Message::new(br#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#.to_vec())
        .with_header(
            ":event-type",
            HeaderValue::String("contentBlockDelta".into()),
        )
        .with_header(":message-type", HeaderValue::String("event".into()));
    assert_eq!(converse::parse_frame(&frame).unwrap().text, "Hi");
    // base64 of {"type":"message_stop"}
    let frame = Message::new(br#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="}"#.to_vec())
        .with_header(":event-type", HeaderValue::String("chunk".into()))
        .with_header(":message-type", HeaderValue::String("event".into()));
    assert!(invoke::parse_frame(&frame).unwrap().done);
    let throttled = Message::new(br#"{"message":"Too many requests"}"#.to_vec())
        .with_header(
            ":exception-type",
            HeaderValue::String("throttlingException".into()),
        )
        .with_header(":message-type", HeaderValue::String("exception".into()));
    assert_eq!(
        invoke::parse_frame(&throttled).unwrap().error.as_deref(),
        Some("throttlingException: Too many requests")
    );
}
