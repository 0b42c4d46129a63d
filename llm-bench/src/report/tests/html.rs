//! The HTML report: files, escaping, valid SVG, nothing loaded from the network.

use std::fs;
use std::path::{Path, PathBuf};

use super::common::{
    options, paired_stored_comparison, regressed_comparison, run, stored_by, threshold, view_of,
    EVIL,
};
use crate::report::{write_html, ReportFiles, ReportInput, ReportSet};
use crate::store::ThresholdOutcome;

/// Writes a report of three scenarios (one compared with a baseline, one whose id, model
/// and error messages hold markup) into a fresh directory.
fn write_report(plots: bool) -> (tempfile::TempDir, ReportFiles) {
    let dir = tempfile::tempdir().unwrap();
    let a = run("chat/short turn", 24, 100, &[5, 9]);
    let a_base = run("chat/short turn", 24, 90, &[]);
    let cmp = regressed_comparison("main");
    let mut evil = run(&format!("evil/{EVIL}"), 6, 50, &[1, 2]);
    evil.endpoint.model = Some(format!("model {EVIL}"));
    evil.scenario.description = format!("desc {EVIL}");
    let plain = run("embeddings", 12, 20, &[]);
    let inputs = [
        ReportInput {
            run: &a,
            baseline: Some(&a_base),
            comparison: Some(&cmp),
        },
        ReportInput::new(&evil),
        ReportInput::new(&plain),
    ];
    let files = write_html(dir.path(), &ReportSet::new(&inputs), &options(plots)).unwrap();
    (dir, files)
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn writes_index_and_a_page_per_scenario() {
    let (dir, files) = write_report(true);
    assert_eq!(files.index, dir.path().join("index.html"));
    assert_eq!(files.pages.len(), 3);
    assert_eq!(
        files.pages[0],
        dir.path().join("chat_short_turn").join("index.html")
    );
    assert_eq!(html_files(dir.path()).len(), 4);
    let index = fs::read_to_string(&files.index).unwrap();
    for needle in [
        // Autoescape writes `/` as `&#x2F;`; browsers show it as `/`.
        "chat&#x2F;short turn",
        "embeddings",
        "href=\"chat_short_turn&#x2F;index.html\"",
        "regressed",
        "no baseline",
        "TTFT +12.0%",
        "E2E +0.4%",
        "0123456789abcdef0123456789abcdef01234567",
        "2024-03-01 09:00:00 UTC",
    ] {
        assert!(index.contains(needle), "index lacks {needle:?}");
    }
    let page = fs::read_to_string(&files.pages[0]).unwrap();
    for needle in [
        "Change against baseline main",
        "p-value",
        "&lt; 0.001",
        "inconclusive: only 3 samples in the baseline (need 10)",
        "id=\"chart-ttft\"",
        "id=\"chart-e2e\"",
        "id=\"chart-itl\"",
        "id=\"chart-latency-over-time\"",
        "id=\"chart-token-timelines\"",
        "id=\"chart-errors\"",
        "baseline main (n = 24)",
        "href=\"..&#x2F;index.html\"",
    ] {
        assert!(page.contains(needle), "page lacks {needle:?}");
    }
}

#[test]
fn pages_state_what_was_measured_and_the_definitions() {
    let (_dir, files) = write_report(true);
    let page = fs::read_to_string(&files.pages[2]).unwrap();
    for needle in [
        "127.0.0.1:40123",
        "simulated",
        "sim-model",
        "12 measured requests after 2 warm-up, 1 in flight at once",
        "timeout 30 s",
        "started 2024-02-29 12:34:56 UTC",
        "llm-bench",
        "git commit",
        "0123456789abcdef0123456789abcdef01234567",
        "Metric definitions",
        "(E2E − TTFT) &#x2F; (output_tokens − 1)",
        "start → the first event that carries output of any kind",
        "20.0 per request (6 of 12 from usage, the rest estimated from the text); own count of the streamed text",
    ] {
        assert!(page.contains(needle), "page lacks {needle:?}");
    }
    assert!(!page.contains("api_key") && !page.contains("Bearer"));
}

#[test]
fn text_from_runs_is_escaped() {
    let (dir, _files) = write_report(true);
    for path in html_files(dir.path()) {
        let html = fs::read_to_string(&path).unwrap();
        assert!(
            !html.to_ascii_lowercase().contains("<script"),
            "{} holds a script element",
            path.display()
        );
    }
    let page = fs::read_to_string(
        dir.path()
            .join("evil__script_alert__x____script_/index.html"),
    )
    .unwrap();
    let escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2F;script&gt;";
    assert!(page.contains(&format!("evil&#x2F;{escaped}")), "id");
    assert!(page.contains(&format!("model {escaped}")), "model");
    assert!(page.contains(&format!("desc {escaped}")), "description");
    assert!(
        page.contains(&format!("{escaped} &amp; more")),
        "error message"
    );
}

#[test]
fn every_chart_is_valid_svg() {
    let (_dir, files) = write_report(true);
    // 6 charts each for the two scenarios with errors, 5 for the one without.
    assert_eq!(files.charts.len(), 17, "{:?}", files.charts);
    for path in &files.charts {
        let text = fs::read_to_string(path).unwrap();
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
        assert_eq!(
            doc.root_element().tag_name().name(),
            "svg",
            "{}",
            path.display()
        );
        assert_eq!(
            doc.root_element().tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        // Axis labels and titles are text elements (no font backend needed).
        assert!(
            doc.descendants().any(|n| n.has_tag_name("text")),
            "{} has no text",
            path.display()
        );
    }
    // The inline copies in the pages parse too.
    for page in &files.pages {
        let html = fs::read_to_string(page).unwrap();
        let mut rest = html.as_str();
        let mut n = 0;
        while let Some(start) = rest.find("<svg") {
            let end = rest[start..].find("</svg>").expect("closed svg") + start + 6;
            let doc = roxmltree::Document::parse(&rest[start..end]).expect("inline svg parses");
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            rest = &rest[end..];
            n += 1;
        }
        assert!(n >= 4, "{} has {n} charts", page.display());
    }
}

#[test]
fn axes_are_labelled_with_units() {
    let (_dir, files) = write_report(true);
    let page = fs::read_to_string(&files.pages[0]).unwrap();
    for label in [
        "time to first token (ms)",
        "end-to-end latency (ms)",
        "share of requests (%)",
        "gap between consecutive output events (ms)",
        "request start, since the run started (s)",
        "latency (ms)",
        "time since the request started (ms)",
        "failed requests",
    ] {
        assert!(page.contains(label), "no axis label {label:?}");
    }
}

/// Every `http://` or `https://` in `html` that is not plain text content or an `xmlns`
/// declaration, and every construct that could load something.
pub(super) fn external_references(html: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let lower = html.to_ascii_lowercase();
    for scheme in ["http://", "https://"] {
        for (pos, _) in lower.match_indices(scheme) {
            let before = &lower[..pos];
            let in_tag = before
                .rfind('<')
                .is_some_and(|lt| before.rfind('>').is_none_or(|gt| lt > gt));
            let context = &html[pos.saturating_sub(60)..(pos + 60).min(html.len())];
            if in_tag {
                // The attribute this value belongs to: the name before the last `=`.
                let eq = before.rfind('=').unwrap_or(0);
                let name: String = before[..eq]
                    .chars()
                    .rev()
                    .take_while(|c| !c.is_whitespace() && *c != '<')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if name != "xmlns" && !name.starts_with("xmlns:") {
                    bad.push(format!("attribute {name}: {context}"));
                }
            } else {
                let in_style = before
                    .rfind("<style")
                    .is_some_and(|s| before.rfind("</style").is_none_or(|e| s > e));
                if in_style {
                    bad.push(format!("inside <style>: {context}"));
                }
            }
        }
    }
    for needle in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        " src=",
        "url(",
        "@import",
        "href=\"//",
        "href=\"http",
        "href=\"data:",
        "xlink:href",
    ] {
        if lower.contains(needle) {
            bad.push(format!("contains {needle}"));
        }
    }
    bad
}

#[test]
fn nothing_is_loaded_from_the_network() {
    let (dir, _files) = write_report(true);
    let files = html_files(dir.path());
    assert_eq!(files.len(), 4);
    for path in files {
        let html = fs::read_to_string(&path).unwrap();
        let bad = external_references(&html);
        assert!(bad.is_empty(), "{}: {bad:#?}", path.display());
        assert!(html.contains("xmlns=\"http://www.w3.org/2000/svg\"") || !html.contains("<svg"));
    }
}

#[test]
fn the_external_reference_check_catches_links() {
    assert!(external_references("<p>see https://example.test in text</p>").is_empty());
    assert!(!external_references("<img src=\"https://example.test/a.png\">").is_empty());
    assert!(!external_references("<a href=\"https://example.test\">x</a>").is_empty());
    assert!(!external_references("<style>body{background:url(x)}</style>").is_empty());
    assert!(external_references("<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>").is_empty());
}

#[test]
fn noplot_skips_charts() {
    let (_dir, files) = write_report(false);
    assert!(files.charts.is_empty());
    let page = fs::read_to_string(&files.pages[0]).unwrap();
    assert!(page.contains("Charts were skipped (--noplot)."));
    assert!(!page.contains("<svg"));
}

#[test]
fn page_names_do_not_collide() {
    let dir = tempfile::tempdir().unwrap();
    let a = run("a b", 3, 10, &[]);
    let b = run("a_b", 3, 10, &[]);
    let c = run("index.html", 3, 10, &[]);
    let inputs = [
        ReportInput::new(&a),
        ReportInput::new(&b),
        ReportInput::new(&c),
    ];
    let files = write_html(dir.path(), &ReportSet::new(&inputs), &options(true)).unwrap();
    let names: Vec<_> = files
        .pages
        .iter()
        .map(|p| {
            p.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a_b", "a_b-2", "index_html"]);
    assert!(files.index.is_file());
}

#[test]
fn a_run_where_every_request_failed_still_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = run("down", 4, 10, &[0, 1, 2, 3]);
    r.stopped_early = Some("stopped after 4 failed requests in a row".into());
    let files = write_html(
        dir.path(),
        &ReportSet::new(&[ReportInput::new(&r)]),
        &options(true),
    )
    .unwrap();
    let page = fs::read_to_string(&files.pages[0]).unwrap();
    assert!(page.contains("No successful request"));
    assert!(
        page.contains("stopped after 4 failed requests in a row"),
        "the page says why"
    );
    assert!(page.contains("id=\"chart-errors\""));
    assert!(page.contains("id=\"chart-latency-over-time\""));
}

#[test]
fn thresholds_are_tabled_and_a_breach_fails_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = run("gate/ttft", 6, 900, &[]);
    r.thresholds = vec![
        threshold("p95 ttft < 800ms", "912.0 ms", ThresholdOutcome::Breached),
        threshold("errors < 1%", "0.0%", ThresholdOutcome::Passed),
        threshold("p99 itl < 50ms", "-", ThresholdOutcome::NoData),
        threshold(&format!("odd {EVIL}"), EVIL, ThresholdOutcome::Passed),
    ];
    let plain = run("plain", 3, 10, &[]);
    let inputs = [ReportInput::new(&r), ReportInput::new(&plain)];
    let files = write_html(dir.path(), &ReportSet::new(&inputs), &options(false)).unwrap();

    let verdict = "threshold breached: p95 ttft &lt; 800ms (912.0 ms)";
    let index = fs::read_to_string(&files.index).unwrap();
    assert!(
        index.contains("<strong>1 of 2 scenarios breached a threshold.</strong>"),
        "{index}"
    );
    assert!(
        index.contains(&format!(
            "<span class=\"badge verdict regressed\">{verdict}</span>"
        )),
        "{index}"
    );
    assert!(!index.contains("id=\"not-run\""), "nothing is shown apart");

    let page = fs::read_to_string(&files.pages[0]).unwrap();
    assert!(page.contains(verdict), "{page}");
    let table = &page[page.find("id=\"thresholds\"").expect("a thresholds table")..];
    let table = &table[..table.find("</table>").unwrap()];
    for row in [
        "<td><code>p95 ttft &lt; 800ms</code></td><td class=\"num\">912.0 ms</td><td class=\"regressed\">breached</td>",
        "<td><code>errors &lt; 1%</code></td><td class=\"num\">0.0%</td><td class=\"improved\">passed</td>",
        "<td><code>p99 itl &lt; 50ms</code></td><td class=\"num\">-</td><td class=\"inconclusive\">no data</td>",
    ] {
        assert!(table.contains(row), "no row {row} in {table}");
    }
    assert!(!page.to_ascii_lowercase().contains("<script"), "escaped");
    // A scenario without thresholds has no such table.
    let plain_page = fs::read_to_string(&files.pages[1]).unwrap();
    assert!(!plain_page.contains("id=\"thresholds\""));
}

#[test]
fn older_results_have_a_table_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let now = stored_by(run("chat/now", 6, 50, &[]), "inv-2", "latency", 0);
    let old = stored_by(run("chat/old", 6, 50, &[]), "inv-1", "latency", 3);
    let cmp = regressed_comparison("main");
    let this_run = [ReportInput::new(&now)];
    let not_run = [ReportInput {
        run: &old,
        baseline: None,
        comparison: Some(&cmp),
    }];
    let report = ReportSet {
        this_run: &this_run,
        not_run: &not_run,
        bench_target: None,
    };
    let files = write_html(dir.path(), &report, &options(false)).unwrap();
    assert_eq!(files.pages.len(), 2);
    let index = fs::read_to_string(&files.index)
        .unwrap()
        .replace("&#x2F;", "/");
    let (main, apart) = index.split_at(index.find("id=\"not-run\"").expect("a table apart"));
    assert!(
        main.contains("1 scenario run this time · 1 not run this time"),
        "{main}"
    );
    assert!(
        main.contains("<strong>1 scenario ran, none compared with a baseline.</strong>"),
        "the older regression is not counted: {main}"
    );
    assert!(
        main.contains(">chat/now<") && !main.contains("chat/old"),
        "{main}"
    );
    assert!(!main.contains("verdict regressed"), "{main}");
    assert!(
        apart.contains("href=\"chat_old/index.html\">chat/old<"),
        "{apart}"
    );
    assert!(apart.contains("<td>latency</td>"), "{apart}");
    assert!(
        apart.contains("<td>2024-02-26 12:34:56 UTC</td>"),
        "{apart}"
    );
    let page = fs::read_to_string(&files.pages[1]).unwrap();
    assert!(
        page.contains("Not run this time: these are the latest results, stored by an earlier run on 2024-02-26 12:34:56 UTC (bench target latency)."),
        "{page}"
    );
    assert!(page.contains("latency (invocation inv-1)"), "{page}");
}

