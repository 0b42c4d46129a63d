//! A stored run lines up with an external server's log of the same requests.
//!
//! The server is a separate process, `tests/support/sse_server.py` (Python 3, standard
//! library only): an OpenAI-compatible streaming endpoint on 127.0.0.1 that gives every
//! response an `x-request-id: ext-<n>` and logs, per request, on CLOCK_MONOTONIC
//! (`time.monotonic_ns()`), when it had read the request and when it began each content
//! write. A scenario is run as a user runs one against a real endpoint (`OPENAI_BASE_URL`,
//! `LLM_BENCH_MODEL`, `cargo bench`'s arguments), its run read back through
//! `llm_bench::stored`; then each stored request is found in the log by its request id, and
//! its start (`start_monotonic_ns`) and its offsets must fall where the server's log puts
//! the bytes: the request started before the server had read it, its first token (and each
//! content event with arrivals) arrived after the server began writing it, both within a
//! few milliseconds on loopback.
//!
//! `python3` must be on PATH (CI installs it, see `.ci/run`); without it the test fails,
//! unless `LLM_BENCH_SKIP_PYTHON=1` says to skip it.
//!
//! One test function: the harness reads its settings from the process environment.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use llm_bench::prelude::*;
use llm_bench::stored::Store;
use serde_json::Value;

/// Measured requests, as in the attribute below, and warm-up requests before them.
const SAMPLES: usize = 6;
const WARMUP: usize = 1;
/// Content chunks per response, and the pause before each (the server's arguments).
const CONTENT_CHUNKS: usize = 5;
const GAP_MS: u64 = 5;
/// How far apart, at most, the two sides of a loopback exchange may be.
const CLOSE_NS: u64 = 20_000_000;
/// Bounds on the server's start and on the whole run.
const PORT_TIMEOUT: Duration = Duration::from_secs(10);
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// A short streamed answer from the configured endpoint (here the Python server).
#[llm_bench(group = "extlog", name = "chat", samples = 6, warmup = 1)]
async fn chat(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hello").max_tokens(8)).await?;
    Ok(())
}

/// The Python server's process, killed when dropped (also when the test panics).
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line of the server's log.
#[derive(Debug)]
struct Logged {
    received_ns: u64,
    first_write_ns: u64,
    writes_ns: Vec<u64>,
}

/// `python3 --version` runs, else the test fails (or, with `LLM_BENCH_SKIP_PYTHON=1`, is
/// skipped: false).
fn python3_available() -> bool {
    if std::env::var("LLM_BENCH_SKIP_PYTHON").as_deref() == Ok("1") {
        println!("note: LLM_BENCH_SKIP_PYTHON=1: skipping the external server log test");
        return false;
    }
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => panic!(
            "`python3 --version` failed ({}): this test runs an external Python server; \
             CI must install python3 (.ci/run does), or set LLM_BENCH_SKIP_PYTHON=1 to skip it",
            out.status
        ),
        Err(e) => panic!(
            "python3 is not on PATH ({e}): this test runs an external Python server; \
             CI must install python3 (.ci/run does), or set LLM_BENCH_SKIP_PYTHON=1 to skip it"
        ),
    }
}

/// Starts the server logging to `log`; returns it and its port.
fn start_server(log: &Path) -> (Server, u16) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/sse_server.py");
    let child = Command::new("python3")
        .arg(&script)
        .arg(log)
        .arg(CONTENT_CHUNKS.to_string())
        .arg(GAP_MS.to_string())
        // the server exits when its stdin closes, so also when this process dies without
        // unwinding (no Drop)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting python3 {}: {e}", script.display()));
    let mut server = Server { child };
    let stdout = server.child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
    });
    let line = rx
        .recv_timeout(PORT_TIMEOUT)
        .unwrap_or_else(|_| panic!("the server printed no port within {PORT_TIMEOUT:?}"))
        .expect("reading the server's port");
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("the server's first line is not a port: {line:?} ({e})"));
    (server, port)
}

