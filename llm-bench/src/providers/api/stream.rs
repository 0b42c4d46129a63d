//! The stream half of a provider: [`Wire`] (a wire format) and its per-stream [`Events`],
//! and [`BodyParser`], what the client's streaming loop feeds.

use std::fmt;

use crate::delta::Delta;
use crate::framing::eventstream::Message;
use crate::providers::generic::GenericError;
use crate::providers::payload::PayloadError;
use crate::providers::wire::{Framing, StreamError};

/// Why a response body could not be parsed: a known wire format's [`StreamError`], or a
/// generic stream's [`GenericError`]. The client reports it as
/// [`Error::Malformed`](crate::Error::Malformed), with this message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// A stream of a known wire format.
    #[error(transparent)]
    Stream(#[from] StreamError),
    /// A stream described by a [`GenericSpec`](crate::GenericSpec).
    #[error(transparent)]
    Generic(#[from] GenericError),
}

/// The parser of one response body, read by read: what the client's streaming loop feeds.
pub(crate) trait BodyParser: Send {
    /// Parses a read (`None`: the end of the body), appending one delta per unit it
    /// completes (those before a malformed unit included).
    fn parse(&mut self, bytes: Option<&[u8]>, out: &mut Vec<Delta>) -> Result<(), BodyError>;
}

/// A wire format: how its units are framed and how each is parsed. Every
/// [`WireFormat`](crate::providers::wire::WireFormat) has one, listed in the
/// [registry](crate::providers::registry).
pub(crate) trait Wire: Sync {
    /// The name the corpus' sidecars give the format (`wire_format`), also its display
    /// name.
    fn corpus_name(&self) -> &'static str;

    /// How the format frames its units.
    fn framing(&self) -> Framing;

    /// The unit parser of a new stream.
    fn events(&self) -> Box<dyn Events>;
}

/// Parses the units of one stream, in order; it may keep state from one unit to the next.
///
/// Only the method of the format's own framing is called; the others read their unit as
/// the nearest equivalent (a text unit as the data of an unnamed event, a frame's payload
/// as text).
pub(crate) trait Events: fmt::Debug + Send {
    /// One server-sent event: its `event:` name, if any, and its data.
    fn event(&mut self, name: Option<&str>, data: &str) -> Result<Delta, PayloadError>;

    /// One NDJSON line or JSON-array element.
    fn text(&mut self, text: &str) -> Result<Delta, PayloadError> {
        self.event(None, text)
    }

    /// One AWS eventstream frame.
    fn frame(&mut self, message: &Message) -> Result<Delta, PayloadError> {
        self.text(&String::from_utf8_lossy(&message.payload))
    }

    /// A copy of this parser with its state (a [`StreamParser`](crate::providers::wire::StreamParser) is `Clone`).
    fn boxed_clone(&self) -> Box<dyn Events>;
}

/// The [`Events`] of a format without per-stream state: one function of each event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stateless(pub(crate) fn(Option<&str>, &str) -> Result<Delta, PayloadError>);

impl Events for Stateless {
    fn event(&mut self, name: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
        (self.0)(name, data)
    }

    fn boxed_clone(&self) -> Box<dyn Events> {
        Box::new(*self)
    }
}
