//! Load, objectives and sweeps in the reports: the client-bound banner, goodput and the
//! achieved against target rate on a run's page, a sweep's page with its latency–throughput
//! charts, the summary's load lines and sweep tables, and the exports' goodput.

#[cfg(feature = "html-report")]
use std::fs;
use std::path::Path;
#[cfg(feature = "html-report")]
use std::path::PathBuf;

use serde_json::Value;

use super::common::{open_loop_run, run, search, sweep, sweep_runs};
use crate::export::exporter;
use crate::report::{render_markdown, write_markdown, ReportInput, ReportSet, SUMMARY_FILE};
use crate::store::{save_sweep, StoredRun};

/// A store root holding the sweep of `chat` and the search of `find`; returns the runs the
/// report shows: the open-loop run, a plain run, and every step of both.
fn store_with_sweeps(root: &Path) -> Vec<StoredRun> {
    save_sweep(root, &sweep("chat")).unwrap();
    save_sweep(root, &search("find")).unwrap();
    // A sweep none of whose steps is in the report stays out of it.
    save_sweep(root, &sweep("gone")).unwrap();
    let mut runs = vec![open_loop_run("open/steady"), run("plain", 6, 20, &[])];
    runs.extend(sweep_runs("chat"));
    runs.extend(search("find").steps.iter().map(|s| run(&s.id, 6, 20, &[])));
    runs
}

fn inputs(runs: &[StoredRun]) -> Vec<ReportInput<'_>> {
    runs.iter().map(ReportInput::new).collect()
}

#[cfg(feature = "html-report")]
mod html {
    use super::*;
    use crate::report::tests::common::options;
    use crate::report::{write_html, ReportFiles};

    fn write(root: &Path, runs: &[StoredRun], plots: bool) -> ReportFiles {
        let inputs = inputs(runs);
        write_html(
            &root.join("report"),
            &ReportSet::new(&inputs),
            &options(plots),
        )
        .unwrap()
    }

    fn read(path: &PathBuf) -> String {
        fs::read_to_string(path).unwrap().replace("&#x2F;", "/")
    }

    #[test]
    fn an_open_loop_page_shows_the_load_goodput_and_the_client_bound_banner() {
        let home = tempfile::tempdir().unwrap();
        let runs = store_with_sweeps(home.path());
        let files = write(home.path(), &runs, true);
        let page = read(&files.pages[0]);
        for needle in [
            "id=\"client-bound\"",
            "CLIENT-BOUND:</strong> schedule lag p99 12.5 ms is above 1.00 ms",
            "<dt>achieved vs target rate</dt><dd>4.00/s offered, 3.90/s achieved (97.5% of offered)</dd>",
            "<dt>peak in flight</dt><dd>3</dd>",
            "<dt>load</dt><dd>poisson 4.00/s</dd>",
            "<dt>stopped</dt><dd>its duration elapsed</dd>",
            "<dt>retries</dt><dd>2 attempts retried",
            "<dt>schedule lag</dt><dd>p50 ",
            "open loop (poisson 4.00/s, seed 7)",
            "Goodput <strong>3.60 good requests/s</strong>",
            "good fraction <strong>95.8%</strong>",
            "objectives missed",
            "<td><code>p99 ttft &lt;= 500ms</code></td><td class=\"num\">95.8%</td><td class=\"num\">99.0%</td><td class=\"num\">– (a failed request)</td><td class=\"regressed\">missed</td>",
            "<td><code>p50 tpot &lt;= 50ms</code></td><td class=\"num\">95.8%</td><td class=\"num\">50.0%</td><td class=\"num\">10.5 ms</td><td class=\"improved\">met</td>",
            "id=\"chart-schedule-lag\"",
            "schedule lag (ms)",
            "client-bound limit",
        ] {
            assert!(page.contains(needle), "page lacks {needle:?}");
        }
        // A closed-loop run has none of it.
        let plain = read(&files.pages[1]);
        for absent in [
            "id=\"client-bound\"",
            "id=\"load\"",
            "id=\"slo\"",
            "schedule-lag",
        ] {
            assert!(!plain.contains(absent), "plain page has {absent:?}");
        }
        let index = read(&files.index);
        let row = index
            .split("<tr class=\"scenario\">")
            .find(|r| r.contains(">open/steady</a>"))
            .unwrap();
        assert!(row.contains("badge regressed client-bound"), "{row}");
    }

