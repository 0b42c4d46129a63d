//! The built-in simulated endpoint: an OpenAI-compatible server with known latency and
//! recorded ground truth.
//!
//! [`MockServer`] answers like the OpenAI chat-completions API, paced by a
//! [`LatencyProfile`], and records, per request, when it sent every token
//! ([`RequestTruth`]). Scenarios run against it when no endpoint is configured, and tests
//! compare what the harness measured with what the server did.
//!
//! ```
//! use std::time::Duration;
//! use llm_bench::mock::{expected_text, LatencyProfile, MockServer};
//!
//! let rt = tokio::runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let profile = LatencyProfile::default()
//!         .ttft(Duration::from_millis(20))
//!         .itl(Duration::from_millis(2))
//!         .output_tokens(5)
//!         .seed(7);
//!     let server = MockServer::start(profile).await?;
//!
//!     let body = r#"{"model":"llm-bench-mock","stream":true,
//!                    "messages":[{"role":"user","content":"Hello there"}]}"#;
//!     let sse = reqwest::Client::builder()
//!         .no_proxy()
//!         .build()?
//!         .post(format!("{}/chat/completions", server.base_url()))
//!         .header("content-type", "application/json")
//!         .body(body)
//!         .send()
//!         .await?
//!         .text()
//!         .await?;
//!     assert!(sse.ends_with("data: [DONE]\n\n"));
//!
//!     let truth = server.truth();
//!     assert_eq!(truth[0].token_sent_at.len(), 5);
//!     assert!(truth[0].ttft().unwrap() >= Duration::from_millis(20));
//!     assert_eq!(expected_text(7, 5).split(' ').count(), 5); // the answer's text
//!     server.shutdown().await;
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # API
//!
//! - `POST /v1/chat/completions` reads `model` (optional: any name is accepted and echoed),
//!   `messages` (required, non-empty), `max_completion_tokens` or `max_tokens`, `stream` and
//!   `stream_options.include_usage`; other fields are ignored (one choice, whatever `n`).
//!   - Streaming: `text/event-stream`. First a role-only chunk
//!     (`delta: {"role":"assistant","content":""}`, no output) sent at once with the
//!     headers; after the profile's TTFT the first output token; each further token after
//!     its gap; then at once a chunk with an empty delta and `finish_reason`, the usage chunk
//!     (`choices: []`, `usage: {prompt_tokens, completion_tokens, total_tokens}`) only when
//!     `include_usage` was asked (and then every other chunk carries `"usage":null`, as
//!     OpenAI does), and `data: [DONE]`. One token per chunk, each chunk a
//!     `chat.completion.chunk` (`id`, `object`, `created`, `model`, `system_fingerprint`,
//!     `choices[{index, delta, logprobs, finish_reason}]`).
//!   - Not streaming: one `chat.completion` with `usage`, after TTFT plus the sum of the
//!     gaps (`TTFT + (n-1)·ITL` for constant gaps).
//!   - Answer length: `min(max_tokens, output_tokens)`; `finish_reason` is `"length"` when
//!     `max_tokens` cut the answer (`max_tokens <= output_tokens`), else `"stop"`.
//!   - Text: token `i` is a word from a fixed list chosen by the profile's seed and `i`
//!     alone ([`token_text`], [`expected_text`]), so every answer of a profile is a prefix
//!     of the same text.
//!   - `prompt_tokens`: whitespace-separated words of the messages' text.
//!   - Errors, OpenAI-shaped (`{"error":{"message","type","param","code"}}`): 400 for a body
//!     that is not JSON, lacks `messages`, has an empty `messages` or `max_tokens: 0`; 500
//!     for a request picked by `error_rate`; 503 for a non-streaming request cut by
//!     shutdown; 404 for unknown paths.
//! - `GET /v1/models` lists the server's model ([`DEFAULT_MODEL`] unless set with
//!   [`MockServerBuilder::model`]); `GET /v1/models/{id}` retrieves it.
//!
//! # Timing and ground truth
//!
//! A stream's body is polled by its connection's task (no task per request) and produces
//! each token when its absolute deadline `received + offset` has passed
//! (`tokio::time::sleep_until`), so delays do not drift. Tokio's timer has a 1 ms
//! resolution and rounds deadlines up: a token is never early and is usually sent within
//! about a millisecond after its planned time ([`LatencyProfile::token_offsets`]). The
//! instant a token's frame is handed to hyper is recorded with `quanta::Instant::now()` in
//! [`RequestTruth::token_sent_at`]; that, not the profile, is the ground truth to compare
//! measurements with. When the client disconnects, hyper drops the body and generation
//! stops; the record is kept with `completed: false`.
//!
//! Each request draws its gaps (and whether it fails) from a `StdRng` seeded with
//! [`LatencyProfile::request_seed`]`(index)`, a mix of the profile's seed and the request's
//! index on the server (0, 1, ... in arrival order; [`MockServer::set_profile`] restarts it),
//! so a sequential run is reproducible exactly, and a concurrent one up to arrival order.
//!
//! Truth is kept for the most recent [`DEFAULT_TRUTH_CAPACITY`] (100 000) requests, a
//! bounded amount of memory (about 150 bytes plus 8 bytes per token each);
//! [`MockServerBuilder::truth_capacity`] changes it.
//!
//! # `LLM_BENCH_MOCK_PROFILE`
//!
//! [`LatencyProfile::from_env`] reads a comma-separated list of `key=value` items (spaces
//! around items, keys and values are ignored; each key at most once; keys not given keep
//! their defaults). Example: `ttft=50ms,itl=10ms,tokens=64,seed=7,scale=1.3,jitter=lognormal:0.3,error_rate=0.1`.
//!
//! | key | value | default | meaning |
//! |---|---|---|---|
//! | `ttft` | duration | `50ms` | time to first token |
//! | `itl` | duration, or `min..max` | `10ms` | gap between tokens (a range: uniform in it) |
//! | `jitter` | `none`, `lognormal:<sigma>`, `uniform:<duration>` | `none` | spread of the gaps: log-normal with median `itl`, or uniform within `itl ± duration`; not with an `itl` range |
//! | `tokens` | integer ≥ 1 | `64` | natural answer length |
//! | `seed` | integer (u64) | `0` | seed of all random choices |
//! | `scale` | number ≥ 0 | `1` | multiplies every delay (applied after the other keys) |
//! | `error_rate` | number in \[0, 1\] | `0` | fraction of requests answered with HTTP 500 |
//!
//! A duration is a decimal number and a unit, one of `ns`, `us` (or `µs`), `ms`, `s`:
//! `50ms`, `1.5ms`, `0.2s`; at most one hour. An unset or blank variable means no profile
//! (`Ok(None)`). Errors ([`ProfileError`]) name the bad item, key or value.

mod openai;
mod profile;
mod server;
mod truth;

#[cfg(test)]
mod tests;

pub use openai::{expected_text, token_text};
pub use profile::{InterToken, LatencyProfile, ProfileError, MAX_DELAY, PROFILE_ENV};
pub use server::{MockServer, MockServerBuilder, DEFAULT_MODEL};
pub use truth::{RequestTruth, DEFAULT_TRUTH_CAPACITY};
