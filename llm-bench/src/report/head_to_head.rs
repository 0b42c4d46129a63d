//! Scenarios measured head to head (`cargo bench -- --interleave`) in the reports: which
//! stored records a report shows, and the words the Markdown summary and the HTML index
//! share.
//!
//! A record is stored beside its reference (first) scenario's run,
//! `<root>/<reference id>/new/head_to_head.json` (see [`crate::store::StoredHeadToHead`]);
//! each scenario's own run is stored as usual. A report reads the record of each run of
//! this time from the store root, and shows it only when it was written by the invocation
//! that stored that reference run (an earlier invocation's record left beside a newer run
//! never shows) and every scenario it names is among the runs of this time. A damaged
//! record is left out, and named.
//!
//! Each other scenario's comparison with the reference is a paired comparison like one
//! with a baseline build: its change is that scenario's against the reference's, and its
//! verdict reads as slower or faster (lower or higher, for a metric where higher is better)
//! than the reference.

use std::collections::BTreeMap;
use std::path::Path;

use super::{ChangeStatus, MetricChange, ReportComparison, ReportSet};
use crate::format::{format_ms, format_num, format_percent};
use crate::metrics::Metric;
use crate::stats::Direction;
use crate::store::{
    load_head_to_head, scenario_dir, StoredHeadToHead, StoredRun, HEAD_TO_HEAD_FILE,
    HEAD_TO_HEAD_SCHEMA, NEW_DIR,
};

/// The head-to-head records one report shows, and those it could not read.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadToHeads {
    /// The records shown, sorted by reference id.
    pub shown: Vec<ReportHeadToHead>,
    /// Why each record that could not be read is left out, naming its file.
    pub left_out: Vec<String>,
}

/// A head-to-head record as a report shows it: one row per compared metric, one cell per
/// scenario compared with the reference.
#[derive(Debug, Clone)]
pub(crate) struct ReportHeadToHead {
    /// The stored record (its scenarios, the reference first; order; rounds).
    pub record: StoredHeadToHead,
    /// The scenarios compared with the reference, in the record's order.
    pub contenders: Vec<Contender>,
    /// One row per metric some comparison has, in [`Metric::ALL`] order.
    pub rows: Vec<HeadToHeadRow>,
}

impl ReportHeadToHead {
    /// The reference scenario's id.
    pub fn reference(&self) -> &str {
        self.record.reference()
    }
}

/// A scenario compared with the reference.
#[derive(Debug, Clone)]
pub(crate) struct Contender {
    /// Its scenario id.
    pub id: String,
    /// Its paired comparison with the reference, per metric (none when the record has no
    /// comparison for it).
    pub comparison: Option<ReportComparison>,
}

/// One metric of a head-to-head table.
#[derive(Debug, Clone)]
pub(crate) struct HeadToHeadRow {
    /// The metric.
    pub metric: Metric,
    /// The reference run's p50 of it, when the run has one.
    pub reference: Option<f64>,
    /// One cell per [`ReportHeadToHead::contenders`], in the same order.
    pub cells: Vec<HeadToHeadCell>,
}

/// One scenario's figures on one metric of a head-to-head table.
#[derive(Debug, Clone)]
pub(crate) struct HeadToHeadCell {
    /// Its run's p50, when the run has one.
    pub median: Option<f64>,
    /// Its paired change against the reference, when compared on this metric.
    pub change: Option<MetricChange>,
}

/// The head-to-head records of `report`'s runs of this time stored under `root`, sorted by
/// reference id: a run's record (`<root>/<id>/new/head_to_head.json`) is shown when the run
/// is its reference, it has the run's origin (the same invocation stored both; a record
/// without an origin cannot be matched to one and is not shown), it names at least two
/// scenarios and all of them ran this time. A record that cannot be read, or is not a
/// head-to-head record of its run (another schema, another reference), does not stop the
/// report: it is left out, and [`HeadToHeads::left_out`] names its file.
pub(crate) fn report_head_to_heads(root: &Path, report: &ReportSet<'_>) -> HeadToHeads {
    let runs: BTreeMap<&str, &StoredRun> = report
        .this_run
        .iter()
        .map(|i| (i.run.scenario.id.as_str(), i.run))
        .collect();
    let mut out = HeadToHeads::default();
    for (&id, &run) in &runs {
        let record = match load_head_to_head(root, id) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(e) => {
                out.left_out.push(e.to_string());
                continue;
            }
        };
        if let Some(why) = misplaced(&record, id) {
            let path = scenario_dir(root, id).join(NEW_DIR).join(HEAD_TO_HEAD_FILE);
            out.left_out.push(format!("{} {why}", path.display()));
            continue;
        }
        let shown = record.origin.is_some()
            && record.origin == run.origin
            && record.scenarios.len() >= 2
            && record
                .scenarios
                .iter()
                .all(|s| runs.contains_key(s.as_str()));
        if shown {
            out.shown.push(view(record, &runs));
        }
    }
    out
}

