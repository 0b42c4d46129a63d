//! The cross-check between the two sides: every dialect but OpenAI Chat (whose tests are
//! in the parent module) and reasoning, the mock's bytes read back with the client side's
//! own [`StreamParser`] and [`Client`](crate::providers::Client)s, and the accuracy proof:
//! what the harness's timing path measures against the mock's recorded truth, with
//! reasoning, for each dialect. The only place the mock meets the client side.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use super::*;
use crate::delta::{Delta, Usage};
use crate::metrics::{Recorder, RequestSample};
use crate::mock::answer::DEFAULT_REASONING_TOKENS;
use crate::mock::text::{reasoning_token_text, token_text};
use crate::providers::wire::{StreamParser, WireFormat};

/// The server's OpenAI chat-completions URL.
fn openai_url(server: &MockServer) -> String {
    format!("{}/chat/completions", server.base_url())
}

/// The server's Anthropic Messages URL.
fn anthropic_url(server: &MockServer) -> String {
    format!("{}/v1/messages", server.root_url())
}

/// The server's Gemini URL of model `gemini-test` and this method.
fn gemini_url(server: &MockServer, method: &str) -> String {
    format!("{}/models/gemini-test:{method}", server.gemini_base_url())
}

/// Posts `body` as JSON to `url`.
async fn post(url: &str, body: &Value) -> reqwest::Response {
    client()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the mock answers")
}

/// What a stream parsed into.
#[derive(Debug, Default)]
struct Parsed {
    deltas: Vec<Delta>,
    text: String,
    reasoning: String,
    usage: Option<Usage>,
    finish_reason: Option<String>,
    /// Index of the first delta that is output of any kind.
    first_output: Option<usize>,
    /// Index of the first answer delta.
    first_answer: Option<usize>,
}

/// Parses a whole body with the crate's parser, fed in reads of 7 bytes (so nothing depends
/// on the body arriving in one piece).
fn parse(format: WireFormat, body: &[u8]) -> Parsed {
    let mut parser = StreamParser::new(format);
    let mut deltas = Vec::new();
    for piece in body.chunks(7) {
        parser.feed(piece, &mut deltas).expect("a valid stream");
    }
    parser.finish(&mut deltas).expect("a complete stream");
    let mut p = Parsed::default();
    for (i, d) in deltas.iter().enumerate() {
        assert!(d.error.is_none(), "{d:?}");
        p.text.push_str(&d.text);
        p.reasoning.push_str(&d.reasoning);
        if d.usage.is_some() {
            p.usage = d.usage;
        }
        if d.finish_reason.is_some() {
            p.finish_reason.clone_from(&d.finish_reason);
        }
        if d.is_output() && p.first_output.is_none() {
            p.first_output = Some(i);
        }
        if d.is_answer() && p.first_answer.is_none() {
            p.first_answer = Some(i);
        }
    }
    p.deltas = deltas;
    p
}

/// The body of the stream `url` answers `body` with, and what the crate's parser makes of it.
async fn stream(url: &str, body: &Value, format: WireFormat) -> (String, Parsed) {
    let resp = post(url, body).await;
    assert_eq!(resp.status(), 200, "{url}");
    let content_type = resp.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.bytes().await.expect("a body");
    (content_type, parse(format, &bytes))
}

/// The usage a parser should report.
fn usage(prompt: u64, completion: u64, reasoning: Option<u64>) -> Option<Usage> {
    Some(Usage {
        prompt_tokens: Some(prompt),
        completion_tokens: Some(completion),
        reasoning_tokens: reasoning,
    })
}

/// An Anthropic Messages request: a system prompt and one user message (9 prompt words).
fn anthropic_body(stream: bool) -> Value {
    json!({
        "model": "claude-test",
        "max_tokens": 2048,
        "system": "You are terse.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "How do I reset my password?"}]}],
        "stream": stream,
    })
}

/// A Gemini request: a system instruction and one user turn (9 prompt words).
fn gemini_body() -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "You are terse."}]},
        "contents": [{"role": "user", "parts": [{"text": "How do I reset my password?"}]}],
    })
}

/// A streamed chat-completions request (a system and a user message), usage asked for.
fn openai_body() -> Value {
    json!({
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "How do I reset my password?"}
        ],
        "stream": true,
        "stream_options": {"include_usage": true},
    })
}

#[tokio::test]
async fn anthropic_stream_reads_back() {
    let server = MockServer::start(fast()).await.expect("started");
    let url = anthropic_url(&server);
    let resp = post(&url, &anthropic_body(true)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("request-id"));
    let raw = resp.text().await.expect("a body");
    let names: Vec<&str> = raw
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (first, data) = e.split_once('\n').expect("event and data lines");
            let name = first.strip_prefix("event: ").expect("a named event");
            let data = json_of(data.strip_prefix("data: ").expect("a data line"));
            assert_eq!(data["type"], name, "the name is the payload's type");
            name
        })
        .collect();
    let mut want = vec!["message_start", "content_block_start", "ping"];
    want.extend(["content_block_delta"; 10]);
    want.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, want);

    let p = parse(WireFormat::Anthropic, raw.as_bytes());
    assert_eq!(p.text, expected_text(7, 10));
    assert_eq!(p.reasoning, "");
    // "You are terse." (3 words) + "How do I reset my password?" (6 words)
    assert_eq!(p.usage, usage(9, 10, None));
    assert_eq!(p.finish_reason.as_deref(), Some("end_turn"));
    assert_eq!((p.first_output, p.first_answer), (Some(3), Some(3)));
    assert!(p.deltas.last().is_some_and(|d| d.done));

    // max_tokens cuts the answer.
    let mut body = anthropic_body(true);
    body["max_tokens"] = json!(4);
    let (ct, p) = stream(&url, &body, WireFormat::Anthropic).await;
    assert_eq!(ct, "text/event-stream; charset=utf-8");
    assert_eq!(p.text, expected_text(7, 4));
    assert_eq!(p.finish_reason.as_deref(), Some("max_tokens"));

    let truth = server.truth();
    assert_eq!(truth.len(), 2);
    let t = &truth[0];
    assert_eq!(t.dialect, Dialect::Anthropic);
    assert_eq!(t.model, "claude-test");
    assert_eq!((t.planned_tokens, t.reasoning_tokens), (10, 0));
    assert_eq!(t.token_sent_at.len(), 10);
    assert_eq!(t.first_answer_index(), Some(0));
    assert_eq!(t.ttft(), t.ttfo());
    assert!(t.completed && t.streamed && t.include_usage);
    server.shutdown().await;
}

#[tokio::test]
async fn anthropic_thinking_streams_first() {
    let server = MockServer::start(fast().reasoning_tokens(4))
        .await
        .expect("started");
    let url = anthropic_url(&server);
    // The profile's reasoning shows only when the request enables thinking.
    let (_, p) = stream(&url, &anthropic_body(true), WireFormat::Anthropic).await;
    assert_eq!((p.reasoning.as_str(), p.first_answer), ("", Some(3)));

    let mut body = anthropic_body(true);
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let (_, p) = stream(&url, &body, WireFormat::Anthropic).await;
    assert_eq!(p.reasoning, expected_reasoning(7, 4));
    assert_eq!(p.text, expected_text(7, 10));
    // Anthropic counts thinking in output_tokens.
    assert_eq!(p.usage, usage(9, 14, None));
    // message_start, content_block_start, ping, then 4 thinking deltas; then the signature,
    // content_block_stop and the text block's start, then the first text delta.
    assert_eq!(p.first_output, Some(3));
    assert_eq!(p.first_answer, Some(10));
    assert_eq!(p.deltas.len(), 3 + 4 + 3 + 10 + 3);

    // Not streaming: a thinking block, then the text.
    let mut body = anthropic_body(false);
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let resp = post(&url, &body).await;
    assert_eq!(resp.status(), 200);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["type"], "message");
    assert_eq!(v["content"][0]["type"], "thinking");
    assert_eq!(v["content"][0]["thinking"], expected_reasoning(7, 4));
    assert!(v["content"][0]["signature"].as_str().is_some());
    assert_eq!(
        v["content"][1],
        json!({"type": "text", "text": expected_text(7, 10)})
    );
    assert_eq!(v["usage"]["output_tokens"], 14);
    assert_eq!(v["usage"]["input_tokens"], 9);
    assert_eq!(v["stop_reason"], "end_turn");

    let truth = server.truth();
    let t = &truth[1];
    assert_eq!((t.planned_tokens, t.reasoning_tokens), (14, 4));
    assert!(t.reasoning_streamed);
    assert_eq!(t.token_sent_at.len(), 14);
    assert_eq!(t.first_answer_index(), Some(4));
    assert!(t.is_reasoning(3) && !t.is_reasoning(4));
    assert!(t.ttfo() > t.ttft());

    // A profile without reasoning: thinking gets the default count.
    server.set_profile(fast());
    let mut body = anthropic_body(true);
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 1500});
    let (_, p) = stream(&url, &body, WireFormat::Anthropic).await;
    assert_eq!(p.reasoning, expected_reasoning(7, DEFAULT_REASONING_TOKENS));
    server.shutdown().await;
}

