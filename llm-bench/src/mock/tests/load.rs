//! Tests of the capacity model (slots, queue, prefill, batched decoding, capacity) and of
//! fault injection (rate limiting, overload errors, stalls, cut connections).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{chat, client, fast, json_of, ms, post};
use crate::mock::{Fault, LatencyProfile, MockServer, ProfileError, RequestTruth};

/// The truth of every request, sorted by request index.
fn truth_by_index(server: &MockServer) -> Vec<RequestTruth> {
    let mut truth = server.truth();
    truth.sort_by_key(|t| t.request_index);
    truth
}

/// Posts `body` to `path` under the server's root URL.
async fn post_to(server: &MockServer, path: &str, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", server.root_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the mock answers")
}

/// An Anthropic streaming request.
fn anthropic() -> Value {
    json!({"model": "claude-test", "max_tokens": 100, "stream": true,
           "messages": [{"role": "user", "content": "Hi"}]})
}

/// A Gemini request.
fn gemini() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]})
}

/// The Gemini streaming path.
const GEMINI_STREAM: &str = "/v1beta/models/gemini-test:streamGenerateContent?alt=sse";

#[test]
fn grammar_round_trips_capacity_and_fault_keys() {
    let spec = "slots=8,prefill=0.2ms,batch_slowdown=0.5,max_queue=16,rate_limited=0.2,\
                retry_after=1500ms,server_errors=0.05,stall=0.1,stall_mid=0.1,stall_for=250ms,\
                disconnect=0.05";
    let p = LatencyProfile::parse(spec).expect("valid");
    assert_eq!(p.capacity.slots, Some(8));
    assert_eq!(p.capacity.prefill, Duration::from_micros(200));
    assert_eq!(p.capacity.batch_slowdown, 0.5);
    assert_eq!(p.capacity.max_queue, Some(16));
    assert_eq!(p.faults.rate_limited, 0.2);
    assert_eq!(p.faults.retry_after, ms(1500));
    assert_eq!(p.faults.server_errors, 0.05);
    assert_eq!((p.faults.stall, p.faults.stall_mid), (0.1, 0.1));
    assert_eq!(p.faults.stall_for, ms(250));
    assert_eq!(p.faults.disconnect, 0.05);
    // The builders make the same profile.
    let built = LatencyProfile::default()
        .slots(8)
        .prefill(Duration::from_micros(200))
        .batch_slowdown(0.5)
        .max_queue(16)
        .rate_limited(0.2)
        .retry_after(ms(1500))
        .server_errors(0.05)
        .stall(0.1)
        .stall_mid(0.1)
        .stall_for(ms(250))
        .disconnect(0.05);
    assert_eq!(built, p);

    let shown = p.to_string();
    for key in [
        "slots=8",
        "prefill=",
        "batch_slowdown=0.5",
        "max_queue=16",
        "rate_limited=0.2",
        "retry_after=",
        "server_errors=0.05",
        "stall=0.1",
        "stall_mid=0.1",
        "stall_for=",
        "disconnect=0.05",
    ] {
        assert!(shown.contains(key), "{key} missing from {shown}");
    }
    assert_eq!(LatencyProfile::parse(&shown).expect("valid"), p);
    // Unset, the new keys are not shown, and the default still round-trips.
    let plain = fast().to_string();
    for key in [
        "slots",
        "prefill",
        "max_queue",
        "rate_limited",
        "stall",
        "disconnect",
    ] {
        assert!(!plain.contains(key), "{key} in {plain}");
    }
    assert_eq!(LatencyProfile::parse(&plain).expect("valid"), fast());
    // scale scales prefill with the other delays.
    let scaled = LatencyProfile::parse("slots=2,prefill=1ms,scale=2").expect("valid");
    assert_eq!(scaled.capacity.prefill, ms(2));
}

