//! Why a stream could not be parsed: [`StreamError`].

use super::{EventStreamError, JsonArrayError, NdjsonError, PayloadError, SseError, WireFormat};

/// Why a stream could not be parsed. A malformed stream, as opposed to an error the API
/// reported inside the stream (which is a [`Delta::error`](crate::Delta::error)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The SSE framing is invalid (a line or event over the limit).
    #[error("malformed {format} stream: {source}")]
    Sse {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the SSE decoder reported.
        #[source]
        source: SseError,
    },
    /// The NDJSON framing is invalid (a line over the limit).
    #[error("malformed {format} stream: {source}")]
    Ndjson {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the NDJSON decoder reported.
        #[source]
        source: NdjsonError,
    },
    /// The JSON-array framing is invalid (not an array, an element over the limit, cut
    /// short).
    #[error("malformed {format} stream: {source}")]
    JsonArray {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the JSON-array decoder reported.
        #[source]
        source: JsonArrayError,
    },
    /// The AWS eventstream framing is invalid (a bad prelude or message CRC, a frame over
    /// the limit, a bad header, a frame cut short).
    #[error("malformed {format} stream: {source}")]
    EventStream {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the eventstream decoder reported.
        #[source]
        source: EventStreamError,
    },
    /// A unit's payload is not valid for the format (not JSON, impossible field shapes).
    #[error("invalid {format} event #{index}: {source}")]
    Payload {
        /// The wire format being parsed.
        format: WireFormat,
        /// The 0-based index of the unit in the stream.
        index: u64,
        /// What was wrong, with the start of the payload.
        #[source]
        source: PayloadError,
    },
}

impl StreamError {
    /// The error is in the framing (the bytes do not form units), not in a unit's payload.
    #[cfg(test)]
    pub fn is_framing(&self) -> bool {
        !matches!(self, StreamError::Payload { .. })
    }

    /// The wire format that was being parsed.
    #[cfg(test)]
    pub fn format(&self) -> WireFormat {
        match self {
            StreamError::Sse { format, .. }
            | StreamError::Ndjson { format, .. }
            | StreamError::JsonArray { format, .. }
            | StreamError::EventStream { format, .. }
            | StreamError::Payload { format, .. } => *format,
        }
    }
}
