//! What a browser and a cache see: the security headers of the pages, the docs and the API,
//! compression negotiated by `Accept-Encoding`, revalidation by `ETag`, and the `servers` entry
//! of the served OpenAPI document.

use std::io::Read;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, spawn_app, spawn_app_with};

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut decoded)
            .unwrap(),
        "br" => brotli::Decompressor::new(body, 4096)
            .read_to_end(&mut decoded)
            .unwrap(),
        other => panic!("unexpected coding {other}"),
    };
    decoded
}

async fn pages_and_documents_carry_their_security_headers(w: Wiring) {
    let app = spawn_app(w).await;
    for path in ["/", "/docs"] {
        let resp = get_with(&app, path, &[]).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let headers = resp.headers();
        let policy = header(headers, "content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'sha256-",
            "style-src 'sha256-",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe"), "{path}: {policy}");
        assert_eq!(header(headers, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header(headers, "x-content-type-options"), "nosniff");
        assert!(header(headers, "content-type").starts_with("text/html"));
    }
    let spec = get_with(&app, "/openapi.json", &[]).await;
    assert_eq!(
        header(spec.headers(), "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(header(spec.headers(), "x-content-type-options"), "nosniff");
    // API answers, problems and the answers made in front of routing are never sniffed either.
    let sale = "/api/v1/activities/0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21";
    for path in [
        "/api/v1/activities",
        "/api/v1/nothing-here",
        sale,
        "/healthz",
    ] {
        let resp = get_with(&app, path, &[]).await;
        assert_eq!(
            header(resp.headers(), "x-content-type-options"),
            "nosniff",
            "{path}"
        );
    }
    app.stop().await;
}

async fn the_docs_and_the_spec_are_compressed_as_the_client_asks(w: Wiring) {
    let app = spawn_app(w).await;
    for path in ["/docs", "/openapi.json", "/"] {
        let plain = get_with(&app, path, &[]).await;
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        assert_eq!(header(plain.headers(), "vary"), "accept-encoding");
        let plain_tag = header(plain.headers(), "etag").to_owned();
        let original = plain.bytes().await.unwrap();
        for (accept, coding) in [
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip, deflate, br, zstd", "br"),
            ("br;q=0, gzip", "gzip"),
        ] {
            let resp = get_with(&app, path, &[("accept-encoding", accept)]).await;
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(header(resp.headers(), "content-encoding"), coding, "{path}");
            let tag = header(resp.headers(), "etag").to_owned();
            assert_ne!(tag, plain_tag, "each representation has its own tag");
            let body = resp.bytes().await.unwrap();
            // The small landing page shrinks less than the large documents.
            let factor = if path == "/" { 1 } else { 3 };
            assert!(
                body.len() * factor < original.len(),
                "{path} {coding}: {} of {} bytes",
                body.len(),
                original.len()
            );
            assert_eq!(decode(coding, &body), original, "{path} {coding}");
            // A browser revalidating what it holds gets no body.
            let again = get_with(
                &app,
                path,
                &[("accept-encoding", accept), ("if-none-match", &tag)],
            )
            .await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert_eq!(header(again.headers(), "cache-control"), "no-cache");
            assert!(again.bytes().await.unwrap().is_empty());
        }
        let refused = get_with(&app, path, &[("accept-encoding", "gzip;q=0, br;q=0")]).await;
        assert!(refused.headers().get("content-encoding").is_none());
    }
    app.stop().await;
}

async fn json_lists_are_compressed_and_small_answers_are_not(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    for _ in 0..5 {
        let draft = app.draft(&admin, 3_600).await;
        let published = app.publish(&admin, draft["id"].as_str().unwrap()).await;
        assert_eq!(published.status(), StatusCode::OK);
    }
    let plain = get_with(&app, "/api/v1/activities", &[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let list: Value = plain.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 5);
    for coding in ["gzip", "br"] {
        let resp = get_with(&app, "/api/v1/activities", &[("accept-encoding", coding)]).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(header(resp.headers(), "content-encoding"), coding);
        assert_eq!(header(resp.headers(), "vary"), "accept-encoding");
        let body = resp.bytes().await.unwrap();
        let decoded: Value = serde_json::from_slice(&decode(coding, &body)).unwrap();
        // The same sales (each answer has its own `server_time`).
        let ids = |list: &Value| -> Vec<Value> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].clone())
                .collect()
        };
        assert_eq!(ids(&decoded), ids(&list));
    }
    // Small answers and the detail answered in front of routing go as they are.
    let small = get_with(&app, "/healthz", &[("accept-encoding", "gzip, br")]).await;
    assert!(small.headers().get("content-encoding").is_none());
    let id = list[0]["id"].as_str().unwrap();
    let detail = get_with(
        &app,
        &format!("/api/v1/activities/{id}"),
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(detail.status(), StatusCode::OK);
    assert!(detail.headers().get("content-encoding").is_none());
    app.stop().await;
}

both_wirings!(
    pages_and_documents_carry_their_security_headers,
    the_docs_and_the_spec_are_compressed_as_the_client_asks,
    json_lists_are_compressed_and_small_answers_are_not
);

/// The served document names the configured public address, and the docs page may call it; by
/// default the address is relative, so it is wherever the docs were loaded from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_names_the_configured_public_url() {
    let app = spawn_app(Wiring::Embedded).await;
    let spec: Value = get_with(&app, "/openapi.json", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(spec["servers"], serde_json::json!([{"url": "/"}]));
    app.stop().await;

    let app = spawn_app_with(Wiring::Embedded, |s| {
        s.public_url = "https://shop.example.com/".to_owned().try_into().unwrap();
    })
    .await;
    let spec: Value = get_with(&app, "/openapi.json", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        spec["servers"],
        serde_json::json!([{"url": "https://shop.example.com"}])
    );
    let docs = get_with(&app, "/docs", &[]).await;
    let policy = header(docs.headers(), "content-security-policy");
    assert!(
        policy.contains("connect-src 'self' https://shop.example.com;"),
        "{policy}"
    );
    app.stop().await;
}
