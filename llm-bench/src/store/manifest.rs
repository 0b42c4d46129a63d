//! Target manifests: `<root>/.targets/<bench target>.json`, written by every bench-mode run
//! of a bench target before its first request, naming the invocation and every scenario the
//! target registers (all of them, not only the ones selected this time).
//!
//! The reports read them to tell a scenario that still exists but was not run this time
//! (listed by its target's manifest) from one that was deleted or renamed (not listed);
//! [`super::prune()`] reads them so as not to remove a scenario another target registers.
//! A missing manifest, a damaged one or one of another schema version counts as no
//! manifest: the results of its target are left out of the reports until it runs again.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{write_json, RunOrigin};
use crate::error::{Error, Result};

/// Directory of the manifests, under the store's root (a name no scenario directory can
/// have: [`super::scenario_dir`] never starts a part with `.`).
pub(crate) const TARGETS_DIR: &str = ".targets";
/// The `schema` field of a manifest.
const MANIFEST_SCHEMA: &str = "llm-bench/target";
/// The version of the manifest schema this build writes and reads.
const MANIFEST_SCHEMA_VERSION: u32 = 1;

/// What one bench target registered when it last ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TargetManifest {
    /// Always [`MANIFEST_SCHEMA`].
    schema: String,
    /// [`MANIFEST_SCHEMA_VERSION`].
    schema_version: u32,
    /// The bench target.
    pub(crate) bench_target: String,
    /// The invocation that wrote it.
    pub(crate) invocation: String,
    /// When it was written, in milliseconds since the Unix epoch.
    pub(crate) recorded_at_unix_ms: u64,
    /// Every scenario id the target registers, sorted.
    pub(crate) scenarios: Vec<String>,
}

impl TargetManifest {
    /// True when the target registers `scenario_id`.
    pub(crate) fn lists(&self, scenario_id: &str) -> bool {
        self.scenarios
            .binary_search_by(|s| s.as_str().cmp(scenario_id))
            .is_ok()
    }
}

/// Writes `<root>/.targets/<bench_target>.json` (atomically) with the invocation of
/// `origin` and every scenario id in `registered`.
pub(crate) fn record_target(root: &Path, origin: &RunOrigin, registered: &[String]) -> Result<()> {
    let mut scenarios = registered.to_vec();
    scenarios.sort();
    scenarios.dedup();
    let manifest = TargetManifest {
        schema: MANIFEST_SCHEMA.into(),
        schema_version: MANIFEST_SCHEMA_VERSION,
        bench_target: origin.bench_target.clone(),
        invocation: origin.invocation.clone(),
        recorded_at_unix_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        scenarios,
    };
    write_json(&manifest_path(root, &origin.bench_target), &manifest)
}

/// Where the manifest of `bench_target` lives: its name reduced to `[A-Za-z0-9_-]`.
fn manifest_path(root: &Path, bench_target: &str) -> PathBuf {
    let name: String = bench_target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if name.is_empty() { "_".into() } else { name };
    root.join(TARGETS_DIR).join(format!("{name}.json"))
}

/// Every readable manifest under `root`, by bench target. Damaged manifests and those of
/// another schema version are skipped (see the module docs).
pub(crate) fn load_manifests(root: &Path) -> Result<BTreeMap<String, TargetManifest>> {
    let dir = root.join(TARGETS_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(Error::io(format!("could not list {}", dir.display()), e)),
    };
    let mut out = BTreeMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_json = path.extension().is_some_and(|x| x == "json");
        if !is_json || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let Ok(mut manifest) = serde_json::from_str::<TargetManifest>(&text) else {
            continue;
        };
        if manifest.schema != MANIFEST_SCHEMA || manifest.schema_version != MANIFEST_SCHEMA_VERSION
        {
            continue;
        }
        manifest.scenarios.sort();
        out.insert(manifest.bench_target.clone(), manifest);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::origin;
    use super::*;

    #[test]
    fn a_manifest_round_trips_and_lists_every_registered_id() {
        let root = tempfile::tempdir().unwrap();
        let ids = ["chat/b".to_string(), "chat/a".into(), "chat/a".into()];
        record_target(root.path(), &origin("inv-1", "latency"), &ids).unwrap();
        assert!(root.path().join(".targets/latency.json").is_file());
        let all = load_manifests(root.path()).unwrap();
        let m = &all["latency"];
        assert_eq!(m.invocation, "inv-1");
        assert_eq!(m.scenarios, ["chat/a", "chat/b"]);
        assert!(m.lists("chat/a") && !m.lists("chat/c"));

        // A later run of the same target replaces it.
        record_target(root.path(), &origin("inv-2", "latency"), &ids[..1]).unwrap();
        let all = load_manifests(root.path()).unwrap();
        assert_eq!(all["latency"].invocation, "inv-2");
        assert_eq!(all["latency"].scenarios, ["chat/b"]);
    }

    #[test]
    fn damaged_and_foreign_manifests_count_as_missing() {
        let root = tempfile::tempdir().unwrap();
        assert!(load_manifests(root.path()).unwrap().is_empty());
        let dir = root.path().join(TARGETS_DIR);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("a.json"), "{ not json").unwrap();
        fs::write(
            dir.join("b.json"),
            r#"{"schema":"llm-bench/target","schema_version":99,"bench_target":"b",
               "invocation":"x","recorded_at_unix_ms":0,"scenarios":[]}"#,
        )
        .unwrap();
        record_target(root.path(), &origin("i", "ok/../odd name"), &[]).unwrap();
        let all = load_manifests(root.path()).unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["ok/../odd name"]);
        assert!(dir.join("ok____odd_name.json").is_file());
    }
}
