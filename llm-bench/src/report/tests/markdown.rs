//! The Markdown summary and `$GITHUB_STEP_SUMMARY`.

use std::fs;

use super::common::{
    inconclusive_comparison, paired_stored_comparison, regressed_comparison, run, stored_by,
    threshold, view_of, EVIL,
};
use crate::report::{
    append_github_step_summary, render_markdown, write_markdown, ReportInput, ReportSet,
    SUMMARY_FILE,
};
use crate::store::ThresholdOutcome;

#[test]
fn one_row_per_scenario_with_change_and_verdict() {
    let a = run("chat/short turn", 24, 100, &[5]);
    let b = run(&format!("pipe|{EVIL}"), 4, 20, &[]);
    let cmp = regressed_comparison("main");
    let inputs = [
        ReportInput {
            run: &a,
            baseline: None,
            comparison: Some(&cmp),
        },
        ReportInput::new(&b),
    ];
    let md = render_markdown(&ReportSet::new(&inputs));
    insta::assert_snapshot!(md.replace(env!("CARGO_PKG_VERSION"), "[version]"));
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 3, "header + 2 rows:\n{md}");
    assert!(rows[1].contains("TTFT +12.0%, E2E +0.4%") && rows[1].contains("regressed"));
    assert!(!rows[1].contains("tokens/s"), "only gated metrics");
    assert!(rows[2].contains("no baseline"));
    // Each row has exactly the header's columns: a `|` in an id is escaped.
    for row in &rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 8, "{row}");
    }
    assert!(!md.contains("<script"), "raw HTML in\n{md}");
    assert!(md.len() < 65_536);
}

#[test]
fn a_long_summary_stays_within_a_pr_comment() {
    let long = "x".repeat(200);
    let runs: Vec<_> = (0..300)
        .map(|i| run(&format!("scenario {i:04} {long}"), 1, 10, &[]))
        .collect();
    let inputs: Vec<_> = runs.iter().map(ReportInput::new).collect();
    let md = render_markdown(&ReportSet::new(&inputs));
    assert!(md.len() <= 62_000, "{}", md.len());
    assert!(md.contains("more scenarios are left out to fit a PR comment"));
}

#[test]
fn written_and_appended_to_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let r = run("x", 3, 10, &[]);
    let md = write_markdown(
        &dir.path().join(SUMMARY_FILE),
        &ReportSet::new(&[ReportInput::new(&r)]),
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("summary.md")).unwrap(),
        md
    );

    let step = dir.path().join("step_summary");
    fs::write(&step, "# earlier step\n").unwrap();
    assert!(append_github_step_summary(Some(&step), &md).unwrap());
    assert!(append_github_step_summary(Some(&step), &md).unwrap());
    let text = fs::read_to_string(&step).unwrap();
    assert!(text.starts_with("# earlier step\n## llm-bench results"));
    assert_eq!(text.matches("## llm-bench results").count(), 2);
    assert!(!append_github_step_summary(None, &md).unwrap());
}

/// Table rows of a summary, header excluded.
fn rows(md: &str) -> Vec<&str> {
    md.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| scenario |"))
        .collect()
}

