//! Timestamps taken where the bytes arrive: [`Stamped`] wraps a connection's stream (TCP,
//! or TLS over TCP) under the HTTP layer and stamps every read and write as it completes,
//! before hyper decodes anything or hands it to another task; [`WireLog`] keeps the last
//! reads of the connection, so the client can time each body frame by the read that
//! delivered its last byte.
//!
//! A read fills hyper's own read buffer (the `ReadBuf` it passes down is its buffer), and
//! hyper hands body data on as slices of that buffer without copying. So a frame's last
//! byte lies in the memory one read filled, and [`WireLog::arrival_of`] finds that read by
//! address, newest first: no read after it could have written there while the frame is
//! alive. The log is a fixed ring: no allocation per read.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use hyper_util::client::legacy::connect::{Connected, Connection};
use quanta::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::clock::quanta_and_utc_ns;

/// How many of a connection's most recent reads are kept. A frame is looked up right after
/// it arrives; hyper reads at most a buffer or two ahead of the body's reader (HTTP/2 may
/// interleave other streams), so 64 is far more than ever needed.
const READS_KEPT: usize = 64;

/// How a connection was opened: when, and how long each step took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opened {
    /// When the connector began (name resolution and TCP connect).
    pub(crate) began: Instant,
    /// TCP connect, name resolution included.
    pub(crate) connect_ns: u64,
    /// The TLS handshake, for `https`.
    pub(crate) tls_ns: Option<u64>,
    /// ALPN chose HTTP/2.
    pub(crate) http2: bool,
}

/// One read: the memory it filled and when it completed.
#[derive(Clone, Copy)]
struct Read {
    /// Address of the first byte filled.
    start: usize,
    /// Address one past the last byte filled.
    end: usize,
    /// When the read returned.
    at: Instant,
}

/// What the connection's reads and writes were, as far as the client needs.
struct Log {
    /// The last [`READS_KEPT`] reads, a ring; `reads[next]` is the oldest once full.
    reads: [Option<Read>; READS_KEPT],
    /// Where the next read goes in the ring.
    next: usize,
    /// A write completed since the last flush.
    write_pending: bool,
    /// When the last write (or the flush after it) completed.
    last_write: Option<Instant>,
    /// The first read to complete after the last write: the response's first byte, on
    /// HTTP/1.1, where a connection carries one request at a time.
    first_read_after_write: Option<Instant>,
}

/// The log of one connection: how it was opened, its recent reads and its last write.
/// Shared between the connection's [`Stamped`] stream and every response it carries (as
/// hyper's connection "extra").
pub(crate) struct WireLog {
    /// A number for this connection, unique in the process.
    id: u64,
    /// How it was opened.
    opened: Opened,
    /// The reads and writes.
    log: Mutex<Log>,
}

/// The next connection number.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl WireLog {
    /// The log of a connection opened as `opened` says.
    pub(crate) fn new(opened: Opened) -> Arc<WireLog> {
        Arc::new(WireLog {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            opened,
            log: Mutex::new(Log {
                reads: [None; READS_KEPT],
                next: 0,
                write_pending: false,
                last_write: None,
                first_read_after_write: None,
            }),
        })
    }

    /// The connection's number (unique in the process).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// How the connection was opened.
    pub(crate) fn opened(&self) -> Opened {
        self.opened
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A read filled `filled`, completing at `completed`; `kernel_ns` is the kernel's
    /// receive time of its last byte, when known.
    fn read(&self, filled: &[u8], completed: Instant, kernel_ns: Option<u64>) {
        let start = filled.as_ptr() as usize;
        let mut log = self.lock();
        let at = read_time(completed, kernel_ns, log.last_write);
        let next = log.next;
        log.reads[next] = Some(Read {
            start,
            end: start + filled.len(),
            at,
        });
        log.next = (next + 1) % READS_KEPT;
        if log.first_read_after_write.is_none() {
            log.first_read_after_write = Some(at);
        }
    }

    /// A write (or the flush after one) completed at `at`.
    fn wrote(&self, at: Instant, flushed: bool) {
        let mut log = self.lock();
        if flushed && !log.write_pending {
            return;
        }
        log.write_pending = !flushed;
        log.last_write = Some(at);
        log.first_read_after_write = None;
    }

    /// When the read that delivered the last byte of `data` (a slice hyper handed on)
    /// completed; `None` when no kept read filled that memory (the data was copied, or is
    /// older than the ring).
    pub(crate) fn arrival_of(&self, data: &[u8]) -> Option<Instant> {
        let last = (data.as_ptr() as usize).checked_add(data.len().checked_sub(1)?)?;
        let log = self.lock();
        (1..=READS_KEPT)
            .map(|back| log.reads[(log.next + READS_KEPT - back) % READS_KEPT])
            .map_while(|read| read)
            .find(|read| read.start <= last && last < read.end)
            .map(|read| read.at)
    }

    /// When the request's last write completed, and when the first read after it did
    /// (the response's first byte, on HTTP/1.1).
    pub(crate) fn exchange(&self) -> (Option<Instant>, Option<Instant>) {
        let log = self.lock();
        (log.last_write, log.first_read_after_write)
    }
}

