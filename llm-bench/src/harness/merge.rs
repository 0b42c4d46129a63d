//! `llm-bench merge`: one run of a scenario from the runs several machines stored of it.
//!
//! A load too big for one machine is spread over many (any orchestrator starts the same
//! bench on each); each stores its own run. The merge concatenates their requests, each
//! named with its machine and its start moved onto one time axis (each run's start in UTC,
//! so the machines' clocks should agree, as NTP keeps them), adds their ITL histograms
//! bucket by bucket (HDR histograms of the same bounds add without loss), and computes
//! everything else (summaries, intervals, errors, throughput, objectives, load) with the
//! same code a measured run uses ([`Derived`]). The result is a [`StoredRun`] like any
//! other: it compares, gates and reports as one run of the combined load.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::harness::baseline::same_endpoint;
use crate::harness::summarize::{load_of, Derived};
use crate::metrics::{Metric, MetricHistogram, RequestSample};
use crate::rules::slo::parse_slos;
use crate::stats::StatsConfig;
use crate::store::{OpenLoopSettings, RunOrigin, RunSettings, StopReason, StoredRun};

/// One machine's run of a scenario, as given to [`merge_runs`].
#[derive(Debug, Clone, Copy)]
pub struct MachineRun<'a> {
    /// The machine's name, stored with each of its requests.
    pub machine: &'a str,
    /// Its stored run.
    pub run: &'a StoredRun,
}

