//! The config file of `llm-bench run`: TOML (`.toml`) or YAML (`.yaml`, `.yml`), one
//! schema ([`schema`]), every problem named with its file, line, column and key.

mod error;
mod node;
pub(crate) mod schema;
mod toml_source;
mod yaml_source;

use std::path::Path;

pub(crate) use error::ConfigError;
use error::Problem;
pub(crate) use schema::{Config, RequestSpec, ScenarioSpec, Target};

/// The built-in quick check `llm-bench run` runs with no config file: two short scenarios
/// against the simulated endpoint.
pub(crate) const QUICK_CHECK: &str = include_str!("quick_check.toml");
/// The name [`QUICK_CHECK`] goes by in messages.
pub(crate) const QUICK_CHECK_NAME: &str = "<built-in quick check>";

/// Reads and checks the config file at `path`.
pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    parse(path, &text)
}

/// Checks `text`, the contents of a config file named `path` (its extension says the format).
pub(crate) fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let tree = match extension.as_deref() {
        Some("toml") => toml_source::parse(text),
        Some("yaml" | "yml") => yaml_source::parse(text),
        _ => {
            return Err(ConfigError::Format {
                path: path.to_path_buf(),
            })
        }
    };
    let tree = tree.map_err(|(message, at)| {
        ConfigError::invalid(path, text, vec![Problem::new(message, at)])
    })?;
    schema::check(&tree, path, text).map_err(|problems| ConfigError::invalid(path, text, problems))
}

#[cfg(test)]
mod tests;
