//! Tests of the Anthropic and Gemini dialects and of reasoning, read back with the crate's
//! own [`StreamParser`], and the accuracy proof: what the harness's timing path measures
//! against the mock's recorded truth, with reasoning, for each dialect.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use super::tests::{client, fast, json_of, ms};
use super::*;
use crate::delta::{Delta, Usage};
use crate::metrics::{Recorder, RequestSample};
use crate::providers::wire::{StreamParser, WireFormat};

fn openai_url(server: &MockServer) -> String {
    format!("{}/chat/completions", server.base_url())
}

fn anthropic_url(server: &MockServer) -> String {
    format!("{}/v1/messages", server.root_url())
}

fn gemini_url(server: &MockServer, method: &str) -> String {
    format!("{}/models/gemini-test:{method}", server.gemini_base_url())
}

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

fn usage(prompt: u64, completion: u64, reasoning: Option<u64>) -> Option<Usage> {
    Some(Usage {
        prompt_tokens: Some(prompt),
        completion_tokens: Some(completion),
        reasoning_tokens: reasoning,
    })
}

fn anthropic_body(stream: bool) -> Value {
    json!({
        "model": "claude-test",
        "max_tokens": 2048,
        "system": "You are terse.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "How do I reset my password?"}]}],
        "stream": stream,
    })
}

fn gemini_body() -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "You are terse."}]},
        "contents": [{"role": "user", "parts": [{"text": "How do I reset my password?"}]}],
    })
}

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
