//! `--push-gateway` and `--influx-url` against real servers: a run of the simulated endpoint
//! is pushed by the harness (a child process, as `cargo bench` runs it), then read back
//! through the server's own query API and compared with the stored run.
//!
//! The servers' URLs come from `LLM_BENCH_TEST_PUSHGATEWAY_URL` (a Prometheus Pushgateway)
//! and `LLM_BENCH_TEST_INFLUXDB_URL` (InfluxDB 1.x); `.ci/run` starts both on 127.0.0.1.
//! Without a variable its test says it was skipped, except under CI, where it fails.
#![cfg(all(
    feature = "simulated",
    any(feature = "prometheus", feature = "influxdb")
))]

use std::ffi::OsString;
use std::time::Duration;

use llm_bench::prelude::*;
use llm_bench::stored::{Metric, StoredRun};
use serde_json::Value;

#[path = "support/child.rs"]
mod child;
use child::{Bench, Exited};

/// The child process: see `support/child.rs`.
#[test]
#[ignore = "the child process of the tests in this file"]
fn child() {
    child::run_child();
}

/// A streamed answer of 8 tokens.
#[llm_bench(group = "push", model = "sim-model")]
async fn stream(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("count").max_tokens(8)).await?;
    Ok(())
}

/// The scenario every test runs.
const SCENARIO: &str = "push/stream";

/// The URL in `var`, or `None` (with a line saying the test was skipped) when it is not set;
/// under CI a missing server is a failure.
fn server(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_string()),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set: .ci/run should have started {what} and set it")
        }
        _ => {
            eprintln!(
                "skipped: {var} is not set (start {what} on 127.0.0.1 and set it to its URL)"
            );
            None
        }
    }
}

/// A commit label of this test run only, with characters both formats must escape.
fn commit() -> String {
    format!(r#"test {} "quoted", a=b\c"#, std::process::id())
}

/// Runs the scenario with `flags`, a few fast requests against the simulated endpoint,
/// the commit set to [`commit`].
fn run(flags: &str) -> Exited {
    let env: [(&str, OsString); 2] = [
        (
            "LLM_BENCH_MOCK_PROFILE",
            "ttft=2ms, itl=200us, tokens=8".into(),
        ),
        ("LLM_BENCH_COMMIT", commit().into()),
    ];
    Bench::start(
        &format!("{SCENARIO} --exact --samples 5 --warmup 0 --noplot {flags}"),
        &env,
    )
    .exit_within(Duration::from_secs(120))
}

/// Runs an HTTP request to a test server on a runtime of its own.
fn http<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// A client for the test servers: every request bounded in time, and no connection kept
/// (each request runs on a runtime of its own, see [`http`]).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client")
}

/// Sends `request`; its body as text, after checking the status is 2xx.
fn send(request: reqwest::RequestBuilder) -> String {
    http(async {
        let response = request.send().await.expect("the test server answers");
        let status = response.status();
        let body = response.text().await.expect("a body");
        assert!(status.is_success(), "HTTP {status}: {body}");
        body
    })
}

/// The stored run, after checking the run succeeded and said it pushed.
fn pushed_run(exited: &Exited, line: &str) -> StoredRun {
    assert_eq!(exited.code, Some(0), "{exited}");
    assert!(exited.stdout.contains(line), "{line:?} in\n{exited}");
    let run = exited.run(SCENARIO);
    assert_eq!(run.commit.as_deref(), Some(commit().as_str()));
    assert_eq!(run.samples.len(), 5);
    run
}

#[cfg(feature = "prometheus")]
#[test]
fn a_run_pushed_to_the_pushgateway_reads_back_the_same() {
    let Some(url) = server("LLM_BENCH_TEST_PUSHGATEWAY_URL", "a Prometheus Pushgateway") else {
        return;
    };
    let exited = run(&format!("--push-gateway {url}"));
    let run = pushed_run(
        &exited,
        &format!("llm-bench: pushed 1 scenario to the Pushgateway at {url}\n"),
    );

    let body = send(client().get(format!("{url}/api/v1/metrics")));
    let doc: Value = serde_json::from_str(&body).expect("JSON");
    let groups = doc["data"].as_array().expect("a list of groups");
    // Our group: job llm_bench, this test binary's bench target (`push`).
    let group = groups
        .iter()
        .find(|g| g["labels"]["job"] == "llm_bench" && g["labels"]["bench_target"] == "push")
        .unwrap_or_else(|| panic!("no group job=llm_bench, bench_target=push in {body}"));
    assert_eq!(group["last_push_successful"], true, "{group}");
    let value = |family: &str, quantile: Option<&str>| -> f64 {
        let series = group[family]["metrics"]
            .as_array()
            .unwrap_or_else(|| panic!("no {family} in {group}"));
        let s = series
            .iter()
            .find(|s| {
                let l = &s["labels"];
                l["scenario"] == SCENARIO
                    && l["commit"] == commit().as_str()
                    && quantile.is_none_or(|q| l["quantile"] == q)
            })
            .unwrap_or_else(|| panic!("no {family} of this run in {group}"));
        assert_eq!(s["labels"]["model"], "sim-model", "{s}");
        assert_eq!(s["labels"]["endpoint"], run.endpoint.host.as_str(), "{s}");
        let text = s["value"].as_str().expect("a value");
        text.parse()
            .unwrap_or_else(|e| panic!("{family} = {text:?}: {e}"))
    };
    let requests = value("llm_bench_requests", None);
    let errors = value("llm_bench_errors", None);
    let ttft_p50 = value("llm_bench_ttft_seconds", Some("0.5"));
    let e2e_p99 = value("llm_bench_e2e_seconds", Some("0.99"));
    assert_eq!(requests, run.samples.len() as f64);
    assert_eq!(errors, 0.0);
    assert_eq!(ttft_p50, run.summary[&Metric::Ttft].p50 / 1e9);
    assert_eq!(e2e_p99, run.summary[&Metric::E2e].p99 / 1e9);
    let labels = &group["llm_bench_requests"]["metrics"][0]["labels"];
    println!(
        "pushgateway round trip: pushed {SCENARIO} (requests {}, ttft p50 {} s, e2e p99 {} s) \
         to {url}; GET /api/v1/metrics gave back requests {requests}, errors {errors}, ttft \
         p50 {ttft_p50} s, e2e p99 {e2e_p99} s, labels {labels}",
        run.samples.len(),
        run.summary[&Metric::Ttft].p50 / 1e9,
        run.summary[&Metric::E2e].p99 / 1e9,
    );
}

