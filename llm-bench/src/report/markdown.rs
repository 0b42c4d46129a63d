//! The Markdown summary: a headline, one table row per scenario of this run, the load and
//! objectives of the runs that have them, a table per sweep, a table per head-to-head
//! record, and a collapsed list of the scenarios not run this time, sized for a PR comment
//! and for `$GITHUB_STEP_SUMMARY`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::head_to_head::{
    change_with_interval, order_text, pairings, report_head_to_heads, rounds_text, standing_text,
    value_text, HeadToHeads, ReportHeadToHead,
};
use super::load::{
    client_bound, client_bound_text, goodput_text, has_load_facts, load_line, met_word,
    objective_text, retries_text, stop_words,
};
use super::sweeps::{
    has_objectives, is_knee, knee_text, report_sweeps, search_answer, store_root_of, title,
    ReportSweep,
};
use super::{
    adjusted_count, headline, p_text, pairing_text, scenario_verdict, ChangeStatus, MetricChange,
    ReportInput, ReportSet, Result,
};
use crate::format::{format_ms, format_num, format_percent, format_share, format_unix_ms};
use crate::metrics::Metric;
use crate::store::write_atomic;
use crate::Error;

/// File name of the summary inside the report directory.
pub const SUMMARY_FILE: &str = "summary.md";

/// Longest summary written, in bytes: GitHub refuses comments over 65 536 characters, and
/// the step summary is capped at 1 MiB. Rows past this are left out, and counted.
const MAX_BYTES: usize = 60_000;

/// Text safe inside a Markdown table cell: no `|`, no line break, no raw HTML.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn p50(input: &ReportInput<'_>, metric: Metric) -> String {
    match input.run.summary.get(&metric) {
        Some(s) if metric.is_duration() => format_ms(s.p50),
        Some(s) => format_num(s.p50),
        None => "–".into(),
    }
}

fn emoji(status: Option<ChangeStatus>) -> &'static str {
    match status {
        Some(ChangeStatus::Regressed) => "🔴 ",
        Some(ChangeStatus::Improved) => "🟢 ",
        Some(ChangeStatus::NoChange) => "⚪ ",
        Some(ChangeStatus::Inconclusive) => "🟡 ",
        None => "",
    }
}

/// The summary as Markdown: a heading (naming the bench target when the report is limited
/// to one), the headline counts of this run, one table row per scenario of this run (TTFT,
/// TPOT and E2E p50, change of the gated metrics, verdict), the load and objectives of the
/// runs that have them, a collapsed list of the scenarios not run this time, and a line
/// naming the baselines. No sweep or head-to-head tables: [`write_markdown`] reads those
/// from the store.
pub fn render_markdown(report: &ReportSet<'_>) -> String {
    render_with_records(report, &[], &HeadToHeads::default())
}

