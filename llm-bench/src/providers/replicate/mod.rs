//! Replicate's prediction streams (<https://replicate.com/docs/topics/predictions/streaming>):
//! parse only. The stream URL comes from a prediction Replicate creates first, so the
//! client does not speak Replicate; recorded streams are parsed with
//! [`WireFormat::Replicate`](crate::providers::wire::WireFormat::Replicate).
//!
//! | | |
//! |---|---|
//! | framing | SSE, events `output` (plain text), `error`, `done`; parsed by [`parse`] |

pub(crate) mod parse;

use super::api::{Events, Stateless, Wire};
use super::payload::PayloadError;
use super::wire::Framing;
use crate::delta::Delta;

/// The Replicate stream's [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replicate;

/// Parses one event (which never fails: the data is text).
fn parse_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    Ok(parse::parse_event(event, data))
}

impl Wire for Replicate {
    fn corpus_name(&self) -> &'static str {
        "replicate"
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(Stateless(parse_event))
    }
}
