//! Reports: the HTML report a reviewer opens, the Markdown summary a PR gets, and the charts
//! both are drawn from.
//!
//! Reports read stored runs only ([`crate::store::StoredRun`], plus an optional baseline run
//! and an optional comparison per scenario); they never run anything. The entry points:
//!
//! - [`write_html`]: `index.html` (every scenario with its verdict and headline figures) and
//!   one page per scenario, self-contained (inline CSS and SVG, no script, nothing fetched
//!   from any URL), so it opens offline and as a CI artifact.
//! - [`write_markdown`] / [`render_markdown`]: `summary.md`, one table row per scenario,
//!   sized for a PR comment; [`append_github_step_summary`] appends it to
//!   `$GITHUB_STEP_SUMMARY`.
//! - [`charts`]: the SVG charts (plotters, SVG backend, no font backend needed).
//!
//! A run's load (open loop, schedule lag, client-bound), its objectives and goodput appear on
//! its page and in the summary where it recorded them (the sentences are in `load`); a swept
//! or searched scenario gets a page with its latency–throughput charts (`load_charts`) and a
//! table in the summary, read from `<root>/<id>/new/sweep.json` beside the report directory
//! (`sweeps`, `sweep_page`). Scenarios measured head to head (`--interleave`) get a
//! side-by-side table in the summary and on the index, read from
//! `<root>/<reference id>/new/head_to_head.json` (`head_to_head`).
//!
//! A report is a [`ReportSet`]: the scenarios of this run, which the headline counts and the
//! main tables list, and older results of scenarios not run this time, listed apart and
//! never counted (which stored runs go where is the store's rule, see [`crate::store`]).
//! Both the index and the summary take each scenario's verdict from [`scenario_verdict`]
//! and their headline from the same counts.
//!
//! Templates are the tera files of the workspace's top-level `templates/` folder, embedded
//! at build time (autoescape on: scenario names, model names and error messages are
//! escaped).

#[cfg(feature = "html-report")]
pub mod charts;
mod cleanup;
pub(crate) mod connections;
mod head_to_head;
#[cfg(feature = "html-report")]
mod html;
mod load;
#[cfg(feature = "html-report")]
mod load_charts;
mod markdown;
#[cfg(feature = "html-report")]
mod sweep_page;
mod sweeps;
#[cfg(test)]
pub(crate) mod tests;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::metrics::Metric;
use crate::stats::{Comparison, Pairing, Verdict};
use crate::store::{StoredRun, ThresholdOutcome};

use crate::format::{format_share, format_unix_ms};
#[cfg(not(feature = "html-report"))]
pub(crate) use cleanup::remove_all_pages;
#[cfg(feature = "html-report")]
pub(crate) use cleanup::remove_stale_pages;
pub(crate) use head_to_head::report_head_to_heads;
#[cfg(feature = "html-report")]
pub use html::write_html;
pub use markdown::{
    append_github_step_summary, github_step_summary_path, render_markdown, write_markdown,
    SUMMARY_FILE,
};
pub(crate) use sweeps::store_root_of;

/// The Markdown of `report` with the sweeps and the head-to-head records of its runs found
/// under the store `root` (the `$GITHUB_STEP_SUMMARY` section of one bench target).
pub(crate) fn render_markdown_in(
    root: &std::path::Path,
    report: &ReportSet<'_>,
) -> crate::error::Result<String> {
    let sweeps = sweeps::report_sweeps(root, report)?;
    let head_to_heads = head_to_head::report_head_to_heads(root, report);
    Ok(markdown::render_with_records(
        report,
        &sweeps,
        &head_to_heads,
    ))
}

