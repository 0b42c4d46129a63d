//! No key is ever written: an end-to-end scan of everything a run writes.
//!
//! A recognisable fake key is given to every provider through its own environment variable,
//! and every provider's endpoint points at a hostile server on 127.0.0.1 that echoes what
//! it was sent: the key in an error body (401), in a rate-limit body (429, retried), in an
//! error event inside a 200 stream, in the raw request headers it quotes back (400), and in
//! its `x-request-id` header. The harness runs one scenario per provider (two processes:
//! TGI and the generic provider are configured only through `LLM_BENCH_PROVIDER`) with
//! progress and every console block on, every export, the HTML report and the Markdown
//! summary, and a baseline export. Then every byte written (both processes' stdout and
//! stderr, every file under the results directory) is scanned for the key and for each
//! 8-character piece of it.
#![cfg(feature = "simulated")]

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use llm_bench::prelude::*;

#[path = "support/child.rs"]
mod child;
use child::{Bench, Exited};

/// The child process: see `support/child.rs`.
#[test]
#[ignore = "the child process of the tests in this file"]
fn child() {
    child::run_child();
}

/// The fake key: random-looking, so none of its 8-character pieces occurs by chance.
const KEY: &str = "sk-proj-Qz7XvN3pLw8KfT2mRb9YcH4jD6sGe1Ua";

macro_rules! provider_scenario {
    ($name:ident, $provider:literal) => {
        #[doc = concat!("A request of the ", $provider, " provider.")]
        #[llm_bench(group = "keys", provider = $provider, model = "m", samples = 8)]
        async fn $name(ctx: &mut Ctx) -> llm_bench::Result<()> {
            ctx.stream(ChatRequest::new("hello").max_tokens(4)).await?;
            Ok(())
        }
    };
}

provider_scenario!(openai, "openai");
provider_scenario!(openai_responses, "openai_responses");
provider_scenario!(openai_completions, "openai_completions");
provider_scenario!(azure, "azure");
provider_scenario!(anthropic, "anthropic");
provider_scenario!(gemini, "gemini");
provider_scenario!(cohere, "cohere");
provider_scenario!(cohere_v1, "cohere_v1");
provider_scenario!(ollama, "ollama");

/// A request of the provider `LLM_BENCH_PROVIDER` selects (TGI, then generic).
#[llm_bench(group = "keys", model = "m", samples = 8)]
async fn selected(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hello").max_tokens(4)).await?;
    Ok(())
}

/// A server that answers every request with the credentials it was sent, five ways in turn.
struct Echo {
    addr: String,
    requests: Arc<AtomicUsize>,
}

impl Echo {
    fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("its address").to_string();
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let count = count.clone();
                std::thread::spawn(move || {
                    let _ = answer(stream, &count);
                });
            }
        });
        Echo { addr, requests }
    }
}

