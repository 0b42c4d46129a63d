//! Memory the harness keeps per measured request (DESIGN §9 and issue "measure to the
//! microsecond": < 1 MB per 1000 finished requests of 256 tokens). Counts live heap bytes with a counting global allocator: the bytes held by a run's
//! kept results (samples and the ITL histogram) are what is freed when they are dropped.
//!
//! `cargo bench --bench memory` measures 1000 requests; under `cargo test --benches` (no
//! `--bench` argument) it runs 100, quickly. Either way it fails when over the budget.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use llm_bench::bench_support::run_measured;
use llm_bench::mock::{LatencyProfile, MockServer};
use llm_bench::Client;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter only
// observes sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// DESIGN §9: less than 1 MB per 1000 requests kept.
const BUDGET_PER_1000: f64 = 1_000_000.0;

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let requests: u32 = if measuring { 1000 } else { 100 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let profile = LatencyProfile::default()
        .ttft(Duration::ZERO)
        .itl(Duration::ZERO)
        .output_tokens(256);
    let server = rt
        .block_on(MockServer::start(profile))
        .expect("mock server");
    let client = Client::builder()
        .base_url(server.base_url())
        .model("llm-bench-mock")
        .build()
        .expect("client");
    let kept = rt.block_on(run_measured(client, requests, 8));
    assert_eq!(kept.samples.len(), requests as usize);
    assert!(
        kept.samples.iter().all(|s| s.is_ok()),
        "every request succeeds"
    );
    // Stop every other thread first, so that only the kept results change the count.
    rt.block_on(server.shutdown());
    drop(rt);

    // The ITL histograms are one per run, whatever its length (the per-token one exists only
    // when some event carried several tokens); samples grow with requests.
    let before = LIVE.load(Ordering::Relaxed);
    drop(kept.itl);
    drop(kept.itl_per_token);
    let per_run = before - LIVE.load(Ordering::Relaxed);
    let before = LIVE.load(Ordering::Relaxed);
    drop(kept.samples);
    let samples = before - LIVE.load(Ordering::Relaxed);
    let per_request = samples as f64 / f64::from(requests);
    let per_1000 = per_run as f64 + 1000.0 * per_request;
    println!(
        "memory/kept_per_1000_requests: {:.1} KiB = {:.1} KiB per run (ITL histograms) + 1000 x {:.0} B per request ({} requests of 256 tokens measured; budget {:.0} KiB)",
        per_1000 / 1024.0,
        per_run as f64 / 1024.0,
        per_request,
        requests,
        BUDGET_PER_1000 / 1024.0
    );
    if per_1000 >= BUDGET_PER_1000 {
        eprintln!("memory/kept_per_1000_requests: over the budget");
        std::process::exit(1);
    }
}
