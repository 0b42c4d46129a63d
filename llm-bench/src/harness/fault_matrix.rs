//! The fault matrix: every way an endpoint can misbehave, one named test each, run through
//! the harness's real closed loop ([`run_scenario`]) against a hostile loopback server of
//! our own ([`hostile`]) and asserted on the stored run. The cases: a 429 storm with
//! `Retry-After` that ends (retried, waits honoured and kept out of latency) and one that
//! outlasts the retries (`http_status`); 500, 502 and 503; a stall before the first token
//! (`first_token_timeout`) and mid-stream (`idle_timeout`); a reset mid-stream, a FIN
//! mid-stream (close-delimited and chunked bodies) and a FIN inside an event (all
//! `truncated`, saying which); a pooled connection the server closed while idle (retried
//! once on a new connection: a success counted as a retry, or `transport` when the new one
//! fails too); invalid SSE field lines (ignored, as the standard says); invalid JSON in
//! `data` (`malformed`); a 10 MB line with no newline (`malformed` at the SSE decoder's
//! 1 MiB line limit: what the client buffers is bounded); invalid UTF-8 (replaced by
//! U+FFFD); UTF-8 split across reads and one byte at a time (exact text); headers one byte
//! per second and a port that accepts but never reads (`first_byte_timeout`); a server that
//! dies mid-run (later requests `connect`, earlier samples kept); a closed port (`connect`,
//! naming host and port only); and a key echoed in an error body and an error event (it
//! appears nowhere). Each test checks every failed sample's class, a fragment of its
//! message, its phase and duration, that every successful sample is there, and that the run
//! finished within a bound derived from its limits.

mod hostile;

use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use self::hostile::{
    chunk, chunked_answer, finish, status, token, Hostile, CHUNKED_HEAD, CLOSE_HEAD, LAST_CHUNK,
};
use crate::context::{Ctx, ScenarioEnv};
use crate::error::{Error, ErrorClass};
use crate::harness::plan::{Load, Plan};
use crate::limits::PhaseLimits;
use crate::metrics::{FailedPhase, RequestSample};
use crate::providers::retry::RetryPolicy;
use crate::scenario::{into_scenario_future, ScenarioFn, ScenarioFuture};
use crate::store::StoredRun;
use crate::{ApiKey, ChatRequest, Client};

/// The short phase limits of most cases: a stall is found in a third of a second.
const SHORT: Duration = Duration::from_millis(300);

/// Limits of `limit` for every phase.
fn limits(limit: Duration) -> PhaseLimits {
    PhaseLimits {
        connect: limit,
        first_byte: limit,
        first_token: limit,
        idle: limit,
    }
}

/// A fake key, recognisable wherever it would leak.
const KEY: &str = "sk-faultmatrix-DO-NOT-LEAK-7f3a9c";

/// The answer the exact-text cases send: multi-byte characters of 2, 3 and 4 bytes.
const EXACT: [&str; 2] = ["Hé, ", "世界 🙂"];

/// Streams one answer and keeps nothing of it.
fn answer(ctx: &mut Ctx) -> ScenarioFuture<'_> {
    into_scenario_future(async move { ctx.stream(ChatRequest::new("hi")).await.map(|_| ()) })
}

/// Streams one answer, which must be [`EXACT`] to the byte.
fn exact_answer(ctx: &mut Ctx) -> ScenarioFuture<'_> {
    into_scenario_future(async move {
        let done = ctx.stream(ChatRequest::new("hi")).await?;
        check_text(&done.text, &EXACT.concat())
    })
}

/// Streams one answer, which must be `H\u{FFFD}llo` (an invalid byte replaced).
fn replaced_answer(ctx: &mut Ctx) -> ScenarioFuture<'_> {
    into_scenario_future(async move {
        let done = ctx.stream(ChatRequest::new("hi")).await?;
        check_text(&done.text, "H\u{FFFD}llo")
    })
}