#[cfg(feature = "html-report")]
/// The exact metric definitions printed in every report (README "Metrics").
pub const METRIC_DEFINITIONS: &[(&str, &str)] = &[
    ("TTFB", "start → response headers (built-in client only)."),
    (
        "TTFT",
        "start → the first event that carries output of any kind (text, reasoning, tool-call \
         arguments, refusal). A role-only chunk, a keep-alive comment, a usage-only chunk or \
         Azure's filter-only first chunk is not output.",
    ),
    (
        "TTFO",
        "start → the first answer text (after any reasoning); equals TTFT for plain models.",
    ),
    (
        "ITL",
        "the gaps between consecutive output events, per chunk; the distribution covers every \
         gap of every successful request.",
    ),
    (
        "ITL/token",
        "the same gaps per token, where an event carries several tokens: a gap that ends \
         with an event of k tokens counts as k gaps of gap / k. Shown only where some event \
         carried more than one token. An event's tokens are one each when the API's usage \
         equals the number of events, else counted from its text.",
    ),
    (
        "TPOT",
        "(E2E − TTFT) / (output_tokens − 1), for requests with more than one output token.",
    ),
    (
        "E2E",
        "start → end of the stream (the [DONE] terminator, or a clean close).",
    ),
    (
        "Output tokens",
        "the API's usage (completion_tokens) when reported; otherwise counted from the \
         streamed text (an estimate, or exact for OpenAI models with the tiktoken feature), \
         and marked as counted. Where both exist, both are shown with the difference.",
    ),
    (
        "tokens/s",
        "output tokens / E2E, per request; the run line also gives output tokens and \
         successful requests per second of wall time.",
    ),
    (
        "Spans",
        "the time of each named part of an invocation timed with ctx.span (for example \
         retrieval in a RAG pipeline): each request's total per span name.",
    ),
    (
        "Errors",
        "by class (connect, timeout per phase, HTTP status, mid-stream, malformed stream, \
         configuration, scenario), never mixed into latency figures.",
    ),
];

#[cfg(feature = "html-report")]
/// Where the clock starts (README "Metrics"), printed above the definitions.
pub const CLOCK_DEFINITION: &str = "All times come from one monotonic clock, taken when bytes \
     reach the client, before any parsing: an event's time is the arrival of the read that \
     completes it. The request clock starts just before the request is written (ctx.stream) or \
     when the invocation starts (ctx.track).";

/// One scenario to report: its stored run, and optionally the baseline run and the
/// comparison with it.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The run being reported (`<scenario>/new/run.json`).
    pub run: &'a StoredRun,
    /// The baseline run it was compared with (`<scenario>/<baseline>/run.json`), if any;
    /// its distributions are overlaid on the charts.
    pub baseline: Option<&'a StoredRun>,
    /// The comparison with the baseline (`<scenario>/change/comparison.json`), if any.
    pub comparison: Option<&'a ReportComparison>,
}

impl<'a> ReportInput<'a> {
    /// A scenario with no baseline.
    #[cfg(test)]
    pub fn new(run: &'a StoredRun) -> Self {
        ReportInput {
            run,
            baseline: None,
            comparison: None,
        }
    }
}

/// What one report shows: the scenarios of this run, and older results shown apart.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportSet<'a> {
    /// The scenarios this run measured: the headline counts them, the main table lists
    /// them.
    pub this_run: &'a [ReportInput<'a>],
    /// Scenarios that still exist but were not run this time, with their latest (older)
    /// results: listed apart with the date they ran, never counted in the headline.
    pub not_run: &'a [ReportInput<'a>],
    /// The bench target the report is limited to, named in the Markdown heading (one
    /// binary's section of `$GITHUB_STEP_SUMMARY`); `None` for a whole run.
    pub bench_target: Option<&'a str>,
}

impl<'a> ReportSet<'a> {
    /// A report of `this_run` only: nothing shown apart, no bench target named.
    #[cfg(test)]
    pub fn new(this_run: &'a [ReportInput<'a>]) -> Self {
        ReportSet {
            this_run,
            ..ReportSet::default()
        }
    }
}

