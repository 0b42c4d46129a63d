//! What the command line and each scenario's attribute decide, checked once before anything
//! runs: statistics, exports, prices and budget for the whole run; load, time limits, gate
//! and thresholds per scenario.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cost::{Budget, Pricing};
use crate::export::Exporter;
use crate::harness::baseline::DEFAULT_GATE;
use crate::harness::cli::Args;
use crate::harness::plan::{Load, OpenLoad, Plan, Precision, Replay, StopRules};
use crate::harness::problem::Problem;
use crate::harness::{DEFAULT_CONCURRENCY, DEFAULT_SAMPLES, DEFAULT_TIMEOUT, DEFAULT_WARMUP};
use crate::limits::PhaseLimits;
use crate::load::trace::read_trace;
use crate::metrics::Metric;
use crate::providers::rate_limit::RateLimits;
use crate::rules::load::{parse_arrival, parse_ramp_up, parse_rate, Arrival};
use crate::rules::slo::{parse_slos, Objective};
use crate::rules::stop::{parse_search_range, parse_sweep, parse_until, Dimension};
use crate::rules::threshold::{parse_thresholds, Threshold};
use crate::scenario::Scenario;
use crate::stats::StatsConfig;
use crate::store;

/// Failed requests in a row after which a scenario stops, unless told otherwise.
pub const DEFAULT_MAX_CONSECUTIVE_FAILURES: u32 = 5;

/// The settings of a whole run.
pub(crate) struct Settings {
    pub root: PathBuf,
    pub stats: StatsConfig,
    /// `--export`: the exporters to run after the report.
    pub exporters: Vec<Box<dyn Exporter>>,
    /// `--gate`, overriding every scenario's attribute.
    gate: Option<Vec<Metric>>,
    /// `--threshold`, checked for every scenario besides the attribute's.
    thresholds: Vec<Threshold>,
    /// Prices of models (built-in table, `LLM_BENCH_PRICING`, `--pricing`).
    pub pricing: Pricing,
    /// `--max-cost`, shared by every scenario of the run.
    pub budget: Option<Arc<Budget>>,
    /// `--rate-limit`, `--token-limit`: the client's limits, shared by the whole run.
    pub rate_limits: Option<Arc<RateLimits>>,
    /// `--push-gateway`, `--influx-url`: where the run is pushed after the report.
    #[cfg(any(feature = "prometheus", feature = "influxdb"))]
    pub pushes: Vec<crate::export::push::PushTarget>,
}

/// The most requests a run with a duration or precision rule makes when `samples` is not
/// given: the cap of an adaptive run.
pub const ADAPTIVE_SAMPLES_CAP: u32 = 10_000;

/// The settings of one scenario.
#[derive(Debug, Clone)]
pub(crate) struct ScenarioSettings {
    pub plan: Plan,
    pub limits: PhaseLimits,
    pub gate: Vec<Metric>,
    pub thresholds: Vec<Threshold>,
    /// Service-level objectives (goodput; what a search must meet).
    pub slos: Vec<Objective>,
    /// A sweep or a search: the scenario runs once per step.
    pub steps: Option<Steps>,
    /// Retries of a failed attempt (built-in client).
    pub retries: u32,
}

/// A scenario run once per step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Steps {
    /// Each value, in order.
    Sweep {
        dimension: Dimension,
        values: Vec<f64>,
    },
    /// Bisection between `low` and `high` for the highest value meeting the objectives.
    Search {
        dimension: Dimension,
        low: f64,
        high: f64,
    },
}

/// `--push-gateway` and `--influx-url` (with `--influx-db` and `LLM_BENCH_INFLUXDB_TOKEN`),
/// their URLs checked; a flag given empty (as an empty environment variable) is not given.
#[cfg(any(feature = "prometheus", feature = "influxdb"))]
fn push_targets(args: &Args) -> Result<Vec<crate::export::push::PushTarget>, Problem> {
    #[allow(unused_mut)] // with one of the two features
    let mut targets = Vec::new();
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    #[cfg(feature = "prometheus")]
    if let Some(url) = given(&args.push_gateway) {
        let target =
            crate::export::push::PushTarget::pushgateway(&url).map_err(|e| Problem::Flag {
                flag: "--push-gateway",
                message: e.to_string(),
            })?;
        targets.push(target);
    }
    #[cfg(feature = "influxdb")]
    if let Some(url) = given(&args.influx_url) {
        let db = given(&args.influx_db)
            .unwrap_or_else(|| crate::export::push::DEFAULT_INFLUX_DB.to_string());
        let token = std::env::var("LLM_BENCH_INFLUXDB_TOKEN").ok();
        let target = crate::export::push::PushTarget::influx(&url, &db, token).map_err(|e| {
            Problem::Flag {
                flag: "--influx-url",
                message: e.to_string(),
            }
        })?;
        targets.push(target);
    }
    Ok(targets)
}

