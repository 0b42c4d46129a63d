//! Which stored runs a report shows, and where: the rule that keeps the reports of one
//! `cargo bench` invocation about that invocation.
//!
//! Of the latest runs (`<scenario>/new/run.json`) under the root:
//!
//! - **this run**: runs whose [`RunOrigin::invocation`] is the current invocation (every
//!   bench binary of the invocation, see [`super::origin`]). Only these are counted in the
//!   headline, listed in the main tables and exported.
//! - **not run this time**: runs of another invocation whose bench target's manifest
//!   ([`super::manifest`]) lists their scenario, so the scenario still exists but was not
//!   selected or its target was not run. Shown apart, with the date they ran; never
//!   counted, never exported.
//! - **left out**: runs with no origin (stored before llm-bench recorded it), runs whose
//!   target's manifest does not list them (deleted or renamed scenarios), runs of a target
//!   without a manifest.

use std::collections::BTreeMap;
use std::path::Path;

use super::manifest::{load_manifests, TargetManifest};
use super::{readable_latest_runs, RunOrigin, StoredRun};
use crate::error::Result;

/// The latest runs under a root, split by [`select_runs`]; each list sorted by scenario id.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Selection {
    /// Runs of this invocation.
    pub(crate) this_run: Vec<StoredRun>,
    /// Runs of scenarios that still exist, from an earlier invocation.
    pub(crate) not_run: Vec<StoredRun>,
    /// Why each stored run that could not be read is left out (each names its file).
    pub(crate) unreadable: Vec<String>,
}

/// Where a stored run belongs in the report of the invocation `current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    ThisRun,
    NotRun,
    LeftOut,
}

/// Splits the latest runs under `root` for the report of the invocation of `current`
/// (see the module docs). A stored run that cannot be read is left out and said why, so
/// one damaged file does not cost the report of everything else.
pub(crate) fn select_runs(root: &Path, current: &RunOrigin) -> Result<Selection> {
    let manifests = load_manifests(root)?;
    let (runs, unreadable) = readable_latest_runs(root)?;
    let mut selection = Selection {
        unreadable: unreadable.iter().map(ToString::to_string).collect(),
        ..Selection::default()
    };
    for run in runs {
        match place(&run, current, &manifests) {
            Place::ThisRun => selection.this_run.push(run),
            Place::NotRun => selection.not_run.push(run),
            Place::LeftOut => {}
        }
    }
    Ok(selection)
}

fn place(
    run: &StoredRun,
    current: &RunOrigin,
    manifests: &BTreeMap<String, TargetManifest>,
) -> Place {
    let Some(origin) = &run.origin else {
        return Place::LeftOut;
    };
    if origin.invocation == current.invocation {
        return Place::ThisRun;
    }
    match manifests.get(&origin.bench_target) {
        Some(m) if m.lists(&run.scenario.id) => Place::NotRun,
        _ => Place::LeftOut,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::origin;
    use super::super::tests::sample_run;
    use super::super::{record_target, save_new};
    use super::*;

    fn ids(runs: &[StoredRun]) -> Vec<&str> {
        runs.iter().map(|r| r.scenario.id.as_str()).collect()
    }

    #[test]
    fn runs_are_this_run_not_run_or_left_out() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let now = origin("inv-2", "latency");
        let store = |id: &str, o: Option<RunOrigin>| {
            let mut run = sample_run(id);
            run.origin = o;
            save_new(root, &run).unwrap();
        };
        // The earlier invocation of `latency` registered a, b and c; this one a and b
        // (c was deleted) and ran only a.
        record_target(root, &now, &["a".into(), "b".into()]).unwrap();
        store("a", Some(now.clone()));
        store("b", Some(origin("inv-1", "latency")));
        store("c", Some(origin("inv-1", "latency")));
        // Another target of this invocation, and one that never wrote a manifest.
        store("t/x", Some(origin("inv-2", "throughput")));
        store("old/y", Some(origin("inv-0", "gone")));
        // A run stored before origins were recorded.
        store("legacy", None);

        let s = select_runs(root, &now).unwrap();
        assert_eq!(ids(&s.this_run), ["a", "t/x"]);
        assert_eq!(ids(&s.not_run), ["b"]);
    }

    #[test]
    fn an_empty_store_selects_nothing() {
        let root = tempfile::tempdir().unwrap();
        let s = select_runs(root.path(), &origin("i", "t")).unwrap();
        assert_eq!(s, Selection::default());
    }
}
