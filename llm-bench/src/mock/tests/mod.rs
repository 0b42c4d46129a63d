//! Tests of the simulated endpoint: loopback only, small delays, no tight timing bounds.
//! These speak to it over HTTP and read its bytes themselves (OpenAI Chat here);
//! [`cross_check`] reads every dialect with the client side's parsers and clients.

/// The cross-check with the client side's parsers and clients.
mod cross_check;
/// Drift, bursts, shared and per-request noise.
mod drift;
/// The capacity model and fault injection.
mod load;
/// Request ids and the socket writes' stamps.
mod writes;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use super::lifecycle::DEFAULT_MODEL;
use super::*;

/// `n` milliseconds.
pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// TTFT 20 ms, 2 ms between tokens, 10 tokens, seed 7.
pub(super) fn fast() -> LatencyProfile {
    LatencyProfile::default()
        .ttft(ms(20))
        .itl(ms(2))
        .output_tokens(10)
        .seed(7)
}

/// An HTTP client that ignores proxy variables (the mock is on loopback).
pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client")
}

/// Posts `body` as it is to the server's chat completions.
async fn post_raw(server: &MockServer, body: impl Into<reqwest::Body>) -> reqwest::Response {
    client()
        .post(format!("{}/chat/completions", server.base_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the mock answers")
}

/// Posts `body` to the server's chat completions.
async fn post(server: &MockServer, body: Value) -> reqwest::Response {
    post_raw(server, body.to_string()).await
}

/// A chat-completions request: a system and a user message (9 prompt words).
fn chat(stream: bool) -> Value {
    json!({
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": [{"type": "text", "text": "How do I reset my password?"}]}
        ],
        "stream": stream,
    })
}

/// The `data:` payloads of an SSE body, in order.
fn sse_data(body: &str) -> Vec<String> {
    assert!(body.ends_with("\n\n"), "events end with a blank line");
    body.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.strip_prefix("data: ")
                .unwrap_or_else(|| panic!("not a data event: {e:?}"))
                .to_owned()
        })
        .collect()
}

/// `s` parsed as JSON; panics on anything else.
pub(super) fn json_of(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("bad JSON {s:?}: {e}"))
}

/// The streamed content, concatenated.
fn content_of(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

/// The `data:` payloads of the stream the server answers `body` with.
async fn stream_events(server: &MockServer, body: Value) -> Vec<String> {
    let resp = post(server, body).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().ok(),
        Some("text/event-stream")
    );
    sse_data(&resp.text().await.expect("a body"))
}

#[tokio::test]
async fn stream_has_openai_shape_and_done() {
    let server = MockServer::start(fast()).await.expect("started");
    let events = stream_events(&server, chat(true)).await;

    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| json_of(e))
        .collect();
    // role + 10 tokens + finish, no usage chunk
    assert_eq!(chunks.len(), 12);
    let id = chunks[0]["id"].as_str().expect("an id").to_owned();
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["id"], id.as_str());
        assert_eq!(c["model"], "gpt-test");
        assert!(c["created"].as_u64().is_some());
        assert!(
            c.get("usage").is_none(),
            "no usage key without include_usage"
        );
        assert_eq!(c["choices"].as_array().map(Vec::len), Some(1));
        assert_eq!(c["choices"][0]["index"], 0);
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    assert_eq!(chunks[0]["choices"][0]["finish_reason"], Value::Null);
    for c in &chunks[1..11] {
        let delta = c["choices"][0]["delta"].as_object().expect("a delta");
        assert_eq!(delta.len(), 1);
        assert!(!delta["content"].as_str().unwrap_or("").is_empty());
        assert_eq!(c["choices"][0]["finish_reason"], Value::Null);
    }
    assert_eq!(chunks[11]["choices"][0]["delta"], json!({}));
    assert_eq!(chunks[11]["choices"][0]["finish_reason"], "stop");
    assert_eq!(content_of(&chunks), expected_text(7, 10));

    let truth = server.truth();
    assert_eq!(truth.len(), 1);
    assert!(truth[0].streamed && truth[0].completed && !truth[0].include_usage);
    assert_eq!(truth[0].status, 200);
    assert_eq!(truth[0].model, "gpt-test");
    server.shutdown().await;
}

