//! Where the gate keeps things: the documented keys, one hash slot per activity, readable
//! records, and nothing left behind by a test.

use fred::prelude::{HashesInterface, KeysInterface};
use fred::util::redis_keyslot;
use seckiller_contract::gate::fixtures::{a_buyer, a_purchase, an_activity_id, items};
use seckiller_domain::ports::{GateDecision, StockGate};
use seckiller_redis::RedisStockGate;

use crate::harness::{keys_under, open, redis, redis_url};

#[tokio::test]
async fn an_activitys_keys_share_one_hash_slot() {
    let opened = open().await;
    let activity = an_activity_id();
    let keys = opened.gate.activity_keys(activity);
    let tag_slot = redis_keyslot(format!("act:{activity}").as_bytes());
    for key in keys.all() {
        assert!(key.starts_with(&opened.prefix), "{key}");
        assert_eq!(redis_keyslot(key.as_bytes()), tag_slot, "{key}");
    }
}

#[tokio::test]
async fn the_gate_keeps_what_the_layout_says() {
    let opened = open().await;
    let (gate, client) = (&opened.gate, redis().await);
    let activity = an_activity_id();
    let keys = gate.activity_keys(activity);
    gate.preheat(activity, 5, items(2), &[]).await.unwrap();
    assert_eq!(
        client.get::<String, _>(&keys.stock).await.unwrap(),
        "5".to_owned()
    );
    assert_eq!(
        client.get::<String, _>(&keys.limit).await.unwrap(),
        "2".to_owned()
    );

    let purchase = a_purchase(activity, a_buyer(), 2);
    assert_eq!(
        gate.try_take(&purchase).await.unwrap(),
        GateDecision::Accepted
    );
    assert_eq!(
        client.get::<String, _>(&keys.stock).await.unwrap(),
        "3".to_owned()
    );
    assert_eq!(
        client
            .hget::<String, _, _>(&keys.buyers, purchase.buyer_id.to_string())
            .await
            .unwrap(),
        "2".to_owned()
    );
    let record: String = client
        .hget(&keys.purchases, purchase.id.to_string())
        .await
        .unwrap();
    assert!(record.starts_with(&format!("1|{activity}|{}|2|9990|EUR|", purchase.buyer_id)));
    let index = format!("{}purchase:{}", opened.prefix, purchase.id);
    assert_eq!(
        client.get::<String, _>(&index).await.unwrap(),
        activity.to_string()
    );
    assert!(
        client.ttl::<i64, _>(&index).await.unwrap() > 0,
        "the index expires"
    );

    assert!(gate.give_back(&purchase).await.unwrap());
    let moved: String = client
        .hget(&keys.returned, purchase.id.to_string())
        .await
        .unwrap();
    assert_eq!(moved, record, "the record moved to the returned hash");
    assert!(
        !client
            .hexists::<bool, _, _>(&keys.purchases, purchase.id.to_string())
            .await
            .unwrap()
    );
    assert!(
        !client
            .hexists::<bool, _, _>(&keys.buyers, purchase.buyer_id.to_string())
            .await
            .unwrap(),
        "a buyer holding nothing is dropped from the hash"
    );
}

#[tokio::test]
async fn a_damaged_record_is_an_error_not_a_panic() {
    let opened = open().await;
    let (gate, client) = (&opened.gate, redis().await);
    let activity = an_activity_id();
    gate.preheat(activity, 5, items(2), &[]).await.unwrap();
    let purchase = a_purchase(activity, a_buyer(), 1);
    assert_eq!(
        gate.try_take(&purchase).await.unwrap(),
        GateDecision::Accepted
    );

    let keys = gate.activity_keys(activity);
    client
        .hset::<(), _, _>(&keys.purchases, (purchase.id.to_string(), "garbage"))
        .await
        .unwrap();
    assert!(gate.find_purchase(purchase.id).await.is_err());
    assert!(gate.give_back(&purchase).await.is_err());
    assert_eq!(gate.available(activity).await.unwrap(), Some(4));

    client
        .set::<(), _, _>(&keys.stock, "lots", None, None, false)
        .await
        .unwrap();
    assert!(gate.available(activity).await.is_err());
}

#[tokio::test]
async fn a_prefix_with_a_brace_is_refused() {
    assert!(
        RedisStockGate::connect(&redis_url(), "bad{prefix}:")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_finished_test_leaves_no_key_behind() {
    let opened = open().await;
    let prefix = opened.prefix.clone();
    let activity = an_activity_id();
    opened
        .gate
        .preheat(activity, 5, items(2), &[])
        .await
        .unwrap();
    let purchase = a_purchase(activity, a_buyer(), 1);
    opened.gate.try_take(&purchase).await.unwrap();
    opened.gate.give_back(&purchase).await.unwrap();

    let client = redis().await;
    // stock, limit, returned, the loading server's identity and the purchase index (emptied
    // hashes are gone)
    assert_eq!(keys_under(&client, &prefix).await.len(), 5);
    drop(opened);
    assert_eq!(keys_under(&client, &prefix).await, Vec::<String>::new());
}

#[tokio::test]
async fn only_an_accepted_purchase_is_findable_by_id() {
    let opened = open().await;
    let (gate, client) = (&opened.gate, redis().await);
    let activity = an_activity_id();
    gate.preheat(activity, 1, items(1), &[]).await.unwrap();
    let buyer = a_buyer();
    let won = a_purchase(activity, buyer, 1);
    let over_limit = a_purchase(activity, buyer, 1);
    let too_late = a_purchase(activity, a_buyer(), 1);
    assert_eq!(gate.try_take(&won).await.unwrap(), GateDecision::Accepted);
    assert_eq!(
        gate.try_take(&over_limit).await.unwrap(),
        GateDecision::LimitReached
    );
    assert_eq!(
        gate.try_take(&too_late).await.unwrap(),
        GateDecision::SoldOut
    );
    let lookup = |id| format!("{}purchase:{id}", opened.prefix);
    assert!(client.exists::<bool, _>(lookup(won.id)).await.unwrap());
    for refused in [over_limit.id, too_late.id] {
        assert!(!client.exists::<bool, _>(lookup(refused)).await.unwrap());
    }
    assert_eq!(gate.find_purchase(won.id).await.unwrap(), Some(won));
    assert_eq!(gate.find_purchase(too_late.id).await.unwrap(), None);
}
