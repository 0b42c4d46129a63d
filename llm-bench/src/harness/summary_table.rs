//! The table printed at the end of a run (comfy-table): one row per scenario and sweep
//! step with its requests, errors, latency medians, throughput and verdict. Box-drawing
//! lines on a terminal, plain ASCII in a log or a pipe; no colours either way.

use comfy_table::{presets, CellAlignment, Table};

use crate::format::{format_duration_ns, format_num};
use crate::harness::gate::Judgement;
use crate::metrics::Metric;
use crate::store::{StoredComparison, StoredRun};

/// One row of the table: what it shows of one run, and its judgement.
#[derive(Debug, Clone)]
pub(crate) struct SummaryRow {
    /// The scenario (or step) id.
    pub id: String,
    /// Measured requests.
    pub requests: usize,
    /// Failed requests.
    pub errors: u64,
    /// TTFT median, in nanoseconds (`None`, as for the other figures: not measured).
    pub ttft_p50_ns: Option<f64>,
    /// TTFT p99, in nanoseconds.
    pub ttft_p99_ns: Option<f64>,
    /// ITL median, in nanoseconds.
    pub itl_p50_ns: Option<f64>,
    /// E2E median, in nanoseconds.
    pub e2e_p50_ns: Option<f64>,
    /// Output tokens per second of the run's wall time.
    pub tokens_per_second: f64,
    /// Requests completed per second of the run's wall time.
    pub requests_per_second: f64,
    /// The change of each gated metric's median against the baseline, in words
    /// (`TTFT +18.7%, TPOT +20.2%`), when the run was compared.
    pub change: Option<String>,
    /// The run's judgement: the table's verdict is the block's verdict word.
    pub judgement: Judgement,
    /// The judgement of the run's thresholds alone, to judge a rewritten comparison with.
    thresholds: Judgement,
}

impl SummaryRow {
    /// The row of `run`, compared as `comparison` says.
    pub(crate) fn of(run: &StoredRun, comparison: Option<&StoredComparison>) -> SummaryRow {
        let stat =
            |m: Metric, p99: bool| run.summary.get(&m).map(|s| if p99 { s.p99 } else { s.p50 });
        let thresholds = Judgement::of_thresholds(run);
        SummaryRow {
            id: run.scenario.id.clone(),
            requests: run.samples.len(),
            errors: run.errors.values().sum(),
            ttft_p50_ns: stat(Metric::Ttft, false),
            ttft_p99_ns: stat(Metric::Ttft, true),
            itl_p50_ns: stat(Metric::Itl, false),
            e2e_p50_ns: stat(Metric::E2e, false),
            tokens_per_second: run.throughput.output_tokens_per_second,
            requests_per_second: run.throughput.requests_per_second,
            change: comparison.map(change_words),
            judgement: match comparison {
                Some(c) => thresholds.compared_with(c),
                None => thresholds.clone(),
            },
            thresholds,
        }
    }

    /// Judges the row's comparison again after the false-discovery control rewrote it.
    pub(crate) fn rejudge(&mut self, comparison: &StoredComparison) {
        self.change = Some(change_words(comparison));
        self.judgement = self.thresholds.compared_with(comparison);
    }
}

/// The gated metrics' changes of the median (every compared metric's when none is gated):
/// `TTFT +18.7%, TPOT +20.2%`.
fn change_words(c: &StoredComparison) -> String {
    let changes: Vec<String> = c
        .metrics
        .iter()
        .filter(|(metric, _)| c.gated.is_empty() || c.gated.contains(metric))
        .map(|(metric, m)| format!("{} {}", metric.label(), percent(m.median_change.point)))
        .collect();
    if changes.is_empty() {
        "-".to_string()
    } else {
        changes.join(", ")
    }
}

/// A relative change with one decimal and its sign: `+18.7%`, `-3.1%`; `+0.0%` for a
/// change that rounds to none, whichever its sign.
fn percent(change: f64) -> String {
    let tenths = (change * 1000.0).round();
    let tenths = if tenths == 0.0 { 0.0 } else { tenths };
    format!("{:+.1}%", tenths / 10.0)
}

