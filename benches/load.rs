//! The open-loop dispatcher's speed against the simulated endpoint (issue "load without
//! lies", DESIGN §9): starts per second with their schedule lag, and streams held open.
//!
//! `cargo bench --bench load` runs, in release, against the simulated endpoint served by a
//! second process (this executable started again with `--serve-mock`), so that client and
//! server share the machine's 2 cores but not one runtime:
//!
//! - Poisson arrivals at 2000 and at 5000 requests/s (3 s each): the achieved rate must be
//!   within 2% of the target, and at 5000/s the p99 schedule lag below 1 ms (the median of
//!   three runs' p99; when it is not, three runs more after a pause, up to three times, and
//!   the budget is missed when every median is over it);
//! - 2000 requests/s of streams that last about 1.5 s (4000 requests): at least 2000 must
//!   be open at once, and every one must succeed.
//!
//! It prints each figure; with `-- --check` (`cargo bench --bench load -- --check`, as CI
//! runs it) it fails (exit status 1) when one misses its budget: timing budgets are only
//! worth checking on a machine that is otherwise idle. Under `cargo test --benches` (no
//! `--bench` argument) it runs 200 requests at 200/s, as a smoke test that fails when a
//! request fails.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use llm_bench::bench_support::run_open_loop;
use llm_bench::mock::{LatencyProfile, MockServer};
use llm_bench::stored::StoredRun;
use llm_bench::Client;

/// The pause before a missed schedule-lag budget is measured again: a busy spell of the
/// host's neighbours can last a minute.
const PAUSE_BEFORE_REMEASURE: Duration = Duration::from_secs(15);

/// One case: its name, the endpoint's latency, requests, rate, Poisson or constant.
struct Case {
    name: &'static str,
    profile: LatencyProfile,
    requests: u32,
    rate: f64,
    poisson: bool,
}

/// What a case must reach.
struct Budget {
    /// Largest relative miss of the achieved rate.
    rate_off: f64,
    /// Largest p99 schedule lag, in nanoseconds.
    lag_p99_ns: Option<f64>,
    /// Fewest requests in flight at once.
    open_streams: Option<u32>,
}

fn short() -> LatencyProfile {
    LatencyProfile::default()
        .ttft(Duration::from_millis(1))
        .itl(Duration::ZERO)
        .output_tokens(4)
}

fn long() -> LatencyProfile {
    LatencyProfile::default()
        .ttft(Duration::from_secs(1))
        .itl(Duration::from_millis(50))
        .output_tokens(10)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve-mock") {
        serve_mock(args.get(at + 1).map_or("", String::as_str));
        return;
    }
    let measuring = std::env::args().any(|a| a == "--bench");
    let check = std::env::args().any(|a| a == "--check");
    let cases: Vec<(Case, Budget)> = if measuring {
        vec![
            (
                Case {
                    name: "poisson_2000_per_s",
                    profile: short(),
                    requests: 6000,
                    rate: 2000.0,
                    poisson: true,
                },
                Budget {
                    rate_off: 0.02,
                    lag_p99_ns: None,
                    open_streams: None,
                },
            ),
            (
                Case {
                    name: "poisson_5000_per_s",
                    profile: short(),
                    requests: 15000,
                    rate: 5000.0,
                    poisson: true,
                },
                Budget {
                    rate_off: 0.02,
                    lag_p99_ns: Some(1e6),
                    open_streams: None,
                },
            ),
            (
                Case {
                    name: "open_streams_2000",
                    profile: long(),
                    requests: 4000,
                    rate: 2000.0,
                    poisson: false,
                },
                Budget {
                    rate_off: 0.02,
                    lag_p99_ns: None,
                    open_streams: Some(2000),
                },
            ),
        ]
    } else {
        vec![(
            Case {
                name: "poisson_200_per_s",
                profile: short(),
                requests: 200,
                rate: 200.0,
                poisson: true,
            },
            Budget {
                rate_off: 0.05,
                lag_p99_ns: None,
                open_streams: None,
            },
        )]
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut missed = false;
    for (case, budget) in cases {
        // A p99 of schedule lag is judged on the median of three runs: one run's p99 can
        // catch the OS running the simulated endpoint's process for a few milliseconds. A
        // host whose neighbours take the cores for a minute can spoil all three: a missed
        // median is measured again after a pause, up to three times, and the budget is
        // missed only when every median is.
        let repeats = if budget.lag_p99_ns.is_some() { 3 } else { 1 };
        let batches = if budget.lag_p99_ns.is_some() { 3 } else { 1 };
        for batch in 1..=batches {
            let mut lags = Vec::new();
            for _ in 0..repeats {
                let run = rt.block_on(run_case(&case));
                missed |= !report(&case, &budget, &run);
                let lag = run.load.as_ref().and_then(|l| l.schedule_lag.as_ref());
                lags.push(lag.map_or(f64::INFINITY, |l| l.p99));
            }
            let Some(limit) = budget.lag_p99_ns else {
                break;
            };
            lags.sort_by(f64::total_cmp);
            // Three runs: the middle one is the median.
            let median = lags[lags.len() / 2];
            println!(
                "load/{}: schedule lag p99, median of {repeats} runs: {:.0} µs (budget {:.0} µs)",
                case.name,
                median / 1e3,
                limit / 1e3
            );
            if median <= limit {
                break;
            }
            if batch < batches {
                eprintln!(
                    "load/{}: the median p99 schedule lag is over the budget; a busy host can do that: measuring {repeats} runs more in {} s",
                    case.name,
                    PAUSE_BEFORE_REMEASURE.as_secs()
                );
                std::thread::sleep(PAUSE_BEFORE_REMEASURE);
            } else {
                eprintln!(
                    "load/{}: the median p99 schedule lag is over the budget {batches} times in a row",
                    case.name
                );
                missed = true;
            }
        }
    }
    // Outside measurement (the smoke test) every figure is checked: only failures can miss.
    if missed && (check || !measuring) {
        std::process::exit(1);
    }
}

