//! What a response says about how it was carried: the HTTP phases of its connection (new
//! or reused, connect and TLS time, when the request was written) and the request id the
//! server gave it, so a slow request can be found in the provider's logs.

use quanta::Instant;
use reqwest::header::HeaderMap;

use super::transport::WireLog;
use crate::metrics::Connection;

/// The response headers that carry the server's id of a request, in the order they are
/// tried: `x-request-id` (OpenAI, Azure OpenAI, Groq, Mistral, vLLM, most gateways),
/// `request-id` (Anthropic), `x-amzn-requestid` (AWS Bedrock), `apim-request-id` (Azure API
/// Management), `x-ms-request-id` (Azure), `cf-ray` (behind Cloudflare: its ray id, the
/// last resort). Documented in docs/providers.md.
pub(crate) const REQUEST_ID_HEADERS: [&str; 6] = [
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "apim-request-id",
    "x-ms-request-id",
    "cf-ray",
];

/// The longest request id kept (a longer header value is cut).
const REQUEST_ID_MAX: usize = 200;

/// The server's id of the request: the first of [`REQUEST_ID_HEADERS`] present with a
/// printable value, at most 200 characters.
#[cfg(test)]
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    request_id_scrubbed(headers, str::to_string)
}

/// [`request_id`] passed through `scrub` before it is cut, so that a key a server echoes
/// there is found whole and replaced, never kept in part.
pub(crate) fn request_id_scrubbed(
    headers: &HeaderMap,
    scrub: impl Fn(&str) -> String,
) -> Option<String> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?.trim();
        (!value.is_empty()).then(|| scrub(value).chars().take(REQUEST_ID_MAX).collect())
    })
}

/// The connection an attempt that started at `start` was carried on: new when it was
/// opened for this attempt (its connector began after the attempt did), reused otherwise;
/// the connect and TLS times are those of a new connection only. `written` is when the
/// request's last write completed.
pub(crate) fn connection_phases(
    wire: Option<&WireLog>,
    start: Instant,
    written: Option<Instant>,
) -> Option<Connection> {
    let wire = wire?;
    let opened = wire.opened();
    let new = opened.began >= start;
    Some(Connection {
        id: wire.id(),
        new,
        connect_ns: new.then_some(opened.connect_ns),
        tls_ns: if new { opened.tls_ns } else { None },
        http2: opened.http2,
        written: written.filter(|&w| w >= start),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn the_request_id_comes_from_the_first_header_present() {
        let mut h = HeaderMap::new();
        assert_eq!(request_id(&h), None);
        h.insert("cf-ray", HeaderValue::from_static("8f1a-AMS"));
        assert_eq!(request_id(&h).as_deref(), Some("8f1a-AMS"));
        h.insert("request-id", HeaderValue::from_static("req_011CPw"));
        assert_eq!(request_id(&h).as_deref(), Some("req_011CPw"));
        h.insert("x-request-id", HeaderValue::from_static(" chatcmpl-42 "));
        assert_eq!(request_id(&h).as_deref(), Some("chatcmpl-42"));
        h.insert("x-request-id", HeaderValue::from_static(""));
        assert_eq!(request_id(&h).as_deref(), Some("req_011CPw"));
        let long = "a".repeat(500);
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_str(&long).unwrap());
        assert_eq!(request_id(&h).map(|s| s.len()), Some(200));
    }
}
