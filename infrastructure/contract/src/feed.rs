//! The purchase queue and its feed: a published purchase is stored once and comes out intact, is
//! not handed out twice while in flight, leaves the feed when acknowledged or dead-lettered, and
//! a waiting fetch is woken by a publish instead of sleeping its whole wait.
//!
//! Unlike the repository checks, each feed check needs its own empty queue: it counts and fetches
//! everything in it. The checks need no particular async runtime; where they need concurrency
//! they interleave futures within their own task.

use std::collections::HashSet;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as TimeDelta, Utc};
use seckiller_domain::ports::{Delivery, DeliveryReceipt, PurchaseFeed, PurchaseQueue};
use seckiller_domain::{ActivityId, Money, Purchase, PurchaseId, Quantity, UserId};
use uuid::Uuid;

use crate::fixtures::{currency, whole_second_now};

/// Long enough that a fetch expected to find something never gives up first.
const PATIENCE: Duration = Duration::from_secs(30);
/// How long a fetch expected to find nothing waits.
const GLANCE: Duration = Duration::from_millis(100);

/// One empty queue, as handed to [`feed_contract!`](crate::feed_contract): a test harness returns
/// a value implementing this (typically also owning the database, dropped when the test ends).
pub trait FeedStore {
    /// The adapter under test: both ends of the queue.
    type Queue: PurchaseQueue + PurchaseFeed;

    /// The queue.
    fn queue(&self) -> &Self::Queue;
}

/// A purchase of `quantity` items of `activity_id` by `buyer_id`, accepted at `accepted_at`, for
/// 99.90 EUR each, with a fresh id.
pub fn a_purchase_of(
    activity_id: ActivityId,
    buyer_id: UserId,
    quantity: u32,
    accepted_at: DateTime<Utc>,
) -> Purchase {
    Purchase {
        id: PurchaseId::from_uuid(Uuid::now_v7()),
        activity_id,
        buyer_id,
        quantity: Quantity::new(quantity).expect("a fixture quantity is positive"),
        unit_price: Money::new(9_990, currency("EUR")).expect("a fixture price is valid"),
        accepted_at,
    }
}

/// A purchase with fresh ids everywhere, accepted at a time with whole microseconds (the finest
/// precision every queue must keep).
pub fn a_purchase() -> Purchase {
    a_purchase_of(
        ActivityId::from_uuid(Uuid::now_v7()),
        UserId::from_uuid(Uuid::now_v7()),
        2,
        whole_second_now() + TimeDelta::microseconds(123_456),
    )
}

/// A delivery handed back with [`PurchaseFeed::retry_later`] is fetched again after its short
/// delay, long before the ack deadline (30 s and more in the adapters' defaults) would bring it
/// back: a batch that failed is written as soon as the database allows.
pub async fn a_delivery_handed_back_comes_again_before_its_ack_deadline<
    Q: PurchaseQueue + PurchaseFeed,
>(
    queue: &Q,
) {
    let purchase = a_purchase();
    queue.publish(&purchase).await.expect("publish");
    let first = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(purchases(&first), vec![purchase.clone()]);
    let receipts: Vec<DeliveryReceipt> = first.iter().map(Delivery::receipt).collect();
    queue
        .retry_later(&receipts, Duration::from_millis(100))
        .await
        .expect("hand back");
    let again = queue
        .fetch(10, Duration::from_secs(5))
        .await
        .expect("fetch again");
    assert_eq!(purchases(&again), vec![purchase]);
}

/// What a published purchase was stored as comes out as it went in.
pub async fn a_published_purchase_is_fetched_intact<Q: PurchaseQueue + PurchaseFeed>(queue: &Q) {
    let purchase = a_purchase();
    queue.publish(&purchase).await.expect("publish");

    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(purchases(&deliveries), vec![purchase]);
}

/// Publishing a purchase again (a retry, the reconciler) stores it once.
pub async fn publishing_twice_stores_once<Q: PurchaseQueue + PurchaseFeed>(queue: &Q) {
    let purchase = a_purchase();
    queue.publish(&purchase).await.expect("publish");
    queue.publish(&purchase).await.expect("publish again");

    assert_eq!(queue.lag().await.expect("lag"), 1);
    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(purchases(&deliveries), vec![purchase]);
    assert!(
        queue.fetch(10, GLANCE).await.expect("fetch").is_empty(),
        "no second copy"
    );
}

