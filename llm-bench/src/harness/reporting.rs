//! After a bench run: the HTML report, the Markdown summary, `$GITHUB_STEP_SUMMARY` and the
//! exports, all read from the store and all from one selection of its runs
//! ([`store::select_runs`]): the scenarios this `cargo bench` invocation ran, whichever of
//! its bench binaries ran them, counted and exported; older results of scenarios that still
//! exist shown apart as "not run this time"; everything else left out.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::export::{self, Exporter};
use crate::report::{self, ReportComparison, ReportInput, ReportOptions, ReportSet};
use crate::store::{self, RunOrigin, StoredRun};

/// Directory of the report, under the store's root.
pub(crate) const REPORT_DIR: &str = "report";

/// What was written.
pub struct Written {
    /// `index.html`; `None` without the `html-report` feature.
    pub index: Option<PathBuf>,
    /// `summary.md`.
    pub summary: PathBuf,
    /// The export files.
    pub exports: Vec<PathBuf>,
    /// What the report left out because its stored file could not be read, each naming
    /// the file.
    pub left_out: Vec<String>,
}

impl Written {
    /// Says where each file went (stdout), and what the report left out (stderr), as a run
    /// ends.
    pub fn print(&self) {
        match &self.index {
            Some(index) => println!("llm-bench: report {}", index.display()),
            None => println!(
                "llm-bench: no HTML report (llm-bench was built without its `html-report` feature)"
            ),
        }
        println!("llm-bench: summary {}", self.summary.display());
        for why in &self.left_out {
            eprintln!("warning: the report leaves out a stored file it cannot read: {why}");
        }
        for path in &self.exports {
            println!("llm-bench: export {}", path.display());
        }
    }
}

/// A stored run with what its report needs besides: its comparison and baseline run.
struct Loaded {
    run: StoredRun,
    comparison: Option<ReportComparison>,
    baseline: Option<StoredRun>,
}

impl Loaded {
    fn input(&self) -> ReportInput<'_> {
        ReportInput {
            run: &self.run,
            baseline: self.baseline.as_ref(),
            comparison: self.comparison.as_ref(),
        }
    }
}

/// Writes `<root>/report/index.html` (+ a page per scenario), `<root>/report/summary.md`
/// and the requested exports for the invocation of `origin`, and removes the pages, charts
/// and export files earlier runs left there that this report does not have. Appends this
/// bench target's scenarios of the invocation, under a heading naming the target, to
/// `$GITHUB_STEP_SUMMARY` when that is set, so the sections the binaries of one invocation
/// append together hold the rows of `summary.md`.
pub(crate) fn write_all(
    root: &Path,
    plots: bool,
    exporters: &[Box<dyn Exporter>],
    origin: &RunOrigin,
) -> Result<Written> {
    write_report(
        root,
        exporters,
        origin,
        &ReportOptions::detect(plots),
        report::github_step_summary_path().as_deref(),
    )
}

/// `llm-bench report` and `merge`: writes the report again, from the store alone, for the
/// invocation of `origin`, or when `None` for the one that stored the most recently started
/// run under `root` (a `cargo bench`, an `llm-bench run`, a merge), with the exports of
/// `exports` (a `--export` list). Nothing is appended to `$GITHUB_STEP_SUMMARY`: the
/// invocation did that when it ran.
pub fn rebuild_report(
    root: &Path,
    plots: bool,
    exports: &str,
    origin: Option<&RunOrigin>,
) -> Result<Written> {
    let exporters = export::parse_export_list(exports)
        .map_err(|e| crate::Error::Config(format!("--export: {e}")))?;
    if let Some(origin) = origin {
        let opts = ReportOptions::detect(plots);
        return write_report(root, &exporters, origin, &opts, None);
    }
    let (runs, unreadable) = store::readable_latest_runs(root)?;
    let newest = runs
        .iter()
        .filter(|run| run.origin.is_some())
        .max_by_key(|run| run.started_at_unix_ms);
    let Some(origin) = newest.and_then(|run| run.origin.clone()) else {
        let why = match unreadable.first() {
            Some(e) => format!(" ({} could not be read: {e})", unreadable.len()),
            None => String::new(),
        };
        return Err(crate::Error::Config(format!(
            "{} holds no stored run to report{why}",
            root.display()
        )));
    };
    write_report(
        root,
        &exporters,
        &origin,
        &ReportOptions::detect(plots),
        None,
    )
}

