//! Errors of llm-bench and their classes.
//!
//! Every failed request ends in one [`Error`]; its [`ErrorClass`] is what the harness counts
//! (errors are never mixed into latency figures). Messages never contain an API key: request
//! URLs are reduced to their host before they reach an error.

use std::time::Duration;

/// A `Result` whose error is llm-bench's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Anything that went wrong while running a scenario or one of its requests.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection to the endpoint could not be made (DNS, refused, TLS).
    #[error("could not connect to {endpoint}: {message}")]
    Connect {
        /// Host (and port) of the endpoint; never a full URL with credentials.
        endpoint: String,
        /// What the transport said.
        message: String,
    },
    /// The request did not finish within its time limit.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The endpoint answered with a non-success HTTP status.
    #[error("HTTP {status} from {endpoint}: {body}")]
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// Host (and port) of the endpoint.
        endpoint: String,
        /// The start of the response body (at most 512 bytes), for diagnosis.
        body: String,
    },
    /// The stream carried an error after the response had started (e.g. an `error` event).
    #[error("error inside the stream: {0}")]
    MidStream(String),
    /// The bytes did not form a valid stream (bad framing, bad JSON, oversized line, cut off).
    #[error("malformed stream: {0}")]
    Malformed(String),
    /// The configuration is unusable (missing model, bad URL, bad option value).
    #[error("configuration error: {0}")]
    Config(String),
    /// An error raised by the scenario's own code or by a user stream passed to
    /// [`Ctx::track`](crate::Ctx::track).
    #[error("{0}")]
    Scenario(String),
    /// Reading or writing stored results failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path involved.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The class this error is counted under.
    ///
    /// ```
    /// use llm_bench::{Error, ErrorClass};
    /// assert_eq!(Error::MidStream("overloaded".into()).class(), ErrorClass::MidStream);
    /// ```
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Connect { .. } => ErrorClass::Connect,
            Error::Timeout(_) => ErrorClass::Timeout,
            Error::HttpStatus { .. } => ErrorClass::HttpStatus,
            Error::MidStream(_) => ErrorClass::MidStream,
            Error::Malformed(_) => ErrorClass::Malformed,
            Error::Config(_) => ErrorClass::Config,
            Error::Scenario(_) => ErrorClass::Scenario,
            Error::Io { .. } => ErrorClass::Io,
        }
    }

    /// An error of the scenario's own code, from anything printable.
    ///
    /// ```
    /// let err = llm_bench::Error::scenario("retrieval returned no documents");
    /// assert_eq!(err.to_string(), "retrieval returned no documents");
    /// ```
    pub fn scenario(message: impl std::fmt::Display) -> Self {
        Error::Scenario(message.to_string())
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The classes failed requests are counted under.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// Could not connect.
    Connect,
    /// Took longer than the scenario's timeout.
    Timeout,
    /// Non-success HTTP status.
    HttpStatus,
    /// An error reported inside the stream.
    MidStream,
    /// Bytes that do not form a valid stream.
    Malformed,
    /// Unusable configuration.
    Config,
    /// The scenario's own code failed.
    Scenario,
    /// Local I/O failed.
    Io,
}

impl ErrorClass {
    /// A short stable name, as used in stored runs and console output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Connect => "connect",
            ErrorClass::Timeout => "timeout",
            ErrorClass::HttpStatus => "http_status",
            ErrorClass::MidStream => "mid_stream",
            ErrorClass::Malformed => "malformed",
            ErrorClass::Config => "config",
            ErrorClass::Scenario => "scenario",
            ErrorClass::Io => "io",
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
