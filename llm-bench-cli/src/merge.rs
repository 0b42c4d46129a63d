//! `llm-bench merge`: one run per scenario from the runs several machines stored of it, so
//! a load too big for one machine is spread over many and still compares and reports as
//! one run (docs/command.md, "A load spread over several machines").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use llm_bench::__cli::{
    load_runs_file, merge_origin, merge_runs, readable_latest_runs, rebuild_report, save_merged,
    stored_run_file, MachineRun,
};
use llm_bench::stored::StoredRun;

use crate::results::{ResultsDir, EXIT_USAGE};

/// Merge the runs of the same scenarios from several machines into one run each.
#[derive(Debug, Args)]
#[command(
    long_about = "Merge the runs several machines stored of the same scenarios into one run \
                  each, stored in the results directory as the latest run (and as a baseline \
                  with --as), then write its report. Requests are concatenated, each named \
                  with its machine and placed on one time axis (each run's start in UTC: keep \
                  the machines' clocks in sync); ITL histograms add without loss; summaries, \
                  intervals, errors, throughput and objectives are computed again over all \
                  requests. Only runs of the same scenario, endpoint (kind, host, model) and \
                  token counter merge.\n\n\
                  Each INPUT is [NAME=]PATH: PATH is a machine's results directory (its latest \
                  runs), a run directory or run file (run.json, run.json.gz), or a file \
                  `baseline export` wrote; NAME names the machine in the merged run (PATH \
                  when not given).",
    after_help = "Examples:\n  \
                  llm-bench merge host-a=results-a host-b=results-b\n  \
                  llm-bench merge --as main a=a.json b=b.json c=c.json   # exported baselines, stored as `main`\n  \
                  llm-bench compare main merged                          # a merge compares like any run"
)]
pub(crate) struct MergeArgs {
    /// The machines' runs, each [NAME=]PATH.
    #[arg(value_name = "INPUT", required = true, num_args = 2..)]
    inputs: Vec<String>,

    /// Where the merged runs and their report are written.
    #[command(flatten)]
    results: ResultsDir,

    /// Also store the merged runs as this baseline.
    #[arg(long = "as", value_name = "BASELINE")]
    as_baseline: Option<String>,

    /// Also write these exports: a comma-separated list of json, csv, bmf, github,
    /// github-bigger.
    #[arg(long, value_name = "LIST", default_value = "")]
    export: String,

    /// No charts in the report (faster; the tables stay).
    #[arg(long)]
    noplot: bool,
}

/// One machine's runs, by scenario id.
struct Machine {
    name: String,
    runs: BTreeMap<String, StoredRun>,
}

/// Runs `llm-bench merge`.
pub(crate) fn run(args: MergeArgs) -> ExitCode {
    match merge(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn merge(args: &MergeArgs) -> Result<(), String> {
    let machines = args
        .inputs
        .iter()
        .map(|input| read_machine(input))
        .collect::<Result<Vec<Machine>, String>>()?;
    let mut ids: Vec<&String> = machines.iter().flat_map(|m| m.runs.keys()).collect();
    ids.sort();
    ids.dedup();

    let origin = merge_origin();
    let mut merged = Vec::new();
    for id in ids {
        let parts: Vec<MachineRun<'_>> = machines
            .iter()
            .filter_map(|m| {
                m.runs.get(id).map(|run| MachineRun {
                    machine: &m.name,
                    run,
                })
            })
            .collect();
        let missing: Vec<&str> = machines
            .iter()
            .filter(|m| !m.runs.contains_key(id))
            .map(|m| m.name.as_str())
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "warning: `{id}` is not in {}: merged from the other machines only",
                missing.join(", ")
            );
        }
        let run = merge_runs(&parts, origin.clone()).map_err(|e| e.to_string())?;
        let counts: Vec<String> = parts
            .iter()
            .map(|p| format!("{} {}", p.machine, p.run.samples.len()))
            .collect();
        println!(
            "llm-bench merge: {id}: {} requests from {} machines ({})",
            run.samples.len(),
            parts.len(),
            counts.join(", ")
        );
        merged.push(run);
    }
    let root = &args.results.path;
    save_merged(root, &origin, &merged, args.as_baseline.as_deref()).map_err(|e| e.to_string())?;
    if let Some(name) = &args.as_baseline {
        println!(
            "llm-bench merge: stored as baseline `{name}` in {}",
            root.display()
        );
    }
    let written = rebuild_report(root, !args.noplot, &args.export, Some(&origin))
        .map_err(|e| format!("the merged runs are stored, but the report failed: {e}"))?;
    written.print();
    Ok(())
}

/// The runs one INPUT (`[NAME=]PATH`) names.
fn read_machine(input: &str) -> Result<Machine, String> {
    let (name, path) = match input.split_once('=') {
        Some((name, path)) if !name.is_empty() && !Path::new(input).exists() => (name, path),
        _ => (input, input),
    };
    let path = PathBuf::from(path);
    let runs = if path.is_dir() && stored_run_file(&path).is_none() {
        let (runs, unreadable) = readable_latest_runs(&path).map_err(|e| e.to_string())?;
        if let Some(e) = unreadable.first() {
            return Err(format!("{name}: {e}"));
        }
        if runs.is_empty() {
            return Err(format!(
                "{name}: {} holds no stored run (give a results directory, a run file or an exported baseline)",
                path.display()
            ));
        }
        runs
    } else {
        let file = match stored_run_file(&path) {
            Some(file) if path.is_dir() => file,
            _ => path.clone(),
        };
        load_runs_file(&file).map_err(|e| format!("{name}: {e}"))?
    };
    let mut by_id = BTreeMap::new();
    for run in runs {
        by_id.insert(run.scenario.id.clone(), run);
    }
    Ok(Machine {
        name: name.to_string(),
        runs: by_id,
    })
}