/// [`write_all`] with its options and the step summary file (`None`: none) given.
fn write_report(
    root: &Path,
    exporters: &[Box<dyn Exporter>],
    origin: &RunOrigin,
    opts: &ReportOptions,
    step_summary: Option<&Path>,
) -> Result<Written> {
    let selection = store::select_runs(root, origin)?;
    let mut left_out = selection.unreadable;
    let this_run = load_all(root, selection.this_run, &mut left_out);
    let not_run = load_all(root, selection.not_run, &mut left_out);
    let this_inputs: Vec<ReportInput<'_>> = this_run.iter().map(Loaded::input).collect();
    let not_run_inputs: Vec<ReportInput<'_>> = not_run.iter().map(Loaded::input).collect();
    let whole = ReportSet {
        this_run: &this_inputs,
        not_run: &not_run_inputs,
        bench_target: None,
    };
    // The reports show a damaged head-to-head record's name; the console warns of it too.
    left_out.extend(report::report_head_to_heads(root, &whole).left_out);

    let dir = root.join(REPORT_DIR);
    #[cfg(feature = "html-report")]
    let index = {
        let files = report::write_html(&dir, &whole, opts)?;
        report::remove_stale_pages(&dir, &files)?;
        Some(files.index)
    };
    #[cfg(not(feature = "html-report"))]
    let index = {
        let _ = opts;
        // Pages an earlier build with the HTML report wrote would look like this run's.
        report::remove_all_pages(&dir)?;
        None
    };
    let summary = dir.join(report::SUMMARY_FILE);
    report::write_markdown(&summary, &whole)?;

    let ours: Vec<ReportInput<'_>> = this_inputs
        .iter()
        .copied()
        .filter(|i| {
            i.run
                .origin
                .as_ref()
                .is_some_and(|o| o.bench_target == origin.bench_target)
        })
        .collect();
    if !ours.is_empty() {
        let section = ReportSet {
            this_run: &ours,
            not_run: &[],
            bench_target: Some(&origin.bench_target),
        };
        let markdown = match report::store_root_of(&dir) {
            Some(root) => report::render_markdown_in(root, &section)?,
            None => report::render_markdown(&section),
        };
        report::append_github_step_summary(step_summary, &markdown)?;
    }

    let exports = export::write_exports(&dir, exporters, &this_inputs)?;
    export::remove_unwritten_exports(&dir, &exports)?;
    Ok(Written {
        index,
        summary,
        exports,
        left_out,
    })
}

/// What `--push-gateway` and `--influx-url` send, rendered from the store like the exports:
/// the runs of this invocation that this bench target (`origin`'s) stored. Each binary of
/// one `cargo bench` pushes its own scenarios, so a Pushgateway group (one per bench target)
/// never holds another target's series. Nothing when there is no such run.
#[cfg(any(feature = "prometheus", feature = "influxdb"))]
pub(crate) fn prepare_pushes(
    root: &Path,
    targets: &[crate::export::push::PushTarget],
    origin: &RunOrigin,
) -> Result<Vec<crate::export::push::Prepared>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let selection = store::select_runs(root, origin)?;
    let ours: Vec<StoredRun> = selection
        .this_run
        .into_iter()
        .filter(|run| {
            run.origin
                .as_ref()
                .is_some_and(|o| o.bench_target == origin.bench_target)
        })
        .collect();
    if ours.is_empty() {
        return Ok(Vec::new());
    }
    let inputs: Vec<ReportInput<'_>> = ours
        .iter()
        .map(|run| ReportInput {
            run,
            baseline: None,
            comparison: None,
        })
        .collect();
    targets
        .iter()
        .map(|t| {
            t.prepare(&inputs, &origin.bench_target)
                .map_err(|e| crate::Error::Config(e.to_string()))
        })
        .collect()
}

/// Each run with its stored comparison and the baseline run it names.
/// A comparison or baseline that cannot be read is left out (the run is shown without
/// it), and `left_out` says why.
fn load_all(root: &Path, runs: Vec<StoredRun>, left_out: &mut Vec<String>) -> Vec<Loaded> {
    runs.into_iter()
        .map(|run| {
            let stored = readable(store::load_comparison(root, &run.scenario.id), left_out);
            let baseline = match &stored {
                Some(c) => readable(
                    store::load_compared_baseline(root, &run.scenario.id, &c.baseline),
                    left_out,
                ),
                None => None,
            };
            let comparison = stored.map(|c| {
                ReportComparison::from_parts(
                    &c.baseline,
                    c.metrics.iter().map(|(m, x)| (*m, x)),
                    &c.gated,
                    c.regressed,
                )
            });
            Loaded {
                run,
                comparison,
                baseline,
            }
        })
        .collect()
}