#[tokio::test]
async fn usage_chunk_only_with_include_usage() {
    let server = MockServer::start(fast()).await.expect("started");
    let mut body = chat(true);
    body["stream_options"] = json!({"include_usage": true});
    let events = stream_events(&server, body).await;
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| json_of(e))
        .collect();
    assert_eq!(chunks.len(), 13); // role + 10 + finish + usage
    for c in &chunks[..12] {
        assert_eq!(
            c["usage"],
            Value::Null,
            "usage: null before the usage chunk"
        );
        assert!(c.get("usage").is_some());
    }
    let usage = &chunks[12];
    assert_eq!(usage["choices"], json!([]));
    // "You are terse." (3 words) + "How do I reset my password?" (6 words)
    assert_eq!(
        usage["usage"],
        json!({"prompt_tokens": 9, "completion_tokens": 10, "total_tokens": 19})
    );

    // include_usage: false, or stream_options absent: no usage chunk.
    let mut body = chat(true);
    body["stream_options"] = json!({"include_usage": false});
    let events = stream_events(&server, body).await;
    assert_eq!(events.len(), 13); // role + 10 + finish + [DONE]
    assert!(events.iter().all(|e| !e.contains("\"usage\"")));
    server.shutdown().await;
}

#[tokio::test]
async fn text_is_deterministic_for_a_seed() {
    let mut texts = Vec::new();
    for seed in [7, 7, 8] {
        let server = MockServer::start(fast().seed(seed)).await.expect("started");
        let events = stream_events(&server, chat(true)).await;
        let chunks: Vec<Value> = events[..events.len() - 1]
            .iter()
            .map(|e| json_of(e))
            .collect();
        texts.push(content_of(&chunks));
        server.shutdown().await;
    }
    assert_eq!(texts[0], texts[1]);
    assert_eq!(texts[0], expected_text(7, 10));
    assert_ne!(texts[0], texts[2]);
    assert_eq!(texts[2], expected_text(8, 10));
    assert_eq!(texts[0].split(' ').count(), 10);
}

#[tokio::test]
async fn truth_has_a_timestamp_per_token_and_ttft_matches() {
    let profile = fast();
    let server = MockServer::start(profile.clone()).await.expect("started");
    for _ in 0..3 {
        let _ = stream_events(&server, chat(true)).await;
    }
    let truth = server.truth();
    assert_eq!(truth.len(), 3);
    let mut lateness = Vec::new();
    let mut gaps = Vec::new();
    for t in &truth {
        assert_eq!(t.token_sent_at.len(), 10);
        assert_eq!(t.planned_tokens, 10);
        let ttft = t.ttft().expect("tokens were sent");
        assert!(ttft >= ms(20), "TTFT {ttft:?} below the profile's 20 ms");
        assert!(ttft < ms(50), "TTFT {ttft:?} far above the profile's 20 ms");
        assert!(t.ttfb() <= ttft);
        assert!(t.e2e().expect("finished") >= ttft);
        let planned = profile.token_offsets(t.request_index, 10);
        for (actual, planned) in t.token_offsets().iter().zip(&planned) {
            assert!(
                actual >= planned,
                "token at {actual:?} before its plan {planned:?}"
            );
            lateness.push(*actual - *planned);
        }
        assert_eq!(t.inter_token_gaps().len(), 9);
        gaps.extend(t.inter_token_gaps());
    }
    let mean_gap = gaps.iter().sum::<Duration>() / gaps.len() as u32;
    let max_late = lateness.iter().max().copied().unwrap_or_default();
    let mean_late = lateness.iter().sum::<Duration>() / lateness.len() as u32;
    eprintln!(
        "timing (target ttft 20 ms, itl 2 ms): ttft {:?}, mean gap {mean_gap:?}, min gap {:?}, max gap {:?}, lateness mean {mean_late:?} max {max_late:?}",
        truth.iter().filter_map(RequestTruth::ttft).collect::<Vec<_>>(),
        gaps.iter().min(),
        gaps.iter().max(),
    );
    server.shutdown().await;
}

