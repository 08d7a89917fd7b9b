//! A Redis that lost its script cache (restart, failover, `SCRIPT FLUSH`) still decides: the
//! gate reloads its scripts on `NOSCRIPT` and retries once.

use fred::prelude::LuaInterface;
use seckiller_contract::gate::fixtures::{a_buyer, a_purchase, an_activity_id, items};
use seckiller_domain::ports::{GateDecision, StockGate};

use crate::harness::{open, redis};

#[tokio::test]
async fn a_flushed_script_cache_is_reloaded_on_the_fly() {
    let opened = open().await;
    let (gate, client) = (&opened.gate, redis().await);
    let activity = an_activity_id();

    client.script_flush(false).await.unwrap();
    gate.preheat(activity, 3, items(1), &[]).await.unwrap();
    assert_eq!(gate.available(activity).await.unwrap(), Some(3));

    client.script_flush(false).await.unwrap();
    let purchase = a_purchase(activity, a_buyer(), 1);
    assert_eq!(
        gate.try_take(&purchase).await.unwrap(),
        GateDecision::Accepted
    );
    assert_eq!(
        gate.try_take(&purchase).await.unwrap(),
        GateDecision::Held { quantity: items(1) }
    );
    assert_eq!(gate.available(activity).await.unwrap(), Some(2));

    client.script_flush(false).await.unwrap();
    assert!(gate.give_back(&purchase).await.unwrap());
    assert!(!gate.give_back(&purchase).await.unwrap());
    assert_eq!(gate.available(activity).await.unwrap(), Some(3));
}
