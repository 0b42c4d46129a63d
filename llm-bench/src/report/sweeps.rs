//! Swept and searched scenarios in the reports: which stored sweeps a report shows, and the
//! sentences the Markdown summary and the HTML page share.
//!
//! A sweep is stored beside its steps: `<root>/<id>/new/sweep.json`, each step's run as
//! scenario `<id>/rate-20` (see [`crate::store::StoredSweep`]). A report shows the sweeps
//! whose steps are among its runs: read from the store root at the scenario id each run's
//! id names as its parent, so no other directory is searched and a sweep whose steps were
//! not selected (a deleted scenario) never appears.

use std::collections::BTreeSet;
use std::path::Path;

use super::{ReportSet, Result};
use crate::format::format_num;
use crate::store::{load_sweep, StoredSweep, SweepStep};

/// A sweep as one report shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportSweep {
    /// The stored sweep.
    pub sweep: StoredSweep,
    /// True when none of its steps ran this time (an older result, listed apart).
    pub not_run: bool,
}

/// The sweeps of `report`'s runs stored under `root`, sorted by scenario id: those with a
/// step run this time first, then those only among the runs not run this time.
pub(crate) fn report_sweeps(root: &Path, report: &ReportSet<'_>) -> Result<Vec<ReportSweep>> {
    let this_run: BTreeSet<&str> = report
        .this_run
        .iter()
        .map(|i| i.run.scenario.id.as_str())
        .collect();
    let not_run: BTreeSet<&str> = report
        .not_run
        .iter()
        .map(|i| i.run.scenario.id.as_str())
        .collect();
    let parents: BTreeSet<&str> = this_run
        .iter()
        .chain(&not_run)
        .filter_map(|id| id.rsplit_once('/').map(|(parent, _)| parent))
        .collect();
    let mut out = Vec::new();
    for parent in parents {
        let Some(sweep) = load_sweep(root, parent)? else {
            continue;
        };
        let has = |ids: &BTreeSet<&str>| sweep.steps.iter().any(|s| ids.contains(s.id.as_str()));
        if has(&this_run) {
            out.push(ReportSweep {
                sweep,
                not_run: false,
            });
        } else if has(&not_run) {
            out.push(ReportSweep {
                sweep,
                not_run: true,
            });
        }
    }
    out.sort_by(|a, b| (a.not_run, &a.sweep.scenario).cmp(&(b.not_run, &b.sweep.scenario)));
    Ok(out)
}

/// The store root a report directory belongs to: the harness writes the report into
/// `<root>/report`.
pub(crate) fn store_root_of(report_dir: &Path) -> Option<&Path> {
    report_dir.parent()
}

/// `rate sweep of chat`, `concurrency search of chat`.
pub(crate) fn title(sweep: &StoredSweep) -> String {
    format!("{} {} of {}", sweep.dimension, sweep.kind, sweep.scenario)
}

/// True for a search (bisection for the highest load meeting the objectives).
pub(crate) fn is_search(sweep: &StoredSweep) -> bool {
    sweep.kind == "search"
}

/// A search's answer: `highest rate meeting p99 ttft <= 500ms: 96.9`, or `no rate probed
/// meets …`; `None` for a sweep.
pub(crate) fn search_answer(sweep: &StoredSweep) -> Option<String> {
    if !is_search(sweep) {
        return None;
    }
    let objectives = if sweep.objectives.is_empty() {
        "the objectives".to_string()
    } else {
        sweep.objectives.join(", ")
    };
    Some(match sweep.best {
        Some(best) => format!(
            "highest {} meeting {objectives}: {}",
            sweep.dimension,
            format_num(best)
        ),
        None => format!("no {} probed meets {objectives}", sweep.dimension),
    })
}

/// The knee in words: `knee at rate 100: the last step whose throughput kept up with the
/// load`, or that no step kept up; `None` for a search.
pub(crate) fn knee_text(sweep: &StoredSweep) -> Option<String> {
    if is_search(sweep) {
        return None;
    }
    Some(match sweep.knee {
        Some(knee) => format!(
            "knee at {} {}: the last step whose throughput kept up with the load",
            sweep.dimension,
            format_num(knee)
        ),
        None => "no knee: not even the first step kept up with the load".to_string(),
    })
}

/// True when `step` is the sweep's knee.
pub(crate) fn is_knee(sweep: &StoredSweep, step: &SweepStep) -> bool {
    !is_search(sweep) && sweep.knee == Some(step.value)
}

/// True when the sweep has objectives (so its steps have goodput and an SLO outcome).
pub(crate) fn has_objectives(sweep: &StoredSweep) -> bool {
    !sweep.objectives.is_empty() || sweep.steps.iter().any(|s| s.slo_met.is_some())
}
