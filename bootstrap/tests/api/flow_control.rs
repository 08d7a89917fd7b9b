//! Rate limits: sign-in attempts per username and per client address (with forwarded addresses
//! believed only from trusted proxies), and the purchase path per buyer. Each test sets its own
//! small limits; the defaults are proven harmless by every other test.

use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app, spawn_app_with};
use crate::purchases::published_sale;

/// Asserts a 429 `rate_limited` problem with a `Retry-After` of at least a second.
async fn assert_rate_limited(resp: Response) {
    let retry_after: u64 = resp
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1, "Retry-After: {retry_after}");
    assert_problem(resp, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

async fn sign_in_from(app: &TestApp, username: &str, forwarded_for: Option<&str>) -> Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"username": username, "password": "wrong-password"}));
    if let Some(address) = forwarded_for {
        req = req.header("x-forwarded-for", address);
    }
    req.send().await.unwrap()
}

async fn the_attempt_past_the_sign_in_limit_of_a_username_is_told_when_to_retry(w: Wiring) {
    let app = spawn_app_with(w, |s| s.rate_limit_sign_in_per_minute = 3).await;
    for _ in 0..3 {
        let resp = sign_in_from(&app, "mallory", None).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert_rate_limited(sign_in_from(&app, "mallory", None).await).await;
    // Registering under that name counts too; another name is untouched.
    let register = app
        .post(
            "/api/v1/users",
            None,
            &json!({"username": "mallory", "password": "maple-otter-47"}),
        )
        .await;
    assert_rate_limited(register).await;
    let other = sign_in_from(&app, "trent", None).await;
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn a_forwarded_address_counts_only_from_a_trusted_proxy(w: Wiring) {
    let limit_by_address = |s: &mut seckiller::config::Settings| {
        s.rate_limit_sign_in_per_minute = 0;
        s.rate_limit_sign_in_ip_per_minute = 2;
    };
    // Straight from a client: the header is its own claim, so every attempt counts for the peer.
    let direct = spawn_app_with(w, limit_by_address).await;
    for (i, address) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        let resp = sign_in_from(&direct, &format!("u{i}"), Some(address)).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert_rate_limited(sign_in_from(&direct, "u3", Some("198.51.100.3")).await).await;
    direct.stop().await;

    // Behind a trusted proxy (this test's own address): the forwarded address is the client.
    let proxied = spawn_app_with(w, |s| {
        limit_by_address(s);
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for (i, address) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let resp = sign_in_from(&proxied, &format!("u{i}"), Some(address)).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{address}");
    }
    let again = sign_in_from(&proxied, "u4", Some("198.51.100.1")).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert_rate_limited(sign_in_from(&proxied, "u5", Some("198.51.100.1")).await).await;
    proxied.stop().await;
}

/// The first 429 among up to 20 quick POSTs of a buyer (more than a slow machine lets its
/// allowance refill by).
async fn first_limited(
    client: &reqwest::Client,
    url: &str,
    buyer: &str,
    body: &serde_json::Value,
) -> Response {
    for _ in 0..20 {
        let resp = client
            .post(url)
            .bearer_auth(buyer)
            .json(body)
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            return resp;
        }
    }
    panic!("no 429 among 20 quick requests to {url}");
}

async fn a_buyer_past_its_purchase_limit_gets_429_and_others_buy_on(w: Wiring) {
    let app = spawn_app_with(w, |s| s.rate_limit_buyer_per_second = 3).await;
    let admin = app.admin_token().await;
    let activity = published_sale(&app, &admin, 10, 5, -1, None).await;
    let eager = app.buyer_token().await;
    let path = format!("/api/v1/activities/{activity}/purchase-tokens");
    // Three a second: the first three pass; one of the next few, sent at once, must not.
    for _ in 0..3 {
        let resp = app.post(&path, Some(&eager), &json!({})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    assert_rate_limited(first_limited(&app.client, &app.url(&path), &eager, &json!({})).await)
        .await;
    let purchases = format!("/api/v1/activities/{activity}/purchases");
    let bad_token = json!({"purchase_token": "any"});
    assert_rate_limited(first_limited(&app.client, &app.url(&purchases), &eager, &bad_token).await)
        .await;
    let calm = app.buyer_token().await;
    let resp = app.post(&path, Some(&calm), &json!({})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    app.stop().await;
}

async fn an_admins_sale_limit_holds_on_every_node_until_set_back(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = published_sale(&app, &admin, 10, 5, -1, None).await;
    let buyer = app.buyer_token().await;
    let limit_path = format!("/api/v1/admin/activities/{activity}/rate-limit");
    let put = |token: &str, body: serde_json::Value| {
        app.client
            .put(app.url(&limit_path))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };

    let set = put(&admin, json!({"per_second": 2})).await.unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(
        set.json::<serde_json::Value>().await.unwrap(),
        json!({"per_second": 2})
    );
    let tokens = format!("/api/v1/activities/{activity}/purchase-tokens");
    assert_rate_limited(first_limited(&app.client, &app.url(&tokens), &buyer, &json!({})).await)
        .await;

    // A node started later reads the stored limit.
    if let Wiring::Production = w {
        let (base, other) = app.another_node().await;
        let there = format!("{base}{tokens}");
        assert_rate_limited(first_limited(&app.client, &there, &buyer, &json!({})).await).await;
        other.stop().await.unwrap();
    }

    let cleared = put(&admin, json!({"per_second": 0})).await.unwrap();
    assert_eq!(cleared.status(), StatusCode::OK);
    for _ in 0..10 {
        let resp = app.post(&tokens, Some(&buyer), &json!({})).await;
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "the node default is no limit"
        );
    }

    let refused = [
        (
            put(&admin, json!({"per_second": -1})).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            put(&admin, json!({"per_second": 1, "burst": 2}))
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            put(&buyer, json!({"per_second": 1})).await.unwrap(),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ];
    for (resp, status, code) in refused {
        assert_problem(resp, status, code).await;
    }
    let unknown = app
        .client
        .put(app.url(&format!(
            "/api/v1/admin/activities/{}/rate-limit",
            uuid::Uuid::now_v7()
        )))
        .bearer_auth(&admin)
        .json(&json!({"per_second": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

both_wirings!(
    an_admins_sale_limit_holds_on_every_node_until_set_back,
    the_attempt_past_the_sign_in_limit_of_a_username_is_told_when_to_retry,
    a_forwarded_address_counts_only_from_a_trusted_proxy,
    a_buyer_past_its_purchase_limit_gets_429_and_others_buy_on,
);