impl Settings {
    pub(crate) fn from_args(args: &Args) -> Result<Settings, Problem> {
        let stats = args.stats_config()?;
        for name in [
            &args.save_baseline,
            &args.baseline,
            &args.baseline_lenient,
            &args.load_baseline,
        ]
        .into_iter()
        .flatten()
        {
            store::check_baseline_name(name)?;
        }
        let gate = match &args.gate {
            Some(list) => Some(Metric::parse_list(list).map_err(|e| Problem::Flag {
                flag: "--gate",
                message: e.to_string(),
            })?),
            None => None,
        };
        let thresholds = match &args.threshold {
            Some(text) => parse_thresholds(text).map_err(|message| Problem::Flag {
                flag: "--threshold",
                message,
            })?,
            None => Vec::new(),
        };
        let exporters = match &args.export {
            Some(list) => crate::export::parse_export_list(list).map_err(|e| Problem::Flag {
                flag: "--export",
                message: e.to_string(),
            })?,
            None => Vec::new(),
        };
        let mut pricing = Pricing::from_env()?;
        if let Some(file) = &args.pricing {
            pricing.extend_from_file(file).map_err(|e| Problem::Flag {
                flag: "--pricing",
                message: e.to_string(),
            })?;
        }
        let budget = match args.max_cost {
            Some(usd) if usd.is_finite() && usd > 0.0 => Some(Arc::new(Budget::new(usd))),
            Some(usd) => {
                return Err(Problem::Flag {
                    flag: "--max-cost",
                    message: format!("must be a positive amount of USD, not {usd}"),
                })
            }
            None => None,
        };
        let requests_per_second = match &args.rate_limit {
            Some(text) => Some(parse_rate(text).map_err(|message| Problem::Flag {
                flag: "--rate-limit",
                message,
            })?),
            None => None,
        };
        let rate_limits = match (requests_per_second, args.token_limit) {
            (None, None) => None,
            (rps, tpm) => Some(Arc::new(RateLimits::new(rps, tpm).map_err(|message| {
                Problem::Flag {
                    flag: if tpm.is_some() && rps.is_none() {
                        "--token-limit"
                    } else {
                        "--rate-limit"
                    },
                    message,
                }
            })?)),
        };
        #[cfg(any(feature = "prometheus", feature = "influxdb"))]
        let pushes = push_targets(args)?;
        Ok(Settings {
            #[cfg(any(feature = "prometheus", feature = "influxdb"))]
            pushes,
            root: store::output_root(),
            rate_limits,
            stats,
            exporters,
            gate,
            thresholds,
            pricing,
            budget,
        })
    }