#[test]
fn grammar_rejects_bad_capacity_and_fault_values() {
    let bad = |spec: &str| LatencyProfile::parse(spec).expect_err(spec);
    for (spec, key, value) in [
        ("slots=0", "slots", "0"),
        ("slots=-1", "slots", "-1"),
        ("slots=two", "slots", "two"),
        ("slots=2,prefill=5", "prefill", "5"),
        ("slots=2,batch_slowdown=-0.5", "batch_slowdown", "-0.5"),
        ("slots=2,batch_slowdown=inf", "batch_slowdown", "inf"),
        ("slots=2,max_queue=1.5", "max_queue", "1.5"),
        ("rate_limited=1.2", "rate_limited", "1.2"),
        ("server_errors=-0.1", "server_errors", "-0.1"),
        ("stall=NaN", "stall", "NaN"),
        ("stall_mid=x", "stall_mid", "x"),
        ("disconnect=2", "disconnect", "2"),
        ("retry_after=1", "retry_after", "1"),
        ("stall_for=2h", "stall_for", "2h"),
    ] {
        let err = bad(spec);
        match &err {
            ProfileError::InvalidValue {
                key: k, value: v, ..
            } => {
                assert_eq!((k.as_str(), v.as_str()), (key, value), "{spec}");
            }
            other => panic!("{spec}: {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("`{key}`")) && msg.contains(&format!("`{value}`")),
            "{msg}"
        );
    }
    // Queue settings without slots are a mistake.
    for spec in ["max_queue=4", "batch_slowdown=0.5"] {
        let msg = bad(spec).to_string();
        assert!(msg.contains("needs `slots`"), "{msg}");
    }
    assert!(LatencyProfile::parse("batch_slowdown=0").is_ok());
    assert!(bad("stall=0.1,stall=0.2")
        .to_string()
        .contains("more than once"));
    assert!(bad("slot=2").to_string().contains("slots"));
}

#[test]
fn fault_shares_hold_over_400_draws_and_leave_the_gaps_alone() {
    let p = fast()
        .inter_token(crate::mock::InterToken::LogNormal {
            median: ms(2),
            sigma: 0.4,
        })
        .rate_limited(0.2)
        .server_errors(0.1)
        .stall(0.1)
        .stall_mid(0.1)
        .disconnect(0.1);
    let faults: Vec<Option<Fault>> = (0..400).map(|i| p.planned_fault(i)).collect();
    let share = |f: Option<Fault>| faults.iter().filter(|x| **x == f).count() as f64 / 400.0;
    for (fault, expected) in [
        (Some(Fault::RateLimited), 0.2),
        (Some(Fault::ServerError), 0.1),
        (Some(Fault::Stall), 0.1),
        (Some(Fault::StallMid), 0.1),
        (Some(Fault::Disconnect), 0.1),
        (None, 0.4),
    ] {
        let got = share(fault);
        assert!(
            (got - expected).abs() < 0.06,
            "{fault:?}: {got} vs {expected}"
        );
    }
    // Deterministic, and the seed matters.
    assert_eq!(
        faults,
        (0..400).map(|i| p.planned_fault(i)).collect::<Vec<_>>()
    );
    let other = p.clone().seed(8);
    assert_ne!(
        faults,
        (0..400).map(|i| other.planned_fault(i)).collect::<Vec<_>>()
    );
    // Faults draw from their own generator: gaps and error_rate's picks do not move.
    let plain = fast().inter_token(p.inter_token);
    for i in 0..50 {
        assert_eq!(p.token_offsets(i, 20), plain.token_offsets(i, 20));
        let with_errors = p.clone().error_rate(0.3);
        assert_eq!(
            with_errors.injects_error(i),
            plain.clone().error_rate(0.3).injects_error(i)
        );
        if with_errors.injects_error(i) {
            assert_eq!(with_errors.planned_fault(i), Some(Fault::InjectedError));
        }
    }
}

#[tokio::test]
async fn rate_limited_answers_429_with_retry_after_in_each_shape() {
    let profile = fast().rate_limited(1.0).retry_after(ms(1500));
    let server = MockServer::start(profile).await.expect("started");
    let resp = post(&server, chat(true)).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2"),
        "1.5 s is written as 2 whole seconds"
    );
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["error"]["type"], "rate_limit_exceeded");
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");

    let resp = post_to(&server, "/v1/messages", anthropic()).await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(
        (&v["type"], &v["error"]["type"]),
        (&json!("error"), &json!("rate_limit_error"))
    );

    let resp = post_to(&server, GEMINI_STREAM, gemini()).await;
    assert_eq!(resp.status(), 429);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["error"]["code"], 429);
    assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");

    let truth = server.truth();
    assert_eq!(truth.len(), 3);
    for t in &truth {
        assert_eq!((t.status, t.fault()), (429, Some(Fault::RateLimited)));
        assert!(t.token_sent_at.is_empty());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn server_errors_answer_overloaded() {
    let server = MockServer::start(fast().server_errors(1.0))
        .await
        .expect("started");
    let resp = post(&server, chat(true)).await;
    assert_eq!(resp.status(), 503);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["error"]["code"], "overloaded");
    let resp = post_to(&server, "/v1/messages", anthropic()).await;
    assert_eq!(resp.status(), 529);
    let v = json_of(&resp.text().await.expect("a body"));
    assert_eq!(v["error"]["type"], "overloaded_error");
    let resp = post_to(
        &server,
        "/v2/chat",
        json!({"messages": [{"role": "user", "content": "Hi"}]}),
    )
    .await;
    assert_eq!(resp.status(), 503);
    assert!(server
        .truth()
        .iter()
        .all(|t| t.fault() == Some(Fault::ServerError)));
    server.shutdown().await;
}