    #[test]
    fn a_sweep_has_a_page_with_its_curves_knee_objective_and_steps() {
        let home = tempfile::tempdir().unwrap();
        let runs = store_with_sweeps(home.path());
        let files = write(home.path(), &runs, true);
        let dir = home.path().join("report");
        assert_eq!(
            files.sweep_pages,
            [
                dir.join("sweep-chat/index.html"),
                dir.join("sweep-find/index.html")
            ]
        );
        let index = read(&files.index);
        let table = &index[index.find("id=\"sweeps\"").expect("a sweeps table")..];
        assert!(table.contains("href=\"sweep-chat/index.html\">rate sweep of chat</a>"));
        assert!(table.contains("knee at rate 100"));
        assert!(table.contains("highest rate meeting p99 ttft &lt;= 500ms: 22.4"));
        assert!(
            !index.contains("of gone"),
            "a sweep without a step in the report"
        );

        let page = read(&files.sweep_pages[0]);
        for needle in [
            "<h1>rate sweep of chat</h1>",
            "knee at rate 100: the last step whose throughput kept up with the load",
            "id=\"chart-sweep-ttft\"",
            "id=\"chart-sweep-tpot\"",
            "achieved throughput (successful requests/s)",
            "<tr class=\"step knee\"><td class=\"num\">3</td><td class=\"num\">100</td><td class=\"num\">99.0</td><td class=\"num\">99.2</td><td class=\"num\">20.7 ms</td><td class=\"num\">24.9 ms</td>",
            "<strong>← knee</strong>",
            "href=\"../chat_rate-100/index.html\">chat/rate-100</a>",
            "<td class=\"regressed\">missed</td>",
            "badge regressed client-bound",
        ] {
            assert!(page.contains(needle), "sweep page lacks {needle:?}");
        }
        // The charts: valid SVG, the knee labelled, the objective drawn on TTFT only.
        let svg = |name: &str| fs::read_to_string(dir.join("sweep-chat").join(name)).unwrap();
        let ttft = svg("sweep-ttft.svg");
        let doc = roxmltree::Document::parse(&ttft).expect("the chart is XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(ttft.contains("knee (rate 100)"), "knee label");
        assert!(
            ttft.contains("objective p99 ttft &lt;= 500ms"),
            "objective line"
        );
        assert!(ttft.contains("TTFT p50") && ttft.contains("TTFT p99"));
        let tpot = svg("sweep-tpot.svg");
        assert!(tpot.contains("knee (rate 100)") && !tpot.contains("objective"));
        assert!(files
            .charts
            .contains(&dir.join("sweep-chat/sweep-ttft.svg")));

        for path in files.sweep_pages.iter().chain(&files.pages[..1]) {
            let html = fs::read_to_string(path).unwrap();
            let bad = crate::report::tests::html::external_references(&html);
            assert!(bad.is_empty(), "{}: {bad:#?}", path.display());
        }
        let search = read(&files.sweep_pages[1]);
        assert!(
            search.contains("<p class=\"headline\" id=\"answer\"><strong>highest rate meeting p99 ttft &lt;= 500ms: 22.4</strong>"),
            "{search}"
        );
        assert!(search.contains("Probes, in the order they ran"));
        let order: Vec<usize> = ["500", "22.4", "106"]
            .iter()
            .map(|v| search.find(&format!("<td class=\"num\">{v}</td>")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "probes in run order");
        assert!(!search.contains("← knee"));
    }

    #[test]
    fn a_stale_sweep_page_is_removed_and_noplot_draws_none() {
        let home = tempfile::tempdir().unwrap();
        let runs = store_with_sweeps(home.path());
        let files = write(home.path(), &runs, false);
        let page = read(&files.sweep_pages[0]);
        assert!(page.contains("Charts were skipped (--noplot)."));
        assert!(!page.contains("<svg"));
        // The sweep pages are the report's own: cleanup keeps them.
        let removed =
            crate::report::remove_stale_pages(&home.path().join("report"), &files).unwrap();
        assert!(removed.is_empty(), "{removed:?}");
        let files = write(home.path(), &runs[..2], false);
        assert!(files.sweep_pages.is_empty());
        let removed =
            crate::report::remove_stale_pages(&home.path().join("report"), &files).unwrap();
        assert!(removed.iter().any(|p| p.ends_with("sweep-chat/index.html")));
    }
}

#[test]
fn the_summary_has_load_goodput_client_bound_lines_and_a_table_per_sweep() {
    let home = tempfile::tempdir().unwrap();
    let runs = store_with_sweeps(home.path());
    let inputs = inputs(&runs);
    let path = home.path().join("report").join(SUMMARY_FILE);
    let md = write_markdown(&path, &ReportSet::new(&inputs)).unwrap();
    for needle in [
        "| open/steady (client-bound) |",
        "### Load and objectives",
        "- **open/steady**: load poisson 4.00/s: 4.00/s offered, 3.90/s achieved (97.5% of offered), 3 in flight at most, schedule lag p50 ",
        "  - ⚠️ **client-bound**: schedule lag p99 12.5 ms is above 1.00 ms",
        "  - stopped: its duration elapsed",
        "  - retries: 2 attempts retried",
        "  - goodput: 3.60 good requests/s; 23 of 24 requests good (95.8%)",
        "  - SLO p99 ttft &lt;= 500ms: 95.8% of requests within (99.0% asked), observed – (a failed request), missed",
        "### rate sweep of chat",
        "| rate | req/s | TTFT p50 | TTFT p99 | TPOT p50 | TPOT p99 | errors | goodput | SLO | |",
        "| 100 | 99.2 | 20.7 ms | 24.9 ms | 2.07 ms | 2.49 ms | 0.0% | 99.2 | met | **← knee** |",
        "| 150 | 104 | 346 ms | 703 ms | 34.6 ms | 70.3 ms | 0.0% | 52.0 | missed | client-bound |",
        "Knee at rate 100: the last step whose throughput kept up with the load.",
        "### rate search of find",
        "**Highest rate meeting p99 ttft &lt;= 500ms: 22.4**",
    ] {
        assert!(md.contains(needle), "summary lacks {needle:?}:\n{md}");
    }
    assert!(!md.contains("of gone"));
    assert_eq!(md.matches("← knee").count(), 1, "a search has no knee");
    // Without a store to read, the load lines stay and the sweep tables go.
    let plain = render_markdown(&ReportSet::new(&inputs));
    assert!(plain.contains("### Load and objectives") && !plain.contains("### rate sweep"));
}

/// The exports of the open-loop run and a plain one.
fn export(name: &str) -> String {
    let open = open_loop_run("open/steady");
    let plain = run("plain", 4, 20, &[]);
    let inputs = [ReportInput::new(&open), ReportInput::new(&plain)];
    exporter(name).unwrap().export(&inputs).unwrap()
}

#[test]
fn exports_carry_goodput_achieved_rate_and_schedule_lag() {
    let bmf: Value = serde_json::from_str(&export("bmf")).unwrap();
    let open = &bmf["open/steady"];
    assert_eq!(open["goodput"]["value"], 3.6);
    assert!((open["good-fraction"]["value"].as_f64().unwrap() - 23.0 / 24.0).abs() < 1e-6);
    assert_eq!(open["achieved-rate"]["value"], 3.9);
    assert!(open["schedule-lag-p99"]["value"].as_f64().unwrap() > 10.0);
    assert!(bmf["plain"].get("goodput").is_none());

    let github: Value = serde_json::from_str(&export("github-bigger")).unwrap();
    let entry = |name: &str| {
        github
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no entry {name}"))
            .clone()
    };
    assert_eq!(entry("open/steady - goodput")["unit"], "good requests/s");
    assert_eq!(entry("open/steady - goodput")["value"], 3.6);
    assert_eq!(entry("open/steady - good fraction")["unit"], "%");
    assert_eq!(entry("open/steady - achieved rate")["unit"], "requests/s");
    let smaller: Value = serde_json::from_str(&export("github")).unwrap();
    assert!(smaller
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "open/steady - schedule lag p99" && e["unit"] == "ms"));

    let csv = export("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 24 + 4);
    assert_eq!(&rows[0][col("goodput_rps")], "3.6");
    assert_eq!(&rows[0][col("achieved_rate")], "3.9");
    assert_eq!(&rows[0][col("target_rate")], "4");
    assert_eq!(&rows[0][col("client_bound")], "true");
    assert_eq!(&rows[1][col("schedule_lag_ms")], "0.720");
    assert_eq!(&rows[3][col("retries")], "2");
    assert_eq!(&rows[24][col("goodput_rps")], "", "the plain run has none");

    let json: Value = serde_json::from_str(&export("json")).unwrap();
    let run = &json["scenarios"][0]["run"];
    assert_eq!(run["slo"]["goodput_rps"], 3.6);
    assert_eq!(run["load"]["client_bound"]["what"], "schedule lag");
    assert_eq!(run["stop_reason"], "duration");
    assert_eq!(run["samples"][1]["schedule_lag_ns"], 720_000);
    assert!(json["scenarios"][1]["run"].get("slo").is_none());
}
