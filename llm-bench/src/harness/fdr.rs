//! The false-discovery control over a whole run: a pull request gates several metrics of
//! many scenarios, and at a 1% significance level 40 comparisons of unchanged code flag one
//! in three runs by chance. After every scenario ran, the p-values of all gated comparisons
//! of this run (paired and unpaired alike) are adjusted together by Benjamini-Hochberg
//! ([`crate::stats::benjamini_hochberg`]), each gated verdict is decided again on its
//! adjusted p-value, and the stored comparisons are rewritten before the report is drawn.
//! `--no-fdr` judges raw p-values instead.

use crate::harness::settings::Settings;
use crate::harness::Status;
use crate::metrics::Metric;
use crate::stats::{self, Direction, Verdict};
use crate::store::{self, StoredComparison};

/// One gated comparison of the run.
struct Gated {
    /// Index into the loaded comparisons.
    at: usize,
    metric: Metric,
    p: f64,
}

/// Adjusts every gated comparison of the scenarios `status.compared` names, stores them
/// again, and sets `status.regressed` from the adjusted verdicts; prints what changed.
pub(crate) fn control_false_discoveries(settings: &Settings, status: &mut Status) {
    let mut loaded: Vec<StoredComparison> = Vec::new();
    for id in &status.compared {
        match store::load_comparison(&settings.root, id) {
            Ok(Some(c)) => loaded.push(c),
            Ok(None) => {}
            Err(e) => {
                eprintln!("error: the false-discovery control cannot read a comparison: {e}");
                status.failed = true;
            }
        }
    }
    let gated: Vec<Gated> = loaded
        .iter()
        .enumerate()
        .flat_map(|(at, c)| {
            c.gated.iter().filter_map(move |&metric| {
                let m = c.metrics.get(&metric)?;
                // An inconclusive comparison tested nothing: it is not one of the m.
                (!matches!(m.verdict, Verdict::Inconclusive(_))).then_some(Gated {
                    at,
                    metric,
                    p: m.p_value,
                })
            })
        })
        .collect();
    if gated.is_empty() {
        return;
    }
    let adjusted = stats::benjamini_hochberg(&gated.iter().map(|g| g.p).collect::<Vec<_>>());
    let mut changed = Vec::new();
    for (g, &q) in gated.iter().zip(&adjusted) {
        let c = &mut loaded[g.at];
        let Some(before) = c.metrics.get(&g.metric).copied() else {
            continue;
        };
        let after = stats::rejudge(&before, q, Direction::of(g.metric), &settings.stats);
        if after.verdict != before.verdict {
            changed.push(format!(
                "`{}` {}: {} → {} (p {}, adjusted {})",
                c.scenario,
                g.metric.label(),
                before.verdict,
                after.verdict,
                crate::format::format_p(before.p_value),
                crate::format::format_p(q),
            ));
        }
        c.metrics.insert(g.metric, after);
    }
    let mut regressed = false;
    for c in &mut loaded {
        c.regressed = c
            .gated
            .iter()
            .any(|m| c.metrics.get(m).is_some_and(|x| x.verdict.is_regression()));
        regressed |= c.regressed;
        for row in status.summary.iter_mut().filter(|r| r.id == c.scenario) {
            row.rejudge(c);
        }
        if let Err(e) = store::save_comparison(&settings.root, c) {
            eprintln!("error: {e}");
            status.failed = true;
        }
    }
    status.regressed = regressed;
    if gated.len() > 1 {
        let n = gated.len();
        if changed.is_empty() {
            println!(
                "llm-bench: false discovery rate controlled over {n} gated comparisons (Benjamini-Hochberg; --no-fdr judges raw p-values): no verdict changed"
            );
        } else {
            println!(
                "llm-bench: false discovery rate controlled over {n} gated comparisons (Benjamini-Hochberg; --no-fdr judges raw p-values); these verdicts changed:"
            );
            for line in changed {
                println!("  {line}");
            }
        }
    }
}
