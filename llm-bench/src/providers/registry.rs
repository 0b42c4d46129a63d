//! Every provider and every wire format, once: the one place that ties each user-facing
//! selector ([`Provider`], [`WireFormat`]) to the folder that knows it.
//!
//! A line of [`providers!`] maps a [`Provider`] variant to its [`Api`]; a line of
//! [`formats!`] maps a [`WireFormat`] variant to its [`Wire`]. Each macro writes the
//! (exhaustive, so a new variant without a line does not compile) lookup and the list in
//! order; names, URLs, bodies, auth, variables and parsers are the folders' own.

use super::api::{Api, Wire};
use super::wire::WireFormat;
use super::{
    anthropic, azure, bedrock, cohere_v1, cohere_v2, gemini, ollama, openai_chat,
    openai_completions, openai_responses, replicate, tgi, watsonx, Provider,
};

/// Writes [`api`] and [`NAMED`] from one `Variant => api` line per provider.
macro_rules! providers {
    ($($variant:ident => $api:expr,)*) => {
        /// The API of `provider`: its folder's, or for a generic provider its spec.
        pub(crate) fn api(provider: &Provider) -> &dyn Api {
            match provider {
                $(Provider::$variant => &$api,)*
                Provider::Generic(spec) => spec,
            }
        }

        /// Every provider a name selects, in the order messages list them.
        pub(crate) const NAMED: &[Provider] = &[$(Provider::$variant,)*];
    };
}

/// Writes [`wire`] and [`FORMATS`] from one `Variant => wire` line per wire format.
macro_rules! formats {
    ($($variant:ident => $wire:expr,)*) => {
        /// The name, framing and event parser of `format`.
        pub(crate) fn wire(format: WireFormat) -> &'static dyn Wire {
            match format {
                $(WireFormat::$variant => &$wire,)*
            }
        }

        /// Every wire format.
        #[cfg(test)]
        pub(crate) const FORMATS: &[WireFormat] = &[$(WireFormat::$variant,)*];
    };
}

providers! {
    OpenAiChat => openai_chat::OpenAiChat,
    OpenAiResponses => openai_responses::OpenAiResponses,
    OpenAiCompletions => openai_completions::OpenAiCompletions,
    AzureOpenAi => azure::AzureOpenAi,
    Anthropic => anthropic::Anthropic,
    Gemini => gemini::Gemini,
    CohereV2 => cohere_v2::CohereV2,
    CohereV1 => cohere_v1::CohereV1,
    Ollama => ollama::Ollama,
    Tgi => tgi::Tgi,
}

formats! {
    OpenAiChat => openai_chat::OpenAiChat,
    OpenAiCompletions => openai_completions::OpenAiCompletions,
    OpenAiResponses => openai_responses::OpenAiResponses,
    Anthropic => anthropic::Anthropic,
    GeminiSse => gemini::Gemini,
    GeminiJsonArray => gemini::GeminiJsonArray,
    CohereV2 => cohere_v2::CohereV2,
    CohereV1 => cohere_v1::CohereV1,
    OllamaChat => ollama::Ollama,
    OllamaGenerate => ollama::OllamaGenerate,
    Tgi => tgi::Tgi,
    Replicate => replicate::Replicate,
    Watsonx => watsonx::Watsonx,
    BedrockConverse => bedrock::BedrockConverse,
    BedrockInvokeAnthropic => bedrock::BedrockInvokeAnthropic,
}

/// The provider a normalized name (lowercase, `_` for `-`) designates, if any.
pub(crate) fn named(name: &str) -> Option<Provider> {
    NAMED
        .iter()
        .find(|p| api(p).aliases().contains(&name))
        .cloned()
}

/// The names messages list: each named provider's first alias.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    NAMED
        .iter()
        .filter_map(|p| api(p).aliases().first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::names::PROVIDER_NAMES;

    #[test]
    fn the_attribute_accepts_every_named_provider_and_no_other() {
        // `generic` needs a spec file: no name selects it, and the attribute lists none.
        let registry: Vec<&str> = names().collect();
        for name in &registry {
            assert!(
                PROVIDER_NAMES.contains(name),
                "{name} is not in PROVIDER_NAMES"
            );
        }
        for name in PROVIDER_NAMES {
            assert!(
                registry.contains(name),
                "{name} is in no provider's aliases"
            );
        }
        assert_eq!(registry.len(), PROVIDER_NAMES.len());
        assert!(!PROVIDER_NAMES.contains(&crate::providers::generic::NAME));
    }

    #[test]
    fn every_alias_selects_its_provider_and_names_are_unique() {
        let mut seen: Vec<&str> = Vec::new();
        for provider in NAMED {
            let api = api(provider);
            assert!(!api.aliases().is_empty(), "{}", api.name());
            for alias in api.aliases() {
                assert!(!seen.contains(alias), "{alias} names two providers");
                seen.push(alias);
                assert_eq!(named(alias).as_ref(), Some(provider), "{alias}");
                assert_eq!(*alias, alias.to_ascii_lowercase().replace('-', "_"));
            }
            assert_eq!(
                Provider::from_name(api.name()).ok().as_ref(),
                Some(provider)
            );
        }
    }

    #[test]
    fn every_named_provider_declares_a_key_variable_and_a_wire_format() {
        for provider in NAMED {
            let api = api(provider);
            assert!(!api.env().key.is_empty(), "{}", api.name());
            let format = api.wire_format().expect("a wire format");
            assert_eq!(api.framing(), format.framing(), "{}", api.name());
        }
    }

    #[test]
    fn every_format_has_a_unique_corpus_name() {
        for (i, format) in FORMATS.iter().enumerate() {
            let name = wire(*format).corpus_name();
            assert!(
                FORMATS[..i].iter().all(|f| f.corpus_name() != name),
                "{name}"
            );
            assert_eq!(WireFormat::from_corpus_name(name), Some(*format));
        }
    }
}
