//! Entry points for llm-bench's own overhead benchmarks (`benches/overhead.rs`). Not a
//! public API: hidden from the docs, and may change in any release.

use quanta::Instant;

use crate::metrics::Recorder;

/// Replays an OpenAI-compatible SSE body through the built-in client's decode-parse-record
/// path, in reads of `read_size` bytes; returns how many output events were recorded.
pub fn replay_openai_stream(body: &[u8], read_size: usize) -> u32 {
    let mut rec = Recorder::new(Instant::now(), false);
    // A malformed body still costs what it costs; the count is what matters here.
    let _ = crate::providers::openai::replay(body, read_size, &mut rec);
    rec.finish(0, Instant::now(), |_| {}).output_events
}

/// Records `events` output events, timestamped now, into a fresh recorder (the per-token
/// hot path), then finishes it into a sample; returns the sample's TTFT in nanoseconds.
pub fn record_events(events: u32) -> u64 {
    let mut rec = Recorder::new(Instant::now(), false);
    rec.start(Instant::now());
    for _ in 0..events {
        rec.output_event(Instant::now(), true);
    }
    rec.end(Instant::now());
    rec.finish(0, Instant::now(), |_| {}).ttft_ns.unwrap_or(0)
}

/// Streams `request` once through `client` (the built-in client's full path: send, decode,
/// parse, record); returns how many output events were recorded.
pub async fn stream_once(
    client: &crate::providers::openai::OpenAiClient,
    request: &crate::providers::openai::ChatRequest,
) -> crate::Result<u32> {
    let mut rec = Recorder::new(Instant::now(), false);
    client.stream_timed(request, None, &mut rec).await?;
    Ok(rec.finish(0, Instant::now(), |_| {}).output_events)
}
