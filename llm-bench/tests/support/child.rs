//! A bench process for tests that need one of their own (signals, process-wide
//! environment, everything a run writes): the test binary starts itself again, running only
//! its ignored `child` test, which calls [`run_child`].
//!
//! A test file using it declares
//!
//! ```ignore
//! #[path = "support/child.rs"]
//! mod child;
//!
//! #[test]
//! #[ignore = "the child process of the tests in this file"]
//! fn child() {
//!     child::run_child();
//! }
//! ```

#![allow(dead_code)] // each test file uses its own part

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use llm_bench::stored::Store;

/// The harness's arguments for the child, separated by spaces (set by the parent).
const ARGS_ENV: &str = "LLM_BENCH_TEST_CHILD_ARGS";
/// Where the child writes `ready` when its scenario says the run is under way.
pub const READY_ENV: &str = "LLM_BENCH_TEST_READY";

/// The child's body: runs the harness on the parent's arguments and exits with its status.
pub fn run_child() {
    let args = std::env::var(ARGS_ENV).unwrap_or_default();
    let code = llm_bench::run_with_args(args.split(' ').filter(|a| !a.is_empty()));
    std::process::exit(code);
}

/// In the child: says the run is under way (the parent's [`Bench::wait_until_ready`]).
pub fn say_ready() -> llm_bench::Result<()> {
    if let Some(ready) = std::env::var_os(READY_ENV) {
        std::fs::write(ready, b"").map_err(llm_bench::Error::other)?;
    }
    Ok(())
}

/// A child process running the harness, its results under a temporary directory.
pub struct Bench {
    child: Child,
    home: tempfile::TempDir,
}

impl Bench {
    /// Starts the harness on `args` (after the program name), its results under a new
    /// temporary directory (`LLM_BENCH_HOME`), with `env` set and every endpoint variable
    /// of the parent removed.
    pub fn start(args: &str, env: &[(&str, OsString)]) -> Bench {
        let home = tempfile::tempdir().expect("a temporary directory");
        Bench::start_in(home, args, env)
    }

    /// [`Bench::start`] with results under `home`.
    pub fn start_in(home: tempfile::TempDir, args: &str, env: &[(&str, OsString)]) -> Bench {
        let mut command = Command::new(std::env::current_exe().expect("this test binary"));
        command
            .args(["--ignored", "--exact", "child", "--nocapture"])
            .env(ARGS_ENV, format!("bench --bench {args}"))
            .env(READY_ENV, home.path().join("ready"))
            .env("LLM_BENCH_HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.ends_with("_BASE_URL")
                || name.ends_with("_API_KEY")
                || name.ends_with("_ENDPOINT")
                || name.starts_with("LLM_BENCH_")
                || name == "OLLAMA_HOST"
                || name == "HF_TOKEN"
            {
                command.env_remove(name.as_ref());
            }
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("the child bench process starts");
        Bench { child, home }
    }

    /// Waits (at most 60 s: a debug build starts slowly on a busy machine) until the
    /// child's scenario called [`say_ready`].
    pub fn wait_until_ready(&mut self) {
        let ready = self.home.path().join("ready");
        let until = Instant::now() + Duration::from_secs(60);
        while !ready.exists() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the child exited before its requests were under way: {status}");
            }
            assert!(Instant::now() < until, "the child never got under way");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (`libc::SIGTERM`, `libc::SIGINT`) to the child.
    #[cfg(unix)]
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a process id");
        // SAFETY: kill(2) takes any pid and signal number; the child is ours and alive
        // until waited on, so the pid is not reused.
        let sent = unsafe { libc::kill(pid, signal) };
        assert_eq!(sent, 0, "kill({pid}, {signal}) failed");
    }

    /// Waits at most `limit` for the child to exit (killing it after); what it left.
    pub fn exit_within(mut self, limit: Duration) -> Exited {
        let until = Instant::now() + limit;
        // Read the pipes while waiting: a child blocked on a full pipe never exits.
        let mut stdout = self.child.stdout.take().expect("piped stdout");
        let mut stderr = self.child.stderr.take().expect("piped stderr");
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited on") {
                break status;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("the child did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Exited {
            code: status.code(),
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
            home: self.home,
        }
    }
}

/// What a child left.
pub struct Exited {
    /// Its exit code (`None` when a signal killed it).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub home: tempfile::TempDir,
}

impl Exited {
    /// The store root the child wrote into.
    pub fn root(&self) -> &Path {
        self.home.path()
    }

    /// The latest stored run of `id`.
    pub fn run(&self, id: &str) -> llm_bench::stored::StoredRun {
        Store::open(self.root())
            .latest(id)
            .unwrap_or_else(|e| panic!("the run of {id} could not be read: {e}\n{self}"))
    }

    /// The names of the stored baselines of `id`.
    pub fn baselines(&self, id: &str) -> Vec<String> {
        Store::open(self.root())
            .baselines(id)
            .unwrap_or_else(|e| panic!("the baselines of {id} could not be listed: {e}"))
    }
}

impl std::fmt::Display for Exited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