/// Options of a report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportOptions {
    /// Draw charts (`false` is `--noplot`).
    pub plots: bool,
    /// Git commit of the user's repository, when known (see [`ReportOptions::detect`]).
    pub git_commit: Option<String>,
    /// When the report was generated, as printed on every page.
    pub generated_at: String,
}

impl ReportOptions {
    /// Options for a report generated now: the current time (UTC) and the commit of the git
    /// repository in the current directory (`git rev-parse HEAD`; `None` when that fails).
    pub fn detect(plots: bool) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        ReportOptions {
            plots,
            git_commit: git_head(),
            generated_at: format_unix_ms(now_ms),
        }
    }
}

/// `git rev-parse HEAD` in the current directory, or `None`.
pub(crate) fn git_head() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let head = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!head.is_empty() && head.chars().all(|c| c.is_ascii_hexdigit())).then_some(head)
}

/// The files a report wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportFiles {
    /// `<dir>/index.html`.
    pub index: PathBuf,
    /// One page per scenario, in input order.
    pub pages: Vec<PathBuf>,
    /// One page per swept or searched scenario whose steps are in the report
    /// (`<dir>/sweep-<id>/index.html`), sorted by scenario id.
    pub sweep_pages: Vec<PathBuf>,
    /// Every chart, also written as a standalone `.svg` file beside its page.
    pub charts: Vec<PathBuf>,
}

/// Outcome of a comparison, for colouring and counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Significantly better, beyond the noise threshold.
    Improved,
    /// Significantly worse, beyond the noise threshold.
    Regressed,
    /// Within noise.
    NoChange,
    /// The data cannot support a verdict.
    Inconclusive,
}

impl ChangeStatus {
    /// The status of a [`Verdict`].
    pub fn of(verdict: &Verdict) -> Self {
        match verdict {
            Verdict::Improved => ChangeStatus::Improved,
            Verdict::Regressed => ChangeStatus::Regressed,
            Verdict::NoChange => ChangeStatus::NoChange,
            Verdict::Inconclusive(_) => ChangeStatus::Inconclusive,
        }
    }

    /// Short text: `improved`, `regressed`, `no change`, `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Improved => "improved",
            ChangeStatus::Regressed => "regressed",
            ChangeStatus::NoChange => "no change",
            ChangeStatus::Inconclusive => "inconclusive",
        }
    }

    #[cfg(feature = "html-report")]
    /// CSS class of the status in the HTML report.
    pub fn css_class(self) -> &'static str {
        match self {
            ChangeStatus::Improved => "improved",
            ChangeStatus::Regressed => "regressed",
            ChangeStatus::NoChange => "nochange",
            ChangeStatus::Inconclusive => "inconclusive",
        }
    }
}

/// The change of one metric against the baseline, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// The metric.
    pub metric: Metric,
    /// Relative change of the median, `new/base − 1` (+0.10 is 10% larger).
    pub median_change: f64,
    /// Confidence interval of [`MetricChange::median_change`], when one was computed.
    pub median_change_interval: Option<(f64, f64)>,
    /// Two-sided p-value of the rank test (a Wilcoxon signed-rank test's when
    /// [`MetricChange::paired`] is set).
    pub p_value: f64,
    /// The p-value adjusted for the false discovery rate (Benjamini-Hochberg over every
    /// gated comparison of the run), when the run computed one: the verdict of a gated
    /// metric was then decided on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_adjusted: Option<f64>,
    /// How the pairs were measured, when the two builds were measured in pairs
    /// (`--compare-with`): the change is then the median of per-pair ratios.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<Pairing>,
    /// The verdict's class.
    pub status: ChangeStatus,
    /// The verdict as text (with the reason when inconclusive).
    pub verdict: String,
    /// True when this metric's regression fails the build.
    pub gated: bool,
}

