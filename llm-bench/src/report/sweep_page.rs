//! The page of a swept or searched scenario: its latency–throughput charts, the knee or the
//! search's answer, and a table of its steps linking to each step's own page.

use std::collections::HashSet;

use serde::Serialize;

use super::html::{common_context, page_dir_name, SweepPages};
use super::load_charts::sweep_charts;
use super::sweeps::{
    has_objectives, is_knee, is_search, knee_text, search_answer, title, ReportSweep,
};
use super::{ReportFiles, Result};
use crate::format::{format_ms, format_num, format_share};
use crate::store::{write_atomic, StoredSweep, SweepStep};

/// A sweep's row on the index.
#[derive(Serialize)]
pub(super) struct SweepRow {
    /// `rate sweep of chat`.
    title: String,
    /// The scenario id.
    id: String,
    /// Its page, relative to the index.
    href: String,
    /// Steps (or probes) run.
    steps: usize,
    /// The knee or the search's answer.
    outcome: String,
    /// True when some step was client-bound.
    client_bound: bool,
    /// True when none of its steps ran this time.
    not_run: bool,
}

/// The sweep page's view.
#[derive(Serialize)]
struct SweepView {
    title: String,
    kind: String,
    dimension: String,
    objectives: Vec<String>,
    answer: Option<String>,
    knee: Option<String>,
    with_slo: bool,
    not_run: bool,
    steps: Vec<StepRow>,
    charts: Vec<super::html::ChartView>,
}

/// One step's row.
#[derive(Serialize)]
struct StepRow {
    /// Order it ran in (1-based): a search's probes are not in value order.
    order: usize,
    value: String,
    achieved_rate: String,
    throughput: String,
    ttft_p50: String,
    ttft_p99: String,
    tpot_p50: String,
    tpot_p99: String,
    errors: String,
    goodput: String,
    slo: String,
    slo_class: String,
    client_bound: bool,
    knee: bool,
    /// The step run's page, relative to the sweep page, when it is in the report.
    href: Option<String>,
    id: String,
}

/// Writes one page per sweep into `pages.dir` (its charts beside it unless `--noplot`),
/// records them in `files`, and returns the index's rows.
pub(super) fn write_sweep_pages(
    pages: &SweepPages<'_>,
    sweeps: &[ReportSweep],
    used: &mut HashSet<String>,
    files: &mut ReportFiles,
) -> Result<Vec<SweepRow>> {
    let mut rows = Vec::with_capacity(sweeps.len());
    for s in sweeps {
        let slug = unique_slug(&format!("sweep-{}", page_dir_name(&s.sweep.scenario)), used);
        let page_dir = pages.dir.join(&slug);
        let charts = if pages.opts.plots {
            sweep_charts(&s.sweep)?
        } else {
            Vec::new()
        };
        for chart in &charts {
            let path = page_dir.join(format!("{}.svg", chart.name));
            write_atomic(&path, chart.svg.as_bytes())?;
            files.charts.push(path);
        }
        let view = SweepView::new(s, &charts, pages);
        let mut ctx = common_context(pages.opts, "../index.html");
        ctx.insert("title", &view.title);
        ctx.insert("sweep", &view);
        let html = pages.tera.render("sweep.html", &ctx)?;
        let path = page_dir.join("index.html");
        write_atomic(&path, html.as_bytes())?;
        files.sweep_pages.push(path);
        rows.push(SweepRow::new(s, format!("{slug}/index.html")));
    }
    Ok(rows)
}

/// `base`, or `base-2`, `base-3`, … when a page of that name was written already.
fn unique_slug(base: &str, used: &mut HashSet<String>) -> String {
    let mut slug = base.to_string();
    let mut k = 1;
    while !used.insert(slug.clone()) {
        k += 1;
        slug = format!("{base}-{k}");
    }
    slug
}

/// The knee or the search's answer, for the index.
fn outcome(sweep: &StoredSweep) -> String {
    search_answer(sweep)
        .or_else(|| knee_text(sweep))
        .unwrap_or_default()
}

impl SweepRow {
    fn new(s: &ReportSweep, href: String) -> Self {
        SweepRow {
            title: title(&s.sweep),
            id: s.sweep.scenario.clone(),
            href,
            steps: s.sweep.steps.len(),
            outcome: outcome(&s.sweep),
            client_bound: s.sweep.steps.iter().any(|st| st.client_bound),
            not_run: s.not_run,
        }
    }
}

impl SweepView {
    fn new(s: &ReportSweep, charts: &[super::charts::Chart], pages: &SweepPages<'_>) -> Self {
        let sweep = &s.sweep;
        SweepView {
            title: title(sweep),
            kind: sweep.kind.clone(),
            dimension: sweep.dimension.clone(),
            objectives: sweep.objectives.clone(),
            answer: search_answer(sweep),
            knee: knee_text(sweep),
            with_slo: has_objectives(sweep),
            not_run: s.not_run,
            steps: sweep
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| StepRow::new(sweep, i + 1, step, pages))
                .collect(),
            charts: charts.iter().map(super::html::ChartView::of).collect(),
        }
    }
}

impl StepRow {
    fn new(sweep: &StoredSweep, order: usize, step: &SweepStep, pages: &SweepPages<'_>) -> Self {
        let ms = |v: Option<f64>| v.map_or_else(|| "–".to_string(), format_ms);
        let (slo, slo_class) = match step.slo_met {
            Some(true) => ("met", "improved"),
            Some(false) => ("missed", "regressed"),
            None => ("–", ""),
        };
        StepRow {
            order,
            value: format_num(step.value),
            achieved_rate: format_num(step.achieved_rate),
            throughput: format_num(step.throughput_rps),
            ttft_p50: ms(step.ttft_p50_ns),
            ttft_p99: ms(step.ttft_p99_ns),
            tpot_p50: ms(step.tpot_p50_ns),
            tpot_p99: ms(step.tpot_p99_ns),
            errors: format_share(step.error_rate),
            goodput: step.goodput_rps.map_or_else(|| "–".into(), format_num),
            slo: slo.into(),
            slo_class: slo_class.into(),
            client_bound: step.client_bound,
            knee: is_knee(sweep, step) && !is_search(sweep),
            href: pages
                .hrefs
                .get(&step.id)
                .map(|slug| format!("../{slug}/index.html")),
            id: step.id.clone(),
        }
    }
}