/// Reads one request and answers it with what it carried (connection closed after).
fn answer(stream: TcpStream, count: &AtomicUsize) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    // The credential as sent: a bearer token, a key header, or a `key=` query parameter.
    let sent = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.to_ascii_lowercase();
            let value = value.trim();
            match name.as_str() {
                "authorization" => Some(value.trim_start_matches("Bearer ").to_string()),
                "x-api-key" | "api-key" | "x-goog-api-key" | "x-token" => Some(value.to_string()),
                _ => None,
            }
        })
        .unwrap_or_else(|| head.clone());
    let n = count.fetch_add(1, Ordering::SeqCst);
    let json = |message: String| serde_json::json!({"error": {"message": message}}).to_string();
    let (status, content_type, body) = match n % 5 {
        0 => (
            "401 Unauthorized",
            "application/json",
            json(format!("Incorrect API key provided: {sent}")),
        ),
        1 => (
            "429 Too Many Requests",
            "application/json",
            json(format!("Rate limit reached for key {sent}")),
        ),
        2 => (
            "400 Bad Request",
            "text/plain",
            format!("bad request; you sent:\n{head}"),
        ),
        3 => (
            "200 OK",
            "text/event-stream",
            format!(
                "event: error\ndata: {}\n\n",
                serde_json::json!({"type": "error", "error": {"type": "authentication_error", "message": format!("key {sent} was revoked")}})
            ),
        ),
        _ => (
            "200 OK",
            "application/x-ndjson",
            format!(
                "{}\n",
                serde_json::json!({"error": format!("key {sent} is not allowed")})
            ),
        ),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-request-id: req-{sent}\r\nretry-after: 0\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The places in `bytes` where the key or an 8-character piece of it occurs.
fn leaks(bytes: &[u8]) -> Vec<String> {
    let key = KEY.as_bytes();
    key.windows(8)
        .filter(|piece| bytes.windows(8).any(|w| w == *piece))
        .map(|piece| String::from_utf8_lossy(piece).into_owned())
        .collect()
}

/// The arguments of both runs: every output on, the time-series exports too when built.
fn args() -> String {
    let mut exports = vec!["json", "csv", "bmf", "github", "github-bigger"];
    if cfg!(feature = "prometheus") {
        exports.push("prometheus");
    }
    if cfg!(feature = "influxdb") {
        exports.push("influx");
    }
    format!(
        "--warmup 0 --retries 1 --max-consecutive-failures 0 --export {} --export-baseline",
        exports.join(",")
    )
}

fn env(echo: &Echo, provider: &str, spec: &Path) -> Vec<(&'static str, OsString)> {
    let base = format!("http://{}", echo.addr);
    let v1 = format!("{base}/v1");
    let mut vars: Vec<(&'static str, OsString)> = vec![
        ("OPENAI_BASE_URL", v1.clone().into()),
        ("AZURE_OPENAI_ENDPOINT", base.clone().into()),
        ("AZURE_OPENAI_DEPLOYMENT", "d".into()),
        ("ANTHROPIC_BASE_URL", base.clone().into()),
        ("GEMINI_BASE_URL", base.clone().into()),
        ("COHERE_BASE_URL", base.clone().into()),
        ("OLLAMA_HOST", echo.addr.clone().into()),
        ("LLM_BENCH_BASE_URL", base.clone().into()),
        ("LLM_BENCH_PROVIDER", provider.into()),
        ("LLM_BENCH_GENERIC_SPEC", spec.into()),
    ];
    for key_var in [
        "OPENAI_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "COHERE_API_KEY",
        "OLLAMA_API_KEY",
        "HF_TOKEN",
        "LLM_BENCH_API_KEY",
    ] {
        vars.push((key_var, KEY.into()));
    }
    vars
}

#[test]
fn no_byte_any_run_writes_holds_the_key_or_a_piece_of_it() {
    let echo = Echo::start();
    let home = tempfile::tempdir().expect("a temporary directory");
    let spec = home.path().join("generic.json");
    std::fs::write(
        &spec,
        serde_json::json!({
            "framing": "sse",
            "body": {"model": "{{model}}", "messages": "{{messages}}"},
            "headers": {"x-token": "tok {{api_key}}"},
            "text": "/text",
            "error": "/error/message",
        })
        .to_string(),
    )
    .expect("the generic spec is written");
    let bundle = home.path().join("bundle.json");

    let mut written: Vec<(String, Vec<u8>)> = Vec::new();
    let mut keep = |name: &str, exited: &Exited| {
        written.push((format!("{name} stdout"), exited.stdout.clone().into_bytes()));
        written.push((format!("{name} stderr"), exited.stderr.clone().into_bytes()));
    };
    let first = Bench::start_in(
        home,
        &format!("{} {} keys/", args(), bundle.display()),
        &env(&echo, "tgi", &spec),
    )
    .exit_within(Duration::from_secs(120));
    keep("tgi run", &first);
    assert!(
        first.stdout.contains("keys/anthropic") && first.stdout.contains("keys/selected"),
        "every provider's scenario ran\n{first}"
    );
    let Exited { home, .. } = first;
    let second = Bench::start_in(
        home,
        &format!("{} {} keys/selected", args(), bundle.display()),
        &env(&echo, "generic", &spec),
    )
    .exit_within(Duration::from_secs(120));
    keep("generic run", &second);

    // Every provider was asked, and every way of echoing the key was used.
    let requests = echo.requests.load(Ordering::SeqCst);
    assert!(requests >= 10 * 8, "{requests} requests\n{second}");
    let runs = files_under(second.root());
    let stored = |name: &str| runs.iter().filter(|p| p.ends_with(name)).count();
    // Ten scenarios; the generic run replaced TGI's run of `keys/selected`.
    assert!(
        stored("run.json") >= 10,
        "a run of every provider: {runs:#?}"
    );
    assert_eq!(
        second.run("keys/selected").endpoint.kind,
        "generic",
        "{second}"
    );
    assert!(
        stored("index.html") >= 1 && stored("summary.md") >= 1,
        "{runs:#?}"
    );
    for path in &runs {
        if path == &spec {
            continue; // the test's own input, which holds no key
        }
        let bytes = std::fs::read(path).expect("a written file can be read");
        written.push((path.display().to_string(), bytes));
    }
    let scrubbed = written
        .iter()
        .any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("***"));
    assert!(
        scrubbed,
        "the echoed keys were replaced with ***, not dropped unseen"
    );
    let mut found = Vec::new();
    for (name, bytes) in &written {
        let pieces = leaks(bytes);
        if !pieces.is_empty() {
            found.push(format!("{name}: {pieces:?}"));
        }
    }
    assert!(
        found.is_empty(),
        "the key leaked into:\n{}",
        found.join("\n")
    );
}
