//! A provider for any streaming JSON API: a body template, SSE or NDJSON framing, and
//! JSON-pointer paths that pick the text, reasoning, usage and errors out of each event.
//! Its [`GenericSpec`] is the provider ([`Provider::Generic`]).
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}`: the base URL is the whole request URL (it may contain `{{model}}`) |
//! | auth | the spec's `headers` (`{{api_key}}` in a value is the key), else `Authorization: Bearer <key>` |
//! | environment | `LLM_BENCH_BASE_URL`; `LLM_BENCH_API_KEY`; `LLM_BENCH_GENERIC_SPEC`, the path of a JSON spec file |
//! | body | the spec's template (see below) |
//! | framing | the spec's: SSE or NDJSON, each event read with its JSON pointers |
//!
//! Name: `generic`, selected by `LLM_BENCH_PROVIDER` only (it needs a spec file).
//!
//! A spec can be written in code or read from a JSON file (`LLM_BENCH_GENERIC_SPEC` for the
//! environment):
//!
//! ```
//! use llm_bench::providers::{GenericFraming, GenericSpec};
//! use serde_json::json;
//!
//! let spec: GenericSpec = serde_json::from_value(json!({
//!     "framing": "sse",
//!     "body": {"model": "{{model}}", "messages": "{{messages}}", "max_tokens": "{{max_tokens}}", "stream": true},
//!     "headers": {"authorization": "Bearer {{api_key}}"},
//!     "text": "/choices/0/delta/content",
//!     "completion_tokens": "/usage/completion_tokens",
//!     "done": "[DONE]"
//! }))?;
//! assert_eq!(spec.framing, GenericFraming::Sse);
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Placeholders
//!
//! In the body template, a string that is exactly a placeholder is replaced by a JSON value:
//! `"{{messages}}"` by `[{"role", "content"}, ...]`, `"{{max_tokens}}"` and
//! `"{{temperature}}"` by numbers (the key is removed when the request sets none),
//! `"{{model}}"`, `"{{prompt}}"` (the messages as text, joined by blank lines), `"{{system}}"` and `"{{user}}"` (the last user
//! message) by strings (`{{system}}` is removed when there is none). A placeholder inside a
//! longer string is replaced by its text. `{{api_key}}` is replaced only in header values,
//! never in the body or the URL; when no header uses it, a key is sent as
//! `Authorization: Bearer ...`.

pub(crate) mod parse;
mod spec;
pub(crate) mod template;

use serde_json::Value;

pub use spec::{GenericFraming, GenericSpec};

use super::api::{bearer, Api, Base, BodyParser, EnvVars, Header, Settings};
use super::env::Lookup;
use super::placeholders::interpolate;
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};
use super::Provider;
use crate::error::{Error, Result};

/// The provider's name (`LLM_BENCH_PROVIDER=generic`, and the kind stored runs record).
pub(crate) const NAME: &str = "generic";

/// The generic provider `LLM_BENCH_PROVIDER=generic` selects: its spec is read from the
/// file `LLM_BENCH_GENERIC_SPEC` names.
pub(crate) fn from_env(var: Lookup<'_>) -> Result<Provider> {
    let path = var("LLM_BENCH_GENERIC_SPEC").ok_or_else(|| {
        Error::Config(
            "LLM_BENCH_PROVIDER=generic needs LLM_BENCH_GENERIC_SPEC, the path of a JSON spec file"
                .into(),
        )
    })?;
    Ok(Provider::Generic(GenericSpec::from_file(
        std::path::Path::new(&path),
    )?))
}

impl Api for GenericSpec {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    fn env(&self) -> &'static EnvVars {
        static ENV: EnvVars = EnvVars {
            endpoint: &[],
            key: &["LLM_BENCH_API_KEY"],
        };
        &ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        base.raw().to_string()
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        self.render_body(req, model)
    }

    fn auth(&self, key: Option<&str>, _settings: &Settings) -> Vec<Header> {
        let mut headers: Vec<Header> = self
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                sensitive: value.contains("{{api_key}}"),
                value: interpolate(value, |n| {
                    (n == "api_key").then(|| key.unwrap_or_default().to_string())
                }),
            })
            .collect();
        if !self.uses_key_in_headers() {
            headers.extend(bearer(key));
        }
        headers
    }

    fn needs_model(&self, _settings: &Settings) -> bool {
        false
    }

    fn wire_format(&self) -> Option<WireFormat> {
        None
    }

    fn framing(&self) -> Framing {
        match self.framing {
            GenericFraming::Sse => Framing::Sse,
            GenericFraming::Ndjson => Framing::Ndjson,
        }
    }

    fn parser(&self) -> Box<dyn BodyParser> {
        Box::new(parse::GenericParser::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_key_goes_where_the_headers_say() {
        let spec = GenericSpec {
            headers: BTreeMap::from([("x-key".to_string(), "k={{api_key}}".to_string())]),
            ..GenericSpec::default()
        };
        assert_eq!(
            spec.auth(Some("s3"), &Settings::default()),
            [Header::secret("x-key", "k=s3")]
        );
        let spec = GenericSpec {
            headers: BTreeMap::from([("x-team".to_string(), "t".to_string())]),
            ..GenericSpec::default()
        };
        assert_eq!(
            spec.auth(Some("s3"), &Settings::default()),
            [
                Header::plain("x-team", "t"),
                Header::secret("authorization", "Bearer s3")
            ]
        );
    }
}