#[tokio::test]
async fn anthropic_errors_have_anthropic_shape() {
    let server = MockServer::start(fast()).await.expect("started");
    let url = anthropic_url(&server);
    let mut no_max = anthropic_body(true);
    no_max.as_object_mut().map(|o| o.remove("max_tokens"));
    let mut low_budget = anthropic_body(true);
    low_budget["thinking"] = json!({"type": "enabled", "budget_tokens": 100});
    let mut big_budget = anthropic_body(true);
    big_budget["thinking"] = json!({"type": "enabled", "budget_tokens": 4096});
    let mut no_budget = anthropic_body(true);
    no_budget["thinking"] = json!({"type": "enabled"});
    let mut bad_type = anthropic_body(true);
    bad_type["thinking"] = json!({"type": "sometimes"});
    let mut zero = anthropic_body(true);
    zero["max_tokens"] = json!(0);
    let mut no_messages = anthropic_body(true);
    no_messages["messages"] = json!([]);
    for (body, needle) in [
        (no_max, "max_tokens: Field required"),
        (low_budget, "budget_tokens"),
        (big_budget, "max_tokens"),
        (no_budget, "budget_tokens"),
        (bad_type, "thinking"),
        (zero, "max_tokens"),
        (no_messages, "messages"),
        (json!("not an object"), "parsing"),
    ] {
        let resp = post(&url, &body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let v = json_of(&resp.text().await.expect("a body"));
        assert_eq!(v["type"], "error", "{v}");
        assert_eq!(v["error"]["type"], "invalid_request_error", "{v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{message}");
    }
    assert!(server
        .truth()
        .iter()
        .all(|t| t.status == 400 && t.dialect == Dialect::Anthropic && t.token_sent_at.is_empty()));

    server.set_profile(fast().error_rate(1.0));
    let resp = post(&url, &anthropic_body(true)).await;
    assert_eq!(resp.status(), 500);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "api_error");
    server.shutdown().await;
}

