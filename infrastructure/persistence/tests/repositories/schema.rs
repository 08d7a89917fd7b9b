//! Migrations and settings: what every node does to the database when it starts.

use seckiller_contract::fixtures::{a_product, whole_second_now};
use seckiller_domain::ports::ProductRepository;
use seckiller_persistence::connect;

use crate::harness::{Store, postgres_scratch};

on_both_backends!(
    migrating_again_keeps_the_data,
    a_setting_keeps_its_first_value,
    a_put_setting_replaces_its_value_and_is_found_by_its_exact_prefix,
    nodes_racing_to_store_a_setting_agree_on_one,
    a_live_database_answers_the_ping,
    the_clear_text_token_secret_of_an_older_version_is_deleted,
);

/// A database from before the signing key left it: migrating deletes the clear-text secret.
async fn the_clear_text_token_secret_of_an_older_version_is_deleted(store: Store) {
    store
        .sql("DELETE FROM seaql_migrations WHERE version = 'm20251128_000011_token_secret_out_of_database'")
        .await
        .expect("forget the last migration");
    store
        .sql("INSERT INTO settings (key, value) VALUES ('token_secret', 'an old clear-text key')")
        .await
        .expect("an older version's secret");
    store
        .db
        .put_setting("other", "kept")
        .await
        .expect("another setting");
    store.db.migrate().await.expect("migrate");
    assert_eq!(
        store
            .number("SELECT COUNT(*) FROM settings WHERE key = 'token_secret'")
            .await,
        0
    );
    assert_eq!(
        store
            .number("SELECT COUNT(*) FROM settings WHERE key = 'other'")
            .await,
        1
    );
}

async fn migrating_again_keeps_the_data(store: Store) {
    let product = a_product(whole_second_now());
    store
        .products
        .insert(&product)
        .await
        .expect("store a product");

    store
        .db
        .migrate()
        .await
        .expect("a second migration is harmless");
    store.db.migrate().await.expect("and so is a third");

    assert_eq!(
        store.products.by_id(product.id).await.expect("lookup"),
        Some(product)
    );
}

async fn a_setting_keeps_its_first_value(store: Store) {
    assert_eq!(
        store
            .db
            .ensure_setting("cluster_id", "first")
            .await
            .expect("store"),
        "first"
    );
    assert_eq!(
        store
            .db
            .ensure_setting("cluster_id", "second")
            .await
            .expect("read"),
        "first"
    );
    assert_eq!(
        store
            .db
            .ensure_setting("other", "own value")
            .await
            .expect("store"),
        "own value"
    );
}

async fn a_put_setting_replaces_its_value_and_is_found_by_its_exact_prefix(store: Store) {
    let db = &store.db;
    db.put_setting("sale-rate-limit:a", "5")
        .await
        .expect("store");
    db.put_setting("sale-rate-limit:a", "7")
        .await
        .expect("replace");
    db.put_setting("sale-rate-limit:b", "0")
        .await
        .expect("store");
    db.put_setting("sale_rate-limit:c", "9")
        .await
        .expect("store");
    let mut found = db
        .settings_with_prefix("sale-rate-limit:")
        .await
        .expect("read");
    found.sort();
    assert_eq!(
        found,
        vec![
            ("sale-rate-limit:a".to_owned(), "7".to_owned()),
            ("sale-rate-limit:b".to_owned(), "0".to_owned()),
        ]
    );
}

async fn nodes_racing_to_store_a_setting_agree_on_one(store: Store) {
    let db = &store.db;
    let (a, b, c, d) = tokio::join!(
        db.ensure_setting("cluster_id", "a"),
        db.ensure_setting("cluster_id", "b"),
        db.ensure_setting("cluster_id", "c"),
        db.ensure_setting("cluster_id", "d"),
    );
    let values = [a, b, c, d].map(|v| v.expect("ensure a setting"));
    assert!(
        values.iter().all(|v| *v == values[0]),
        "every node sees one value: {values:?}"
    );
}

async fn a_live_database_answers_the_ping(store: Store) {
    store.db.ping().await.expect("the database answers");
}

/// Several nodes starting at once against a fresh Postgres each run the migrations; the advisory
/// lock makes them take turns, so none fails on a table another just created.
#[tokio::test]
async fn nodes_migrating_one_fresh_postgres_together_all_succeed() {
    let (url, _scratch) = postgres_scratch().await;
    let nodes = [
        connect(&url).await,
        connect(&url).await,
        connect(&url).await,
    ]
    .map(|node| node.expect("connect a node"));
    let (a, b, c) = tokio::join!(nodes[0].migrate(), nodes[1].migrate(), nodes[2].migrate());
    for outcome in [a, b, c] {
        outcome.expect("every node's migration succeeds");
    }
    for node in nodes {
        node.close().await.expect("close");
    }
}