    /// The settings of `scenario`: the command line over the attribute over the defaults.
    /// `measure` is false in test mode (one request, no warm-up).
    pub(crate) fn for_scenario(
        &self,
        args: &Args,
        scenario: &Scenario,
        measure: bool,
    ) -> Result<ScenarioSettings, Problem> {
        let config = &scenario.config;
        let ms = |v: Option<u64>| v.map(Duration::from_millis);
        let defaults = PhaseLimits::DEFAULT;
        let limits = PhaseLimits {
            connect: args
                .connect_timeout
                .or(ms(config.connect_timeout_ms))
                .unwrap_or(defaults.connect),
            first_byte: args
                .first_byte_timeout
                .or(ms(config.first_byte_timeout_ms))
                .unwrap_or(defaults.first_byte),
            first_token: args
                .first_token_timeout
                .or(ms(config.first_token_timeout_ms))
                .unwrap_or(defaults.first_token),
            idle: args
                .idle_timeout
                .or(ms(config.idle_timeout_ms))
                .unwrap_or(defaults.idle),
        };
        let id = scenario.id();
        let in_scenario = |message: String| Problem::Scenario {
            id: id.clone(),
            message,
        };
        let flag = |flag: &'static str| move |message: String| Problem::Flag { flag, message };
        let load = if measure {
            load_for(args, config, &in_scenario)?
        } else {
            Load::Closed { concurrency: 1 }
        };
        let until = match (&args.until, config.until) {
            (Some(text), _) => Some(parse_until(text).map_err(flag("--until"))?),
            (None, Some(text)) => Some(parse_until(text).map_err(&in_scenario)?),
            (None, None) => None,
        };
        let stop = if measure {
            StopRules {
                duration: args
                    .duration
                    .or(config.duration_ms.map(Duration::from_millis)),
                output_tokens: args.max_output_tokens.or(config.max_output_tokens),
                precision: until.map(|(name, relative_half_width)| Precision {
                    metric: Metric::ALL
                        .into_iter()
                        .find(|m| m.name() == name)
                        .unwrap_or(Metric::Ttft),
                    relative_half_width,
                }),
            }
        } else {
            StopRules::default()
        };
        let explicit = args.samples.or(config.samples);
        let samples = match (measure, explicit) {
            (false, _) => 1,
            (true, Some(n)) => n,
            (true, None) => default_samples(&load, &stop),
        };
        let plan = Plan {
            samples,
            samples_from_duration: measure && explicit.is_none() && stop.duration.is_some(),
            warmup: if measure {
                args.warmup.or(config.warmup).unwrap_or(DEFAULT_WARMUP)
            } else {
                0
            },
            load,
            timeout: args.timeout.or(config.timeout()).unwrap_or(DEFAULT_TIMEOUT),
            max_consecutive_failures: args
                .max_consecutive_failures
                .or(config.max_consecutive_failures)
                .unwrap_or(DEFAULT_MAX_CONSECUTIVE_FAILURES),
            stop,
        };
        let slos = match (&args.slo, config.slo) {
            (Some(text), _) => parse_slos(text).map_err(flag("--slo"))?,
            (None, Some(text)) => parse_slos(text).map_err(&in_scenario)?,
            (None, None) => Vec::new(),
        };
        let steps = if measure {
            steps_for(args, config, &slos, &in_scenario)?
        } else {
            None
        };
        let gate = match (&self.gate, config.gate) {
            (Some(gate), _) => gate.clone(),
            (None, Some(list)) => Metric::parse_list(list).map_err(|e| Problem::Scenario {
                id: scenario.id(),
                message: format!("gate: {e}"),
            })?,
            (None, None) => DEFAULT_GATE.to_vec(),
        };
        let mut thresholds = match config.threshold {
            Some(text) => parse_thresholds(text).map_err(|message| Problem::Scenario {
                id: scenario.id(),
                message,
            })?,
            None => Vec::new(),
        };
        for t in &self.thresholds {
            if !thresholds.iter().any(|mine| mine.text == t.text) {
                thresholds.push(t.clone());
            }
        }
        Ok(ScenarioSettings {
            plan,
            limits,
            gate,
            thresholds,
            slos,
            steps,
            retries: args.retries.or(config.retries).unwrap_or(0),
        })
    }
}

