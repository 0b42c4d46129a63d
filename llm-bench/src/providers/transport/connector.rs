//! Opening a connection: name resolution and TCP connect (with the client's connect time
//! limit, Nagle off), then TLS for `https` (the client's [`TlsConfig`]: by default rustls
//! with the webpki roots; ALPN `h2` and `http/1.1`), each step timed, and the stream
//! wrapped in a [`Stamped`] so every read and write is stamped where the bytes arrive. A
//! handshake that fails on the server's certificate says which option would accept it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use hyper::Uri;
use hyper_util::rt::TokioIo;
use quanta::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use super::kernel_rx;
use super::stamped::{KernelArrival, Opened, Stamped, WireLog};
use super::tls::{certificate_advice, TlsConfig};

/// The connection hyper gets.
pub(crate) type Conn = TokioIo<Stamped<Plain>>;

/// A TCP stream, or TLS over one.
pub(crate) enum Plain {
    /// `http`: with the kernel's receive time of the last read, when it gives one.
    Tcp(TcpStream, KernelRx),
    /// `https`.
    Tls(Box<TlsStream<TcpStream>>),
}

/// Opens connections for the HTTP client (a `tower::Service<Uri>`, as hyper-util's pool
/// wants).
#[derive(Clone)]
pub(crate) struct Connector {
    /// The TCP connect time limit (name resolution included).
    connect_timeout: Duration,
    /// The TLS setup, shared.
    tls: TlsConnector,
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    /// The connect time limit passed.
    #[error("connect timed out after {0:?}")]
    TimedOut(Duration),
    /// The URI has no host, or a scheme other than http and https.
    #[error("{0}")]
    Uri(&'static str),
    /// The TLS handshake failed on the server's certificate: with advice on which option
    /// accepts it.
    #[error("TLS handshake with {host}:{port} failed: {error}; {advice}")]
    Certificate {
        /// The server's host name.
        host: String,
        /// The port.
        port: u16,
        /// rustls's reason (its text, e.g. `invalid peer certificate: UnknownIssuer`).
        error: io::Error,
        /// What to do about it.
        advice: &'static str,
    },
    /// Resolution, TCP or TLS failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Connector {
    /// A connector with this connect time limit and TLS setup. (It cannot fail: the TLS
    /// setup is built, and checked, by [`TlsConfig::new`].)
    pub(crate) fn new(connect_timeout: Duration, tls: &TlsConfig) -> Result<Connector, String> {
        Ok(Connector {
            connect_timeout,
            tls: TlsConnector::from(tls.rustls.clone()),
        })
    }

    /// Opens a connection to `uri`'s host, timing each step.
    async fn open(self, uri: Uri) -> Result<Conn, ConnectError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(ConnectError::Uri("the URL's scheme is not http or https")),
        };
        let host = uri.host().ok_or(ConnectError::Uri("the URL has no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let began = Instant::now();
        let tcp = tokio::time::timeout(
            self.connect_timeout,
            TcpStream::connect((host.as_str(), port)),
        )
        .await
        .map_err(|_| ConnectError::TimedOut(self.connect_timeout))??;
        tcp.set_nodelay(true)?;
        let connected = Instant::now();
        let connect_ns = nanos(connected - began);
        let (stream, tls_ns, http2) = if https {
            let name = ServerName::try_from(host.clone())
                .map_err(|_| ConnectError::Uri("the URL's host is not a valid TLS server name"))?;
            let tls =
                self.tls.connect(name, tcp).await.map_err(|error| {
                    match certificate_advice(&error) {
                        Some(advice) => ConnectError::Certificate {
                            host,
                            port,
                            error,
                            advice,
                        },
                        None => ConnectError::Io(error),
                    }
                })?;
            let http2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            let tls_ns = nanos(Instant::now() - connected);
            (Plain::Tls(Box::new(tls)), Some(tls_ns), http2)
        } else {
            let rx = KernelRx {
                enabled: kernel_rx::enable(&tcp),
                last_ns: None,
            };
            (Plain::Tcp(tcp, rx), None, false)
        };
        let log = WireLog::new(Opened {
            began,
            connect_ns,
            tls_ns,
            http2,
        });
        Ok(TokioIo::new(Stamped::new(stream, log)))
    }
}

/// A duration in whole nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl tower_service::Service<Uri> for Connector {
    type Response = Conn;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.clone().open(uri))
    }
}

/// A plain connection's kernel receive times.
pub(crate) struct KernelRx {
    /// The kernel times every segment (`SO_TIMESTAMPNS`).
    enabled: bool,
    /// The kernel's receive time of the last read's last byte, in nanoseconds since the
    /// Unix epoch, until the stamp takes it.
    last_ns: Option<u64>,
}

impl KernelArrival for Plain {
    fn take_kernel_arrival_ns(&mut self) -> Option<u64> {
        match self {
            Plain::Tcp(_, rx) => rx.last_ns.take(),
            Plain::Tls(_) => None,
        }
    }
}

impl AsyncRead for Plain {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Plain::Tcp(s, rx) if rx.enabled => {
                rx.last_ns = ready!(kernel_rx::poll_read(s, cx, buf))?;
                Poll::Ready(Ok(()))
            }
            Plain::Tcp(s, _) => Pin::new(s).poll_read(cx, buf),
            Plain::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Plain {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Plain::Tcp(s, _) => Pin::new(s).poll_write(cx, buf),
            Plain::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Plain::Tcp(s, _) => Pin::new(s).poll_write_vectored(cx, bufs),
            Plain::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Plain::Tcp(s, _) => s.is_write_vectored(),
            Plain::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Plain::Tcp(s, _) => Pin::new(s).poll_flush(cx),
            Plain::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Plain::Tcp(s, _) => Pin::new(s).poll_shutdown(cx),
            Plain::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
