//! After a bench run: the HTML report, the Markdown summary and the exports, all read from
//! the store (so every scenario stored there is shown, whichever bench binary ran it).

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::export::{self, Exporter};
use crate::report::{self, ReportComparison, ReportInput, ReportOptions};
use crate::store::{self, StoredRun};

/// Directory of the report, under the store's root.
pub(crate) const REPORT_DIR: &str = "report";

/// What was written.
pub(crate) struct Written {
    pub index: PathBuf,
    pub summary: PathBuf,
    pub exports: Vec<PathBuf>,
}

/// Writes `<root>/report/index.html` (+ a page per scenario), `<root>/report/summary.md`
/// and the requested exports; appends the summary of `this_run` (the scenarios this binary
/// ran) to `$GITHUB_STEP_SUMMARY` when that is set.
pub(crate) fn write_all(
    root: &Path,
    plots: bool,
    exporters: &[Box<dyn Exporter>],
    origin: &crate::store::RunOrigin,
) -> Result<Written> {
    let runs = store::latest_runs(root)?;
    // Owned comparisons and baselines first; the inputs borrow them.
    let mut extras: Vec<(Option<ReportComparison>, Option<StoredRun>)> = Vec::new();
    for run in &runs {
        let comparison = store::load_comparison(root, &run.scenario.id)?;
        let baseline = match &comparison {
            Some(c) => store::load_baseline(root, &run.scenario.id, &c.baseline)?,
            None => None,
        };
        let view = comparison.map(|c| {
            ReportComparison::from_parts(
                &c.baseline,
                c.metrics.iter().map(|(m, x)| (*m, x)),
                &c.gated,
                c.regressed,
            )
        });
        extras.push((view, baseline));
    }
    let inputs: Vec<ReportInput<'_>> = runs
        .iter()
        .zip(&extras)
        .map(|(run, (comparison, baseline))| ReportInput {
            run,
            baseline: baseline.as_ref(),
            comparison: comparison.as_ref(),
        })
        .collect();
    let dir = root.join(REPORT_DIR);
    let files = report::write_html(&dir, &inputs, &ReportOptions::detect(plots))?;
    let summary = dir.join(report::SUMMARY_FILE);
    report::write_markdown(&summary, &inputs)?;
    let ours: Vec<ReportInput<'_>> = inputs
        .iter()
        .copied()
        .filter(|i| i.run.origin.as_ref() == Some(origin))
        .collect();
    if !ours.is_empty() {
        report::append_github_step_summary(
            report::github_step_summary_path().as_deref(),
            &report::render_markdown(&ours),
        )?;
    }
    let exports = export::write_exports(&dir, exporters, &inputs)?;
    Ok(Written {
        index: files.index,
        summary,
        exports,
    })
}
