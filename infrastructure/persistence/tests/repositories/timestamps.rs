//! Time precision: both backends keep exactly microseconds, so they agree with each other.

use chrono::Duration;
use seckiller_contract::fixtures::{a_product, whole_second_now};
use seckiller_domain::ports::ProductRepository;

use crate::harness::Store;

on_both_backends!(nanoseconds_are_cut_to_microseconds);

async fn nanoseconds_are_cut_to_microseconds(store: Store) {
    let second = whole_second_now();
    let product = a_product(second + Duration::nanoseconds(123_456_789));
    store
        .products
        .insert(&product)
        .await
        .expect("store a product");

    let stored = store
        .products
        .by_id(product.id)
        .await
        .expect("lookup")
        .expect("stored");
    assert_eq!(stored.created_at, second + Duration::microseconds(123_456));
}
