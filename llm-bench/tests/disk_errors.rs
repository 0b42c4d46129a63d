//! A results directory that cannot be written: the run says which path and why, exits 1,
//! and never panics; a full disk leaves the file it could not replace as it was.
//!
//! The read-only and the full filesystem are small tmpfs mounts made by the test, which
//! needs root (as in CI's container); elsewhere these tests say they were skipped. The
//! results directory under a file needs nothing.
#![cfg(all(target_os = "linux", feature = "simulated"))]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use llm_bench::prelude::*;

#[path = "support/child.rs"]
mod child;
use child::{Bench, Exited};

/// The child process: see `support/child.rs`.
#[test]
#[ignore = "the child process of the tests in this file"]
fn child() {
    child::run_child();
}

/// A streamed answer of 20 tokens.
#[llm_bench(group = "disk")]
async fn stream(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("count").max_tokens(20)).await?;
    Ok(())
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Mount {
    /// A tmpfs of `size` (e.g. `16k`) with `options` (e.g. `ro`); `None` when mounting is
    /// not permitted here.
    fn tmpfs(size: &str, options: &str) -> Option<Mount> {
        let parent = tempfile::tempdir().expect("a temporary directory");
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).expect("a mount point");
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}{options}"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .is_ok_and(|o| o.status.success());
        if !mounted {
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(Mount {
            dir,
            _parent: parent,
        })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Runs `disk/stream` with its results under `root`.
fn run_with_results_in(root: &Path, samples: u32) -> Exited {
    let env: [(&str, OsString); 2] = [
        (
            "LLM_BENCH_MOCK_PROFILE",
            "ttft=1ms, itl=100us, tokens=20".into(),
        ),
        ("LLM_BENCH_HOME", root.into()),
    ];
    Bench::start(
        &format!("disk/stream --samples {samples} --warmup 0 --noplot"),
        &env,
    )
    .exit_within(Duration::from_secs(60))
}

#[test]
fn a_results_directory_under_a_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("a file");
    let root = file.join("results");
    let exited = run_with_results_in(&root, 3);
    assert_eq!(exited.code, Some(1), "{exited}");
    assert!(
        exited
            .stderr
            .contains(&format!("error: could not create {}", root.display())),
        "{exited}"
    );
    assert!(!exited.stderr.contains("panicked"), "{exited}");
}

#[test]
fn a_read_only_results_directory_is_named_before_any_request_is_sent() {
    let Some(mount) = Mount::tmpfs("64k", ",ro") else {
        return;
    };
    let exited = run_with_results_in(&mount.dir, 3);
    assert_eq!(exited.code, Some(1), "{exited}");
    assert!(
        exited.stderr.contains(&mount.dir.display().to_string()),
        "{exited}"
    );
    assert!(exited.stderr.contains("Read-only file system"), "{exited}");
    assert!(
        !exited.stdout.contains("collecting"),
        "no request is sent when nothing could be stored\n{exited}"
    );
    assert!(!exited.stderr.contains("panicked"), "{exited}");
}

#[test]
fn a_full_disk_names_the_file_and_keeps_the_run_it_could_not_replace() {
    let Some(mount) = Mount::tmpfs("160k", "") else {
        return;
    };
    // A run of 2 requests fits (about 70 kB with its report); one of 200 does not (its
    // run.json alone is about 170 kB).
    let first = run_with_results_in(&mount.dir, 2);
    assert_eq!(first.code, Some(0), "{first}");
    let kept = std::fs::read(mount.dir.join("disk/stream/new/run.json")).expect("the first run");
    let second = run_with_results_in(&mount.dir, 200);
    assert_eq!(second.code, Some(1), "{second}");
    let file = mount.dir.join("disk/stream/new/run.json");
    assert!(
        second
            .stderr
            .contains(&format!("error: could not write {}", file.display())),
        "{second}"
    );
    assert!(
        second.stderr.contains("No space left on device"),
        "{second}"
    );
    assert!(!second.stderr.contains("panicked"), "{second}");
    // The measurements still reach the console, and the stored run is the first one, whole.
    assert!(second.stdout.contains("200 samples"), "{second}");
    assert_eq!(std::fs::read(&file).expect("the stored run"), kept);
}
