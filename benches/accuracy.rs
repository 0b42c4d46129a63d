//! How far llm-bench's measured times are from the truth, and how closely the simulated
//! endpoint keeps its schedule (issue "measure to the microsecond").
//!
//! `cargo bench --bench accuracy` runs, in release, the simulated endpoint in a second
//! process (this executable started again with `--serve-mock`) and the harness's real
//! runner against it at 1, 64 and 256 concurrent streams. The endpoint stamps every socket
//! write on `CLOCK_MONOTONIC` as it begins; the harness stamps every socket read, and stores
//! each request's start on the same clock and the request id the server sent. Request by
//! request (matched by id), it prints, per concurrency:
//!
//! - **measurement error**: each output event's arrival as llm-bench measured it minus the
//!   begin of the server's write that carried it: for the first token (TTFT) and for every
//!   inter-token gap (measured gap minus the gap between the two writes), p50, p99 and max
//!   of the absolute error. Budget: p99 at most 100 µs, median at most 50 µs.
//! - **pacing error** of the endpoint: each token write's begin minus its deadline (the
//!   request's receipt plus the profile's planned offset). Budget: p99 at most 50 µs.
//!
//! With `-- --check` (as CI runs it) it fails (exit status 1) when a figure misses its
//! budget. Under `cargo test --benches` (no `--bench`) it runs 1 and 8 streams briefly as a
//! smoke test of the matching, without budgets (a debug build on a busy machine).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use llm_bench::bench_support::run_timelines;
use llm_bench::mock::{LatencyProfile, MockServer};
use llm_bench::stored::RequestSample;
use llm_bench::Client;

/// Budgets, in nanoseconds.
const ERROR_P50_NS: f64 = 50_000.0;
const ERROR_P99_NS: f64 = 100_000.0;
const PACING_P99_NS: f64 = 50_000.0;
/// How early an event may seem against its write: the clocks' rate difference (below).
const EARLY_TOLERANCE_NS: f64 = 20_000.0;

/// The endpoint's latency: an LLM's pace (TTFT 50 ms, a token every 20 ms: 50 tokens/s per
/// stream, 12 800 writes/s at 256 streams), 24 tokens, gaps uniform in 5-35 ms so that
/// streams do not move in lockstep.
fn profile() -> LatencyProfile {
    LatencyProfile::parse("ttft=50ms,itl=5ms..35ms,tokens=24,seed=12").expect("a valid profile")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve-mock") {
        serve_mock(args.get(at + 1).map_or("", String::as_str));
        return;
    }
    let measuring = args.iter().any(|a| a == "--bench");
    let check = args.iter().any(|a| a == "--check");
    // (streams, requests): every stream runs at least two requests, so that all but the
    // first reuse their connection, as in a measured phase after warm-up.
    let levels: &[(u32, u32)] = if measuring {
        &[(1, 40), (64, 256), (256, 768)]
    } else {
        &[(1, 4), (8, 16)]
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let profile = profile();
    let mut missed = false;
    if measuring {
        machine_stalls(Duration::from_secs(2));
    }
    println!("accuracy: simulated endpoint in its own process ({profile}); harness on 2 workers");
    for &(streams, requests) in levels {
        let mut server = Endpoint::spawn(&profile);
        let client = Client::builder()
            .base_url(server.base_url.clone())
            .model("llm-bench-mock")
            .build()
            .expect("client");
        // Warm-up: every stream's connection opened before the measured requests.
        let _ = rt.block_on(run_timelines(client.clone(), streams, streams));
        let samples = rt.block_on(run_timelines(client, requests, streams));
        let truth = server.truth();
        server.stop();
        let errors = match compare(&profile, &samples, &truth) {
            Ok(errors) => errors,
            Err(why) => {
                eprintln!("accuracy/{streams}_streams: {why}");
                missed = true;
                continue;
            }
        };
        missed |= !errors.report(streams, measuring);
    }
    missed |= !client_core_throughput(measuring);
    if missed && (check || !measuring) {
        std::process::exit(1);
    }
}

/// Budget: streamed requests per second per client core.
const REQUESTS_PER_CORE: f64 = 1000.0;

