//! Which `cargo bench` invocation and which bench target is running: the [`RunOrigin`]
//! stamped on every stored run, by which the reports tell the scenarios of this invocation
//! from older results in the same store.
//!
//! # How the bench binaries of one invocation recognise each other
//!
//! `cargo bench` builds every bench target, then starts their binaries one after the other,
//! each as a child of the same cargo process. Each binary computes the invocation id by the
//! first of these rules that applies, so all of them agree without talking to each other:
//!
//! 1. `LLM_BENCH_INVOCATION`, when set and not empty, taken as is. CI can set it to an id of
//!    the job, e.g. `${{ github.run_id }}-${{ github.run_attempt }}-${{ github.job }}`. It
//!    must differ between invocations that share a store: results stored under the same id
//!    count as this run's.
//! 2. When the parent process is cargo: `cargo-<ppid>-<start>`. On Linux the parent is cargo
//!    when `/proc/<ppid>/comm` starts with `cargo`, and `<start>` is the parent's start time
//!    (field 22 of `/proc/<ppid>/stat`, clock ticks since boot): every binary of one
//!    `cargo bench` has the same parent, and a later cargo that gets the same pid again
//!    started at another time, so it gets another id. On other Unix systems (no `/proc`)
//!    the parent counts as cargo when cargo's `CARGO` variable is in the environment, and
//!    the id is `cargo-<ppid>`.
//! 3. Otherwise (a bench binary started by hand or by another tool; not Unix): an id of this
//!    process alone, `pid-<pid>-<start>` (`<start>` its start time, or the time it first
//!    asked, in milliseconds since the Unix epoch, prefixed `t`).
//!
//! The id is computed once per process (after the first call, a change of parent, as when
//! cargo is killed, does not change it), except that `LLM_BENCH_INVOCATION` is read on
//! every call.
//!
//! The bench target is the running executable's name without the `-<16 hex digits>` hash
//! cargo appends: `target/release/deps/latency-1a2b3c4d5e6f7a8b` is `latency` (cargo writes
//! a `-` in a target's name as `_` in the file name, so `my-bench` is `my_bench`).
//!
//! What the reports make of it: runs of this invocation are the report; runs of an earlier
//! one are shown apart as "not run this time" when their target's manifest still lists the
//! scenario, and left out otherwise, as are runs with no origin (see [`super::selection`]
//! and [`super::manifest`]). `--prune` removes the results of scenarios a target stored
//! and no longer registers (see [`super::prune()`]).

use std::ffi::OsString;
use std::path::Path;
use std::sync::OnceLock;

use super::RunOrigin;

/// The environment variable that names the invocation (rule 1 of the module docs).
pub(crate) const INVOCATION_VAR: &str = "LLM_BENCH_INVOCATION";

/// The origin of the runs this process stores: its invocation and its bench target.
pub(crate) fn current_origin() -> RunOrigin {
    RunOrigin {
        invocation: invocation_id(std::env::var_os(INVOCATION_VAR)),
        bench_target: current_bench_target(),
    }
}

/// The invocation id given the value of `LLM_BENCH_INVOCATION` (see the module docs).
fn invocation_id(var: Option<OsString>) -> String {
    if let Some(id) = var
        .map(|v| v.to_string_lossy().trim().to_string())
        .filter(|v| !v.is_empty())
    {
        return id;
    }
    static DERIVED: OnceLock<String> = OnceLock::new();
    DERIVED
        .get_or_init(|| cargo_parent_id().unwrap_or_else(own_process_id))
        .clone()
}

/// `cargo-<ppid>-<start>` (or `cargo-<ppid>`) when the parent process is cargo.
#[cfg(unix)]
fn cargo_parent_id() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    match std::fs::read_to_string(format!("/proc/{ppid}/comm")) {
        Ok(comm) => {
            if !is_cargo(&comm) {
                return None;
            }
            let start = std::fs::read_to_string(format!("/proc/{ppid}/stat"))
                .ok()
                .and_then(|stat| start_time_of(&stat));
            Some(match start {
                Some(start) => format!("cargo-{ppid}-{start}"),
                None => format!("cargo-{ppid}"),
            })
        }
        // No `/proc` (macOS, the BSDs): trust cargo's own variable.
        Err(_) => std::env::var_os("CARGO")
            .filter(|v| !v.is_empty())
            .map(|_| format!("cargo-{ppid}")),
    }
}

