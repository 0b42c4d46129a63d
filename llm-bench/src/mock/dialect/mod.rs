//! The dialects the simulated endpoint speaks: their names ([`Dialect`]), the trait each
//! implements in its own file ([`DialectWriter`]), and the registry the router is built
//! from ([`DIALECTS`]).
//!
//! Adding a dialect: a file here implementing [`DialectWriter`], and in this file its
//! `mod` line, its [`Dialect`] variant, its line in [`DIALECTS`] and its position in the
//! registry's test (which does not compile until every variant has one); then its section
//! in the [module docs](crate::mock).

mod anthropic;
mod azure;
mod cohere;
mod cohere_v1;
mod completions;
mod gemini;
mod ollama;
mod openai;
mod responses;
mod tgi;
mod writer;

use std::sync::Arc;

use axum::Router;

pub(crate) use openai::{error_body as openai_error_body, model_object, models_body};
pub(crate) use writer::{BodyTiming, Call, DialectWriter, Reading, Reply};

use super::routes;
use super::state::Shared;

/// The API a request spoke to the simulated endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// OpenAI Chat Completions (`/v1/chat/completions`, and `/v1/models`).
    OpenAi,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// Gemini `generateContent` / `streamGenerateContent` (`/v1beta/models/{model}:...`).
    Gemini,
    /// Cohere chat, API v2 (`/v2/chat`, named server-sent events).
    CohereV2,
    /// Cohere chat, API v1 (`/v1/chat`, NDJSON).
    CohereV1,
    /// Ollama's native API (`/api/chat` and `/api/generate`, NDJSON).
    Ollama,
    /// Hugging Face Text Generation Inference (`/generate_stream`).
    Tgi,
    /// OpenAI Responses (`/v1/responses`).
    OpenAiResponses,
    /// OpenAI legacy Completions (`/v1/completions`).
    OpenAiCompletions,
    /// Azure OpenAI chat completions (`/openai/deployments/{deployment}/chat/completions`
    /// and `/openai/v1/chat/completions`).
    AzureOpenAi,
}

/// Every dialect the simulated endpoint speaks, each once, in the order their routes are
/// added: the one list the router is built from.
pub(crate) static DIALECTS: &[&dyn Registered] = &[
    &openai::OpenAiChat,
    &anthropic::Anthropic,
    &gemini::Gemini,
    &responses::Responses,
    &completions::Completions,
    &azure::AzureOpenAi,
    &cohere::CohereV2,
    &cohere_v1::CohereV1,
    &ollama::Ollama,
    &tgi::Tgi,
];

impl Dialect {
    /// The part of the dialect's paths a client's base URL holds
    /// ([`DialectWriter::BASE_PATH`]; empty for a dialect missing from [`DIALECTS`], which
    /// the registry's test rules out).
    pub(crate) fn base_path(self) -> &'static str {
        DIALECTS
            .iter()
            .find(|d| d.dialect() == self)
            .map_or("", |d| d.base_path())
    }
}

/// A dialect as the registry holds it, whatever its request and stream types: what the
/// router and the server's URLs need of it.
pub(crate) trait Registered: Sync {
    /// [`DialectWriter::DIALECT`].
    fn dialect(&self) -> Dialect;

    /// [`DialectWriter::BASE_PATH`].
    fn base_path(&self) -> &'static str;

    /// `router` with the dialect's routes added.
    fn add_routes(&'static self, router: Router<Arc<Shared>>) -> Router<Arc<Shared>>;
}

impl<D: DialectWriter> Registered for D {
    fn dialect(&self) -> Dialect {
        D::DIALECT
    }

    fn base_path(&self) -> &'static str {
        D::BASE_PATH
    }

    fn add_routes(&'static self, router: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
        routes::add_dialect(self, router)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Its position in the registry; an exhaustive match, so that a new variant does not
    /// compile until it is given one here (and a line in [`DIALECTS`]).
    fn position(d: Dialect) -> usize {
        match d {
            Dialect::OpenAi => 0,
            Dialect::Anthropic => 1,
            Dialect::Gemini => 2,
            Dialect::OpenAiResponses => 3,
            Dialect::OpenAiCompletions => 4,
            Dialect::AzureOpenAi => 5,
            Dialect::CohereV2 => 6,
            Dialect::CohereV1 => 7,
            Dialect::Ollama => 8,
            Dialect::Tgi => 9,
        }
    }

    #[test]
    fn the_registry_has_every_dialect_once() {
        // Ten variants, each at its position: each once.
        assert_eq!(DIALECTS.len(), 10);
        for (i, d) in DIALECTS.iter().enumerate() {
            assert_eq!(position(d.dialect()), i, "{:?}", d.dialect());
        }
    }

    #[test]
    fn base_paths_are_what_clients_append_to() {
        for d in DIALECTS {
            let expected = match d.dialect() {
                Dialect::OpenAi | Dialect::OpenAiResponses | Dialect::OpenAiCompletions => "/v1",
                _ => "",
            };
            assert_eq!(d.dialect().base_path(), expected, "{:?}", d.dialect());
        }
    }
}
