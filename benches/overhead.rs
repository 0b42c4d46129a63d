//! Overhead micro-benchmarks against DESIGN §9's budgets: timestamp capture (< 50 ns),
//! recording one token event (< 100 ns), decoding, parsing and counting the tokens of one
//! streamed chunk, the token estimate alone, and the harness's cost per request against the
//! in-process simulated endpoint.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use llm_bench::bench_support::{record_events, replay_openai_stream, stream_once};
use llm_bench::mock::{LatencyProfile, MockServer};
use llm_bench::ChatRequest;
use llm_bench::Client as OpenAiClient;
use llm_bench::Tokenizer;

/// An OpenAI-style stream of `tokens` one-token chunks, framed as api.openai.com frames it.
fn openai_body(tokens: usize) -> Vec<u8> {
    let mut body = String::from(
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n",
    );
    for i in 0..tokens {
        body.push_str(&format!(
            "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" word{i}\"}},\"finish_reason\":null}}],\"usage\":null}}\n\n"
        ));
    }
    body.push_str("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":200,\"total_tokens\":205}}\n\n");
    body.push_str("data: [DONE]\n\n");
    body.into_bytes()
}

fn clock(c: &mut Criterion) {
    c.bench_function("timestamp/quanta_instant_now", |b| {
        b.iter(quanta::Instant::now)
    });
}

fn recording(c: &mut Criterion) {
    const EVENTS: u32 = 1000;
    let mut group = c.benchmark_group("recorder");
    group.throughput(Throughput::Elements(u64::from(EVENTS)));
    group.bench_function("token_event_with_timestamp", |b| {
        b.iter(|| record_events(EVENTS))
    });
    group.finish();
}

fn decoding(c: &mut Criterion) {
    const TOKENS: usize = 200;
    let body = openai_body(TOKENS);
    let mut group = c.benchmark_group("openai_stream");
    group.throughput(Throughput::Elements(TOKENS as u64));
    // One read per chunk is what a live connection usually delivers; 16 KiB reads batch many.
    let chunk_len = body.len() / (TOKENS + 3);
    for (name, read) in [("read_per_chunk", chunk_len), ("reads_of_16k", 16 * 1024)] {
        group.bench_function(format!("decode_parse_record/{name}"), |b| {
            b.iter(|| assert_eq!(replay_openai_stream(&body, read), TOKENS as u32))
        });
    }
    group.finish();
    // The harness's own work per request apart from its tokens: a one-token stream (role
    // chunk, one token, usage, `[DONE]`) decoded, parsed and recorded into a finished
    // sample, one read per chunk. Budget (issue "measure to the microsecond"): 5 µs.
    let one = openai_body(1);
    let read = one.len() / 4;
    let mut group = c.benchmark_group("openai_stream");
    group.throughput(Throughput::Elements(1));
    group.bench_function("per_request/one_token_stream", |b| {
        b.iter(|| assert_eq!(replay_openai_stream(&one, read), 1))
    });
    group.finish();
}

/// The token estimate that counts every output event when the API reports no usage (and
/// splits gaps per token): one typical chunk, and a kilobyte of prose.
fn counting(c: &mut Criterion) {
    let estimate = Tokenizer::estimate();
    let prose = "The quick brown fox jumps over the lazy dog; 42 times, **twice**.\n".repeat(15);
    let mut group = c.benchmark_group("tokens");
    group.bench_function("estimate/one_chunk", |b| {
        b.iter(|| estimate.count(std::hint::black_box(" password")))
    });
    group.throughput(Throughput::Bytes(prose.len() as u64));
    group.bench_function("estimate/prose", |b| {
        b.iter(|| estimate.count(std::hint::black_box(&prose)))
    });
    group.finish();
}

/// The whole client path per request against the in-process endpoint with no delays:
/// what a request costs the harness, and how many requests per second one core drives.
fn requests(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let profile = LatencyProfile::default()
        .ttft(Duration::ZERO)
        .itl(Duration::ZERO)
        .output_tokens(16);
    let server = rt
        .block_on(MockServer::start(profile))
        .expect("mock server");
    let client = OpenAiClient::builder()
        .base_url(server.base_url())
        .model("llm-bench-mock")
        .build()
        .expect("client");
    let request = ChatRequest::new("hi").max_tokens(16);
    let mut group = c.benchmark_group("harness");
    group.throughput(Throughput::Elements(1));
    group.bench_function("streamed_request_16_tokens/current_thread", |b| {
        b.to_async(&rt).iter_batched(
            || (),
            |()| async {
                let events = stream_once(&client, &request).await.expect("request");
                assert_eq!(events, 16);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
    rt.block_on(server.shutdown());
}

criterion_group! {
    name = overhead;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = clock, recording, decoding, counting, requests
}
criterion_main!(overhead);