/// Streams one answer, which must be `Hello`.
fn hello_answer(ctx: &mut Ctx) -> ScenarioFuture<'_> {
    into_scenario_future(async move {
        let done = ctx.stream(ChatRequest::new("hi")).await?;
        check_text(&done.text, "Hello")
    })
}

/// A scenario error unless `got` is `want`.
fn check_text(got: &str, want: &str) -> crate::Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::scenario(format!(
            "the answer was {got:?}, not {want:?}"
        )))
    }
}

/// How one case is run.
struct Case {
    base_url: String,
    limits: PhaseLimits,
    retries: u32,
    samples: u32,
    run: ScenarioFn,
    key: Option<&'static str>,
}

impl Case {
    /// `samples` requests of [`answer`] to `base_url` under [`SHORT`] limits, no retries.
    fn new(base_url: String, samples: u32) -> Case {
        Case {
            base_url,
            limits: limits(SHORT),
            retries: 0,
            samples,
            run: answer,
            key: None,
        }
    }

    /// Runs the case through the harness's closed loop (one request at a time) and stores
    /// it as the harness does: the stored run, and how long the run took.
    async fn run(self) -> (StoredRun, Duration) {
        // Some cases keep both cores busy (10 MB through the decoder, one byte per read):
        // never beside a test that measures time.
        let _alone = crate::test_support::exclusive().await;
        let mut builder = Client::builder().base_url(&self.base_url).model("m");
        if let Some(key) = self.key {
            builder = builder.api_key(ApiKey::new(key));
        }
        let client = builder
            .build()
            .expect("a client of the hostile server")
            .with_connect_timeout(self.limits.connect)
            .expect("a client with the case's connect limit")
            .with_retries(RetryPolicy::new(self.retries));
        let env = Arc::new(ScenarioEnv::new(client, None).with_limits(self.limits));
        let plan = Plan {
            samples: self.samples,
            samples_from_duration: false,
            warmup: 0,
            load: Load::Closed { concurrency: 1 },
            timeout: Duration::from_secs(10),
            max_consecutive_failures: 0,
            stop: Default::default(),
        };
        let scenario = crate::harness::testing::scenario("fault_matrix", self.run);
        let began = StdInstant::now();
        let run = crate::harness::testing::stored_run_of(scenario, env, &plan).await;
        let took = began.elapsed();
        assert_eq!(
            run.samples.len(),
            self.samples as usize,
            "every request is kept"
        );
        (run, took)
    }
}

/// Asserts that `sample` failed with `class`, a message containing `fragment`, in `phase`,
/// after between `min` and `max`; and that it added nothing to latency figures.
#[track_caller]
fn assert_failed(
    sample: &RequestSample,
    class: ErrorClass,
    fragment: &str,
    phase: FailedPhase,
    (min, max): (Duration, Duration),
) {
    let error = sample.error.as_ref().expect("a failed request");
    assert_eq!(error.class, class, "{}", error.message);
    assert!(
        error.message.contains(fragment),
        "{:?} does not contain {fragment:?}",
        error.message
    );
    assert_eq!(error.phase, Some(phase), "{}", error.message);
    let after = Duration::from_nanos(error.after_ns.expect("a duration"));
    assert!(
        min <= after && after <= max,
        "failed after {after:?}, not within {min:?}..{max:?}: {}",
        error.message
    );
    assert_eq!(sample.e2e_ns, None, "a failed request has no E2E");
}

/// Asserts that the run took at most `bound`.
#[track_caller]
fn assert_within(took: Duration, bound: Duration) {
    assert!(took <= bound, "the run took {took:?}, more than {bound:?}");
}

/// A moment: any failure that is immediate on loopback comes within it.
const PROMPT: Duration = Duration::from_millis(250);

/// From no time to [`PROMPT`].
const AT_ONCE: (Duration, Duration) = (Duration::ZERO, PROMPT);

/// From `limit` to `limit` and [`PROMPT`].
fn at_limit(limit: Duration) -> (Duration, Duration) {
    (limit, limit + PROMPT)
}

