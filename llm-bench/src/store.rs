//! Stored runs: versioned JSON under `target/llm-bench/<scenario>/new/`, written atomically.
//!
//! Layout (criterion's): `<root>/<scenario id>/new/run.json`, where the root is
//! `$LLM_BENCH_HOME`, else `$CARGO_TARGET_DIR/llm-bench`, else the `target/` directory the
//! running bench binary was built into, else `./target/llm-bench`. A scenario id `group/name`
//! becomes two directory levels. Room is left beside `new/` for named baselines.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorClass, Result};
use crate::metrics::{Metric, RequestSample, Summary};

/// The `schema` field of a stored run.
pub const RUN_SCHEMA: &str = "llm-bench/run";
/// The version of the run schema this build writes and reads.
pub const RUN_SCHEMA_VERSION: u32 = 1;
/// File name of a stored run inside its directory.
pub const RUN_FILE: &str = "run.json";

/// Which scenario a run measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Full id (`group/name` or `name`).
    pub id: String,
    /// `module_path!()` of the scenario function.
    pub module_path: String,
    /// Source file of the scenario function.
    pub file: String,
    /// Line of the scenario function.
    pub line: u32,
    /// First paragraph of its doc comment.
    pub description: String,
}

/// What a run measured against. Never holds a key or a full URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInfo {
    /// `simulated` (the built-in endpoint) or `openai_compatible`.
    pub kind: String,
    /// Host and port.
    pub host: String,
    /// The model asked for, when known.
    pub model: Option<String>,
}

/// Load settings of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Measured requests asked for.
    pub samples: u32,
    /// Warm-up requests run first and discarded.
    pub warmup: u32,
    /// Requests in flight at once (closed loop).
    pub concurrency: u32,
    /// Time limit of one invocation, in milliseconds.
    pub timeout_ms: u64,
}

/// Run-level throughput.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Successful requests per second of wall time.
    pub requests_per_second: f64,
    /// Output tokens of successful requests per second of wall time.
    pub output_tokens_per_second: f64,
}

/// One stored run of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    /// Always [`RUN_SCHEMA`].
    pub schema: String,
    /// [`RUN_SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// Version of llm-bench that wrote it.
    pub llm_bench_version: String,
    /// The scenario.
    pub scenario: ScenarioInfo,
    /// The endpoint.
    pub endpoint: EndpointInfo,
    /// Load settings.
    pub settings: RunSettings,
    /// When the run started, in milliseconds since the Unix epoch.
    pub started_at_unix_ms: u64,
    /// Wall time of the measured phase, in nanoseconds.
    pub wall_time_ns: u64,
    /// True when the run was stopped early (Ctrl-C): the samples are the finished ones.
    pub interrupted: bool,
    /// Every measured request, failed ones included.
    pub samples: Vec<RequestSample>,
    /// All inter-token gaps of successful requests, as HDR buckets `[value_ns, count]`.
    pub itl_histogram: Vec<(u64, u64)>,
    /// Summary per metric (only metrics with values).
    pub summary: BTreeMap<Metric, Summary>,
    /// Failed requests per class.
    pub errors: BTreeMap<ErrorClass, u64>,
    /// Run-level throughput.
    pub throughput: Throughput,
}

impl StoredRun {
    /// Parses a stored run, refusing other schemas and newer versions with a clear message.
    pub fn from_json(text: &str, origin: &Path) -> Result<StoredRun> {
        #[derive(Deserialize)]
        struct Head {
            schema: Option<String>,
            schema_version: Option<u32>,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| {
            Error::Config(format!(
                "{} is not a stored llm-bench run: {e}",
                origin.display()
            ))
        })?;
        if head.schema.as_deref() != Some(RUN_SCHEMA) {
            return Err(Error::Config(format!(
                "{} is not a stored llm-bench run (schema {:?})",
                origin.display(),
                head.schema
            )));
        }
        match head.schema_version {
            Some(RUN_SCHEMA_VERSION) => {}
            other => {
                return Err(Error::Config(format!(
                    "{} has run schema version {other:?}; this llm-bench ({}) reads version {RUN_SCHEMA_VERSION}",
                    origin.display(),
                    env!("CARGO_PKG_VERSION")
                )))
            }
        }
        serde_json::from_str(text).map_err(|e| {
            Error::Config(format!("{} is a damaged stored run: {e}", origin.display()))
        })
    }
}

/// Where stored runs live (see the module docs for the order of precedence).
pub fn output_root() -> PathBuf {
    if let Some(home) = std::env::var_os("LLM_BENCH_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(target).join("llm-bench");
    }
    if let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|exe| target_dir_of(&exe))
    {
        return target.join("llm-bench");
    }
    PathBuf::from("target").join("llm-bench")
}

