//! `--prune`: removes the stored results of scenarios a bench target no longer has.
//!
//! A scenario is pruned by a bench target when some run file of it (`new/`, or any
//! baseline) names that target in its [`RunOrigin`], the target no longer registers it,
//! and no other target's manifest lists it (a scenario moved to another target is kept).
//! Results stored before llm-bench recorded origins name no target and are never pruned.
//!
//! Scenario ids are nested directories (`chat/a` and `chat/a/b` may both be scenarios), so
//! pruning removes only the files of the scenario's own run directories (a child directory
//! holding a `run.json` or `comparison.json` of that scenario), then each directory left
//! empty, up to but not including the root. Symbolic links are never followed, and nothing
//! outside the root is touched.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::manifest::load_manifests;
use super::{
    read_stored, scenario_dir, stored_file, RunOrigin, COMPARED_BASELINE_FILE, COMPARISON_FILE,
    RUN_FILE,
};
use crate::error::{Error, Result};

/// Removes every stored result (`new/`, `change/`, every baseline) of the scenarios that
/// the bench target of `origin` stored and no longer registers (`registered` is every
/// scenario id it has, selected or not); returns the removed ids, sorted.
pub(crate) fn prune(root: &Path, origin: &RunOrigin, registered: &[String]) -> Result<Vec<String>> {
    let manifests = load_manifests(root)?;
    let keep: HashSet<PathBuf> = registered
        .iter()
        .chain(
            manifests
                .values()
                .filter(|m| m.bench_target != origin.bench_target)
                .flat_map(|m| &m.scenarios),
        )
        .map(|id| scenario_dir(root, id))
        .collect();
    let mut removed = BTreeSet::new();
    for scenario in stored_scenarios(root)? {
        if keep.contains(&scenario.dir) || !scenario.targets.contains(&origin.bench_target) {
            continue;
        }
        remove_scenario(root, &scenario)?;
        removed.insert(scenario.id);
    }
    Ok(removed.into_iter().collect())
}

/// One scenario's directory and what is stored in it.
struct StoredScenario {
    /// `<root>/<id>`.
    dir: PathBuf,
    /// Its id, as written in its run files.
    id: String,
    /// The files of its run directories: `<dir>/<run dir>/run.json` or `comparison.json`.
    files: Vec<PathBuf>,
    /// The bench targets named by its run files.
    targets: BTreeSet<String>,
}

#[derive(Deserialize)]
struct RunHead {
    scenario: RunHeadScenario,
    #[serde(default)]
    origin: Option<RunOrigin>,
}

#[derive(Deserialize)]
struct RunHeadScenario {
    id: String,
}

#[derive(Deserialize)]
struct ComparisonHead {
    scenario: String,
}

/// Every scenario stored under `root`. A file counts only when it parses and its scenario
/// id leads to the directory it is in; anything else is left alone.
fn stored_scenarios(root: &Path) -> Result<Vec<StoredScenario>> {
    let mut out = Vec::new();
    for dir in directories(root)? {
        let mut scenario = StoredScenario {
            dir: dir.clone(),
            id: String::new(),
            files: Vec::new(),
            targets: BTreeSet::new(),
        };
        for run_dir in subdirectories(&dir)? {
            let run_file = stored_file(&run_dir.join(RUN_FILE));
            if let Some((run_file, head)) =
                run_file.and_then(|f| read_head::<RunHead>(&f).map(|h| (f, h)))
            {
                if scenario_dir(root, &head.scenario.id) == dir {
                    scenario.targets.extend(head.origin.map(|o| o.bench_target));
                    scenario.id = head.scenario.id;
                    scenario.files.push(run_file);
                }
            }
            let comparison_file = run_dir.join(COMPARISON_FILE);
            if let Some(head) = read_head::<ComparisonHead>(&comparison_file) {
                if scenario_dir(root, &head.scenario) == dir {
                    if scenario.id.is_empty() {
                        scenario.id = head.scenario;
                    }
                    scenario.files.push(comparison_file);
                    if let Some(compared) = stored_file(&run_dir.join(COMPARED_BASELINE_FILE)) {
                        scenario.files.push(compared);
                    }
                }
            }
        }
        if !scenario.files.is_empty() {
            out.push(scenario);
        }
    }
    Ok(out)
}

fn read_head<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let text = read_stored(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Every directory below `root` (not `root` itself), without following symbolic links and
/// skipping hidden ones (`.targets`).
fn directories(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = subdirectories(root)?;
    while let Some(dir) = stack.pop() {
        stack.extend(subdirectories(&dir)?);
        out.push(dir);
    }
    Ok(out)
}

/// The real (not symbolic link), not hidden directories directly inside `dir`.
fn subdirectories(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("could not list {}", dir.display()), e)),
    };
    Ok(entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect())
}

