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
use crate::harness::problem::Problem;
use crate::harness::runner::Plan;
use crate::harness::{DEFAULT_CONCURRENCY, DEFAULT_SAMPLES, DEFAULT_TIMEOUT, DEFAULT_WARMUP};
use crate::limits::PhaseLimits;
use crate::metrics::Metric;
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
}

/// The settings of one scenario.
#[derive(Debug, Clone)]
pub(crate) struct ScenarioSettings {
    pub plan: Plan,
    pub limits: PhaseLimits,
    pub gate: Vec<Metric>,
    pub thresholds: Vec<Threshold>,
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
        Ok(Settings {
            root: store::output_root(),
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
        let plan = Plan {
            samples: if measure {
                args.samples.or(config.samples).unwrap_or(DEFAULT_SAMPLES)
            } else {
                1
            },
            warmup: if measure {
                args.warmup.or(config.warmup).unwrap_or(DEFAULT_WARMUP)
            } else {
                0
            },
            concurrency: if measure {
                args.concurrency
                    .or(config.concurrency)
                    .unwrap_or(DEFAULT_CONCURRENCY)
            } else {
                1
            },
            timeout: args.timeout.or(config.timeout()).unwrap_or(DEFAULT_TIMEOUT),
            max_consecutive_failures: args
                .max_consecutive_failures
                .or(config.max_consecutive_failures)
                .unwrap_or(DEFAULT_MAX_CONSECUTIVE_FAILURES),
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
        })
    }
}