/// What `loaded` found, or nothing when it could not be read, with the reason added to
/// `left_out`.
fn readable<T>(loaded: Result<Option<T>>, left_out: &mut Vec<String>) -> Option<T> {
    loaded.unwrap_or_else(|e| {
        left_out.push(e.to_string());
        None
    })
}

#[cfg(test)]
mod tests {
    use crate::store::tests::origin;
    use std::fs;

    use super::*;
    use crate::store::tests::sample_run;
    use crate::store::{ThresholdOutcome, ThresholdResult};

    fn store_run(root: &Path, id: &str, from: Option<&RunOrigin>) -> StoredRun {
        let mut run = sample_run(id);
        run.origin = from.cloned();
        store::save_new(root, &run).unwrap();
        run
    }

    fn opts() -> ReportOptions {
        ReportOptions {
            plots: false,
            git_commit: None,
            generated_at: "2024-03-01 09:00:00 UTC".into(),
        }
    }

    /// The text of `html` before the "Not run this time" table, and from it on.
    #[cfg(feature = "html-report")]
    fn split_index(html: &str) -> (&str, &str) {
        html.split_at(html.find("id=\"not-run\"").unwrap_or(html.len()))
    }

    #[test]
    fn damaged_stored_files_are_left_out_by_name_and_the_rest_is_reported() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path();
        let now = origin("now", "latency");
        store::record_target(root, &now, &["ok".into(), "cut".into(), "future".into()]).unwrap();
        store_run(root, "ok", Some(&now));
        let cut = store::save_new(root, &store_run(root, "cut", Some(&now))).unwrap();
        let text = fs::read_to_string(&cut).unwrap();
        fs::write(&cut, &text[..text.len() / 2]).unwrap(); // cut short, as by a full disk
        let future = store::save_new(root, &store_run(root, "future", Some(&now))).unwrap();
        let newer = text.replacen("\"schema_version\": 1", "\"schema_version\": 9", 1);
        fs::write(&future, newer.replace("\"cut\"", "\"future\"")).unwrap();
        let comparison = store::scenario_dir(root, "ok").join("change/comparison.json");
        fs::create_dir_all(comparison.parent().unwrap()).unwrap();
        fs::write(&comparison, "{ \"schema\": ").unwrap();