/// Acknowledged purchases are never delivered again; one still in flight is not handed out a
/// second time before its ack deadline; new purchases come out behind them.
pub async fn acked_purchases_are_not_fetched_again<Q: PurchaseQueue + PurchaseFeed>(queue: &Q) {
    let [first, second, third] = [a_purchase(), a_purchase(), a_purchase()];
    for purchase in [&first, &second, &third] {
        queue.publish(purchase).await.expect("publish");
    }
    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(
        purchases(&deliveries),
        vec![first.clone(), second.clone(), third]
    );

    queue
        .ack(&receipts_of(&deliveries, &[&first, &second]))
        .await
        .expect("ack");
    assert!(
        queue.fetch(10, GLANCE).await.expect("fetch").is_empty(),
        "acked purchases are gone and the third is still in flight"
    );
    let fourth = a_purchase();
    queue.publish(&fourth).await.expect("publish");
    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(purchases(&deliveries), vec![fourth]);
}

/// The lag counts every published purchase not yet acknowledged or dead-lettered, fetched or not.
pub async fn lag_counts_unacked_purchases<Q: PurchaseQueue + PurchaseFeed>(queue: &Q) {
    assert_eq!(queue.lag().await.expect("lag"), 0);
    let [first, second, third] = [a_purchase(), a_purchase(), a_purchase()];
    for purchase in [&first, &second, &third] {
        queue.publish(purchase).await.expect("publish");
    }
    assert_eq!(queue.lag().await.expect("lag"), 3);

    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(deliveries.len(), 3);
    assert_eq!(queue.lag().await.expect("lag"), 3, "fetched is not done");
    queue
        .ack(&receipts_of(&deliveries, &[&first]))
        .await
        .expect("ack");
    assert_eq!(queue.lag().await.expect("lag"), 2);
    let [receipt] = receipts_of(&deliveries, &[&second])[..] else {
        unreachable!("one purchase has one receipt")
    };
    queue
        .dead_letter(receipt, "test: cannot be processed")
        .await
        .expect("dead-letter");
    assert_eq!(queue.lag().await.expect("lag"), 1);
}

/// A dead-lettered purchase leaves the feed for good and does not hold up the ones behind it.
pub async fn a_dead_lettered_purchase_leaves_the_feed<Q: PurchaseQueue + PurchaseFeed>(queue: &Q) {
    let [doomed, fine] = [a_purchase(), a_purchase()];
    queue.publish(&doomed).await.expect("publish");
    queue.publish(&fine).await.expect("publish");
    let deliveries = queue.fetch(1, PATIENCE).await.expect("fetch");
    assert_eq!(purchases(&deliveries), vec![doomed]);

    queue
        .dead_letter(deliveries[0].receipt(), "test: cannot be processed")
        .await
        .expect("dead-letter");
    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(purchases(&deliveries), vec![fine]);
    queue.ack(&[deliveries[0].receipt()]).await.expect("ack");
    assert_eq!(queue.lag().await.expect("lag"), 0);
}

/// An empty feed makes `fetch` wait: for nothing, it returns empty once the wait is over; for a
/// purchase published meanwhile, it returns that purchase as soon as it is durable, long before
/// the wait is over (a fetch that only looked again at the end would take the whole wait).
pub async fn fetch_waits_for_a_publish<Q: PurchaseQueue + PurchaseFeed>(queue: &Q) {
    assert!(queue.fetch(10, GLANCE).await.expect("fetch").is_empty());

    let purchase = a_purchase();
    let started = Instant::now();
    let (fetched, published) = join(queue.fetch(10, PATIENCE), async {
        delay(Duration::from_millis(200)).await;
        queue.publish(&purchase).await
    })
    .await;
    let waited = started.elapsed();

    published.expect("publish");
    assert_eq!(purchases(&fetched.expect("fetch")), vec![purchase]);
    assert!(
        waited < PATIENCE,
        "the publish ended the wait; it was not found by looking again after {waited:?}"
    );
}

