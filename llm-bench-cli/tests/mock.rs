//! `llm-bench mock` as a user runs it: a process of its own, found by its first line of
//! output, measured over loopback, stopped by a signal.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_llm-bench");

/// Waits for `child` at most `limit`; kills it and panics past that.
fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("llm-bench mock did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn the_mock_serves_a_stream_paced_by_its_profile_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args([
            "mock",
            "--profile",
            "ttft=30ms,itl=1ms,tokens=3,seed=2",
            "--model",
            "tiny",
        ])
        .env_remove("LLM_BENCH_MOCK_PROFILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line.trim().to_string();
    assert!(
        base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/v1"),
        "{base_url}"
    );

    let started = Instant::now();
    let body = r#"{"model":"tiny","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let sse = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{base_url}/chat/completions"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(30),
        "the profile's TTFT paces it"
    );
    assert!(sse.ends_with("data: [DONE]\n\n"), "{sse}");
    assert!(sse.contains(r#""model":"tiny""#), "{sse}");
    let chunks = sse.matches(r#""content":""#).count();
    assert!(chunks >= 3, "three tokens: {sse}");

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = wait_bounded(&mut child, Duration::from_secs(10));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stderr.contains("serving model `tiny`"), "{stderr}");
    assert!(stderr.contains("stopped after 1 request"), "{stderr}");
}

#[test]
fn a_bad_profile_is_a_usage_error_naming_the_flag_and_the_key() {
    let out = Command::new(BIN)
        .args(["mock", "--profile", "ttfx=20ms"])
        .env_remove("LLM_BENCH_MOCK_PROFILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--profile"), "{stderr}");
    assert!(stderr.contains("unknown key `ttfx`"), "{stderr}");

    let out = Command::new(BIN)
        .args(["mock"])
        .env("LLM_BENCH_MOCK_PROFILE", "ttft=20")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the variable is read too");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LLM_BENCH_MOCK_PROFILE"), "{stderr}");
}

#[test]
fn a_bad_address_and_the_help_speak_plainly() {
    let out = Command::new(BIN)
        .args(["mock", "--addr", "localhost"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--addr"));

    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("mock") && help.contains("Examples:"),
        "{help}"
    );
}
