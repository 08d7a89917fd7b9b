//! The catalogue: stored whole, overwritten whole, counted.

use chrono::Duration;
use seckiller_domain::ports::ProductRepository;
use seckiller_domain::{Description, Money, Name, ProductChanges};

use crate::fixtures::{a_product, currency, whole_second_now};

/// A product comes back as stored, and an update (even removing its picture) replaces it.
pub async fn a_product_round_trips_and_updates<P: ProductRepository>(products: &P) {
    let now = whole_second_now();
    let mut product = a_product(now);
    products
        .insert(&product)
        .await
        .expect("a new product is stored");
    assert_eq!(
        products.by_id(product.id).await.expect("lookup by id"),
        Some(product.clone())
    );

    product.apply(
        ProductChanges {
            name: Some(Name::parse("Phone X2").expect("valid name")),
            description: Some(Description::parse("").expect("an empty description is valid")),
            image_url: Some(None),
            price: Some(Money::new(99_900, currency("GBP")).expect("valid price")),
        },
        now + Duration::seconds(30),
    );
    assert!(
        products.update(&product).await.expect("update"),
        "the product exists"
    );
    assert_eq!(
        products.by_id(product.id).await.expect("lookup by id"),
        Some(product)
    );
}

/// Updating a product that was never stored says so and does not create it.
pub async fn updating_a_missing_product_changes_nothing<P: ProductRepository>(products: &P) {
    let ghost = a_product(whole_second_now());
    assert!(
        !products.update(&ghost).await.expect("update"),
        "nothing to update"
    );
    assert_eq!(products.by_id(ghost.id).await.expect("lookup by id"), None);
}

/// Every stored product is counted once.
pub async fn products_are_counted<P: ProductRepository>(products: &P) {
    let before = products.count().await.expect("count");
    let now = whole_second_now();
    for product in [a_product(now), a_product(now)] {
        products
            .insert(&product)
            .await
            .expect("a new product is stored");
    }
    assert_eq!(products.count().await.expect("count"), before + 2);
}
