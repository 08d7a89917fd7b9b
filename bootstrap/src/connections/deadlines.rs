//! A connection's deadlines, enforced on the socket: the request-head deadline (a slowloris
//! client that trickles a byte every few seconds is never idle, so idleness alone cannot close
//! it) and the keep-alive idle timeout.
//!
//! The connection is in one of three phases, moved by the bytes that pass:
//! - **head**: waiting for a request head. Armed when the connection is accepted, and again by
//!   the first byte read after an answer was written. If no complete head (some bytes, then an
//!   empty line) has been read when the head deadline passes, the next read fails and hyper
//!   closes the connection.
//! - **request**: a head has arrived; its body and the handler's time are limited elsewhere
//!   (the body-read deadline, the handlers' own waits), so a long poll is never cut off here.
//!   Bytes read now (a body, a pipelined next head) do not arm anything.
//! - **between**: an answer was written; the keep-alive connection is idle until its next byte,
//!   and closed when none comes within the idle timeout.
//!
//! The scan looks for the empty line that ends a head, after at least one byte that is not a
//! line break (the empty lines HTTP allows before a request do not count). A body or a pipelined
//! request is read in the request phase and never scanned. An HTTP/2 connection (prior knowledge
//! preface) has no head deadline (its frames are binary and its streams have their own limits),
//! only the idle timeout, counted from its last read or write.
//!
//! Timers are not reset per request (a timer-wheel update on the hottest path): arming a
//! deadline only notes it, and when a timer fires early, for an older deadline, it is moved to
//! the current one then. A busy keep-alive connection touches each timer about once per timeout.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// The HTTP/2 connection preface's first bytes.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Head,
    Request,
    Between,
    Http2,
}

/// A deadline whose timer follows it lazily; deadlines only move later.
struct Lazy {
    deadline: Instant,
    sleep: Pin<Box<Sleep>>,
}

impl Lazy {
    fn new(deadline: Instant) -> Self {
        Self {
            deadline,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    /// Whether the deadline has passed; otherwise the timer will wake `cx` (perhaps early).
    fn poll_passed(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return false;
            }
            if self.sleep.deadline() >= self.deadline {
                return true;
            }
            // It fired for an earlier deadline: move it to this one and wait on.
            let deadline = self.deadline;
            self.sleep.as_mut().reset(deadline);
        }
    }
}

/// The deadlines of one connection.
pub(crate) struct Deadlines {
    phase: Phase,
    header_read_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    head: Option<Lazy>,
    idle: Option<Lazy>,
    /// The last bytes of the head so far, newest in the low byte.
    tail: u32,
    /// Whether the head has a byte that is not a line break yet.
    started: bool,
    /// Whether nothing was read on this connection yet.
    fresh: bool,
}

fn timed_out(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what)
}

impl Deadlines {
    /// The deadlines of a connection accepted now; `None` turns one off.
    pub(crate) fn new(
        header_read_timeout: Option<Duration>,
        idle_timeout: Option<Duration>,
    ) -> Self {
        let now = Instant::now();
        Self {
            phase: Phase::Head,
            header_read_timeout,
            idle_timeout,
            head: header_read_timeout.map(|t| Lazy::new(now + t)),
            idle: idle_timeout.map(|t| Lazy::new(now + t)),
            tail: 0,
            started: false,
            fresh: true,
        }
    }