/// `--serve-mock PROFILE`: serves the simulated endpoint with that profile, prints its base
/// URL on a line, and stops when standard input closes (the parent is done or gone).
fn serve_mock(profile: &str) {
    let profile =
        LatencyProfile::parse(profile).expect("a profile in LLM_BENCH_MOCK_PROFILE's grammar");
    // One worker: the client's two and the dispatcher keep the other core's share.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt
        .block_on(MockServer::start(profile))
        .expect("mock server");
    println!("{}", server.base_url());
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    rt.block_on(server.shutdown());
}

/// The simulated endpoint in a child process, and its base URL.
fn spawn_mock(profile: &LatencyProfile) -> (Child, String) {
    let exe = std::env::current_exe().expect("this executable");
    let mut child = Command::new(exe)
        .args(["--serve-mock", &profile.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the mock server process starts");
    let stdout = child.stdout.take().expect("its output");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the mock server prints its URL");
    (child, line.trim().to_string())
}

async fn run_case(case: &Case) -> StoredRun {
    let (mut server, base_url) = spawn_mock(&case.profile);
    let client = Client::builder()
        .base_url(base_url)
        .model("llm-bench-mock")
        .build()
        .expect("client");
    let run = run_open_loop(client, case.requests, case.rate, case.poisson).await;
    drop(server.stdin.take());
    let _ = server.wait();
    run
}

/// Prints the case's figures; false when one misses its budget.
fn report(case: &Case, budget: &Budget, run: &StoredRun) -> bool {
    let Some(load) = &run.load else {
        eprintln!("load/{}: no load report", case.name);
        return false;
    };
    let failed = run.samples.iter().filter(|s| !s.is_ok()).count();
    let lag = load.schedule_lag.as_ref();
    let off = (load.achieved_rate / case.rate - 1.0).abs();
    println!(
        "load/{}: {} requests at {}/s: achieved {:.1}/s ({:.2}% off), schedule lag p50 {:.0} µs p99 {:.0} µs max {:.1} ms, runtime delay p99 {:.0} µs, {} in flight at most, {} failed",
        case.name,
        run.samples.len(),
        case.rate,
        load.achieved_rate,
        off * 100.0,
        lag.map_or(f64::NAN, |l| l.p50 / 1e3),
        lag.map_or(f64::NAN, |l| l.p99 / 1e3),
        lag.map_or(f64::NAN, |l| l.max / 1e6),
        load.runtime_delay.as_ref().map_or(f64::NAN, |d| d.p99 / 1e3),
        load.peak_in_flight,
        failed,
    );
    let mut ok = true;
    let mut miss = |what: String| {
        eprintln!("load/{}: {what}", case.name);
        ok = false;
    };
    if failed > 0 {
        miss(format!(
            "{failed} requests failed: {:?}",
            run.samples.iter().find_map(|s| s.error.as_ref())
        ));
    }
    if run.samples.len() != case.requests as usize {
        miss(format!(
            "{} of {} requests ran",
            run.samples.len(),
            case.requests
        ));
    }
    if off > budget.rate_off {
        miss(format!(
            "achieved rate {:.1}/s is more than {:.0}% off {}/s",
            load.achieved_rate,
            budget.rate_off * 100.0,
            case.rate
        ));
    }
    if let Some(streams) = budget.open_streams {
        if load.peak_in_flight < streams {
            miss(format!(
                "only {} streams were open at once, not {streams}",
                load.peak_in_flight
            ));
        }
    }
    ok
}
