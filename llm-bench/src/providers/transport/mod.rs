//! The HTTP layer under every [`Client`](super::Client): hyper-util's pooled client over
//! our own [`Connector`](connector::Connector), whose connections stamp every read and
//! write where the bytes arrive ([`stamped`]). What a response tells about its connection
//! (new or reused, connect and TLS time, when the request was written, when the first byte
//! came) is read from its [`WireLog`]. A request that fails before any response is
//! inspected by [`failure`]: a dead pooled connection is retried once on a fresh one
//! ([`Transport::send_fresh`]).

mod connector;
mod failure;
mod kernel_rx;
mod stamped;
#[cfg(test)]
mod tests;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client as Pool;
use hyper_util::rt::{TokioExecutor, TokioTimer};

pub(crate) use connector::ConnectError;
pub(crate) use failure::{how_it_broke, inspect};
pub(crate) use stamped::{ConnectionLog, WireLog};
pub(crate) use tls::{TlsConfig, TlsOptions};

/// How long an idle connection stays in the pool (reqwest's and hyper-util's default).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The pooled HTTP client: HTTP/1.1, and HTTP/2 where TLS negotiates it; no redirects
/// (hyper does not follow them), Nagle off.
#[derive(Clone)]
pub(crate) struct Transport {
    /// The pool every request goes through first.
    pool: Pool<connector::Connector, Full<Bytes>>,
    /// A pool that keeps no idle connection, so each request opens a new one: for the one
    /// retry of a request whose pooled connection turned out dead.
    fresh: Pool<connector::Connector, Full<Bytes>>,
    /// The TLS settings, for another pool of the same client.
    tls: TlsConfig,
}

impl Transport {
    /// A client whose TCP connects give up after `connect_timeout`, with these TLS settings.
    pub(crate) fn new(connect_timeout: Duration, tls: &TlsConfig) -> Result<Transport, String> {
        let connector = connector::Connector::new(connect_timeout, tls)?;
        let pool = Pool::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            .build(connector.clone());
        let fresh = Pool::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Transport {
            pool,
            fresh,
            tls: tls.clone(),
        })
    }

    /// Sends `request`; the response's headers have arrived when this returns.
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        self.pool.request(request).await
    }

    /// Sends `request` on a connection opened for it (never one from the pool), which is
    /// closed once its response has been read.
    pub(crate) async fn send_fresh(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        self.fresh.request(request).await
    }
}

/// The log of the connection that carried `response`.
pub(crate) fn wire_log<B>(response: &Response<B>) -> Option<Arc<WireLog>> {
    response
        .extensions()
        .get::<ConnectionLog>()
        .map(|log| log.0.clone())
}
