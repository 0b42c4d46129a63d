//! The Markdown summary and `$GITHUB_STEP_SUMMARY`.

mod report_common;

use std::fs;

use llm_bench::report::{
    append_github_step_summary, render_markdown, write_markdown, ReportInput, SUMMARY_FILE,
};
use report_common::{regressed_comparison, run, EVIL};

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
    let md = render_markdown(&inputs);
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
    let md = render_markdown(&inputs);
    assert!(md.len() <= 62_000, "{}", md.len());
    assert!(md.contains("more scenarios are left out to fit a PR comment"));
}

#[test]
fn written_and_appended_to_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let r = run("x", 3, 10, &[]);
    let md = write_markdown(&dir.path().join(SUMMARY_FILE), &[ReportInput::new(&r)]).unwrap();
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