impl MetricChange {
    /// The view of a [`Comparison`] of `metric`.
    pub fn from_comparison(metric: Metric, comparison: &Comparison, gated: bool) -> Self {
        MetricChange {
            metric,
            median_change: comparison.median_change.point,
            median_change_interval: comparison
                .median_change
                .interval
                .map(|i| (i.lower, i.upper)),
            p_value: comparison.p_value,
            p_adjusted: comparison.p_adjusted,
            paired: comparison.paired,
            status: ChangeStatus::of(&comparison.verdict),
            verdict: comparison.verdict.to_string(),
            gated,
        }
    }
}

/// A scenario's comparison with a baseline, as the report shows it (a view the caller builds
/// from the stored comparison; see [`ReportComparison::from_parts`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportComparison {
    /// Name of the baseline.
    pub baseline: String,
    /// One entry per compared metric, in display order.
    pub metrics: Vec<MetricChange>,
    /// True when a gated metric regressed.
    pub regressed: bool,
}

impl ReportComparison {
    /// Builds the view from per-metric comparisons, the gated metrics and the stored
    /// `regressed` flag. Metrics are put in [`Metric::ALL`] order.
    pub fn from_parts<'c>(
        baseline: &str,
        metrics: impl IntoIterator<Item = (Metric, &'c Comparison)>,
        gated: &[Metric],
        regressed: bool,
    ) -> Self {
        let mut metrics: Vec<MetricChange> = metrics
            .into_iter()
            .map(|(m, c)| MetricChange::from_comparison(m, c, gated.contains(&m)))
            .collect();
        metrics.sort_by_key(|m| Metric::ALL.iter().position(|x| *x == m.metric));
        ReportComparison {
            baseline: baseline.to_string(),
            metrics,
            regressed,
        }
    }

    /// The metrics that decide the scenario's verdict: the gated ones, or every compared
    /// metric when none is gated.
    pub fn deciding(&self) -> impl Iterator<Item = &MetricChange> {
        let any_gated = self.metrics.iter().any(|m| m.gated);
        self.metrics.iter().filter(move |m| m.gated || !any_gated)
    }

    /// True when some metric was measured in pairs (`--compare-with`).
    pub fn is_paired(&self) -> bool {
        self.metrics.iter().any(|m| m.paired.is_some())
    }

    /// The scenario's verdict: regressed if the stored flag says so or a deciding metric
    /// regressed; else inconclusive if one is inconclusive (or none was compared); else
    /// improved if one improved; else no change.
    pub fn overall(&self) -> ChangeStatus {
        let statuses: Vec<ChangeStatus> = self.deciding().map(|m| m.status).collect();
        if self.regressed || statuses.contains(&ChangeStatus::Regressed) {
            ChangeStatus::Regressed
        } else if statuses.is_empty() || statuses.contains(&ChangeStatus::Inconclusive) {
            ChangeStatus::Inconclusive
        } else if statuses.contains(&ChangeStatus::Improved) {
            ChangeStatus::Improved
        } else {
            ChangeStatus::NoChange
        }
    }
}

/// What a paired comparison of `metric` rests on, in words: `100 pairs, the new build slower
/// in 63.0% of them` (`higher` for a metric that is not a duration).
pub(crate) fn pairing_text(metric: Metric, pairing: &Pairing) -> String {
    pairs_text(metric, pairing, "the new build")
}

/// [`pairing_text`] with the new side named `new` (a head-to-head's contender): `100
/// pairs, <new> slower in 63.0% of them`.
pub(crate) fn pairs_text(metric: Metric, pairing: &Pairing, new: &str) -> String {
    let s = if pairing.pairs == 1 { "" } else { "s" };
    let larger = if metric.is_duration() {
        "slower"
    } else {
        "higher"
    };
    format!(
        "{} pair{s}, {new} {larger} in {} of them",
        pairing.pairs,
        format_share(pairing.share_new_larger)
    )
}

