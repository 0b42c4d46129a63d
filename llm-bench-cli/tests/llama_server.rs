//! `llm-bench run` against a real inference server: llama.cpp's `llama-server` with the tiny
//! model `scripts/llama-server.sh` builds and starts (`LLM_BENCH_LLAMA_SERVER=URL`, e.g.
//! `http://127.0.0.1:8080`). Real tokenisation and decoding, parallel slots, its own SSE
//! framing and usage, its Anthropic-compatible endpoint, connections it closes, and slots a
//! dropped request must free.
//!
//! Without `LLM_BENCH_LLAMA_SERVER` each test says it is skipped and passes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::Value;

#[path = "support/command.rs"]
mod command;
use command::llm_bench;

/// The server's base URL, or `None` (the test is skipped) when none is given.
fn server(test: &str) -> Option<String> {
    match std::env::var("LLM_BENCH_LLAMA_SERVER") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_string()),
        _ => {
            println!(
                "skipped {test}: set LLM_BENCH_LLAMA_SERVER to a llama-server's URL \
                 (scripts/llama-server.sh start prints one)"
            );
            None
        }
    }
}

/// Runs one scenario of `settings` against the server as `provider`, and returns its
/// stored run.
fn run(dir: &Path, provider: &str, base_url: &str, settings: &str) -> Value {
    run_expecting(dir, provider, base_url, settings, 0)
}

/// [`run`], expecting the exit status `code`.
fn run_expecting(dir: &Path, provider: &str, base_url: &str, settings: &str, code: i32) -> Value {
    let config = dir.join("llama.toml");
    std::fs::write(
        &config,
        format!(
            "[target]\nprovider = \"{provider}\"\nbase_url = \"{base_url}\"\nmodel = \"tiny\"\n\n\
             [[scenario]]\nname = \"real\"\nprompt = \"Permission is hereby granted\"\n{settings}"
        ),
    )
    .unwrap();
    let results = dir.join("results");
    llm_bench()
        .args(["run", "--results"])
        .arg(&results)
        .arg(&config)
        .args(["--", "--quiet", "--noplot"])
        .timeout(Duration::from_secs(600))
        .assert()
        .code(code)
        .stdout(predicate::str::contains("real"));
    let text = std::fs::read_to_string(results.join("real/new/run.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Each request streamed several events and the tokens the API reported.
fn assert_real_streams(run: &Value, max_tokens: u64) {
    let samples = run["samples"].as_array().unwrap();
    assert!(!samples.is_empty());
    for s in samples {
        assert!(s["error"].is_null(), "a failed request: {s}");
        let tokens = s["output_tokens"].as_u64().unwrap();
        assert!((1..=max_tokens).contains(&tokens), "{s}");
        assert_eq!(
            s["token_source"], "usage",
            "the server's usage was read: {s}"
        );
        assert!(
            s["output_events"].as_u64().unwrap() >= 2,
            "streamed, not at once: {s}"
        );
        assert!(s["ttft_ns"].as_u64().unwrap() < s["e2e_ns"].as_u64().unwrap());
    }
}

/// Eight short answers, two at a time, through `provider`'s API: each a real stream with
/// the server's usage. Returns the stored run.
fn short_streams(provider: &str, base_url: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let run = run(
        dir.path(),
        provider,
        base_url,
        "samples = 8\nwarmup = 1\nmax_tokens = 24\nconcurrency = 2\n",
    );
    assert_real_streams(&run, 24);
    run
}

#[test]
fn openai_chat_completions_stream_real_tokens_with_usage() {
    let Some(url) = server("openai_chat_completions_stream_real_tokens_with_usage") else {
        return;
    };
    let run = short_streams("openai", &format!("{url}/v1"));
    assert_eq!(run["endpoint"]["kind"], "openai_compatible");
}

#[test]
fn anthropic_messages_stream_real_tokens_with_usage() {
    let Some(url) = server("anthropic_messages_stream_real_tokens_with_usage") else {
        return;
    };
    let run = short_streams("anthropic", &url);
    assert_eq!(run["endpoint"]["kind"], "anthropic");
}

/// 1000 requests at concurrency 16: the server closes connections (after each streamed
/// answer, though it sends `Keep-Alive: max=100`), and not one request may fail for it.
#[test]
fn a_thousand_requests_at_concurrency_16_survive_the_servers_connection_closes() {
    let Some(url) =
        server("a_thousand_requests_at_concurrency_16_survive_the_servers_connection_closes")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = run(
        dir.path(),
        "openai",
        &format!("{url}/v1"),
        "samples = 1000\nwarmup = 0\nmax_tokens = 4\nconcurrency = 16\n",
    );
    let samples = run["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 1000);
    let failed: Vec<&Value> = samples.iter().filter(|s| !s["error"].is_null()).collect();
    let retried: u64 = samples
        .iter()
        .map(|s| s["retries"].as_u64().unwrap_or(0))
        .sum();
    println!(
        "1000 requests at concurrency 16: {} failed, {retried} retried",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} failed, e.g. {}",
        failed.len(),
        failed[0]
    );
}

/// `GET path` of the server (plain HTTP/1.0 on loopback): its body.
fn get(base_url: &str, path: &str) -> String {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_string())
}

/// The value of a gauge in the server's `/metrics`.
fn gauge(base_url: &str, name: &str) -> f64 {
    let metrics = get(base_url, "/metrics");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{metrics}"))
}

/// A request the client gives up on (its timeout) frees the server's slot: the server's
/// `requests_processing` goes back to 0, and the next run is served in full.
#[test]
fn a_cancelled_request_frees_its_slot() {
    let Some(url) = server("a_cancelled_request_frees_its_slot") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let predicted_before = gauge(&url, "llamacpp:tokens_predicted_total");
    // Long answers cut after 40 ms, 16 at once: every slot busy when they are dropped.
    let cut = run_expecting(
        dir.path(),
        "openai",
        &format!("{url}/v1"),
        "samples = 16\nwarmup = 0\nmax_tokens = 480\nconcurrency = 16\ntimeout = \"40ms\"\n\
         max_consecutive_failures = 0\n",
        1,
    );
    let timed_out = cut["errors"]["timeout"].as_u64().unwrap_or(0);
    assert_eq!(timed_out, 16, "every request was cut: {}", cut["errors"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut processing = gauge(&url, "llamacpp:requests_processing");
    while processing > 0.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        processing = gauge(&url, "llamacpp:requests_processing");
    }
    let predicted = gauge(&url, "llamacpp:tokens_predicted_total") - predicted_before;
    println!(
        "after 16 cancelled requests: requests_processing {processing}, {predicted} tokens \
         predicted of the 7680 asked for"
    );
    assert_eq!(processing, 0.0, "the cancelled requests' slots were freed");
    // Run to the end, they would have been 7680 (the tiny model never ends early); the
    // server notices a dropped stream at its next write, a few hundred tokens later.
    assert!(
        predicted < 7680.0 * 0.8,
        "the server stopped decoding the dropped requests: {predicted} tokens"
    );
    let after = run(
        dir.path(),
        "openai",
        &format!("{url}/v1"),
        "samples = 16\nwarmup = 0\nmax_tokens = 8\nconcurrency = 16\n",
    );
    assert_real_streams(&after, 8);
}