/// [`render_markdown`] with a table per sweep of `sweeps` run this time, after the load
/// part, then a table per head-to-head record of `head_to_heads` (and a line naming each
/// record it could not read).
pub(crate) fn render_with_records(
    report: &ReportSet<'_>,
    sweeps: &[ReportSweep],
    head_to_heads: &HeadToHeads,
) -> String {
    let inputs = report.this_run;
    let mut out = match report.bench_target {
        Some(target) => format!("## llm-bench results: {}\n\n", cell(target)),
        None => String::from("## llm-bench results\n\n"),
    };
    out.push_str(&format!("**{}**\n\n", headline(inputs)));
    let mut left_out = 0usize;
    if !inputs.is_empty() {
        out.push_str(
            "| scenario | ok / requests | TTFT p50 | TPOT p50 | E2E p50 | change (gated, median) | verdict |\n\
             |---|--:|--:|--:|--:|---|---|\n",
        );
    }
    for input in inputs {
        let row = table_row(input);
        if out.len() + row.len() > MAX_BYTES {
            left_out += 1;
        } else {
            out.push_str(&row);
        }
    }
    if left_out > 0 {
        out.push_str(&format!(
            "\n{left_out} more scenarios are left out to fit a PR comment; see the HTML report.\n"
        ));
    }
    push_within(&mut out, &fdr_note(inputs));
    push_within(&mut out, &change_charts(inputs));
    let paired = paired_section(inputs, MAX_BYTES.saturating_sub(out.len() + 400));
    push_within(&mut out, &paired);
    push_within(&mut out, &load_section(inputs));
    for s in sweeps.iter().filter(|s| !s.not_run) {
        push_within(&mut out, &sweep_section(&s.sweep));
    }
    for h in &head_to_heads.shown {
        push_within(&mut out, &head_to_head_section(h));
    }
    for why in &head_to_heads.left_out {
        push_within(
            &mut out,
            &format!("\nA head-to-head record is left out: {}\n", cell(why)),
        );
    }
    if !report.not_run.is_empty() {
        out.push('\n');
        out.push_str(&not_run_section(
            report.not_run,
            MAX_BYTES.saturating_sub(out.len()),
        ));
    }
    let mut baselines: Vec<&str> = inputs
        .iter()
        .filter_map(|i| i.comparison.map(|c| c.baseline.as_str()))
        .collect();
    baselines.sort_unstable();
    baselines.dedup();
    out.push('\n');
    if baselines.is_empty() {
        out.push_str("No baseline compared. ");
    } else {
        let names: Vec<String> = baselines.iter().map(|b| cell(b)).collect();
        out.push_str(&format!("Compared with baseline {}. ", names.join(", ")));
    }
    out.push_str(&format!(
        "p50 of successful requests; TPOT = (E2E − TTFT) / (output tokens − 1). llm-bench {}.\n",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// One row of the table.
fn table_row(input: &ReportInput<'_>) -> String {
    let run = input.run;
    let total = run.samples.len();
    let ok = run.samples.iter().filter(|s| s.is_ok()).count();
    let verdict = scenario_verdict(input);
    let change = input
        .comparison
        .map(|c| {
            let parts: Vec<String> = c.deciding().map(change_text).collect();
            if parts.is_empty() {
                "–".to_string()
            } else {
                parts.join(", ")
            }
        })
        .unwrap_or_else(|| "–".into());
    let mut interrupted = if run.interrupted {
        " (interrupted)"
    } else {
        ""
    }
    .to_string();
    if client_bound(run).is_some() {
        interrupted.push_str(" (client-bound)");
    }
    format!(
        "| {}{interrupted} | {ok} / {total} | {} | {} | {} | {} | {}{} |\n",
        cell(&run.scenario.id),
        p50(input, Metric::Ttft),
        p50(input, Metric::Tpot),
        p50(input, Metric::E2e),
        cell(&change),
        emoji(verdict.status),
        cell(&verdict.text),
    )
}

/// A deciding metric's change in the table: `TTFT +12.0%`, then, when measured in pairs or
/// adjusted for the false discovery rate, `(paired, p 0.004, q 0.031)`.
fn change_text(m: &MetricChange) -> String {
    let mut text = format!("{} {}", m.metric.label(), format_percent(m.median_change));
    let mut notes = Vec::new();
    if m.paired.is_some() {
        notes.push("paired".to_string());
    }
    if let Some(q) = m.p_adjusted {
        notes.push(format!("p {}", p_text(m.p_value)));
        notes.push(format!("q {}", p_text(q)));
    }
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join(", ")));
    }
    text
}

