//! The one trait every provider folder implements, [`Api`]: what the shared client and the
//! shared environment reader need to know of a provider, and nothing else.
//!
//! A provider folder (`anthropic/`, `gemini/`, ...) holds its request body, URL, auth
//! headers, environment variables, wire format and parser, and implements [`Api`] on a unit
//! struct; [`registry`](super::registry) ties it to its [`Provider`](super::Provider)
//! variant. The client's builder, its single streaming loop, key scrubbing and the
//! environment's precedence rules stay shared: they call these methods and never match on
//! a provider.
//!
//! The stream half is [`Wire`] (a wire format: its framing and a per-stream [`Events`]
//! parser, in [`stream`]), which parse-only providers (Bedrock, Replicate, watsonx)
//! implement alone; [`parts`] holds the values the methods take and give.

mod parts;
mod stream;

use serde_json::Value;

pub(crate) use parts::{bearer, encode_segment, Base, EnvVars, Header, Settings};
pub(crate) use stream::{BodyError, BodyParser, Events, Stateless, Wire};

use super::builder::ClientBuilder;
use super::env::Lookup;
use super::request::ChatRequest;
use super::wire::{Framing, StreamParser, WireFormat};

/// What a provider is: its names, environment, URL, body, auth and stream.
///
/// Implemented once per provider folder (and by [`GenericSpec`](super::GenericSpec), whose
/// spec is the provider). Every method is pure: the client calls them when it is built and
/// for each request.
pub(crate) trait Api: Sync {
    /// The stable name: what stored runs record as the endpoint kind and what
    /// [`Provider::name`](super::Provider::name) returns (`openai_compatible`, `anthropic`).
    fn name(&self) -> &'static str;

    /// The names [`Provider::from_name`](super::Provider::from_name) accepts for it, already
    /// normalized (lowercase, `_` for `-`). The first is the one the attribute's `provider`
    /// takes and messages list; empty for a provider no name selects (generic).
    fn aliases(&self) -> &'static [&'static str];

    /// The provider's own environment variables (see [`env`](mod@super::env)).
    fn env(&self) -> &'static EnvVars;

    /// The base URL to use for the value of endpoint variable `var` (`OLLAMA_HOST` is a
    /// host, say). By default the value as it is.
    fn env_base_url(&self, _var: &'static str, value: String) -> String {
        value
    }

    /// The builder with the provider's other settings read from the environment (Azure's
    /// deployment and API version). By default the builder as it is.
    fn env_settings(&self, _var: Lookup<'_>, builder: ClientBuilder) -> ClientBuilder {
        builder
    }

    /// The request URL for a checked base URL; it may keep `{{model}}` for the client to
    /// fill in per request.
    fn url(&self, base: &Base<'_>, settings: &Settings) -> String;

    /// The JSON request body of `req` for `model` (already resolved: the request's, the
    /// scenario's or the client's), with streaming switched on where the API has a flag.
    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value;

    /// The auth (and version) headers for `key`. By default `Authorization: Bearer <key>`
    /// when a key is set.
    fn auth(&self, key: Option<&str>, _settings: &Settings) -> Vec<Header> {
        bearer(key)
    }

    /// True when requests must name a model. By default they must.
    fn needs_model(&self, _settings: &Settings) -> bool {
        true
    }

    /// The wire format of the stream; `None` for an API that brings its own
    /// [`parser`](Self::parser) (generic).
    fn wire_format(&self) -> Option<WireFormat>;

    /// How the stream is framed (what the `accept` header asks for). By default the wire
    /// format's.
    fn framing(&self) -> Framing {
        self.wire_format().map_or(Framing::Sse, WireFormat::framing)
    }

    /// Whether a complete stream of this API always marks its end, with a terminator
    /// event or a finish reason, so that a connection closed before either means the stream
    /// was cut off ([`Error::Truncated`](crate::Error::Truncated)). True for every built-in
    /// format; a generic API only when its spec names its `done` marker.
    fn marks_its_end(&self) -> bool {
        true
    }

    /// A parser for one response body. By default the [`StreamParser`] of the wire format.
    fn parser(&self) -> Box<dyn BodyParser> {
        Box::new(StreamParser::new(
            self.wire_format().unwrap_or(WireFormat::OpenAiChat),
        ))
    }
}
