//! Console output: a compact, criterion-like block per scenario.

use std::fmt::Write as _;

use comfy_table::{presets, CellAlignment, ColumnConstraint, Table, Width};

use crate::error::shorten;
use crate::format::{format_console_num, format_duration_ns, format_share};
use crate::metrics::{Metric, Summary, TokenAccounting};
use crate::stats::{Estimate, StatsConfig, Verdict};
use crate::store::{StopReason, StoredComparison, StoredHeadToHead, StoredRun, ThresholdOutcome};

fn format_value(metric: Metric, v: f64) -> String {
    if metric.is_duration() {
        format_duration_ns(v)
    } else {
        format_console_num(v)
    }
}

/// The block printed after a scenario ran: what was measured, the distribution of each
/// metric, the median with its interval, and the change against the baseline.
pub(crate) fn scenario_block(
    run: &StoredRun,
    comparison: Option<&StoredComparison>,
    stats: &StatsConfig,
) -> String {
    let mut out = String::new();
    let failed: u64 = run.errors.values().sum();
    let _ = writeln!(out, "{}", run.scenario.id);
    let _ = writeln!(
        out,
        "  {} samples, {} failed, {}, {} @ {}, {}{}",
        run.samples.len(),
        failed,
        run.settings.load_label(),
        run.endpoint
            .model
            .as_deref()
            .unwrap_or("(model of the request)"),
        run.endpoint.host,
        format_duration_ns(run.wall_time_ns as f64),
        if run.interrupted {
            " (interrupted)"
        } else if run.stopped_early.is_some() {
            " (stopped early)"
        } else {
            ""
        }
    );
    if run.summary.is_empty() {
        let _ = writeln!(out, "  no successful request: nothing to summarise");
    } else {
        out.push_str(&figures_table(run));
    }
    if let Some(line) = tokens_line(run) {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(groups) = crate::report::connections::connection_groups(run) {
        for group in &groups {
            let _ = writeln!(out, "  {}", crate::report::connections::group_text(group));
        }
    }
    out.push_str(&load_lines(run));
    out.push_str(&estimate_lines(run, comparison, stats));
    out.push_str(&slo_lines(run));
    for t in &run.thresholds {
        let outcome = match t.outcome {
            ThresholdOutcome::Passed => "passed",
            ThresholdOutcome::Breached => "BREACHED",
            _ => "no data",
        };
        let _ = writeln!(
            out,
            "  threshold `{}`: {}, {outcome}",
            t.threshold, t.observed_text
        );
    }
    for (class, n) in &run.errors {
        let example = run
            .samples
            .iter()
            .filter_map(|s| s.error.as_ref())
            .find(|e| e.class == *class)
            .map(|e| match e.when() {
                Some(when) => format!("{when}: {}", e.message),
                None => e.message.clone(),
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  errors {class}: {n} (e.g. {})",
            shorten(&example, 160)
        );
    }
    out
}

/// Why the run stopped (unless every sample ran), how the load was delivered (open loop),
/// retries, and a client-bound warning.
fn load_lines(run: &StoredRun) -> String {
    let mut out = String::new();
    if let Some(reason) = run.stop_reason.and_then(stop_words) {
        let _ = writeln!(out, "  stopped: {reason}");
    }
    let Some(load) = &run.load else {
        return out;
    };
    if let Some(target) = load.target_rate {
        let mut line = format!(
            "  load: {}/s offered, {}/s achieved, {} in flight at most",
            format_console_num(target),
            format_console_num(load.achieved_rate),
            load.peak_in_flight
        );
        if let Some(lag) = &load.schedule_lag {
            let _ = write!(
                line,
                ", schedule lag p50 {} p99 {}",
                format_duration_ns(lag.p50),
                format_duration_ns(lag.p99)
            );
        }
        let _ = writeln!(out, "{line}");
    }
    if load.retries > 0 {
        let _ = writeln!(
            out,
            "  retries: {} attempts retried (429, 5xx, refused); their time is not in the latencies",
            load.retries
        );
    }
    if let Some(bound) = &load.client_bound {
        let _ = writeln!(
            out,
            "  CLIENT-BOUND: {} p99 {} is above {} (the larger of 1 ms and 1% of the median TTFT): these latencies include llm-bench's own delay, not only the endpoint's",
            bound.what,
            format_duration_ns(bound.p99_ns),
            format_duration_ns(bound.limit_ns)
        );
    }
    out
}

/// Why a run stopped, in words, when it was not after its last sample (`None` then).
fn stop_words(reason: StopReason) -> Option<&'static str> {
    Some(match reason {
        StopReason::Duration => "its duration elapsed",
        StopReason::OutputTokens => "its output-token budget was spent",
        StopReason::Precision => "the median was known as precisely as asked (until)",
        StopReason::Cost => "the cost budget (--max-cost) was spent",
        StopReason::Failures => "too many failures (below)",
        StopReason::Interrupted => "interrupted",
        _ => return None,
    })
}

/// Each objective's attainment and the run's goodput.
fn slo_lines(run: &StoredRun) -> String {
    let mut out = String::new();
    let Some(slo) = &run.slo else {
        return out;
    };
    for o in &slo.objectives {
        let _ = writeln!(
            out,
            "  SLO `{}`: {} of requests within ({} asked), observed {}, {}",
            o.objective,
            format_share(o.attained),
            format_share(o.required),
            o.observed_ns
                .map_or("- (a failed request)".to_string(), format_duration_ns),
            if o.met { "met" } else { "MISSED" }
        );
    }
    let _ = writeln!(
        out,
        "  goodput: {} good requests/s, {} of {} requests good",
        format_console_num(slo.goodput_rps),
        slo.good_requests,
        slo.requests
    );
    out
}

/// Criterion-style lines: `TTFT  median [lo est hi]`, and against a baseline
/// `change [lo est hi] (p = ..) verdict`.
fn estimate_lines(
    run: &StoredRun,
    comparison: Option<&StoredComparison>,
    stats: &StatsConfig,
) -> String {
    let mut out = String::new();
    if run.estimates.is_empty() {
        return out;
    }
    let level = (stats.confidence_level * 100.0).round();
    match comparison {
        Some(c) if c.metrics.values().any(|m| m.paired.is_some()) => {
            let _ = writeln!(
                out,
                "  median [{level}% CI], change vs build `{}`, paired (median of per-pair ratios) [{level}% CI]:",
                c.baseline
            );
        }
        Some(c) => {
            let _ = writeln!(
                out,
                "  median [{level}% CI], change vs baseline `{}` [{level}% CI]:",
                c.baseline
            );
        }
        None => {
            let _ = writeln!(out, "  median [{level}% CI]:");
        }
    }
    let mut adjusted = false;
    for (metric, e) in &run.estimates {
        let mut line = format!("  {:<9}{}", metric.label(), bracket(*metric, &e.median));
        if let Some(change) = comparison.and_then(|c| c.metrics.get(metric)) {
            let gated = comparison.is_some_and(|c| c.gated.contains(metric));
            let q = change
                .p_adjusted
                .map_or_else(String::new, |q| format!(" (FDR-adjusted {})", p_value(q)));
            adjusted |= change.p_adjusted.is_some();
            let _ = write!(
                line,
                "  change {}  p = {}{q}  {}{}",
                change_bracket(&change.median_change),
                p_value(change.p_value),
                verdict_words(&change.verdict),
                if gated { " (gated)" } else { "" }
            );
            if let Some(pairing) = &change.paired {
                let _ = write!(
                    line,
                    "\n  {:<9}{}",
                    "",
                    crate::report::pairing_text(*metric, pairing)
                );
            }
        }
        let _ = writeln!(out, "{line}");
    }
    if adjusted {
        let _ = writeln!(
            out,
            "  FDR-adjusted: Benjamini-Hochberg over the run's gated comparisons; a gated metric regresses only when it is below {}",
            stats.significance_level
        );
    }
    out
}

/// The head-to-head block of `--interleave`: for each scenario after the reference, per
/// metric, the reference's median beside its own and the paired change with its interval,
/// p-value and verdict. `runs` are the interleaved scenarios' runs.
pub(crate) fn head_to_head_block(record: &StoredHeadToHead, runs: &[StoredRun]) -> String {
    let mut out = String::new();
    let reference = record.reference();
    let run_of = |id: &str| runs.iter().find(|r| r.scenario.id == id);
    let median = |run: Option<&StoredRun>, metric: Metric| {
        run.and_then(|r| r.estimates.get(&metric))
            .map_or_else(|| "–".to_string(), |e| format_value(metric, e.median.point))
    };
    let _ = writeln!(
        out,
        "head to head over {} rounds: each scenario against `{reference}`, in pairs (change = median of per-round ratios):",
        record.rounds
    );
    for c in &record.comparisons {
        let _ = writeln!(out, "  `{}` vs `{reference}`:", c.scenario);
        for (metric, change) in &c.metrics {
            let mut line = format!(
                "    {:<9}{:>10} vs {:>10}  change {}  p = {}  {}",
                metric.label(),
                median(run_of(&c.scenario), *metric),
                median(run_of(reference), *metric),
                change_bracket(&change.median_change),
                p_value(change.p_value),
                head_to_head_words(*metric, &change.verdict),
            );
            if let Some(pairing) = &change.paired {
                let larger = if metric.is_duration() {
                    "slower"
                } else {
                    "higher"
                };
                let _ = write!(
                    line,
                    " ({larger} in {} of {} rounds)",
                    format_share(pairing.share_new_larger),
                    pairing.pairs
                );
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// A head-to-head verdict in words: `slower`/`faster` for a duration, `lower`/`higher`
/// for tokens per second and counts, than the reference.
fn head_to_head_words(metric: Metric, v: &Verdict) -> String {
    let (worse, better) = if metric.is_duration() {
        ("slower", "faster")
    } else {
        ("lower", "higher")
    };
    match v {
        Verdict::Regressed => worse.to_string(),
        Verdict::Improved => better.to_string(),
        Verdict::NoChange => "no change".to_string(),
        Verdict::Inconclusive(reason) => format!("inconclusive: {reason}"),
    }
}

/// A p-value as the console prints it: four decimals, as criterion does.
fn p_value(p: f64) -> String {
    format!("{p:.4}")
}

fn bracket(metric: Metric, e: &Estimate) -> String {
    let point = format_value(metric, e.point);
    match e.interval {
        Some(i) => format!(
            "[{} {} {}]",
            format_value(metric, i.lower),
            point,
            format_value(metric, i.upper)
        ),
        None => format!("[{point}] (too few samples for an interval)"),
    }
}

fn percent(x: f64) -> String {
    format!("{:+.2}%", x * 100.0)
}

fn change_bracket(e: &Estimate) -> String {
    match e.interval {
        Some(i) => format!(
            "[{} {} {}]",
            percent(i.lower),
            percent(e.point),
            percent(i.upper)
        ),
        None => format!("[{}]", percent(e.point)),
    }
}

/// The verdict as criterion words it.
fn verdict_words(v: &Verdict) -> String {
    match v {
        Verdict::Improved => "Improved".into(),
        Verdict::Regressed => "Regressed".into(),
        Verdict::NoChange => "No change".into(),
        Verdict::Inconclusive(reason) => format!("Inconclusive: {reason}"),
    }
}

/// The figures table: per metric (and per span, timed as E2E is) count, mean, p50, p90,
/// p99 and max, numbers right-aligned, indented as the rest of the block. The labels' column
/// is 9 wide or one more than the longest label, the count's 7 and the others 12: wider
/// only for a longer figure.
fn figures_table(run: &StoredRun) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_header(["", "count", "mean", "p50", "p90", "p99", "max"]);
    for (i, column) in table.column_iter_mut().enumerate() {
        let (padding, width, alignment) = match i {
            0 => ((0, 1), 9, CellAlignment::Left),
            1 => ((0, 0), 7, CellAlignment::Right),
            _ => ((0, 0), 12, CellAlignment::Right),
        };
        column
            .set_padding(padding)
            .set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)))
            .set_cell_alignment(alignment);
    }
    let row = |label: String, metric: Metric, s: &Summary| {
        vec![
            label,
            s.count.to_string(),
            format_value(metric, s.mean),
            format_value(metric, s.p50),
            format_value(metric, s.p90),
            format_value(metric, s.p99),
            format_value(metric, s.max),
        ]
    };
    for (metric, s) in &run.summary {
        table.add_row(row(metric.label().to_string(), *metric, s));
    }
    for (name, s) in &run.spans {
        table.add_row(row(format!("span {name}"), Metric::E2e, s));
    }
    let mut out = String::new();
    for line in table.lines() {
        let _ = writeln!(out, "  {}", line.trim_end());
    }
    out
}

fn tokens_line(run: &StoredRun) -> Option<String> {
    let tokens = TokenAccounting::of(&run.samples)?;
    let tokenizer = run.settings.tokenizer.as_str();
    let mut line = format!(
        "output tokens: {}; run throughput {:.1} tokens/s, {:.2} requests/s",
        tokens.summary(tokenizer),
        run.throughput.output_tokens_per_second,
        run.throughput.requests_per_second
    );
    if let Some(comparison) = tokens.usage_vs_count(tokenizer) {
        let _ = write!(line, "\n  {comparison}");
    }
    if let Some(cost) = run.cost_usd.filter(|c| *c > 0.0) {
        let per = cost / run.samples.len().max(1) as f64;
        let _ = write!(line, "\n  cost: ${cost:.6} in all, ${per:.6} per request");
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::scenario_block;
    use crate::report::tests::common::{paired_stored_comparison, run};
    use crate::stats::StatsConfig;

    #[test]
    fn a_paired_adjusted_comparison_shows_its_pairs_and_the_adjusted_p() {
        let r = run("chat/short turn", 24, 100, &[5]);
        let cmp = paired_stored_comparison("chat/short turn", "../main-build");
        let block = scenario_block(&r, Some(&cmp), &StatsConfig::default());
        println!("{block}");
        let lines: Vec<&str> = block.lines().collect();
        let at = |prefix: &str| {
            lines
                .iter()
                .position(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} in\n{block}"))
        };
        assert_eq!(
            lines[at("  median [95% CI]")],
            "  median [95% CI], change vs build `../main-build`, paired (median of per-pair ratios) [95% CI]:"
        );
        let ttft = at("  TTFT     [");
        assert!(
            lines[ttft].ends_with(
                "  change [+9.00% +12.00% +15.00%]  p = 0.0040 (FDR-adjusted 0.0310)  Regressed (gated)"
            ),
            "{}",
            lines[ttft]
        );
        assert_eq!(
            lines[ttft + 1],
            "           100 pairs, the new build slower in 63.0% of them"
        );
        let e2e = at("  E2E      [");
        assert!(lines[e2e].contains("p = 0.2000 (FDR-adjusted 0.4100)  No change (gated)"));
        assert_eq!(
            lines[e2e + 1],
            "           100 pairs, the new build slower in 45.0% of them"
        );
        let tps = at("  tokens/s [");
        assert!(
            lines[tps].ends_with("p = 0.5000  No change"),
            "not gated, not adjusted: {}",
            lines[tps]
        );
        assert_eq!(
            lines[tps + 1],
            "           100 pairs, the new build higher in 52.0% of them"
        );
        assert_eq!(
            block.matches("Benjamini-Hochberg").count(),
            1,
            "explained once:\n{block}"
        );
        assert!(block.contains(
            "  FDR-adjusted: Benjamini-Hochberg over the run's gated comparisons; a gated metric regresses only when it is below 0.01\n"
        ));
    }

    #[test]
    fn an_unpaired_comparison_reads_as_before() {
        let r = run("chat/short turn", 24, 100, &[5]);
        let mut cmp = paired_stored_comparison("chat/short turn", "main");
        for c in cmp.metrics.values_mut() {
            c.paired = None;
            c.p_adjusted = None;
        }
        let block = scenario_block(&r, Some(&cmp), &StatsConfig::default());
        assert!(block.contains("  median [95% CI], change vs baseline `main` [95% CI]:\n"));
        assert!(
            block.contains("  change [+9.00% +12.00% +15.00%]  p = 0.0040  Regressed (gated)\n")
        );
        for absent in ["pairs", "paired", "FDR"] {
            assert!(!block.contains(absent), "{absent:?} in\n{block}");
        }
    }

    /// The figures table as it was aligned by hand before comfy-table drew it: the
    /// README's and docs/report.md's layout.
    fn by_hand(run: &crate::store::StoredRun) -> String {
        use crate::metrics::{Metric, Summary};
        let spans: Vec<(String, &Summary)> = run
            .spans
            .iter()
            .map(|(name, s)| (format!("span {name}"), s))
            .collect();
        let width = spans
            .iter()
            .map(|(l, _)| l.chars().count() + 1)
            .fold(9, usize::max);
        let v = super::format_value;
        let row = |label: &str, m: Metric, s: &Summary| {
            format!(
                "  {label:<width$}{:>7}{:>12}{:>12}{:>12}{:>12}{:>12}\n",
                s.count,
                v(m, s.mean),
                v(m, s.p50),
                v(m, s.p90),
                v(m, s.p99),
                v(m, s.max)
            )
        };
        let mut out = format!(
            "  {:<width$}{:>7}{:>12}{:>12}{:>12}{:>12}{:>12}\n",
            "", "count", "mean", "p50", "p90", "p99", "max"
        );
        for (m, s) in &run.summary {
            out.push_str(&row(m.label(), *m, s));
        }
        for (label, s) in &spans {
            out.push_str(&row(label, Metric::E2e, s));
        }
        out
    }

    #[test]
    fn the_figures_table_keeps_its_columns_with_and_without_spans() {
        let mut r = run("chat/short", 20, 50, &[]);
        let table = super::figures_table(&r);
        println!("{table}");
        assert_eq!(table, by_hand(&r));
        let ttft = table.lines().find(|l| l.starts_with("  TTFT ")).unwrap();
        assert!(ttft.starts_with("  TTFT          20 "), "{ttft}");

        // A long span label widens the labels' column, every row alike.
        let e2e = r.summary[&crate::metrics::Metric::E2e];
        r.spans.insert("retrieval and reranking".into(), e2e);
        let table = super::figures_table(&r);
        println!("{table}");
        assert_eq!(table, by_hand(&r));
        assert!(
            table.contains("\n  span retrieval and reranking      20 "),
            "{table}"
        );
    }
}