/// Streamed requests per second one client core drives through the harness's real runner:
/// closed loop, 32 at a time, on a single-threaded runtime, against the endpoint in its own
/// process with no delays (16 tokens each); the client's CPU time (user and system, from
/// `/proc/self/stat`) is the core's share it used. False when under the budget.
fn client_core_throughput(measuring: bool) -> bool {
    let requests = if measuring { 6000 } else { 200 };
    let profile = LatencyProfile::parse("ttft=0ms,itl=0ms,tokens=16").expect("a valid profile");
    let server = Endpoint::spawn(&profile);
    let client = Client::builder()
        .base_url(server.base_url.clone())
        .model("llm-bench-mock")
        .build()
        .expect("client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _ = rt.block_on(run_timelines(client.clone(), 32, 32));
    let cpu_before = cpu_time();
    let wall = std::time::Instant::now();
    let samples = rt.block_on(llm_bench::bench_support::run_measured(client, requests, 32));
    let wall = wall.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    server.stop();
    let failed = samples.samples.iter().filter(|s| !s.is_ok()).count();
    let per_wall = f64::from(requests) / wall.as_secs_f64();
    let per_core = cpu.map(|cpu| f64::from(requests) / cpu.as_secs_f64());
    let over = per_core.is_some_and(|r| r < REQUESTS_PER_CORE);
    println!(
        "accuracy/client_core: {requests} streamed requests of 16 tokens in {:.2} s ({per_wall:.0}/s) on one thread using {} of CPU: {} per client core (budget {REQUESTS_PER_CORE:.0}/s){}, {failed} failed",
        wall.as_secs_f64(),
        cpu.map_or("?".to_string(), |c| format!("{:.2} s", c.as_secs_f64())),
        per_core.map_or("?".to_string(), |r| format!("{r:.0}/s")),
        if measuring && over { "  UNDER BUDGET" } else { "" },
    );
    failed == 0 && !(measuring && over)
}

/// This process's CPU time so far (user and system), from `/proc/self/stat` on Linux
/// (10 ms resolution); `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, inside parentheses).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel's USER_HZ is 100 on every Linux architecture llm-bench builds for.
    Some(Duration::from_millis(ticks * 10))
}

/// How much a thread that never sleeps loses to the machine: it spins on the clock for
/// `spin` and prints the gaps of more than 50 µs between two reads (the thread was not
/// running: the host ran another virtual CPU, or the OS another thread). No measurement
/// on this machine can be more precise than these gaps let it be.
fn machine_stalls(spin: Duration) {
    let end = std::time::Instant::now() + spin;
    let mut last = std::time::Instant::now();
    let mut gaps: Vec<Duration> = Vec::new();
    while last < end {
        let now = std::time::Instant::now();
        if now - last > Duration::from_micros(50) {
            gaps.push(now - last);
        }
        last = now;
    }
    gaps.sort();
    let lost: Duration = gaps.iter().sum();
    println!(
        "accuracy/machine: a spinning thread lost {:.1}% of {:?} in {} stalls over 50 µs (over 1 ms: {}; longest {:.1} ms)",
        100.0 * lost.as_secs_f64() / spin.as_secs_f64(),
        spin,
        gaps.len(),
        gaps.iter().filter(|g| **g > Duration::from_millis(1)).count(),
        gaps.last().map_or(0.0, |g| g.as_secs_f64() * 1e3),
    );
}

/// One request as the endpoint recorded it.
struct Truth {
    /// Its index on the server (the seed of its gaps).
    index: u64,
    /// When it was received, on the monotonic clock.
    received_ns: u64,
    /// The begin of each token's write, on the monotonic clock.
    token_write_ns: Vec<u64>,
}

/// The errors of one concurrency level, in nanoseconds.
#[derive(Default)]
struct Errors {
    /// Requests compared.
    requests: usize,
    /// First token: arrival minus the write's begin.
    ttft: Vec<f64>,
    /// Each gap: measured minus written.
    itl: Vec<f64>,
    /// Each event: arrival minus the write's begin.
    arrival: Vec<f64>,
    /// Each token write: its begin minus its deadline.
    pacing: Vec<f64>,
}

/// Matches each measured request with the endpoint's record by request id and collects the
/// errors.
fn compare(
    profile: &LatencyProfile,
    samples: &[RequestSample],
    truth: &HashMap<String, Truth>,
) -> Result<Errors, String> {
    let mut errors = Errors::default();
    for sample in samples {
        if let Some(error) = &sample.error {
            return Err(format!(
                "request {} failed: {}",
                sample.index, error.message
            ));
        }
        let id = sample.request_id.as_deref().ok_or("a request has no id")?;
        let t = truth
            .get(id)
            .ok_or_else(|| format!("request id {id} is not in the endpoint's records"))?;
        let start = sample.start_monotonic_ns.ok_or("a request has no start")?;
        let arrivals = sample
            .arrivals_ns
            .as_deref()
            .ok_or("a request has no arrivals")?;
        if arrivals.len() != t.token_write_ns.len() {
            return Err(format!(
                "request {id}: {} events measured, {} tokens written",
                arrivals.len(),
                t.token_write_ns.len()
            ));
        }
        let measured: Vec<f64> = arrivals.iter().map(|&a| (start + a) as f64).collect();
        let written: Vec<f64> = t.token_write_ns.iter().map(|&w| w as f64).collect();
        if let (Some(m), Some(w)) = (measured.first(), written.first()) {
            errors.ttft.push(m - w);
        }
        errors
            .arrival
            .extend(measured.iter().zip(&written).map(|(m, w)| m - w));
        for (m, w) in measured.windows(2).zip(written.windows(2)) {
            errors.itl.push((m[1] - m[0]) - (w[1] - w[0]));
        }
        let planned = profile.token_offsets(t.index, t.token_write_ns.len() as u32);
        for (w, offset) in t.token_write_ns.iter().zip(planned) {
            let deadline = t.received_ns as f64 + offset.as_nanos() as f64;
            errors.pacing.push(*w as f64 - deadline);
        }
        errors.requests += 1;
    }
    Ok(errors)
}

