//! The names the queue uses on the server. All derive from one stream name, so two deployments or
//! two tests with different stream names never share a subject, a stream or a consumer.

use seckiller_domain::ports::QueueError;

/// Header on a dead-lettered message: why it was dead-lettered.
pub const DEAD_LETTER_REASON_HEADER: &str = "SecKiller-Dead-Letter-Reason";
/// Header on a dead-lettered message: its sequence in the purchase stream, to find it again.
pub const DEAD_LETTER_SEQUENCE_HEADER: &str = "SecKiller-Dead-Letter-Sequence";
/// Header on a dead-lettered message: how many times it had been delivered.
pub const DEAD_LETTER_DELIVERIES_HEADER: &str = "SecKiller-Dead-Letter-Deliveries";
/// Header on a dead-lettered message: its original message id (the purchase id it was published
/// under), to trace it back to the gate's purchase record.
pub const DEAD_LETTER_MESSAGE_ID_HEADER: &str = "SecKiller-Dead-Letter-Msg-Id";

/// The longest stream name accepted, leaving room for the suffixes derived from it.
const MAX_STREAM_NAME: usize = 200;

/// Stream, subject and consumer names derived from one stream name:
///
/// | what | name |
/// |---|---|
/// | purchase stream (file storage, work queue) | `<stream>` |
/// | its subject | `<stream>.purchases` |
/// | durable pull consumer shared by all nodes | `order-writer` |
/// | dead-letter subject | `<stream>.dead` |
/// | dead-letter stream (file storage, kept) | `<stream>_DEAD` |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLayout {
    stream: String,
    purchase_subject: String,
    dead_letter_stream: String,
    dead_letter_subject: String,
}

impl StreamLayout {
    /// The layout for `stream`.
    ///
    /// # Errors
    /// [`QueueError`] unless the name is 1 to 200 ASCII letters, digits, `-` or `_` (NATS forbids
    /// dots, wildcards and whitespace in stream names, and the name becomes a subject token).
    pub fn new(stream: &str) -> Result<Self, QueueError> {
        let valid = !stream.is_empty()
            && stream.len() <= MAX_STREAM_NAME
            && stream
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(QueueError::from(format!(
                "bad stream name {stream:?}: use 1 to {MAX_STREAM_NAME} ASCII letters, digits, '-' or '_'"
            )));
        }
        Ok(Self {
            stream: stream.to_owned(),
            purchase_subject: format!("{stream}.purchases"),
            dead_letter_stream: format!("{stream}_DEAD"),
            dead_letter_subject: format!("{stream}.dead"),
        })
    }

    /// The purchase stream.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The subject purchases were published to before each sale had its own (still read).
    pub fn purchase_subject(&self) -> &str {
        &self.purchase_subject
    }

    /// The subject a purchase of `activity` is published to: one per sale, so the backlog of one
    /// sale can be counted apart from the others'.
    pub fn purchase_subject_of(&self, activity: impl std::fmt::Display) -> String {
        format!("{}.{activity}", self.purchase_subject)
    }

    /// Every sale's purchase subject.
    pub fn purchase_subjects(&self) -> String {
        format!("{}.>", self.purchase_subject)
    }

    /// The durable consumer every node's order writer pulls from. Consumers are scoped to their
    /// stream, so the name need not repeat the stream's.
    pub fn consumer(&self) -> &'static str {
        "order-writer"
    }

    /// The stream that keeps dead-lettered messages for inspection.
    pub fn dead_letter_stream(&self) -> &str {
        &self.dead_letter_stream
    }

    /// The subject dead-lettered messages are published to.
    pub fn dead_letter_subject(&self) -> &str {
        &self.dead_letter_subject
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_derives_from_the_stream_name() {
        let layout = StreamLayout::new("SECKILL").unwrap();
        assert_eq!(layout.stream(), "SECKILL");
        assert_eq!(layout.purchase_subject(), "SECKILL.purchases");
        assert_eq!(layout.purchase_subject_of("a1"), "SECKILL.purchases.a1");
        assert_eq!(layout.purchase_subjects(), "SECKILL.purchases.>");
        assert_eq!(layout.dead_letter_stream(), "SECKILL_DEAD");
        assert_eq!(layout.dead_letter_subject(), "SECKILL.dead");
        assert_eq!(layout.consumer(), "order-writer");
    }

    #[test]
    fn names_that_would_break_subjects_are_refused() {
        for bad in ["", "a.b", "a*", "a>", "a b", "a/b", &"x".repeat(201)] {
            assert!(StreamLayout::new(bad).is_err(), "{bad:?}");
        }
        assert!(StreamLayout::new("t-0199_abc").is_ok());
    }
}