#[tokio::test]
async fn max_tokens_is_honoured() {
    let server = MockServer::start(fast()).await.expect("started");
    let cases = [
        (json!({"max_tokens": 3}), 3, "length"),
        (json!({"max_completion_tokens": 4}), 4, "length"),
        (
            json!({"max_tokens": 9, "max_completion_tokens": 5}),
            5,
            "length",
        ),
        (json!({"max_tokens": 10}), 10, "length"),
        (json!({"max_tokens": 100}), 10, "stop"),
    ];
    for (extra, n, reason) in cases {
        let mut body = chat(true);
        for (k, v) in extra.as_object().expect("an object") {
            body[k] = v.clone();
        }
        let events = stream_events(&server, body).await;
        let chunks: Vec<Value> = events[..events.len() - 1]
            .iter()
            .map(|e| json_of(e))
            .collect();
        assert_eq!(content_of(&chunks), expected_text(7, n), "{extra}");
        let finish = chunks.last().expect("a finish chunk");
        assert_eq!(finish["choices"][0]["finish_reason"], reason, "{extra}");
    }
    let truth = server.truth();
    let counts: Vec<usize> = truth.iter().map(|t| t.token_sent_at.len()).collect();
    assert_eq!(counts, [3, 4, 5, 10, 10]);
    assert_eq!(truth[0].max_tokens, Some(3));
    assert_eq!(truth[4].max_tokens, Some(100));

    let mut zero = chat(true);
    zero["max_tokens"] = json!(0);
    assert_eq!(post(&server, zero).await.status(), 400);
    server.shutdown().await;
}