#[test]
fn older_results_are_listed_apart_and_never_counted() {
    let a = stored_by(run("chat/short turn", 24, 100, &[5]), "now", "latency", 0);
    let b = stored_by(run("embeddings", 4, 20, &[]), "now", "throughput", 0);
    let old = stored_by(run("chat/old", 4, 20, &[]), "earlier", "latency", 3);
    let old_regressed = stored_by(run("chat/older", 4, 20, &[]), "earlier", "latency", 9);
    let cmp = regressed_comparison("main");
    let this_run = [
        ReportInput {
            run: &a,
            baseline: None,
            comparison: Some(&cmp),
        },
        ReportInput::new(&b),
    ];
    let not_run = [
        ReportInput::new(&old),
        ReportInput {
            run: &old_regressed,
            baseline: None,
            comparison: Some(&cmp),
        },
    ];
    let md = render_markdown(&ReportSet {
        this_run: &this_run,
        not_run: &not_run,
        bench_target: None,
    });
    insta::assert_snapshot!(md.replace(env!("CARGO_PKG_VERSION"), "[version]"));
    assert!(md.contains("**1 of 2 scenarios regressed.**"), "{md}");
    let rows = rows(&md);
    assert_eq!(rows.len(), 2, "{md}");
    assert!(rows.iter().all(|r| !r.contains("chat/old")), "{md}");
    let apart = &md[md.find("<details>").unwrap()..md.find("</details>").unwrap()];
    assert!(apart.contains("2 scenarios not run this time"), "{md}");
    assert!(apart.contains("- chat/old (latency, ran 2024-02-26 12:34:56 UTC)"));
    assert!(apart.contains("- chat/older (latency, ran 2024-02-20 12:34:56 UTC)"));
}

#[test]
fn thresholds_decide_verdicts_and_the_headline_counts_them() {
    let mut breached = run("breached", 4, 20, &[]);
    breached.thresholds = vec![
        threshold("p95 ttft < 800ms", "912.0 ms", ThresholdOutcome::Breached),
        threshold("errors < 1%", "0.0%", ThresholdOutcome::Passed),
    ];
    let mut no_data = run("no data", 4, 20, &[0, 1, 2, 3]);
    no_data.thresholds = vec![threshold("p95 ttft < 800ms", "-", ThresholdOutcome::NoData)];
    let mut met = run("met", 4, 20, &[]);
    met.thresholds = vec![threshold(
        "p95 ttft < 800ms",
        "23.0 ms",
        ThresholdOutcome::Passed,
    )];
    let unsure = run("unsure", 4, 20, &[]);
    let cmp = inconclusive_comparison("main");
    let inputs = [
        ReportInput::new(&breached),
        ReportInput::new(&no_data),
        ReportInput::new(&met),
        ReportInput {
            run: &unsure,
            baseline: None,
            comparison: Some(&cmp),
        },
    ];
    let md = render_markdown(&ReportSet::new(&inputs));
    assert!(
        md.contains("**1 of 4 scenarios breached a threshold, 2 inconclusive.**"),
        "{md}"
    );
    let rows = rows(&md);
    assert!(
        rows[0].ends_with("| 🔴 threshold breached: p95 ttft &lt; 800ms (912.0 ms) |"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].ends_with("| 🟡 inconclusive: no data to check p95 ttft &lt; 800ms |"),
        "{}",
        rows[1]
    );
    assert!(rows[2].ends_with("| ⚪ thresholds met |"), "{}", rows[2]);
    assert!(
        rows[3].ends_with("| 🟡 inconclusive: only 3 samples in the baseline (need 10) |"),
        "{}",
        rows[3]
    );
}

#[test]
fn a_bench_targets_section_is_headed_by_its_name() {
    let a = stored_by(run("a", 3, 10, &[]), "now", "latency", 0);
    let md = render_markdown(&ReportSet {
        bench_target: Some("latency"),
        ..ReportSet::new(&[ReportInput::new(&a)])
    });
    assert!(
        md.starts_with(
            "## llm-bench results: latency\n\n**1 scenario ran, none compared with a baseline.**\n"
        ),
        "{md}"
    );
    assert!(!md.contains("<details>"));
    let empty = render_markdown(&ReportSet::default());
    assert!(
        empty.contains("**No scenario ran in this invocation.**"),
        "{empty}"
    );
    assert!(!empty.contains("| scenario |"), "{empty}");
}

/// The Mermaid blocks of a summary, each without its fences.
fn mermaid_blocks(md: &str) -> Vec<&str> {
    md.split("```mermaid\n")
        .skip(1)
        .map(|rest| &rest[..rest.find("\n```").expect("a closed mermaid block")])
        .collect()
}

