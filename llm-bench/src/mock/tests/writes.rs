//! Each response's request id, and the stamps of the socket writes that carried it.

use super::*;
use crate::clock::monotonic_ns;

/// The anthropic dialect's minimal streamed request.
fn anthropic_stream() -> Value {
    json!({
        "model": "claude-test",
        "max_tokens": 64,
        "stream": true,
        "messages": [{"role": "user", "content": "Hi"}],
    })
}

#[tokio::test]
async fn every_token_has_the_write_that_carried_it_on_the_monotonic_clock() {
    let server = MockServer::start(fast()).await.expect("started");
    let before = monotonic_ns();
    let resp = post(&server, chat(true)).await;
    let id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("an x-request-id header");
    let body = resp.text().await.expect("a body");
    let after = monotonic_ns();
    assert!(body.ends_with("data: [DONE]\n\n"));
    // The last writes may land a moment after the record is stored: read it once the body
    // is in (it is, here), so every stamp is there.
    let truth = server.truth();
    assert_eq!(truth.len(), 1);
    let t = &truth[0];
    assert_eq!(t.request_id, id);
    assert_eq!(t.request_id, "req_mock_0");
    assert!(before <= t.received_monotonic_ns && t.received_monotonic_ns <= after);
    let headers = t.headers_written.expect("the headers were written");
    assert!(headers.begin_monotonic_ns >= t.received_monotonic_ns);
    assert!(headers.end_monotonic_ns >= headers.begin_monotonic_ns);
    assert_eq!(t.token_written.len(), t.token_sent_at.len());
    assert_eq!(t.token_written.len(), 10);
    let mut previous = headers.begin_monotonic_ns;
    for (i, w) in t.token_written.iter().enumerate() {
        assert!(
            w.begin_monotonic_ns >= previous,
            "token {i} written out of order"
        );
        assert!(w.end_monotonic_ns >= w.begin_monotonic_ns);
        assert!(w.end_monotonic_ns <= after);
        previous = w.begin_monotonic_ns;
    }
    // The write of a token is after the token's deadline: its offset from receipt, on the
    // monotonic clock, is at least the planned one (20 ms TTFT, then 2 ms gaps).
    let planned = fast().token_offsets(t.request_index, 10);
    for (w, planned) in t.token_written.iter().zip(&planned) {
        let offset = w.begin_monotonic_ns - t.received_monotonic_ns;
        assert!(
            u128::from(offset) >= planned.as_nanos(),
            "written at {offset} ns, planned {planned:?}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn request_ids_count_every_request_in_the_dialect_s_header() {
    let server = MockServer::start(fast()).await.expect("started");
    // A refused request gets an id too (OpenAI's 400 for a body that is not JSON).
    let refused = post_raw(&server, "not json").await;
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.headers()["x-request-id"], "req_mock_0");
    let _ = refused.text().await;
    let anthropic = client()
        .post(format!("{}/v1/messages", server.root_url()))
        .header("content-type", "application/json")
        .body(anthropic_stream().to_string())
        .send()
        .await
        .expect("the mock answers");
    assert_eq!(anthropic.headers()["request-id"], "req_mock_1");
    assert!(!anthropic.headers().contains_key("x-request-id"));
    let _ = anthropic.text().await;
    let ids: Vec<String> = server.truth().into_iter().map(|t| t.request_id).collect();
    assert_eq!(ids, ["req_mock_0", "req_mock_1"]);
    // A new profile restarts the request index (the gaps' seed), not the ids.
    server.set_profile(fast());
    let _ = post(&server, chat(false)).await.text().await;
    let last = server.truth().pop().expect("a record");
    assert_eq!(
        (last.request_index, last.request_id.as_str()),
        (0, "req_mock_2")
    );
    assert!(
        last.headers_written.is_some(),
        "a whole answer's write is stamped"
    );
    assert!(last.token_written.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn a_reused_connection_gives_each_response_its_own_writes() {
    let server = MockServer::start(fast().output_tokens(3))
        .await
        .expect("started");
    let http = client();
    for _ in 0..3 {
        let body = http
            .post(format!("{}/chat/completions", server.base_url()))
            .header("content-type", "application/json")
            .body(chat(true).to_string())
            .send()
            .await
            .expect("the mock answers")
            .text()
            .await
            .expect("a body");
        assert!(body.ends_with("data: [DONE]\n\n"));
    }
    let truth = server.truth();
    assert_eq!(truth.len(), 3);
    for pair in truth.windows(2) {
        let first_end = pair[0]
            .token_written
            .last()
            .expect("written")
            .end_monotonic_ns;
        let next = pair[1].headers_written.expect("written");
        assert!(next.begin_monotonic_ns >= first_end);
        assert!(next.begin_monotonic_ns >= pair[1].received_monotonic_ns);
    }
    for t in &truth {
        assert_eq!(t.token_written.len(), 3);
    }
    server.shutdown().await;
}
