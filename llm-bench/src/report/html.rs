//! The HTML report: `index.html` and one page per scenario, from embedded tera templates.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use super::charts::{scenario_charts, Chart};
use super::head_to_head::{
    change_with_interval, order_text, pairings, report_head_to_heads, rounds_text, standing_text,
    value_text, HeadToHeads, ReportHeadToHead,
};
use super::load::{
    client_bound, client_bound_text, goodput_text, met_word, observed_text, rate_text,
    retries_text, stop_words,
};
use super::sweep_page::write_sweep_pages;
use super::sweeps::{report_sweeps, store_root_of};
use super::{
    adjusted_count, headline, pairing_text, scenario_verdict, ReportFiles, ReportInput,
    ReportOptions, ReportSet, Result, CLOCK_DEFINITION, METRIC_DEFINITIONS,
};
use crate::format::{
    format_ms, format_num, format_p, format_percent, format_setting_ms, format_share,
    format_unix_ms,
};
use crate::metrics::Metric;
use crate::store::{write_atomic, LoadReport, SloReport, StoredRun, ThresholdOutcome};

// The templates live in the workspace's top-level `templates/`; `llm-bench/templates` is a
// symlink to it, so they are inside the package that `cargo package` builds.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("index.html", include_str!("../../templates/index.html")),
    (
        "scenario.html",
        include_str!("../../templates/scenario.html"),
    ),
    ("sweep.html", include_str!("../../templates/sweep.html")),
];

