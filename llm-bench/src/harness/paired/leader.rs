//! The leader's side of `--compare-with`: the other build's bench binary started as a
//! worker, and the requests sent to it. Several invocations may be in flight at once; each
//! answer is matched to its request by scenario, index and phase.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::oneshot;

use super::protocol::{decode, encode, FromWorker, Line, ToWorker, PROTOCOL_VERSION};
use crate::metrics::RequestSample;
use crate::store::EndpointInfo;

/// The hidden flag that makes a bench binary a worker.
pub(crate) const WORKER_FLAG: &str = "--llm-bench-worker";

/// How long a worker may take to say hello (it resolves its endpoints first).
const HELLO_TIMEOUT: Duration = Duration::from_secs(60);

/// What an answer is keyed by: (scenario, index, warm-up); `Prepared` uses `u32::MAX`.
type Key = (String, u32, bool);

/// Why the worker can no longer answer, once it cannot.
type Gone = Arc<Mutex<Option<String>>>;

/// The other build, running as a worker.
pub(crate) struct Worker {
    path: PathBuf,
    child: Mutex<Option<Child>>,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    pending: Arc<Mutex<HashMap<Key, oneshot::Sender<FromWorker>>>>,
    gone: Gone,
    /// The scenario ids the worker's build has.
    pub scenarios: Vec<String>,
    /// The worker's llm-bench version.
    pub version: String,
}

/// What one invocation on the worker gave.
pub(crate) struct WorkerSample {
    pub sample: RequestSample,
    pub gaps: Vec<(u64, u32)>,
}

