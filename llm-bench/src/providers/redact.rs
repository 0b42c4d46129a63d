//! What keeps keys and paths out of errors and reports: the scrubbing of a client's
//! credentials from error bodies and messages, and URLs reduced to what is safe to print.

use http_body_util::BodyExt;
use hyper::body::Incoming;
use reqwest::Url;

use super::client::Client;
use super::secret::ApiKey;
use super::transport::{inspect, ConnectError};
use crate::error::{Error, TimeoutPhase};

/// How much of an error response body is kept in an [`Error::HttpStatus`].
const ERROR_BODY_LIMIT: usize = 512;

/// How much of an error body is read: enough past the kept part that a key starting inside
/// it is read whole, and scrubbed, before the body is cut.
const ERROR_BODY_READ_LIMIT: usize = ERROR_BODY_LIMIT + 4096;

impl Client {
    /// Reads at most [`ERROR_BODY_READ_LIMIT`] bytes of an error body, scrubs the secrets
    /// from it, and keeps at most [`ERROR_BODY_LIMIT`] bytes.
    pub(super) async fn error_body(&self, mut body: Incoming) -> String {
        let mut buf: Vec<u8> = Vec::new();
        while let Some(Ok(frame)) = body.frame().await {
            let Ok(chunk) = frame.into_data() else {
                continue;
            };
            let room = ERROR_BODY_READ_LIMIT - buf.len();
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if buf.len() >= ERROR_BODY_READ_LIMIT {
                break;
            }
        }
        let text = self.scrub(&String::from_utf8_lossy(&buf));
        let mut cut = text.len().min(ERROR_BODY_LIMIT);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut_short = cut < text.len();
        let mut kept = if cut_short {
            crate::error::cut_between_words(&text, text[..cut].chars().count()).to_string()
        } else {
            text
        };
        // A key cut off at the end of the kept part would still show its start.
        for secret in self.secrets() {
            for len in (4..secret.len()).rev() {
                if kept.ends_with(&secret[..len]) {
                    kept.truncate(kept.len() - len);
                    kept.push_str("***");
                    break;
                }
            }
        }
        if cut_short {
            kept.push('…');
        }
        kept
    }

    /// Every credential this client sends.
    fn secrets(&self) -> impl Iterator<Item = &str> {
        self.api_key
            .iter()
            .chain(self.secret_headers.values())
            .map(ApiKey::expose)
            .filter(|s| !s.is_empty())
    }

    /// `text` with every credential of this client replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets() {
            if out.contains(secret) {
                out = out.replace(secret, "***");
            }
        }
        out
    }

    /// `e` with every credential of this client scrubbed from its message.
    pub(super) fn scrub_error(&self, e: Error) -> Error {
        match e {
            Error::MidStream(m) => Error::MidStream(self.scrub(&m)),
            Error::Malformed(m) => Error::Malformed(self.scrub(&m)),
            Error::Truncated(m) => Error::Truncated(self.scrub(&m)),
            Error::Transport { endpoint, message } => Error::Transport {
                endpoint,
                message: self.scrub(&message),
            },
            other => other,
        }
    }

    /// The error of an attempt that started at `start` and got no response: a connect
    /// timeout, a connection failure, a connection that broke before any response byte
    /// ([`Error::Transport`]), or one that broke inside the response head, named by host
    /// and scrubbed (hyper's errors never hold the URL). The flag is true when the broken
    /// connection came from the pool and no response byte arrived: the one case retried
    /// on a fresh connection.
    pub(super) fn transport_error(
        &self,
        e: hyper_util::client::legacy::Error,
        start: quanta::Instant,
    ) -> (Error, bool) {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        let mut timed_out = false;
        while let Some(inner) = source {
            if let Some(ConnectError::TimedOut(_)) = inner.downcast_ref::<ConnectError>() {
                timed_out = true;
            }
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        let message = self.scrub(&message);
        let host = &self.host;
        let Some(failure) = inspect(&e, start) else {
            let error = if timed_out {
                Error::Timeout {
                    phase: TimeoutPhase::Connect,
                    limit: self.connect_timeout,
                }
            } else {
                Error::Connect {
                    endpoint: host.clone(),
                    message,
                }
            };
            return (error, false);
        };
        let how = self.scrub(&failure.how);
        if failure.invalid_http {
            let error =
                Error::Malformed(format!("the response from {host} is not HTTP: {message}"));
            (error, false)
        } else if failure.before_response {
            let error = Error::Transport {
                endpoint: host.clone(),
                message: format!("the connection to {host} was {how}, before any response"),
            };
            (error, failure.reused)
        } else {
            let error = Error::Truncated(format!(
                "the connection to {host} was {how} inside the response head"
            ));
            (error, false)
        }
    }
}

/// `host:port` of a URL, for reports and messages.
pub(crate) fn host_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "<no host>".to_string(),
    }
}

/// A URL reduced to scheme, host and path (no credentials, no query), safe to print.
pub(crate) fn redact_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            host_label(&u),
            u.path().trim_end_matches('/')
        ),
        Err(_) => {
            let cut: String = raw.chars().take(40).collect();
            let cut = cut.split(['?', '@']).next().unwrap_or_default().to_string();
            format!("{cut}…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_replaces_every_secret() {
        let c = Client::builder()
            .base_url("http://127.0.0.1:1/v1")
            .api_key(ApiKey::new("sk-abc"))
            .secret_header("x-gateway-key", ApiKey::new("gw-123"))
            .header("x-trace", "visible")
            .build()
            .unwrap();
        assert_eq!(c.scrub("a sk-abc b gw-123 c sk-abc"), "a *** b *** c ***");
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("gw-123") && !debug.contains("sk-abc"),
            "{debug}"
        );
        assert!(!debug.contains("visible"), "{debug}");
        assert!(debug.contains("x-gateway-key"), "{debug}");
    }

    #[test]
    fn urls_are_printed_without_credentials_or_query() {
        assert_eq!(
            redact_url("https://u:p@h.example:8443/v1/?key=k"),
            "https://h.example:8443/v1"
        );
        assert_eq!(redact_url("not a url?key=hunter2"), "not a url…");
    }
}
