//! Head-to-head records (`--interleave`) in the reports: the summary's side-by-side table
//! and the index's, shown only for a record of the invocation that stored its reference
//! run and whose scenarios all ran; a damaged record named, not the end of the report.

use std::fs;
use std::path::Path;

use super::common::{head_to_head, head_to_head_runs, stored_by};
use crate::format::{format_ms, format_num};
use crate::metrics::Metric;
use crate::report::{write_markdown, ReportInput, ReportSet, SUMMARY_FILE};
use crate::store::{save_head_to_head, scenario_dir, StoredRun};

/// The summary of `runs` written into `<root>/report`, the head-to-head records read from
/// `root`.
fn summary(root: &Path, runs: &[StoredRun]) -> String {
    let inputs: Vec<ReportInput<'_>> = runs.iter().map(ReportInput::new).collect();
    let path = root.join("report").join(SUMMARY_FILE);
    write_markdown(&path, &ReportSet::new(&inputs)).unwrap()
}

/// The section the summary shows for [`head_to_head`] with [`head_to_head_runs`]: the
/// medians are the runs' p50 (TTFT 100, 112, 80 ms plus the fixture's 5 ms median jitter;
/// E2E that plus 19 gaps of 10–11 ms and 2 ms; tokens/s 20 tokens over the two middle
/// E2E values), the changes and intervals the record's.
const SECTION: &str = "
### Head to head: `models/small` vs `models/large`, `models/tiny`

24 rounds, requests interleaved (one after the other in a seeded random order); each scenario compared in pairs with `models/small`.

| metric | `models/small` p50 | `models/large` p50 · vs `models/small` | `models/tiny` p50 · vs `models/small` |
|---|--:|---|---|
| TTFT | 105 ms | 117 ms · +12.0% [+9.0%, +15.0%] slower | 85.0 ms · −19.0% [−22.0%, −16.0%] faster |
| E2E | 305 ms | 317 ms · +0.4% [−1.0%, +1.8%] no change | 285 ms · −6.0% [−11.0%, −1.0%] inconclusive: only 3 samples in the baseline (need 10) |
| tokens/s | 65.6 | 63.1 · −8.0% [−11.0%, −5.0%] lower | 70.2 · +15.0% [+12.0%, +18.0%] higher |

- `models/large`: TTFT 24 pairs, `models/large` slower in 63.0% of them; E2E 24 pairs, `models/large` slower in 50.0% of them; tokens/s 24 pairs, `models/large` higher in 30.0% of them
- `models/tiny`: TTFT 24 pairs, `models/tiny` slower in 10.0% of them; E2E 24 pairs, `models/tiny` slower in 20.0% of them; tokens/s 24 pairs, `models/tiny` higher in 85.0% of them
";

#[test]
fn a_head_to_head_shows_each_scenario_beside_the_reference_with_its_paired_change() {
    let home = tempfile::tempdir().unwrap();
    let runs = head_to_head_runs("cargo-1-100");
    save_head_to_head(home.path(), &head_to_head(runs[0].origin.clone())).unwrap();
    // The hand-computed medians are the runs' own.
    let p50 = |run: &StoredRun, m: Metric| run.summary[&m].p50;
    let e2e: Vec<String> = runs
        .iter()
        .map(|r| format_ms(p50(r, Metric::E2e)))
        .collect();
    assert_eq!(e2e, ["305 ms", "317 ms", "285 ms"]);
    let tps: Vec<String> = runs
        .iter()
        .map(|r| format_num(p50(r, Metric::TokensPerSecond)))
        .collect();
    assert_eq!(tps, ["65.6", "63.1", "70.2"]);

    let md = summary(home.path(), &runs);
    assert!(md.contains(SECTION), "summary lacks the section:\n{md}");
    assert_eq!(md.matches("### Head to head").count(), 1, "{md}");
    // A head-to-head is no gate: the scenarios' own rows are judged as before.
    assert!(
        md.contains("**3 scenarios ran, none compared with a baseline.**"),
        "{md}"
    );

    // Listed in the record's order whatever the report's order; only the reference's
    // record is read (none beside the others).
    let reversed: Vec<StoredRun> = runs.iter().rev().cloned().collect();
    assert!(summary(home.path(), &reversed).contains(SECTION));
}

#[test]
fn a_record_of_another_invocation_or_with_a_scenario_not_run_is_not_shown() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    let runs = head_to_head_runs("cargo-2-200");
    let shown = |md: &str| md.contains("Head to head");

    // Left by an earlier invocation (same bench target), beside this invocation's runs.
    let earlier = stored_by(runs[0].clone(), "cargo-1-100", "models", 1).origin;
    save_head_to_head(root, &head_to_head(earlier)).unwrap();
    let md = summary(root, &runs);
    assert!(!shown(&md), "an earlier invocation's record:\n{md}");

    // Without an origin it cannot be matched to an invocation.
    save_head_to_head(root, &head_to_head(None)).unwrap();
    assert!(!shown(&summary(root, &runs)), "a record without an origin");

    // This invocation's, but one of its scenarios is not in the report.
    save_head_to_head(root, &head_to_head(runs[0].origin.clone())).unwrap();
    assert!(
        !shown(&summary(root, &runs[..2])),
        "models/tiny did not run"
    );
    assert!(shown(&summary(root, &runs)), "and with it, it shows");
}

