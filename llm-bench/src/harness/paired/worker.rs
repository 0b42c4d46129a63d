//! A bench binary as the worker of another build (`--llm-bench-worker`, started by the
//! leader of `--compare-with`): it runs single invocations of its own scenarios when asked,
//! against the endpoint the leader measures, and sends back what it measured.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use quanta::Instant;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::protocol::{decode, encode, FromWorker, Line, ToWorker, PROTOCOL_VERSION};
use crate::context::ScenarioEnv;
use crate::harness::bench::scenario_env;
use crate::harness::cli::Args;
use crate::harness::endpoint::Endpoints;
use crate::harness::runner::{one_invocation, run_setup};
use crate::harness::settings::Settings;
use crate::harness::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::scenario::Scenario;

/// Sends protocol lines to stdout from one thread, through the standard library's stdout
/// lock, so a line never interleaves with a scenario's own `println!`.
#[derive(Clone)]
struct Outbox(std::sync::mpsc::Sender<String>);

impl Outbox {
    fn start() -> Outbox {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in rx {
                let mut out = std::io::stdout().lock();
                if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                    // The leader is gone; nothing is left to tell it.
                    return;
                }
            }
        });
        Outbox(tx)
    }

    fn send(&self, message: &FromWorker) {
        let _ = self.0.send(encode(message));
    }
}

/// A prepared scenario: its environment and its invocation time limit.
struct Ready {
    scenario: &'static Scenario,
    env: Arc<ScenarioEnv>,
    timeout: Duration,
}

/// Serves the leader until it says quit or closes stdin. Returns the exit status.
pub(crate) async fn serve(args: &Args, selected: &[&'static Scenario]) -> i32 {
    let out = Outbox::start();
    let settings = match Settings::from_args(args) {
        Ok(settings) => settings,
        Err(message) => {
            out.send(&FromWorker::Fatal {
                message: format!("this build refuses the arguments: {message}"),
            });
            return EXIT_USAGE;
        }
    };
    let endpoints = match Endpoints::resolve(selected).await {
        Ok(e) => e,
        Err(e) => {
            out.send(&FromWorker::Fatal {
                message: format!("this build cannot resolve its endpoints: {e}"),
            });
            return EXIT_USAGE;
        }
    };
    out.send(&FromWorker::Hello {
        protocol: PROTOCOL_VERSION,
        version: env!("CARGO_PKG_VERSION").to_string(),
        scenarios: selected.iter().map(|s| s.id()).collect(),
    });
    let run_start = Instant::now();
    let mut ready: HashMap<String, Ready> = HashMap::new();
    let mut in_flight = tokio::task::JoinSet::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let status = loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            // The leader closed stdin: it is done.
            Ok(None) => break EXIT_OK,
            Err(e) => {
                eprintln!("error: the worker could not read from its leader: {e}");
                break EXIT_FAILED;
            }
        };
        let message = match decode::<ToWorker>(&line) {
            Line::Message(m) => m,
            Line::Other => continue,
            Line::Version(v) => {
                out.send(&FromWorker::Fatal {
                    message: format!(
                        "the leader speaks worker protocol {v}, this build {PROTOCOL_VERSION}"
                    ),
                });
                break EXIT_USAGE;
            }
            Line::Garbled(why) => {
                out.send(&FromWorker::Fatal {
                    message: format!("the worker could not read a message: {why}"),
                });
                break EXIT_USAGE;
            }
        };
        match message {
            ToWorker::Quit => break EXIT_OK,
            ToWorker::Prepare { scenario } => {
                let answer = prepare(args, &settings, &endpoints, selected, &scenario).await;
                let (endpoint, error) = match answer {
                    Ok(r) => {
                        let info = endpoints
                            .for_scenario(r.scenario)
                            .map(|e| e.info(r.scenario.config.model))
                            .ok();
                        ready.insert(scenario.clone(), r);
                        (info, None)
                    }
                    Err(e) => (None, Some(e)),
                };
                out.send(&FromWorker::Prepared {
                    scenario,
                    endpoint,
                    error,
                });
            }
            ToWorker::Invoke {
                scenario,
                index,
                warmup,
            } => {
                let Some(r) = ready.get(&scenario) else {
                    out.send(&FromWorker::Fatal {
                        message: format!("scenario `{scenario}` was not prepared"),
                    });
                    break EXIT_USAGE;
                };
                let (s, env, timeout, out) = (r.scenario, r.env.clone(), r.timeout, out.clone());
                in_flight.spawn(async move {
                    let mut gaps = Vec::new();
                    let sample =
                        one_invocation(s, env, index, warmup, timeout, run_start, |g, t| {
                            gaps.push((g, t))
                        })
                        .await;
                    out.send(&FromWorker::Sample {
                        scenario,
                        index,
                        warmup,
                        sample: Box::new(sample),
                        gaps,
                    });
                });
            }
        }
    };
    while in_flight.join_next().await.is_some() {}
    status
}

/// Builds the environment of scenario `id` and runs its setup.
async fn prepare(
    args: &Args,
    settings: &Settings,
    endpoints: &Endpoints,
    selected: &[&'static Scenario],
    id: &str,
) -> Result<Ready, String> {
    let scenario = selected
        .iter()
        .copied()
        .find(|s| s.id() == id)
        .ok_or_else(|| format!("this build has no scenario `{id}`"))?;
    let own = settings
        .for_scenario(args, scenario, true)
        .map_err(|e| e.to_string())?;
    let endpoint = endpoints
        .for_scenario(scenario)
        .map_err(|e| e.to_string())?;
    let env = scenario_env(scenario, endpoint, &own, settings.rate_limits.as_ref())
        .map_err(|e| e.to_string())?;
    let timeout = own.plan.timeout;
    if let Some(setup) = scenario.setup {
        run_setup(setup, env.clone(), timeout)
            .await
            .map_err(|e| format!("its setup failed: {}: {}", e.class, e.message))?;
    }
    Ok(Ready {
        scenario,
        env,
        timeout,
    })
}
