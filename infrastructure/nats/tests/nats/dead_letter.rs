//! Poison messages: reported, dead-lettered with their reason, never redelivered, never blocking.

use seckiller_domain::ports::{Delivery, PurchaseFeed, PurchaseQueue};
use seckiller_nats::{DEAD_LETTER_REASON_HEADER, DEAD_LETTER_SEQUENCE_HEADER};

use crate::support::{
    LONGER_THAN_QUICK_ACK_WAIT, fetch_exactly, purchase, purchase_of, quick_redelivery,
    spawn_queue_with,
};

#[tokio::test]
async fn a_poison_message_is_dead_lettered_never_redelivered_and_blocks_nothing() {
    let queue = spawn_queue_with(quick_redelivery()).await;
    let jetstream = async_nats::jetstream::new(queue.client());
    let garbage = b"\x00{not json at all".to_vec();
    jetstream
        .publish(
            queue.layout().purchase_subject().to_owned(),
            garbage.clone().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    let good = purchase();
    queue.publish(&good).await.unwrap();

    // The good purchase behind the poison arrives in the same fetch.
    let deliveries = fetch_exactly(&*queue, 2).await;
    let Delivery::Poison { reason, receipt } = &deliveries[0] else {
        panic!(
            "the garbage was not reported as poison: {:?}",
            deliveries[0]
        );
    };
    assert!(reason.contains("not a purchase message"), "{reason}");
    assert_eq!(purchase_of(&deliveries[1]), &good);

    queue
        .dead_letter(*receipt, "unreadable: test garbage")
        .await
        .unwrap();
    queue.ack(&[deliveries[1].receipt()]).await.unwrap();
    // A second dead-letter of the same receipt is harmless and stores nothing more.
    queue.dead_letter(*receipt, "again").await.unwrap();

    let mut dead = jetstream
        .get_stream(queue.layout().dead_letter_stream())
        .await
        .unwrap();
    assert_eq!(dead.info().await.unwrap().state.messages, 1);
    let kept = dead.get_raw_message(1).await.unwrap();
    assert_eq!(kept.payload.as_ref(), garbage.as_slice());
    assert_eq!(
        kept.headers
            .get(DEAD_LETTER_REASON_HEADER)
            .map(|v| v.as_str()),
        Some("unreadable: test garbage")
    );
    assert_eq!(
        kept.headers
            .get(DEAD_LETTER_SEQUENCE_HEADER)
            .map(|v| v.as_str()),
        Some("1")
    );

    let later = queue.fetch(10, LONGER_THAN_QUICK_ACK_WAIT).await.unwrap();
    assert!(later.is_empty(), "the poison came back: {later:?}");
    assert_eq!(queue.lag().await.unwrap(), 0);
}
