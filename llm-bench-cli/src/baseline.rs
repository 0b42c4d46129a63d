//! `llm-bench baseline list|export|import|delete`: the named baselines of a results
//! directory (the store `llm-bench run` and `cargo bench` write), as files to carry between
//! machines and CI jobs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use llm_bench::__cli::{
    check_baseline_name, export_baseline, import_baseline, scenario_dir, stored_run_file, NEW_DIR,
};

use crate::results::EXIT_USAGE;

/// List, export, import or delete the named baselines of a results directory.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
                  llm-bench baseline list\n  \
                  llm-bench baseline export main main-baseline.json\n  \
                  llm-bench baseline import main-baseline.json          # as the name it was exported with\n  \
                  llm-bench baseline import old.json --as before\n  \
                  llm-bench baseline delete before chat/               # only the chat/ scenarios'")]
pub(crate) struct BaselineArgs {
    /// The results directory.
    #[arg(
        long,
        value_name = "DIR",
        env = "LLM_BENCH_HOME",
        default_value = "llm-bench-results",
        global = true
    )]
    results: PathBuf,

    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List each baseline with its scenarios.
    List,
    /// Write every scenario of a baseline into one JSON file.
    Export {
        /// The baseline's name.
        name: String,
        /// The file to write.
        file: PathBuf,
    },
    /// Store the scenarios of an exported file as a baseline.
    Import {
        /// A file `baseline export` (or `cargo bench -- --export-baseline`) wrote.
        file: PathBuf,
        /// Store it under this name instead of the one it was exported with.
        #[arg(long = "as", value_name = "NAME")]
        as_name: Option<String>,
    },
    /// Delete a baseline (of every scenario, or of those whose id contains FILTER).
    Delete {
        /// The baseline's name.
        name: String,
        /// Only scenarios whose id contains this text.
        filter: Option<String>,
    },
}

/// Runs `llm-bench baseline`.
pub(crate) fn run(args: BaselineArgs) -> ExitCode {
    let root = &args.results;
    let outcome = match args.action {
        Action::List => list(root),
        Action::Export { name, file } => export_baseline(root, &name, &file)
            .map(|n| {
                println!(
                    "llm-bench: exported baseline `{name}` ({n} scenario{}) to {}",
                    plural(n),
                    file.display()
                );
            })
            .map_err(|e| e.to_string()),
        Action::Import { file, as_name } => import_baseline(root, &file, as_name.as_deref())
            .map(|(name, n)| {
                println!(
                    "llm-bench: imported baseline `{name}` ({n} scenario{}) from {} into {}",
                    plural(n),
                    file.display(),
                    root.display()
                );
            })
            .map_err(|e| e.to_string()),
        Action::Delete { name, filter } => delete(root, &name, filter.as_deref()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Every baseline under `root`: its name and the ids of the scenarios that have it.
fn baselines(root: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    if !root.is_dir() {
        return Err(format!(
            "{} is not a results directory (give --results DIR, or set LLM_BENCH_HOME)",
            root.display()
        ));
    }
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| format!("could not list {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if stored_run_file(&path).is_some() {
                if name != NEW_DIR {
                    let id = dir
                        .strip_prefix(root)
                        .map(|p| p.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default();
                    found.entry(name).or_default().push(id);
                }
            } else if name != "report" {
                stack.push(path);
            }
        }
    }
    for ids in found.values_mut() {
        ids.sort();
    }
    Ok(found)
}

fn list(root: &Path) -> Result<(), String> {
    let found = baselines(root)?;
    if found.is_empty() {
        println!(
            "llm-bench: no baseline under {} yet (a run saves one: `llm-bench run CONFIG -- --save-baseline main`)",
            root.display()
        );
        return Ok(());
    }
    for (name, ids) in &found {
        println!("{name}: {} scenario{}", ids.len(), plural(ids.len()));
        for id in ids {
            println!("  {id}");
        }
    }
    Ok(())
}

fn delete(root: &Path, name: &str, filter: Option<&str>) -> Result<(), String> {
    check_baseline_name(name).map_err(|e| e.to_string())?;
    let found = baselines(root)?;
    let ids: Vec<&String> = found
        .get(name)
        .into_iter()
        .flatten()
        .filter(|id| filter.is_none_or(|f| id.contains(f)))
        .collect();
    if ids.is_empty() {
        let known: Vec<&str> = found.keys().map(String::as_str).collect();
        return Err(format!(
            "no scenario under {} has a baseline `{name}`{} (the baselines are: {})",
            root.display(),
            filter
                .map(|f| format!(" matching `{f}`"))
                .unwrap_or_default(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
    }
    for id in &ids {
        let dir = scenario_dir(root, id).join(name);
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("could not delete {}: {e}", dir.display()))?;
    }
    println!(
        "llm-bench: deleted baseline `{name}` of {} scenario{}",
        ids.len(),
        plural(ids.len())
    );
    Ok(())
}