/// The items of `[a, b, c]` at the end of `line` after `prefix`.
fn bracketed<'a>(line: &'a str, prefix: &str) -> Vec<&'a str> {
    let inner = line
        .trim()
        .strip_prefix(prefix)
        .and_then(|l| l.strip_prefix('['))
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not `{prefix}[...]`: {line}"));
    inner.split(", ").collect()
}

/// Checks a block is an `xychart-beta` bar chart of `names`, one number per name and a
/// zero line, and returns the bars.
fn check_chart(block: &str, names: &[&str]) -> Vec<f64> {
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines[0], "xychart-beta", "{block}");
    let find = |prefix: &str| {
        lines
            .iter()
            .find(|l| l.trim().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {block}"))
    };
    assert!(find("title \"").trim().ends_with('"'), "{block}");
    let labels = bracketed(find("x-axis "), "x-axis ");
    let expected: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    assert_eq!(labels, expected, "{block}");
    assert!(
        labels.iter().all(|l| l.matches('"').count() == 2),
        "{labels:?}"
    );
    let bars: Vec<f64> = bracketed(find("bar "), "bar ")
        .iter()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{v} in {block}")))
        .collect();
    assert_eq!(bars.len(), names.len(), "{block}");
    let zeros = bracketed(find("line "), "line ");
    assert_eq!(zeros, vec!["0"; names.len()], "{block}");
    let axis = find("y-axis ");
    assert!(axis.contains(" --> "), "{axis}");
    bars
}

#[test]
fn paired_and_adjusted_comparisons_are_shown_with_a_chart() {
    let a = run("chat/short turn", 24, 100, &[5]);
    let b = run("embeddings \"v2\"", 12, 20, &[]);
    let c = run("no baseline", 4, 20, &[]);
    let paired = view_of(&paired_stored_comparison(
        "chat/short turn",
        "../main-build",
    ));
    let unpaired = regressed_comparison("main");
    let inputs = [
        ReportInput {
            run: &a,
            baseline: None,
            comparison: Some(&paired),
        },
        ReportInput {
            run: &b,
            baseline: None,
            comparison: Some(&unpaired),
        },
        ReportInput::new(&c),
    ];
    let md = render_markdown(&ReportSet::new(&inputs));
    println!("{md}");
    let rows = rows(&md);
    assert!(
        rows[0].contains(
            "| TTFT +12.0% (paired, p 0.004, q 0.031), E2E −3.1% (paired, p 0.200, q 0.410) |"
        ),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("| TTFT +12.0%, E2E +0.4% |"),
        "{}",
        rows[1]
    );
    assert!(
        md.contains(
            "\nq: the p-value adjusted for the false discovery rate (Benjamini-Hochberg over \
             the 2 gated comparisons of this run); a gated metric is called regressed only \
             when its q is below the significance level.\n"
        ),
        "{md}"
    );
    assert_eq!(md.matches("Benjamini-Hochberg").count(), 1, "one footnote");
    assert!(
        md.contains(
            "- **chat/short turn**: paired with build ../main-build: TTFT 100 pairs, the new \
             build slower in 63.0% of them; E2E 100 pairs, the new build slower in 45.0% of \
             them\n"
        ),
        "{md}"
    );
    assert!(md.contains("the change is the median of per-pair ratios"));
    // The table's cells are unchanged in number.
    for row in md.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(row.replace("\\|", "").matches('|').count(), 8, "{row}");
    }

    // One chart per gated metric (TTFT, E2E), of the two compared scenarios, after the
    // table and the notes.
    let blocks = mermaid_blocks(&md);
    assert_eq!(blocks.len(), 2, "{md}");
    assert!(md.find("```mermaid").unwrap() > md.find("| no baseline |").unwrap());
    let names = ["chat/short turn", "embeddings 'v2'"];
    assert_eq!(check_chart(blocks[0], &names), vec![12.0, 12.0]);
    assert!(blocks[0].contains("title \"TTFT: median change against the baseline (%)\""));
    assert!(blocks[0].contains("y-axis \"change (%)\" -15.0 --> 15.0"));
    assert_eq!(check_chart(blocks[1], &names), vec![-3.1, 0.4]);
    assert!(blocks[1].contains("y-axis \"change (%)\" -5.00 --> 5.00"));
    assert!(
        !md.contains("not charted") && !md.contains("left out"),
        "{md}"
    );
}

