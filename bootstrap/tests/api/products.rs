use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::helpers::{Wiring, assert_problem, spawn_app};

async fn an_admin_creates_and_edits_a_product_that_anyone_can_read(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let id = app.product(&admin).await;
    let product: Value = app
        .get(&format!("/api/v1/products/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(product["name"], "Phone");
    assert_eq!(
        product["price"],
        json!({"amount_minor": 49_900, "currency": "USD"})
    );

    let patch = json!({"name": "Phone 2", "image_url": "https://cdn.example/p.png"});
    let resp = app
        .patch(
            &format!("/api/v1/admin/products/{id}"),
            Some(&admin),
            &patch,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let product: Value = app
        .get(&format!("/api/v1/products/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(product["name"], "Phone 2");
    assert_eq!(product["image_url"], "https://cdn.example/p.png");
    assert_eq!(product["description"], "A phone");

    let remove_image = json!({"image_url": null});
    app.patch(
        &format!("/api/v1/admin/products/{id}"),
        Some(&admin),
        &remove_image,
    )
    .await;
    let product: Value = app
        .get(&format!("/api/v1/products/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(product["image_url"].is_null());
    app.stop().await;
}

async fn product_admin_paths_need_the_admin_role(w: Wiring) {
    let app = spawn_app(w).await;
    let body = json!({"name": "X", "price": {"amount_minor": 1, "currency": "USD"}});
    assert_problem(
        app.post("/api/v1/admin/products", None, &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let buyer = app.buyer_token().await;
    assert_problem(
        app.post("/api/v1/admin/products", Some(&buyer), &body)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let admin = app.admin_token().await;
    let id = app.product(&admin).await;
    let patch = json!({"name": "Stolen"});
    let resp = app
        .patch(
            &format!("/api/v1/admin/products/{id}"),
            Some(&buyer),
            &patch,
        )
        .await;
    assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
    let product: Value = app
        .get(&format!("/api/v1/products/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(product["name"], "Phone");
    app.stop().await;
}

/// While a sale of a product is published and not over, the product's currency is frozen and its
/// price must stay above the sale's; a draft sale holds nothing in place.
async fn a_product_on_sale_keeps_its_currency_and_a_price_above_the_sale(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let draft = app.draft(&admin, 3600).await;
    let product = draft["product_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/admin/products/{product}");
    let priced = |minor: i64, currency: &str| json!({"price": {"amount_minor": minor, "currency": currency}});
    let resp = app.patch(&path, Some(&admin), &priced(49_900, "EUR")).await;
    assert_eq!(resp.status(), StatusCode::OK, "a draft holds nothing");
    app.patch(&path, Some(&admin), &priced(49_900, "USD")).await;
    let published = app.publish(&admin, draft["id"].as_str().unwrap()).await;
    assert_eq!(published.status(), StatusCode::OK);
    for refused in [
        priced(49_900, "EUR"),
        priced(9_900, "USD"),
        priced(100, "USD"),
    ] {
        let resp = app.patch(&path, Some(&admin), &refused).await;
        assert_problem(resp, StatusCode::CONFLICT, "product_on_sale").await;
    }
    let product_now: Value = app
        .get(&format!("/api/v1/products/{product}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        product_now["price"],
        json!({"amount_minor": 49_900, "currency": "USD"})
    );
    let resp = app.patch(&path, Some(&admin), &priced(9_901, "USD")).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "still above the sale's price"
    );
    app.stop().await;
}

both_wirings!(
    an_admin_creates_and_edits_a_product_that_anyone_can_read,
    product_admin_paths_need_the_admin_role,
    a_product_on_sale_keeps_its_currency_and_a_price_above_the_sale
);