/// Serves every request on every connection with `response`, keeping connections open.
async fn always(response: String) -> Hostile {
    let response = Arc::new(response);
    Hostile::start(move |mut conn| {
        let response = response.clone();
        async move {
            while conn.read_request().await.is_some() {
                if !conn.write(response.as_bytes()).await {
                    return;
                }
            }
        }
    })
    .await
}

/// Serves every request with a close-delimited body: [`CLOSE_HEAD`], then `body` written
/// by `write`, then the connection's end (FIN) unless `write` ended it otherwise.
async fn close_delimited<F, Fut>(write: F) -> Hostile
where
    F: Fn(hostile::Conn) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    Hostile::start(move |mut conn| async move {
        if conn.read_request().await.is_some() {
            write(conn).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_429_storm_with_retry_after_is_retried_after_the_waits_it_asks_for() {
    let server = Hostile::start(|mut conn| async move {
        while let Some(n) = conn.read_request().await {
            let response = if n < 2 {
                status(429, "retry-after: 0.2\r\n", r#"{"error":"slow down"}"#)
            } else {
                chunked_answer(&["Hel", "lo"])
            };
            if !conn.write(response).await {
                return;
            }
        }
    })
    .await;
    let case = Case {
        retries: 3,
        ..Case::new(server.base_url(), 2)
    };
    let (run, took) = case.run().await;
    let (first, second) = (&run.samples[0], &run.samples[1]);
    assert!(first.is_ok() && second.is_ok(), "{:?}", first.error);
    assert_eq!((first.retries, second.retries), (2, 0));
    let waited = Duration::from_nanos(first.retry_ns.expect("the retries' time"));
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    // The waits are not latency.
    assert!(first.e2e_ns.unwrap() < 200_000_000, "{first:?}");
    assert_eq!(run.load.as_ref().map(|l| l.retries), Some(2));
    assert_eq!(server.requests(), 4);
    assert_within(took, Duration::from_millis(400) + 4 * PROMPT);
}

#[tokio::test]
async fn a_429_storm_that_outlasts_the_retries_ends_as_http_status() {
    let server = always(status(
        429,
        "retry-after: 0.1\r\n",
        r#"{"error":"rate limit reached"}"#,
    ))
    .await;
    let case = Case {
        retries: 2,
        ..Case::new(server.base_url(), 2)
    };
    let (run, took) = case.run().await;
    let fragment = format!("HTTP 429 from {}: {{\"error\":\"rate limit", server.host());
    for s in &run.samples {
        assert_failed(
            s,
            ErrorClass::HttpStatus,
            &fragment,
            FailedPhase::FirstToken,
            AT_ONCE,
        );
        assert_eq!(s.retries, 2, "both retries spent");
        assert!(s.retry_ns.unwrap() >= 200_000_000, "{s:?}");
    }
    assert_eq!(server.requests(), 6);
    assert_within(took, 2 * (Duration::from_millis(200) + 3 * PROMPT));
}

/// A server answering every request with `code`, retries off: `http_status`, its body kept.
async fn a_server_error(code: u16) {
    let body = format!(r#"{{"error":"upstream failed with {code}"}}"#);
    let server = always(status(code, "", &body)).await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    let fragment = format!("HTTP {code} from {}: {body}", server.host());
    for s in &run.samples {
        assert_failed(
            s,
            ErrorClass::HttpStatus,
            &fragment,
            FailedPhase::FirstToken,
            AT_ONCE,
        );
        assert_eq!(s.retries, 0);
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn a_500_is_http_status_with_its_body() {
    a_server_error(500).await;
}

#[tokio::test]
async fn a_502_is_http_status_with_its_body() {
    a_server_error(502).await;
}

#[tokio::test]
async fn a_503_is_http_status_with_its_body() {
    a_server_error(503).await;
}

#[tokio::test]
async fn a_stall_before_the_first_token_is_a_first_token_timeout() {
    let server = Hostile::start(|mut conn| async move {
        if conn.read_request().await.is_some() && conn.write(CHUNKED_HEAD).await {
            conn.hold(Duration::from_secs(5)).await;
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "no output within 300.0 ms of the start (first-token timeout)";
        let phase = FailedPhase::FirstToken;
        assert_failed(
            s,
            ErrorClass::FirstTokenTimeout,
            fragment,
            phase,
            at_limit(SHORT),
        );
    }
    assert_within(took, 2 * (SHORT + PROMPT));
}

/// The head and first two tokens of a chunked answer that goes on (no last chunk).
fn two_tokens_of_a_chunked_answer() -> String {
    format!(
        "{CHUNKED_HEAD}{}{}",
        chunk(&token("Hel")),
        chunk(&token("lo"))
    )
}

#[tokio::test]
async fn a_stall_mid_stream_is_an_idle_timeout() {
    let server = Hostile::start(|mut conn| async move {
        let start = two_tokens_of_a_chunked_answer();
        if conn.read_request().await.is_some() && conn.write(start).await {
            conn.hold(Duration::from_secs(5)).await;
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "no event for 300.0 ms mid-stream (idle timeout)";
        assert_failed(
            s,
            ErrorClass::IdleTimeout,
            fragment,
            FailedPhase::Stream,
            at_limit(SHORT),
        );
        assert_eq!(s.output_events, 2, "the output before the stall was timed");
    }
    assert_within(took, 2 * (SHORT + PROMPT));
}

#[tokio::test]
async fn a_reset_mid_stream_is_truncated_and_says_reset() {
    let server = Hostile::start(|mut conn| async move {
        let start = two_tokens_of_a_chunked_answer();
        if conn.read_request().await.is_some() && conn.write(start).await {
            conn.reset(Duration::from_millis(30)).await;
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "the connection was reset by peer mid-stream, before the stream's end";
        assert_failed(
            s,
            ErrorClass::Truncated,
            fragment,
            FailedPhase::Stream,
            AT_ONCE,
        );
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn a_fin_mid_stream_is_truncated_and_says_closed() {
    let server = close_delimited(|mut conn| async move {
        conn.write(format!("{CLOSE_HEAD}{}{}", token("Hel"), token("lo")))
            .await;
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "the connection was closed by the server (FIN) before the stream's end: \
                        no terminator event or finish reason arrived";
        assert_failed(
            s,
            ErrorClass::Truncated,
            fragment,
            FailedPhase::Stream,
            AT_ONCE,
        );
        assert_eq!(s.output_events, 2);
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn a_fin_inside_a_chunked_body_is_truncated_and_says_closed() {
    let server = Hostile::start(|mut conn| async move {
        let start = two_tokens_of_a_chunked_answer();
        if conn.read_request().await.is_some() {
            conn.write(start).await;
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "the connection was closed by the server (FIN) mid-stream";
        assert_failed(
            s,
            ErrorClass::Truncated,
            fragment,
            FailedPhase::Stream,
            AT_ONCE,
        );
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn a_fin_inside_an_event_is_truncated_not_malformed() {
    let server = close_delimited(|mut conn| async move {
        let cut = "data: {\"choices\":[{\"index\":0,\"delta\":{\"cont";
        conn.write(format!("{CLOSE_HEAD}{}{cut}", token("Hel")))
            .await;
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "the connection was closed by the server (FIN) inside the last event, \
                        before the stream's end";
        assert_failed(
            s,
            ErrorClass::Truncated,
            fragment,
            FailedPhase::Stream,
            AT_ONCE,
        );
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn a_pooled_connection_closed_while_idle_is_retried_once_on_a_fresh_connection() {
    // The first connection answers one request, then closes (FIN) on the next one before
    // any response; every later connection answers.
    let server = Hostile::start(|mut conn| async move {
        while conn.read_request().await.is_some() {
            if conn.index == 0 && conn.requests_here() > 1 {
                return;
            }
            if !conn.write(chunked_answer(&["Hel", "lo"])).await {
                return;
            }
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 3).run().await;
    for s in &run.samples {
        assert!(s.is_ok(), "{:?}", s.error);
    }
    let retries: Vec<u32> = run.samples.iter().map(|s| s.retries).collect();
    assert_eq!(
        retries,
        [0, 1, 0],
        "the dead connection's request counted one retry"
    );
    let second = run.samples[1].http.expect("its connection");
    assert!(second.new_connection, "the retry went on a new connection");
    assert_ne!(
        second.connection_id,
        run.samples[0].http.unwrap().connection_id
    );
    assert_eq!(server.requests(), 4);
    assert_within(took, 3 * PROMPT);
}

#[tokio::test]
async fn a_pooled_connection_closed_while_idle_whose_fresh_retry_fails_too_is_transport() {
    // The first connection answers one request and resets on the next before any
    // response; every later connection resets on its first request.
    let server = Hostile::start(|mut conn| async move {
        while conn.read_request().await.is_some() {
            if conn.index > 0 || conn.requests_here() > 1 {
                conn.reset(Duration::ZERO).await;
                return;
            }
            if !conn.write(chunked_answer(&["Hel", "lo"])).await {
                return;
            }
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    assert!(run.samples[0].is_ok(), "{:?}", run.samples[0].error);
    let host = server.host();
    let fragment = format!(
        "the connection to {host} was reset by peer, before any response; retried once on a \
         new connection, which failed too: the connection to {host} was reset by peer, before \
         any response"
    );
    let failed = &run.samples[1];
    assert_failed(
        failed,
        ErrorClass::Transport,
        &fragment,
        FailedPhase::Request,
        AT_ONCE,
    );
    assert_eq!(failed.retries, 1);
    assert_eq!(server.requests(), 3);
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn invalid_sse_field_lines_are_ignored_as_the_standard_says() {
    let body = format!(
        "dta: {{\"choices\":[]}}\nnot a field line at all\n: a comment\nretry: soon\n\n{}\
         id\u{0}x: 1\n{}{}",
        token("Hel"),
        token("lo"),
        finish()
    );
    let server = always(format!("{CHUNKED_HEAD}{}{LAST_CHUNK}", chunk(&body))).await;
    let case = Case {
        run: hello_answer,
        ..Case::new(server.base_url(), 2)
    };
    let (run, took) = case.run().await;
    for s in &run.samples {
        assert!(s.is_ok(), "{:?}", s.error);
        assert_eq!(s.output_events, 2);
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn invalid_json_in_data_is_malformed() {
    let body = format!(
        "{}data: {{\"choices\": [nope]}}\n\n{}",
        token("Hel"),
        finish()
    );
    let server = always(format!("{CHUNKED_HEAD}{}{LAST_CHUNK}", chunk(&body))).await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "malformed stream: invalid openai_chat event #1";
        assert_failed(
            s,
            ErrorClass::Malformed,
            fragment,
            FailedPhase::Stream,
            AT_ONCE,
        );
        assert_eq!(s.output_events, 1, "the event before it was timed");
    }
    assert_within(took, 2 * PROMPT);
}

/// The SSE decoder holds at most one line of 1 MiB (and one event's data of 1 MiB): a
/// 10 MB line fails as soon as 1 MiB of it is buffered, whatever the server sends after.
#[tokio::test]
async fn a_10_mb_line_without_a_newline_is_malformed_and_the_client_buffers_at_most_1_mib() {
    const LINE_LIMIT: usize = crate::framing::sse::DEFAULT_MAX_LINE_LEN;
    assert_eq!(LINE_LIMIT, 1 << 20, "the bound this test states");
    let server = Hostile::start(|mut conn| async move {
        if conn.read_request().await.is_none() || !conn.write(CHUNKED_HEAD).await {
            return;
        }
        let piece = chunk(&"a".repeat(64 * 1024));
        let mut sent = conn.write(chunk("data: ")).await;
        for _ in 0..160 {
            // 160 × 64 KiB: 10 MiB, with no newline.
            sent = sent && conn.write(&piece).await;
        }
        if sent {
            conn.hold(Duration::from_secs(5)).await;
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = format!("server-sent events line longer than {LINE_LIMIT} bytes");
        assert_failed(
            s,
            ErrorClass::Malformed,
            &fragment,
            FailedPhase::FirstToken,
            AT_ONCE,
        );
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn invalid_utf8_is_replaced_with_u_fffd_as_the_sse_standard_says() {
    let mut body = token("H\u{1}llo").into_bytes();
    let at = body.iter().position(|&b| b == 1).expect("the marker");
    body[at] = 0xFF;
    body.extend_from_slice(finish().as_bytes());
    let mut response = CLOSE_HEAD.as_bytes().to_vec();
    response.extend_from_slice(&body);
    let response = Arc::new(response);
    let server = Hostile::start(move |mut conn| {
        let response = response.clone();
        async move {
            if conn.read_request().await.is_some() {
                conn.write(response.as_slice()).await;
            }
        }
    })
    .await;
    let case = Case {
        run: replaced_answer,
        ..Case::new(server.base_url(), 2)
    };
    let (run, took) = case.run().await;
    for s in &run.samples {
        assert!(s.is_ok(), "{:?}", s.error);
    }
    assert_within(took, 2 * PROMPT);
}

/// The body of the exact-text cases: [`EXACT`] as two events, then the end.
fn exact_body() -> String {
    format!("{}{}{}", token(EXACT[0]), token(EXACT[1]), finish())
}

#[tokio::test]
async fn utf8_split_across_reads_gives_the_exact_text() {
    let server = close_delimited(|mut conn| async move {
        let body = exact_body();
        let bytes = body.as_bytes();
        // Cut inside `é` (2 bytes), `世` (3) and `🙂` (4): each piece is its own read.
        let inside = |c: char, k: usize| body.find(c).expect("the character") + k;
        let cuts = [
            0,
            inside('é', 1),
            inside('世', 2),
            inside('🙂', 1),
            inside('🙂', 3),
        ];
        if !conn.write(CLOSE_HEAD).await {
            return;
        }
        for (i, &from) in cuts.iter().enumerate() {
            let to = cuts.get(i + 1).copied().unwrap_or(bytes.len());
            tokio::time::sleep(Duration::from_millis(15)).await;
            if !conn.write(&bytes[from..to]).await {
                return;
            }
        }
    })
    .await;
    let case = Case {
        run: exact_answer,
        ..Case::new(server.base_url(), 2)
    };
    let (run, took) = case.run().await;
    for s in &run.samples {
        assert!(s.is_ok(), "{:?}", s.error);
        assert_eq!(s.output_events, 2);
    }
    assert_within(took, 2 * (Duration::from_millis(75) + PROMPT));
}

#[tokio::test]
async fn one_byte_at_a_time_gives_the_exact_text() {
    let server = close_delimited(|mut conn| async move {
        let response = format!("{CLOSE_HEAD}{}", exact_body());
        conn.trickle(response, Duration::from_micros(200)).await;
    })
    .await;
    let case = Case {
        run: exact_answer,
        limits: limits(Duration::from_secs(2)),
        ..Case::new(server.base_url(), 2)
    };
    let (run, took) = case.run().await;
    for s in &run.samples {
        assert!(s.is_ok(), "{:?}", s.error);
        assert_eq!(s.output_events, 2);
    }
    assert_within(took, 2 * Duration::from_secs(1));
}

#[tokio::test]
async fn headers_one_byte_per_second_hit_the_first_byte_timeout() {
    let server = close_delimited(|mut conn| async move {
        conn.trickle(CLOSE_HEAD, Duration::from_secs(1)).await;
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "no response headers within 300.0 ms of the start (first-byte timeout)";
        let phase = FailedPhase::Request;
        assert_failed(
            s,
            ErrorClass::FirstByteTimeout,
            fragment,
            phase,
            at_limit(SHORT),
        );
    }
    assert_within(took, 2 * (SHORT + PROMPT));
}

#[tokio::test]
async fn a_server_that_dies_mid_run_gives_connect_errors_and_keeps_earlier_samples() {
    // Each answer closes its connection; the server dies after three.
    let server = Hostile::dying_after(3, |mut conn| async move {
        if conn.read_request().await.is_some() {
            conn.write(format!("{CLOSE_HEAD}{}", exact_body())).await;
        }
    })
    .await;
    let (run, took) = Case::new(server.base_url(), 6).run().await;
    for s in &run.samples[..3] {
        assert!(s.is_ok(), "{:?}", s.error);
        assert!(s.e2e_ns.is_some());
    }
    let fragment = format!("could not connect to {}", server.host());
    for s in &run.samples[3..] {
        assert_failed(
            s,
            ErrorClass::Connect,
            &fragment,
            FailedPhase::Connect,
            AT_ONCE,
        );
    }
    assert_within(took, 6 * PROMPT);
}

#[tokio::test]
async fn a_port_that_accepts_but_never_reads_hits_the_first_byte_timeout() {
    let server = Hostile::start(|conn| conn.hold(Duration::from_secs(5))).await;
    let (run, took) = Case::new(server.base_url(), 2).run().await;
    for s in &run.samples {
        let fragment = "no response headers within 300.0 ms of the start (first-byte timeout)";
        let phase = FailedPhase::Request;
        assert_failed(
            s,
            ErrorClass::FirstByteTimeout,
            fragment,
            phase,
            at_limit(SHORT),
        );
    }
    assert_within(took, 2 * (SHORT + PROMPT));
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error_naming_only_host_and_port() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.local_addr().expect("its address").port()
    };
    let base = format!("http://127.0.0.1:{port}/v1/private-deployment");
    let (run, took) = Case::new(base, 2).run().await;
    let host = format!("127.0.0.1:{port}");
    for s in &run.samples {
        let fragment = format!("could not connect to {host}: ");
        assert_failed(
            s,
            ErrorClass::Connect,
            &fragment,
            FailedPhase::Connect,
            AT_ONCE,
        );
        let message = &s.error.as_ref().unwrap().message;
        assert!(
            !message.contains("private-deployment") && !message.contains("http://"),
            "{message}"
        );
    }
    assert_within(took, 2 * PROMPT);
}

#[tokio::test]
async fn a_key_echoed_in_an_error_body_or_an_error_event_never_appears() {
    // The first request is refused with the key in the body; the second streams an error
    // event that quotes it.
    let server = Hostile::start(|mut conn| async move {
        while let Some(n) = conn.read_request().await {
            let response = if n == 0 {
                let body =
                    format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#);
                status(401, "", &body)
            } else {
                let event = format!(
                    "{}data: {{\"error\":{{\"message\":\"key {KEY} was revoked\"}}}}\n\n",
                    token("Hel")
                );
                format!("{CHUNKED_HEAD}{}{LAST_CHUNK}", chunk(&event))
            };
            if !conn.write(response).await {
                return;
            }
        }
    })
    .await;
    let case = Case {
        key: Some(KEY),
        ..Case::new(server.base_url(), 2)
    };
    let (run, took) = case.run().await;
    let (refused, revoked) = (&run.samples[0], &run.samples[1]);
    let phase = FailedPhase::FirstToken;
    let fragment = "Incorrect API key provided: ***";
    assert_failed(refused, ErrorClass::HttpStatus, fragment, phase, AT_ONCE);
    let fragment = "error inside the stream: key *** was revoked";
    assert_failed(
        revoked,
        ErrorClass::MidStream,
        fragment,
        FailedPhase::Stream,
        AT_ONCE,
    );
    let stored = serde_json::to_string(&run).expect("the run as JSON");
    assert!(!stored.contains(KEY), "the key is in the stored run");
    let debug = format!("{run:?}");
    assert!(!debug.contains(KEY), "the key is in the run's Debug");
    for s in &run.samples {
        let error = s.error.as_ref().unwrap();
        assert!(!format!("{error:?}").contains(KEY) && !error.message.contains(KEY));
    }
    let client = Client::builder()
        .base_url(server.base_url())
        .api_key(ApiKey::new(KEY))
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains(KEY));
    assert_within(took, 2 * PROMPT);
}
