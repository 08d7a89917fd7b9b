//! `Idempotency-Key` on the state-changing POSTs (registration, payment, cancellation, admin
//! creates, publication): a retry with the same key and request replays the first answer exactly
//! and does the work once; the key on another request is refused; callers never meet each
//! other's keys; an answer that changed nothing (503) is not remembered.

use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_wirings;
use crate::crowd::{Buyer, buyers, orders_of, rush};
use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app, spawn_app_with};
use crate::purchases::published_sale;

/// A POST of `body` (sent as these exact bytes) with `key`.
async fn keyed_post(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: &str,
) -> Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_owned());
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

/// An answer as the client saw it.
struct Seen {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn seen(resp: Response) -> Seen {
    Seen {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap(),
    }
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn replayed(&self) -> bool {
        self.headers.get("idempotent-replayed").is_some()
    }

    fn content_type(&self) -> Option<&str> {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
    }
}

/// Winners of a fresh open sale, one order each: (buyer, order id).
async fn orders(app: &TestApp, admin: &str, n: usize) -> Vec<(Buyer, String)> {
    let activity = published_sale(app, admin, 10, 1, -1, Some(900)).await;
    let crowd = buyers(app, n).await;
    let accepted: Vec<(Buyer, String)> = rush(app, &activity, &crowd, 1)
        .await
        .into_iter()
        .filter(|a| a.status == StatusCode::ACCEPTED)
        .map(|a| {
            let buyer = crowd.iter().find(|b| b.id == a.buyer).unwrap().clone();
            (buyer, a.body["purchase_id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(accepted.len(), n);
    let by_purchase = orders_of(app, &accepted).await;
    accepted
        .into_iter()
        .map(|(buyer, purchase)| (buyer, by_purchase[&purchase].clone()))
        .collect()
}

fn product_body(name: &str) -> String {
    json!({"name": name, "description": "A phone", "price": {"amount_minor": 49_900, "currency": "USD"}})
        .to_string()
}

async fn products_named(app: &TestApp, name: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.database().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM products WHERE name = '{name}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn a_retried_payment_with_its_key_replays_the_answer_and_charges_once(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let won = orders(&app, &admin, 1).await;
    let (alice, order) = &won[0];
    let path = format!("/api/v1/orders/{order}/payment");

    let first = seen(keyed_post(&app, &path, Some(&alice.token), "pay-1", "{}").await).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json()["status"], "paid");
    assert!(!first.replayed());
    let retry = seen(keyed_post(&app, &path, Some(&alice.token), "pay-1", "{}").await).await;
    assert_eq!(retry.status, first.status);
    assert_eq!(retry.body, first.body, "the very same bytes");
    assert_eq!(retry.content_type(), first.content_type());
    assert!(retry.replayed());
    assert_eq!(app.payments().charges(), 1);

    // The same key on another path (another order's payment, or a cancellation) is refused.
    let other = format!("/api/v1/orders/{order}/cancellation");
    assert_problem(
        keyed_post(&app, &other, Some(&alice.token), "pay-1", "{}").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    app.stop().await;
}

async fn a_retried_admin_create_with_its_key_makes_one_product(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let name = format!("Keyed {}", Uuid::now_v7().simple());
    let body = product_body(&name);

    let first =
        seen(keyed_post(&app, "/api/v1/admin/products", Some(&admin), "p-1", &body).await).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    // The same request with other spacing and key order is the same request.
    let respaced = format!(
        r#"{{ "price": {{"currency": "USD", "amount_minor": 49900}}, "description": "A phone",  "name": "{name}" }}"#
    );
    let retry = seen(
        keyed_post(
            &app,
            "/api/v1/admin/products",
            Some(&admin),
            "p-1",
            &respaced,
        )
        .await,
    )
    .await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.body, first.body);
    assert!(retry.replayed());
    assert_eq!(products_named(&app, &name).await, 1, "one product made");

    // Another body under the same key: refused, nothing made.
    let other = product_body(&format!("{name} two"));
    assert_problem(
        keyed_post(&app, "/api/v1/admin/products", Some(&admin), "p-1", &other).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(products_named(&app, &format!("{name} two")).await, 0);

    // Without a key, every request makes its own.
    for _ in 0..2 {
        let resp = app
            .post(
                "/api/v1/admin/products",
                Some(&admin),
                &serde_json::from_str(&body).unwrap(),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    assert_eq!(products_named(&app, &name).await, 3);
    app.stop().await;
}

async fn keyed_sale_admin_steps_replay(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let product = app.product(&admin).await;
    let body = TestApp::activity_body(&product, 3600).to_string();
    let created =
        seen(keyed_post(&app, "/api/v1/admin/activities", Some(&admin), "a-1", &body).await).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let again =
        seen(keyed_post(&app, "/api/v1/admin/activities", Some(&admin), "a-1", &body).await).await;
    assert_eq!(again.body, created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();

    let publication = format!("/api/v1/admin/activities/{id}/publication");
    let published = seen(keyed_post(&app, &publication, Some(&admin), "pub-1", "{}").await).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let republished = seen(keyed_post(&app, &publication, Some(&admin), "pub-1", "{}").await).await;
    assert_eq!(republished.body, published.body);
    assert!(republished.replayed());

    let buyers = seen(
        keyed_post(
            &app,
            "/api/v1/admin/buyers",
            Some(&admin),
            "b-1",
            r#"{"count": 2}"#,
        )
        .await,
    )
    .await;
    assert_eq!(buyers.status, StatusCode::CREATED, "{}", buyers.body);
    let same_buyers = seen(
        keyed_post(
            &app,
            "/api/v1/admin/buyers",
            Some(&admin),
            "b-1",
            r#"{"count":2}"#,
        )
        .await,
    )
    .await;
    assert_eq!(
        same_buyers.body, buyers.body,
        "the same two buyers, no new ones"
    );
    app.stop().await;
}

async fn two_callers_with_one_key_do_not_see_each_others_answers(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let won = orders(&app, &admin, 2).await;
    let (alice, alice_order) = &won[0];
    let (bob, bob_order) = &won[1];

    let alice_paid = seen(
        keyed_post(
            &app,
            &format!("/api/v1/orders/{alice_order}/payment"),
            Some(&alice.token),
            "same-key",
            "{}",
        )
        .await,
    )
    .await;
    assert_eq!(alice_paid.json()["id"], alice_order.as_str());
    // Bob's request with Alice's key on Alice's order is his own, and not his business: 404,
    // not her replayed 200.
    let bob_tries = keyed_post(
        &app,
        &format!("/api/v1/orders/{alice_order}/payment"),
        Some(&bob.token),
        "same-key",
        "{}",
    )
    .await;
    assert_problem(bob_tries, StatusCode::NOT_FOUND, "not_found").await;
    // His key now names that request of his: on his own order it is refused, not replayed.
    let bob_paid = seen(
        keyed_post(
            &app,
            &format!("/api/v1/orders/{bob_order}/payment"),
            Some(&bob.token),
            "same-key",
            "{}",
        )
        .await,
    )
    .await;
    assert_eq!(
        bob_paid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bob_paid.body
    );
    assert_eq!(bob_paid.json()["code"], "idempotency_key_reused");
    // Under a key of his own, his payment runs and pays his order.
    let bob_paid = seen(
        keyed_post(
            &app,
            &format!("/api/v1/orders/{bob_order}/payment"),
            Some(&bob.token),
            "bob-key",
            "{}",
        )
        .await,
    )
    .await;
    assert_eq!(bob_paid.status, StatusCode::OK);
    assert_eq!(bob_paid.json()["id"], bob_order.as_str());
    assert!(!bob_paid.replayed());
    assert_eq!(app.payments().charges(), 2);
    app.stop().await;
}

async fn a_registration_replays_only_to_the_identical_request(w: Wiring) {
    let app = spawn_app(w).await;
    let name = format!("k{}", &Uuid::now_v7().simple().to_string()[20..]);
    let body = json!({"username": name, "password": "a long passphrase"}).to_string();
    let first = seen(keyed_post(&app, "/api/v1/users", None, "reg-1", &body).await).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let retry = seen(keyed_post(&app, "/api/v1/users", None, "reg-1", &body).await).await;
    assert_eq!(retry.body, first.body);
    assert!(retry.replayed());

    // The same key and username with another password is another request: no replay.
    let guess = json!({"username": name, "password": "another passphrase"}).to_string();
    assert_problem(
        keyed_post(&app, "/api/v1/users", None, "reg-1", &guess).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    // Without the key, the name is simply taken.
    assert_problem(
        app.post("/api/v1/users", None, &serde_json::from_str(&body).unwrap())
            .await,
        StatusCode::CONFLICT,
        "username_taken",
    )
    .await;
    app.stop().await;
}

async fn an_answer_that_changed_nothing_is_not_remembered(w: Wiring) {
    let app = spawn_app_with(w, |s| s.payment_timeout_millis = 100).await;
    let admin = app.admin_token().await;
    let won = orders(&app, &admin, 1).await;
    let (alice, order) = &won[0];
    let path = format!("/api/v1/orders/{order}/payment");

    app.payments()
        .set_mode(seckiller_memory::PaymentMode::Timeout);
    assert_problem(
        keyed_post(&app, &path, Some(&alice.token), "pay-again", "{}").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    app.payments()
        .set_mode(seckiller_memory::PaymentMode::Approve);
    let retry = seen(keyed_post(&app, &path, Some(&alice.token), "pay-again", "{}").await).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    assert!(!retry.replayed(), "the retry ran");
    assert_eq!(retry.json()["status"], "paid");
    assert_eq!(app.payments().charges(), 1);
    app.stop().await;
}

async fn a_retry_while_the_first_runs_is_told_to_come_back(w: Wiring) {
    let app = spawn_app_with(w, |s| s.payment_latency_millis = 800).await;
    let admin = app.admin_token().await;
    let won = orders(&app, &admin, 1).await;
    let (alice, order) = &won[0];
    let path = format!("/api/v1/orders/{order}/payment");

    // Four tries at once while the provider takes its time: one runs, the others are told to
    // come back (or, arriving after it finished, get its answer).
    let attempt = || keyed_post(&app, &path, Some(&alice.token), "slow-pay", "{}");
    let (a, b, c, d) = tokio::join!(attempt(), attempt(), attempt(), attempt());
    let (mut ran, mut waits, mut replays) = (Vec::new(), 0, Vec::new());
    for answer in [a, b, c, d] {
        if answer.status() == StatusCode::CONFLICT {
            let retry_after = answer
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            assert!(
                retry_after.is_some_and(|s| (1..=60).contains(&s)),
                "{retry_after:?}"
            );
            assert_problem(answer, StatusCode::CONFLICT, "idempotency_key_in_use").await;
            waits += 1;
        } else {
            let answer = seen(answer).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            match answer.replayed() {
                true => replays.push(answer.body),
                false => ran.push(answer.body),
            }
        }
    }
    assert_eq!(ran.len(), 1, "exactly one try ran");
    assert!(waits >= 1, "a try during the payment was told to wait");
    assert!(replays.iter().all(|body| *body == ran[0]));
    let after = seen(keyed_post(&app, &path, Some(&alice.token), "slow-pay", "{}").await).await;
    assert_eq!(after.body, ran[0]);
    assert!(after.replayed());
    assert_eq!(app.payments().charges(), 1);
    app.stop().await;
}

/// The header's rule is in the document (a pattern), so the framework refuses it like any other
/// unreadable parameter.
async fn a_key_that_is_not_printable_ascii_is_refused(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    assert_problem(
        keyed_post(
            &app,
            "/api/v1/admin/products",
            Some(&admin),
            "tab\there",
            &product_body("Never"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_eq!(products_named(&app, "Never").await, 0);
    app.stop().await;
}

both_wirings!(
    a_retried_payment_with_its_key_replays_the_answer_and_charges_once,
    a_retried_admin_create_with_its_key_makes_one_product,
    keyed_sale_admin_steps_replay,
    two_callers_with_one_key_do_not_see_each_others_answers,
    a_registration_replays_only_to_the_identical_request,
    an_answer_that_changed_nothing_is_not_remembered,
    a_retry_while_the_first_runs_is_told_to_come_back,
    a_key_that_is_not_printable_ascii_is_refused,
);
