//! A gate rebuilt from the database's live orders (say Redis restarted without persistence):
//! preheating with holdings, and listing what holds stock so a reconciler can find purchases that
//! never reached the queue.

use seckiller_domain::ports::{GateDecision, StockGate};
use seckiller_domain::{ActivityId, Purchase};

use super::decisions::{a_loaded_activity, left, take};
use super::fixtures::{a_buyer, a_purchase, an_activity_id, items};

/// Preheats a fresh activity with `available` items, `limit` per buyer and `holdings` built for
/// it by `held` (given the activity's id).
async fn a_rebuilt_activity<G: StockGate>(
    gate: &G,
    available: u32,
    limit: u32,
    held: impl FnOnce(ActivityId) -> Vec<Purchase>,
) -> (ActivityId, Vec<Purchase>) {
    let activity = an_activity_id();
    let holdings = held(activity);
    gate.preheat(activity, available, items(limit), &holdings)
        .await
        .expect("preheat with holdings");
    (activity, holdings)
}

/// What the gate lists as holding stock for `activity`, in id order: the listing's own order is
/// not part of the contract.
async fn held<G: StockGate>(gate: &G, activity: ActivityId) -> Vec<Purchase> {
    let mut holdings = gate.holdings(activity).await.expect("holdings");
    holdings.sort_by_key(|purchase| purchase.id);
    holdings
}

/// `purchases` in id order, to compare with [`held`].
fn by_id(mut purchases: Vec<Purchase>) -> Vec<Purchase> {
    purchases.sort_by_key(|purchase| purchase.id);
    purchases
}

/// Holdings already hold their stock: they count against their buyers' limits, but the
/// available stock is what the caller said is left.
pub async fn holdings_count_against_the_limit_but_take_no_stock<G: StockGate>(gate: &G) {
    let (full, partial) = (a_buyer(), a_buyer());
    let (activity, _) = a_rebuilt_activity(gate, 5, 2, |activity| {
        vec![
            a_purchase(activity, full, 2),
            a_purchase(activity, partial, 1),
        ]
    })
    .await;
    assert_eq!(left(gate, activity).await, 5, "holdings take nothing");

    assert_eq!(
        take(gate, &a_purchase(activity, full, 1)).await,
        GateDecision::LimitReached,
        "a buyer holding the limit gets no more"
    );
    assert_eq!(
        take(gate, &a_purchase(activity, partial, 1)).await,
        GateDecision::Accepted
    );
    assert_eq!(
        take(gate, &a_purchase(activity, partial, 1)).await,
        GateDecision::LimitReached
    );
    assert_eq!(
        take(gate, &a_purchase(activity, a_buyer(), 2)).await,
        GateDecision::Accepted,
        "other buyers are not affected"
    );
    assert_eq!(left(gate, activity).await, 2);
}

/// A preheated holding is an accepted purchase like any other: it is found by id, and giving it
/// back returns its stock and frees its buyer's count exactly once.
pub async fn a_preheated_holding_is_given_back_exactly_once<G: StockGate>(gate: &G) {
    let buyer = a_buyer();
    let (activity, holdings) =
        a_rebuilt_activity(gate, 4, 3, |activity| vec![a_purchase(activity, buyer, 3)]).await;
    let [holding] = &holdings[..] else {
        panic!("one holding was made");
    };
    assert_eq!(
        gate.find_purchase(holding.id).await.expect("find_purchase"),
        Some(holding.clone())
    );

    assert!(gate.give_back(holding).await.expect("give_back"));
    assert_eq!(left(gate, activity).await, 7, "its quantity came back");
    assert!(!gate.give_back(holding).await.expect("give back again"));
    assert_eq!(left(gate, activity).await, 7, "returned once only");
    assert_eq!(
        gate.find_purchase(holding.id).await.expect("find_purchase"),
        None
    );
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 3)).await,
        GateDecision::Accepted,
        "the buyer's allowance was freed"
    );
    assert_eq!(left(gate, activity).await, 4);
}

/// A holding listed twice (say two rebuilds' lists were concatenated) holds its stock once:
/// counted once against its buyer, given back once.
pub async fn a_holding_listed_twice_holds_once<G: StockGate>(gate: &G) {
    let buyer = a_buyer();
    let (activity, holdings) = a_rebuilt_activity(gate, 3, 2, |activity| {
        let holding = a_purchase(activity, buyer, 1);
        vec![holding.clone(), holding]
    })
    .await;
    assert_eq!(held(gate, activity).await.len(), 1);
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::Accepted,
        "counted once against the limit"
    );
    assert!(gate.give_back(&holdings[0]).await.expect("give_back"));
    assert!(!gate.give_back(&holdings[1]).await.expect("give back again"));
    assert_eq!(left(gate, activity).await, 3);
}

