//! What both Bedrock APIs share: a frame sorted by its `:message-type` (see the
//! [module documentation](super)).

use crate::delta::Delta;
use crate::framing::eventstream::Message;
use crate::providers::payload::{error_message, excerpt, PayloadError};

/// A frame, sorted by its `:message-type`.
pub(crate) enum Frame<'a> {
    /// An event (or a frame without `:message-type`): its `:event-type` and UTF-8 payload.
    Event(Option<&'a str>, &'a str),
    /// An exception or error, already a delta; or a message type we do not know, empty.
    Delta(Delta),
}

/// Sorts `message` by its `:message-type`; for an event, checks the payload is UTF-8.
pub(crate) fn event_payload(message: &Message) -> Result<Frame<'_>, PayloadError> {
    match message.str_header(":message-type") {
        None | Some("event") => {
            let payload = std::str::from_utf8(&message.payload).map_err(|_| PayloadError {
                reason: "the payload is not UTF-8".to_owned(),
                excerpt: excerpt(&String::from_utf8_lossy(&message.payload)),
            })?;
            Ok(Frame::Event(message.str_header(":event-type"), payload))
        }
        Some("exception") => {
            let kind = message
                .str_header(":exception-type")
                .filter(|k| !k.is_empty())
                .unwrap_or("exception");
            let payload = String::from_utf8_lossy(&message.payload);
            let error = if payload.trim().is_empty() {
                kind.to_owned()
            } else {
                format!("{kind}: {}", error_message(&payload))
            };
            Ok(Frame::Delta(Delta {
                error: Some(error),
                ..Delta::default()
            }))
        }
        Some("error") => {
            let code = message.str_header(":error-code").unwrap_or("error");
            let error = match message.str_header(":error-message") {
                Some(m) if !m.is_empty() => format!("{code}: {}", excerpt(m)),
                _ => code.to_owned(),
            };
            Ok(Frame::Delta(Delta {
                error: Some(error),
                ..Delta::default()
            }))
        }
        Some(_) => Ok(Frame::Delta(Delta::default())),
    }
}
