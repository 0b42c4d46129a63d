//! The Markdown summary: a headline, one table row per scenario of this run, the load and
//! objectives of the runs that have them, a table per sweep, and a collapsed list of the
//! scenarios not run this time, sized for a PR comment and for `$GITHUB_STEP_SUMMARY`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::load::{
    client_bound, client_bound_text, goodput_text, has_load_facts, load_line, met_word,
    objective_text, retries_text, stop_words,
};
use super::sweeps::{
    has_objectives, is_knee, knee_text, report_sweeps, search_answer, store_root_of, title,
    ReportSweep,
};
use super::{headline, scenario_verdict, ChangeStatus, ReportInput, ReportSet, Result};
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
/// naming the baselines. No sweep tables: [`write_markdown`] reads those from the store.
pub fn render_markdown(report: &ReportSet<'_>) -> String {
    render_with_sweeps(report, &[])
}

/// [`render_markdown`] with a table per sweep of `sweeps` run this time, after the load
/// part.
pub(crate) fn render_with_sweeps(report: &ReportSet<'_>, sweeps: &[ReportSweep]) -> String {
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
    push_within(&mut out, &load_section(inputs));
    for s in sweeps.iter().filter(|s| !s.not_run) {
        push_within(&mut out, &sweep_section(&s.sweep));
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
            let parts: Vec<String> = c
                .deciding()
                .map(|m| format!("{} {}", m.metric.label(), format_percent(m.median_change)))
                .collect();
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

/// `text` with its first letter upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Writes the summary to `path` (normally `<store root>/report/summary.md`: the sweeps of
/// its runs are read from that root, see [`report_sweeps`]) and returns it, to pass on to
/// [`append_github_step_summary`].
pub fn write_markdown(path: &Path, report: &ReportSet<'_>) -> Result<String> {
    let sweeps = match path.parent().and_then(store_root_of) {
        Some(root) => report_sweeps(root, report)?,
        None => Vec::new(),
    };
    let md = render_with_sweeps(report, &sweeps);
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
