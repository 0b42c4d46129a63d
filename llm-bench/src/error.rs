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
    /// The connection broke after the request was sent and before any byte of a response
    /// (reset, or closed by the server); for a connection reused from the pool, after one
    /// retry on a new connection failed too.
    #[error("{message}")]
    Transport {
        /// Host (and port) of the endpoint.
        endpoint: String,
        /// What happened, naming the endpoint: "the connection to 127.0.0.1:4567 was closed
        /// before any response (reset by peer); ...".
        message: String,
    },
    /// A phase of the request took longer than its time limit.
    #[error("{}", timeout_message(*.phase, *.limit))]
    Timeout {
        /// The phase that ran out of time.
        phase: TimeoutPhase,
        /// Its limit.
        limit: Duration,
    },
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
    /// The stream ended before its end: the connection was closed (FIN) or reset, or the
    /// response body ended, after the response had started and before the API's terminator
    /// event or finish reason (a last event cut short by the close included).
    #[error("stream cut off: {0}")]
    Truncated(String),
    /// The bytes did not form a valid stream (bad framing, bad JSON, an oversized
    /// line, a response head that is not HTTP; invalid UTF-8 in SSE is replaced by U+FFFD,
    /// as the standard says).
    #[error("malformed stream: {0}")]
    Malformed(String),
    /// The configuration is unusable (missing model, bad URL, bad option value).
    #[error("configuration error: {0}")]
    Config(String),
    /// An error raised by the scenario's own code or by a user stream passed to
    /// [`Ctx::track`](crate::Ctx::track), given as a message.
    #[error("{0}")]
    Scenario(String),
    /// An error of the scenario's own code or client, kept with its chain of causes (see
    /// [`Error::other`]); counted under the class its causes show.
    #[error("{source}")]
    Other {
        /// The class, found in the chain of causes (`scenario` when nothing there is known).
        class: ErrorClass,
        /// The error itself.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
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
            Error::Transport { .. } => ErrorClass::Transport,
            Error::Timeout { phase, .. } => phase.class(),
            Error::HttpStatus { .. } => ErrorClass::HttpStatus,
            Error::MidStream(_) => ErrorClass::MidStream,
            Error::Truncated(_) => ErrorClass::Truncated,
            Error::Malformed(_) => ErrorClass::Malformed,
            Error::Config(_) => ErrorClass::Config,
            Error::Scenario(_) => ErrorClass::Scenario,
            Error::Other { class, .. } => *class,
            Error::Io { .. } => ErrorClass::Io,
        }
    }

    /// An error of the scenario's own code, from anything printable (use [`Error::other`]
    /// to keep an error's causes and class).
    ///
    /// ```
    /// let err = llm_bench::Error::scenario("retrieval returned no documents");
    /// assert_eq!(err.to_string(), "retrieval returned no documents");
    /// ```
    pub fn scenario(message: impl std::fmt::Display) -> Self {
        Error::Scenario(message.to_string())
    }

    /// An error of the scenario's own code or of the client it uses, kept whole: its
    /// chain of causes is printed and stored, and it is counted under the class the chain
    /// shows (a refused or failed connection is `connect`, a timed-out one `timeout`, an
    /// HTTP status error `http_status`, an llm-bench error its own class), else `scenario`.
    ///
    /// ```
    /// use llm_bench::{Error, ErrorClass};
    /// let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
    /// let err = Error::other(refused);
    /// assert_eq!(err.class(), ErrorClass::Connect);
    /// assert_eq!(err.to_string(), "Connection refused");
    /// assert_eq!(Error::other("no documents found").class(), ErrorClass::Scenario);
    /// ```
    ///
    /// In a scenario, convert your client's error with it: `.map_err(llm_bench::Error::other)?`.
    pub fn other(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let boxed: Box<dyn std::error::Error + Send + Sync> = error.into();
        match boxed.downcast::<Error>() {
            Ok(ours) => *ours,
            Err(source) => Error::Other {
                class: classify_chain(source.as_ref()),
                source,
            },
        }
    }

    /// The error and its causes as one line: `outer: cause: root cause` (a cause whose
    /// text the line already holds is not repeated).
    ///
    /// ```
    /// let io = std::io::Error::other("disk full");
    /// let err = llm_bench::Error::other(io);
    /// assert_eq!(err.describe(), "disk full");
    /// ```
    pub fn describe(&self) -> String {
        describe_chain(self)
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The phases of a request that have their own time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the connection (built-in client).
    Connect,
    /// From the request's start to the response headers (built-in client).
    FirstByte,
    /// From the request's start to the first output event.
    FirstToken,
    /// Between two events of the stream.
    Idle,
    /// The whole invocation.
    Total,
}

impl TimeoutPhase {
    /// The class a timeout of this phase is counted under.
    pub fn class(self) -> ErrorClass {
        match self {
            TimeoutPhase::Connect => ErrorClass::ConnectTimeout,
            TimeoutPhase::FirstByte => ErrorClass::FirstByteTimeout,
            TimeoutPhase::FirstToken => ErrorClass::FirstTokenTimeout,
            TimeoutPhase::Idle => ErrorClass::IdleTimeout,
            TimeoutPhase::Total => ErrorClass::Timeout,
        }
    }
}

fn timeout_message(phase: TimeoutPhase, limit: Duration) -> String {
    let limit = crate::format::format_duration_ns(limit.as_nanos() as f64);
    match phase {
        TimeoutPhase::Connect => format!("no connection within {limit} (connect timeout)"),
        TimeoutPhase::FirstByte => {
            format!("no response headers within {limit} of the start (first-byte timeout)")
        }
        TimeoutPhase::FirstToken => {
            format!("no output within {limit} of the start (first-token timeout)")
        }
        TimeoutPhase::Idle => format!("no event for {limit} mid-stream (idle timeout)"),
        TimeoutPhase::Total => format!("not finished within {limit} (timeout)"),
    }
}

