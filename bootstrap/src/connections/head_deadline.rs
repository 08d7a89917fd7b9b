//! The request-head deadline, enforced on the socket: a slowloris client that trickles a byte
//! every few seconds keeps poem's idle timer happy for ever, so idleness alone cannot close it.
//!
//! The connection is in one of three phases, moved by the bytes that pass:
//! - **head**: waiting for a request head. Armed when the connection is accepted, and again by
//!   the first byte read after an answer was written. If no complete head (some bytes, then an
//!   empty line) has been read when the deadline passes, the next read fails and hyper closes
//!   the connection.
//! - **request**: a head has arrived; its body and the handler's time are limited elsewhere
//!   (the body-read deadline, the handlers' own waits). Bytes read now (a body, a pipelined next
//!   head) do not arm anything.
//! - **between**: an answer was written; the keep-alive connection is idle until its next byte,
//!   and poem's idle timeout is the only limit.
//!
//! The scan looks for the empty line that ends a head, after at least one byte that is not a
//! line break (the empty lines HTTP allows before a request do not count). A body or a pipelined
//! request is read in the request phase and never scanned. An HTTP/2 connection (prior knowledge
//! preface) is exempt: its frames are binary and its streams have their own limits.
//!
//! The timer is not reset per request (a timer-wheel update on the hottest path): arming a head
//! only notes its deadline, and when the timer fires early for an older head it is moved to the
//! current deadline then. A busy keep-alive connection touches its timer about once per timeout.

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
    Exempt,
}

/// The deadline of one connection's request heads.
pub(crate) struct HeadDeadline {
    timeout: Duration,
    phase: Phase,
    /// When the current head is overdue.
    deadline: Instant,
    /// Fires at `deadline` or earlier (then it is moved on).
    sleep: Pin<Box<Sleep>>,
    /// The last bytes of the head so far, newest in the low byte.
    tail: u32,
    /// Whether the head has a byte that is not a line break yet.
    started: bool,
    /// Whether nothing was read on this connection yet.
    fresh: bool,
}

impl HeadDeadline {
    /// A deadline armed now, for a connection just accepted.
    pub(crate) fn new(timeout: Duration) -> Self {
        let deadline = Instant::now() + timeout;
        Self {
            timeout,
            phase: Phase::Head,
            deadline,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            tail: 0,
            started: false,
            fresh: true,
        }
    }

    /// Before a read: the error to fail it with when the head is overdue.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if self.phase != Phase::Head {
            return Poll::Pending;
        }
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if self.sleep.deadline() >= self.deadline {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the request head did not arrive in time",
                ));
            }
            // It fired for an earlier head: move it to this one's deadline and wait on.
            let deadline = self.deadline;
            self.sleep.as_mut().reset(deadline);
        }
    }

    /// After a read of `bytes`.
    pub(crate) fn read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if std::mem::take(&mut self.fresh) && bytes.starts_with(H2_PREFACE) {
            self.phase = Phase::Exempt;
            return;
        }
        if self.phase == Phase::Between {
            self.phase = Phase::Head;
            self.tail = 0;
            self.started = false;
            self.deadline = Instant::now() + self.timeout;
        }
        if self.phase == Phase::Head && self.scan(bytes) {
            self.phase = Phase::Request;
        }
    }

    /// After a write: an answer (or part of one) went out.
    pub(crate) fn wrote(&mut self) {
        if self.phase != Phase::Exempt {
            self.phase = Phase::Between;
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

    async fn expired(deadline: &mut HeadDeadline) -> bool {
        poll_fn(|cx| Poll::Ready(deadline.poll_expired(cx).is_ready())).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_sends_nothing_is_overdue_after_the_timeout() {
        let mut deadline = HeadDeadline::new(TIMEOUT);
        assert!(!expired(&mut deadline).await);
        tokio::time::advance(TIMEOUT + Duration::from_millis(1)).await;
        assert!(expired(&mut deadline).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickled_head_is_overdue_however_often_a_byte_comes() {
        let mut deadline = HeadDeadline::new(TIMEOUT);
        for b in b"GET / HTTP/1.1\r\nHost: x\r\n".iter().take(6) {
            deadline.read(&[*b]);
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        assert!(expired(&mut deadline).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_head_disarms_it_until_the_next_request_starts() {
        let mut deadline = HeadDeadline::new(TIMEOUT);
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
        let mut deadline = HeadDeadline::new(TIMEOUT);
        deadline.read(b"\r\n\r\n\r\n\r\n");
        tokio::time::advance(TIMEOUT).await;
        assert!(expired(&mut deadline).await);

        let mut h2 = HeadDeadline::new(TIMEOUT);
        h2.read(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        h2.wrote();
        h2.read(b"\x00\x00\x04");
        tokio::time::advance(TIMEOUT * 2).await;
        assert!(!expired(&mut h2).await);
    }
}
