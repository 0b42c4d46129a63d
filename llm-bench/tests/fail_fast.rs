//! Fail fast, fail once: what is wrong before the first request is found before it, a
//! scenario against a dead endpoint stops after a few failures in seconds, each timeout
//! phase is its own error class, and errors of tracked streams keep their cause.
//!
//! Every case runs the real harness (`run_with_args`) against a hostile server on
//! 127.0.0.1. One test function: the harness reads the process environment, which tests in
//! parallel threads must not share.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use llm_bench::prelude::*;
use llm_bench::stored::{BaselineBundle, Store, BUNDLE_SCHEMA, BUNDLE_SCHEMA_VERSION};
use llm_bench::ErrorClass;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// The exit statuses the harness documents.
const EXIT_OK: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_USAGE: i32 = 2;

/// A plain request through the built-in client.
#[llm_bench(group = "ff", model = "m")]
async fn ask(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hello").max_tokens(4)).await?;
    Ok(())
}

/// The same without a model: every request would fail for the same reason.
#[llm_bench(group = "ff")]
async fn no_model(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hello")).await?;
    Ok(())
}

/// A tracked stream that yields one item and then waits forever.
#[llm_bench(group = "ff")]
async fn tracked_stall(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let items =
        stream::iter([Ok::<_, std::io::Error>("first".to_string())]).chain(stream::pending());
    ctx.track(items).await?;
    Ok(())
}

/// A tracked stream whose client could not connect.
#[llm_bench(group = "ff")]
async fn tracked_refused(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
    let items = stream::iter([Ok("partial".to_string()), Err(AppError::Fetch(refused))]);
    ctx.track(items).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
enum AppError {
    #[error("could not fetch the answer")]
    Fetch(#[source] std::io::Error),
}

/// How the hostile server treats each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Accepts and never reads nor answers.
    Silent,
    /// Sends the response headers, then nothing.
    HeadersThenSilence,
    /// Sends the headers, then a keep-alive comment every 50 ms, never a token.
    KeepAliveOnly,
    /// Sends the headers and one token, then nothing.
    OneTokenThenSilence,
}

/// A server on 127.0.0.1 that counts the connections it accepts.
struct Hostile {
    url: String,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const HEADERS: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

async fn hostile(behaviour: Behaviour) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if !matches!(behaviour, Behaviour::Silent) {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket.write_all(HEADERS.as_bytes()).await;
                }
                match behaviour {
                    Behaviour::KeepAliveOnly => loop {
                        if socket.write_all(b": keep-alive\n\n").await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    },
                    Behaviour::OneTokenThenSilence => {
                        let chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n";
                        let _ = socket.write_all(chunk.as_bytes()).await;
                    }
                    _ => {}
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
                drop(socket);
            });
        }
    });
    Hostile {
        url,
        accepted,
        task,
    }
}

fn run(args: &[&str]) -> i32 {
    let argv = std::iter::once("bench").chain(args.iter().copied());
    llm_bench::run_with_args(argv)
}

/// One measured request of scenario `id`, no warm-up, no baseline saved, with `extra`
/// arguments.
fn once(id: &str, extra: &[&str]) -> i32 {
    let mut args = vec!["--bench", "--exact", id, "--samples", "1", "--warmup", "0"];
    args.extend_from_slice(extra);
    args.extend(["--discard-baseline", "--quiet"]);
    run(&args)
}

fn first_error(root: &std::path::Path, id: &str) -> (ErrorClass, String) {
    let run = Store::open(root).latest(id).expect("a stored run");
    let e = run.samples[0].error.clone().expect("a failed request");
    (e.class, e.message)
}