/// The load: the command line's `--rate` or `--concurrency` over the attribute's `rate` or
/// `concurrency`, else one request at a time.
fn load_for(
    args: &Args,
    config: &crate::scenario::ScenarioConfig,
    in_scenario: &dyn Fn(String) -> Problem,
) -> Result<Load, Problem> {
    let flag = |flag: &'static str| move |message: String| Problem::Flag { flag, message };
    let trace = match (
        &args.trace,
        args.rate.is_some() || args.concurrency.is_some(),
        config.trace,
    ) {
        (Some(path), _, _) => Some((path.display().to_string(), true)),
        (None, false, Some(path)) => Some((path.to_string(), false)),
        _ => None,
    };
    if let Some((path, from_flag)) = trace {
        let entries = read_trace(std::path::Path::new(&path)).map_err(|e| {
            if from_flag {
                Problem::Flag {
                    flag: "--trace",
                    message: e.to_string(),
                }
            } else {
                in_scenario(e.to_string())
            }
        })?;
        return Ok(Load::Replay(Replay {
            path,
            entries: entries.into(),
        }));
    }
    let rate = match (&args.rate, args.concurrency, config.rate) {
        (Some(text), _, _) => Some(parse_rate(text).map_err(flag("--rate"))?),
        (None, Some(_), _) => None,
        (None, None, Some(text)) => Some(parse_rate(text).map_err(in_scenario)?),
        (None, None, None) => None,
    };
    let Some(rate) = rate else {
        return Ok(Load::Closed {
            concurrency: args
                .concurrency
                .or(config.concurrency)
                .unwrap_or(DEFAULT_CONCURRENCY),
        });
    };
    let arrival = match (&args.arrival, config.arrival) {
        (Some(text), _) => parse_arrival(text).map_err(flag("--arrival"))?,
        (None, Some(text)) => parse_arrival(text).map_err(in_scenario)?,
        (None, None) => Arrival::Poisson,
    };
    let ramp_up = match (&args.ramp_up, config.ramp_up) {
        (Some(text), _) => Some(parse_ramp_up(text).map_err(flag("--ramp-up"))?),
        (None, Some(text)) => Some(parse_ramp_up(text).map_err(in_scenario)?),
        (None, None) => None,
    };
    Ok(Load::Open(OpenLoad {
        rate,
        arrival,
        ramp_up,
        seed: args.seed.or(config.seed).unwrap_or(0),
    }))
}

/// Requests of a run whose `samples` is not given: in open loop with a duration, what the
/// schedule offers in that time; with another stopping rule, [`ADAPTIVE_SAMPLES_CAP`];
/// else the default.
pub(crate) fn default_samples(load: &Load, stop: &StopRules) -> u32 {
    match (load, stop.duration) {
        (Load::Replay(replay), _) => u32::try_from(replay.entries.len()).unwrap_or(u32::MAX),
        (Load::Open(open), Some(duration)) => {
            let ramp_loss = open
                .ramp_up
                .map_or(0.0, |r| r.as_secs_f64().min(duration.as_secs_f64()) / 2.0);
            let offered = open.rate * (duration.as_secs_f64() - ramp_loss);
            (offered.ceil() as u32).max(1)
        }
        _ if stop.duration.is_some()
            || stop.precision.is_some()
            || stop.output_tokens.is_some() =>
        {
            ADAPTIVE_SAMPLES_CAP
        }
        _ => DEFAULT_SAMPLES,
    }
}

/// The sweep or search of a scenario, from `--sweep`/`--search` or the attribute's.
fn steps_for(
    args: &Args,
    config: &crate::scenario::ScenarioConfig,
    slos: &[Objective],
    in_scenario: &dyn Fn(String) -> Problem,
) -> Result<Option<Steps>, Problem> {
    let flag = |flag: &'static str| move |message: String| Problem::Flag { flag, message };
    let sweep = match (&args.sweep, &args.search, config.sweep) {
        (Some(text), _, _) => Some(parse_sweep(text).map_err(flag("--sweep"))?),
        (None, None, Some(text)) => Some(parse_sweep(text).map_err(in_scenario)?),
        _ => None,
    };
    if let Some((dimension, values)) = sweep {
        return Ok(Some(Steps::Sweep { dimension, values }));
    }
    let search = match (&args.search, config.search) {
        (Some(text), _) => Some((parse_search_range(text).map_err(flag("--search"))?, true)),
        (None, Some(text)) => Some((parse_search_range(text).map_err(in_scenario)?, false)),
        (None, None) => None,
    };
    let Some(((dimension, low, high), from_flag)) = search else {
        return Ok(None);
    };
    if slos.is_empty() {
        let message = "a search looks for the highest load that meets the objectives: give them with `slo = \"p99 ttft <= 500ms\"` or --slo".to_string();
        return Err(if from_flag {
            Problem::Flag {
                flag: "--search",
                message,
            }
        } else {
            in_scenario(message)
        });
    }
    Ok(Some(Steps::Search {
        dimension,
        low,
        high,
    }))
}
