//! `Idempotency-Key` on purchases: a key names one purchase of one buyer in one sale, a retry
//! gets it back as it stands, even once the sale is sold out, and another request under the key
//! is refused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{purchase_token, sale};
use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app};

/// `POST …/purchases` of `quantity` under `key`, with `token`.
async fn keyed(
    app: &TestApp,
    buyer: &str,
    activity: &str,
    (token, key, quantity): (&str, &str, u32),
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/activities/{activity}/purchases")))
        .bearer_auth(buyer)
        .header("Idempotency-Key", key)
        .json(&json!({"purchase_token": token, "quantity": quantity}))
        .send()
        .await
        .unwrap()
}

/// The answer's body, once its status is checked.
async fn accepted(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    resp.json().await.unwrap()
}

/// The purchase's order id, waiting for it.
async fn order_of(app: &TestApp, buyer: &str, purchase: &Value) -> String {
    let url = format!("{}?wait=10", purchase["status_url"].as_str().unwrap());
    let answer: Value = app.get(&url, Some(buyer)).await.json().await.unwrap();
    assert_eq!(answer["status"], "ordered", "{answer}");
    answer["order_id"].as_str().unwrap().to_owned()
}

async fn a_key_used_in_two_sales_makes_a_purchase_and_an_order_in_each(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let (x, y) = (
        sale(&app, &admin, 5, 1, -1).await,
        sale(&app, &admin, 5, 1, -1).await,
    );
    let buyer = app.buyer_token().await;
    let in_x = accepted(
        keyed(
            &app,
            &buyer,
            &x,
            (&purchase_token(&app, &buyer, &x).await, "k", 1),
        )
        .await,
    )
    .await;
    let in_y = accepted(
        keyed(
            &app,
            &buyer,
            &y,
            (&purchase_token(&app, &buyer, &y).await, "k", 1),
        )
        .await,
    )
    .await;
    assert_ne!(in_x["purchase_id"], in_y["purchase_id"]);
    let (order_x, order_y) = (
        order_of(&app, &buyer, &in_x).await,
        order_of(&app, &buyer, &in_y).await,
    );
    for (order, sale) in [(order_x, &x), (order_y, &y)] {
        let order: Value = app
            .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(order["activity_id"], sale.as_str());
    }
    app.stop().await;
}

async fn the_same_key_with_another_quantity_is_refused(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 10, 3, -1).await;
    let buyer = app.buyer_token().await;
    let token = purchase_token(&app, &buyer, &activity).await;
    let first = accepted(keyed(&app, &buyer, &activity, (&token, "k", 2)).await).await;
    assert_problem(
        keyed(&app, &buyer, &activity, (&token, "k", 1)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    // Also once the order exists; the same request still gets its purchase back.
    let order = order_of(&app, &buyer, &first).await;
    assert_problem(
        keyed(&app, &buyer, &activity, (&token, "k", 3)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let again = accepted(keyed(&app, &buyer, &activity, (&token, "k", 2)).await).await;
    assert_eq!(again["purchase_id"], first["purchase_id"]);
    assert_eq!(again["order_id"], order.as_str());
    app.stop().await;
}

/// A winner whose 202 was lost retries after the sale sold out: it gets its purchase back,
/// with its order once written; a key never accepted hears sold out (from memory).
async fn a_keyed_retry_after_the_sell_out_gets_its_purchase_and_its_order(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 1, 1, -1).await;
    let winner = app.buyer_token().await;
    let token = purchase_token(&app, &winner, &activity).await;
    let won = accepted(keyed(&app, &winner, &activity, (&token, "w", 1)).await).await;

    let late = app.buyer_token().await;
    let late_token = purchase_token(&app, &late, &activity).await;
    for _ in 0..2 {
        // The gate's answer, then the flag's.
        assert_problem(
            keyed(&app, &late, &activity, (&late_token, "l", 1)).await,
            StatusCode::CONFLICT,
            "sold_out",
        )
        .await;
    }
    let retried = accepted(keyed(&app, &winner, &activity, (&token, "w", 1)).await).await;
    assert_eq!(retried["purchase_id"], won["purchase_id"]);
    let order = order_of(&app, &winner, &won).await;
    let replayed = accepted(keyed(&app, &winner, &activity, (&token, "w", 1)).await).await;
    assert_eq!(replayed["purchase_id"], won["purchase_id"]);
    assert_eq!(replayed["status"], "ordered");
    assert_eq!(replayed["order_id"], order.as_str());
    // Unknown keys, the winner's own included, find the sale sold out.
    assert_problem(
        keyed(&app, &winner, &activity, (&token, "other", 1)).await,
        StatusCode::CONFLICT,
        "sold_out",
    )
    .await;
    assert_problem(
        keyed(&app, &late, &activity, (&late_token, "w", 1)).await,
        StatusCode::CONFLICT,
        "sold_out",
    )
    .await;
    app.stop().await;
}

both_wirings!(
    a_key_used_in_two_sales_makes_a_purchase_and_an_order_in_each,
    the_same_key_with_another_quantity_is_refused,
    a_keyed_retry_after_the_sell_out_gets_its_purchase_and_its_order,
);
