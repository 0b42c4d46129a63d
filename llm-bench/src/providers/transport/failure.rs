//! What a failed request tells of its connection: whether the connection was reused from
//! the pool, whether any byte of a response had arrived, and how it broke (reset, closed).
//!
//! hyper-util hands back the failed connection's [`Connected`] with its error; its extra is
//! our [`ConnectionLog`], whose [`WireLog`](super::WireLog) knows when the connection was
//! opened and whether a read followed the request's last write.

use hyper::http::Extensions;
use hyper_util::client::legacy::Error as PoolError;
use quanta::Instant;

use super::ConnectionLog;

/// A request that failed after its connection was made, as its connection saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendFailure {
    /// The connection was opened before the attempt started (taken from the pool).
    pub(crate) reused: bool,
    /// No byte of a response arrived after the request was written.
    pub(crate) before_response: bool,
    /// The bytes that did arrive are not an HTTP response head.
    pub(crate) invalid_http: bool,
    /// How the connection broke, to follow "the connection was": "reset by peer", "closed
    /// by the server (FIN)".
    pub(crate) how: String,
}

/// What `error`, from an attempt that started at `attempt_start`, says of its connection;
/// `None` for a connection that could not be made (a connect error).
pub(crate) fn inspect(error: &PoolError, attempt_start: Instant) -> Option<SendFailure> {
    if error.is_connect() {
        return None;
    }
    let log = error.connect_info().and_then(|connected| {
        let mut extensions = Extensions::new();
        connected.get_extras(&mut extensions);
        extensions.get::<ConnectionLog>().map(|log| log.0.clone())
    });
    let (reused, before_response) = match &log {
        Some(log) => {
            let (written, first_read) = log.exchange();
            // Nothing written by this attempt means nothing answered it either.
            let wrote_now = written.is_some_and(|w| w >= attempt_start);
            (
                log.opened().began < attempt_start,
                !wrote_now || first_read.is_none(),
            )
        }
        None => (false, true),
    };
    let invalid_http = chain(error).any(|e| {
        e.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_parse() || h.is_parse_status())
    });
    let how = how_it_broke(error).map_or_else(|| describe(error), str::to_string);
    Some(SendFailure {
        reused,
        before_response,
        invalid_http,
        how,
    })
}

/// How a connection broke, from the causes of `error`, to follow "the connection was":
/// "reset by peer" (RST), "closed by the server (FIN)" (an end of file hyper did not
/// expect), "closed by the server while the request was written (broken pipe)"; `None`
/// when the causes say neither.
pub(crate) fn how_it_broke(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    chain(error).find_map(|e| {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                K::ConnectionReset => Some("reset by peer"),
                K::ConnectionAborted => Some("aborted by the local system"),
                K::BrokenPipe => {
                    Some("closed by the server while the request was written (broken pipe)")
                }
                K::UnexpectedEof => Some("closed by the server (FIN)"),
                _ => None,
            };
        }
        e.downcast_ref::<hyper::Error>()
            .filter(|h| h.is_incomplete_message())
            .map(|_| "closed by the server (FIN)")
    })
}

/// `error` and its causes.
fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// The causes of `error` as one line, without hyper-util's own "client error (Kind)".
fn describe(error: &PoolError) -> String {
    match std::error::Error::source(error) {
        Some(cause) => crate::error::describe_chain(cause),
        None => error.to_string(),
    }
}