/// The embedded templates, autoescape on for every `.html` template.
pub(super) fn templates() -> Result<Tera> {
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
/// run's scenarios, the sweeps, a table per head-to-head record, then a table of those not
/// run this time), and for each scenario of either list `dir/<page_dir_name>/index.html`
/// plus its charts as `.svg` files beside it (unless `opts.plots` is false). Two ids with
/// the same page name get `-2`, `-3`, … suffixes.
///
/// `dir` is the store's `report` directory (`<root>/report`): each swept or searched
/// scenario whose steps are among the report's runs gets a page too,
/// `dir/sweep-<page_dir_name>/index.html`, from `<root>/<id>/new/sweep.json`; the
/// head-to-head records are read from `<root>/<reference id>/new/head_to_head.json`.
pub fn write_html(dir: &Path, report: &ReportSet<'_>, opts: &ReportOptions) -> Result<ReportFiles> {
    let tera = templates()?;
    let mut files = ReportFiles::default();
    let mut used = HashSet::new();
    let mut rows = Vec::with_capacity(report.this_run.len());
    let mut stale_rows = Vec::with_capacity(report.not_run.len());
    let mut hrefs = HashMap::new();
    let notes = MethodNotes::of(report.this_run);
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
        hrefs.insert(input.run.scenario.id.clone(), slug.clone());
        let row = IndexRow::new(input, format!("{slug}/index.html"), not_run);
        let mut ctx = common_context(opts, "../index.html");
        ctx.insert("method", &notes);
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
    let (sweeps, head_to_heads) = match store_root_of(dir) {
        Some(root) => (
            report_sweeps(root, report)?,
            report_head_to_heads(root, report),
        ),
        None => (Vec::new(), HeadToHeads::default()),
    };
    let pages = SweepPages {
        dir,
        tera: &tera,
        opts,
        hrefs: &hrefs,
    };
    let sweep_rows = write_sweep_pages(&pages, &sweeps, &mut used, &mut files)?;
    let mut ctx = common_context(opts, "index.html");
    ctx.insert("method", &notes);
    ctx.insert("title", "llm-bench report");
    ctx.insert("sweeps", &sweep_rows);
    let head_to_head_views: Vec<HeadToHeadView> = head_to_heads
        .shown
        .iter()
        .map(|h| HeadToHeadView::of(h, &hrefs))
        .collect();
    ctx.insert("head_to_heads", &head_to_head_views);
    ctx.insert("head_to_heads_left_out", &head_to_heads.left_out);
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

/// What the method notes of the index and the scenario pages add for this run's
/// comparisons: the FDR adjustment and the pairing, when some comparison has them.
#[derive(Serialize)]
struct MethodNotes {
    /// Comparisons of this run with an FDR-adjusted p-value (the gated ones the run's
    /// Benjamini-Hochberg pass adjusted); 0 when none has one.
    fdr_comparisons: usize,
    /// True when some comparison of this run was measured in pairs.
    paired: bool,
}

impl MethodNotes {
    fn of(this_run: &[ReportInput<'_>]) -> Self {
        MethodNotes {
            fdr_comparisons: adjusted_count(this_run),
            paired: this_run
                .iter()
                .any(|i| i.comparison.is_some_and(|c| c.is_paired())),
        }
    }
}

/// A head-to-head record on the index: its scenarios, how its rounds ran, one row per
/// compared metric and what each contender's pairs say.
#[derive(Serialize)]
struct HeadToHeadView {
    /// The reference scenario.
    reference: ScenarioLink,
    /// The scenarios compared with it, in the record's order.
    contenders: Vec<ScenarioLink>,
    /// `20 rounds`.
    rounds: String,
    /// How a round's requests were sent, in words.
    order: String,
    /// One row per compared metric.
    rows: Vec<HeadToHeadRowView>,
    /// Per contender measured in pairs: `b: TTFT 100 pairs, b slower in 63.0% of them; …`.
    pairs: Vec<String>,
}

/// A scenario named on the index, linked to its page.
#[derive(Serialize)]
struct ScenarioLink {
    /// The scenario id.
    id: String,
    /// Its page, relative to the index, when the report has one.
    href: Option<String>,
}

/// One metric of a head-to-head table.
#[derive(Serialize)]
struct HeadToHeadRowView {
    /// The metric's label.
    metric: String,
    /// The reference's p50.
    reference: String,
    /// One cell per contender.
    cells: Vec<HeadToHeadCellView>,
}

/// One contender's figures on one metric.
#[derive(Serialize)]
struct HeadToHeadCellView {
    /// Its p50.
    median: String,
    /// Its change against the reference with the interval, empty when not compared.
    change: String,
    /// The verdict read against the reference: `slower`, `faster`, `no change`, ….
    standing: String,
    /// CSS class of the verdict.
    class: String,
}

impl HeadToHeadView {
    /// The view of `h`, linking each scenario to its page among `hrefs`.
    fn of(h: &ReportHeadToHead, hrefs: &HashMap<String, String>) -> Self {
        let link = |id: &str| ScenarioLink {
            id: id.to_string(),
            href: hrefs.get(id).map(|slug| format!("{slug}/index.html")),
        };
        HeadToHeadView {
            reference: link(h.reference()),
            contenders: h.contenders.iter().map(|c| link(&c.id)).collect(),
            rounds: rounds_text(h.record.rounds),
            order: order_text(&h.record.order),
            rows: h
                .rows
                .iter()
                .map(|r| HeadToHeadRowView {
                    metric: r.metric.label().into(),
                    reference: value_text(r.metric, r.reference),
                    cells: r
                        .cells
                        .iter()
                        .map(|c| HeadToHeadCellView {
                            median: value_text(r.metric, c.median),
                            change: c
                                .change
                                .as_ref()
                                .map(change_with_interval)
                                .unwrap_or_default(),
                            standing: c.change.as_ref().map(standing_text).unwrap_or_default(),
                            class: c
                                .change
                                .as_ref()
                                .map_or("nobaseline", |m| m.status.css_class())
                                .into(),
                        })
                        .collect(),
                })
                .collect(),
            pairs: h
                .contenders
                .iter()
                .filter_map(|c| {
                    let pairs = pairings(c, &c.id);
                    (!pairs.is_empty()).then(|| format!("{}: {}", c.id, pairs.join("; ")))
                })
                .collect(),
        }
    }
}

/// What the sweep pages are written with: the report directory, the templates, the
/// options, and each scenario's page directory by id (to link a step to its run's page).
pub(super) struct SweepPages<'a> {
    /// The report directory.
    pub dir: &'a Path,
    /// The templates.
    pub tera: &'a Tera,
    /// The report's options.
    pub opts: &'a ReportOptions,
    /// Page directory of each scenario of the report, by id.
    pub hrefs: &'a HashMap<String, String>,
}

/// What every page shows: version, date, commit, legend.
pub(super) fn common_context(opts: &ReportOptions, home: &str) -> Context {
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

/// A term and its definition (a `<dt>`/`<dd>` pair).
#[derive(Serialize)]
pub(super) struct Term {
    /// The term.
    pub term: String,
    /// Its definition.
    pub def: String,
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
    /// True when the client, not the endpoint, limited the run.
    client_bound: bool,
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
            client_bound: client_bound(run).is_some(),
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
    /// How the load was delivered, and the objectives; `None` for a run that recorded
    /// neither.
    load: Option<LoadView>,
    /// TTFT on new and on reused connections, when the run has both (else empty).
    connections: Vec<ConnectionRow>,
    thresholds: Vec<ThresholdRow>,
    stats: Vec<StatRow>,
    comparison: Option<ComparisonView>,
    charts: Vec<ChartView>,
    errors: Vec<ErrorRow>,
    failures: Vec<FailureRow>,
    more_failures: usize,
}

/// One kind of connection (new, reused) on a run page.
#[derive(Serialize)]
struct ConnectionRow {
    kind: &'static str,
    requests: usize,
    ttft_p50: String,
    ttft_p90: String,
    connect_p50: String,
    tls_p50: String,
}

impl ConnectionRow {
    /// The rows of a run with both kinds; empty otherwise.
    fn of(run: &StoredRun) -> Vec<ConnectionRow> {
        let dash = |v: Option<f64>| v.map_or_else(|| "–".to_string(), format_ms);
        super::connections::connection_groups(run)
            .map(|groups| {
                groups
                    .iter()
                    .map(|g| ConnectionRow {
                        kind: g.kind,
                        requests: g.requests,
                        ttft_p50: format_ms(g.ttft_p50),
                        ttft_p90: format_ms(g.ttft_p90),
                        connect_p50: dash(g.connect_p50),
                        tls_p50: dash(g.tls_p50),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
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
    /// True when some metric was measured in pairs with the build [`Self::baseline`] names.
    paired: bool,
    /// Per metric measured in pairs: `TTFT: 100 pairs, the new build slower in 63.0% of
    /// them`.
    pairings: Vec<String>,
    /// True when some metric has an FDR-adjusted p-value (the table gets a `q (FDR)`
    /// column).
    adjusted: bool,
}

#[derive(Serialize)]
struct ComparisonRow {
    metric: String,
    base_p50: String,
    new_p50: String,
    change: String,
    interval: String,
    p_value: String,
    /// The FDR-adjusted p-value, `–` when the metric has none.
    p_adjusted: String,
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

/// A chart as a page shows it.
#[derive(Serialize)]
pub(super) struct ChartView {
    name: String,
    title: String,
    caption: String,
    svg: String,
}

impl ChartView {
    /// The view of `chart`.
    pub(super) fn of(chart: &Chart) -> Self {
        ChartView {
            name: chart.name.into(),
            title: chart.title.clone(),
            caption: chart.caption.clone(),
            svg: chart.svg.clone(),
        }
    }
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
    /// "after 1.20 s, mid-stream"; empty when the run did not record it.
    when: String,
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
                match &s.open_loop {
                    None => format!(
                        "{} measured requests after {} warm-up, {} in flight at once (closed \
                         loop), timeout {}",
                        s.samples,
                        s.warmup,
                        s.concurrency,
                        format_setting_ms(s.timeout_ms)
                    ),
                    Some(open) => format!(
                        "{} measured requests after {} warm-up, open loop ({}, seed {}), \
                         timeout {}",
                        s.samples,
                        s.warmup,
                        s.load_label(),
                        open.seed,
                        format_setting_ms(s.timeout_ms)
                    ),
                },
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
            paired: c.is_paired(),
            pairings: c
                .metrics
                .iter()
                .filter_map(|m| {
                    let p = m.paired.as_ref()?;
                    Some(format!(
                        "{}: {}",
                        m.metric.label(),
                        pairing_text(m.metric, p)
                    ))
                })
                .collect(),
            adjusted: c.metrics.iter().any(|m| m.p_adjusted.is_some()),
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
                    p_adjusted: m.p_adjusted.map_or_else(|| "–".into(), format_p),
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
                when: e.when().unwrap_or_default(),
                message: truncate(&e.message, MAX_MESSAGE_CHARS),
            })
            .collect();
        ScenarioPage {
            measured,
            load: LoadView::of(run),
            connections: ConnectionRow::of(run),
            thresholds: run.thresholds.iter().map(ThresholdRow::of).collect(),
            stats,
            comparison,
            charts: charts.iter().map(ChartView::of).collect(),
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

/// The load part of a scenario page: the client-bound banner, the load's facts, the
/// objectives and goodput.
#[derive(Serialize)]
struct LoadView {
    /// The client-bound warning (figure and limit), when the run was client-bound.
    client_bound: Option<String>,
    /// Offered and achieved rate, peak in flight, schedule lag, runtime delay, retries,
    /// why it stopped.
    facts: Vec<Term>,
    /// The objectives and goodput, with objectives.
    slo: Option<SloView>,
}

/// The objectives of a run and its goodput.
#[derive(Serialize)]
struct SloView {
    /// Good requests per second.
    goodput: String,
    /// The share of requests that were good.
    good_fraction: String,
    /// The goodput sentence.
    summary: String,
    /// `met` or `missed`: every objective.
    outcome: String,
    /// CSS class of the outcome.
    class: String,
    /// One row per objective.
    rows: Vec<SloRow>,
}

/// One objective's row.
#[derive(Serialize)]
struct SloRow {
    objective: String,
    attained: String,
    required: String,
    observed: String,
    outcome: String,
    class: String,
}

/// CSS class of a met or missed objective.
fn met_class(met: bool) -> &'static str {
    if met {
        "improved"
    } else {
        "regressed"
    }
}

impl LoadView {
    /// The view of a run, `None` when it has no load, objectives, open-loop schedule or
    /// stop reason to show.
    fn of(run: &StoredRun) -> Option<Self> {
        if !super::load::has_load_facts(run) {
            return None;
        }
        let mut facts = vec![Term {
            term: "load".into(),
            def: run.settings.load_label(),
        }];
        if let Some(load) = &run.load {
            facts.extend(load_facts(load));
        }
        if let Some(reason) = stop_words(run.stop_reason) {
            facts.push(Term {
                term: "stopped".into(),
                def: reason.into(),
            });
        }
        Some(LoadView {
            client_bound: client_bound(run).map(client_bound_text),
            facts,
            slo: run.slo.as_ref().map(SloView::of),
        })
    }
}

/// The facts of a load report.
fn load_facts(load: &LoadReport) -> Vec<Term> {
    let term = |t: &str, d: String| Term {
        term: t.into(),
        def: d,
    };
    let mut facts = Vec::new();
    match rate_text(load) {
        Some(rates) => facts.push(term("achieved vs target rate", rates)),
        None => facts.push(term(
            "achieved rate",
            format!("{} requests/s started", format_num(load.achieved_rate)),
        )),
    }
    facts.push(term("peak in flight", load.peak_in_flight.to_string()));
    let spread = |s: &crate::metrics::Summary| {
        format!(
            "p50 {}, p99 {}, max {}",
            format_ms(s.p50),
            format_ms(s.p99),
            format_ms(s.max)
        )
    };
    if let Some(lag) = &load.schedule_lag {
        facts.push(term("schedule lag", spread(lag)));
    }
    if let Some(delay) = &load.runtime_delay {
        facts.push(term("runtime delay", spread(delay)));
    }
    if let Some(retries) = retries_text(load) {
        facts.push(term("retries", retries));
    }
    facts
}

impl SloView {
    fn of(slo: &SloReport) -> Self {
        SloView {
            goodput: format!("{} good requests/s", format_num(slo.goodput_rps)),
            good_fraction: format_share(slo.good_fraction),
            summary: goodput_text(slo),
            outcome: if slo.met {
                "every objective met".into()
            } else {
                "objectives missed".into()
            },
            class: met_class(slo.met).into(),
            rows: slo
                .objectives
                .iter()
                .map(|o| SloRow {
                    objective: o.objective.clone(),
                    attained: format_share(o.attained),
                    required: format_share(o.required),
                    observed: observed_text(o),
                    outcome: met_word(o.met).into(),
                    class: met_class(o.met).into(),
                })
                .collect(),
        }
    }
}