#[test]
fn no_chart_and_no_notes_without_a_comparison() {
    let a = run("chat/short turn", 24, 100, &[5]);
    let md = render_markdown(&ReportSet::new(&[ReportInput::new(&a)]));
    assert!(
        !md.contains("```mermaid") && !md.contains("xychart"),
        "{md}"
    );
    assert!(!md.contains("q:") && !md.contains("paired"), "{md}");
    // Compared, but neither paired nor adjusted: a chart, no notes.
    let cmp = regressed_comparison("main");
    let md = render_markdown(&ReportSet::new(&[ReportInput {
        run: &a,
        baseline: None,
        comparison: Some(&cmp),
    }]));
    assert_eq!(mermaid_blocks(&md).len(), 2, "{md}");
    assert!(!md.contains("q:") && !md.contains("paired"), "{md}");
}

#[test]
fn a_chart_holds_twenty_scenarios_and_counts_the_rest() {
    let runs: Vec<_> = (0..23)
        .map(|i| run(&format!("s{i:02} `x` <b>{}", "y".repeat(60)), 1, 10, &[]))
        .collect();
    let cmp = inconclusive_comparison("main");
    let inputs: Vec<_> = runs
        .iter()
        .map(|r| ReportInput {
            run: r,
            baseline: None,
            comparison: Some(&cmp),
        })
        .collect();
    let md = render_markdown(&ReportSet::new(&inputs));
    let blocks = mermaid_blocks(&md);
    assert_eq!(blocks.len(), 1, "{md}");
    let names: Vec<String> = (0..20)
        .map(|i| format!("s{i:02} 'x' ‹b›{}…", "y".repeat(28)))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(check_chart(blocks[0], &names), vec![3.0; 20]);
    assert!(
        md.contains("\n3 more scenarios left out of the TTFT chart; see the table above.\n"),
        "{md}"
    );
    assert!(!md.contains("<b>"), "{md}");
}

#[test]
fn the_chart_stays_within_the_summary_budget() {
    let long = "x".repeat(200);
    let runs: Vec<_> = (0..300)
        .map(|i| run(&format!("scenario {i:04} {long}"), 1, 10, &[]))
        .collect();
    let cmp = view_of(&paired_stored_comparison("any", "main"));
    let inputs: Vec<_> = runs
        .iter()
        .map(|r| ReportInput {
            run: r,
            baseline: None,
            comparison: Some(&cmp),
        })
        .collect();
    let md = render_markdown(&ReportSet::new(&inputs));
    assert!(md.len() <= 60_000, "{}", md.len());
    assert!(md.contains("more scenarios are left out to fit a PR comment"));
    // The rows took the room: no chart, rather than half of one.
    assert!(
        !md.contains("```mermaid") && !md.contains("xychart"),
        "no room for it"
    );

    // However much room the rows leave, the chart is whole or left out and named.
    let mut left_out_named = false;
    for n in (100..=160).step_by(4) {
        let inputs = &inputs[..n];
        let md = render_markdown(&ReportSet::new(inputs));
        assert!(md.len() <= 60_000, "{n}: {}", md.len());
        let blocks = mermaid_blocks(&md);
        let names: Vec<String> = (0..20)
            .map(|i| format!("scenario {i:04} {}…", "x".repeat(25)))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        for block in &blocks {
            check_chart(block, &names);
        }
        left_out_named |=
            blocks.is_empty() && md.contains("Change against the baseline is left out");
    }
    assert!(left_out_named);
}
