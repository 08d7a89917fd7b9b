//! Moving a message that can never be processed out of the feed, into the dead-letter stream
//! where an operator can inspect it.

use async_nats::HeaderMap;
use async_nats::jetstream::AckKind;
use async_nats::jetstream::message::PublishMessage;
use seckiller_domain::ports::{DeliveryReceipt, QueueError};

use super::JetStreamPurchaseQueue;
use crate::layout::{
    DEAD_LETTER_DELIVERIES_HEADER, DEAD_LETTER_MESSAGE_ID_HEADER, DEAD_LETTER_REASON_HEADER,
    DEAD_LETTER_SEQUENCE_HEADER,
};

/// Header values are one line; a longer reason is cut (the payload is kept whole).
const MAX_REASON_LEN: usize = 1024;

impl JetStreamPurchaseQueue {
    /// Copies the raw message, with the reason in a header, to the dead-letter subject, waits for
    /// that copy to be durable, then terminates the original so it is never delivered again.
    /// The copy's message id is the original's stream sequence, so retrying after a failure
    /// stores one copy. Unknown or settled receipts are ignored.
    pub(super) async fn dead_letter_delivery(
        &self,
        receipt: DeliveryReceipt,
        reason: &str,
    ) -> Result<(), QueueError> {
        let Some(outstanding) = self.receipts.take(receipt) else {
            tracing::debug!(
                ?receipt,
                "dead-letter of an unknown or settled delivery ignored"
            );
            return Ok(());
        };
        let sequence = outstanding.stream_sequence;
        let reason = header_safe(reason);

        let mut headers = outstanding.message.headers.clone().unwrap_or_default();
        headers.insert(DEAD_LETTER_REASON_HEADER, reason.as_str());
        headers.insert(DEAD_LETTER_SEQUENCE_HEADER, sequence.to_string());
        headers.insert(
            DEAD_LETTER_DELIVERIES_HEADER,
            outstanding.deliveries.to_string(),
        );
        let copy = PublishMessage::build()
            .payload(outstanding.message.payload.clone())
            .headers(strip_publish_controls(headers))
            .message_id(format!("{}-{sequence}", self.layout.stream()));

        let stored = async {
            self.jetstream
                .send_publish(self.layout.dead_letter_subject().to_owned(), copy)
                .await?
                .await
        }
        .await;
        if let Err(err) = stored {
            self.receipts.put_back(receipt, outstanding);
            return Err(QueueError::from(format!(
                "cannot store dead letter of message {sequence}: {err}"
            )));
        }

        if let Err(err) = outstanding.acker.double_ack_with(AckKind::Term).await {
            self.receipts.put_back(receipt, outstanding);
            return Err(QueueError::from(format!(
                "dead letter of message {sequence} stored but the original not terminated: {err}"
            )));
        }
        tracing::warn!(
            stream = self.layout.stream(),
            sequence,
            reason = %reason,
            "purchase message dead-lettered"
        );
        Ok(())
    }
}

/// `reason` as a single header line of bounded length.
fn header_safe(reason: &str) -> String {
    let mut line: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.len() > MAX_REASON_LEN {
        let mut cut = MAX_REASON_LEN;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
    }
    if line.trim().is_empty() {
        "unspecified".to_owned()
    } else {
        line
    }
}

/// The original's headers minus those that would steer the copy's publish (its message id,
/// expectations about the purchase stream). The original message id (the purchase id) is kept
/// under its own name, so an operator can trace an unreadable message back to its purchase.
fn strip_publish_controls(headers: HeaderMap) -> HeaderMap {
    let mut kept = HeaderMap::new();
    for (name, values) in headers.iter() {
        let name_text: &str = name.as_ref();
        if name_text == "Nats-Msg-Id" {
            for value in values {
                kept.append(DEAD_LETTER_MESSAGE_ID_HEADER, value.clone());
            }
            continue;
        }
        if name_text.starts_with("Nats-") {
            continue;
        }
        for value in values {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_becomes_one_bounded_header_line() {
        assert_eq!(header_safe("bad\r\njson"), "bad  json");
        assert_eq!(header_safe(" \n"), "unspecified");
        let long = "é".repeat(MAX_REASON_LEN);
        let cut = header_safe(&long);
        assert!(cut.len() <= MAX_REASON_LEN);
        assert!(cut.chars().all(|c| c == 'é'));
    }
}
