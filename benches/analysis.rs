//! Cost of the statistics of a stored run at the default settings: `estimate()` (mean,
//! median, p90, p99 with their intervals) over 1000, 10 000 and 100 000 values, `compare()`
//! of two runs of 100 000, and the whole analysis of a 100 000-request run with a baseline of
//! the same size: for each of the 8 metrics a run can report, its summary (exact type-7 percentiles),
//! its estimates, and its comparison with the baseline's values, as `harness::summarize` and
//! `harness::baseline` call them.
//!
//! Then `end_to_end`: what `cargo bench` does after a 100 000-request run, timed as a
//! whole: the stored run's summaries and intervals, the comparison with a 100 000-request
//! baseline, writing both, and the HTML report (charts included) and Markdown summary.
//!
//! `cargo bench --bench analysis -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use llm_bench::bench_support::{
    analyse_run, compare_values, estimate_values, summarize_values, synthetic_samples,
};

/// Seeded log-normal values: SplitMix64 uniforms, Box–Muller normals. Written out so the
/// root package needs no `rand`; the values only have to be the same on every run.
struct LogNormal {
    state: u64,
    spare: Option<f64>,
    median: f64,
    sigma: f64,
}

impl LogNormal {
    fn new(seed: u64, median: f64, sigma: f64) -> Self {
        LogNormal {
            state: seed,
            spare: None,
            median,
            sigma,
        }
    }

    /// A uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let (u, v) = (self.uniform(), self.uniform());
        let r = (-2.0 * u.ln()).sqrt();
        let t = std::f64::consts::TAU * v;
        self.spare = Some(r * t.sin());
        r * t.cos()
    }

    fn take(&mut self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| self.median * (self.sigma * self.normal()).exp())
            .collect()
    }
}

/// `n` log-normal latencies in nanoseconds: median 200 ms, σ of the log 0.3.
fn latencies(seed: u64, n: usize) -> Vec<f64> {
    LogNormal::new(seed, 200e6, 0.3).take(n)
}

fn estimates(c: &mut Criterion) {
    let mut group = c.benchmark_group("estimate");
    group.sample_size(10);
    for n in [1000, 10_000, 100_000] {
        let values = latencies(1, n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("lognormal/{n}"), |b| {
            b.iter(|| estimate_values(black_box(&values)))
        });
    }
    group.finish();
}

fn comparison(c: &mut Criterion) {
    const N: usize = 100_000;
    let base = latencies(2, N);
    // 3% slower: a change within the noise threshold, so the rank test does real work.
    let new: Vec<f64> = latencies(3, N).iter().map(|v| v * 1.03).collect();
    let mut group = c.benchmark_group("compare");
    group.sample_size(10);
    group.throughput(Throughput::Elements(2 * N as u64));
    group.bench_function(format!("lognormal/{N}_vs_{N}"), |b| {
        b.iter(|| compare_values(black_box(&base), black_box(&new), false))
    });
    group.finish();
}

/// The 8 metrics a run can report (`Metric::ALL`; TTFO and ITL per token only for some
/// endpoints), with a plausible median and spread each and whether larger is better.
const METRICS: [(&str, f64, f64, bool); 8] = [
    ("ttfb", 150e6, 0.3, false),
    ("ttft", 200e6, 0.3, false),
    ("ttfo", 400e6, 0.4, false),
    ("itl", 20e6, 0.2, false),
    ("itl_per_token", 10e6, 0.2, false),
    ("tpot", 22e6, 0.25, false),
    ("e2e", 4e9, 0.3, false),
    ("tokens_per_second", 45.0, 0.25, true),
];

/// Per metric: summary, estimates and comparison with the baseline, for runs of `n`.
fn whole_run(c: &mut Criterion) {
    const N: usize = 100_000;
    let runs: Vec<(&str, bool, Vec<f64>, Vec<f64>)> = METRICS
        .iter()
        .enumerate()
        .map(|(i, &(name, median, sigma, higher))| {
            let seed = 100 + 2 * i as u64;
            let base = LogNormal::new(seed, median, sigma).take(N);
            let new = LogNormal::new(seed + 1, median * 1.02, sigma).take(N);
            (name, higher, base, new)
        })
        .collect();
    let mut group = c.benchmark_group("stored_run_analysis");
    group.sample_size(10);
    group.bench_function(format!("8_metrics/{N}_vs_{N}"), |b| {
        b.iter(|| {
            for (name, higher, base, new) in &runs {
                black_box(summarize_values(name, new));
                black_box(estimate_values(new));
                black_box(compare_values(base, new, *higher));
            }
        })
    });
    group.finish();
}

/// A 100 000-request run analysed, compared, stored and reported, as `cargo bench` does
/// after measuring it (10% slower than its baseline).
fn end_to_end(c: &mut Criterion) {
    const N: u32 = 100_000;
    let root = std::env::temp_dir().join(format!("llm-bench-analysis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let base = analyse_run(&root, "analysis/large", synthetic_samples(N, 1, 1.0), None)
        .expect("the baseline run is analysed");
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    group.bench_function(format!("{N}_requests_vs_{N}"), |b| {
        b.iter_batched(
            || synthetic_samples(N, 2, 1.1),
            |samples| black_box(analyse_run(&root, "analysis/large", samples, Some(&base))),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group! {
    name = analysis;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = estimates, comparison, whole_run, end_to_end
}
criterion_main!(analysis);