#[tokio::test]
async fn disconnect_truncates_the_stream_and_frees_the_slot() {
    let server = MockServer::start(fast().slots(1).disconnect(1.0))
        .await
        .expect("started");
    for (path, body, terminal) in [
        ("/v1/chat/completions", chat(true), "[DONE]"),
        ("/v1/messages", anthropic(), "message_stop"),
    ] {
        let resp = post_to(&server, path, body).await;
        assert_eq!(resp.status(), 200);
        let mut stream = resp.bytes_stream();
        let mut raw = String::new();
        let mut failed = false;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => raw.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        assert!(failed, "{path}: the body ends with an error, not cleanly");
        assert!(!raw.contains(terminal), "{path}: {raw}");
        assert!(
            raw.contains("data: "),
            "{path}: the frames before the cut arrived"
        );
    }
    let truth = truth_by_index(&server);
    assert_eq!(truth.len(), 2);
    for t in &truth {
        assert_eq!(t.fault(), Some(Fault::Disconnect));
        assert!(!t.completed && t.finished_at.is_none());
        assert_eq!(t.token_sent_at.len(), 5, "cut halfway through 10 tokens");
    }
    // One slot, two cut streams: it was freed both times, and a whole answer follows.
    server.set_profile(fast().slots(1));
    let resp = post(&server, chat(true)).await;
    assert!(resp
        .text()
        .await
        .expect("a body")
        .ends_with("data: [DONE]\n\n"));
    // Not streaming: the body fails.
    server.set_profile(fast().disconnect(1.0));
    let sent = client()
        .post(format!("{}/chat/completions", server.base_url()))
        .body(chat(false).to_string())
        .send()
        .await;
    let body = match sent {
        Ok(resp) => resp.text().await.ok(),
        Err(_) => None,
    };
    assert_eq!(body, None, "a cut non-streaming answer has no body");
    server.shutdown().await;
}