/// The server's log: request id to its lines (a repeated id would be a bug).
fn read_log(log: &Path) -> BTreeMap<String, Vec<Logged>> {
    let text = std::fs::read_to_string(log).expect("the server's log");
    let mut by_id: BTreeMap<String, Vec<Logged>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let ns = |key: &str| {
            v[key]
                .as_u64()
                .unwrap_or_else(|| panic!("no {key} in {line}"))
        };
        let writes_ns: Vec<u64> = v["writes_ns"]
            .as_array()
            .unwrap_or_else(|| panic!("no writes_ns in {line}"))
            .iter()
            .map(|w| w.as_u64().expect("a write time"))
            .collect();
        let id = v["request_id"].as_str().expect("a request id").to_string();
        by_id.entry(id).or_default().push(Logged {
            received_ns: ns("received_ns"),
            first_write_ns: ns("first_write_ns"),
            writes_ns,
        });
    }
    by_id
}

fn unix_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

fn us(ns: i128) -> String {
    format!("{:.1}", ns as f64 / 1e3)
}

#[test]
fn stored_request_starts_line_up_with_the_servers_log() {
    if !python3_available() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    let log = root.join("server.log");
    let (server, port) = start_server(&log);

    // The endpoint as a user configures an OpenAI-compatible server: no key (a self-hosted
    // server needs none), no other provider or base URL that could win.
    std::env::set_var("LLM_BENCH_HOME", root);
    std::env::set_var("OPENAI_BASE_URL", format!("http://127.0.0.1:{port}/v1"));
    std::env::set_var("LLM_BENCH_MODEL", "ext-model");
    for var in [
        "OPENAI_API_KEY",
        "LLM_BENCH_BASE_URL",
        "LLM_BENCH_PROVIDER",
        "LLM_BENCH_API_KEY",
        "LLM_BENCH_FAIL_ON_REGRESSION",
    ] {
        std::env::remove_var(var);
    }

    let began_unix_ns = unix_now_ns();
    let began = std::time::Instant::now();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let args = [
            "bench",
            "--bench",
            "--quiet",
            "--noplot",
            "--nresamples",
            "0",
        ];
        let _ = tx.send(llm_bench::run_with_args(args));
    });
    let code = rx
        .recv_timeout(RUN_TIMEOUT)
        .unwrap_or_else(|_| panic!("the run did not finish within {RUN_TIMEOUT:?}"));
    let took = began.elapsed();
    let ended_unix_ns = unix_now_ns();
    assert_eq!(code, 0, "the run's exit status");

    let run = Store::open(root).latest("extlog/chat").unwrap();
    assert_eq!(run.endpoint.kind, "openai_compatible", "{:?}", run.endpoint);
    assert_eq!(run.endpoint.host, format!("127.0.0.1:{port}"));
    assert_eq!(run.endpoint.model.as_deref(), Some("ext-model"));
    assert_eq!(run.settings.samples as usize, SAMPLES);
    assert_eq!(run.settings.warmup as usize, WARMUP);
    assert_eq!(run.samples.len(), SAMPLES, "the samples asked for");

    // The server logs a request before it sends `data: [DONE]`, so every request the run
    // finished is in the log: the warm-up ones and the measured ones, nothing else.
    let logged = read_log(&log);
    let lines: usize = logged.values().map(Vec::len).sum();
    assert_eq!(
        lines,
        WARMUP + SAMPLES,
        "requests the server saw: {logged:?}"
    );

    println!("times in µs; recv-start: the server's read of the request minus start_monotonic_ns;");
    println!("tok-write: start + ttft minus the server's first content write; arrival-write:");
    println!("start + each content arrival minus its write (min..max)");
    println!(
        "{:>3} {:>6} {:>6} {:>12} {:>10} {:>10} {:>10} {:>16}",
        "#", "id", "conn", "recv-start", "ttft", "tok-write", "e2e", "arrival-write"
    );
    let mut with_arrivals = 0;
    for s in &run.samples {
        assert!(s.is_ok(), "request {} failed: {:?}", s.index, s.error);
        let id = s
            .request_id
            .as_deref()
            .unwrap_or_else(|| panic!("request {} has no request id", s.index));
        assert!(
            id.strip_prefix("ext-")
                .is_some_and(|n| n.parse::<u32>().is_ok()),
            "request {}: id {id:?} is not ext-N",
            s.index
        );
        let entries = logged
            .get(id)
            .unwrap_or_else(|| panic!("request {} ({id}) is not in the server's log", s.index));
        assert_eq!(entries.len(), 1, "{id} is logged once");
        let entry = &entries[0];
        assert_eq!(entry.writes_ns.len(), CONTENT_CHUNKS);

        // UTC: the request started during this run.
        let unix = s.start_unix_ns.expect("start_unix_ns");
        assert!(
            unix + 1_000_000_000 >= began_unix_ns && unix <= ended_unix_ns + 1_000_000_000,
            "request {}: start_unix_ns {unix} is outside the run ({began_unix_ns}..{ended_unix_ns})",
            s.index
        );
        assert!(ended_unix_ns.saturating_sub(unix) < 10_000_000_000);

        // CLOCK_MONOTONIC: the request started before the server had read it, shortly before.
        let start = s.start_monotonic_ns.expect("start_monotonic_ns");
        assert!(
            start < entry.received_ns,
            "request {} ({id}) started at {start}, after the server had read it at {}",
            s.index,
            entry.received_ns
        );
        let to_received = entry.received_ns - start;
        assert!(
            to_received < CLOSE_NS,
            "request {} ({id}): {to_received} ns from start to the server's read",
            s.index
        );

        // The first token arrived after the server began writing it, shortly after.
        let ttft = s.ttft_ns.expect("ttft_ns");
        let first_token = start + ttft;
        assert!(
            first_token >= entry.first_write_ns,
            "request {} ({id}): first token at {first_token}, before the server wrote it at {}",
            s.index,
            entry.first_write_ns
        );
        let token_lag = first_token - entry.first_write_ns;
        assert!(
            token_lag < CLOSE_NS,
            "request {} ({id}): first token {token_lag} ns after its write began",
            s.index
        );
        assert_eq!(s.output_events as usize, CONTENT_CHUNKS);
        let e2e = s.e2e_ns.expect("e2e_ns");
        assert!(start + e2e >= *entry.writes_ns.last().unwrap());

        // Each content event arrived after its write began.
        let mut lags = String::from("-");
        if let Some(arrivals) = &s.arrivals_ns {
            with_arrivals += 1;
            assert_eq!(arrivals.len(), CONTENT_CHUNKS, "{id}: {arrivals:?}");
            let mut spread: Vec<i128> = Vec::new();
            for (k, (&at, &write)) in arrivals.iter().zip(&entry.writes_ns).enumerate() {
                assert!(
                    start + at >= write,
                    "request {} ({id}): content event {k} at {}, before its write at {write}",
                    s.index,
                    start + at
                );
                spread.push(i128::from(start + at) - i128::from(write));
            }
            let (min, max) = (spread.iter().min().unwrap(), spread.iter().max().unwrap());
            lags = format!("{}..{}", us(*min), us(*max));
        }
        let conn = match s.http {
            Some(h) if h.new_connection => "new",
            Some(_) => "reused",
            None => "?",
        };
        println!(
            "{:>3} {:>6} {:>6} {:>12} {:>10} {:>10} {:>10} {:>16}",
            s.index,
            id,
            conn,
            us(i128::from(to_received)),
            us(i128::from(ttft)),
            us(i128::from(token_lag)),
            us(i128::from(e2e)),
            lags
        );
    }
    // The first requests of a run keep their token timelines (arrivals): some here.
    assert!(with_arrivals > 0, "no stored request kept its arrivals");
    println!(
        "{} requests, {} with arrivals; run took {:.2} s",
        run.samples.len(),
        with_arrivals,
        took.as_secs_f64()
    );
    drop(server);
}