/// The gate lists every purchase holding stock in one activity (preheated holdings and accepted
/// takes), not refused attempts, nor given-back purchases, nor other activities' purchases; an
/// activity it never heard of holds nothing.
pub async fn holdings_lists_what_holds_stock_and_drops_what_was_given_back<G: StockGate>(gate: &G) {
    assert_eq!(held(gate, an_activity_id()).await, Vec::new());

    let (activity, holdings) = a_rebuilt_activity(gate, 10, 1, |activity| {
        vec![a_purchase(activity, a_buyer(), 1)]
    })
    .await;
    let holding = holdings[0].clone();
    let (first, second) = (
        a_purchase(activity, a_buyer(), 1),
        a_purchase(activity, a_buyer(), 1),
    );
    assert_eq!(take(gate, &first).await, GateDecision::Accepted);
    assert_eq!(take(gate, &second).await, GateDecision::Accepted);
    let refused = a_purchase(activity, first.buyer_id, 1);
    assert_eq!(take(gate, &refused).await, GateDecision::LimitReached);
    let elsewhere = a_loaded_activity(gate, 10, 1).await;
    assert_eq!(
        take(gate, &a_purchase(elsewhere, a_buyer(), 1)).await,
        GateDecision::Accepted
    );
    assert_eq!(
        held(gate, activity).await,
        by_id(vec![holding.clone(), first.clone(), second.clone()])
    );

    assert!(gate.give_back(&first).await.expect("give_back"));
    assert!(gate.give_back(&holding).await.expect("give_back"));
    assert_eq!(held(gate, activity).await, vec![second]);
}

/// Preheating an activity that is loaded already changes nothing, holdings included: they are
/// not recorded, not counted, and cannot be given back.
pub async fn preheating_a_loaded_activity_ignores_the_holdings<G: StockGate>(gate: &G) {
    let activity = a_loaded_activity(gate, 5, 1).await;
    let buyer = a_buyer();
    let late = a_purchase(activity, buyer, 1);
    gate.preheat(activity, 100, items(10), std::slice::from_ref(&late))
        .await
        .expect("preheat again");
    assert_eq!(left(gate, activity).await, 5);
    assert_eq!(held(gate, activity).await, Vec::new());
    assert_eq!(
        gate.find_purchase(late.id).await.expect("find_purchase"),
        None
    );
    assert!(!gate.give_back(&late).await.expect("give_back"));
    assert_eq!(left(gate, activity).await, 5);
    assert_eq!(
        take(gate, &a_purchase(activity, buyer, 1)).await,
        GateDecision::Accepted,
        "the ignored holding did not count"
    );
}

/// A holding of another activity is a caller's mistake: the preheat fails and loads nothing,
/// rather than counting a purchase against the wrong sale.
pub async fn a_holding_of_another_activity_loads_nothing<G: StockGate>(gate: &G) {
    let (activity, other) = (an_activity_id(), an_activity_id());
    let stray = a_purchase(other, a_buyer(), 1);
    let mixed = [a_purchase(activity, a_buyer(), 1), stray.clone()];
    assert!(gate.preheat(activity, 5, items(1), &mixed).await.is_err());
    assert_eq!(gate.available(activity).await.expect("available"), None);
    assert_eq!(held(gate, activity).await, Vec::new());
    assert_eq!(held(gate, other).await, Vec::new());
    assert_eq!(
        gate.find_purchase(stray.id).await.expect("find_purchase"),
        None
    );
}

/// The ids of a sale's accepted purchases: those holding stock (preheated holdings and takes)
/// and those given back since (by a give-back or remembered from before a loss), so a node
/// that finds the sale sold out can still tell a retry of any of them from a new request.
/// Refused attempts and other sales' purchases are not listed; an unknown sale lists nothing.
pub async fn accepted_ids_lists_held_and_given_back_purchases<G: StockGate>(gate: &G) {
    let ids = |activity| async move {
        let mut ids = gate.accepted_ids(activity).await.expect("accepted_ids");
        ids.sort();
        ids
    };
    assert_eq!(ids(an_activity_id()).await, Vec::new());

    let (activity, holdings) = a_rebuilt_activity(gate, 2, 1, |activity| {
        vec![a_purchase(activity, a_buyer(), 1)]
    })
    .await;
    let remembered = a_purchase(activity, a_buyer(), 1);
    gate.remember_given_back(activity, std::slice::from_ref(&remembered))
        .await
        .expect("remember_given_back");
    let (kept, returned) = (
        a_purchase(activity, a_buyer(), 1),
        a_purchase(activity, a_buyer(), 1),
    );
    assert_eq!(take(gate, &kept).await, GateDecision::Accepted);
    assert_eq!(take(gate, &returned).await, GateDecision::Accepted);
    assert!(gate.give_back(&returned).await.expect("give_back"));
    let refused = a_purchase(activity, kept.buyer_id, 1);
    assert_eq!(take(gate, &refused).await, GateDecision::LimitReached);
    let elsewhere = a_loaded_activity(gate, 10, 1).await;
    assert_eq!(
        take(gate, &a_purchase(elsewhere, a_buyer(), 1)).await,
        GateDecision::Accepted
    );

    let mut expected = vec![holdings[0].id, remembered.id, kept.id, returned.id];
    expected.sort();
    assert_eq!(ids(activity).await, expected);
}
