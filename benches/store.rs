//! What a big run costs on disk and to load (issue "results past one machine": a
//! 100 000-request run takes at most 10 MB and loads in under 1 s). The run holds what the
//! built-in client records per request (`bench_support::client_samples`: timings, usage,
//! monotonic and UTC starts, the server's request id, the connection), summarised as the
//! harness does; it is stored with `save_new` and read back with `load_run`.
//!
//! `cargo bench --bench store` measures 100 000 requests, prints the file's size and fails
//! when it is over 10 MB; criterion times `load_run` and `save_new`. Under
//! `cargo test --benches` (no `--bench` argument) it stores 10 000, quickly, as a check.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use llm_bench::bench_support::{client_samples, load_run, save_new, stored_run_of};

/// The largest a stored 100 000-request run may be.
const BUDGET_BYTES: u64 = 10_000_000;

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let requests = if measuring { 100_000 } else { 10_000 };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = stored_run_of("store/big", client_samples(requests, 7));
    let path = save_new(dir.path(), &run).expect("the run is stored");
    let bytes = std::fs::metadata(&path).expect("the stored file").len();
    let pretty = serde_json::to_vec_pretty(&run).expect("JSON").len();
    let loaded = load_run(&path).expect("the run loads");
    // Every per-request record and histogram bucket reads back exactly (floats in JSON may
    // differ in their last bit, as with any serde_json reader).
    assert!(
        loaded.samples == run.samples && loaded.itl_histogram == run.itl_histogram,
        "the stored run's requests read back as they were"
    );
    println!(
        "store: {requests} requests stored in {} as {:.2} MB ({:.0} bytes a request; {:.1} MB as pretty JSON)",
        path.file_name().unwrap_or_default().to_string_lossy(),
        bytes as f64 / 1e6,
        bytes as f64 / f64::from(requests),
        pretty as f64 / 1e6,
    );
    let budget = BUDGET_BYTES * u64::from(requests) / 100_000;
    assert!(
        bytes <= budget,
        "a stored run of {requests} requests takes {bytes} bytes: over the budget of {budget}"
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    let mut group = c.benchmark_group("store");
    group.bench_function(format!("load_run/{requests}"), |b| {
        b.iter(|| black_box(load_run(&path).expect("the run loads")))
    });
    group.bench_function(format!("save_new/{requests}"), |b| {
        b.iter(|| save_new(dir.path(), black_box(&run)).expect("the run is stored"))
    });
    group.finish();
    c.final_summary();
}