        let w = write_report(root, &[], &now, &opts(), None).unwrap();
        let summary = fs::read_to_string(&w.summary).unwrap();
        assert!(summary.contains("ok"), "{summary}");
        assert_eq!(w.left_out.len(), 3, "{:#?}", w.left_out);
        for (file, why) in [
            (&cut, "is cut short"),
            (&future, "version 9, from a newer llm-bench"),
            (&comparison, "comparison"),
        ] {
            assert!(
                w.left_out
                    .iter()
                    .any(|m| m.contains(&file.display().to_string()) && m.contains(why)),
                "{} ({why}) is named: {:#?}",
                file.display(),
                w.left_out
            );
        }
    }

    /// A store shared with an earlier invocation and with deleted scenarios; then the two
    /// bench targets of invocation `now` run one after the other, as cargo starts them.
    #[test]
    fn reports_count_this_invocation_only_and_list_older_results_apart() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path();
        let step = root.join("step_summary.md");
        let earlier = origin("earlier", "latency");
        let latency = origin("now", "latency");
        let throughput = origin("now", "throughput");
        let exporters = export::parse_export_list("json,csv").unwrap();

        // The earlier invocation ran chat/stale, chat/deleted and the throughput target's
        // tp/old (whose target has no manifest yet); a run stored before origins existed.
        store_run(root, "chat/stale", Some(&earlier));
        store_run(root, "chat/deleted", Some(&earlier));
        store_run(root, "tp/old", Some(&origin("earlier", "throughput")));
        store_run(root, "legacy", None);
        // A page and an export left by an earlier report.
        fs::create_dir_all(root.join("report/chat_deleted")).unwrap();
        fs::write(root.join("report/chat_deleted/index.html"), "old").unwrap();
        fs::write(root.join("report/bencher.json"), "{}").unwrap();

        // First binary: `latency` registers chat/a and chat/stale (chat/deleted is gone)
        // and runs chat/a; chat/a breaches a threshold.
        store::record_target(root, &latency, &["chat/a".into(), "chat/stale".into()]).unwrap();
        let mut a = sample_run("chat/a");
        a.origin = Some(latency.clone());
        a.thresholds = vec![ThresholdResult {
            threshold: "p95 ttft < 800ms".into(),
            observed: Some(912e6),
            observed_text: "912.0 ms".into(),
            outcome: ThresholdOutcome::Breached,
        }];
        store::save_new(root, &a).unwrap();
        let w = write_report(root, &exporters, &latency, &opts(), Some(&step)).unwrap();
        assert_eq!(w.exports.len(), 2);

        // Second binary of the same invocation: `throughput` runs tp/x.
        store::record_target(root, &throughput, &["tp/x".into()]).unwrap();
        store_run(root, "tp/x", Some(&throughput));
        let w = write_report(root, &exporters, &throughput, &opts(), Some(&step)).unwrap();

        // summary.md: both targets' scenarios in the headline and the table; chat/stale
        // apart; the deleted, the unlisted and the legacy scenarios nowhere.
        let summary = fs::read_to_string(&w.summary).unwrap();
        assert!(
            summary.contains("**1 of 2 scenarios breached a threshold.**"),
            "{summary}"
        );
        let (table, apart) = summary.split_at(summary.find("<details>").expect("a section"));
        assert!(
            table.contains("| chat/a |") && table.contains("| tp/x |"),
            "{summary}"
        );
        assert!(table.contains("threshold breached: p95 ttft &lt; 800ms (912.0 ms)"));
        assert!(!table.contains("stale"), "{summary}");
        assert!(apart.contains("1 scenario not run this time"), "{summary}");
        assert!(apart.contains("- chat/stale (latency, ran "), "{summary}");
        for gone in ["deleted", "tp/old", "legacy"] {
            assert!(!summary.contains(gone), "{gone} in\n{summary}");
        }

        // index.html agrees (a build without the HTML report writes none).
        #[cfg(not(feature = "html-report"))]
        assert!(w.index.is_none());
        #[cfg(feature = "html-report")]
        {
            let index = fs::read_to_string(w.index.as_ref().unwrap())
                .unwrap()
                .replace("&#x2F;", "/");
            let (main, apart) = split_index(&index);
            assert!(
                main.contains("1 of 2 scenarios breached a threshold."),
                "{index}"
            );
            assert!(
                main.contains(">chat/a<") && main.contains(">tp/x<"),
                "{index}"
            );
            assert!(!main.contains("chat/stale"), "{index}");
            assert!(apart.contains(">chat/stale<"), "{index}");
            for gone in ["deleted", "tp/old", "legacy"] {
                assert!(!index.contains(gone), "{gone} in\n{index}");
            }
            // Pages: one per scenario shown (the older one says so), the stale page removed.
            let page = |slug: &str| root.join("report").join(slug).join("index.html");
            assert!(page("chat_a").is_file() && page("tp_x").is_file());
            let stale_page = fs::read_to_string(page("chat_stale")).unwrap();
            assert!(stale_page.contains("Not run this time"), "{stale_page}");
            assert!(!root.join("report/chat_deleted").exists());
        }

        // Exports: this run's scenarios only; an unrequested old export is gone.
        let json = fs::read_to_string(root.join("report/llm-bench.json")).unwrap();
        assert!(json.contains("chat/a") && json.contains("tp/x"), "{json}");
        assert!(
            !json.contains("chat/stale") && !json.contains("legacy"),
            "{json}"
        );
        let csv = fs::read_to_string(root.join("report/requests.csv")).unwrap();
        assert!(!csv.contains("stale"), "{csv}");
        assert!(!root.join("report/bencher.json").exists());

        // $GITHUB_STEP_SUMMARY: one section per binary, each its own scenarios; together
        // the rows of summary.md.
        let step = fs::read_to_string(&step).unwrap();
        let sections: Vec<&str> = step.split("## llm-bench results").skip(1).collect();
        assert_eq!(sections.len(), 2, "{step}");
        assert!(sections[0].starts_with(": latency\n"), "{step}");
        assert!(sections[0].contains("| chat/a |") && !sections[0].contains("tp/x"));
        assert!(sections[1].starts_with(": throughput\n"), "{step}");
        assert!(sections[1].contains("| tp/x |") && !sections[1].contains("chat/a"));
        assert!(!step.contains("stale"), "{step}");
        let rows = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| l.starts_with("| ") && !l.starts_with("| scenario |"))
                .map(String::from)
                .collect()
        };
        assert_eq!(rows(&step), rows(&summary));
    }

    /// A head-to-head (`--interleave`) of one invocation, then the same scenarios run again
    /// by another invocation without it, then its record damaged.
    #[test]
    fn a_head_to_head_shows_with_its_own_invocation_only_and_a_damaged_one_is_named() {
        use crate::report::tests::common::{head_to_head, head_to_head_runs};
        let home = tempfile::tempdir().unwrap();
        let root = home.path();
        let step = root.join("step_summary.md");
        let heading = "### Head to head: `models/small` vs `models/large`, `models/tiny`";
        let ttft = "| TTFT | 105 ms | 117 ms · +12.0% [+9.0%, +15.0%] slower | 85.0 ms · \
                    −19.0% [−22.0%, −16.0%] faster |";
        let run_all = |invocation: &str| {
            let from = origin(invocation, "models");
            let runs = head_to_head_runs(invocation);
            let ids: Vec<String> = runs.iter().map(|r| r.scenario.id.clone()).collect();
            store::record_target(root, &from, &ids).unwrap();
            for run in &runs {
                store::save_new(root, run).unwrap();
            }
            from
        };

        let first = run_all("cargo-1-100");
        let record = store::save_head_to_head(root, &head_to_head(Some(first.clone()))).unwrap();
        let w = write_report(root, &[], &first, &opts(), Some(&step)).unwrap();
        assert!(w.left_out.is_empty(), "{:#?}", w.left_out);
        let summary = fs::read_to_string(&w.summary).unwrap();
        assert!(
            summary.contains(heading) && summary.contains(ttft),
            "{summary}"
        );
        let step_summary = fs::read_to_string(&step).unwrap();
        assert!(step_summary.starts_with("## llm-bench results: models\n"));
        assert!(step_summary.contains(heading) && step_summary.contains(ttft));
        #[cfg(feature = "html-report")]
        {
            let index = fs::read_to_string(w.index.as_ref().unwrap()).unwrap();
            assert!(index.contains("<table class=\"head-to-head\">"), "{index}");
        }

        // The next invocation runs the same scenarios one by one: the record left beside
        // the reference's run is an earlier invocation's.
        let second = run_all("cargo-2-200");
        let w = write_report(root, &[], &second, &opts(), None).unwrap();
        let summary = fs::read_to_string(&w.summary).unwrap();
        assert!(!summary.contains("Head to head"), "{summary}");
        assert!(summary.contains("| models/small |"), "{summary}");

        fs::write(&record, "{ \"schema\": ").unwrap();
        let w = write_report(root, &[], &second, &opts(), None).unwrap();
        assert_eq!(w.left_out.len(), 1, "{:#?}", w.left_out);
        assert!(
            w.left_out[0].contains(&record.display().to_string())
                && w.left_out[0].contains("is a damaged head-to-head record"),
            "{:#?}",
            w.left_out
        );
        let summary = fs::read_to_string(&w.summary).unwrap();
        assert!(
            summary.contains("A head-to-head record is left out: "),
            "{summary}"
        );
    }

    #[test]
    fn a_run_by_hand_of_one_target_shows_the_other_targets_apart() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path();
        let first = origin("cargo-1-100", "latency");
        store::record_target(root, &first, &["a".into()]).unwrap();
        store_run(root, "a", Some(&first));
        let other = origin("cargo-1-100", "throughput");
        store::record_target(root, &other, &["b".into()]).unwrap();
        store_run(root, "b", Some(&other));

        // Later, only `latency` runs, in an invocation of its own.
        let later = origin("pid-7-900", "latency");
        store::record_target(root, &later, &["a".into()]).unwrap();
        store_run(root, "a", Some(&later));
        let w = write_report(root, &[], &later, &opts(), None).unwrap();
        let summary = fs::read_to_string(&w.summary).unwrap();
        assert!(summary.contains("**1 scenario ran, none compared with a baseline.**"));
        assert!(summary.contains("| a |"), "{summary}");
        assert!(summary.contains("- b (throughput, ran "), "{summary}");
    }
}