#[test]
fn a_damaged_or_misplaced_record_is_named_and_the_rest_is_reported() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    let runs = head_to_head_runs("cargo-3-300");
    let record = head_to_head(runs[0].origin.clone());
    let path = save_head_to_head(root, &record).unwrap();
    let named = |md: &str, why: &str| {
        md.lines().any(|l| {
            l.starts_with("A head-to-head record is left out: ")
                && l.contains("models/small/new/head\\_to\\_head.json")
                && l.contains(why)
        })
    };

    fs::write(&path, "{ \"schema\": ").unwrap();
    let md = summary(root, &runs);
    assert!(named(&md, "is a damaged head-to-head record"), "{md}");
    assert!(md.contains("| models/small | 24 / 24 |"), "{md}");
    assert!(!md.contains("### Head to head"), "{md}");

    let mut other = record.clone();
    other.schema = "llm-bench/run".into();
    fs::write(&path, serde_json::to_string(&other).unwrap()).unwrap();
    let md = summary(root, &runs);
    assert!(
        named(
            &md,
            "is not a head-to-head record: its schema is \\`llm-bench/run\\`"
        ),
        "{md}"
    );

    // A record stored beside a run that is not its reference.
    fs::remove_file(&path).unwrap();
    let beside = scenario_dir(root, "models/large").join("new/head_to_head.json");
    fs::create_dir_all(beside.parent().unwrap()).unwrap();
    fs::write(&beside, serde_json::to_string(&record).unwrap()).unwrap();
    let md = summary(root, &runs);
    assert!(
        md.contains("models/large/new/head\\_to\\_head.json names \\`models/small\\` as its reference, not \\`models/large\\`"),
        "{md}"
    );
    assert!(!md.contains("### Head to head"), "{md}");
}

#[cfg(feature = "html-report")]
#[test]
fn the_index_has_a_head_to_head_table_linking_each_scenario() {
    use crate::report::tests::common::options;
    use crate::report::write_html;

    let home = tempfile::tempdir().unwrap();
    let runs = head_to_head_runs("cargo-4-400");
    save_head_to_head(home.path(), &head_to_head(runs[0].origin.clone())).unwrap();
    let inputs: Vec<ReportInput<'_>> = runs.iter().map(ReportInput::new).collect();
    let dir = home.path().join("report");
    let files = write_html(&dir, &ReportSet::new(&inputs), &options(false)).unwrap();
    let index = fs::read_to_string(&files.index)
        .unwrap()
        .replace("&#x2F;", "/");
    let section = &index[index.find("id=\"head-to-head\"").expect("a section")..];
    let section = &section[..section.find("<h2>Endpoints</h2>").unwrap()];
    for needle in [
        "<h3><a href=\"models_small/index.html\">models/small</a> vs <a href=\"models_large/index.html\">models/large</a>, <a href=\"models_tiny/index.html\">models/tiny</a></h3>",
        "<p class=\"sub\">24 rounds, requests interleaved (one after the other in a seeded random order); each scenario compared in pairs with <code>models/small</code>.</p>",
        "<th>metric</th><th class=\"num\">models/small p50</th><th class=\"num\">models/large p50</th><th>vs models/small</th><th class=\"num\">models/tiny p50</th><th>vs models/small</th>",
        "<td>TTFT</td>\n<td class=\"num\">105 ms</td>\n<td class=\"num\">117 ms</td>\n<td><span class=\"change regressed\">+12.0% [+9.0%, +15.0%]</span> <span class=\"badge regressed\">slower</span></td>\n<td class=\"num\">85.0 ms</td>\n<td><span class=\"change improved\">−19.0% [−22.0%, −16.0%]</span> <span class=\"badge improved\">faster</span></td>",
        "<td class=\"num\">317 ms</td>\n<td><span class=\"change nochange\">+0.4% [−1.0%, +1.8%]</span> <span class=\"badge nochange\">no change</span></td>",
        "<span class=\"badge inconclusive\">inconclusive: only 3 samples in the baseline (need 10)</span>",
        "<td>tokens/s</td>\n<td class=\"num\">65.6</td>\n<td class=\"num\">63.1</td>\n<td><span class=\"change regressed\">−8.0% [−11.0%, −5.0%]</span> <span class=\"badge regressed\">lower</span></td>\n<td class=\"num\">70.2</td>\n<td><span class=\"change improved\">+15.0% [+12.0%, +18.0%]</span> <span class=\"badge improved\">higher</span></td>",
        "models/large: TTFT 24 pairs, models/large slower in 63.0% of them; E2E 24 pairs, models/large slower in 50.0% of them; tokens/s 24 pairs, models/large higher in 30.0% of them<br>models/tiny: TTFT 24 pairs",
    ] {
        assert!(section.contains(needle), "index lacks {needle:?}:\n{section}");
    }
    assert_eq!(
        section
            .matches("<tr class=\"head-to-head-metric\">")
            .count(),
        3
    );
    let bad = crate::report::tests::html::external_references(&index);
    assert!(bad.is_empty(), "{bad:#?}");

    // A damaged record is named on the index, and the rest is written.
    fs::write(
        scenario_dir(home.path(), "models/small").join("new/head_to_head.json"),
        "[",
    )
    .unwrap();
    let files = write_html(&dir, &ReportSet::new(&inputs), &options(false)).unwrap();
    let index = fs::read_to_string(&files.index)
        .unwrap()
        .replace("&#x2F;", "/");
    assert!(!index.contains("class=\"head-to-head\""));
    assert!(
        index.contains("<p class=\"note\">A head-to-head record is left out: ")
            && index
                .contains("models/small/new/head_to_head.json is a damaged head-to-head record"),
        "{index}"
    );
}
