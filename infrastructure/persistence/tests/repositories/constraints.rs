//! What the database itself guarantees, proven with SQL no adapter would write: ledgers add up,
//! references hold, an activity and its ledger are written together, and bad stored data is
//! reported rather than trusted.

use seckiller_contract::fixtures::{a_product, a_user, an_activity, whole_second_now};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, ProductRepository, UpdateActivityError, UserRepository,
};
use seckiller_domain::{ActivityChanges, Name, ProductId, Role};
use uuid::Uuid;

use crate::harness::Store;

on_both_backends!(
    the_database_refuses_a_ledger_that_does_not_add_up,
    an_activity_needs_a_stored_product,
    an_activity_is_stored_with_its_ledger_or_not_at_all,
    a_failed_ledger_write_leaves_the_activity_unchanged,
    corrupt_rows_are_reported_not_trusted,
);

async fn a_stored_activity(store: &Store) -> ActivityRecord {
    let product = a_product(whole_second_now());
    store
        .products
        .insert(&product)
        .await
        .expect("store a product");
    let record = an_activity(product.id, whole_second_now());
    store
        .activities
        .insert(&record)
        .await
        .expect("store an activity");
    record
}

async fn the_database_refuses_a_ledger_that_does_not_add_up(store: Store) {
    let record = a_stored_activity(&store).await;

    let unbalanced = store
        .sql("UPDATE stock_ledgers SET available = available + 1")
        .await;
    assert!(
        unbalanced.is_err(),
        "available + held + sold must equal total"
    );
    let negative = store
        .sql("UPDATE stock_ledgers SET available = -1, held = held + available + 1")
        .await;
    assert!(
        negative.is_err(),
        "available must not go below zero, even when the sum adds up"
    );
    let balanced = store
        .sql("UPDATE stock_ledgers SET available = available - 1, held = held + 1")
        .await;
    assert_eq!(balanced.expect("a balanced move is allowed"), 1);

    let stored = store
        .activities
        .by_id(record.activity.id)
        .await
        .expect("lookup")
        .expect("stored");
    assert_eq!((stored.stock.available(), stored.stock.held()), (99, 1));
}

async fn an_activity_needs_a_stored_product(store: Store) {
    let orphan = an_activity(ProductId::from_uuid(Uuid::now_v7()), whole_second_now());
    assert!(
        store.activities.insert(&orphan).await.is_err(),
        "the foreign key is enforced"
    );
    assert_eq!(
        store
            .activities
            .by_id(orphan.activity.id)
            .await
            .expect("lookup"),
        None
    );
}

async fn an_activity_is_stored_with_its_ledger_or_not_at_all(store: Store) {
    let product = a_product(whole_second_now());
    store
        .products
        .insert(&product)
        .await
        .expect("store a product");
    let record = an_activity(product.id, whole_second_now());

    store
        .sql("ALTER TABLE stock_ledgers RENAME TO stock_ledgers_away")
        .await
        .expect("hide the ledgers");
    let outcome = store.activities.insert(&record).await;
    store
        .sql("ALTER TABLE stock_ledgers_away RENAME TO stock_ledgers")
        .await
        .expect("restore the ledgers");

    assert!(outcome.is_err(), "the ledger could not be written");
    // Ok(None) also proves there is no ledger-less activity row: that would read as corrupt.
    assert_eq!(
        store
            .activities
            .by_id(record.activity.id)
            .await
            .expect("lookup"),
        None
    );
}

async fn a_failed_ledger_write_leaves_the_activity_unchanged(store: Store) {
    let original = a_stored_activity(&store).await;
    let mut edited = original.clone();
    let changes = ActivityChanges {
        title: Some(Name::parse("Edited").expect("valid")),
        ..Default::default()
    };
    edited
        .activity
        .edit(changes, whole_second_now())
        .expect("a draft can be edited");

    store
        .sql("ALTER TABLE stock_ledgers RENAME TO stock_ledgers_away")
        .await
        .expect("hide the ledgers");
    let outcome = store
        .activities
        .update(&edited.activity, original.activity.version)
        .await;
    store
        .sql("ALTER TABLE stock_ledgers_away RENAME TO stock_ledgers")
        .await
        .expect("restore the ledgers");

    assert!(
        matches!(outcome, Err(UpdateActivityError::Storage(_))),
        "a storage failure, not a conflict: {outcome:?}"
    );
    assert_eq!(
        store
            .activities
            .by_id(original.activity.id)
            .await
            .expect("lookup"),
        Some(original)
    );
}

async fn corrupt_rows_are_reported_not_trusted(store: Store) {
    let record = a_stored_activity(&store).await;
    let user = a_user(Role::Buyer);
    store.users.insert(&user).await.expect("store a user");

    store
        .sql("UPDATE activities SET state = 'bogus'")
        .await
        .expect("corrupt the state");
    store
        .sql("UPDATE users SET role = 'root'")
        .await
        .expect("corrupt the role");
    store
        .sql("UPDATE products SET currency = 'usd'")
        .await
        .expect("corrupt the currency");

    let activity = store.activities.by_id(record.activity.id).await;
    assert!(
        activity
            .as_ref()
            .is_err_and(|e| e.0.to_string().contains("corrupt")),
        "{activity:?}"
    );
    let listed = store.activities.list(true, 10, 0).await;
    assert!(
        listed.is_err(),
        "a listing with a bad row fails: {listed:?}"
    );
    let user = store.users.by_id(user.id).await;
    assert!(
        user.as_ref()
            .is_err_and(|e| e.0.to_string().contains("corrupt")),
        "{user:?}"
    );
    let product = store.products.by_id(record.activity.product_id).await;
    assert!(
        product
            .as_ref()
            .is_err_and(|e| e.0.to_string().contains("corrupt")),
        "{product:?}"
    );
}