#[test]
fn problems_are_found_early_and_reported_once() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    std::env::set_var("LLM_BENCH_HOME", root);
    for var in [
        "OPENAI_BASE_URL",
        "LLM_BENCH_MODEL",
        "LLM_BENCH_FAIL_ON_REGRESSION",
    ] {
        std::env::remove_var(var);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();

    // An endpoint that accepts connections and never answers: with the first-byte limit at
    // 200 ms, the scenario stops after 3 failed requests in a row instead of 50 × 120 s.
    let silent = rt.block_on(hostile(Behaviour::Silent));
    std::env::set_var("OPENAI_BASE_URL", &silent.url);
    let started = Instant::now();
    let code = run(&[
        "--bench",
        "--exact",
        "ff/ask",
        "--samples",
        "50",
        "--warmup",
        "0",
        "--first-byte-timeout",
        "200ms",
        "--max-consecutive-failures",
        "3",
        "--quiet",
    ]);
    let took = started.elapsed();
    assert_eq!(code, EXIT_FAILED);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let stored = Store::open(root).latest("ff/ask").unwrap();
    assert_eq!(stored.samples.len(), 3, "three failures, then it stopped");
    let reason = stored.stopped_early.clone().expect("the reason is stored");
    assert!(reason.contains("3 failed requests in a row"), "{reason}");
    assert!(reason.contains("first_byte_timeout"), "{reason}");
    let (class, message) = first_error(root, "ff/ask");
    assert_eq!(class, ErrorClass::FirstByteTimeout);
    assert!(message.contains("first-byte timeout"), "{message}");
    assert!(
        Store::open(root)
            .baseline("ff/ask", "base")
            .unwrap()
            .is_none(),
        "a run that stopped early is no baseline"
    );

    // `--baseline nope` and a refused comparison are found before any request is sent.
    let before = silent.accepted.load(Ordering::SeqCst);
    let code = run(&[
        "--bench",
        "--exact",
        "ff/ask",
        "--baseline",
        "nope",
        "--quiet",
    ]);
    assert_eq!(code, EXIT_USAGE);
    assert_eq!(
        silent.accepted.load(Ordering::SeqCst),
        before,
        "no request was sent"
    );
    let mut other = Store::open(root).latest("ff/ask").unwrap();
    other.endpoint.host = "api.example.com".into();
    other.stopped_early = None;
    // A baseline measured elsewhere arrives as an exported bundle, as in CI.
    let bundle = BaselineBundle {
        schema: BUNDLE_SCHEMA.into(),
        schema_version: BUNDLE_SCHEMA_VERSION,
        baseline: "main".into(),
        runs: vec![other],
    };
    let file = root.join("main-baseline.json");
    std::fs::write(&file, serde_json::to_vec(&bundle).unwrap()).unwrap();
    let code = run(&[
        "--bench",
        "--exact",
        "ff/ask",
        "--import-baseline",
        file.to_str().unwrap(),
        "--baseline",
        "main",
        "--quiet",
    ]);
    assert_eq!(code, EXIT_USAGE, "measured against another host: refused");
    assert_eq!(
        silent.accepted.load(Ordering::SeqCst),
        before,
        "no request was sent"
    );
    drop(silent);

    // Each phase is its own class: headers that never come (above), output that never
    // comes while the server keeps the connection alive, a stream that falls silent.
    let keep_alive = rt.block_on(hostile(Behaviour::KeepAliveOnly));
    std::env::set_var("OPENAI_BASE_URL", &keep_alive.url);
    let code = once("ff/ask", &["--first-token-timeout", "300ms"]);
    assert_eq!(code, EXIT_FAILED, "every request failed");
    assert_eq!(first_error(root, "ff/ask").0, ErrorClass::FirstTokenTimeout);
    drop(keep_alive);

    let one_token = rt.block_on(hostile(Behaviour::OneTokenThenSilence));
    std::env::set_var("OPENAI_BASE_URL", &one_token.url);
    once("ff/ask", &["--idle-timeout", "300ms"]);
    let (class, message) = first_error(root, "ff/ask");
    assert_eq!(class, ErrorClass::IdleTimeout, "{message}");
    drop(one_token);

    let headers_only = rt.block_on(hostile(Behaviour::HeadersThenSilence));
    std::env::set_var("OPENAI_BASE_URL", &headers_only.url);
    once(
        "ff/ask",
        &["--idle-timeout", "300ms", "--first-token-timeout", "10s"],
    );
    assert_eq!(first_error(root, "ff/ask").0, ErrorClass::IdleTimeout);

    // A missing model is a configuration error: reported once, the scenario stops at once,
    // and the exit status says configuration.
    let before = headers_only.accepted.load(Ordering::SeqCst);
    let code = run(&[
        "--bench",
        "--exact",
        "ff/no_model",
        "--samples",
        "20",
        "--quiet",
    ]);
    assert_eq!(code, EXIT_USAGE);
    let stored = Store::open(root).latest("ff/no_model").unwrap();
    assert!(
        stored.samples.is_empty(),
        "stopped in the warm-up, at its first request"
    );
    let reason = stored.stopped_early.unwrap();
    assert!(reason.contains("configuration error: no model"), "{reason}");
    assert_eq!(headers_only.accepted.load(Ordering::SeqCst), before);
    drop(headers_only);
    std::env::remove_var("OPENAI_BASE_URL");

    // Tracked streams: the idle limit applies to them too, and an error keeps its cause and
    // its class.
    let code = once("ff/tracked_stall", &["--idle-timeout", "300ms"]);
    assert_eq!(code, EXIT_FAILED);
    assert_eq!(
        first_error(root, "ff/tracked_stall").0,
        ErrorClass::IdleTimeout
    );
    once("ff/tracked_refused", &[]);
    let (class, message) = first_error(root, "ff/tracked_refused");
    assert_eq!(class, ErrorClass::Connect, "{message}");
    assert_eq!(message, "could not fetch the answer: Connection refused");

    // A healthy run still passes.
    let code = run(&[
        "--bench",
        "--exact",
        "ff/ask",
        "--samples",
        "3",
        "--warmup",
        "0",
        "--quiet",
    ]);
    assert_eq!(code, EXIT_OK);
}