    /// Before a read: the error to fail it with when the head is overdue or the connection has
    /// been idle too long.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let (lazy, what) = match self.phase {
            Phase::Head => (&mut self.head, "the request head did not arrive in time"),
            Phase::Between | Phase::Http2 => (&mut self.idle, "the connection was idle too long"),
            Phase::Request => return Poll::Pending,
        };
        match lazy.as_mut().map(|lazy| lazy.poll_passed(cx)) {
            Some(true) => Poll::Ready(timed_out(what)),
            Some(false) | None => Poll::Pending,
        }
    }

    /// After a read of `bytes`.
    pub(crate) fn read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if std::mem::take(&mut self.fresh) && bytes.starts_with(H2_PREFACE) {
            self.phase = Phase::Http2;
        }
        match self.phase {
            Phase::Http2 => self.touch_idle(),
            Phase::Between => {
                self.phase = Phase::Head;
                self.tail = 0;
                self.started = false;
                if let (Some(head), Some(timeout)) = (&mut self.head, self.header_read_timeout) {
                    head.deadline = Instant::now() + timeout;
                }
                self.scan_head(bytes);
            }
            Phase::Head => self.scan_head(bytes),
            Phase::Request => {}
        }
    }

    /// After a write: an answer (or part of one) went out.
    pub(crate) fn wrote(&mut self) {
        match self.phase {
            Phase::Http2 => self.touch_idle(),
            Phase::Between => {}
            Phase::Head | Phase::Request => {
                self.phase = Phase::Between;
                self.touch_idle();
            }
        }
    }

    fn touch_idle(&mut self) {
        if let (Some(idle), Some(timeout)) = (&mut self.idle, self.idle_timeout) {
            idle.deadline = Instant::now() + timeout;
        }
    }

    fn scan_head(&mut self, bytes: &[u8]) {
        if self.scan(bytes) {
            self.phase = Phase::Request;
        }
    }

    /// Whether `bytes` complete the head (`\r\n\r\n`, or bare `\n\n`).
    fn scan(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if !self.started {
                if b == b'\r' || b == b'\n' {
                    continue;
                }
                self.started = true;
            }
            self.tail = (self.tail << 8) | u32::from(b);
            if self.tail == 0x0d0a_0d0a || self.tail & 0xffff == 0x0a0a {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);
    const IDLE: Duration = Duration::from_secs(60);

    async fn expired(deadline: &mut Deadlines) -> bool {
        poll_fn(|cx| Poll::Ready(deadline.poll_expired(cx).is_ready())).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_sends_nothing_is_overdue_after_the_timeout() {
        let mut deadline = Deadlines::new(Some(TIMEOUT), Some(IDLE));
        assert!(!expired(&mut deadline).await);
        tokio::time::advance(TIMEOUT + Duration::from_millis(1)).await;
        assert!(expired(&mut deadline).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickled_head_is_overdue_however_often_a_byte_comes() {
        let mut deadline = Deadlines::new(Some(TIMEOUT), Some(IDLE));
        for b in b"GET / HTTP/1.1\r\nHost: x\r\n".iter().take(6) {
            deadline.read(&[*b]);
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        assert!(expired(&mut deadline).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_head_disarms_it_until_the_next_request_starts() {
        let mut deadline = Deadlines::new(Some(TIMEOUT), Some(IDLE));
        deadline.read(b"\r\nGET / HTTP/1.1\r\nHost: x\r\n");
        deadline.read(b"\r\n{\"body\": 1}");
        tokio::time::advance(TIMEOUT * 3).await;
        assert!(
            !expired(&mut deadline).await,
            "a slow handler is not a slow head"
        );
        deadline.wrote();
        tokio::time::advance(TIMEOUT * 3).await;
        assert!(
            !expired(&mut deadline).await,
            "an idle keep-alive connection waits"
        );
        deadline.read(b"G");
        assert!(!expired(&mut deadline).await);
        tokio::time::advance(TIMEOUT).await;
        assert!(
            expired(&mut deadline).await,
            "the next head has its own deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn empty_lines_alone_do_not_complete_a_head_and_http2_is_exempt() {
        let mut deadline = Deadlines::new(Some(TIMEOUT), Some(IDLE));
        deadline.read(b"\r\n\r\n\r\n\r\n");
        tokio::time::advance(TIMEOUT).await;
        assert!(expired(&mut deadline).await);

        let mut h2 = Deadlines::new(Some(TIMEOUT), Some(IDLE));
        h2.read(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        h2.wrote();
        h2.read(b"\x00\x00\x04");
        tokio::time::advance(TIMEOUT * 2).await;
        assert!(!expired(&mut h2).await);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_keep_alive_connection_is_closed_but_a_long_request_is_not() {
        let mut deadline = Deadlines::new(Some(TIMEOUT), Some(IDLE));
        deadline.read(b"GET /api/v1/purchases/x?wait=10 HTTP/1.1\r\n\r\n");
        tokio::time::advance(IDLE * 2).await;
        assert!(
            !expired(&mut deadline).await,
            "a request under way is not idle"
        );
        deadline.wrote();
        tokio::time::advance(IDLE - Duration::from_secs(1)).await;
        assert!(!expired(&mut deadline).await);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(expired(&mut deadline).await);
    }

    #[tokio::test(start_paused = true)]
    async fn http2_is_closed_only_when_idle_and_none_means_no_deadline() {
        let mut h2 = Deadlines::new(Some(TIMEOUT), Some(IDLE));
        h2.read(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        tokio::time::advance(IDLE / 2).await;
        h2.read(b"\x00\x00\x04");
        tokio::time::advance(IDLE / 2).await;
        assert!(!expired(&mut h2).await, "traffic keeps it open");
        tokio::time::advance(IDLE / 2).await;
        assert!(expired(&mut h2).await);

        let mut unlimited = Deadlines::new(None, None);
        unlimited.read(b"GET");
        tokio::time::advance(IDLE * 10).await;
        assert!(!expired(&mut unlimited).await);
    }
}