/// How many comparisons of `inputs` carry an FDR-adjusted p-value: the gated comparisons
/// the run's Benjamini-Hochberg pass adjusted, as the reports count them.
pub(crate) fn adjusted_count(inputs: &[ReportInput<'_>]) -> usize {
    inputs
        .iter()
        .filter_map(|i| i.comparison)
        .flat_map(|c| &c.metrics)
        .filter(|m| m.p_adjusted.is_some())
        .count()
}

/// A p-value as the reports print it: `< 0.001` or three decimals, `–` when not finite
/// ([`crate::format::format_p`]).
pub(crate) fn p_text(p: f64) -> String {
    crate::format::format_p(p)
}

/// A scenario's verdict as the index and the summary show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioVerdict {
    /// Its class, for colour and counting: `Regressed` when a gated metric regressed or a
    /// threshold was breached (the scenario fails); else `Inconclusive` when the
    /// comparison or a threshold could not tell; else the comparison's class; `NoChange`
    /// without a baseline when every threshold passed; `None` with neither a baseline nor
    /// a threshold.
    pub status: Option<ChangeStatus>,
    /// True when the comparison with the baseline regressed.
    pub regressed: bool,
    /// True when a threshold was breached.
    pub breached: bool,
    /// The verdict in words: `regressed`, `threshold breached: p95 ttft < 800ms
    /// (912.0 ms)`, `inconclusive: <why>`, `improved`, `no change`, `thresholds met`,
    /// `no baseline`.
    pub text: String,
}

impl ScenarioVerdict {
    #[cfg(feature = "html-report")]
    /// CSS class of the verdict in the HTML report.
    pub fn css_class(&self) -> &'static str {
        self.status.map_or("nobaseline", ChangeStatus::css_class)
    }
}

/// A scenario's verdict as shown in the index and the summary: from its comparison with the
/// baseline, if any, and its thresholds (see [`ScenarioVerdict::status`] for the order).
pub fn scenario_verdict(input: &ReportInput<'_>) -> ScenarioVerdict {
    let thresholds = &input.run.thresholds;
    let comparison = input.comparison.map(|c| (c, c.overall()));
    let regressed = matches!(comparison, Some((_, ChangeStatus::Regressed)));
    let breached: Vec<String> = thresholds
        .iter()
        .filter(|t| t.outcome == ThresholdOutcome::Breached)
        .map(|t| format!("{} ({})", t.threshold, t.observed_text))
        .collect();
    let verdict = |status, text: String| ScenarioVerdict {
        status,
        regressed,
        breached: !breached.is_empty(),
        text,
    };

    let mut failures = Vec::new();
    if regressed {
        failures.push("regressed".to_string());
    }
    if !breached.is_empty() {
        let s = if breached.len() == 1 { "" } else { "s" };
        failures.push(format!("threshold{s} breached: {}", breached.join("; ")));
    }
    if !failures.is_empty() {
        return verdict(Some(ChangeStatus::Regressed), failures.join("; "));
    }

    let mut reasons = Vec::new();
    if let Some((c, ChangeStatus::Inconclusive)) = comparison {
        reasons.push(inconclusive_reason(c));
    }
    let no_data: Vec<&str> = thresholds
        .iter()
        .filter(|t| t.outcome == ThresholdOutcome::NoData)
        .map(|t| t.threshold.as_str())
        .collect();
    if !no_data.is_empty() {
        reasons.push(format!("no data to check {}", no_data.join(", ")));
    }
    if !reasons.is_empty() {
        let text = format!("inconclusive: {}", reasons.join("; "));
        return verdict(Some(ChangeStatus::Inconclusive), text);
    }

    match comparison {
        Some((_, status)) if thresholds.is_empty() => verdict(Some(status), status.as_str().into()),
        Some((_, status)) => verdict(Some(status), format!("{}, thresholds met", status.as_str())),
        None if thresholds.is_empty() => verdict(None, "no baseline".into()),
        None => verdict(Some(ChangeStatus::NoChange), "thresholds met".into()),
    }
}