#[tokio::test]
async fn non_streaming_answer() {
    let server = MockServer::start(fast()).await.expect("started");
    let mut body = chat(false);
    body["max_tokens"] = json!(6);
    let resp = post(&server, body).await;
    assert_eq!(resp.status(), 200);
    let v: Value = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-test");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["message"]["content"], expected_text(7, 6));
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15})
    );
    let truth = server.truth();
    assert_eq!(truth.len(), 1);
    let t = &truth[0];
    assert!(!t.streamed && t.completed && t.token_sent_at.is_empty());
    assert_eq!(t.ttft(), None);
    // TTFT + 5 gaps = 30 ms
    let e2e = t.e2e().expect("finished");
    assert!(e2e >= ms(30), "answered after {e2e:?}, before 30 ms");
    assert!(e2e < ms(60), "answered after {e2e:?}");

    // `stream` absent means not streaming.
    let resp = post(
        &server,
        json!({"messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    let v: Value = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["model"], DEFAULT_MODEL);
    assert_eq!(v["usage"]["completion_tokens"], 10);
    server.shutdown().await;
}

#[tokio::test]
async fn models_are_listed() {
    let server = MockServer::start(fast()).await.expect("started");
    let url = format!("{}/models", server.base_url());
    let resp = client().get(&url).send().await.expect("answered");
    assert_eq!(resp.status(), 200);
    let v: Value = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], DEFAULT_MODEL);
    assert_eq!(v["data"][0]["object"], "model");

    let one = client()
        .get(format!("{url}/{DEFAULT_MODEL}"))
        .send()
        .await
        .expect("answered");
    assert_eq!(one.status(), 200);
    let missing = client()
        .get(format!("{url}/nope"))
        .send()
        .await
        .expect("answered");
    assert_eq!(missing.status(), 404);
    server.shutdown().await;

    let named = MockServer::builder()
        .model("my-model")
        .start()
        .await
        .expect("started");
    let v: Value = json_of(
        &client()
            .get(format!("{}/models", named.base_url()))
            .send()
            .await
            .expect("answered")
            .text()
            .await
            .expect("a body"),
    );
    assert_eq!(v["data"][0]["id"], "my-model");
    named.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_openai_errors() {
    let server = MockServer::start(fast()).await.expect("started");
    let bodies = [
        "{not json",
        "",
        r#"{"model":"m"}"#,
        r#"{"model":"m","messages":[]}"#,
        r#"{"model":"m","messages":"hi"}"#,
        r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":-1}"#,
    ];
    for body in bodies {
        let resp = post_raw(&server, body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let v: Value = json_of(&resp.text().await.expect("a body"));
        let err = &v["error"];
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{v}"
        );
        assert_eq!(err["type"], "invalid_request_error");
        assert!(err["code"].as_str().is_some(), "{v}");
    }
    let truth = server.truth();
    assert_eq!(truth.len(), bodies.len());
    assert!(truth
        .iter()
        .all(|t| t.status == 400 && t.token_sent_at.is_empty()));

    let unknown = client()
        .get(format!("{}/nothing-here", server.base_url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(unknown.status(), 404);
    server.shutdown().await;
}

#[tokio::test]
async fn error_rate_injects_500s() {
    let server = MockServer::start(fast().error_rate(1.0))
        .await
        .expect("started");
    for stream in [true, false] {
        let resp = post(&server, chat(stream)).await;
        assert_eq!(resp.status(), 500);
        let v: Value = json_of(&resp.text().await.expect("a body"));
        assert_eq!(v["error"]["type"], "server_error");
    }
    assert!(server.truth().iter().all(|t| t.status == 500));

    // A fraction: the same requests fail on every run with the same seed.
    let profile = fast().error_rate(0.5);
    server.set_profile(profile.clone());
    server.clear_truth();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(post(&server, chat(false)).await.status().as_u16());
    }
    let expected: Vec<u16> = (0..20)
        .map(|i| if profile.injects_error(i) { 500 } else { 200 })
        .collect();
    assert_eq!(statuses, expected);
    assert!(statuses.contains(&500) && statuses.contains(&200));
    server.shutdown().await;
}

#[test]
fn env_grammar_parses() {
    let p = LatencyProfile::parse(
        "ttft=50ms,itl=10ms,tokens=64,seed=7,scale=1.3,jitter=lognormal:0.3,error_rate=0.1",
    )
    .expect("valid");
    assert_eq!(p.ttft, ms(65));
    assert_eq!(
        p.inter_token,
        InterToken::LogNormal {
            median: ms(13),
            sigma: 0.3
        }
    );
    assert_eq!((p.output_tokens, p.seed, p.error_rate), (64, 7, 0.1));

    assert_eq!(
        LatencyProfile::parse("").expect("valid"),
        LatencyProfile::default()
    );
    let p = LatencyProfile::parse(" ttft = 1.5ms , itl=500us..2ms ,").expect("valid");
    assert_eq!(p.ttft, Duration::from_micros(1500));
    assert_eq!(
        p.inter_token,
        InterToken::Uniform {
            min: Duration::from_micros(500),
            max: ms(2)
        }
    );
    let p = LatencyProfile::parse("itl=10ms,jitter=uniform:3ms").expect("valid");
    assert_eq!(
        p.inter_token,
        InterToken::Uniform {
            min: ms(7),
            max: ms(13)
        }
    );
    let p = LatencyProfile::parse("jitter=none,ttft=0.2s,itl=100ns").expect("valid");
    assert_eq!(p.ttft, ms(200));
    assert_eq!(
        p.inter_token,
        InterToken::Constant(Duration::from_nanos(100))
    );
    // Display writes the grammar back.
    let p = fast().inter_token(InterToken::LogNormal {
        median: ms(2),
        sigma: 0.25,
    });
    assert_eq!(LatencyProfile::parse(&p.to_string()).expect("valid"), p);
    let p: LatencyProfile = "tokens=3".parse().expect("valid");
    assert_eq!(p.output_tokens, 3);

    // from_env's handling of the variable.
    use std::env::VarError;
    assert_eq!(
        LatencyProfile::from_var(Err(VarError::NotPresent)),
        Ok(None)
    );
    assert_eq!(LatencyProfile::from_var(Ok("  ".into())), Ok(None));
    assert_eq!(
        LatencyProfile::from_var(Ok("seed=3".into())),
        Ok(Some(LatencyProfile::default().seed(3)))
    );
    assert_eq!(
        LatencyProfile::from_var(Err(VarError::NotUnicode("x".into()))),
        Err(ProfileError::NotUnicode)
    );
}

#[test]
fn env_grammar_rejects_bad_input() {
    let bad = |spec: &str| LatencyProfile::parse(spec).expect_err(spec);
    let invalid = |spec: &str, key: &str| match bad(spec) {
        ProfileError::InvalidValue { key: k, .. } => assert_eq!(k, key, "{spec}"),
        other => panic!("{spec}: {other:?}"),
    };
    assert_eq!(
        bad("ttft"),
        ProfileError::Syntax {
            item: "ttft".into()
        }
    );
    assert_eq!(
        bad("latency=5ms"),
        ProfileError::UnknownKey {
            key: "latency".into()
        }
    );
    assert_eq!(
        bad("seed=1,seed=2"),
        ProfileError::DuplicateKey { key: "seed".into() }
    );
    invalid("ttft=20", "ttft"); // no unit
    invalid("ttft=20 min", "ttft");
    invalid("ttft=-5ms", "ttft");
    invalid("ttft=abcms", "ttft");
    invalid("ttft=2h", "ttft");
    invalid("ttft=7200s", "ttft"); // over an hour
    invalid("itl=5ms..2ms", "itl");
    invalid("itl=", "itl");
    invalid("jitter=gaussian:0.3", "jitter");
    invalid("jitter=lognormal:-1", "jitter");
    invalid("jitter=lognormal:x", "jitter");
    invalid("jitter=lognormal", "jitter");
    invalid("tokens=0", "tokens");
    invalid("tokens=-3", "tokens");
    invalid("tokens=1.5", "tokens");
    invalid("seed=-1", "seed");
    invalid("scale=-1", "scale");
    invalid("scale=inf", "scale");
    invalid("scale=NaN", "scale");
    invalid("error_rate=1.5", "error_rate");
    invalid("error_rate=NaN", "error_rate");
    assert!(matches!(
        bad("itl=1ms..2ms,jitter=lognormal:0.3"),
        ProfileError::Conflict { .. }
    ));
    // Messages name the key and the value.
    let msg = bad("tokens=zero").to_string();
    assert!(msg.contains("`tokens`") && msg.contains("`zero`"), "{msg}");
    let msg = bad("ttft=20").to_string();
    assert!(msg.contains("unit"), "{msg}");
    assert!(matches!(
        crate::Error::from(bad("x=1")),
        crate::Error::Config(_)
    ));
}

#[test]
fn seeded_lognormal_gaps_are_reproducible() {
    let p = fast().inter_token(InterToken::LogNormal {
        median: ms(2),
        sigma: 0.5,
    });
    let a = p.token_offsets(3, 50);
    assert_eq!(a, p.token_offsets(3, 50));
    assert_eq!(a.len(), 50);
    assert_eq!(a[0], ms(20));
    assert!(a.windows(2).all(|w| w[1] >= w[0]));
    assert_ne!(a, p.token_offsets(4, 50), "each request has its own draws");
    assert_ne!(
        a,
        p.clone().seed(8).token_offsets(3, 50),
        "the seed matters"
    );
    // The gaps really vary, around the median.
    let gaps: Vec<Duration> = a.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().any(|g| *g < ms(2)) && gaps.iter().any(|g| *g > ms(2)));
    // Scaling multiplies the same draws.
    let slow = p.clone().scale(1.3).token_offsets(3, 50);
    for (s, a) in slow.iter().zip(&a) {
        let ratio = s.as_secs_f64() / a.as_secs_f64();
        assert!((ratio - 1.3).abs() < 1e-6, "ratio {ratio}");
    }
    // The error decision does not shift the gaps.
    assert_eq!(p.clone().error_rate(0.5).token_offsets(3, 50), a);
    // Uniform draws are reproducible too and stay in range.
    let u = fast().inter_token(InterToken::Uniform {
        min: ms(1),
        max: ms(3),
    });
    let offs = u.token_offsets(0, 30);
    assert_eq!(offs, u.token_offsets(0, 30));
    assert!(offs
        .windows(2)
        .all(|w| w[1] - w[0] >= ms(1) && w[1] - w[0] <= ms(3)));
}

#[tokio::test]
async fn server_follows_the_seeded_schedule() {
    let p = fast().inter_token(InterToken::LogNormal {
        median: ms(2),
        sigma: 0.5,
    });
    let server = MockServer::start(p.clone()).await.expect("started");
    let _ = stream_events(&server, chat(true)).await;
    // set_profile restarts the request index: the same draws, 2x slower.
    server.set_profile(p.clone().scale(2.0));
    let _ = stream_events(&server, chat(true)).await;
    let truth = server.truth();
    assert_eq!(truth.len(), 2);
    assert_eq!(truth[0].request_index, 0);
    assert_eq!(truth[1].request_index, 0);
    for (t, profile) in truth.iter().zip([p.clone(), p.scale(2.0)]) {
        let planned = profile.token_offsets(0, 10);
        for (actual, planned) in t.token_offsets().iter().zip(&planned) {
            assert!(actual >= planned);
            assert!(*actual - *planned < ms(30), "{actual:?} vs {planned:?}");
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn client_disconnect_stops_the_generator() {
    let profile = LatencyProfile::default()
        .ttft(ms(5))
        .itl(ms(20))
        .output_tokens(1000);
    let server = MockServer::start(profile).await.expect("started");
    let resp = post(&server, chat(true)).await;
    let mut body = resp.bytes_stream();
    let mut seen = String::new();
    while seen.matches("\"content\":\"").count() < 3 {
        let bytes = body
            .next()
            .await
            .expect("more chunks")
            .expect("readable chunk");
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert_eq!(server.in_flight(), 1);
    drop(body);

    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.in_flight() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the stream is still generating after the client left"
        );
        tokio::time::sleep(ms(5)).await;
    }
    let truth = server.truth();
    assert_eq!(truth.len(), 1);
    let t = &truth[0];
    assert!(!t.completed);
    assert_eq!(t.finished_at, None);
    assert!(
        t.token_sent_at.len() < 100,
        "{} tokens sent",
        t.token_sent_at.len()
    );
    // Nothing more is generated.
    let sent = t.token_sent_at.len();
    tokio::time::sleep(ms(60)).await;
    assert_eq!(server.truth()[0].token_sent_at.len(), sent);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_streams_keep_pace() {
    let _alone = crate::test_support::exclusive().await;
    const STREAMS: usize = 256;
    let profile = LatencyProfile::default()
        .ttft(ms(20))
        .itl(ms(20))
        .output_tokens(10);
    let server = MockServer::start(profile.clone()).await.expect("started");
    let client = client();
    let url = format!("{}/chat/completions", server.base_url());
    let mut body = chat(true);
    body["stream_options"] = json!({"include_usage": true});
    let body = body.to_string();
    let tasks: Vec<_> = (0..STREAMS)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("answered");
                resp.text().await.expect("a body")
            })
        })
        .collect();
    for task in tasks {
        let text = task.await.expect("the client task");
        assert!(text.ends_with("data: [DONE]\n\n"));
        assert_eq!(text.matches("\"content\":\"").count(), 11); // role + 10 tokens
    }
    let truth = server.truth();
    assert_eq!(truth.len(), STREAMS);
    let mut max_late = Duration::ZERO;
    let mut lateness = Vec::new();
    for t in &truth {
        assert!(t.completed);
        assert_eq!(t.token_sent_at.len(), 10);
        let planned = profile.token_offsets(t.request_index, 10);
        for (actual, planned) in t.token_offsets().iter().zip(&planned) {
            assert!(actual >= planned);
            lateness.push(*actual - *planned);
            max_late = max_late.max(*actual - *planned);
        }
    }
    lateness.sort();
    eprintln!(
        "{STREAMS} streams: token lateness vs plan p50 {:?} p99 {:?} max {max_late:?}",
        lateness[lateness.len() / 2],
        lateness[lateness.len() * 99 / 100],
    );
    // Generous (the machine may be busy, and a debug build is slow): falling behind would
    // show as lateness growing by whole gaps, token after token.
    let bound = if cfg!(debug_assertions) {
        ms(500)
    } else {
        ms(100)
    };
    assert!(max_late < bound, "fell behind by {max_late:?}");
    assert_eq!(server.in_flight(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_ends_streams_and_stops_listening() {
    let profile = LatencyProfile::default()
        .ttft(ms(5))
        .itl(ms(20))
        .output_tokens(1000);
    let server = MockServer::start(profile).await.expect("started");
    let addr = server.addr();
    let resp = post(&server, chat(true)).await;
    let reader = tokio::spawn(async move { resp.text().await });
    tokio::time::sleep(ms(50)).await;
    let t0 = std::time::Instant::now();
    server.shutdown().await;
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        t0.elapsed()
    );
    // The stream ended early, without [DONE].
    let text = reader.await.expect("reader").unwrap_or_default();
    assert!(!text.contains("[DONE]"));
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    // Drop stops it too.
    let server = MockServer::start(fast()).await.expect("started");
    let addr = server.addr();
    drop(server);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "still listening after drop"
        );
        tokio::time::sleep(ms(5)).await;
    }
}

#[tokio::test]
async fn truth_is_bounded_and_clearable() {
    let server = MockServer::builder()
        .profile(fast().ttft(ms(1)))
        .truth_capacity(2)
        .start()
        .await
        .expect("started");
    for _ in 0..3 {
        let _ = stream_events(&server, chat(true)).await;
    }
    let truth = server.truth();
    assert_eq!(truth.len(), 2);
    assert_eq!(
        truth.iter().map(|t| t.request_index).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(server.truth_evicted(), 1);
    server.clear_truth();
    assert!(server.truth().is_empty());
    server.shutdown().await;
}