#[cfg(not(unix))]
fn cargo_parent_id() -> Option<String> {
    None
}

/// True when a process's `comm` (its executable's name, truncated to 15 bytes by Linux)
/// is cargo's: `cargo`, or a `cargo-…` subcommand.
fn is_cargo(comm: &str) -> bool {
    comm.trim().starts_with("cargo")
}

/// The start time (field 22) of a `/proc/<pid>/stat` line. The second field is the
/// command name in parentheses, which may itself hold spaces and `)`, so the fields are
/// counted from after the last `)`: that text starts with field 3.
fn start_time_of(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// `pid-<pid>-<start>`: an id of this process alone, the same on every call.
fn own_process_id() -> String {
    static OWN: OnceLock<String> = OnceLock::new();
    OWN.get_or_init(|| {
        let pid = std::process::id();
        let start = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|stat| start_time_of(&stat))
            .map(|ticks| ticks.to_string())
            .unwrap_or_else(|| {
                let ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                format!("t{ms}")
            });
        format!("pid-{pid}-{start}")
    })
    .clone()
}

/// The bench target of the running executable (see the module docs).
fn current_bench_target() -> String {
    std::env::current_exe()
        .ok()
        .or_else(|| std::env::args_os().next().map(Into::into))
        .and_then(|exe| bench_target_of(&exe))
        .unwrap_or_else(|| "bench".to_string())
}

/// The bench target of an executable at `exe`: its file stem without cargo's
/// `-<16 hex digits>` suffix.
fn bench_target_of(exe: &Path) -> Option<String> {
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    if let Some((name, hash)) = stem.rsplit_once('-') {
        if !name.is_empty() && hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Some(name.to_string());
        }
    }
    (!stem.is_empty()).then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_names_the_invocation() {
        // The only test that sets the variable; the value is unique to this test.
        std::env::set_var(INVOCATION_VAR, "  ci-job-4242  ");
        let origin = current_origin();
        std::env::remove_var(INVOCATION_VAR);
        assert_eq!(origin.invocation, "ci-job-4242");
        assert!(!origin.bench_target.is_empty());
        // Empty means unset: the id derived from the parent process or this one.
        let derived = invocation_id(Some(OsString::from("")));
        assert!(
            derived.starts_with("cargo-") || derived.starts_with("pid-"),
            "{derived}"
        );
        assert_eq!(invocation_id(None), derived, "stable within a process");
    }

    #[test]
    fn the_start_time_is_field_22_counted_after_the_last_parenthesis() {
        let stat = "4242 (cargo) weird) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    15 3 0 0 20 0 3 0 987654 123456789 2048 18446744073709551615";
        assert_eq!(start_time_of(stat), Some(987654));
        let plain = "7 (cargo) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 1 1";
        assert_eq!(start_time_of(plain), Some(55));
        assert_eq!(start_time_of("7 (cargo) S 1 2"), None, "too few fields");
        assert_eq!(start_time_of("no parenthesis 1 2 3"), None);
        assert_eq!(
            start_time_of("7 (c) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x 1"),
            None,
            "not a number"
        );
    }

    #[test]
    fn cargo_and_its_subcommands_are_recognised() {
        assert!(is_cargo("cargo\n"));
        assert!(is_cargo("cargo-nextest\n"));
        assert!(!is_cargo("bash\n"));
        assert!(!is_cargo(""));
    }

    #[test]
    fn the_bench_target_drops_cargos_hash() {
        let t = |p: &str| bench_target_of(Path::new(p));
        assert_eq!(
            t("target/release/deps/latency-1a2b3c4d5e6f7a8b").as_deref(),
            Some("latency")
        );
        assert_eq!(
            t("deps/my_bench-1A2B3C4D5E6F7A8B.exe").as_deref(),
            Some("my_bench")
        );
        assert_eq!(t("/usr/local/bin/latency").as_deref(), Some("latency"));
        assert_eq!(t("deps/short-1a2b").as_deref(), Some("short-1a2b"));
        assert_eq!(
            t("deps/not-hex-1a2b3c4d5e6f7a8z").as_deref(),
            Some("not-hex-1a2b3c4d5e6f7a8z")
        );
        assert_eq!(t("/").as_deref(), None);
    }
}
