//! A gate rebuilt from live orders on Redis: the holdings are stored exactly as accepted takes
//! are (records, buyer counts, lookup keys), and a rebuild of thousands of purchases is loaded
//! whole by the one preheat script.

use fred::prelude::{HashesInterface, KeysInterface};
use seckiller_contract::gate::fixtures::{a_buyer, a_purchase, an_activity_id, items};
use seckiller_domain::Purchase;
use seckiller_domain::ports::{GateDecision, StockGate};

use crate::harness::{open, redis};

#[tokio::test]
async fn preheated_holdings_are_kept_as_accepted_takes_are() {
    let opened = open().await;
    let (gate, client) = (&opened.gate, redis().await);
    let activity = an_activity_id();
    let keys = gate.activity_keys(activity);
    let buyer = a_buyer();
    let holdings = [
        a_purchase(activity, buyer, 2),
        a_purchase(activity, buyer, 1),
    ];
    gate.preheat(activity, 7, items(5), &holdings)
        .await
        .unwrap();

    assert_eq!(client.get::<String, _>(&keys.stock).await.unwrap(), "7");
    assert_eq!(
        client
            .hget::<String, _, _>(&keys.buyers, buyer.to_string())
            .await
            .unwrap(),
        "3"
    );
    for held in &holdings {
        let record: String = client
            .hget(&keys.purchases, held.id.to_string())
            .await
            .unwrap();
        assert!(record.starts_with(&format!("1|{activity}|{buyer}|{}|", held.quantity.get())));
        let index = format!("{}purchase:{}", opened.prefix, held.id);
        assert_eq!(
            client.get::<String, _>(&index).await.unwrap(),
            activity.to_string()
        );
        assert!(
            client.ttl::<i64, _>(&index).await.unwrap() > 0,
            "the index expires"
        );
    }
}

#[tokio::test]
async fn a_purchase_given_back_before_the_loss_is_live_again_once_rebuilt_as_a_holding() {
    let opened = open().await;
    let (gate, client) = (&opened.gate, redis().await);
    let activity = an_activity_id();
    let keys = gate.activity_keys(activity);
    let purchase = a_purchase(activity, a_buyer(), 1);
    gate.preheat(activity, 5, items(2), &[]).await.unwrap();
    assert_eq!(
        gate.try_take(&purchase).await.unwrap(),
        GateDecision::Accepted
    );
    assert!(gate.give_back(&purchase).await.unwrap());

    // Only the stock and limit are lost (say evicted); the database still holds the order.
    client
        .del::<i64, _>(vec![keys.stock.clone(), keys.limit.clone()])
        .await
        .unwrap();
    gate.preheat(activity, 4, items(2), std::slice::from_ref(&purchase))
        .await
        .unwrap();
    assert!(
        !client
            .hexists::<bool, _, _>(&keys.returned, purchase.id.to_string())
            .await
            .unwrap(),
        "a holding is no longer a returned purchase"
    );
    assert!(gate.give_back(&purchase).await.unwrap());
    assert_eq!(gate.available(activity).await.unwrap(), Some(5));
}

#[tokio::test]
async fn a_rebuild_of_thousands_of_purchases_is_loaded_and_indexed_whole() {
    let opened = open().await;
    let gate = &opened.gate;
    let activity = an_activity_id();
    // More than Lua's `unpack` takes and more than one index pipeline holds.
    let holdings: Vec<Purchase> = (0..2_500)
        .map(|_| a_purchase(activity, a_buyer(), 1))
        .collect();
    gate.preheat(activity, 10, items(1), &holdings)
        .await
        .unwrap();

    assert_eq!(gate.available(activity).await.unwrap(), Some(10));
    let mut listed = gate.holdings(activity).await.unwrap();
    listed.sort_by_key(|purchase| purchase.id);
    let mut expected = holdings.clone();
    expected.sort_by_key(|purchase| purchase.id);
    assert_eq!(listed, expected);
    for held in [&holdings[0], &holdings[1_234], &holdings[2_499]] {
        assert_eq!(
            gate.find_purchase(held.id).await.unwrap().as_ref(),
            Some(held)
        );
        assert_eq!(
            gate.try_take(&a_purchase(activity, held.buyer_id, 1))
                .await
                .unwrap(),
            GateDecision::LimitReached
        );
    }
}

/// What a Redis restarted from an older snapshot holds: the sale's keys as they were, under the
/// identity of the server that wrote them. The gate takes nothing from it, reports the sale as
/// not loaded, and a load replaces the stale holdings and counts with the database's.
#[tokio::test]
async fn data_another_server_loaded_is_not_trusted_and_a_load_replaces_it() {
    let opened = open().await;
    let (gate, client) = (&opened.gate, redis().await);
    let activity = an_activity_id();
    let keys = gate.activity_keys(activity);
    let stale_buyer = a_buyer();
    gate.preheat(activity, 10, items(1), &[]).await.unwrap();
    let early = a_purchase(activity, stale_buyer, 1);
    assert_eq!(gate.try_take(&early).await.unwrap(), GateDecision::Accepted);
    // As restored from a snapshot the previous server wrote.
    let _: () = client
        .set(&keys.epoch, "a-previous-server", None, None, false)
        .await
        .unwrap();

    let late = a_purchase(activity, a_buyer(), 1);
    assert_eq!(gate.try_take(&late).await.unwrap(), GateDecision::NotLoaded);
    assert_eq!(gate.available(activity).await.unwrap(), None);
    // The database knows of one more order than the snapshot did.
    let held = a_purchase(activity, a_buyer(), 1);
    gate.preheat(activity, 7, items(1), std::slice::from_ref(&held))
        .await
        .unwrap();
    assert_eq!(gate.available(activity).await.unwrap(), Some(7));
    let holdings: Vec<_> = gate.holdings(activity).await.unwrap();
    assert_eq!(holdings, vec![held]);
    // The stale buyer's count went with the stale data.
    assert_eq!(
        gate.try_take(&a_purchase(activity, stale_buyer, 1))
            .await
            .unwrap(),
        GateDecision::Accepted
    );
    // Loaded by this server now: a second load changes nothing.
    gate.preheat(activity, 99, items(1), &[]).await.unwrap();
    assert_eq!(gate.available(activity).await.unwrap(), Some(6));
}

#[tokio::test]
async fn distrusted_data_takes_nothing_until_loaded_afresh() {
    let opened = open().await;
    let gate = &opened.gate;
    let activity = an_activity_id();
    assert!(!gate.distrust(activity).await.unwrap(), "nothing loaded");
    gate.preheat(activity, 4, items(1), &[]).await.unwrap();
    assert!(gate.distrust(activity).await.unwrap());
    let purchase = a_purchase(activity, a_buyer(), 1);
    assert_eq!(
        gate.try_take(&purchase).await.unwrap(),
        GateDecision::NotLoaded
    );
    assert_eq!(gate.available(activity).await.unwrap(), None);
    gate.preheat(activity, 3, items(1), &[]).await.unwrap();
    assert_eq!(
        gate.try_take(&purchase).await.unwrap(),
        GateDecision::Accepted
    );
    assert_eq!(gate.available(activity).await.unwrap(), Some(2));
}
