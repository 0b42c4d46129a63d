//! When the simulated endpoint's bytes went into the socket: every connection's stream is
//! wrapped so that each write is stamped on the machine's monotonic clock as it begins and
//! as it returns, and the stamps are given to the response whose bytes it carried.
//!
//! A response says what its next write will carry ([`ConnWrites::begin_response`] for the
//! headers, [`ConnWrites::expect_token`] for each token's frame, right before the frame is
//! handed to hyper); the first write that completes after that takes the stamps. Several
//! frames written together share one write's stamps. HTTP/1.1 serves one request at a time
//! per connection, so a connection's writes belong to the one response in progress.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::truth::WriteTimes;
use crate::clock::monotonic_ns;

/// The write stamps of one response, filled in by its connection as the writes happen (the
/// last ones after the response's truth was stored).
#[derive(Debug, Default)]
pub(crate) struct ResponseWrites(Mutex<Stamps>);

/// The stamps so far.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stamps {
    /// The write that carried the status line and headers.
    pub(crate) headers: Option<WriteTimes>,
    /// The write of each token's frame, in order.
    pub(crate) tokens: Vec<WriteTimes>,
}

impl ResponseWrites {
    /// Makes room for `tokens` tokens' stamps.
    pub(crate) fn reserve(&self, tokens: u32) {
        let mut stamps = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        stamps.tokens.reserve_exact(tokens as usize);
    }

    /// A copy of the stamps so far.
    pub(crate) fn stamps(&self) -> Stamps {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What the next write of a connection carries.
#[derive(Default)]
struct Expected {
    /// The response in progress.
    response: Option<Arc<ResponseWrites>>,
    /// Its headers are not written yet.
    headers: bool,
    /// Token frames handed to hyper and not yet written.
    tokens: u32,
}

/// A connection's writes: shared by its stream (which stamps them) and the responses it
/// carries (which say what each write holds).
#[derive(Clone, Default)]
pub(crate) struct ConnWrites(Arc<Mutex<Expected>>);

impl ConnWrites {
    /// Starts a response: the connection's next write carries its headers. Its stamps
    /// arrive in the returned record.
    pub(crate) fn begin_response(&self) -> Arc<ResponseWrites> {
        let response = Arc::new(ResponseWrites::default());
        let mut expected = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *expected = Expected {
            response: Some(Arc::clone(&response)),
            headers: true,
            tokens: 0,
        };
        response
    }

    /// A token's frame is about to be handed to hyper: a coming write carries it.
    pub(crate) fn expect_token(&self) {
        let mut expected = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        expected.tokens += 1;
    }

    /// A write of `n > 0` bytes began at `begin` and returned at `end` (monotonic ns).
    fn written(&self, begin: u64, end: u64) {
        let mut expected = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !expected.headers && expected.tokens == 0 {
            return;
        }
        let Some(response) = expected.response.clone() else {
            return;
        };
        let times = WriteTimes {
            begin_monotonic_ns: begin,
            end_monotonic_ns: end,
        };
        let mut stamps = response.0.lock().unwrap_or_else(PoisonError::into_inner);
        if expected.headers {
            stamps.headers = Some(times);
        }
        for _ in 0..expected.tokens {
            stamps.tokens.push(times);
        }
        expected.headers = false;
        expected.tokens = 0;
    }
}

/// A connection's TCP stream, stamping its writes.
pub(crate) struct StampedWrites {
    /// The stream.
    inner: TcpStream,
    /// Who the stamps go to.
    writes: ConnWrites,
}

impl StampedWrites {
    /// Stamps `inner`'s writes.
    fn new(inner: TcpStream) -> Self {
        StampedWrites {
            inner,
            writes: ConnWrites::default(),
        }
    }

    /// Runs a write, stamping it if it wrote something.
    fn stamp(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        let begin = monotonic_ns();
        let result = write(Pin::new(&mut self.inner), cx);
        if let Poll::Ready(Ok(n)) = &result {
            if *n > 0 {
                self.writes.written(begin, monotonic_ns());
            }
        }
        result
    }
}

impl AsyncRead for StampedWrites {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StampedWrites {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .stamp(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .stamp(cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The server's listener: TCP connections with `TCP_NODELAY` (each token is a small write:
/// Nagle's algorithm would hold it back until the previous one is acknowledged) whose writes
/// are stamped.
pub(crate) struct StampingListener(pub(crate) TcpListener);

impl Listener for StampingListener {
    type Io = StampedWrites;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept loop: it retries what a failed accept leaves retryable.
        let (tcp, addr) = Listener::accept(&mut self.0).await;
        let _ = tcp.set_nodelay(true);
        (StampedWrites::new(tcp), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// What a handler learns of its connection (axum's `ConnectInfo`): where its writes go.
#[derive(Clone)]
pub(crate) struct Connection {
    /// The connection's writes.
    pub(crate) writes: ConnWrites,
}

impl Connected<IncomingStream<'_, StampingListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, StampingListener>) -> Self {
        Connection {
            writes: stream.io().writes.clone(),
        }
    }
}
