//! What requests cost: a pricing table, cost per request and per run, and a budget.
//!
//! The built-in table (`llm-bench/data/pricing.json`, embedded at build time) holds list
//! prices in USD per million tokens for common models. Prices change: a file of the same
//! shape given with `--pricing FILE` or `LLM_BENCH_PRICING` overrides and extends it.
//! A model is priced by its exact id, else by the longest table entry it starts with
//! (`gpt-4o-2024-08-06` is priced as `gpt-4o`, `gpt-4o-mini-2024-07-18` as `gpt-4o-mini`).
//!
//! Cost of a request: `prompt_tokens × input + output_tokens × output` (per million). It is
//! exact only when the API reported usage; with counted output tokens (and no prompt
//! count) it is an estimate, and marked so.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const BUILT_IN: &str = include_str!("../data/pricing.json");

/// The `schema` of a pricing file.
pub const PRICING_SCHEMA: &str = "llm-bench/pricing";

/// Price of one model, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Per million prompt (input) tokens.
    pub input: f64,
    /// Per million output tokens (reasoning included).
    pub output: f64,
}

impl Price {
    /// Cost in USD of one request.
    pub fn cost(&self, prompt_tokens: u64, output_tokens: u64) -> f64 {
        (prompt_tokens as f64 * self.input + output_tokens as f64 * self.output) / 1e6
    }
}

#[derive(Debug, Deserialize)]
struct PricingFile {
    schema: String,
    models: BTreeMap<String, Price>,
}

/// A table of model prices.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pricing {
    models: BTreeMap<String, Price>,
}

impl Pricing {
    /// The built-in table.
    pub fn built_in() -> Pricing {
        // The embedded file is checked by a test; an unreadable one prices nothing.
        Pricing::parse(BUILT_IN, "built-in pricing").unwrap_or_default()
    }

    /// The built-in table, overridden by the file `LLM_BENCH_PRICING` names, if set.
    pub fn from_env() -> Result<Pricing> {
        let mut pricing = Pricing::built_in();
        if let Some(path) = std::env::var_os("LLM_BENCH_PRICING").filter(|p| !p.is_empty()) {
            pricing.extend_from_file(Path::new(&path))?;
        }
        Ok(pricing)
    }

    /// Parses a pricing file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Pricing> {
        let file: PricingFile = serde_json::from_str(text)
            .map_err(|e| Error::Config(format!("{origin} is not a pricing file: {e}")))?;
        if file.schema != PRICING_SCHEMA {
            return Err(Error::Config(format!(
                "{origin} has schema `{}`, expected `{PRICING_SCHEMA}`",
                file.schema
            )));
        }
        for (model, price) in &file.models {
            let valid = |x: f64| x.is_finite() && x >= 0.0;
            if !valid(price.input) || !valid(price.output) {
                return Err(Error::Config(format!(
                    "{origin}: the price of `{model}` must be finite and not negative"
                )));
            }
        }
        Ok(Pricing {
            models: file.models,
        })
    }

    /// Overrides and extends this table with the models of a pricing file.
    pub fn extend_from_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("could not read {}", path.display()), e))?;
        let other = Pricing::parse(&text, &path.display().to_string())?;
        self.models.extend(other.models);
        Ok(())
    }

    /// The price of `model`: exact id, else the longest entry it starts with (at a `-`,
    /// `.`, `:` or `@` boundary).
    pub fn price(&self, model: &str) -> Option<Price> {
        if let Some(p) = self.models.get(model) {
            return Some(*p);
        }
        self.models
            .iter()
            .filter(|(id, _)| {
                model.len() > id.len()
                    && model.starts_with(id.as_str())
                    && matches!(model.as_bytes()[id.len()], b'-' | b'.' | b':' | b'@')
            })
            .max_by_key(|(id, _)| id.len())
            .map(|(_, p)| *p)
    }
}

/// A spending limit shared by every request of a bench run.
#[derive(Debug)]
pub struct Budget {
    limit_usd: f64,
    spent_micro_usd: std::sync::atomic::AtomicU64,
}

impl Budget {
    /// A budget of `limit_usd` dollars.
    pub fn new(limit_usd: f64) -> Budget {
        Budget {
            limit_usd,
            spent_micro_usd: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Adds a request's cost.
    pub fn spend(&self, usd: f64) {
        let micro = (usd.max(0.0) * 1e6).round() as u64;
        self.spent_micro_usd
            .fetch_add(micro, std::sync::atomic::Ordering::Relaxed);
    }

    /// Dollars spent so far.
    pub fn spent(&self) -> f64 {
        self.spent_micro_usd
            .load(std::sync::atomic::Ordering::Relaxed) as f64
            / 1e6
    }

    /// The limit, in dollars.
    pub fn limit(&self) -> f64 {
        self.limit_usd
    }

    /// True once the spending reached the limit: no new request may start.
    pub fn exhausted(&self) -> bool {
        self.spent() >= self.limit_usd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example this item's documentation gave.
    #[test]
    fn longest_matching_price() {
        let pricing = crate::cost::Pricing::built_in();
        let mini = pricing.price("gpt-4o-mini-2024-07-18").unwrap();
        let full = pricing.price("gpt-4o-2024-08-06").unwrap();
        assert!(mini.output < full.output);
        assert!(pricing.price("my-finetune").is_none());
    }

    /// The example this item's documentation gave.
    #[test]
    fn price_of_one_request() {
        use crate::cost::Price;
        let p = Price {
            input: 2.5,
            output: 10.0,
        };
        assert!((p.cost(1_000, 500) - 0.0075).abs() < 1e-12);
    }

    #[test]
    fn built_in_table_parses_and_prices_common_models() {
        let p = Pricing::parse(BUILT_IN, "built-in").unwrap();
        assert!(p.models.len() > 20);
        assert_eq!(
            p.price("llm-bench-mock"),
            Some(Price {
                input: 0.0,
                output: 0.0
            })
        );
        assert_eq!(p.price("claude-sonnet-4-5-20250929").unwrap().output, 15.0);
        assert_eq!(p.price("o3-mini-2025-01-31").unwrap().input, 1.1);
        assert_eq!(p.price("o3").unwrap().input, 2.0);
        assert!(
            p.price("o30").is_none(),
            "prefixes match at a boundary only"
        );
    }

    #[test]
    fn a_user_file_overrides_and_extends() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.json");
        std::fs::write(
            &file,
            r#"{"schema":"llm-bench/pricing","models":{"gpt-4o":{"input":1,"output":2},"my-model":{"input":0.5,"output":0.5}}}"#,
        )
        .unwrap();
        let mut p = Pricing::built_in();
        p.extend_from_file(&file).unwrap();
        assert_eq!(p.price("gpt-4o").unwrap().output, 2.0);
        assert_eq!(p.price("my-model").unwrap().input, 0.5);
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let err = Pricing::parse("{}", "x.json").unwrap_err();
        assert!(
            err.to_string().contains("x.json is not a pricing file"),
            "{err}"
        );
        let err = Pricing::parse(
            r#"{"schema":"llm-bench/pricing","models":{"m":{"input":-1,"output":1}}}"#,
            "y.json",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("must be finite and not negative"),
            "{err}"
        );
    }

    #[test]
    fn budget_counts_spending() {
        let b = Budget::new(0.01);
        b.spend(0.004);
        assert!(!b.exhausted());
        b.spend(0.006);
        assert!(b.exhausted());
        assert!((b.spent() - 0.01).abs() < 1e-9);
    }
}