/// The table of `rows` (a heading line, then the table), drawn with box-drawing lines when
/// `terminal`, in ASCII otherwise. The `vs baseline` column appears only when some run
/// was compared.
pub(crate) fn summary_table(rows: &[SummaryRow], terminal: bool) -> String {
    let compared = rows.iter().any(|r| r.change.is_some());
    let mut header = vec![
        "scenario",
        "requests",
        "errors",
        "TTFT p50",
        "TTFT p99",
        "ITL p50",
        "E2E p50",
        "run tok/s",
        "run req/s",
    ];
    if compared {
        header.push("vs baseline");
    }
    header.push("verdict");
    let mut table = Table::new();
    table
        .load_preset(if terminal {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_FULL_CONDENSED
        })
        .set_header(header);
    // Numbers right-aligned; the scenario, the change and the verdict left-aligned.
    for column in table.column_iter_mut().skip(1).take(8) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    let duration = |ns: Option<f64>| ns.map_or_else(|| "-".to_string(), format_duration_ns);
    for r in rows {
        let mut cells = vec![
            r.id.clone(),
            r.requests.to_string(),
            r.errors.to_string(),
            duration(r.ttft_p50_ns),
            duration(r.ttft_p99_ns),
            duration(r.itl_p50_ns),
            duration(r.e2e_p50_ns),
            format_num(r.tokens_per_second),
            format_num(r.requests_per_second),
        ];
        if compared {
            cells.push(r.change.clone().unwrap_or_else(|| "-".to_string()));
        }
        cells.push(r.judgement.word().to_string());
        table.add_row(cells);
    }
    let runs = match rows.len() {
        1 => "1 run".to_string(),
        n => format!("{n} runs"),
    };
    format!("llm-bench: results of {runs}:\n{table}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Summary;
    use crate::report::tests::common::{paired_stored_comparison, run};
    use crate::stats::Verdict;

    /// A run of `id` with round figures: TTFT p50 50 ms, p99 80 ms, ITL p50 10 ms, E2E p50
    /// 250 ms, 80 tokens/s, 4 requests/s.
    fn round_run(id: &str, failed: &[u32]) -> StoredRun {
        let mut r = run(id, 20, 50, failed);
        let set = |r: &mut StoredRun, m: Metric, p50: f64, p99: f64| {
            let s: &mut Summary = r.summary.get_mut(&m).expect("measured");
            s.p50 = p50;
            s.p99 = p99;
        };
        set(&mut r, Metric::Ttft, 50e6, 80e6);
        set(&mut r, Metric::Itl, 10e6, 12e6);
        set(&mut r, Metric::E2e, 250e6, 300e6);
        r.throughput.output_tokens_per_second = 80.0;
        r.throughput.requests_per_second = 4.0;
        r
    }

    #[test]
    fn one_ascii_row_per_run_with_its_figures_and_verdict() {
        let rows = [
            SummaryRow::of(&round_run("chat/short", &[]), None),
            SummaryRow::of(&round_run("chat/long/rate-4", &[3, 7]), None),
        ];
        let text = summary_table(&rows, false);
        let expected = "\
llm-bench: results of 2 runs:
+------------------+----------+--------+----------+----------+----------+----------+-----------+-----------+--------------+
| scenario         | requests | errors | TTFT p50 | TTFT p99 |  ITL p50 |  E2E p50 | run tok/s | run req/s | verdict      |
+=========================================================================================================================+
| chat/short       |       20 |      0 | 50.00 ms | 80.00 ms | 10.00 ms | 250.0 ms |      80.0 |      4.00 | not compared |
| chat/long/rate-4 |       20 |      2 | 50.00 ms | 80.00 ms | 10.00 ms | 250.0 ms |      80.0 |      4.00 | not compared |
+------------------+----------+--------+----------+----------+----------+----------+-----------+-----------+--------------+";
        assert_eq!(text, expected, "\n{text}");
        assert!(text.is_ascii(), "plain ASCII in a log");
    }

    #[test]
    fn a_terminal_gets_box_lines_and_a_compared_run_its_change() {
        let cmp = paired_stored_comparison("chat/short", "../main-build");
        let rows = [
            SummaryRow::of(&round_run("chat/short", &[]), Some(&cmp)),
            SummaryRow::of(&round_run("chat/other", &[]), None),
        ];
        let text = summary_table(&rows, true);
        println!("{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].starts_with('┌'), "{text}");
        assert!(lines[2].contains("┆ vs baseline "), "{text}");
        let compared = lines
            .iter()
            .find(|l| l.contains("chat/short"))
            .expect("its row");
        assert!(
            compared.contains(&format!("┆ {} ", rows[0].judgement.word())),
            "{compared}"
        );
        assert!(compared.contains("TTFT +12.0%"), "{compared}");
        let other = lines
            .iter()
            .find(|l| l.contains("chat/other"))
            .expect("its row");
        assert!(other.contains("┆ -  "), "no change to show: {other}");
        assert!(other.ends_with("┆ not compared │"), "{other}");
    }

    #[test]
    fn a_change_has_its_sign_and_none_is_plus_zero() {
        assert_eq!(percent(0.187), "+18.7%");
        assert_eq!(percent(-0.0312), "-3.1%");
        assert_eq!(percent(-0.0001), "+0.0%");
    }

    #[test]
    fn the_verdict_follows_the_rewritten_comparison() {
        let mut cmp = paired_stored_comparison("chat/short", "../main-build");
        let mut row = SummaryRow::of(&round_run("chat/short", &[]), Some(&cmp));
        let ttft = cmp.metrics.get_mut(&Metric::Ttft).expect("compared");
        ttft.verdict = Verdict::Regressed;
        cmp.gated = vec![Metric::Ttft];
        row.rejudge(&cmp);
        assert_eq!(row.judgement.word(), "REGRESSED");
        ttft_to(&mut cmp, Verdict::NoChange);
        row.rejudge(&cmp);
        assert_eq!(row.judgement.word(), "no change");
    }

    fn ttft_to(cmp: &mut StoredComparison, verdict: Verdict) {
        if let Some(m) = cmp.metrics.get_mut(&Metric::Ttft) {
            m.verdict = verdict;
        }
    }
}