/// The log, as hyper's connection "extra": every response of the connection carries it in
/// its extensions.
#[derive(Clone)]
pub(crate) struct ConnectionLog(pub(crate) Arc<WireLog>);

/// A stream (TCP or TLS) whose reads and writes are stamped in its [`WireLog`].
pub(crate) struct Stamped<S> {
    inner: S,
    log: Arc<WireLog>,
}

impl<S> Stamped<S> {
    /// `inner`, stamped into `log`.
    pub(crate) fn new(inner: S, log: Arc<WireLog>) -> Self {
        Stamped { inner, log }
    }
}

/// A stream that may know when the kernel received the bytes of its last read
/// ([`super::kernel_rx`]).
pub(crate) trait KernelArrival {
    /// The kernel's receive time of the last read's last byte, in nanoseconds since the
    /// Unix epoch (taken: the next read gives its own); `None` when it gave none.
    fn take_kernel_arrival_ns(&mut self) -> Option<u64>;
}

/// How far before the read's completion a kernel receive time may lie and still be
/// believed: more is a clock step (or a bogus timestamp), and the completion stands.
const KERNEL_ARRIVAL_MAX_LEAD: Duration = Duration::from_secs(1);

/// The read's time on quanta's clock: when it completed (`completed`), or, when the kernel
/// gave its receive time (`kernel_ns`, UTC), that time, placed on quanta's clock through a
/// pairing of the two clocks taken now; never before the connection's last write (`after`:
/// a response cannot precede its request) nor after the completion.
fn read_time(completed: Instant, kernel_ns: Option<u64>, after: Option<Instant>) -> Instant {
    let Some(kernel_ns) = kernel_ns else {
        return completed;
    };
    let (now, now_utc_ns) = quanta_and_utc_ns();
    let lead = Duration::from_nanos(now_utc_ns.saturating_sub(kernel_ns));
    if lead > KERNEL_ARRIVAL_MAX_LEAD {
        return completed;
    }
    let at = now.checked_sub(lead).unwrap_or(now).min(completed);
    match after {
        Some(after) if at < after => after.min(completed),
        _ => at,
    }
}

