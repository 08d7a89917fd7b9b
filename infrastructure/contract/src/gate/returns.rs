//! Giving stock back (payment expiry, cancellation, a failed publish) and finding purchases.

use seckiller_domain::ports::{GateDecision, StockGate};

use super::decisions::{a_loaded_activity, left, take};
use super::fixtures::{a_buyer, a_purchase, an_activity_id, items};

/// Giving back returns the stock and frees the buyer's count, once: a second call for the same
/// purchase returns nothing more.
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

    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::Accepted,
        "the buyer's allowance was freed"
    );
    assert_eq!(left(gate, activity).await, 1);
}

/// A purchase given back (say its publish failed and the buyer heard 503) holds no stock, so a
/// retry under the same id is decided afresh: it takes stock again if stock and limit allow,
/// and can then be given back again. Answering `Accepted` without taking would sell stock the
/// gate no longer holds.
pub async fn a_given_back_purchase_tried_again_is_decided_afresh<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 1, 1).await;
    let purchase = a_purchase(activity, a_buyer(), 1);
    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);
    assert!(gate.give_back(&purchase).await.expect("give_back"));

    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);
    assert_eq!(left(gate, activity).await, 0, "taken again");
    assert_eq!(
        take(gate, &purchase).await,
        GateDecision::Held { quantity: items(1) },
        "a retry of the live purchase takes nothing more"
    );
    assert!(
        gate.give_back(&purchase)
            .await
            .expect("give back the retake")
    );
    assert_eq!(left(gate, activity).await, 1);

    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 1)).await,
        GateDecision::Accepted
    );
    assert_eq!(
        take(gate, &purchase).await,
        GateDecision::SoldOut,
        "stock sold meanwhile is not taken back"
    );
}

/// Asked not to take it again, a purchase id given back before is answered as such and takes
/// nothing; asked to, it is decided afresh; a live or fresh purchase is decided as usual either
/// way.
pub async fn a_given_back_purchase_is_reported_unless_retaken<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 2, 1).await;
    let purchase = a_purchase(activity, a_buyer(), 1);
    let take_without_retake = |p| async move { gate.take(p, false).await.expect("take") };
    assert_eq!(take_without_retake(&purchase).await, GateDecision::Accepted);
    assert!(gate.give_back(&purchase).await.expect("give_back"));

    assert_eq!(
        take_without_retake(&purchase).await,
        GateDecision::GivenBack
    );
    assert_eq!(left(gate, activity).await, 2, "nothing taken");
    assert_eq!(
        gate.take(&purchase, true).await.expect("retake"),
        GateDecision::Accepted
    );
    assert_eq!(left(gate, activity).await, 1);
    assert_eq!(
        take_without_retake(&purchase).await,
        GateDecision::Held { quantity: items(1) },
        "held again, it is answered so without taking"
    );
    assert_eq!(left(gate, activity).await, 1);
}

/// Purchases remembered as given back (a rebuilt gate told of its sale's ended orders) are
/// answered as such unless retaken, exactly as if the gate had given them back itself; a
/// remembered id that holds stock keeps holding it, and remembering takes and returns nothing.
/// A purchase of another activity is refused and nothing is remembered.
pub async fn remembered_returns_are_reported_unless_retaken<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 3, 1).await;
    let (ended, holding) = (
        a_purchase(activity, a_buyer(), 1),
        a_purchase(activity, a_buyer(), 1),
    );
    assert_eq!(take(gate, &holding).await, GateDecision::Accepted);
    gate.remember_given_back(activity, &[ended.clone(), holding.clone()])
        .await
        .expect("remember");
    assert_eq!(left(gate, activity).await, 2, "remembering moves no stock");
    assert_eq!(
        gate.take(&ended, false).await.expect("take"),
        GateDecision::GivenBack
    );
    assert_eq!(
        gate.take(&holding, false).await.expect("take"),
        GateDecision::Held { quantity: items(1) },
        "a holding stays a holding"
    );
    assert_eq!(left(gate, activity).await, 2);
    assert!(gate.give_back(&holding).await.expect("give_back"));
    assert_eq!(left(gate, activity).await, 3);
    assert_eq!(
        gate.take(&ended, true).await.expect("retake"),
        GateDecision::Accepted
    );
    assert_eq!(left(gate, activity).await, 2);

    let stray = a_purchase(an_activity_id(), a_buyer(), 1);
    let unseen = a_purchase(activity, a_buyer(), 1);
    assert!(
        gate.remember_given_back(activity, &[unseen.clone(), stray])
            .await
            .is_err()
    );
    assert_eq!(
        gate.take(&unseen, false).await.expect("take"),
        GateDecision::Accepted,
        "nothing of a refused list was remembered"
    );
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

/// A purchase holding stock comes back whole by its id alone (the caller need not know the
/// activity); refused, unknown and given-back ids find nothing.
pub async fn an_accepted_purchase_can_be_found_by_id<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 5, 3).await;
    let purchase = a_purchase(activity, a_buyer(), 3);
    assert_eq!(take(gate, &purchase).await, GateDecision::Accepted);
    assert_eq!(
        gate.find_purchase(purchase.id)
            .await
            .expect("find_purchase"),
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
        gate.find_purchase(purchase.id)
            .await
            .expect("find_purchase"),
        None,
        "a given-back purchase no longer holds stock"
    );
}
