//! The kernel's receive time of a plain TCP connection's bytes (Linux: `SO_TIMESTAMPNS`).
//!
//! A read stamped when it completes in user space is late by however long the reading
//! thread took to run after the bytes arrived: on an idle 2-vCPU VM, 80-100 µs to resume the
//! virtual CPU; under load, the wait behind other connections' work. With `SO_TIMESTAMPNS`
//! the kernel records when each segment reached the socket, and `recvmsg` returns the time
//! of the last segment it copied out: the arrival of the read's last byte, whenever the
//! reader got to it. A read that takes several segments at once gives all its bytes the
//! last one's time (still no later than the read itself), as a user-space stamp does. Elsewhere (and for TLS, whose reads decrypt records that may span
//! segments) the user-space stamp stands.

use std::io;
use std::task::{ready, Context, Poll};

#[cfg(target_os = "linux")]
use tokio::io::Interest;
use tokio::io::ReadBuf;
use tokio::net::TcpStream;

/// Asks the kernel to time every segment `tcp` receives; false if it refused (then reads
/// carry no kernel time).
pub(crate) fn enable(tcp: &TcpStream) -> bool {
    imp::enable(tcp)
}

/// Reads from `tcp` into `buf`, as `AsyncRead::poll_read` would; also returns, when the
/// kernel gave one, its receive time of the last byte read, in nanoseconds since the Unix
/// epoch (`CLOCK_REALTIME`).
#[cfg(target_os = "linux")]
pub(crate) fn poll_read(
    tcp: &mut TcpStream,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<Option<u64>>> {
    loop {
        ready!(tcp.poll_read_ready(cx))?;
        match tcp.try_io(Interest::READABLE, || imp::recv(tcp, buf)) {
            Ok(received) => return Poll::Ready(Ok(received)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

/// Reads from `tcp` into `buf`; no kernel time outside Linux.
#[cfg(not(target_os = "linux"))]
pub(crate) fn poll_read(
    tcp: &mut TcpStream,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<Option<u64>>> {
    use tokio::io::AsyncRead;
    ready!(std::pin::Pin::new(tcp).poll_read(cx, buf))?;
    Poll::Ready(Ok(None))
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::mem::{size_of, size_of_val, zeroed};
    use std::os::fd::AsRawFd;

    use tokio::io::ReadBuf;
    use tokio::net::TcpStream;

    pub(super) fn enable(tcp: &TcpStream) -> bool {
        let on: libc::c_int = 1;
        // SAFETY: a valid socket descriptor, and a pointer to an int of the length given.
        let rc = unsafe {
            libc::setsockopt(
                tcp.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&on as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        rc == 0
    }

    /// One non-blocking `recvmsg` into `buf`'s unfilled part, and the `SCM_TIMESTAMPNS`
    /// that came with it.
    pub(super) fn recv(tcp: &TcpStream, buf: &mut ReadBuf<'_>) -> io::Result<Option<u64>> {
        // SAFETY: recvmsg only writes into the unfilled part (never de-initialises it); the
        // bytes it reports written are then marked initialised and filled.
        let unfilled = unsafe { buf.unfilled_mut() };
        let mut iov = libc::iovec {
            iov_base: unfilled.as_mut_ptr().cast(),
            iov_len: unfilled.len(),
        };
        // Room for one timespec message, aligned as cmsghdr wants.
        let mut control = [0u64; 8];
        // SAFETY: msghdr is plain data; all-zero is a valid empty header.
        let mut msg: libc::msghdr = unsafe { zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of_val(&control) as _;
        // SAFETY: the header points at the live iovec and control buffer above.
        let n = unsafe { libc::recvmsg(tcp.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        // SAFETY: the kernel wrote `n` bytes at the start of the unfilled part.
        unsafe { buf.assume_init(n) };
        buf.advance(n);
        let mut received = None;
        // SAFETY: the CMSG_* macros walk the control buffer the kernel filled, within the
        // length it set in `msg`.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET
                    && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
                {
                    let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                    if ts.tv_sec > 0 {
                        received = Some(
                            (ts.tv_sec as u64)
                                .saturating_mul(1_000_000_000)
                                .saturating_add(ts.tv_nsec as u64),
                        );
                    }
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
        Ok(received)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use tokio::net::TcpStream;

    pub(super) fn enable(_: &TcpStream) -> bool {
        false
    }
}