#[tokio::test]
async fn stall_delays_the_first_token_and_stall_mid_the_middle() {
    let server = MockServer::start(fast().stall(1.0).stall_for(ms(150)))
        .await
        .expect("started");
    let resp = post(&server, chat(true)).await;
    assert!(resp
        .text()
        .await
        .expect("a body")
        .ends_with("data: [DONE]\n\n"));
    let t = &server.truth()[0];
    assert_eq!(t.fault(), Some(Fault::Stall));
    let ttft = t.ttft().expect("tokens");
    assert!(ttft >= ms(170), "TTFT {ttft:?}: 20 ms + a 150 ms stall");
    assert!(
        t.ttfb() < ms(100),
        "the headers are not stalled: {:?}",
        t.ttfb()
    );

    server.set_profile(fast().stall_mid(1.0).stall_for(ms(150)));
    server.clear_truth();
    let resp = post(&server, chat(true)).await;
    assert!(resp
        .text()
        .await
        .expect("a body")
        .ends_with("data: [DONE]\n\n"));
    let t = &server.truth()[0];
    assert_eq!(t.fault(), Some(Fault::StallMid));
    assert!(t.ttft().expect("tokens") < ms(100));
    let gaps = t.inter_token_gaps();
    assert!(gaps[4] >= ms(150), "the gap before token 5: {:?}", gaps[4]);
    assert!(
        gaps.iter().filter(|g| **g >= ms(150)).count() == 1,
        "{gaps:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn queue_wait_appears_when_requests_exceed_slots() {
    // One slot, 20 ms + 9 × 2 ms = 38 ms a request; three at once queue up.
    let server = MockServer::start(fast().slots(1)).await.expect("started");
    let answers = join_all((0..3).map(|_| async {
        let resp = post(&server, chat(true)).await;
        resp.text().await.expect("a body")
    }))
    .await;
    assert!(answers.iter().all(|a| a.ends_with("data: [DONE]\n\n")));
    let mut truth = server.truth();
    truth.sort_by_key(RequestTruth::queue_wait);
    let waits: Vec<Duration> = truth.iter().map(RequestTruth::queue_wait).collect();
    assert!(waits[0] < ms(15), "{waits:?}");
    assert!(waits[1] >= ms(30), "{waits:?}");
    assert!(waits[2] >= ms(65), "{waits:?}");
    for t in &truth {
        let ttft = t.ttft().expect("tokens");
        assert!(
            ttft >= t.queue_wait() + ms(20),
            "{ttft:?} vs {:?}",
            t.queue_wait()
        );
        assert!(t.fault().is_none() && t.completed);
    }
    // Served one after the other: no two generations overlap.
    for w in truth.windows(2) {
        let first_done = w[0].finished_at.expect("finished");
        assert!(w[1].token_sent_at[0] >= first_done);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn prefill_is_paid_per_prompt_token() {
    // 9 prompt words at 5 ms each: the first token at 20 + 45 ms.
    let server = MockServer::start(fast().prefill(ms(5)))
        .await
        .expect("started");
    let _ = post(&server, chat(true)).await.text().await;
    let t = &server.truth()[0];
    assert_eq!(t.prompt_tokens, 9);
    let ttft = t.ttft().expect("tokens");
    assert!(ttft >= ms(65), "TTFT {ttft:?}");
    assert!(ttft < ms(120), "TTFT {ttft:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn max_queue_refuses_the_excess_and_faults_take_no_slot() {
    // One slot held 100 ms; one may wait; the other two are refused at once.
    let slow = fast().ttft(ms(100)).slots(1).max_queue(1);
    let server = MockServer::start(slow.clone()).await.expect("started");
    let sent = Instant::now();
    let statuses = join_all((0..4).map(|_| async {
        let resp = post(&server, chat(true)).await;
        let status = resp.status().as_u16();
        let body = resp.text().await.expect("a body");
        (status, body, sent.elapsed())
    }))
    .await;
    let refused: Vec<_> = statuses.iter().filter(|s| s.0 == 503).collect();
    assert_eq!(refused.len(), 2, "{statuses:?}");
    for (_, body, after) in &refused {
        assert_eq!(json_of(body)["error"]["code"], "overloaded");
        assert!(*after < ms(100), "refused at once, not after {after:?}");
    }
    let truth = server.truth();
    let full: Vec<_> = truth
        .iter()
        .filter(|t| t.fault() == Some(Fault::QueueFull))
        .collect();
    assert_eq!(full.len(), 2);
    assert!(full
        .iter()
        .all(|t| t.status == 503 && t.queue_wait().is_zero()));

    // The same capacity keeps the same slot: with it busy and no room to wait, a
    // rate-limited request still gets its 429 at once (it never asks for the slot).
    let busy = tokio::spawn({
        let client = client();
        let url = format!("{}/chat/completions", server.base_url());
        async move {
            client
                .post(url)
                .body(chat(true).to_string())
                .send()
                .await
                .expect("answered")
                .text()
                .await
        }
    });
    tokio::time::sleep(ms(30)).await;
    server.set_profile(slow.rate_limited(1.0));
    let asked = Instant::now();
    let resp = post(&server, chat(true)).await;
    assert_eq!(resp.status(), 429);
    assert!(
        asked.elapsed() < ms(60),
        "answered after {:?}",
        asked.elapsed()
    );
    assert!(busy.await.expect("joined").is_ok());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_at_saturation_matches_capacity_rps() {
    // 4 slots, 100 ms + 9 × 6 ms = 154 ms a request: 26 requests/s at most.
    let profile = LatencyProfile::default()
        .ttft(ms(100))
        .itl(ms(6))
        .output_tokens(10)
        .slots(4);
    let expected = profile.capacity_rps(9, 10).expect("slots are set");
    assert!((expected - 4.0 / 0.154).abs() < 1e-9);
    let server = MockServer::start(profile).await.expect("started");
    let http = client();
    let url = format!("{}/chat/completions", server.base_url());
    let started = Instant::now();
    // 24 requests at once (concurrency 24, far above the 4 slots): 6 waves.
    let done = join_all((0..24).map(|_| {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move {
            let resp = http
                .post(url)
                .body(chat(true).to_string())
                .send()
                .await
                .expect("answered");
            resp.text()
                .await
                .expect("a body")
                .ends_with("data: [DONE]\n\n")
        })
    }))
    .await;
    let wall = started.elapsed();
    assert!(done.into_iter().all(|d| d.expect("joined")));
    let measured = 24.0 / wall.as_secs_f64();
    eprintln!("capacity {expected:.1} req/s, measured {measured:.1} req/s over {wall:?}");
    assert!(
        (measured - expected).abs() / expected < 0.10,
        "measured {measured:.1} req/s, capacity_rps {expected:.1}"
    );
    let max_wait = server
        .truth()
        .iter()
        .map(RequestTruth::queue_wait)
        .max()
        .unwrap_or_default();
    assert!(max_wait >= ms(700), "the last wave waited {max_wait:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_slowdown_stretches_gaps_as_slots_fill() {
    // Two slots, slowdown 1: a lone request's gaps are 10 ms, two at once 20 ms.
    let profile = LatencyProfile::default()
        .ttft(ms(5))
        .itl(ms(10))
        .output_tokens(8)
        .slots(2)
        .batch_slowdown(1.0);
    let server = MockServer::start(profile).await.expect("started");
    let _ = post(&server, chat(true)).await.text().await;
    server.clear_truth();
    let _ = join_all((0..2).map(|_| async { post(&server, chat(true)).await.text().await })).await;
    let truth = server.truth();
    assert_eq!(truth.len(), 2);
    for t in &truth {
        let gaps = t.inter_token_gaps();
        let mean = gaps.iter().sum::<Duration>() / gaps.len() as u32;
        assert!(mean >= ms(17), "mean gap {mean:?} with both slots busy");
    }
    server.shutdown().await;
}
