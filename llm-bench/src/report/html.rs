//! The HTML report: `index.html` and one page per scenario, from embedded tera templates.

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use super::charts::{scenario_charts, Chart};
use super::{
    headline, scenario_verdict, ReportFiles, ReportInput, ReportOptions, ReportSet, Result,
    CLOCK_DEFINITION, METRIC_DEFINITIONS,
};
use crate::format::{
    format_ms, format_num, format_p, format_percent, format_setting_ms, format_unix_ms,
};
use crate::metrics::Metric;
use crate::store::{write_atomic, StoredRun, ThresholdOutcome};

// The templates live in the workspace's top-level `templates/`; `llm-bench/templates` is a
// symlink to it, so they are inside the package that `cargo package` builds.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("index.html", include_str!("../../templates/index.html")),
    (
        "scenario.html",
        include_str!("../../templates/scenario.html"),
    ),
];

/// The embedded templates, autoescape on for every `.html` template.
fn templates() -> Result<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_templates(TEMPLATES.iter().copied())?;
    Ok(tera)
}

/// Directory name of a scenario's page: its id with every character outside
/// `[A-Za-z0-9_-]` replaced by `_` (so `chat/short turn` is `chat_short_turn`), never a
/// name of the report's own files.
pub fn page_dir_name(scenario_id: &str) -> String {
    let clean: String = scenario_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "_".to_string()
    } else {
        clean
    }
}

/// Writes the HTML report into `dir`: `dir/index.html` (the headline and a table of this
/// run's scenarios, then a table of those not run this time), and for each scenario of
/// either list `dir/<page_dir_name>/index.html` plus its charts as `.svg` files beside it
/// (unless `opts.plots` is false). Two ids with the same page name get `-2`, `-3`, …
/// suffixes.
pub fn write_html(dir: &Path, report: &ReportSet<'_>, opts: &ReportOptions) -> Result<ReportFiles> {
    let tera = templates()?;
    let mut files = ReportFiles::default();
    let mut used = HashSet::new();
    let mut rows = Vec::with_capacity(report.this_run.len());
    let mut stale_rows = Vec::with_capacity(report.not_run.len());
    let all = report
        .this_run
        .iter()
        .map(|i| (i, false))
        .chain(report.not_run.iter().map(|i| (i, true)));
    for (input, not_run) in all {
        let base = page_dir_name(&input.run.scenario.id);
        let mut slug = base.clone();
        let mut k = 1;
        while !used.insert(slug.clone()) {
            k += 1;
            slug = format!("{base}-{k}");
        }
        let page_dir = dir.join(&slug);
        let charts = if opts.plots {
            scenario_charts(input)?
        } else {
            Vec::new()
        };
        for chart in &charts {
            let path = page_dir.join(format!("{}.svg", chart.name));
            write_atomic(&path, chart.svg.as_bytes())?;
            files.charts.push(path);
        }
        let row = IndexRow::new(input, format!("{slug}/index.html"), not_run);
        let mut ctx = common_context(opts, "../index.html");
        ctx.insert("title", &input.run.scenario.id);
        ctx.insert("row", &row);
        ctx.insert("page", &ScenarioPage::new(input, &charts, opts));
        let html = tera.render("scenario.html", &ctx)?;
        let path = page_dir.join("index.html");
        write_atomic(&path, html.as_bytes())?;
        files.pages.push(path);
        if not_run {
            stale_rows.push(row);
        } else {
            rows.push(row);
        }
    }
    let mut ctx = common_context(opts, "index.html");
    ctx.insert("title", "llm-bench report");
    ctx.insert("headline", &headline(report.this_run));
    ctx.insert("rows", &rows);
    ctx.insert("stale_rows", &stale_rows);
    ctx.insert(
        "any_comparison",
        &report.this_run.iter().any(|i| i.comparison.is_some()),
    );
    ctx.insert("endpoints", &distinct_endpoints(report.this_run));
    let html = tera.render("index.html", &ctx)?;
    let index = dir.join("index.html");
    write_atomic(&index, html.as_bytes())?;
    files.index = index;
    Ok(files)
}