/// A crowd of publishes in flight at once (1,000 purchases, each published twice) are all
/// confirmed and each stored exactly once.
pub async fn concurrent_publishes_are_all_stored_once<Q: PurchaseQueue + PurchaseFeed>(queue: &Q) {
    const PURCHASES: usize = 1_000;
    let crowd: Vec<Purchase> = (0..PURCHASES).map(|_| a_purchase()).collect();

    let confirmations = join_all(crowd.iter().chain(&crowd).map(|p| queue.publish(p))).await;
    for confirmation in confirmations {
        confirmation.expect("every publish is confirmed");
    }

    assert_eq!(
        queue.lag().await.expect("lag"),
        u64::try_from(PURCHASES).expect("small")
    );
    let mut fetched = Vec::new();
    while fetched.len() < PURCHASES {
        let deliveries = queue.fetch(PURCHASES, PATIENCE).await.expect("fetch");
        assert!(!deliveries.is_empty(), "only {} came out", fetched.len());
        fetched.extend(purchases(&deliveries));
    }
    let unique: HashSet<PurchaseId> = fetched.iter().map(|p| p.id).collect();
    assert_eq!(unique.len(), fetched.len(), "no purchase came out twice");
    assert_eq!(unique, crowd.iter().map(|p| p.id).collect());
}

/// The purchases of readable deliveries, in delivery order; a poison delivery fails the check.
fn purchases(deliveries: &[Delivery]) -> Vec<Purchase> {
    deliveries
        .iter()
        .map(|delivery| match delivery {
            Delivery::Purchase { purchase, .. } => purchase.clone(),
            Delivery::Poison { reason, .. } => panic!("a published purchase is poison: {reason}"),
        })
        .collect()
}

/// The receipts of the deliveries of `wanted`.
fn receipts_of(deliveries: &[Delivery], wanted: &[&Purchase]) -> Vec<DeliveryReceipt> {
    deliveries
        .iter()
        .filter_map(|delivery| match delivery {
            Delivery::Purchase { purchase, receipt } if wanted.contains(&purchase) => {
                Some(*receipt)
            }
            _ => None,
        })
        .collect()
}

/// Runs two futures concurrently within the calling task.
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut a_done, mut b_done) = (None, None);
    poll_fn(move |cx| {
        if a_done.is_none()
            && let Poll::Ready(output) = a.as_mut().poll(cx)
        {
            a_done = Some(output);
        }
        if b_done.is_none()
            && let Poll::Ready(output) = b.as_mut().poll(cx)
        {
            b_done = Some(output);
        }
        match (a_done.take(), b_done.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (a_done, b_done) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs many futures concurrently within the calling task; outputs in input order.
async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut running: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = running.iter().map(|_| None).collect();
    let mut left = running.len();
    poll_fn(|cx| {
        for (slot, output) in running.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot
                && let Poll::Ready(done) = future.as_mut().poll(cx)
            {
                *output = Some(done);
                *slot = None;
                left -= 1;
            }
        }
        if left == 0 {
            Poll::Ready(outputs.drain(..).flatten().collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Completes after `duration`, on any runtime: a thread sleeps, then wakes the task.
async fn delay(duration: Duration) {
    let state: Arc<Mutex<(bool, Option<Waker>)>> = Arc::default();
    let timer = Arc::clone(&state);
    std::thread::spawn(move || {
        std::thread::sleep(duration);
        let mut state = timer.lock().expect("timer state");
        state.0 = true;
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
    });
    poll_fn(|cx| {
        let mut state = state.lock().expect("timer state");
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    })
    .await
}

/// Expands to one `#[tokio::test]` per feed check, each on a fresh, empty queue opened with
/// `$open` (an expression evaluating to a future of a [`FeedStore`] value). The calling crate
/// needs `tokio` with the `macros` and `rt` features as a dev-dependency.
///
/// ```ignore
/// mod sqlite_feed {
///     seckiller_contract::feed_contract!(crate::harness::sqlite_queue());
/// }
/// ```
#[macro_export]
macro_rules! feed_contract {
    ($open:expr) => {
        $crate::feed_contract!(@check $open, a_published_purchase_is_fetched_intact);
        $crate::feed_contract!(@check $open, publishing_twice_stores_once);
        $crate::feed_contract!(@check $open, acked_purchases_are_not_fetched_again);
        $crate::feed_contract!(@check $open, lag_counts_unacked_purchases);
        $crate::feed_contract!(@check $open, a_dead_lettered_purchase_leaves_the_feed);
        $crate::feed_contract!(@check $open, fetch_waits_for_a_publish);
        $crate::feed_contract!(@check $open, concurrent_publishes_are_all_stored_once);
        $crate::feed_contract!(@check $open, a_delivery_handed_back_comes_again_before_its_ack_deadline);
    };
    (@check $open:expr, $check:ident) => {
        #[tokio::test]
        async fn $check() {
            let store = $open.await;
            $crate::$check($crate::FeedStore::queue(&store)).await;
        }
    };
}