/// The run of the combined load of `parts` (the same scenario on several machines),
/// stored with `origin`. Requests come in the order of `parts`, renumbered; a request
/// already named with a machine (a merged run merged again) keeps its name. Intervals use
/// the default statistics ([`StatsConfig::default`]).
///
/// Refused, naming the machines, when the parts are of different scenarios, endpoints
/// (kind, host, model; the simulated endpoint's port does not count) or token counters, when two machines have the same name, or when a
/// part has no requests.
pub fn merge_runs(parts: &[MachineRun<'_>], origin: RunOrigin) -> Result<StoredRun> {
    let first = check_parts(parts)?;
    let start_ms = parts
        .iter()
        .map(|p| p.run.started_at_unix_ms)
        .min()
        .unwrap_or(first.started_at_unix_ms);
    let offset_ns = |run: &StoredRun| (run.started_at_unix_ms - start_ms).saturating_mul(1_000_000);

    let mut samples: Vec<RequestSample> = Vec::new();
    for part in parts {
        let offset = offset_ns(part.run);
        for sample in &part.run.samples {
            let mut sample = sample.clone();
            sample.index = u32::try_from(samples.len()).unwrap_or(u32::MAX);
            sample.started_at_ns = sample.started_at_ns.saturating_add(offset);
            if sample.machine.is_none() {
                sample.machine = Some(part.machine.to_string());
            }
            samples.push(sample);
        }
    }
    let wall_time_ns = parts
        .iter()
        .map(|p| offset_ns(p.run).saturating_add(p.run.wall_time_ns))
        .max()
        .unwrap_or(0);

    let itl = merged_histogram(Metric::Itl, parts.iter().map(|p| &p.run.itl_histogram));
    // A part without gaps per token had none that differed from its gaps (every event one
    // token): its ITL histogram is its per-token one.
    let itl_per_token = parts
        .iter()
        .any(|p| !p.run.itl_per_token_histogram.is_empty())
        .then(|| {
            merged_histogram(
                Metric::ItlPerToken,
                parts.iter().map(|p| {
                    if p.run.itl_per_token_histogram.is_empty() {
                        &p.run.itl_histogram
                    } else {
                        &p.run.itl_per_token_histogram
                    }
                }),
            )
        });
    let objectives = objectives_of(first)?;
    let derived = Derived::of(
        &samples,
        &itl,
        itl_per_token.as_ref(),
        wall_time_ns,
        &StatsConfig::default(),
        &objectives,
    );
    let load = first.load.as_ref().map(|_| {
        let target_rate = parts
            .iter()
            .map(|p| p.run.load.as_ref().and_then(|l| l.target_rate))
            .sum::<Option<f64>>();
        let peak_in_flight = parts
            .iter()
            .filter_map(|p| p.run.load.as_ref())
            .map(|l| l.peak_in_flight)
            .sum();
        load_of(
            &samples,
            target_rate,
            peak_in_flight,
            None,
            &derived.summary,
        )
    });

    Ok(StoredRun {
        schema: first.schema.clone(),
        schema_version: first.schema_version,
        llm_bench_version: env!("CARGO_PKG_VERSION").into(),
        scenario: first.scenario.clone(),
        endpoint: first.endpoint.clone(),
        settings: merged_settings(parts),
        started_at_unix_ms: start_ms,
        wall_time_ns,
        interrupted: parts.iter().any(|p| p.run.interrupted),
        stopped_by_budget: parts.iter().any(|p| p.run.stopped_by_budget),
        stopped_early: stopped_early(parts),
        cost_usd: derived.cost_usd,
        samples,
        itl_histogram: itl.buckets(),
        itl_per_token_histogram: derived.itl_per_token_histogram,
        summary: derived.summary,
        spans: derived.spans,
        estimates: derived.estimates,
        errors: derived.errors,
        throughput: derived.throughput,
        origin: Some(origin),
        thresholds: Vec::new(),
        stop_reason: stop_reason(parts),
        load,
        slo: derived.slo,
        commit: common_commit(parts),
    })
}

/// The origin of one `llm-bench merge`: an invocation of its own, so the report of a
/// merge shows the merged runs as its runs.
pub fn merge_origin() -> RunOrigin {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    RunOrigin {
        invocation: format!("merge-{now_ms}-{}", std::process::id()),
        bench_target: MERGE_TARGET.into(),
    }
}

/// The bench target merged runs are stored as coming from.
pub(crate) const MERGE_TARGET: &str = "merge";

/// Stores merged runs under `root` as the latest runs of their scenarios (and as baseline
/// `baseline` when given), and records them as the runs of [`MERGE_TARGET`], so later
/// reports show them as "not run this time" rather than leave them out. Returns the files
/// written.
pub fn save_merged(
    root: &std::path::Path,
    origin: &RunOrigin,
    runs: &[StoredRun],
    baseline: Option<&str>,
) -> Result<Vec<std::path::PathBuf>> {
    if let Some(name) = baseline {
        crate::store::check_baseline_name(name)?;
    }
    let ids: Vec<String> = runs.iter().map(|r| r.scenario.id.clone()).collect();
    crate::store::record_target(root, origin, &ids)?;
    let mut written = Vec::new();
    for run in runs {
        // A comparison stored beside the scenario's last run is not about this one.
        crate::store::remove_comparison(root, &run.scenario.id)?;
        written.push(crate::store::save_new(root, run)?);
        if let Some(name) = baseline {
            written.push(crate::store::save_baseline(root, run, name)?);
        }
    }
    Ok(written)
}

/// The first part, once every part is checked to be of the same measurement.
fn check_parts<'a>(parts: &[MachineRun<'a>]) -> Result<&'a StoredRun> {
    let Some(first) = parts.first() else {
        return Err(Error::Config("nothing to merge".into()));
    };
    let mut names = BTreeSet::new();
    for part in parts {
        if !names.insert(part.machine) {
            return Err(Error::Config(format!(
                "two runs of `{}` are named `{}`: give each machine its own name (NAME=PATH)",
                part.run.scenario.id, part.machine
            )));
        }
        if part.run.samples.is_empty() {
            return Err(Error::Config(format!(
                "the run of `{}` from `{}` has no requests",
                part.run.scenario.id, part.machine
            )));
        }
        let differs = |what: &str, a: String, b: String| {
            Error::Config(format!(
                "the runs of `{}` from `{}` and `{}` measured different {what} ({a} and {b}): \
                 only runs of the same measurement merge",
                first.run.scenario.id, first.machine, part.machine
            ))
        };
        let (a, b) = (first.run, part.run);
        if a.scenario.id != b.scenario.id {
            return Err(Error::Config(format!(
                "`{}` holds `{}` and `{}` holds `{}`: only runs of the same scenario merge",
                first.machine, a.scenario.id, part.machine, b.scenario.id
            )));
        }
        if a.schema != b.schema || a.schema_version != b.schema_version {
            return Err(differs(
                "schemas",
                format!("{} {}", a.schema, a.schema_version),
                format!("{} {}", b.schema, b.schema_version),
            ));
        }
        if !same_endpoint(&a.endpoint, &b.endpoint) {
            let show = |e: &crate::store::EndpointInfo| {
                format!(
                    "{} at {}, model {}",
                    e.kind,
                    e.host,
                    e.model.as_deref().unwrap_or("unnamed")
                )
            };
            return Err(differs("endpoints", show(&a.endpoint), show(&b.endpoint)));
        }
        if a.settings.tokenizer != b.settings.tokenizer {
            return Err(differs(
                "token counters",
                a.settings.tokenizer.clone(),
                b.settings.tokenizer.clone(),
            ));
        }
    }
    Ok(first.run)
}