/// Removes the scenario's files (and temporary files a crash left beside them), then every
/// directory that is left empty, from its run directories up to the root (not included).
fn remove_scenario(root: &Path, scenario: &StoredScenario) -> Result<()> {
    for file in &scenario.files {
        if !file.starts_with(root) {
            continue;
        }
        remove_file(file)?;
        let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
            continue;
        };
        let tmp_prefix = format!(".{}.tmp-", name.to_string_lossy());
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && entry.file_name().to_string_lossy().starts_with(&tmp_prefix) {
                remove_file(&entry.path())?;
            }
        }
        remove_empty_dirs(root, dir);
    }
    remove_empty_dirs(root, &scenario.dir);
    Ok(())
}

fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("could not remove {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

/// Removes `dir` and its parents while they are empty, stopping below `root`.
fn remove_empty_dirs(root: &Path, dir: &Path) {
    let mut dir = Some(dir);
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::origin;
    use super::super::tests::sample_run;
    use super::super::{
        record_target, save_baseline, save_comparison, save_new, StoredComparison, StoredRun,
        RUN_SCHEMA_VERSION,
    };
    use super::*;

    fn run_of(id: &str, target: Option<&str>) -> StoredRun {
        let mut run = sample_run(id);
        run.origin = target.map(|t| origin("old", t));
        run
    }

    fn comparison(id: &str) -> StoredComparison {
        StoredComparison {
            schema: "llm-bench/run/comparison".into(),
            schema_version: RUN_SCHEMA_VERSION,
            scenario: id.into(),
            baseline: "main".into(),
            metrics: Default::default(),
            gated: vec![],
            regressed: false,
        }
    }

    /// Every file under `dir`, relative, sorted.
    fn files(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p.strip_prefix(dir).unwrap().display().to_string());
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn only_this_targets_unregistered_scenarios_go() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let latency = origin("now", "latency");
        // latency stored chat/a, chat/a/b (nested), chat/gone (with a baseline `b`, a
        // comparison and a crash's temporary file) and gone/deep/arg; it still registers
        // chat/a/b only.
        save_new(root, &run_of("chat/a", Some("latency"))).unwrap();
        save_new(root, &run_of("chat/a/b", Some("latency"))).unwrap();
        save_new(root, &run_of("chat/gone", None)).unwrap();
        save_baseline(root, &run_of("chat/gone", Some("latency")), "main").unwrap();
        save_comparison(root, &comparison("chat/gone")).unwrap();
        fs::write(root.join("chat/gone/main/.run.json.tmp-1"), "{").unwrap();
        save_new(root, &run_of("gone/deep/arg", Some("latency"))).unwrap();
        // a baseline of chat/a named like a nested scenario's last part: chat/a/b/run.json
        save_baseline(root, &run_of("chat/a", Some("latency")), "b").unwrap();
        // Another target's scenario, one that moved to another target, and one stored
        // before origins were recorded.
        save_new(root, &run_of("other/x", Some("throughput"))).unwrap();
        save_new(root, &run_of("moved", Some("latency"))).unwrap();
        record_target(root, &origin("old", "throughput"), &["moved".into()]).unwrap();
        save_new(root, &run_of("legacy", None)).unwrap();
        // Something of the user's, and a file outside any run directory.
        fs::write(root.join("chat/notes.txt"), "mine").unwrap();

        let removed = prune(root, &latency, &["chat/a/b".to_string()]).unwrap();
        assert_eq!(removed, ["chat/a", "chat/gone", "gone/deep/arg"]);
        assert_eq!(
            files(root),
            [
                ".targets/throughput.json",
                "chat/a/b/new/run.json",
                "chat/notes.txt",
                "legacy/new/run.json",
                "moved/new/run.json",
                "other/x/new/run.json",
            ]
        );
        assert!(!root.join("gone").exists(), "empty parents are removed");
        assert!(root.exists());
        // Nothing is left to prune.
        assert!(prune(root, &latency, &["chat/a/b".to_string()])
            .unwrap()
            .is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        save_new(outside.path(), &run_of("x", Some("latency"))).unwrap();
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("x"), root.path().join("x")).unwrap();
        let removed = prune(root.path(), &origin("now", "latency"), &[]).unwrap();
        assert!(removed.is_empty());
        assert!(outside.path().join("x/new/run.json").is_file());
    }
}
