//! Giving stock back (payment expiry, cancellation, a failed publish) and finding purchases.

use seckiller_domain::ports::{GateDecision, StockGate};

use super::decisions::{a_loaded_activity, left, take};
use super::fixtures::{a_buyer, a_purchase, an_activity_id, items};

/// Giving back returns the stock and frees the buyer's count, once: a second call for the same
/// purchase returns nothing more, and retrying the given-back purchase takes nothing again.
pub async fn giving_back_returns_stock_and_frees_the_limit_once<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 2, 1).await;
    let buyer = a_buyer();
    let purchase = a_purchase(activity, buyer, 1);
    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);
    assert_eq!(left(gate, activity).await, 1);

    assert!(gate.give_back(&purchase).await.expect("give_back"));
    assert_eq!(left(gate, activity).await, 2);
    assert!(!gate.give_back(&purchase).await.expect("give back again"));
    assert_eq!(left(gate, activity).await, 2, "returned once only");

    // The id stays known, so a late retry cannot take the returned stock a second time.
    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);
    assert_eq!(left(gate, activity).await, 2);

    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::Accepted,
        "the buyer's allowance was freed"
    );
    assert_eq!(left(gate, activity).await, 1);
}

/// Giving back what the gate never accepted (unknown, or refused) changes nothing.
pub async fn giving_back_an_unknown_purchase_does_nothing<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 1, 1).await;
    assert!(
        !gate
            .give_back(&a_purchase(activity, a_buyer(), 1))
            .await
            .expect("give_back")
    );
    assert_eq!(left(gate, activity).await, 1);

    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 1)).await,
        GateDecision::Accepted
    );
    let refused = a_purchase(activity, a_buyer(), 1);
    assert_eq!(take(gate, &refused).await, GateDecision::SoldOut);
    assert!(!gate.give_back(&refused).await.expect("give_back"));
    assert_eq!(left(gate, activity).await, 0);
}

/// The gate returns what it took for that purchase id, whatever the caller's copy says.
pub async fn giving_back_returns_what_was_taken<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 10, 5).await;
    let buyer = a_buyer();
    let purchase = a_purchase(activity, buyer, 2);
    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);

    let mut inflated = purchase.clone();
    inflated.quantity = items(5);
    assert!(gate.give_back(&inflated).await.expect("give_back"));
    assert_eq!(left(gate, activity).await, 10);
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 5)).await,
        GateDecision::Accepted,
        "the buyer's count is back to zero, not below"
    );
}

/// An accepted purchase comes back whole by its id alone (the caller need not know the
/// activity), also after it was given back; refused and unknown ids find nothing.
pub async fn an_accepted_purchase_can_be_found_by_id<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 5, 3).await;
    let purchase = a_purchase(activity, a_buyer(), 3);
    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);
    assert_eq!(
        gate.find_purchase(purchase.id).await.expect("find_purchase"),
        Some(purchase.clone())
    );

    let refused = a_purchase(activity, a_buyer(), 3);
    assert_eq!(take(gate, &refused).await, GateDecision::SoldOut);
    assert_eq!(
        gate.find_purchase(refused.id).await.expect("find_purchase"),
        None
    );
    let elsewhere = a_purchase(an_activity_id(), a_buyer(), 1);
    assert_eq!(
        gate.find_purchase(elsewhere.id)
            .await
            .expect("find_purchase"),
        None
    );

    assert!(gate.give_back(&purchase).await.expect("give_back"));
    assert_eq!(
        gate.find_purchase(purchase.id).await.expect("find_purchase"),
        Some(purchase),
        "a given-back purchase stays recorded"
    );
}