/// The objectives the runs were checked against (the first run's: each machine ran the
/// same scenario).
fn objectives_of(run: &StoredRun) -> Result<Vec<crate::rules::slo::Objective>> {
    let Some(slo) = &run.slo else {
        return Ok(Vec::new());
    };
    let text: Vec<&str> = slo
        .objectives
        .iter()
        .map(|o| o.objective.as_str())
        .collect();
    parse_slos(&text.join(", ")).map_err(|e| {
        Error::Config(format!(
            "the stored objectives of `{}` do not read: {e}",
            run.scenario.id
        ))
    })
}

/// A histogram of `metric` holding every stored bucket of `parts`.
fn merged_histogram<'a>(
    metric: Metric,
    parts: impl Iterator<Item = &'a Vec<(u64, u64)>>,
) -> MetricHistogram {
    let mut merged = MetricHistogram::new(metric);
    for &(raw, count) in parts.flatten() {
        merged.record_raw(raw, count);
    }
    merged
}

/// The combined load: requests and concurrency add up, and so do open-loop rates.
fn merged_settings(parts: &[MachineRun<'_>]) -> RunSettings {
    let runs = || parts.iter().map(|p| &p.run.settings);
    let first = &parts[0].run.settings;
    let open_loop = runs()
        .map(|s| s.open_loop.as_ref())
        .collect::<Option<Vec<&OpenLoopSettings>>>()
        .map(|schedules| OpenLoopSettings {
            rate: schedules.iter().map(|s| s.rate).sum(),
            ..schedules[0].clone()
        });
    RunSettings {
        samples: runs().map(|s| s.samples).fold(0, u32::saturating_add),
        warmup: runs().map(|s| s.warmup).fold(0, u32::saturating_add),
        concurrency: runs().map(|s| s.concurrency).fold(0, u32::saturating_add),
        open_loop,
        timeout_ms: runs()
            .map(|s| s.timeout_ms)
            .max()
            .unwrap_or(first.timeout_ms),
        tokenizer: first.tokenizer.clone(),
    }
}

/// The commit every part measured, when they agree (machines of one merge should run the
/// same build; if they do not, no single commit labels the merged run).
fn common_commit(parts: &[MachineRun<'_>]) -> Option<String> {
    let first = parts.first()?.run.commit.clone();
    parts
        .iter()
        .all(|p| p.run.commit == first)
        .then_some(first)
        .flatten()
}

/// Why a part stopped early, each named with its machine.
fn stopped_early(parts: &[MachineRun<'_>]) -> Option<String> {
    let reasons: Vec<String> = parts
        .iter()
        .filter_map(|p| {
            p.run
                .stopped_early
                .as_ref()
                .map(|r| format!("{}: {r}", p.machine))
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// The parts' common reason to stop; an interruption or a stop on failures in any part
/// wins, as it says the most about the merged run.
fn stop_reason(parts: &[MachineRun<'_>]) -> Option<StopReason> {
    let reasons: Vec<StopReason> = parts.iter().filter_map(|p| p.run.stop_reason).collect();
    [StopReason::Interrupted, StopReason::Failures]
        .into_iter()
        .find(|r| reasons.contains(r))
        .or_else(|| reasons.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_support::{client_samples, stored_run_of};

    fn origin() -> RunOrigin {
        RunOrigin {
            invocation: "merge-1".into(),
            bench_target: "llm-bench merge".into(),
        }
    }

    /// Two machines running at once, each half of the requests, against one run of both
    /// halves: every figure computed from the requests is the same.
    #[test]
    fn a_merge_of_two_halves_equals_one_run_of_both() {
        let all = client_samples(400, 11);
        assert!(
            all.iter().any(|s| s.error.is_some()),
            "the data has failures"
        );
        let mut whole = stored_run_of("merge/s", all.clone());
        let half = |range: std::ops::Range<usize>| {
            let mut samples = all[range].to_vec();
            for (i, s) in samples.iter_mut().enumerate() {
                s.index = i as u32;
            }
            let mut run = stored_run_of("merge/s", samples);
            run.started_at_unix_ms = whole.started_at_unix_ms;
            run
        };
        let (a, b) = (half(0..200), half(200..400));
        let merged = merge_runs(
            &[
                MachineRun {
                    machine: "a",
                    run: &a,
                },
                MachineRun {
                    machine: "b",
                    run: &b,
                },
            ],
            origin(),
        )
        .unwrap();

        let machines: Vec<&str> = merged
            .samples
            .iter()
            .map(|s| s.machine.as_deref().unwrap())
            .collect();
        assert_eq!(machines[..200], ["a"; 200]);
        assert_eq!(machines[200..], ["b"; 200]);
        let mut unnamed = merged.clone();
        unnamed.samples.iter_mut().for_each(|s| s.machine = None);
        assert_eq!(unnamed.samples, whole.samples);
        assert_eq!(merged.itl_histogram, whole.itl_histogram);
        assert_eq!(merged.summary, whole.summary);
        assert_eq!(merged.estimates, whole.estimates);
        assert_eq!(merged.errors, whole.errors);
        assert_eq!(merged.spans, whole.spans);
        assert_eq!(merged.throughput, whole.throughput);
        assert_eq!(merged.cost_usd, whole.cost_usd);
        assert_eq!(merged.wall_time_ns, whole.wall_time_ns);
        assert_eq!(merged.settings.samples, whole.settings.samples);
        assert_eq!(merged.settings.concurrency, 2);
        assert_eq!(merged.load.as_ref().unwrap().peak_in_flight, 2);
        assert_eq!(merged.origin, Some(origin()));

        // The rest of the run is the whole run's, once the settings and load (two
        // machines at concurrency 1, not one) and the origin are set aside.
        whole.settings = merged.settings.clone();
        whole.load = merged.load.clone();
        whole.origin = merged.origin.clone();
        assert_eq!(unnamed, whole);
    }

    #[test]
    fn a_later_machine_is_placed_on_the_same_time_axis() {
        let a = stored_run_of("merge/s", client_samples(20, 1));
        let mut b = a.clone();
        b.started_at_unix_ms = a.started_at_unix_ms + 1_500;
        let merged = merge_runs(
            &[
                MachineRun {
                    machine: "late",
                    run: &b,
                },
                MachineRun {
                    machine: "early",
                    run: &a,
                },
            ],
            origin(),
        )
        .unwrap();
        assert_eq!(merged.started_at_unix_ms, a.started_at_unix_ms);
        assert_eq!(
            merged.samples[0].started_at_ns,
            b.samples[0].started_at_ns + 1_500_000_000
        );
        assert_eq!(merged.samples[20].started_at_ns, a.samples[0].started_at_ns);
        assert_eq!(merged.wall_time_ns, b.wall_time_ns + 1_500_000_000);
        let indices: Vec<u32> = merged.samples.iter().map(|s| s.index).collect();
        assert_eq!(indices, (0..40).collect::<Vec<u32>>());
    }

    #[test]
    fn runs_of_different_measurements_are_refused_with_both_machines_named() {
        let a = stored_run_of("merge/s", client_samples(10, 1));
        let part = |machine, run| MachineRun { machine, run };
        let mut other_model = a.clone();
        other_model.endpoint.model = Some("other".into());
        let err = merge_runs(&[part("m1", &a), part("m2", &other_model)], origin())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`merge/s` from `m1` and `m2` measured different endpoints")
                && err.contains("model other"),
            "{err}"
        );

        let other_scenario = stored_run_of("merge/t", client_samples(10, 1));
        let err = merge_runs(&[part("m1", &a), part("m2", &other_scenario)], origin())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`m2` holds `merge/t`"), "{err}");

        let err = merge_runs(&[part("m1", &a), part("m1", &a)], origin())
            .unwrap_err()
            .to_string();
        assert!(err.contains("are named `m1`"), "{err}");

        let mut tokenizer = a.clone();
        tokenizer.settings.tokenizer = "o200k_base".into();
        let err = merge_runs(&[part("m1", &a), part("m2", &tokenizer)], origin())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("different token counters (estimate and o200k_base)"),
            "{err}"
        );
    }
}
