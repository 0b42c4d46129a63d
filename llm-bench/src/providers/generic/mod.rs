//! The generic provider: any streaming JSON API described by a [`GenericSpec`] (whose
//! documentation gives the spec's format).

pub(crate) mod parse;
mod spec;
pub(crate) mod template;

use serde_json::Value;

pub(crate) use parse::GenericError;
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

    fn marks_its_end(&self) -> bool {
        self.done.is_some()
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