impl Worker {
    /// Starts `path` as a worker with `args` (the leader's own, without `--compare-with`),
    /// pointed at the leader's simulated endpoint when it has one, and waits for its hello.
    pub(crate) async fn start(
        path: &Path,
        args: Vec<OsString>,
        simulated_root: Option<String>,
    ) -> Result<Worker, String> {
        let shown = path.display();
        let mut command = Command::new(path);
        command
            .args(args)
            .arg(WORKER_FLAG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        #[cfg(feature = "simulated")]
        if let Some(root) = simulated_root {
            command.env(crate::harness::simulated::WORKER_SIMULATED_ENV, root);
        }
        #[cfg(not(feature = "simulated"))]
        let _ = simulated_root;
        let mut child = command
            .spawn()
            .map_err(|e| format!("--compare-with {shown}: could not start it: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| format!("--compare-with {shown}: its stdout is not a pipe"))?;
        let pending: Arc<Mutex<HashMap<Key, oneshot::Sender<FromWorker>>>> = Default::default();
        let gone: Gone = Default::default();
        let (hello_tx, hello_rx) = oneshot::channel::<FromWorker>();
        tokio::spawn(read_answers(
            BufReader::new(stdout),
            hello_tx,
            pending.clone(),
            gone.clone(),
        ));
        let hello = tokio::time::timeout(HELLO_TIMEOUT, hello_rx).await;
        let why_not = |gone: &Gone| {
            lock(gone)
                .clone()
                .unwrap_or_else(|| "it exited without a word".into())
        };
        let (protocol, version, scenarios) = match hello {
            Ok(Ok(FromWorker::Hello {
                protocol,
                version,
                scenarios,
            })) => (protocol, version, scenarios),
            Ok(Ok(FromWorker::Fatal { message })) => {
                return Err(format!("--compare-with {shown}: {message}"))
            }
            Ok(_) => {
                let status = child.wait().await.ok().and_then(|s| s.code());
                let status = status.map_or(String::new(), |c| format!(" (exit status {c})"));
                return Err(format!(
                    "--compare-with {shown}: it did not start as a worker{status}: {}; it must be a bench binary built with llm-bench {} or later (its stderr is above)",
                    why_not(&gone),
                    env!("CARGO_PKG_VERSION")
                ));
            }
            Err(_) => {
                return Err(format!(
                    "--compare-with {shown}: it did not answer within {}s",
                    HELLO_TIMEOUT.as_secs()
                ))
            }
        };
        if protocol != PROTOCOL_VERSION {
            return Err(format!(
                "--compare-with {shown}: it speaks worker protocol {protocol} (llm-bench {version}), this build protocol {PROTOCOL_VERSION} (llm-bench {}): build both with llm-bench versions that speak the same protocol",
                env!("CARGO_PKG_VERSION")
            ));
        }
        Ok(Worker {
            path: path.to_path_buf(),
            child: Mutex::new(Some(child)),
            stdin: tokio::sync::Mutex::new(stdin),
            pending,
            gone,
            scenarios,
            version,
        })
    }

    /// The path the worker was started from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Asks the worker to prepare `scenario`: the endpoint it measures for it.
    pub(crate) async fn prepare(&self, scenario: &str) -> Result<Option<EndpointInfo>, String> {
        let key = (scenario.to_string(), u32::MAX, false);
        let message = ToWorker::Prepare {
            scenario: scenario.to_string(),
        };
        match self.ask(key, &message).await? {
            FromWorker::Prepared { error: Some(e), .. } => Err(e),
            FromWorker::Prepared { endpoint, .. } => Ok(endpoint),
            _ => Err("it answered something else than asked".into()),
        }
    }

    /// Runs one invocation of `scenario` on the worker.
    pub(crate) async fn invoke(
        &self,
        scenario: &str,
        index: u32,
        warmup: bool,
    ) -> Result<WorkerSample, String> {
        let key = (scenario.to_string(), index, warmup);
        let message = ToWorker::Invoke {
            scenario: scenario.to_string(),
            index,
            warmup,
        };
        match self.ask(key, &message).await? {
            FromWorker::Sample { sample, gaps, .. } => Ok(WorkerSample {
                sample: *sample,
                gaps,
            }),
            _ => Err("it answered something else than asked".into()),
        }
    }

    /// Sends `message` and waits for the answer keyed `key`.
    async fn ask(&self, key: Key, message: &ToWorker) -> Result<FromWorker, String> {
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(key.clone(), tx);
        if let Err(e) = self.send(message).await {
            lock(&self.pending).remove(&key);
            return Err(e);
        }
        rx.await.map_err(|_| self.why_gone())
    }

    async fn send(&self, message: &ToWorker) -> Result<(), String> {
        let mut stdin = self.stdin.lock().await;
        let Some(pipe) = stdin.as_mut() else {
            return Err(self.why_gone());
        };
        let line = format!("{}\n", encode(message));
        let written = pipe.write_all(line.as_bytes()).await;
        match written.and(pipe.flush().await) {
            Ok(()) => Ok(()),
            Err(e) => Err(lock(&self.gone)
                .clone()
                .unwrap_or_else(|| format!("could not write to it: {e}"))),
        }
    }

    fn why_gone(&self) -> String {
        lock(&self.gone)
            .clone()
            .unwrap_or_else(|| "it exited".into())
    }

    /// Tells the worker to quit and waits for it (a few seconds at most, then kills it).
    pub(crate) async fn quit(&self) {
        let _ = self.send(&ToWorker::Quit).await;
        *self.stdin.lock().await = None;
        let child = lock(&self.child).take();
        if let Some(mut child) = child {
            if tokio::time::timeout(Duration::from_secs(5), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }
}

/// Reads the worker's stdout until it ends: the hello to `hello`, every answer to the
/// request waiting for it; on the end (or a fatal message), `gone` says why and every
/// waiting request is failed.
async fn read_answers(
    stdout: BufReader<tokio::process::ChildStdout>,
    hello: oneshot::Sender<FromWorker>,
    pending: Arc<Mutex<HashMap<Key, oneshot::Sender<FromWorker>>>>,
    gone: Gone,
) {
    let mut hello = Some(hello);
    let mut lines = stdout.lines();
    let why = loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break "it exited".to_string(),
            Err(e) => break format!("its output could not be read: {e}"),
        };
        let message = match decode::<FromWorker>(&line) {
            Line::Message(m) => m,
            Line::Other => continue,
            Line::Version(v) => {
                break format!(
                    "it speaks worker protocol {v}, this build protocol {PROTOCOL_VERSION}: build both with llm-bench versions that speak the same protocol"
                )
            }
            Line::Garbled(why) => break format!("it sent a line this build cannot read: {why}"),
        };
        let key = match &message {
            FromWorker::Hello { .. } => {
                if let Some(tx) = hello.take() {
                    let _ = tx.send(message);
                }
                continue;
            }
            FromWorker::Fatal { message: m } => {
                let m = m.clone();
                if let Some(tx) = hello.take() {
                    let _ = tx.send(message);
                }
                break m;
            }
            FromWorker::Prepared { scenario, .. } => (scenario.clone(), u32::MAX, false),
            FromWorker::Sample {
                scenario,
                index,
                warmup,
                ..
            } => (scenario.clone(), *index, *warmup),
        };
        if let Some(tx) = lock(&pending).remove(&key) {
            let _ = tx.send(message);
        }
    };
    *lock(&gone) = Some(why);
    // Dropping the senders fails every request still waiting, and the hello.
    lock(&pending).clear();
    drop(hello);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