/// p50, p99 and max of the absolute values (type 7 percentiles).
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut abs: Vec<f64> = values.iter().map(|v| v.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let q = |p: f64| {
        if abs.is_empty() {
            return f64::NAN;
        }
        let h = p * (abs.len() - 1) as f64;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(abs.len() - 1);
        abs[lo] + (h - lo as f64) * (abs[hi] - abs[lo])
    };
    (q(0.5), q(0.99), abs.last().copied().unwrap_or(f64::NAN))
}

impl Errors {
    /// Prints the figures; false when one misses its budget (only judged when measuring).
    fn report(&self, streams: u32, measuring: bool) -> bool {
        let mut ok = true;
        // Offsets are measured on quanta's clock and placed on the monotonic one from the
        // request's start: the clocks' rates differ by a few parts per million, up to
        // ~10 µs over a stream of a second.
        let early = self
            .arrival
            .iter()
            .filter(|e| **e < -EARLY_TOLERANCE_NS)
            .count();
        let early_max = self.arrival.iter().copied().fold(0.0, f64::min);
        for (what, values, p50_budget, p99_budget) in [
            ("ttft error", &self.ttft, ERROR_P50_NS, ERROR_P99_NS),
            ("itl error", &self.itl, ERROR_P50_NS, ERROR_P99_NS),
            (
                "endpoint pacing",
                &self.pacing,
                f64::INFINITY,
                PACING_P99_NS,
            ),
        ] {
            let (p50, p99, max) = spread(values);
            let min_signed = values.iter().copied().fold(f64::INFINITY, f64::min);
            let over = p50 > p50_budget || p99 > p99_budget;
            println!(
                "accuracy/{streams}_streams: {what}: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs (signed min {:.1} µs) over {} values ({} requests){}",
                p50 / 1e3,
                p99 / 1e3,
                max / 1e3,
                min_signed / 1e3,
                values.len(),
                self.requests,
                if measuring && over { "  OVER BUDGET" } else { "" },
            );
            ok &= !(measuring && over);
        }
        if early > 0 {
            // An event measured before the server began writing it would be a clock or
            // matching bug, not noise.
            eprintln!(
                "accuracy/{streams}_streams: {early} of {} events were measured more than 20 µs before their write began (up to {:.1} µs)",
                self.arrival.len(),
                -early_max / 1e3
            );
            ok = false;
        }
        ok
    }
}

/// The simulated endpoint in a child process.
struct Endpoint {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<std::process::ChildStdout>,
    base_url: String,
}

impl Endpoint {
    /// Starts it with `profile` and reads its base URL.
    fn spawn(profile: &LatencyProfile) -> Endpoint {
        let exe = std::env::current_exe().expect("this executable");
        let mut child = Command::new(exe)
            .args(["--serve-mock", &profile.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the endpoint process starts");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("its output"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the endpoint prints its URL");
        Endpoint {
            child,
            stdin,
            stdout,
            base_url: line.trim().to_string(),
        }
    }

    /// The endpoint's records, by request id.
    fn truth(&mut self) -> HashMap<String, Truth> {
        let stdin = self.stdin.as_mut().expect("the endpoint's input");
        stdin.write_all(b"truth\n").expect("asks for the truth");
        stdin.flush().expect("asks for the truth");
        let mut records = HashMap::new();
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).expect("reads the truth");
            if n == 0 || line.trim() == "end" {
                break;
            }
            let mut fields = line.split_whitespace();
            let id = fields.next().expect("an id").to_string();
            let mut number = || -> u64 {
                fields
                    .next()
                    .and_then(|f| f.parse().ok())
                    .expect("a number")
            };
            let index = number();
            let received_ns = number();
            let tokens = number() as usize;
            let token_write_ns = (0..tokens).map(|_| number()).collect();
            records.insert(
                id,
                Truth {
                    index,
                    received_ns,
                    token_write_ns,
                },
            );
        }
        records
    }

    /// Stops it.
    fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// `--serve-mock PROFILE`: serves the simulated endpoint with that profile, prints its base
/// URL on a line; on each `truth` line of standard input, prints one line per finished
/// request (`id index received_ns tokens write_begin_ns...`) and `end`; stops when standard
/// input closes.
fn serve_mock(profile: &str) {
    let profile = LatencyProfile::parse(profile).expect("a profile");
    // One worker: the client's two keep the other core's share.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt
        .block_on(MockServer::start(profile))
        .expect("mock server");
    println!("{}", server.base_url());
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() != "truth" {
            continue;
        }
        // The client has read every byte: the last writes' stamps are in.
        std::thread::sleep(Duration::from_millis(10));
        for t in server.truth() {
            let mut text = format!(
                "{} {} {} {}",
                t.request_id,
                t.request_index,
                t.received_monotonic_ns,
                t.token_written.len()
            );
            for w in &t.token_written {
                text.push(' ');
                text.push_str(&w.begin_monotonic_ns.to_string());
            }
            let _ = writeln!(out, "{text}");
        }
        let _ = writeln!(out, "end");
        let _ = out.flush();
    }
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    rt.block_on(server.shutdown());
}