/// What every page shows: version, date, commit, legend.
fn common_context(opts: &ReportOptions, home: &str) -> Context {
    let mut ctx = Context::new();
    ctx.insert("version", env!("CARGO_PKG_VERSION"));
    ctx.insert("generated_at", &opts.generated_at);
    ctx.insert("git_commit", &opts.git_commit);
    ctx.insert("plots", &opts.plots);
    ctx.insert("home", home);
    ctx.insert("clock", CLOCK_DEFINITION);
    let legend: Vec<Term> = METRIC_DEFINITIONS
        .iter()
        .map(|(term, def)| Term {
            term: (*term).into(),
            def: (*def).into(),
        })
        .collect();
    ctx.insert("legend", &legend);
    ctx
}

#[derive(Serialize)]
struct Term {
    term: String,
    def: String,
}

/// Distinct `kind host model` triples, for the index header.
fn distinct_endpoints(inputs: &[ReportInput<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in inputs {
        let e = endpoint_line(i.run);
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

fn endpoint_line(run: &StoredRun) -> String {
    let ep = &run.endpoint;
    match &ep.model {
        Some(m) => format!("{} · {} · model {m}", ep.kind, ep.host),
        None => format!("{} · {}", ep.kind, ep.host),
    }
}

fn p50(run: &StoredRun, metric: Metric) -> String {
    match run.summary.get(&metric) {
        Some(s) if metric.is_duration() => format_ms(s.p50),
        Some(s) => format_num(s.p50),
        None => "–".into(),
    }
}

/// A change shown in a table cell.
#[derive(Serialize)]
struct ChangeCell {
    metric: String,
    text: String,
    class: String,
}

/// One row of the index (and the header of a scenario page).
#[derive(Serialize)]
struct IndexRow {
    id: String,
    href: String,
    description: String,
    requests: String,
    failed: u64,
    ttft: String,
    tpot: String,
    e2e: String,
    tps: String,
    changes: Vec<ChangeCell>,
    verdict: String,
    verdict_class: String,
    interrupted: bool,
    /// True for a scenario not run this time (an older result, listed apart).
    not_run: bool,
    /// When the run started.
    ran_at: String,
    /// The bench target that stored it (`–` when not recorded).
    bench_target: String,
}

impl IndexRow {
    fn new(input: &ReportInput<'_>, href: String, not_run: bool) -> Self {
        let run = input.run;
        let total = run.samples.len() as u64;
        let failed = run.samples.iter().filter(|s| !s.is_ok()).count() as u64;
        let verdict = scenario_verdict(input);
        let changes = input
            .comparison
            .map(|c| {
                c.deciding()
                    .map(|m| ChangeCell {
                        metric: m.metric.label().into(),
                        text: format_percent(m.median_change),
                        class: m.status.css_class().into(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        IndexRow {
            id: run.scenario.id.clone(),
            href,
            description: run.scenario.description.clone(),
            requests: format!("{} / {total}", total - failed),
            failed,
            ttft: p50(run, Metric::Ttft),
            tpot: p50(run, Metric::Tpot),
            e2e: p50(run, Metric::E2e),
            tps: p50(run, Metric::TokensPerSecond),
            changes,
            verdict_class: verdict.css_class().into(),
            verdict: verdict.text,
            interrupted: run.interrupted,
            not_run,
            ran_at: format_unix_ms(run.started_at_unix_ms),
            bench_target: run
                .origin
                .as_ref()
                .map_or_else(|| "–".into(), |o| o.bench_target.clone()),
        }
    }
}

#[derive(Serialize)]
struct ScenarioPage {
    measured: Vec<Term>,
    thresholds: Vec<ThresholdRow>,
    stats: Vec<StatRow>,
    comparison: Option<ComparisonView>,
    charts: Vec<ChartView>,
    errors: Vec<ErrorRow>,
    failures: Vec<FailureRow>,
    more_failures: usize,
}

#[derive(Serialize)]
struct StatRow {
    metric: String,
    count: u64,
    mean: String,
    p50: String,
    p90: String,
    p99: String,
    max: String,
    median_ci: String,
}

#[derive(Serialize)]
struct ComparisonView {
    baseline: String,
    rows: Vec<ComparisonRow>,
}

#[derive(Serialize)]
struct ComparisonRow {
    metric: String,
    base_p50: String,
    new_p50: String,
    change: String,
    interval: String,
    p_value: String,
    verdict: String,
    class: String,
    gated: bool,
}

#[derive(Serialize)]
struct ThresholdRow {
    threshold: String,
    observed: String,
    outcome: String,
    class: String,
}

impl ThresholdRow {
    fn of(t: &crate::store::ThresholdResult) -> Self {
        let (outcome, class) = match t.outcome {
            ThresholdOutcome::Passed => ("passed", "improved"),
            ThresholdOutcome::Breached => ("breached", "regressed"),
            ThresholdOutcome::NoData => ("no data", "inconclusive"),
        };
        ThresholdRow {
            threshold: t.threshold.clone(),
            observed: t.observed_text.clone(),
            outcome: outcome.into(),
            class: class.into(),
        }
    }
}

#[derive(Serialize)]
struct ChartView {
    name: String,
    title: String,
    caption: String,
    svg: String,
}

#[derive(Serialize)]
struct ErrorRow {
    class: String,
    count: u64,
}

#[derive(Serialize)]
struct FailureRow {
    index: u32,
    class: String,
    message: String,
}

/// Failed requests listed by message on a page.
const MAX_FAILURES_LISTED: usize = 10;
/// Longest error message shown, in characters.
const MAX_MESSAGE_CHARS: usize = 400;

impl ScenarioPage {
    fn new(input: &ReportInput<'_>, charts: &[Chart], opts: &ReportOptions) -> Self {
        let run = input.run;
        let s = &run.settings;
        let term = |t: &str, d: String| Term {
            term: t.into(),
            def: d,
        };
        let mut measured = vec![
            term("endpoint host", run.endpoint.host.clone()),
            term("provider", run.endpoint.kind.clone()),
            term(
                "model",
                run.endpoint
                    .model
                    .clone()
                    .unwrap_or_else(|| "(not given)".into()),
            ),
            term(
                "load",
                format!(
                    "{} measured requests after {} warm-up, {} in flight at once (closed \
                     loop), timeout {}",
                    s.samples,
                    s.warmup,
                    s.concurrency,
                    format_setting_ms(s.timeout_ms)
                ),
            ),
            term(
                "run",
                format!(
                    "started {}, measured phase {:.2} s, {} requests/s, {} output tokens/s{}",
                    format_unix_ms(run.started_at_unix_ms),
                    run.wall_time_ns as f64 / 1e9,
                    format_num(run.throughput.requests_per_second),
                    format_num(run.throughput.output_tokens_per_second),
                    if run.interrupted {
                        " (interrupted: finished requests only)"
                    } else {
                        ""
                    }
                ),
            ),
            term(
                "output tokens",
                crate::metrics::TokenAccounting::of(&run.samples)
                    .map(|t| {
                        let tokenizer = run.settings.tokenizer.as_str();
                        match t.usage_vs_count(tokenizer) {
                            Some(c) => format!("{}; {c}", t.summary(tokenizer)),
                            None => t.summary(tokenizer),
                        }
                    })
                    .unwrap_or_else(|| "(no successful request)".into()),
            ),
            term(
                "scenario source",
                format!(
                    "{} ({}:{})",
                    run.scenario.module_path, run.scenario.file, run.scenario.line
                ),
            ),
            term(
                "llm-bench",
                if run.llm_bench_version == env!("CARGO_PKG_VERSION") {
                    run.llm_bench_version.clone()
                } else {
                    format!(
                        "{} (run), {} (report)",
                        run.llm_bench_version,
                        env!("CARGO_PKG_VERSION")
                    )
                },
            ),
            term("report generated", opts.generated_at.clone()),
        ];
        if let Some(reason) = &run.stopped_early {
            measured.push(term("stopped early", reason.clone()));
        }
        if run.stopped_by_budget {
            measured.push(term(
                "stopped early",
                "the cost budget (--max-cost) was spent".into(),
            ));
        }
        if let Some(commit) = &opts.git_commit {
            measured.push(term("git commit", commit.clone()));
        }
        if let Some(origin) = &run.origin {
            measured.push(term(
                "bench target",
                format!("{} (invocation {})", origin.bench_target, origin.invocation),
            ));
        }
        if let Some(b) = input.baseline {
            measured.push(term(
                "baseline run",
                format!(
                    "started {}, {} requests, {}",
                    format_unix_ms(b.started_at_unix_ms),
                    b.samples.len(),
                    endpoint_line(b)
                ),
            ));
        }

        let stats = Metric::ALL
            .iter()
            .filter_map(|&m| {
                let sum = run.summary.get(&m)?;
                let f = |v: f64| {
                    if m.is_duration() {
                        format_ms(v)
                    } else {
                        format_num(v)
                    }
                };
                let median_ci = run
                    .estimates
                    .get(&m)
                    .and_then(|e| e.median.interval)
                    .map(|i| format!("{} – {}", f(i.lower), f(i.upper)))
                    .unwrap_or_else(|| "–".into());
                Some(StatRow {
                    metric: m.label().into(),
                    count: sum.count,
                    mean: f(sum.mean),
                    p50: f(sum.p50),
                    p90: f(sum.p90),
                    p99: f(sum.p99),
                    max: f(sum.max),
                    median_ci,
                })
            })
            .collect::<Vec<StatRow>>();
        let stats = stats
            .into_iter()
            .chain(run.spans.iter().map(|(name, sum)| StatRow {
                metric: format!("span {name}"),
                count: sum.count,
                mean: format_ms(sum.mean),
                p50: format_ms(sum.p50),
                p90: format_ms(sum.p90),
                p99: format_ms(sum.p99),
                max: format_ms(sum.max),
                median_ci: "–".into(),
            }))
            .collect();

        let comparison = input.comparison.map(|c| ComparisonView {
            baseline: c.baseline.clone(),
            rows: c
                .metrics
                .iter()
                .map(|m| ComparisonRow {
                    metric: m.metric.label().into(),
                    base_p50: input
                        .baseline
                        .map_or_else(|| "–".into(), |b| p50(b, m.metric)),
                    new_p50: p50(run, m.metric),
                    change: format_percent(m.median_change),
                    interval: m
                        .median_change_interval
                        .map(|(lo, hi)| format!("{} … {}", format_percent(lo), format_percent(hi)))
                        .unwrap_or_else(|| "–".into()),
                    p_value: format_p(m.p_value),
                    verdict: m.verdict.clone(),
                    class: m.status.css_class().into(),
                    gated: m.gated,
                })
                .collect(),
        });

        let errors = run
            .errors
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(c, &n)| ErrorRow {
                class: c.as_str().into(),
                count: n,
            })
            .collect();
        let failed: Vec<_> = run
            .samples
            .iter()
            .filter_map(|s| s.error.as_ref().map(|e| (s.index, e)))
            .collect();
        let failures = failed
            .iter()
            .take(MAX_FAILURES_LISTED)
            .map(|(index, e)| FailureRow {
                index: *index,
                class: e.class.as_str().into(),
                message: truncate(&e.message, MAX_MESSAGE_CHARS),
            })
            .collect();
        ScenarioPage {
            measured,
            thresholds: run.thresholds.iter().map(ThresholdRow::of).collect(),
            stats,
            comparison,
            charts: charts
                .iter()
                .map(|c| ChartView {
                    name: c.name.into(),
                    title: c.title.clone(),
                    caption: c.caption.clone(),
                    svg: c.svg.clone(),
                })
                .collect(),
            errors,
            failures,
            more_failures: failed.len().saturating_sub(MAX_FAILURES_LISTED),
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
