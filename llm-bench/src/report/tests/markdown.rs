//! The Markdown summary and `$GITHUB_STEP_SUMMARY`.

use std::fs;

use super::common::{
    inconclusive_comparison, regressed_comparison, run, stored_by, threshold, EVIL,
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