#[test]
fn a_paired_adjusted_comparison_shows_its_pairs_and_q() {
    let dir = tempfile::tempdir().unwrap();
    let a = run("chat/short turn", 24, 100, &[5]);
    let a_base = run("chat/short turn", 24, 90, &[]);
    let cmp = view_of(&paired_stored_comparison(
        "chat/short turn",
        "../main-build",
    ));
    let inputs = [ReportInput {
        run: &a,
        baseline: Some(&a_base),
        comparison: Some(&cmp),
    }];
    let files = write_html(dir.path(), &ReportSet::new(&inputs), &options(false)).unwrap();
    let page = fs::read_to_string(&files.pages[0])
        .unwrap()
        .replace("&#x2F;", "/");
    for needle in [
        "Change against build ../main-build, measured in pairs</h2>",
        "<th class=\"num\">p-value</th><th class=\"num\">q (FDR)</th>",
        "<td class=\"num\">0.004</td><td class=\"num\">0.031</td>",
        "<td class=\"num\">0.200</td><td class=\"num\">0.410</td>",
        // tokens/s is not gated: no adjusted p-value.
        "<td class=\"num\">0.500</td><td class=\"num\">–</td>",
        "Paired with build ../main-build: TTFT: 100 pairs, the new build slower in 63.0% of \
         them; E2E: 100 pairs, the new build slower in 45.0% of them; tokens/s: 100 pairs, \
         the new build higher in 52.0% of them. The change is the median of per-pair ratios.",
        "reports the median of per-pair ratios as its change",
        "q (FDR) is the p-value adjusted by Benjamini-Hochberg over the 2 gated comparisons of \
         this run",
        "a gated metric is called regressed only when its adjusted p-value is below the \
         significance level",
    ] {
        assert!(page.contains(needle), "page lacks {needle:?}:\n{page}");
    }
    assert_eq!(
        page.matches("Benjamini-Hochberg").count(),
        1,
        "explained once"
    );
    let index = fs::read_to_string(&files.index).unwrap();
    assert!(index.contains("over the 2 gated comparisons of this run"));
}

#[test]
fn an_unpaired_comparison_has_no_pairs_and_no_q() {
    let (_dir, files) = write_report(false);
    let page = fs::read_to_string(&files.pages[0]).unwrap();
    assert!(page.contains("Change against baseline main</h2>"));
    for absent in ["q (FDR)", "Benjamini", "pairs", "id=\"paired\""] {
        assert!(!page.contains(absent), "page has {absent:?}");
    }
}
