//! What stops a bench run before its first request: a bad flag or attribute value, a
//! missing or incomparable baseline, a price `--max-cost` needs, folders that would collide.
//! Each is reported with what to do, and the run exits with status 2.

use crate::stats::StatsError;

/// A problem found before the first request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Problem {
    /// A command-line flag's value is unusable.
    #[error("{flag}: {message}")]
    Flag {
        /// The flag, e.g. `--threshold`.
        flag: &'static str,
        /// What is wrong with its value.
        message: String,
    },
    /// A statistics flag is out of range.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// A scenario's attribute value is unusable (the attribute checks them, so this is
    /// only reachable by hand-made registrations).
    #[error("scenario `{id}`: {message}")]
    Scenario {
        /// The scenario.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// `--baseline NAME`, and the scenario has no baseline of that name.
    #[error("scenario `{id}` has no stored baseline `{name}` ({})", stored_hint(.stored))]
    MissingBaseline {
        /// The scenario.
        id: String,
        /// The baseline asked for.
        name: String,
        /// The baselines it has.
        stored: Vec<String>,
    },
    /// The baseline was measured against another endpoint, model or concurrency.
    #[error(
        "`{id}` is not compared with baseline `{name}`: {reason}; pass --force-compare to compare them anyway, or --discard-baseline to run without comparing"
    )]
    Incomparable {
        /// The scenario.
        id: String,
        /// The baseline.
        name: String,
        /// What differs.
        reason: String,
    },
    /// `--max-cost` and the scenario's model has no price.
    #[error(
        "--max-cost cannot be enforced for `{id}`: no price for model `{model}`; add it to a pricing file (--pricing)"
    )]
    NoPrice {
        /// The scenario.
        id: String,
        /// Its model.
        model: String,
    },
    /// One scenario's folder would be another's run folder.
    #[error("{0}")]
    Layout(String),
    /// Anything else llm-bench reported (an unreadable store, a bad variable).
    #[error(transparent)]
    Other(#[from] crate::Error),
}

fn stored_hint(stored: &[String]) -> String {
    if stored.is_empty() {
        "it has none; save one with --save-baseline".into()
    } else {
        format!("it has {}", stored.join(", "))
    }
}