/// Why `record`, read from beside scenario `id`'s run, is not a head-to-head record of that
/// run, or `None` when it is.
fn misplaced(record: &StoredHeadToHead, id: &str) -> Option<String> {
    if record.schema != HEAD_TO_HEAD_SCHEMA {
        return Some(format!(
            "is not a head-to-head record: its schema is `{}`, not `{HEAD_TO_HEAD_SCHEMA}`",
            record.schema
        ));
    }
    if record.reference() != id {
        return Some(format!(
            "names `{}` as its reference, not `{id}` beside whose run it is stored",
            record.reference()
        ));
    }
    None
}

/// The view of a record whose scenarios are all in `runs`.
fn view(record: StoredHeadToHead, runs: &BTreeMap<&str, &StoredRun>) -> ReportHeadToHead {
    let reference = record.reference().to_string();
    let contenders: Vec<Contender> = record.scenarios[1..]
        .iter()
        .map(|id| Contender {
            id: id.clone(),
            comparison: record
                .comparisons
                .iter()
                .find(|c| &c.scenario == id && c.baseline == reference)
                // Not a gate: no metric of a head-to-head is gated.
                .map(|c| {
                    ReportComparison::from_parts(
                        &c.baseline,
                        c.metrics.iter().map(|(m, x)| (*m, x)),
                        &[],
                        false,
                    )
                }),
        })
        .collect();
    let p50 = |id: &str, metric: Metric| {
        runs.get(id)
            .and_then(|r| r.summary.get(&metric))
            .map(|s| s.p50)
    };
    let rows = Metric::ALL
        .into_iter()
        .filter(|&m| {
            contenders
                .iter()
                .filter_map(|c| c.comparison.as_ref())
                .any(|c| c.metrics.iter().any(|x| x.metric == m))
        })
        .map(|metric| HeadToHeadRow {
            metric,
            reference: p50(&reference, metric),
            cells: contenders
                .iter()
                .map(|c| HeadToHeadCell {
                    median: p50(&c.id, metric),
                    change: c
                        .comparison
                        .as_ref()
                        .and_then(|x| x.metrics.iter().find(|m| m.metric == metric))
                        .cloned(),
                })
                .collect(),
        })
        .collect();
    ReportHeadToHead {
        record,
        contenders,
        rows,
    }
}

/// `20 rounds`, `1 round`.
pub(crate) fn rounds_text(rounds: u32) -> String {
    let s = if rounds == 1 { "" } else { "s" };
    format!("{rounds} round{s}")
}

/// How a round's requests were sent, in words: `one after the other in a seeded random
/// order` (`alternate`), `started together` (`simultaneous`), else `order <name>`.
pub(crate) fn order_text(order: &str) -> String {
    match order {
        "alternate" => "one after the other in a seeded random order".into(),
        "simultaneous" => "started together".into(),
        other => format!("order {other}"),
    }
}

/// A value of `metric` as the report tables print it (`105 ms`, `191`), `–` when absent.
pub(crate) fn value_text(metric: Metric, value: Option<f64>) -> String {
    match value {
        Some(v) if metric.is_duration() => format_ms(v),
        Some(v) => format_num(v),
        None => "–".into(),
    }
}

/// A change and its interval: `+12.0% [+9.0%, +15.0%]`, or `+12.0%` without an interval.
pub(crate) fn change_with_interval(m: &MetricChange) -> String {
    match m.median_change_interval {
        Some((lo, hi)) => format!(
            "{} [{}, {}]",
            format_percent(m.median_change),
            format_percent(lo),
            format_percent(hi)
        ),
        None => format_percent(m.median_change),
    }
}

/// A verdict read against the reference, by the metric's [`Direction`]: a regression is
/// `slower` (a latency) or `lower` (a metric where higher is better), an improvement
/// `faster` or `higher`; otherwise the verdict's own words (`no change`, or `inconclusive:
/// <why>`).
pub(crate) fn standing_text(m: &MetricChange) -> String {
    let lower_is_better = Direction::of(m.metric) == Direction::LowerIsBetter;
    match (m.status, lower_is_better) {
        (ChangeStatus::Regressed, true) => "slower".into(),
        (ChangeStatus::Improved, true) => "faster".into(),
        (ChangeStatus::Regressed, false) => "lower".into(),
        (ChangeStatus::Improved, false) => "higher".into(),
        (ChangeStatus::Inconclusive, _) => m.verdict.clone(),
        (status, _) => status.as_str().into(),
    }
}

/// What a contender's comparison rests on, one item per metric measured in pairs: `TTFT
/// 100 pairs, <name> slower in 63.0% of them` ([`super::pairs_text`]), `name` being how
/// the contender is written; empty when no metric was measured in pairs.
pub(crate) fn pairings(contender: &Contender, name: &str) -> Vec<String> {
    contender
        .comparison
        .iter()
        .flat_map(|c| &c.metrics)
        .filter_map(|m| {
            let p = m.paired.as_ref()?;
            Some(format!(
                "{} {}",
                m.metric.label(),
                super::pairs_text(m.metric, p, name)
            ))
        })
        .collect()
}