#[cfg(feature = "influxdb")]
#[test]
fn a_run_written_to_influxdb_reads_back_the_same() {
    let Some(url) = server("LLM_BENCH_TEST_INFLUXDB_URL", "InfluxDB 1.x") else {
        return;
    };
    let db = format!("llm_bench_test_{}", std::process::id());
    let client = client();
    let query = |q: &str| {
        send(client.post(format!("{url}/query")).query(&[
            ("q", q),
            ("db", db.as_str()),
            ("epoch", "ns"),
        ]))
    };
    query(&format!("CREATE DATABASE {db}"));
    let exited = run(&format!("--influx-url {url} --influx-db {db}"));
    let run = pushed_run(
        &exited,
        &format!("llm-bench: pushed 1 scenario to InfluxDB at {url} (database {db})\n"),
    );

    // Selected by every tag, as a dashboard would.
    let select = format!(
        "SELECT * FROM llm_bench WHERE scenario = {} AND endpoint = {} AND model = {} AND \
         commit = {}",
        influxql_string(SCENARIO),
        influxql_string(&run.endpoint.host),
        influxql_string("sim-model"),
        influxql_string(&commit()),
    );
    let body = send(client.get(format!("{url}/query")).query(&[
        ("db", db.as_str()),
        ("epoch", "ns"),
        ("q", select.as_str()),
    ]));
    query(&format!("DROP DATABASE {db}"));
    let doc: Value = serde_json::from_str(&body).expect("JSON");
    let series = &doc["results"][0]["series"][0];
    let columns: Vec<&str> = series["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("no series in {body}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let rows = series["values"].as_array().expect("values");
    assert_eq!(rows.len(), 1, "one point: {body}");
    let field = |name: &str| -> &Value {
        let i = columns
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("no column {name} in {body}"));
        &rows[0][i]
    };
    let time = field("time").as_u64().expect("a time in ns");
    let requests = field("requests").as_u64().expect("an integer");
    let ttft_p50 = field("ttft_p50_ns").as_f64().expect("a float");
    let tpot_p90 = field("tpot_p90_ns").as_f64().expect("a float");
    assert_eq!(time, run.started_at_unix_ms * 1_000_000);
    assert_eq!(requests, run.samples.len() as u64);
    assert_eq!(field("errors").as_u64(), Some(0));
    assert_eq!(ttft_p50, run.summary[&Metric::Ttft].p50);
    assert_eq!(tpot_p90, run.summary[&Metric::Tpot].p90);
    assert_eq!(field("commit"), commit().as_str());
    assert_eq!(field("model"), "sim-model");
    assert_eq!(field("endpoint"), run.endpoint.host.as_str());
    assert_eq!(field("scenario"), SCENARIO);
    println!(
        "influxdb round trip: wrote {SCENARIO} (requests {}, ttft p50 {} ns, tpot p90 {} ns, \
         start {} ns) to {url} database {db}; SELECT gave back requests {requests}, ttft p50 \
         {ttft_p50} ns, tpot p90 {tpot_p90} ns, time {time}, tags scenario {}, endpoint {}, \
         model {}, commit {}",
        run.samples.len(),
        run.summary[&Metric::Ttft].p50,
        run.summary[&Metric::Tpot].p90,
        run.started_at_unix_ms * 1_000_000,
        field("scenario"),
        field("endpoint"),
        field("model"),
        field("commit"),
    );
}

/// `text` as an InfluxQL string literal: single-quoted, backslashes and quotes escaped.
#[cfg(feature = "influxdb")]
fn influxql_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A push nothing answers: one error naming the URL (without its password), the run and its
/// report kept, exit status 1. Needs no server.
#[test]
fn a_failed_push_is_one_error_and_keeps_the_run() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let flag = if cfg!(feature = "prometheus") {
        "--push-gateway"
    } else {
        "--influx-url"
    };
    let exited = run(&format!("{flag} http://me:secret@127.0.0.1:{port}"));
    assert_eq!(exited.code, Some(1), "{exited}");
    let errors: Vec<&str> = exited
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{exited}");
    assert!(
        errors[0].starts_with("error: could not push to ")
            && errors[0].contains(&format!("http://***@127.0.0.1:{port}/")),
        "{exited}"
    );
    assert!(!exited.stderr.contains("secret"), "{exited}");
    assert!(!exited.stdout.contains("pushed"), "{exited}");
    assert_eq!(exited.run(SCENARIO).samples.len(), 5);
    assert!(
        exited.root().join("report/summary.md").is_file(),
        "{exited}"
    );
    println!("failed push: {}", errors[0]);
}