#[tokio::test]
async fn gemini_sse_reads_back() {
    let server = MockServer::start(fast()).await.expect("started");
    let url = format!("{}?alt=sse", gemini_url(&server, "streamGenerateContent"));
    let resp = post(&url, &gemini_body()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().ok(),
        Some("text/event-stream")
    );
    let raw = resp.text().await.expect("a body");
    // CRLF framing, like every recorded Gemini stream; no terminator.
    assert!(raw.ends_with("}\r\n\r\n"));
    let events: Vec<&str> = raw.split("\r\n\r\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 10);
    for (i, e) in events.iter().enumerate() {
        let v = json_of(e.strip_prefix("data: ").expect("a data event"));
        assert_eq!(v["candidates"][0]["content"]["role"], "model");
        assert_eq!(
            v["usageMetadata"]["promptTokenCount"], 9,
            "usage on every chunk"
        );
        assert_eq!(v["usageMetadata"]["candidatesTokenCount"], i + 1);
        assert_eq!(v["modelVersion"], "gemini-test");
        let finish = &v["candidates"][0]["finishReason"];
        assert_eq!(*finish == json!("STOP"), i == 9, "{v}");
    }
    let p = parse(WireFormat::GeminiSse, raw.as_bytes());
    assert_eq!(p.text, expected_text(7, 10));
    assert_eq!(p.usage, usage(9, 10, None));
    assert_eq!(p.finish_reason.as_deref(), Some("STOP"));
    assert_eq!((p.first_output, p.first_answer), (Some(0), Some(0)));

    // Without alt=sse: one streamed JSON array.
    let (ct, p) = stream(
        &gemini_url(&server, "streamGenerateContent"),
        &gemini_body(),
        WireFormat::GeminiJsonArray,
    )
    .await;
    assert!(ct.starts_with("application/json"), "{ct}");
    assert_eq!(p.text, expected_text(7, 10));
    assert_eq!(p.deltas.len(), 10);

    // maxOutputTokens cuts it.
    let mut body = gemini_body();
    body["generationConfig"] = json!({"maxOutputTokens": 3});
    let (_, p) = stream(&url, &body, WireFormat::GeminiSse).await;
    assert_eq!(p.text, expected_text(7, 3));
    assert_eq!(p.finish_reason.as_deref(), Some("MAX_TOKENS"));

    // Not streaming, also under /v1.
    let resp = post(
        &format!("{}/models/gemini-test:generateContent", server.base_url()),
        &gemini_body(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(
        v["candidates"][0]["content"]["parts"],
        json!([{"text": expected_text(7, 10)}])
    );
    assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 10);
    assert_eq!(v["usageMetadata"]["totalTokenCount"], 19);

    let truth = server.truth();
    assert!(truth
        .iter()
        .all(|t| t.dialect == Dialect::Gemini && t.model == "gemini-test"));
    assert_eq!(truth[0].token_sent_at.len(), 10);
    assert!(truth[0].ttfb() <= truth[0].ttft().expect("tokens"));
    server.shutdown().await;
}

#[tokio::test]
async fn gemini_thoughts() {
    let server = MockServer::start(fast().reasoning_tokens(4))
        .await
        .expect("started");
    let url = format!("{}?alt=sse", gemini_url(&server, "streamGenerateContent"));
    let mut body = gemini_body();
    body["generationConfig"] = json!({"thinkingConfig": {"includeThoughts": true}});
    let (_, p) = stream(&url, &body, WireFormat::GeminiSse).await;
    assert_eq!(p.reasoning, expected_reasoning(7, 4));
    assert_eq!(p.text, expected_text(7, 10));
    // Gemini counts thoughts apart from the candidates.
    assert_eq!(p.usage, usage(9, 10, Some(4)));
    assert_eq!((p.first_output, p.first_answer), (Some(0), Some(4)));

    // Without includeThoughts the model thinks silently: counted, not sent, and later.
    let (_, p) = stream(&url, &gemini_body(), WireFormat::GeminiSse).await;
    assert_eq!(p.reasoning, "");
    assert_eq!(p.text, expected_text(7, 10));
    assert_eq!(p.usage, usage(9, 10, Some(4)));
    assert_eq!(p.deltas.len(), 10);

    // thinkingBudget 0 turns thinking off.
    body["generationConfig"] = json!({"thinkingConfig": {"thinkingBudget": 0}});
    let (_, p) = stream(&url, &body, WireFormat::GeminiSse).await;
    assert_eq!(p.usage, usage(9, 10, None));

    // Thinking that uses up maxOutputTokens: no part at all, one final chunk.
    body["generationConfig"] = json!({"maxOutputTokens": 3});
    let (_, p) = stream(&url, &body, WireFormat::GeminiSse).await;
    assert_eq!((p.text.as_str(), p.deltas.len()), ("", 1));
    assert_eq!(p.finish_reason.as_deref(), Some("MAX_TOKENS"));
    assert_eq!(p.usage.and_then(|u| u.reasoning_tokens), Some(3));

    // Not streaming, with thoughts.
    body["generationConfig"] = json!({"thinkingConfig": {"includeThoughts": true}});
    let resp = post(&gemini_url(&server, "generateContent"), &body).await;
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(
        v["candidates"][0]["content"]["parts"],
        json!([{"text": expected_reasoning(7, 4), "thought": true}, {"text": expected_text(7, 10)}])
    );
    assert_eq!(v["usageMetadata"]["thoughtsTokenCount"], 4);

    let truth = server.truth();
    let (shown, hidden, none) = (&truth[0], &truth[1], &truth[3]);
    assert!(shown.reasoning_streamed && !hidden.reasoning_streamed);
    assert_eq!(shown.first_answer_index(), Some(4));
    assert_eq!(hidden.first_answer_index(), Some(0));
    assert_eq!(
        (hidden.reasoning_tokens, hidden.token_sent_at.len()),
        (4, 10)
    );
    // The hidden thinking took 4 tokens' time: first token at TTFT + 4 gaps.
    assert!(hidden.ttft().expect("tokens") >= ms(28));
    assert!(none.token_sent_at.is_empty() && none.completed);
    assert!(none.e2e().expect("finished") >= ms(24)); // TTFT + 2 gaps
    server.shutdown().await;
}

#[tokio::test]
async fn gemini_errors_have_google_shape() {
    let server = MockServer::start(fast()).await.expect("started");
    let url = format!("{}?alt=sse", gemini_url(&server, "streamGenerateContent"));
    for body in [
        json!({}),
        json!({"contents": []}),
        json!({"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"maxOutputTokens": 0}}),
        json!({"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"thinkingConfig": {"thinkingBudget": -7}}}),
        json!([1, 2]),
    ] {
        let resp = post(&url, &body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let v = json_of(&resp.text().await.expect("a body"));
        assert_eq!(v["error"]["code"], 400, "{v}");
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT", "{v}");
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let resp = post(&gemini_url(&server, "countTokens"), &gemini_body()).await;
    assert_eq!(resp.status(), 404);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["error"]["status"], "NOT_FOUND");

    server.set_profile(fast().error_rate(1.0));
    let resp = post(&url, &gemini_body()).await;
    assert_eq!(resp.status(), 500);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["error"]["status"], "INTERNAL");
    server.shutdown().await;
}

#[tokio::test]
async fn openai_reasoning_content() {
    let server = MockServer::start(fast().reasoning_tokens(3))
        .await
        .expect("started");
    let url = openai_url(&server);
    let (_, p) = stream(&url, &openai_body(), WireFormat::OpenAiChat).await;
    assert_eq!(p.reasoning, expected_reasoning(7, 3));
    assert_eq!(p.text, expected_text(7, 10));
    // completion_tokens includes the reasoning, counted again in the details.
    assert_eq!(p.usage, usage(9, 13, Some(3)));
    // The role-only chunk, then 3 reasoning chunks.
    assert_eq!((p.first_output, p.first_answer), (Some(1), Some(4)));
    assert_eq!(p.finish_reason.as_deref(), Some("stop"));

    // reasoning_effort "none" turns it off.
    let mut body = openai_body();
    body["reasoning_effort"] = json!("none");
    let (_, p) = stream(&url, &body, WireFormat::OpenAiChat).await;
    assert_eq!((p.reasoning.as_str(), p.usage), ("", usage(9, 10, None)));

    // max_completion_tokens counts the reasoning.
    let mut body = openai_body();
    body["max_completion_tokens"] = json!(5);
    let (_, p) = stream(&url, &body, WireFormat::OpenAiChat).await;
    assert_eq!(p.reasoning, expected_reasoning(7, 3));
    assert_eq!(p.text, expected_text(7, 2));
    assert_eq!(p.finish_reason.as_deref(), Some("length"));

    // Not streaming: message.reasoning_content.
    let mut body = openai_body();
    body["stream"] = json!(false);
    let v = json_of(&post(&url, &body).await.text().await.expect("a body"));
    assert_eq!(
        v["choices"][0]["message"]["reasoning_content"],
        expected_reasoning(7, 3)
    );
    assert_eq!(
        v["usage"]["completion_tokens_details"]["reasoning_tokens"],
        3
    );

    // A profile without reasoning: reasoning_effort asks for the default count.
    server.set_profile(fast());
    let mut body = openai_body();
    body["reasoning_effort"] = json!("low");
    let (_, p) = stream(&url, &body, WireFormat::OpenAiChat).await;
    assert_eq!(p.reasoning, expected_reasoning(7, DEFAULT_REASONING_TOKENS));
    let (_, p) = stream(&url, &openai_body(), WireFormat::OpenAiChat).await;
    assert_eq!(p.reasoning, "");
    body["reasoning_effort"] = json!("extreme");
    assert_eq!(post(&url, &body).await.status(), 400);

    let truth = server.truth();
    let t = &truth[0];
    assert_eq!(t.dialect, Dialect::OpenAi);
    assert_eq!((t.planned_tokens, t.reasoning_tokens), (13, 3));
    assert_eq!(t.first_answer_index(), Some(3));
    server.shutdown().await;
}

#[tokio::test]
async fn reasoning_truth_puts_ttfo_after_the_reasoning() {
    let _alone = crate::test_support::exclusive().await;
    let profile = LatencyProfile::default()
        .ttft(ms(20))
        .itl(ms(5))
        .output_tokens(5)
        .reasoning_tokens(6);
    let server = MockServer::start(profile).await.expect("started");
    let _ = stream(&openai_url(&server), &openai_body(), WireFormat::OpenAiChat).await;
    let t = &server.truth()[0];
    let (ttft, ttfo) = (t.ttft().expect("a token"), t.ttfo().expect("an answer"));
    // 6 reasoning tokens: the first answer token is planned 6 gaps after the first token,
    // at 20 + 6 * 5 = 50 ms. No token is ever early; the first may be late by a timer tick.
    assert!(ttft >= ms(20));
    assert!(ttfo >= ms(50), "TTFO {ttfo:?}");
    let lag = ttfo - ttft;
    assert!(lag >= ms(25), "TTFO - TTFT = {lag:?}");
    assert!(lag < ms(30) + ms(200), "TTFO - TTFT = {lag:?}");
    server.shutdown().await;
}

#[test]
fn env_grammar_reasoning() {
    let p = LatencyProfile::parse("ttft=50ms,itl=10ms,reasoning=5,tokens=15").expect("valid");
    assert_eq!((p.reasoning_tokens, p.output_tokens), (5, 15));
    assert_eq!(LatencyProfile::parse(&p.to_string()).expect("valid"), p);
    assert!(p.to_string().contains("reasoning=5"));
    assert_eq!(
        LatencyProfile::parse("reasoning=0").expect("valid"),
        LatencyProfile::default()
    );
    assert!(!LatencyProfile::default().to_string().contains("reasoning"));
    for bad in ["reasoning=-1", "reasoning=x", "reasoning=1.5", "reasoning="] {
        match LatencyProfile::parse(bad) {
            Err(ProfileError::InvalidValue { key, .. }) => assert_eq!(key, "reasoning"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(
        LatencyProfile::parse("reasoning=1,reasoning=2"),
        Err(ProfileError::DuplicateKey {
            key: "reasoning".into()
        })
    );
    let msg = LatencyProfile::parse("thinking=3")
        .expect_err("unknown")
        .to_string();
    assert!(msg.contains("reasoning"), "{msg}");
}

/// Times one streamed request the way the harness does: timestamps taken right after each
/// read, before parsing, through [`Recorder`].
async fn timed(request: reqwest::RequestBuilder, format: WireFormat) -> RequestSample {
    let invoked = quanta::Instant::now();
    let mut rec = Recorder::new(invoked, false);
    rec.start(quanta::Instant::now());
    let resp = request.send().await.expect("the mock answers");
    rec.headers(quanta::Instant::now());
    assert_eq!(resp.status(), 200);
    let mut parser = StreamParser::new(format);
    let mut deltas = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(read) = body.next().await {
        let bytes = read.expect("a readable body");
        let at = quanta::Instant::now();
        parser.feed(&bytes, &mut deltas).expect("a valid stream");
        for d in deltas.drain(..) {
            rec.delta(at, &d);
        }
    }
    let at = quanta::Instant::now();
    parser.finish(&mut deltas).expect("a complete stream");
    for d in deltas.drain(..) {
        rec.delta(at, &d);
    }
    rec.end(at);
    rec.finish(0, invoked, |_, _| {})
}

/// The median of `v` (the upper one of an even count).
fn median(mut v: Vec<i64>) -> i64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// The proof: with reasoning, the harness's timing path measures TTFT at the first
/// reasoning token and TTFO at the first answer token, each within 5 ms of the truth
/// (medians over 5 requests after a warm-up), for every dialect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_ttft_and_ttfo_match_truth_with_reasoning() {
    let _alone = crate::test_support::exclusive().await;
    const REQUESTS: usize = 5;
    const TOLERANCE_NS: i64 = 5_000_000;
    let profile = LatencyProfile::default()
        .ttft(ms(50))
        .itl(ms(10))
        .reasoning_tokens(5)
        .output_tokens(15);
    let server = MockServer::start(profile).await.expect("started");
    let client = client();

    let mut anthropic = anthropic_body(true);
    anthropic["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let mut gemini = gemini_body();
    gemini["generationConfig"] = json!({"thinkingConfig": {"includeThoughts": true}});
    let cases = [
        (
            Dialect::OpenAi,
            openai_url(&server),
            openai_body(),
            WireFormat::OpenAiChat,
        ),
        (
            Dialect::Anthropic,
            anthropic_url(&server),
            anthropic,
            WireFormat::Anthropic,
        ),
        (
            Dialect::Gemini,
            format!("{}?alt=sse", gemini_url(&server, "streamGenerateContent")),
            gemini,
            WireFormat::GeminiSse,
        ),
    ];
    let mut report = Vec::new();
    for (dialect, url, body, format) in cases {
        let request = || {
            client
                .post(&url)
                .header("content-type", "application/json")
                .body(body.to_string())
        };
        let _warm_up = timed(request(), format).await;
        server.clear_truth();
        let mut samples = Vec::new();
        for _ in 0..REQUESTS {
            samples.push(timed(request(), format).await);
        }
        let truth = server.truth();
        assert_eq!(truth.len(), REQUESTS);
        let (mut d_ttft, mut d_ttfo, mut lags) = (Vec::new(), Vec::new(), Vec::new());
        for (s, t) in samples.iter().zip(&truth) {
            assert_eq!(t.dialect, dialect);
            assert_eq!(t.first_answer_index(), Some(5));
            let ns = |d: Option<Duration>| d.expect("a token").as_nanos() as i64;
            let (truth_ttft, truth_ttfo) = (ns(t.ttft()), ns(t.ttfo()));
            lags.push(truth_ttfo - truth_ttft);
            let measured_ttft = s.ttft_ns.expect("measured TTFT") as i64;
            let measured_ttfo = s.ttfo_ns.expect("measured TTFO") as i64;
            d_ttft.push(measured_ttft - truth_ttft);
            d_ttfo.push(measured_ttfo - truth_ttfo);
        }
        let (m_ttft, m_ttfo) = (median(d_ttft.clone()), median(d_ttfo.clone()));
        report.push(format!(
            "{dialect:?}: measured - truth, median TTFT {:.3} ms, TTFO {:.3} ms (all TTFT {:?} us, TTFO {:?} us)",
            m_ttft as f64 / 1e6,
            m_ttfo as f64 / 1e6,
            d_ttft.iter().map(|d| d / 1000).collect::<Vec<_>>(),
            d_ttfo.iter().map(|d| d / 1000).collect::<Vec<_>>(),
        ));
        // 5 reasoning tokens 10 ms apart: the truth's TTFO is about 50 ms after its TTFT
        // (each deadline is absolute, but a busy machine can make one token late).
        let lag = median(lags);
        assert!(
            (45_000_000..150_000_000).contains(&lag),
            "truth TTFO - TTFT {lag} ns"
        );
        assert!(m_ttft.abs() < TOLERANCE_NS, "{}", report.join("\n"));
        assert!(m_ttfo.abs() < TOLERANCE_NS, "{}", report.join("\n"));
    }
    eprintln!("{}", report.join("\n"));
    server.shutdown().await;
}

/// The dialects of the other providers (Cohere v2 and v1, Ollama, TGI, OpenAI Responses and
/// legacy Completions, Azure OpenAI), read back with the crate's own [`Client`] of each
/// provider (and its parsers), and the same accuracy proof as above, through the client.
mod providers {
    use super::*;
    use crate::error::{Error, ErrorClass};
    use crate::harness::simulated::dialect_of;
    use crate::providers::{Client, Provider};
    use crate::{ChatRequest, Completion, Reasoning};

    /// The base URL the harness gives a client of `provider` for this server: the one of
    /// the provider's dialect ([`dialect_of`]); `None` for a provider the mock does not
    /// speak.
    fn base_url_for(server: &MockServer, provider: &Provider) -> Option<String> {
        dialect_of(provider).map(|d| server.base_url_for_dialect(d))
    }

    /// The client of `provider` for this server, as the harness builds it:
    /// [`base_url_for`], the mock's model, and for Azure a deployment and an API version.
    fn client_for(server: &MockServer, provider: &Provider) -> Client {
        let base = base_url_for(server, provider).expect("the mock speaks the provider");
        let mut builder = Client::builder()
            .provider(provider.clone())
            .base_url(base)
            .model(DEFAULT_MODEL);
        if *provider == Provider::AzureOpenAi {
            builder = builder
                .deployment("llm-bench-mock")
                .api_version("2024-10-21");
        }
        builder.build().expect("a client")
    }

    /// "You are terse." (3 words) + "How do I reset my password?" (6 words): 9 prompt
    /// tokens in every dialect.
    fn request() -> ChatRequest {
        ChatRequest::new("How do I reset my password?").system("You are terse.")
    }

    async fn complete(client: &Client, req: &ChatRequest) -> Completion {
        client.complete(req).await.expect("a completed stream")
    }

    /// The raw body of a streamed answer and its content type.
    async fn raw(url: &str, body: &Value) -> (String, String) {
        let resp = post(url, body).await;
        assert_eq!(resp.status(), 200, "{url}");
        let ct = resp.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        (ct, resp.text().await.expect("a body"))
    }

    /// The names and payloads of the named SSE events of a body; every payload's `type` is
    /// its event's name. `data: [DONE]` is kept as the name `[DONE]`.
    fn named_events(body: &str) -> Vec<(String, Value)> {
        assert!(body.ends_with("\n\n"), "events end with a blank line");
        body.split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| {
                if e == "data: [DONE]" {
                    return ("[DONE]".to_owned(), Value::Null);
                }
                let (first, data) = e.split_once('\n').expect("event and data lines");
                let name = first.strip_prefix("event: ").expect("a named event");
                let data = json_of(data.strip_prefix("data: ").expect("a data line"));
                assert_eq!(data["type"], name, "the name is the payload's type");
                (name.to_owned(), data)
            })
            .collect()
    }

    /// The lines of an NDJSON body, each one JSON object.
    fn ndjson_lines(body: &str) -> Vec<Value> {
        assert!(body.ends_with('\n'), "every line ends with a newline");
        body.lines().map(json_of).collect()
    }

    /// An `error_rate = 1` server: the client of `provider` reports HTTP 500, classified
    /// `http_status`, with the dialect's error body; the truth records it.
    async fn injected_error_is_classified(provider: Provider, dialect: Dialect, needle: &str) {
        let server = MockServer::start(fast().error_rate(1.0))
            .await
            .expect("started");
        let client = client_for(&server, &provider);
        let (result, sample) = client.measure(&request()).await;
        match result {
            Err(Error::HttpStatus { status, body, .. }) => {
                assert_eq!(status, 500, "{provider:?}");
                assert!(body.contains(needle), "{provider:?}: {body}");
            }
            other => panic!("{provider:?}: {other:?}"),
        }
        let error = sample.error.expect("the sample has the error");
        assert_eq!(error.class, ErrorClass::HttpStatus);
        assert_eq!((sample.ttft_ns, sample.ttfo_ns), (None, None));
        let truth = server.truth();
        assert_eq!(truth.len(), 1);
        assert_eq!((truth[0].status, truth[0].dialect), (500, dialect));
        assert!(truth[0].token_sent_at.is_empty());
        server.shutdown().await;
    }

    /// Posts each body to `url` and checks a 400 whose JSON has a non-empty string at
    /// `pointer`.
    async fn bad_requests(url: &str, bodies: Vec<Value>, pointer: &str) {
        for body in bodies {
            let resp = post(url, &body).await;
            assert_eq!(resp.status(), 400, "{url} {body}");
            let v = json_of(&resp.text().await.expect("a body"));
            assert!(
                v.pointer(pointer)
                    .and_then(Value::as_str)
                    .is_some_and(|m| !m.is_empty()),
                "{url} {body}: {v}"
            );
        }
    }

    #[tokio::test]
    async fn base_urls_per_provider() {
        let server = MockServer::start(fast()).await.expect("started");
        for p in [
            Provider::OpenAiChat,
            Provider::OpenAiResponses,
            Provider::OpenAiCompletions,
        ] {
            assert_eq!(base_url_for(&server, &p), Some(server.base_url()), "{p:?}");
        }
        for p in [
            Provider::AzureOpenAi,
            Provider::Anthropic,
            Provider::Gemini,
            Provider::CohereV2,
            Provider::CohereV1,
            Provider::Ollama,
            Provider::Tgi,
        ] {
            assert_eq!(base_url_for(&server, &p), Some(server.root_url()), "{p:?}");
        }
        let spec = crate::providers::GenericSpec::default();
        assert_eq!(base_url_for(&server, &Provider::Generic(spec)), None);
        // The existing dialects through their clients too.
        for p in [Provider::OpenAiChat, Provider::Anthropic, Provider::Gemini] {
            let c = complete(&client_for(&server, &p), &request()).await;
            assert_eq!(c.text, expected_text(7, 10), "{p:?}");
        }
        server.shutdown().await;
    }

    #[tokio::test]
    async fn cohere_v2_stream_reads_back() {
        let server = MockServer::start(fast().reasoning_tokens(4))
            .await
            .expect("started");
        let client = client_for(&server, &Provider::CohereV2);
        // Thinking asked for: the profile's 4 reasoning tokens, as `thinking` content.
        let c = complete(&client, &request().reasoning(Reasoning::Low)).await;
        assert_eq!(c.reasoning, expected_reasoning(7, 4));
        assert_eq!(c.text, expected_text(7, 10));
        assert_eq!(c.usage, usage(9, 14, None));
        assert_eq!(c.finish_reason.as_deref(), Some("COMPLETE"));
        // Thinking off.
        let c = complete(&client, &request().reasoning(Reasoning::Off)).await;
        assert_eq!((c.reasoning.as_str(), c.usage), ("", usage(9, 10, None)));
        // max_tokens counts the thinking.
        let c = complete(&client, &request().max_tokens(6)).await;
        assert_eq!(c.reasoning, expected_reasoning(7, 4));
        assert_eq!(c.text, expected_text(7, 2));
        assert_eq!(c.finish_reason.as_deref(), Some("MAX_TOKENS"));

        let truth = server.truth();
        let t = &truth[0];
        assert_eq!(t.dialect, Dialect::CohereV2);
        assert_eq!(t.model, DEFAULT_MODEL);
        assert_eq!((t.planned_tokens, t.reasoning_tokens), (14, 4));
        assert_eq!(t.first_answer_index(), Some(4));
        assert!(t.completed && t.streamed && t.include_usage);

        // The bytes: the recorded stream's events, and `[DONE]` at the end.
        let url = format!("{}/v2/chat", server.root_url());
        let body = json!({
            "model": "command-a-reasoning",
            "messages": [{"role": "user", "content": "How do I reset my password?"}],
            "thinking": {"type": "enabled", "token_budget": 2},
            "stream": true,
        });
        let (ct, body_text) = raw(&url, &body).await;
        assert_eq!(ct, "text/event-stream");
        let events = named_events(&body_text);
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        let mut want = vec!["message-start", "content-start"];
        want.extend(["content-delta"; 2]);
        want.extend(["content-end", "content-start"]);
        want.extend(["content-delta"; 10]);
        want.extend(["content-end", "message-end", "[DONE]"]);
        assert_eq!(names, want);
        assert!(events[0].1["id"].as_str().is_some_and(|id| id.len() == 36));
        assert_eq!(
            events[1].1["delta"]["message"]["content"]["type"],
            "thinking"
        );
        assert_eq!(events[5].1["index"], 1);
        assert_eq!(events[5].1["delta"]["message"]["content"]["type"], "text");
        let end = &events[17].1["delta"];
        assert_eq!(end["finish_reason"], "COMPLETE");
        assert_eq!(
            end["usage"],
            json!({"billed_units": {"input_tokens": 6, "output_tokens": 12},
                   "tokens": {"input_tokens": 6, "output_tokens": 12}})
        );
        assert_eq!(server.truth()[3].model, "command-a-reasoning");

        // Not streaming.
        let mut body = body;
        body["stream"] = json!(false);
        let v = json_of(&post(&url, &body).await.text().await.expect("a body"));
        assert_eq!(
            v["message"]["content"],
            json!([{"type": "thinking", "thinking": expected_reasoning(7, 2)},
                   {"type": "text", "text": expected_text(7, 10)}])
        );
        assert_eq!(v["finish_reason"], "COMPLETE");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn cohere_v2_errors() {
        let server = MockServer::start(fast()).await.expect("started");
        let url = format!("{}/v2/chat", server.root_url());
        let ok = || json!({"messages": [{"role": "user", "content": "hi"}], "stream": true});
        let mut zero = ok();
        zero["max_tokens"] = json!(0);
        let mut bad_thinking = ok();
        bad_thinking["thinking"] = json!({"type": "sometimes"});
        bad_requests(
            &url,
            vec![
                json!({}),
                json!({"messages": []}),
                zero,
                bad_thinking,
                json!([1]),
            ],
            "/message",
        )
        .await;
        server.shutdown().await;
        injected_error_is_classified(Provider::CohereV2, Dialect::CohereV2, "\"message\"").await;
    }

    #[tokio::test]
    async fn cohere_v1_stream_reads_back() {
        let server = MockServer::start(fast().reasoning_tokens(4))
            .await
            .expect("started");
        let client = client_for(&server, &Provider::CohereV1);
        // v1 has no reasoning, whatever the profile.
        let c = complete(&client, &request().reasoning(Reasoning::Low)).await;
        assert_eq!(
            (c.reasoning.as_str(), c.text.clone()),
            ("", expected_text(7, 10))
        );
        assert_eq!(c.usage, usage(9, 10, None));
        assert_eq!(c.finish_reason.as_deref(), Some("COMPLETE"));
        let c = complete(&client, &request().max_tokens(3)).await;
        assert_eq!(c.text, expected_text(7, 3));
        assert_eq!(c.finish_reason.as_deref(), Some("MAX_TOKENS"));
        let t = &server.truth()[0];
        assert_eq!(t.dialect, Dialect::CohereV1);
        assert_eq!((t.planned_tokens, t.reasoning_tokens), (10, 0));
        assert_eq!(t.ttft(), t.ttfo());

        let url = format!("{}/v1/chat", server.root_url());
        let body = json!({
            "message": "How do I reset my password?",
            "preamble": "You are terse.",
            "chat_history": [{"role": "USER", "message": "hello"}, {"role": "CHATBOT", "message": "hi there"}],
            "stream": true,
        });
        let (ct, text) = raw(&url, &body).await;
        assert_eq!(ct, "application/stream+json");
        let lines = ndjson_lines(&text);
        assert_eq!(lines.len(), 12);
        assert!(text.contains(
            r#"{"role":"USER","message":"How do I reset my password?"},{"role":"CHATBOT","message":"#
        ));
        assert_eq!(lines[0]["event_type"], "stream-start");
        assert!(lines[1..11]
            .iter()
            .all(|l| l["event_type"] == "text-generation" && l["is_finished"] == false));
        let end = &lines[11];
        assert_eq!(
            (&end["event_type"], &end["is_finished"]),
            (&json!("stream-end"), &json!(true))
        );
        assert_eq!(end["finish_reason"], "COMPLETE");
        let response = &end["response"];
        assert_eq!(response["text"], expected_text(7, 10));
        assert_eq!(response["generation_id"], lines[0]["generation_id"]);
        assert_eq!(response["chat_history"].as_array().map(Vec::len), Some(4));
        assert_eq!(response["chat_history"][3]["role"], "CHATBOT");
        // 3 + 6 + 1 + 2 words.
        assert_eq!(
            response["meta"]["tokens"],
            json!({"input_tokens": 12, "output_tokens": 10})
        );
        assert_eq!(response["meta"]["billed_units"], response["meta"]["tokens"]);

        let mut body = body;
        body["stream"] = json!(false);
        let v = json_of(&post(&url, &body).await.text().await.expect("a body"));
        assert_eq!(v["text"], expected_text(7, 10));
        assert_eq!(v["finish_reason"], "COMPLETE");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn cohere_v1_errors() {
        let server = MockServer::start(fast()).await.expect("started");
        let url = format!("{}/v1/chat", server.root_url());
        bad_requests(
            &url,
            vec![
                json!({}),
                json!({"message": "  "}),
                json!({"message": "hi", "max_tokens": 0}),
                json!("text"),
            ],
            "/message",
        )
        .await;
        server.shutdown().await;
        injected_error_is_classified(Provider::CohereV1, Dialect::CohereV1, "\"message\"").await;
    }

    #[tokio::test]
    async fn ollama_chat_and_generate_read_back() {
        let server = MockServer::start(fast().reasoning_tokens(4))
            .await
            .expect("started");
        let client = client_for(&server, &Provider::Ollama);
        // The profile's reasoning shows as `message.thinking`, with or without `think`.
        for req in [request(), request().reasoning(Reasoning::Low)] {
            let c = complete(&client, &req).await;
            assert_eq!(c.reasoning, expected_reasoning(7, 4));
            assert_eq!(c.text, expected_text(7, 10));
            // eval_count counts thinking too.
            assert_eq!(c.usage, usage(9, 14, None));
            assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        }
        // `think: false` turns it off; num_predict cuts.
        let c = complete(&client, &request().reasoning(Reasoning::Off)).await;
        assert_eq!((c.reasoning.as_str(), c.usage), ("", usage(9, 10, None)));
        let c = complete(&client, &request().max_tokens(6)).await;
        assert_eq!(c.text, expected_text(7, 2));
        assert_eq!(c.finish_reason.as_deref(), Some("length"));
        let t = &server.truth()[0];
        assert_eq!(t.dialect, Dialect::Ollama);
        assert_eq!((t.planned_tokens, t.reasoning_tokens), (14, 4));
        assert_eq!(t.first_answer_index(), Some(4));

        // The chat bytes.
        server.set_profile(fast());
        let url = format!("{}/api/chat", server.root_url());
        let body = json!({
            "model": "llama3",
            "messages": [{"role": "user", "content": "How do I reset my password?"}],
            "think": true,
        });
        let (ct, text) = raw(&url, &body).await;
        assert_eq!(ct, "application/x-ndjson");
        let lines = ndjson_lines(&text);
        // The default reasoning (think: true with a profile without), the answer, the end.
        let r = DEFAULT_REASONING_TOKENS as usize;
        assert_eq!(lines.len(), r + 10 + 1);
        for l in &lines {
            assert_eq!(l["model"], "llama3");
            assert!(l["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
        }
        assert_eq!(lines[0]["message"]["thinking"], reasoning_token_text(7, 0));
        assert_eq!(lines[0]["message"]["content"], "");
        assert_eq!(lines[r]["message"]["content"], token_text(7, 0));
        assert!(lines[r]["message"].get("thinking").is_none());
        let end = &lines[r + 10];
        assert_eq!(
            (&end["done"], &end["done_reason"]),
            (&json!(true), &json!("stop"))
        );
        assert_eq!(end["message"]["content"], "");
        assert_eq!(
            (&end["prompt_eval_count"], &end["eval_count"]),
            (&json!(6), &json!(18))
        );
        let total = end["total_duration"].as_u64().expect("ns");
        let prompt_eval = end["prompt_eval_duration"].as_u64().expect("ns");
        let eval = end["eval_duration"].as_u64().expect("ns");
        assert!(prompt_eval >= 20_000_000, "{end}");
        assert!(total >= prompt_eval + eval && eval > 0, "{end}");

        // /api/generate, read with the crate's parser.
        let url = format!("{}/api/generate", server.root_url());
        let body =
            json!({"model": "llama3", "prompt": "Why is the sky blue?", "system": "Be brief."});
        let (ct, text) = raw(&url, &body).await;
        assert_eq!(ct, "application/x-ndjson");
        let lines = ndjson_lines(&text);
        assert_eq!(lines[0]["response"], token_text(7, 0));
        assert_eq!(lines[10]["done"], true);
        assert_eq!(lines[10]["response"], "");
        let p = parse(WireFormat::OllamaGenerate, text.as_bytes());
        assert_eq!(p.text, expected_text(7, 10));
        assert_eq!(p.usage, usage(7, 10, None));
        let mut body = body;
        body["think"] = json!("high");
        let (_, text) = raw(&url, &body).await;
        let p = parse(WireFormat::OllamaGenerate, text.as_bytes());
        assert_eq!(p.reasoning, expected_reasoning(7, DEFAULT_REASONING_TOKENS));
        assert_eq!(p.text, expected_text(7, 10));

        // Not streaming (`stream: false`; Ollama streams by default).
        body["stream"] = json!(false);
        let v = json_of(&post(&url, &body).await.text().await.expect("a body"));
        assert_eq!(v["response"], expected_text(7, 10));
        assert_eq!(
            v["thinking"],
            expected_reasoning(7, DEFAULT_REASONING_TOKENS)
        );
        assert_eq!(v["done"], true);
        assert_eq!(v["eval_count"], 18);
        server.shutdown().await;
    }

    #[tokio::test]
    async fn ollama_errors() {
        let server = MockServer::start(fast()).await.expect("started");
        for (path, bodies) in [
            (
                "/api/chat",
                vec![
                    json!({"model": "m"}),
                    json!({"model": "m", "messages": []}),
                    json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "think": 3}),
                    json!("x"),
                ],
            ),
            ("/api/generate", vec![json!({"model": "m"})]),
        ] {
            bad_requests(&format!("{}{path}", server.root_url()), bodies, "/error").await;
        }
        server.shutdown().await;
        injected_error_is_classified(Provider::Ollama, Dialect::Ollama, "\"error\"").await;
    }

    #[tokio::test]
    async fn tgi_stream_reads_back() {
        let server = MockServer::start(fast().reasoning_tokens(4))
            .await
            .expect("started");
        let client = client_for(&server, &Provider::Tgi);
        // No reasoning; the end-of-sequence token counts in generated_tokens, as in TGI.
        let c = complete(&client, &request().reasoning(Reasoning::Low)).await;
        assert_eq!(
            (c.reasoning.as_str(), c.text.clone()),
            ("", expected_text(7, 10))
        );
        assert_eq!(c.usage, usage(9, 11, None));
        assert_eq!(c.finish_reason.as_deref(), Some("eos_token"));
        let c = complete(&client, &request().max_tokens(4)).await;
        assert_eq!(c.text, expected_text(7, 4));
        assert_eq!(c.usage, usage(9, 4, None));
        assert_eq!(c.finish_reason.as_deref(), Some("length"));
        let t = &server.truth()[0];
        assert_eq!(t.dialect, Dialect::Tgi);
        assert_eq!((t.planned_tokens, t.reasoning_tokens), (10, 0));
        assert_eq!(t.ttft(), t.ttfo());

        let url = format!("{}/generate_stream", server.root_url());
        let body =
            json!({"inputs": "What is deep learning?", "parameters": {"max_new_tokens": 20}});
        let (ct, text) = raw(&url, &body).await;
        assert_eq!(ct, "text/event-stream");
        let events: Vec<Value> = text
            .split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| json_of(e.strip_prefix("data:").expect("`data:` without a space")))
            .collect();
        assert_eq!(events.len(), 11);
        for (i, e) in events[..10].iter().enumerate() {
            assert_eq!(e["index"], i + 1);
            assert_eq!(e["token"]["text"], token_text(7, i as u32));
            assert_eq!(e["token"]["special"], false);
            assert!(
                e["token"]["id"].as_u64().is_some() && e["token"]["logprob"].as_f64().is_some()
            );
            assert_eq!(
                (&e["generated_text"], &e["details"]),
                (&Value::Null, &Value::Null)
            );
        }
        let last = &events[10];
        assert_eq!(last["token"]["special"], true);
        assert_eq!(last["generated_text"], expected_text(7, 10));
        // Without `details: true`, the last event has none.
        assert_eq!(last["details"], Value::Null);
        server.shutdown().await;
    }

    #[tokio::test]
    async fn tgi_errors() {
        let server = MockServer::start(fast()).await.expect("started");
        let url = format!("{}/generate_stream", server.root_url());
        bad_requests(
            &url,
            vec![
                json!({}),
                json!({"inputs": ""}),
                json!({"inputs": "hi", "parameters": {"max_new_tokens": 0}}),
                json!(7),
            ],
            "/error",
        )
        .await;
        let v = json_of(&post(&url, &json!({})).await.text().await.expect("a body"));
        assert_eq!(v["error_type"], "validation");
        server.shutdown().await;
        injected_error_is_classified(Provider::Tgi, Dialect::Tgi, "error_type").await;
    }

    #[tokio::test]
    async fn responses_stream_reads_back() {
        let server = MockServer::start(fast().reasoning_tokens(4))
            .await
            .expect("started");
        let client = client_for(&server, &Provider::OpenAiResponses);
        let c = complete(&client, &request().reasoning(Reasoning::Low)).await;
        assert_eq!(c.reasoning, expected_reasoning(7, 4));
        assert_eq!(c.text, expected_text(7, 10));
        assert_eq!(c.usage, usage(9, 14, Some(4)));
        assert_eq!(c.finish_reason.as_deref(), Some("completed"));
        // `reasoning.effort: "none"` turns it off (`Reasoning::Off` sends no effort).
        let off = request().field("reasoning", json!({"effort": "none"}));
        let c = complete(&client, &off).await;
        assert_eq!((c.reasoning.as_str(), c.usage), ("", usage(9, 10, Some(0))));
        // max_output_tokens cuts: `response.incomplete`.
        let c = complete(&client, &request().max_tokens(6)).await;
        assert_eq!(c.text, expected_text(7, 2));
        assert_eq!(c.finish_reason.as_deref(), Some("max_output_tokens"));
        let t = &server.truth()[0];
        assert_eq!(t.dialect, Dialect::OpenAiResponses);
        assert_eq!((t.planned_tokens, t.reasoning_tokens), (14, 4));
        assert_eq!(t.first_answer_index(), Some(4));

        let url = format!("{}/responses", server.base_url());
        let body = json!({
            "model": "gpt-test",
            "input": [{"role": "user", "content": [{"type": "input_text", "text": "How do I reset my password?"}]}],
            "reasoning": {"effort": "low", "summary": "auto"},
            "stream": true,
        });
        let (ct, text) = raw(&url, &body).await;
        assert_eq!(ct, "text/event-stream; charset=utf-8");
        let events = named_events(&text);
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        let mut want = vec![
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.reasoning_summary_part.added",
        ];
        want.extend(["response.reasoning_summary_text.delta"; 4]);
        want.extend([
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
        ]);
        want.extend(["response.output_text.delta"; 10]);
        want.extend([
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]);
        assert_eq!(names, want, "no [DONE]");
        for (i, (_, e)) in events.iter().enumerate() {
            assert_eq!(e["sequence_number"], i);
        }
        let created = &events[0].1["response"];
        assert_eq!(
            (&created["status"], &created["model"]),
            (&json!("in_progress"), &json!("gpt-test"))
        );
        assert_eq!(
            created["reasoning"],
            json!({"effort": "low", "summary": "auto"})
        );
        assert_eq!(events[2].1["item"]["type"], "reasoning");
        assert_eq!(events[11].1["item"]["type"], "message");
        assert_eq!(events[11].1["output_index"], 1);
        let done = &events[26].1["response"];
        assert_eq!(done["status"], "completed");
        assert_eq!(
            done["output"][1]["content"][0]["text"],
            expected_text(7, 10)
        );
        assert_eq!(
            done["output"][0]["summary"][0]["text"],
            expected_reasoning(7, 4)
        );
        assert_eq!(
            done["usage"],
            json!({"input_tokens": 6, "input_tokens_details": {"cached_tokens": 0},
                   "output_tokens": 14, "output_tokens_details": {"reasoning_tokens": 4},
                   "total_tokens": 20})
        );

        let mut body = body;
        body["stream"] = json!(false);
        body["max_output_tokens"] = json!(5);
        let v = json_of(&post(&url, &body).await.text().await.expect("a body"));
        assert_eq!(v["object"], "response");
        assert_eq!(v["status"], "incomplete");
        assert_eq!(v["incomplete_details"]["reason"], "max_output_tokens");
        assert_eq!(v["output"][1]["content"][0]["text"], expected_text(7, 1));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn responses_errors() {
        let server = MockServer::start(fast()).await.expect("started");
        let url = format!("{}/responses", server.base_url());
        bad_requests(
            &url,
            vec![
                json!({"model": "m"}),
                json!({"input": []}),
                json!({"input": 5}),
                json!({"input": "hi", "max_output_tokens": 0}),
                json!({"input": "hi", "reasoning": {"effort": "extreme"}}),
                json!(null),
            ],
            "/error/message",
        )
        .await;
        server.shutdown().await;
        injected_error_is_classified(
            Provider::OpenAiResponses,
            Dialect::OpenAiResponses,
            "server_error",
        )
        .await;
    }

    #[tokio::test]
    async fn completions_stream_reads_back() {
        let server = MockServer::start(fast().reasoning_tokens(4))
            .await
            .expect("started");
        let client = client_for(&server, &Provider::OpenAiCompletions);
        // The legacy API has no reasoning; the built-in body asks for usage.
        let c = complete(&client, &request().reasoning(Reasoning::Low)).await;
        assert_eq!(
            (c.reasoning.as_str(), c.text.clone()),
            ("", expected_text(7, 10))
        );
        assert_eq!(c.usage, usage(9, 10, None));
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        let c = complete(&client, &request().max_tokens(3)).await;
        assert_eq!(c.text, expected_text(7, 3));
        assert_eq!(c.finish_reason.as_deref(), Some("length"));
        let t = &server.truth()[0];
        assert_eq!(t.dialect, Dialect::OpenAiCompletions);
        assert_eq!((t.planned_tokens, t.reasoning_tokens), (10, 0));
        assert!(t.include_usage);

        let url = format!("{}/completions", server.base_url());
        let body = json!({"model": "davinci-002", "prompt": "Tell me a joke", "max_tokens": 4, "stream": true});
        let (ct, text) = raw(&url, &body).await;
        assert_eq!(ct, "text/event-stream");
        assert!(text.ends_with("data: [DONE]\n\n"));
        let chunks: Vec<Value> = text
            .split("\n\n")
            .filter(|e| !e.is_empty() && *e != "data: [DONE]")
            .map(|e| json_of(e.strip_prefix("data: ").expect("a data event")))
            .collect();
        // 4 tokens, the last with finish_reason "length"; no usage without include_usage.
        assert_eq!(chunks.len(), 4);
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c["object"], "text_completion");
            assert_eq!(c["model"], "davinci-002");
            assert!(c.get("usage").is_none());
            assert_eq!(c["choices"][0]["text"], token_text(7, i as u32));
            let finish = &c["choices"][0]["finish_reason"];
            assert_eq!(*finish == json!("length"), i == 3, "{c}");
        }
        // With include_usage and a natural stop: a stop chunk, then the usage chunk.
        let body = json!({"prompt": ["Tell me", "a joke"], "stream": true, "stream_options": {"include_usage": true}});
        let (_, text) = raw(&url, &body).await;
        let chunks: Vec<Value> = text
            .split("\n\n")
            .filter(|e| !e.is_empty() && *e != "data: [DONE]")
            .map(|e| json_of(e.strip_prefix("data: ").expect("a data event")))
            .collect();
        assert_eq!(chunks.len(), 12);
        assert_eq!(
            chunks[10]["choices"][0],
            json!({"text": "", "index": 0, "logprobs": null, "finish_reason": "stop"})
        );
        assert_eq!(chunks[10]["usage"], Value::Null);
        assert_eq!(chunks[11]["choices"], json!([]));
        assert_eq!(
            chunks[11]["usage"],
            json!({"prompt_tokens": 4, "completion_tokens": 10, "total_tokens": 14})
        );

        let body = json!({"prompt": "Tell me a joke"});
        let v = json_of(&post(&url, &body).await.text().await.expect("a body"));
        assert_eq!(v["choices"][0]["text"], expected_text(7, 10));
        assert_eq!(v["usage"]["completion_tokens"], 10);
        server.shutdown().await;
    }

    #[tokio::test]
    async fn completions_errors() {
        let server = MockServer::start(fast()).await.expect("started");
        let url = format!("{}/completions", server.base_url());
        bad_requests(
            &url,
            vec![
                json!({"model": "m"}),
                json!({"prompt": 5}),
                json!({"prompt": "hi", "max_tokens": 0}),
                json!("x"),
            ],
            "/error/message",
        )
        .await;
        server.shutdown().await;
        injected_error_is_classified(
            Provider::OpenAiCompletions,
            Dialect::OpenAiCompletions,
            "server_error",
        )
        .await;
    }

    #[tokio::test]
    async fn azure_stream_reads_back() {
        let server = MockServer::start(fast().reasoning_tokens(4))
            .await
            .expect("started");
        // A deployment URL, as the harness builds the client.
        let client = client_for(&server, &Provider::AzureOpenAi);
        let c = complete(&client, &request()).await;
        assert_eq!(c.reasoning, expected_reasoning(7, 4));
        assert_eq!(c.text, expected_text(7, 10));
        assert_eq!(c.usage, usage(9, 14, Some(4)));
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        // The v1 API: no deployment, the model in the body.
        let v1 = Client::builder()
            .provider(Provider::AzureOpenAi)
            .base_url(server.root_url())
            .model("gpt-4o-mini")
            .build()
            .expect("a client");
        let off = request().field("reasoning_effort", json!("none"));
        let c = complete(&v1, &off).await;
        assert_eq!(
            (c.reasoning.as_str(), c.text.clone()),
            ("", expected_text(7, 10))
        );
        let truth = server.truth();
        assert!(truth.iter().all(|t| t.dialect == Dialect::AzureOpenAi));
        // A deployment serves the server's model; the v1 API echoes the body's.
        assert_eq!(
            (truth[0].model.as_str(), truth[1].model.as_str()),
            (DEFAULT_MODEL, "gpt-4o-mini")
        );
        assert_eq!(truth[0].first_answer_index(), Some(4));

        let url = format!(
            "{}/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21",
            server.root_url()
        );
        let mut body = openai_body();
        body["reasoning_effort"] = json!("none");
        let resp = post(&url, &body).await;
        assert_eq!(resp.status(), 200);
        assert!(resp.headers().contains_key("apim-request-id"));
        let text = resp.text().await.expect("a body");
        let events: Vec<String> = text
            .split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| e.strip_prefix("data: ").expect("a data event").to_owned())
            .collect();
        assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
        let chunks: Vec<Value> = events[..events.len() - 1]
            .iter()
            .map(|e| json_of(e))
            .collect();
        // Prompt filter, role, 10 tokens, finish, usage.
        assert_eq!(chunks.len(), 14);
        assert_eq!(chunks[0]["choices"], json!([]));
        assert_eq!(chunks[0]["prompt_filter_results"][0]["prompt_index"], 0);
        assert!(text.starts_with("data: {\"choices\":[],\"created\":0,\"id\":\"\""));
        assert_eq!(chunks[1]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(chunks[1]["choices"][0]["content_filter_results"], json!({}));
        for c in &chunks[2..12] {
            let choice = &c["choices"][0];
            assert_eq!(choice["content_filter_results"]["hate"]["severity"], "safe");
            assert!(choice["delta"]["content"].as_str().is_some());
            assert_eq!(c["object"], "chat.completion.chunk");
            assert_eq!(c["usage"], Value::Null);
        }
        assert_eq!(chunks[12]["choices"][0]["finish_reason"], "stop");
        assert_eq!(chunks[13]["usage"]["completion_tokens"], 10);

        // No api-version on a deployment URL: Azure's 404.
        let no_version = format!(
            "{}/openai/deployments/my-gpt/chat/completions",
            server.root_url()
        );
        let resp = post(&no_version, &openai_body()).await;
        assert_eq!(resp.status(), 404);
        // Not streaming: Azure's filter results around OpenAI's body.
        body["stream"] = json!(false);
        let v = json_of(&post(&url, &body).await.text().await.expect("a body"));
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["choices"][0]["message"]["content"], expected_text(7, 10));
        assert!(v["prompt_filter_results"].is_array());
        assert!(v["choices"][0]["content_filter_results"].is_object());
        server.shutdown().await;
    }

    #[tokio::test]
    async fn azure_errors() {
        let server = MockServer::start(fast()).await.expect("started");
        let url = format!(
            "{}/openai/deployments/d/chat/completions?api-version=2024-10-21",
            server.root_url()
        );
        bad_requests(
            &url,
            vec![json!({}), json!({"messages": []}), json!("x")],
            "/error/message",
        )
        .await;
        server.shutdown().await;
        injected_error_is_classified(Provider::AzureOpenAi, Dialect::AzureOpenAi, "server_error")
            .await;
    }

    /// The proof of [`measured_ttft_and_ttfo_match_truth_with_reasoning`], through the
    /// provider's built-in [`Client`]: `Client::measure` times the stream as a scenario does,
    /// and its TTFT and TTFO are within 5 ms of the truth (medians over 5 requests after a
    /// warm-up). `reasoning` is the streamed reasoning tokens the dialect shows (0 where it
    /// has none: TTFO is then TTFT).
    async fn client_matches_truth(provider: Provider, req: ChatRequest, reasoning: usize) {
        let _alone = crate::test_support::exclusive().await;
        let server = MockServer::start(proof_profile()).await.expect("started");
        let client = client_for(&server, &provider);
        let (warm_up, _) = client.measure(&req).await;
        warm_up.expect("a completed warm-up");
        server.clear_truth();
        let mut samples = Vec::new();
        for _ in 0..PROOF_REQUESTS {
            let (result, sample) = client.measure(&req).await;
            let c = result.expect("a completed stream");
            assert_eq!(c.text, expected_text(0, 15), "{provider:?}");
            assert_eq!(
                c.reasoning,
                expected_reasoning(0, reasoning as u32),
                "{provider:?}"
            );
            samples.push(sample);
        }
        assert_within_tolerance(provider.name(), &samples, &server.truth(), reasoning);
        server.shutdown().await;
    }

    const PROOF_REQUESTS: usize = 7;

    /// The profile of the proof: TTFT 50 ms, 10 ms gaps, 5 reasoning and 15 answer tokens.
    fn proof_profile() -> LatencyProfile {
        LatencyProfile::default()
            .ttft(ms(50))
            .itl(ms(10))
            .reasoning_tokens(5)
            .output_tokens(15)
    }

    /// The medians of measured − truth TTFT and TTFO are under 5 ms, and the truth's TTFO
    /// is `reasoning` gaps after its TTFT.
    fn assert_within_tolerance(
        label: &str,
        samples: &[RequestSample],
        truth: &[RequestTruth],
        reasoning: usize,
    ) {
        const TOLERANCE_NS: i64 = 5_000_000;
        assert_eq!(truth.len(), PROOF_REQUESTS);
        let (mut d_ttft, mut d_ttfo, mut lags) = (Vec::new(), Vec::new(), Vec::new());
        for (s, t) in samples.iter().zip(truth) {
            assert_eq!(t.first_answer_index(), Some(reasoning), "{label}");
            let ns = |d: Option<Duration>| d.expect("a token").as_nanos() as i64;
            let (truth_ttft, truth_ttfo) = (ns(t.ttft()), ns(t.ttfo()));
            lags.push(truth_ttfo - truth_ttft);
            d_ttft.push(s.ttft_ns.expect("measured TTFT") as i64 - truth_ttft);
            d_ttfo.push(s.ttfo_ns.expect("measured TTFO") as i64 - truth_ttfo);
        }
        let (m_ttft, m_ttfo) = (median(d_ttft.clone()), median(d_ttfo.clone()));
        let report = format!(
            "{:?} ({label}): measured - truth, median TTFT {:.3} ms, TTFO {:.3} ms (all TTFT {:?} us, TTFO {:?} us)",
            truth[0].dialect,
            m_ttft as f64 / 1e6,
            m_ttfo as f64 / 1e6,
            d_ttft.iter().map(|d| d / 1000).collect::<Vec<_>>(),
            d_ttfo.iter().map(|d| d / 1000).collect::<Vec<_>>(),
        );
        // `reasoning` tokens 10 ms apart: the truth's TTFO is that many gaps after its TTFT.
        let lag = median(lags);
        let planned = reasoning as i64 * 10_000_000;
        assert!(
            (planned - 5_000_000..planned + 100_000_000).contains(&lag),
            "truth TTFO - TTFT {lag} ns; {report}"
        );
        assert!(m_ttft.abs() < TOLERANCE_NS, "{report}");
        assert!(m_ttfo.abs() < TOLERANCE_NS, "{report}");
        eprintln!("{report}");
    }

    /// Ollama's `/api/generate`, which the built-in client does not speak, timed like the
    /// existing dialects' proof (`timed`, the harness's timing path).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ollama_generate_ttft_and_ttfo_match_truth() {
        let _alone = crate::test_support::exclusive().await;
        let server = MockServer::start(proof_profile()).await.expect("started");
        let url = format!("{}/api/generate", server.root_url());
        let body =
            json!({"model": "llama3", "prompt": "How do I reset my password?", "think": true});
        let http = client();
        let request = || {
            http.post(&url)
                .header("content-type", "application/json")
                .body(body.to_string())
        };
        let _warm_up = timed(request(), WireFormat::OllamaGenerate).await;
        server.clear_truth();
        let mut samples = Vec::new();
        for _ in 0..PROOF_REQUESTS {
            samples.push(timed(request(), WireFormat::OllamaGenerate).await);
        }
        assert_within_tolerance("ollama /api/generate", &samples, &server.truth(), 5);
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cohere_v2_client_ttft_and_ttfo_match_truth() {
        client_matches_truth(Provider::CohereV2, request().reasoning(Reasoning::Low), 5).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cohere_v1_client_ttft_and_ttfo_match_truth() {
        client_matches_truth(Provider::CohereV1, request(), 0).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ollama_client_ttft_and_ttfo_match_truth() {
        client_matches_truth(Provider::Ollama, request().reasoning(Reasoning::Low), 5).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tgi_client_ttft_and_ttfo_match_truth() {
        client_matches_truth(Provider::Tgi, request(), 0).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn responses_client_ttft_and_ttfo_match_truth() {
        client_matches_truth(
            Provider::OpenAiResponses,
            request().reasoning(Reasoning::Low),
            5,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn completions_client_ttft_and_ttfo_match_truth() {
        client_matches_truth(Provider::OpenAiCompletions, request(), 0).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn azure_client_ttft_and_ttfo_match_truth() {
        client_matches_truth(
            Provider::AzureOpenAi,
            request().reasoning(Reasoning::Low),
            5,
        )
        .await;
    }
}
