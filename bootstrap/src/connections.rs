//! Connection hygiene in front of poem's server loop, which retries a failed accept at once
//! (spinning a core on `EMFILE`) and takes every connection it is offered:
//!
//! - at most `max_connections` open connections: each holds a semaphore permit for as long as
//!   its socket lives; one over the cap is accepted and closed at once, never queued, so the
//!   backlog cannot fill with connections that will time out anyway;
//! - after an accept error a short pause instead of a spin, and at most one log line a second
//!   about such errors (and about refused connections);
//! - the request-head deadline and the keep-alive idle timeout of [`deadlines`], the first
//!   against slowloris clients.

mod deadlines;

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use seckiller_interfaces::{ConnectionFigures, ConnectionReading};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use deadlines::Deadlines;

/// The pause after a failed accept (out of file descriptors, or memory).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
/// At most one log line per kind of trouble in this long.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// Limits on the connections of one listener.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// How long a client has to send a request head; `None` for no deadline.
    pub header_read_timeout: Option<Duration>,
    /// How long a keep-alive connection may sit idle between requests; `None` for ever.
    pub idle_timeout: Option<Duration>,
}

/// Logs a kind of trouble at most once per [`LOG_EVERY`], counting what it did not log.
struct Throttled {
    last: Option<Instant>,
    unlogged: u64,
}

impl Throttled {
    fn new() -> Self {
        Self {
            last: None,
            unlogged: 0,
        }
    }

    /// Whether to log now; `Some(n)` with the occurrences since the last line.
    fn due(&mut self) -> Option<u64> {
        let now = Instant::now();
        self.unlogged += 1;
        if self.last.is_some_and(|last| now - last < LOG_EVERY) {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

/// An acceptor that caps, paces and guards the connections of `inner`.
pub struct GuardedAcceptor<A> {
    inner: A,
    permits: Arc<Semaphore>,
    limits: ConnectionLimits,
    accept_errors: Throttled,
    refusals: Throttled,
    refused: Arc<AtomicU64>,
}

impl<A: Acceptor> GuardedAcceptor<A> {
    /// Guards `inner` with `limits`.
    pub fn new(inner: A, limits: ConnectionLimits) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            limits,
            accept_errors: Throttled::new(),
            refusals: Throttled::new(),
            refused: Arc::default(),
        }
    }

    /// Reads the connections open now, the cap and the refusals so far, for the metrics.
    pub fn reading(&self) -> ConnectionReading {
        let permits = self.permits.clone();
        let refused = self.refused.clone();
        let max = self.limits.max_connections.max(1);
        Arc::new(move || ConnectionFigures {
            open: u64::try_from(max.saturating_sub(permits.available_permits())).unwrap_or(0),
            max: u64::try_from(max).unwrap_or(u64::MAX),
            refused: refused.load(Ordering::Relaxed),
        })
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = GuardedConnection<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            match self.inner.accept().await {
                Ok((io, local, remote, scheme)) => {
                    match self.permits.clone().try_acquire_owned() {
                        Ok(permit) => {
                            let io = GuardedConnection::new(io, permit, self.limits);
                            return Ok((io, local, remote, scheme));
                        }
                        // Closed at once by dropping it: the client learns now, not after a
                        // timeout.
                        Err(_) => {
                            drop(io);
                            self.refused.fetch_add(1, Ordering::Relaxed);
                            if let Some(refused) = self.refusals.due() {
                                tracing::warn!(
                                    refused,
                                    max_connections = self.limits.max_connections,
                                    "connections refused: the node is at its connection cap"
                                );
                            }
                        }
                    }
                }
                Err(error) => {
                    if let Some(failures) = self.accept_errors.due() {
                        tracing::error!(%error, failures, "accepting connections fails; pausing between attempts");
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
}

/// A client connection: its socket, its place under the connection cap, and its deadlines.
pub struct GuardedConnection<Io> {
    io: Io,
    deadlines: Option<Deadlines>,
    _permit: OwnedSemaphorePermit,
}

impl<Io> GuardedConnection<Io> {
    fn new(io: Io, permit: OwnedSemaphorePermit, limits: ConnectionLimits) -> Self {
        let timed = limits.header_read_timeout.is_some() || limits.idle_timeout.is_some();
        Self {
            io,
            deadlines: timed
                .then(|| Deadlines::new(limits.header_read_timeout, limits.idle_timeout)),
            _permit: permit,
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for GuardedConnection<Io> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(deadlines) = &mut this.deadlines else {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        };
        if let Poll::Ready(overdue) = deadlines.poll_expired(cx) {
            return Poll::Ready(Err(overdue));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = read {
            deadlines.read(buf.filled().get(before..).unwrap_or_default());
        }
        read
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for GuardedConnection<Io> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        if let (Poll::Ready(Ok(1..)), Some(deadlines)) = (&written, &mut this.deadlines) {
            deadlines.wrote();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if let (Poll::Ready(Ok(1..)), Some(deadlines)) = (&written, &mut this.deadlines) {
            deadlines.wrote();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::DuplexStream;

    use super::*;

    /// Fails `failures` accepts (as with `EMFILE`), then hands out in-memory connections.
    struct Flaky {
        failures: usize,
        calls: usize,
    }

    impl Acceptor for Flaky {
        type Io = DuplexStream;

        fn local_addr(&self) -> Vec<LocalAddr> {
            Vec::new()
        }

        async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
            self.calls += 1;
            // A real listener yields when it has nothing; this one yields every time.
            tokio::task::yield_now().await;
            if self.calls <= self.failures {
                return Err(io::Error::other("too many open files"));
            }
            let (io, _peer) = tokio::io::duplex(64);
            Ok((
                io,
                LocalAddr(poem::Addr::Custom("test", "".into())),
                RemoteAddr(poem::Addr::Custom("test", "".into())),
                Scheme::HTTP,
            ))
        }
    }

    fn limits(max_connections: usize) -> ConnectionLimits {
        ConnectionLimits {
            max_connections,
            header_read_timeout: Some(Duration::from_secs(5)),
            idle_timeout: Some(Duration::from_secs(60)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn accept_errors_are_paced_not_spun() {
        let mut acceptor = GuardedAcceptor::new(
            Flaky {
                failures: 10,
                calls: 0,
            },
            limits(10),
        );
        let began = Instant::now();
        assert!(acceptor.accept().await.is_ok());
        assert_eq!(acceptor.inner.calls, 11);
        assert!(began.elapsed() >= ACCEPT_BACKOFF * 10);
    }

    #[tokio::test]
    async fn a_connection_past_the_cap_is_dropped_and_a_closed_one_frees_its_place() {
        let mut acceptor = GuardedAcceptor::new(
            Flaky {
                failures: 0,
                calls: 0,
            },
            limits(1),
        );
        let first = acceptor.accept().await.unwrap().0;
        // The next accepted connection finds no place: it is dropped and the one after waits.
        let waiting = tokio::time::timeout(Duration::from_millis(50), acceptor.accept()).await;
        assert!(waiting.is_err(), "no connection while the cap is taken");
        assert!(
            acceptor.inner.calls > 2,
            "over the cap, connections are accepted and closed"
        );
        drop(first);
        assert!(acceptor.accept().await.is_ok());
    }
}
