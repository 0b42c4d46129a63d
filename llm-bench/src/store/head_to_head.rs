//! Scenarios measured head to head (`cargo bench -- --interleave`): the record of which
//! scenarios were interleaved and how each compared, in pairs, with the first. Stored beside
//! the first scenario's run, as `<root>/<first id>/new/head_to_head.json`; each scenario's
//! own run is stored as usual.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{scenario_dir, write_json, RunOrigin, StoredComparison, NEW_DIR};
use crate::error::{Error, Result};

/// The file of a head-to-head run, beside its reference scenario's run.
pub const HEAD_TO_HEAD_FILE: &str = "head_to_head.json";

/// The schema name of [`StoredHeadToHead`] files.
pub const HEAD_TO_HEAD_SCHEMA: &str = "llm-bench-head-to-head";

/// Scenarios whose invocations ran interleaved in rounds (one request of each per round),
/// each compared in pairs with the first, the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredHeadToHead {
    /// Always [`HEAD_TO_HEAD_SCHEMA`].
    pub schema: String,
    /// Every interleaved scenario's id, the reference first.
    pub scenarios: Vec<String>,
    /// How a round's requests were sent: `alternate` (one after the other, in a seeded
    /// random order) or `simultaneous` (all at once).
    pub order: String,
    /// Measured rounds.
    pub rounds: u32,
    /// One paired comparison per scenario after the first: its `scenario` is that
    /// scenario's id, its `baseline` the reference's.
    pub comparisons: Vec<StoredComparison>,
    /// The invocation that ran them (a report shows the record only with the reference's
    /// run of the same invocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<RunOrigin>,
}

impl StoredHeadToHead {
    /// The reference scenario's id (the first).
    pub fn reference(&self) -> &str {
        self.scenarios.first().map_or("", String::as_str)
    }
}

/// Writes `record` as `<root>/<reference id>/new/head_to_head.json`, atomically; returns the
/// path.
pub fn save_head_to_head(root: &Path, record: &StoredHeadToHead) -> Result<PathBuf> {
    let path = scenario_dir(root, record.reference())
        .join(NEW_DIR)
        .join(HEAD_TO_HEAD_FILE);
    write_json(&path, record)?;
    Ok(path)
}

/// Reads `<root>/<id>/new/head_to_head.json`, when scenario `id` was the reference of a
/// head-to-head run.
pub fn load_head_to_head(root: &Path, scenario_id: &str) -> Result<Option<StoredHeadToHead>> {
    let path = scenario_dir(root, scenario_id)
        .join(NEW_DIR)
        .join(HEAD_TO_HEAD_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("could not read {}", path.display()), e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::Config(format!(
            "{} is a damaged head-to-head record: {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_read_back_from_beside_its_reference() {
        let dir = tempfile::tempdir().unwrap();
        let record = StoredHeadToHead {
            schema: HEAD_TO_HEAD_SCHEMA.into(),
            scenarios: vec!["models/small".into(), "models/large".into()],
            order: "alternate".into(),
            rounds: 3,
            comparisons: Vec::new(),
            origin: None,
        };
        let path = save_head_to_head(dir.path(), &record).unwrap();
        assert!(path.ends_with("models/small/new/head_to_head.json"));
        assert_eq!(
            load_head_to_head(dir.path(), "models/small").unwrap(),
            Some(record)
        );
        assert_eq!(load_head_to_head(dir.path(), "models/large").unwrap(), None);
        fs::write(&path, "{").unwrap();
        let err = load_head_to_head(dir.path(), "models/small").unwrap_err();
        assert!(err.to_string().contains("head_to_head.json is a damaged"));
    }
}