/// Why an inconclusive comparison could not tell, in words: the reasons of its deciding
/// inconclusive metrics (named by metric when they differ).
fn inconclusive_reason(c: &ReportComparison) -> String {
    let mut reasons: Vec<(&str, &str)> = Vec::new();
    for m in c
        .deciding()
        .filter(|m| m.status == ChangeStatus::Inconclusive)
    {
        let reason = m
            .verdict
            .strip_prefix("inconclusive")
            .map(|r| r.trim_start_matches([':', ' ']))
            .unwrap_or(&m.verdict);
        let reason = if reason.is_empty() {
            "no reason recorded"
        } else {
            reason
        };
        reasons.push((m.metric.label(), reason));
    }
    let first = match reasons.first() {
        None => return "no metric was compared".to_string(),
        Some((_, r)) => *r,
    };
    if reasons.iter().all(|(_, r)| *r == first) {
        return first.to_string();
    }
    let parts: Vec<String> = reasons
        .iter()
        .map(|(metric, r)| format!("{metric}: {r}"))
        .collect();
    parts.join("; ")
}

/// The headline of a report: what its scenarios' verdicts add up to, e.g. `2 of 5
/// scenarios regressed, 1 breached a threshold, 1 inconclusive.` A scenario that regressed
/// and breached a threshold is counted in both.
pub(crate) fn headline(inputs: &[ReportInput<'_>]) -> String {
    let n = inputs.len();
    if n == 0 {
        return "No scenario ran in this invocation.".to_string();
    }
    let verdicts: Vec<ScenarioVerdict> = inputs.iter().map(scenario_verdict).collect();
    let count = |f: &dyn Fn(&ScenarioVerdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
    let regressed = count(&|v| v.regressed);
    let breached = count(&|v| v.breached);
    let inconclusive = count(&|v| v.status == Some(ChangeStatus::Inconclusive));
    let improved = count(&|v| v.status == Some(ChangeStatus::Improved));
    let judged = count(&|v| v.status.is_some());
    let scenarios = if n == 1 { "scenario" } else { "scenarios" };
    if judged == 0 {
        return format!("{n} {scenarios} ran, none compared with a baseline.");
    }
    let any_thresholds = inputs.iter().any(|i| !i.run.thresholds.is_empty());
    let mut parts = Vec::new();
    if regressed > 0 || breached == 0 {
        let what = if regressed == 0 && any_thresholds {
            "regressed or breached a threshold"
        } else {
            "regressed"
        };
        parts.push(format!("{regressed} of {n} {scenarios} {what}"));
    }
    if breached > 0 {
        if parts.is_empty() {
            parts.push(format!(
                "{breached} of {n} {scenarios} breached a threshold"
            ));
        } else {
            parts.push(format!("{breached} breached a threshold"));
        }
    }
    if inconclusive > 0 {
        parts.push(format!("{inconclusive} inconclusive"));
    }
    if improved > 0 {
        parts.push(format!("{improved} improved"));
    }
    format!("{}.", parts.join(", "))
}

/// Errors of report and export writing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A template failed to parse or render.
    #[error("report template error: {0}")]
    Template(String),
    /// A chart could not be drawn.
    #[error("could not draw the {chart} chart: {message}")]
    Chart {
        /// Which chart.
        chart: &'static str,
        /// What plotters said.
        message: String,
    },
    /// Encoding an export failed.
    #[error("could not encode the {format} export: {message}")]
    Encode {
        /// The export format.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
    /// Writing a file failed.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

#[cfg(feature = "html-report")]
impl From<tera::Error> for ReportError {
    fn from(e: tera::Error) -> Self {
        // tera's Display is the outermost message only; the cause chain says which part.
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        ReportError::Template(msg)
    }
}

impl From<ReportError> for crate::Error {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Store(inner) => inner,
            other => crate::Error::Config(other.to_string()),
        }
    }
}

/// A `Result` whose error is [`ReportError`].
pub type Result<T, E = ReportError> = std::result::Result<T, E>;