/// `<target>` for an executable at `<target>/<profile>/deps/<bin>` (how cargo lays out bench
/// and test binaries), or `<target>/<triple>/<profile>/deps/<bin>`.
fn target_dir_of(exe: &Path) -> Option<PathBuf> {
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    let mut dir = deps.parent()?.parent()?;
    // A cross-compiled layout has a target-triple level in between.
    if !dir.join("CACHEDIR.TAG").exists() && dir.parent()?.join("CACHEDIR.TAG").exists() {
        dir = dir.parent()?;
    }
    Some(dir.to_path_buf())
}

/// The directory of a scenario's results: one level per `/`-separated part of its id, each
/// part reduced to `[A-Za-z0-9_.-]`.
pub fn scenario_dir(root: &Path, scenario_id: &str) -> PathBuf {
    let mut dir = root.to_path_buf();
    for part in scenario_id.split('/') {
        let clean: String = part
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let clean = clean.trim_start_matches('.');
        dir.push(if clean.is_empty() { "_" } else { clean });
    }
    dir
}

/// Writes `run` as `<root>/<id>/new/run.json`, atomically; returns the path.
pub fn save_new(root: &Path, run: &StoredRun) -> Result<PathBuf> {
    let dir = scenario_dir(root, &run.scenario.id).join("new");
    let path = dir.join(RUN_FILE);
    let json = serde_json::to_vec_pretty(run)
        .map_err(|e| Error::Config(format!("could not encode the run: {e}")))?;
    write_atomic(&path, &json)?;
    Ok(path)
}

/// Reads `<root>/<id>/new/run.json`.
pub fn load_new(root: &Path, scenario_id: &str) -> Result<StoredRun> {
    let path = scenario_dir(root, scenario_id).join("new").join(RUN_FILE);
    let text = fs::read_to_string(&path)
        .map_err(|e| Error::io(format!("could not read {}", path.display()), e))?;
    StoredRun::from_json(&text, &path)
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a part:
/// a temporary file in the same directory, flushed to disk, then renamed over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Config(format!("{} has no parent directory", path.display())))?;
    fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("could not create {}", dir.display()), e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = fs::remove_file(&tmp);
        Error::io(format!("could not write {}", path.display()), e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_run(id: &str) -> StoredRun {
        StoredRun {
            schema: RUN_SCHEMA.into(),
            schema_version: RUN_SCHEMA_VERSION,
            llm_bench_version: env!("CARGO_PKG_VERSION").into(),
            scenario: ScenarioInfo {
                id: id.into(),
                module_path: "m".into(),
                file: "f.rs".into(),
                line: 1,
                description: String::new(),
            },
            endpoint: EndpointInfo {
                kind: "simulated".into(),
                host: "127.0.0.1:1".into(),
                model: None,
            },
            settings: RunSettings {
                samples: 1,
                warmup: 0,
                concurrency: 1,
                timeout_ms: 1000,
            },
            started_at_unix_ms: 0,
            wall_time_ns: 0,
            interrupted: false,
            samples: vec![],
            itl_histogram: vec![(10, 2)],
            summary: BTreeMap::new(),
            errors: BTreeMap::new(),
            throughput: Throughput {
                requests_per_second: 0.0,
                output_tokens_per_second: 0.0,
            },
        }
    }

    #[test]
    fn save_then_load_round_trips() {
        let root = tempfile::tempdir().unwrap();
        let run = sample_run("chat/short turn");
        let path = save_new(root.path(), &run).unwrap();
        assert!(
            path.ends_with("chat/short_turn/new/run.json"),
            "{}",
            path.display()
        );
        assert_eq!(load_new(root.path(), "chat/short turn").unwrap(), run);
        // no temporary file is left behind
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("run.json")]);
    }

    #[test]
    fn ids_cannot_escape_the_root() {
        let root = Path::new("/r");
        assert_eq!(scenario_dir(root, "../../etc"), Path::new("/r/_/_/etc"));
        assert_eq!(scenario_dir(root, "a b/c:d"), Path::new("/r/a_b/c_d"));
    }

    #[test]
    fn other_schemas_and_versions_are_refused() {
        let p = Path::new("x.json");
        let err = StoredRun::from_json(r#"{"schema":"other"}"#, p).unwrap_err();
        assert!(
            err.to_string().contains("not a stored llm-bench run"),
            "{err}"
        );
        let err = StoredRun::from_json(r#"{"schema":"llm-bench/run","schema_version":99}"#, p)
            .unwrap_err();
        assert!(err.to_string().contains("version Some(99)"), "{err}");
    }

    #[test]
    fn target_dir_is_found_from_a_bench_binary_path() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("CACHEDIR.TAG"), "").unwrap();
        let exe = t.path().join("release/deps/dogfood-123");
        assert_eq!(target_dir_of(&exe).unwrap(), t.path());
        assert_eq!(target_dir_of(Path::new("/usr/bin/x")), None);
    }
}