/// The class of an error of the user's code, from the first cause in its chain that says
/// what happened: an llm-bench error, an I/O error of a known kind, a reqwest error, or an
/// elapsed tokio timer.
fn classify_chain(error: &(dyn std::error::Error + 'static)) -> ErrorClass {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(ours) = e.downcast_ref::<Error>() {
            return ours.class();
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused
                | K::ConnectionAborted
                | K::NotConnected
                | K::AddrNotAvailable
                | K::HostUnreachable
                | K::NetworkUnreachable => return ErrorClass::Connect,
                K::TimedOut => return ErrorClass::Timeout,
                _ => {}
            }
        }
        if let Some(http) = e.downcast_ref::<reqwest::Error>() {
            if http.is_connect() {
                return ErrorClass::Connect;
            }
            if http.is_timeout() {
                return ErrorClass::Timeout;
            }
            if http.status().is_some() {
                return ErrorClass::HttpStatus;
            }
        }
        if e.downcast_ref::<tokio::time::error::Elapsed>().is_some() {
            return ErrorClass::Timeout;
        }
        next = e.source();
    }
    ErrorClass::Scenario
}

/// `error` and its causes as one line, each cause whose text is not yet in the line added
/// after `: `.
pub(crate) fn describe_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        next = cause.source();
    }
    line
}

/// `text` cut to at most `max` characters at a word boundary, with `…` when cut (a single
/// word longer than `max` is cut inside it).
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let head = cut_between_words(text, max.saturating_sub(1));
    if head.len() == text.len() && text.chars().count() <= max {
        return text.to_string();
    }
    format!("{head}…")
}

/// The start of `text`, at most `max` characters long, ending between words where it is
/// cut (inside a word only when the first half holds no space); `text` itself when short.
pub(crate) fn cut_between_words(text: &str, max: usize) -> &str {
    let Some((cut_at, _)) = text.char_indices().nth(max) else {
        return text;
    };
    let head = &text[..cut_at];
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if space > cut_at / 2 => &head[..space],
        _ => head,
    };
    head.trim_end_matches(|c: char| c.is_whitespace() || c == ',' || c == ':')
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
    /// The connection broke after the request was sent, before any response byte.
    Transport,
    /// Took longer than the invocation's time limit (or the user's client timed out).
    Timeout,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// No response headers within the first-byte timeout.
    FirstByteTimeout,
    /// No output within the first-token timeout.
    FirstTokenTimeout,
    /// No event within the idle timeout, mid-stream.
    IdleTimeout,
    /// Non-success HTTP status.
    HttpStatus,
    /// An error reported inside the stream.
    MidStream,
    /// The connection closed or was reset mid-stream, before the stream's end.
    Truncated,
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
            ErrorClass::Transport => "transport",
            ErrorClass::Timeout => "timeout",
            ErrorClass::ConnectTimeout => "connect_timeout",
            ErrorClass::FirstByteTimeout => "first_byte_timeout",
            ErrorClass::FirstTokenTimeout => "first_token_timeout",
            ErrorClass::IdleTimeout => "idle_timeout",
            ErrorClass::HttpStatus => "http_status",
            ErrorClass::MidStream => "mid_stream",
            ErrorClass::Truncated => "truncated",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("could not fetch the answer")]
    struct AppError(#[source] std::io::Error);

    #[test]
    fn other_keeps_the_cause_and_finds_its_class() {
        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let err = Error::other(AppError(refused));
        assert_eq!(err.class(), ErrorClass::Connect);
        assert_eq!(
            err.describe(),
            "could not fetch the answer: Connection refused"
        );
        assert!(std::error::Error::source(&err).is_some());

        let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline");
        assert_eq!(
            Error::other(AppError(timed_out)).class(),
            ErrorClass::Timeout
        );
        let other = std::io::Error::other("bad chunk");
        assert_eq!(Error::other(AppError(other)).class(), ErrorClass::Scenario);
        // one of ours, boxed and back, keeps its class
        let ours = Error::HttpStatus {
            status: 429,
            endpoint: "h".into(),
            body: String::new(),
        };
        assert_eq!(Error::other(ours).class(), ErrorClass::HttpStatus);
    }

    #[test]
    fn describe_does_not_repeat_causes_already_in_the_message() {
        let io = Error::io("could not write x", std::io::Error::other("disk full"));
        assert_eq!(io.describe(), "could not write x: disk full");
    }

    #[test]
    fn timeouts_name_their_phase() {
        let e = Error::Timeout {
            phase: TimeoutPhase::FirstByte,
            limit: Duration::from_secs(30),
        };
        assert_eq!(e.class(), ErrorClass::FirstByteTimeout);
        assert_eq!(
            e.to_string(),
            "no response headers within 30.00 s of the start (first-byte timeout)"
        );
        assert_eq!(ErrorClass::IdleTimeout.as_str(), "idle_timeout");
    }

    #[test]
    fn shorten_cuts_between_words() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(
            shorten("the connection was refused by the host", 20),
            "the connection was…"
        );
        assert_eq!(shorten("abcdefghijklmnop", 5), "abcd…");
        assert_eq!(shorten("ééé", 2), "é…");
        assert_eq!(
            cut_between_words("rate limit exceeded, retry", 22),
            "rate limit exceeded"
        );
        assert_eq!(cut_between_words("short", 10), "short");
    }
}