impl<S: AsyncRead + KernelArrival + Unpin> AsyncRead for Stamped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let completed = Instant::now();
        let kernel_ns = self.inner.take_kernel_arrival_ns();
        let filled = &buf.filled()[before..];
        if !filled.is_empty() {
            self.log.read(filled, completed, kernel_ns);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Stamped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        if n > 0 {
            self.log.wrote(Instant::now(), false);
        }
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.inner).poll_write_vectored(cx, bufs))?;
        if n > 0 {
            self.log.wrote(Instant::now(), false);
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        self.log.wrote(Instant::now(), true);
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> Connection for Stamped<S> {
    fn connected(&self) -> Connected {
        let connected = Connected::new().extra(ConnectionLog(self.log.clone()));
        if self.log.opened.http2 {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::utc_ns;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An in-memory pipe has no kernel receive times.
    impl KernelArrival for tokio::io::DuplexStream {
        fn take_kernel_arrival_ns(&mut self) -> Option<u64> {
            None
        }
    }

    #[test]
    fn a_kernel_receive_time_moves_the_stamp_back_within_bounds() {
        let completed = Instant::now();
        let ms = Duration::from_millis;
        // No kernel time: the completion.
        assert_eq!(read_time(completed, None, None), completed);
        // 2 ms before a read that completes now: 2 ms before its completion (a little more,
        // as the completion is read after the UTC time the kernel's is taken from).
        let kernel = utc_ns() - 2_000_000;
        let completed = Instant::now();
        let at = read_time(completed, Some(kernel), None);
        let lead = completed.duration_since(at);
        assert!(lead >= ms(2) && lead < ms(50), "{lead:?}");
        // Never before the connection's last write.
        let written = completed - ms(1);
        assert_eq!(read_time(completed, Some(kernel), Some(written)), written);
        // A time from the future, or from more than a second back (a clock step): the
        // completion.
        assert_eq!(
            read_time(completed, Some(utc_ns() + 5_000_000), None),
            completed
        );
        assert_eq!(
            read_time(completed, Some(utc_ns() - 3_000_000_000), None),
            completed
        );
    }

    fn opened() -> Opened {
        Opened {
            began: Instant::now(),
            connect_ns: 0,
            tls_ns: None,
            http2: false,
        }
    }

    #[tokio::test]
    async fn each_byte_is_timed_by_the_read_that_filled_it() {
        let (client, mut server) = tokio::io::duplex(64);
        let log = WireLog::new(opened());
        let mut stamped = Stamped::new(client, log.clone());
        let mut buf = [0u8; 32];
        server.write_all(b"first").await.unwrap();
        let n = stamped.read(&mut buf[..16]).await.unwrap();
        assert_eq!(n, 5);
        let after_first = Instant::now();
        server.write_all(b"second").await.unwrap();
        let m = stamped.read(&mut buf[16..]).await.unwrap();
        assert_eq!(m, 6);
        let first = log.arrival_of(&buf[..5]).unwrap();
        let second = log.arrival_of(&buf[16..22]).unwrap();
        assert!(first <= after_first && after_first <= second);
        // A slice ending inside the first read is the first read's.
        assert_eq!(log.arrival_of(&buf[2..4]), Some(first));
        // Memory no read filled, and an empty slice, have no arrival.
        assert_eq!(log.arrival_of(&buf[24..30]), None);
        assert_eq!(log.arrival_of(&buf[..0]), None);
    }

    #[tokio::test]
    async fn the_newest_read_of_reused_memory_wins_and_old_reads_fall_out() {
        let (client, mut server) = tokio::io::duplex(64);
        let log = WireLog::new(opened());
        let mut stamped = Stamped::new(client, log.clone());
        let mut buf = [0u8; 4];
        let mut times = Vec::new();
        for _ in 0..READS_KEPT + 3 {
            server.write_all(b"abcd").await.unwrap();
            stamped.read_exact(&mut buf).await.unwrap();
            times.push(Instant::now());
        }
        let at = log.arrival_of(&buf).unwrap();
        let n = times.len();
        assert!(times[n - 2] <= at && at <= times[n - 1]);
    }

    #[tokio::test]
    async fn the_first_read_after_a_write_is_the_response_s_first_byte() {
        let (client, mut server) = tokio::io::duplex(64);
        let log = WireLog::new(opened());
        let mut stamped = Stamped::new(client, log.clone());
        assert_eq!(log.exchange(), (None, None));
        stamped.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        stamped.flush().await.unwrap();
        let (written, first) = log.exchange();
        assert!(written.is_some() && first.is_none());
        server.write_all(b"HTTP/1.1 200 OK\r\n").await.unwrap();
        let mut buf = [0u8; 8];
        stamped.read_exact(&mut buf).await.unwrap();
        let (_, first) = log.exchange();
        let first = first.unwrap();
        stamped.read_exact(&mut buf).await.unwrap();
        // Later reads do not move the first byte; an empty flush does not either.
        stamped.flush().await.unwrap();
        assert_eq!(log.exchange(), (written, Some(first)));
        assert!(written.unwrap() <= first);
    }
}