/// The footnote of the table's `q`, when a comparison of this run has one.
fn fdr_note(inputs: &[ReportInput<'_>]) -> String {
    let n = adjusted_count(inputs);
    if n == 0 {
        return String::new();
    }
    let s = if n == 1 { "" } else { "s" };
    format!(
        "\nq: the p-value adjusted for the false discovery rate (Benjamini-Hochberg over the \
         {n} gated comparison{s} of this run); a gated metric is called regressed only when \
         its q is below the significance level.\n"
    )
}

/// The scenarios of this run measured in pairs: one item per scenario, naming the build it
/// was paired with and, per deciding metric, the pairs and the share where the new build
/// was slower, within `budget` bytes (the items past it counted); empty when none was.
fn paired_section(inputs: &[ReportInput<'_>], budget: usize) -> String {
    let head = "\nMeasured in pairs (both builds' requests interleaved against the same \
                endpoint): the change is the median of per-pair ratios, the p-value a \
                Wilcoxon signed-rank test's.\n\n";
    let mut out = String::new();
    let mut left_out = 0usize;
    for input in inputs {
        let Some(c) = input.comparison.filter(|c| c.is_paired()) else {
            continue;
        };
        let mut metrics: Vec<String> = c
            .deciding()
            .filter_map(|m| {
                let p = m.paired.as_ref()?;
                Some(format!(
                    "{} {}",
                    m.metric.label(),
                    pairing_text(m.metric, p)
                ))
            })
            .collect();
        if metrics.is_empty() {
            metrics.push("no deciding metric was paired".into());
        }
        let item = format!(
            "- **{}**: paired with build {}: {}\n",
            cell(&input.run.scenario.id),
            cell(&c.baseline),
            cell(&metrics.join("; "))
        );
        // Room for the head, this item and a line counting what is left out.
        if head.len() + out.len() + item.len() + 80 > budget {
            left_out += 1;
        } else {
            out.push_str(&item);
        }
    }
    if out.is_empty() && left_out == 0 {
        return String::new();
    }
    if left_out > 0 {
        let s = if left_out == 1 { "" } else { "s" };
        out.push_str(&format!(
            "- … and {left_out} more paired scenario{s}; see the HTML report.\n"
        ));
    }
    format!("{head}{out}")
}

/// Scenarios per chart: more make the labels unreadable.
const MAX_CHART_SCENARIOS: usize = 20;
/// Charts in the summary, one per deciding metric, in [`Metric::ALL`] order.
const MAX_CHARTS: usize = 4;
/// Longest scenario label on a chart, in characters.
const MAX_LABEL_CHARS: usize = 40;

/// Under the table, a Mermaid `xychart-beta` bar chart per deciding (gated) metric: the
/// median change of each scenario of this run compared on it, in percent, a line at zero.
/// GitHub renders it in a PR comment and a step summary by itself. Two bar series
/// (baseline and this run) would be drawn over each other and without a legend, so the
/// chart shows the change. Empty when no scenario was compared.
fn change_charts(inputs: &[ReportInput<'_>]) -> String {
    let compared: Vec<(&str, &super::ReportComparison)> = inputs
        .iter()
        .filter_map(|i| i.comparison.map(|c| (i.run.scenario.id.as_str(), c)))
        .collect();
    let metrics: Vec<Metric> = Metric::ALL
        .into_iter()
        .filter(|&m| {
            compared
                .iter()
                .any(|(_, c)| c.deciding().any(|x| x.metric == m))
        })
        .collect();
    let mut charts = String::new();
    for &metric in metrics.iter().take(MAX_CHARTS) {
        let points: Vec<(&str, f64)> = compared
            .iter()
            .filter_map(|(id, c)| {
                let m = c.deciding().find(|x| x.metric == metric)?;
                let pct = m.median_change * 100.0;
                pct.is_finite().then_some((*id, pct))
            })
            .collect();
        if !points.is_empty() {
            charts.push_str(&mermaid_chart(metric, &points));
        }
    }
    if charts.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n### Change against the baseline\n\nMedian change of each gated metric per scenario, in \
         percent: a bar above the line at 0 is larger than the baseline (slower, for a \
         latency). Bars rise from the bottom of the axis.\n{charts}"
    );
    if metrics.len() > MAX_CHARTS {
        let more = metrics.len() - MAX_CHARTS;
        let s = if more == 1 { "" } else { "s" };
        out.push_str(&format!(
            "\n{more} more gated metric{s} not charted; see the table above.\n"
        ));
    }
    out
}

/// One metric's chart of [`change_charts`]: at most [`MAX_CHART_SCENARIOS`] scenarios
/// (`points`: id and change in percent), the rest counted below it.
fn mermaid_chart(metric: Metric, points: &[(&str, f64)]) -> String {
    let shown = &points[..points.len().min(MAX_CHART_SCENARIOS)];
    let labels: Vec<String> = shown
        .iter()
        .map(|(id, _)| format!("\"{}\"", chart_label(id)))
        .collect();
    let values: Vec<String> = shown.iter().map(|(_, pct)| format_num(*pct)).collect();
    let zeros = vec!["0"; shown.len()];
    let top = shown.iter().fold(0.0f64, |a, (_, pct)| a.max(pct.abs()));
    // A symmetric axis, in steps of 5 points, so the zero line sits in the middle.
    let bound = ((top / 5.0).ceil() * 5.0).max(5.0);
    let mut out = format!(
        "\n```mermaid\nxychart-beta\n    title \"{}: median change against the baseline (%)\"\n    \
         x-axis [{}]\n    y-axis \"change (%)\" {} --> {}\n    bar [{}]\n    line [{}]\n```\n",
        chart_label(metric.label()),
        labels.join(", "),
        format_num(-bound),
        format_num(bound),
        values.join(", "),
        zeros.join(", "),
    );
    let more = points.len() - shown.len();
    if more > 0 {
        let s = if more == 1 { "" } else { "s" };
        out.push_str(&format!(
            "\n{more} more scenario{s} left out of the {} chart; see the table above.\n",
            metric.label()
        ));
    }
    out
}

/// Text safe inside a quoted Mermaid label, and inside the fenced block: Mermaid has no
/// escape for `"`, so quotes and backticks become `'`, angle brackets `‹ ›`, line breaks
/// spaces; cut to [`MAX_LABEL_CHARS`].
fn chart_label(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| match c {
            '"' | '`' => '\'',
            '<' => '‹',
            '>' => '›',
            c if c.is_control() => ' ',
            c => c,
        })
        .take(MAX_LABEL_CHARS)
        .collect();
    if text.chars().count() > MAX_LABEL_CHARS {
        out.pop();
        out.push('…');
    }
    out
}

/// The scenarios not run this time, collapsed: one line each (id, bench target, when it
/// ran), within `budget` bytes.
fn not_run_section(not_run: &[ReportInput<'_>], budget: usize) -> String {
    let n = not_run.len();
    let s = if n == 1 { "" } else { "s" };
    let mut out = format!(
        "<details><summary>{n} scenario{s} not run this time (earlier results, not counted above)</summary>\n\n"
    );
    let end = "</details>\n";
    let mut left_out = 0usize;
    for input in not_run {
        let run = input.run;
        let target = run
            .origin
            .as_ref()
            .map_or_else(|| "–".to_string(), |o| cell(&o.bench_target));
        let line = format!(
            "- {} ({target}, ran {})\n",
            cell(&run.scenario.id),
            format_unix_ms(run.started_at_unix_ms)
        );
        // Room for this line, the closing tag and a line counting what is left out.
        if out.len() + line.len() + end.len() + 80 > budget {
            left_out += 1;
        } else {
            out.push_str(&line);
        }
    }
    if left_out > 0 {
        out.push_str(&format!("- … and {left_out} more; see the HTML report.\n"));
    }
    out.push('\n');
    out.push_str(end);
    out
}

/// Appends `part` to `out` when it fits within [`MAX_BYTES`] (with room for the closing
/// lines); a part left out is named, so the reader knows to look at the HTML report.
fn push_within(out: &mut String, part: &str) {
    if part.is_empty() {
        return;
    }
    if out.len() + part.len() + 400 > MAX_BYTES {
        let first = part.lines().find(|l| !l.is_empty()).unwrap_or_default();
        let note = format!(
            "\n{} is left out to fit a PR comment; see the HTML report.\n",
            first.trim_start_matches('#').trim()
        );
        if out.len() + note.len() + 300 <= MAX_BYTES {
            out.push_str(&note);
        }
        return;
    }
    out.push_str(part);
}

/// The load and objectives of each scenario of this run that has them: one list item per
/// scenario (offered and achieved rate, schedule lag), then a client-bound warning, why it
/// stopped, retries, goodput and each objective; empty when no run has any.
fn load_section(inputs: &[ReportInput<'_>]) -> String {
    let items: Vec<String> = inputs
        .iter()
        .filter(|i| has_load_facts(i.run))
        .map(|i| load_item(i.run))
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!("\n### Load and objectives\n\n{}", items.concat())
}

/// One scenario's item of [`load_section`].
fn load_item(run: &crate::store::StoredRun) -> String {
    let head = load_line(run).unwrap_or_else(|| format!("load {}", run.settings.load_label()));
    let mut out = format!("- **{}**: {}\n", cell(&run.scenario.id), cell(&head));
    let mut sub = |text: String| out.push_str(&format!("  - {text}\n"));
    if let Some(bound) = client_bound(run) {
        sub(format!(
            "⚠️ **client-bound**: {}",
            cell(&client_bound_text(bound))
        ));
    }
    if let Some(reason) = stop_words(run.stop_reason) {
        sub(format!("stopped: {reason}"));
    }
    if let Some(retries) = run.load.as_ref().and_then(retries_text) {
        sub(format!("retries: {}", cell(&retries)));
    }
    if let Some(slo) = &run.slo {
        sub(format!("goodput: {}", cell(&goodput_text(slo))));
        for o in &slo.objectives {
            sub(format!("SLO {}", cell(&objective_text(o))));
        }
    }
    out
}

/// A sweep's table, like the console's: one row per step (a search's probes in the order
/// they ran), the knee marked, then the knee or the search's answer.
fn sweep_section(sweep: &crate::store::StoredSweep) -> String {
    let with_slo = has_objectives(sweep);
    let mut out = format!(
        "\n### {}\n\n| {} | req/s | TTFT p50 | TTFT p99 | TPOT p50 | TPOT p99 | errors |{} |\n\
         |--:|--:|--:|--:|--:|--:|--:|{}---|\n",
        cell(&title(sweep)),
        cell(&sweep.dimension),
        if with_slo { " goodput | SLO |" } else { "" },
        if with_slo { "--:|---|" } else { "" },
    );
    let ms = |v: Option<f64>| v.map_or_else(|| "–".to_string(), format_ms);
    for step in &sweep.steps {
        let mut notes = Vec::new();
        if is_knee(sweep, step) {
            notes.push("**← knee**");
        }
        if step.client_bound {
            notes.push("client-bound");
        }
        let slo = if with_slo {
            format!(
                " {} | {} |",
                step.goodput_rps.map_or_else(|| "–".into(), format_num),
                step.slo_met.map_or("–", met_word)
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |{slo} {} |\n",
            format_num(step.value),
            format_num(step.throughput_rps),
            ms(step.ttft_p50_ns),
            ms(step.ttft_p99_ns),
            ms(step.tpot_p50_ns),
            ms(step.tpot_p99_ns),
            format_share(step.error_rate),
            notes.join(", "),
        ));
    }
    if let Some(answer) = search_answer(sweep) {
        out.push_str(&format!("\n**{}**\n", cell(&capitalized(&answer))));
    }
    if let Some(knee) = knee_text(sweep) {
        out.push_str(&format!("\n{}.\n", cell(&capitalized(&knee))));
    }
    out
}

/// A scenario id as inline code (`` `models/small` ``); escaped as a table cell instead
/// when it holds a character a code span cannot (a backtick, `|`, a control character).
fn code(id: &str) -> String {
    if id.is_empty() || id.chars().any(|c| c == '`' || c == '|' || c.is_control()) {
        cell(id)
    } else {
        format!("`{id}`")
    }
}

/// A head-to-head record's section: a heading naming its scenarios, how its rounds ran,
/// one table row per compared metric (the reference's p50, then each other scenario's p50
/// with its paired change against the reference, the interval and the verdict read as
/// slower or faster), and per scenario what its pairs say.
fn head_to_head_section(h: &ReportHeadToHead) -> String {
    let reference = code(h.reference());
    let others: Vec<String> = h.contenders.iter().map(|c| code(&c.id)).collect();
    let mut out = format!(
        "\n### Head to head: {reference} vs {}\n\n{}, requests interleaved ({}); each \
         scenario compared in pairs with {reference}.\n\n| metric | {reference} p50 |",
        others.join(", "),
        rounds_text(h.record.rounds),
        cell(&order_text(&h.record.order)),
    );
    for other in &others {
        out.push_str(&format!(" {other} p50 · vs {reference} |"));
    }
    out.push_str("\n|---|--:|");
    out.push_str(&"---|".repeat(others.len()));
    out.push('\n');
    for row in &h.rows {
        out.push_str(&format!(
            "| {} | {} |",
            row.metric.label(),
            value_text(row.metric, row.reference)
        ));
        for c in &row.cells {
            let median = value_text(row.metric, c.median);
            match &c.change {
                Some(m) => out.push_str(&format!(
                    " {median} · {} {} |",
                    change_with_interval(m),
                    cell(&standing_text(m))
                )),
                None => out.push_str(&format!(" {median} |")),
            }
        }
        out.push('\n');
    }
    let mut notes = String::new();
    for (contender, name) in h.contenders.iter().zip(&others) {
        let pairs = pairings(contender, name);
        if !pairs.is_empty() {
            notes.push_str(&format!("- {name}: {}\n", pairs.join("; ")));
        } else if contender.comparison.is_none() {
            notes.push_str(&format!("- {name}: not compared\n"));
        }
    }
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

/// `text` with its first letter upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Writes the summary to `path` (normally `<store root>/report/summary.md`: the sweeps and
/// the head-to-head records of its runs are read from that root, see [`report_sweeps`] and
/// [`report_head_to_heads`]) and returns it, to pass on to [`append_github_step_summary`].
pub fn write_markdown(path: &Path, report: &ReportSet<'_>) -> Result<String> {
    let (sweeps, head_to_heads) = match path.parent().and_then(store_root_of) {
        Some(root) => (
            report_sweeps(root, report)?,
            report_head_to_heads(root, report),
        ),
        None => (Vec::new(), HeadToHeads::default()),
    };
    let md = render_with_records(report, &sweeps, &head_to_heads);
    write_atomic(path, md.as_bytes())?;
    Ok(md)
}

/// `$GITHUB_STEP_SUMMARY`, when set and not empty.
pub fn github_step_summary_path() -> Option<PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Appends `markdown` to the step summary file at `path` (see [`github_step_summary_path`]);
/// does nothing when `path` is `None`. Returns whether it wrote.
pub fn append_github_step_summary(path: Option<&Path>, markdown: &str) -> Result<bool> {
    let Some(path) = path else {
        return Ok(false);
    };
    let io = |e| Error::io(format!("could not append to {}", path.display()), e);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    let mut text = markdown.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    file.write_all(text.as_bytes()).map_err(io)?;
    Ok(true)
}
