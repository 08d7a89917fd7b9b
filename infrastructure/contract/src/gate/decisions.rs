//! What one purchase attempt is answered: stock, the per-buyer limit, loading, retries.

use seckiller_domain::ports::{GateDecision, StockGate};
use seckiller_domain::{ActivityId, Purchase};

use super::fixtures::{a_buyer, a_purchase, an_activity_id, items};

/// Preheats a fresh activity with `available` items and `limit` per buyer.
pub(crate) async fn a_loaded_activity<G: StockGate>(
    gate: &G,
    available: u32,
    limit: u32,
) -> ActivityId {
    let activity = an_activity_id();
    gate.preheat(activity, available, items(limit), &[])
        .await
        .expect("preheat");
    activity
}

/// The gate's answer to `purchase`, which must not be a failure.
pub(crate) async fn take<G: StockGate>(gate: &G, purchase: &Purchase) -> GateDecision {
    gate.try_take(purchase).await.expect("try_take")
}

/// Stock still in the gate for a loaded activity.
pub(crate) async fn left<G: StockGate>(gate: &G, activity: ActivityId) -> u32 {
    gate.available(activity)
        .await
        .expect("available")
        .expect("the activity is loaded")
}

/// An activity the gate was never told about is answered `NotLoaded`, shows no stock and
/// records nothing.
pub async fn an_unloaded_activity_decides_nothing<G: StockGate>(gate: &G) {
    let purchase = a_purchase(an_activity_id(), a_buyer(), 1);
    assert_eq!(take(gate, &purchase).await, GateDecision::NotLoaded);
    assert_eq!(
        gate.available(purchase.activity_id)
            .await
            .expect("available"),
        None
    );
    assert_eq!(
        gate.find_purchase(purchase.id)
            .await
            .expect("find_purchase"),
        None
    );
    assert!(!gate.give_back(&purchase).await.expect("give_back"));
}

/// Every node preheats at start: the first load sets stock and limit, later loads change
/// neither, even after stock was taken.
pub async fn preheat_is_idempotent_first_load_wins<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 5, 1).await;
    gate.preheat(activity, 100, items(10), &[])
        .await
        .expect("preheat again");
    assert_eq!(left(gate, activity).await, 5);

    let buyer = a_buyer();
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::Accepted
    );
    gate.preheat(activity, 5, items(10), &[])
        .await
        .expect("preheat after a sale");
    assert_eq!(left(gate, activity).await, 4, "a reload must not refill");
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::LimitReached,
        "the first limit stands"
    );
}

/// Stock goes down by each accepted quantity; an attempt for more than is left takes nothing
/// (no partial fill), and the count never goes below zero.
pub async fn stock_is_taken_until_sold_out_and_never_below_zero<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 3, 10).await;
    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 2)).await,
        GateDecision::Accepted
    );
    assert_eq!(left(gate, activity).await, 1);

    let short = a_purchase(activity, a_buyer(), 2);
    assert_eq!(take(gate, &short).await, GateDecision::SoldOut);
    assert_eq!(left(gate, activity).await, 1);
    assert_eq!(
        gate.find_purchase(short.id).await.expect("find_purchase"),
        None,
        "a refused attempt is not recorded"
    );

    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 1)).await,
        GateDecision::Accepted
    );
    for _ in 0..3 {
        assert_eq!(
            take(gate, &a_purchase(activity, a_buyer(), 1)).await,
            GateDecision::SoldOut
        );
    }
    assert_eq!(left(gate, activity).await, 0);
}

/// A buyer gets at most the limit; other buyers are not affected by his count.
pub async fn a_buyer_cannot_pass_the_per_user_limit<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 100, 2).await;
    let buyer = a_buyer();
    for _ in 0..2 {
        assert_eq!(
            take(gate, &a_purchase(activity, buyer, 1)).await,
            GateDecision::Accepted
        );
    }
    let third = a_purchase(activity, buyer, 1);
    assert_eq!(take(gate, &third).await, GateDecision::LimitReached);
    assert_eq!(
        gate.find_purchase(third.id).await.expect("find_purchase"),
        None
    );
    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 2)).await,
        GateDecision::Accepted
    );
    assert_eq!(left(gate, activity).await, 96);
}

/// The limit counts items, not purchases: two items use two of the buyer's allowance, and one
/// purchase of more items than the limit is refused outright.
pub async fn a_multi_item_purchase_counts_fully_toward_the_limit<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 100, 3).await;
    let buyer = a_buyer();
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 2)).await,
        GateDecision::Accepted
    );
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 2)).await,
        GateDecision::LimitReached
    );
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::Accepted
    );
    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 4)).await,
        GateDecision::LimitReached
    );
    assert_eq!(left(gate, activity).await, 97);
}

/// A buyer at his limit hears `LimitReached` even once stock is gone: the limit is checked
/// first, so the answer does not depend on what other buyers did.
pub async fn the_limit_is_checked_before_the_stock<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 1, 1).await;
    let buyer = a_buyer();
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::Accepted
    );
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::LimitReached
    );
    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 1)).await,
        GateDecision::SoldOut
    );
}

/// A node that lost the answer may ask again with the same purchase id: it is told the id holds
/// stock already, with the quantity recorded (so another request under the same id can be told
/// apart), without taking stock or counting the buyer twice.
pub async fn retrying_an_accepted_purchase_takes_nothing_more<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 10, 5).await;
    let buyer = a_buyer();
    let purchase = a_purchase(activity, buyer, 2);
    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);
    for _ in 0..2 {
        assert_eq!(
            take(gate, &purchase).await,
            GateDecision::Held { quantity: items(2) }
        );
    }
    let mut other_request = purchase.clone();
    other_request.quantity = items(1);
    assert_eq!(
        take(gate, &other_request).await,
        GateDecision::Held { quantity: items(2) },
        "the recorded quantity is answered, not the asked one"
    );
    assert_eq!(left(gate, activity).await, 8);
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 3)).await,
        GateDecision::Accepted,
        "the retries did not count toward the limit"
    );
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::LimitReached
    );
}
