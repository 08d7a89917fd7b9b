//! Documents made once per process and served many times: the landing page, the Swagger UI docs
//! (1.7 MB, nearly all of it the embedded bundle) and the spec.
//!
//! Each is sent with its security headers, a strong `ETag` per representation and
//! `Cache-Control: no-cache`, so a browser revalidates and gets `304 Not Modified` instead of
//! the document again; and compressed in the coding the client prefers (see
//! [`crate::compression`]). Each coding is made once, at the best level, on the first request
//! that asks for it, on the blocking pool; no request pays for compressing it again.

use std::sync::Arc;

use bytes::Bytes;
use poem::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use poem::http::{HeaderMap, HeaderValue, StatusCode};
use poem::{Endpoint, Request, Response};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::compression::{Coding, Effort, compress, negotiate};

/// One document and its compressed forms.
pub(crate) struct StaticAnswer {
    body: Bytes,
    content_type: HeaderValue,
    headers: HeaderMap,
    /// Hex digest prefix of the body; each representation's `ETag` is built on it.
    tag: String,
    brotli: OnceCell<Option<Bytes>>,
    gzip: OnceCell<Option<Bytes>>,
}

impl StaticAnswer {
    /// `body` as `content_type`, sent with `headers` (its security headers).
    pub(crate) fn new(
        body: impl Into<Bytes>,
        content_type: &'static str,
        headers: HeaderMap,
    ) -> Self {
        let body = body.into();
        let digest = Sha256::digest(&body);
        let tag = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            body,
            content_type: HeaderValue::from_static(content_type),
            headers,
            tag,
            brotli: OnceCell::new(),
            gzip: OnceCell::new(),
        }
    }

    /// As an endpoint answering every request with the document.
    pub(crate) fn endpoint(self) -> impl Endpoint<Output = Response> {
        let this = Arc::new(self);
        poem::endpoint::make(move |req: Request| {
            let this = this.clone();
            async move { this.answer(req.headers()).await }
        })
    }

    /// The document in the coding `request` prefers, or 304 when the client holds it already.
    pub(crate) async fn answer(&self, request: &HeaderMap) -> Response {
        let (coding, body) = match negotiate(request) {
            Some(coding) => match self.encoded(coding).await {
                Some(body) => (Some(coding), body),
                None => (None, self.body.clone()),
            },
            None => (None, self.body.clone()),
        };
        let etag = match coding {
            Some(coding) => format!("\"{}-{}\"", self.tag, coding.name()),
            None => format!("\"{}\"", self.tag),
        };
        let mut response = if matches(request, &etag) {
            Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .finish()
        } else {
            let mut response = Response::builder().body(body);
            response
                .headers_mut()
                .insert(CONTENT_TYPE, self.content_type.clone());
            if let Some(coding) = coding {
                response
                    .headers_mut()
                    .insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
            }
            response
        };
        let headers = response.headers_mut();
        headers.extend(self.headers.clone());
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            headers.insert(ETAG, etag);
        }
        response
    }

    /// The document in `coding`, made on first use; `None` if that failed.
    async fn encoded(&self, coding: Coding) -> Option<Bytes> {
        let cell = match coding {
            Coding::Brotli => &self.brotli,
            Coding::Gzip => &self.gzip,
        };
        cell.get_or_init(|| {
            let body = self.body.clone();
            async move {
                tokio::task::spawn_blocking(move || compress(&body, coding, Effort::Best))
                    .await
                    .ok()
                    .flatten()
            }
        })
        .await
        .clone()
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak tags compare by their opaque part.
fn matches(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use poem::http::header::ACCEPT_ENCODING;

    use super::*;

    fn headers(pairs: &[(poem::http::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn page() -> StaticAnswer {
        let mut own = HeaderMap::new();
        own.insert("x-frame-options", HeaderValue::from_static("DENY"));
        StaticAnswer::new("<p>hello</p>".repeat(500), "text/html; charset=utf-8", own)
    }

    #[tokio::test]
    async fn the_preferred_coding_is_sent_with_its_own_tag_and_decodes_to_the_document() {
        let page = page();
        let plain = page.answer(&HeaderMap::new()).await;
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()["x-frame-options"], "DENY");
        assert_eq!(plain.headers()[VARY], "accept-encoding");
        let plain_tag = plain.headers()[ETAG].clone();
        let original = plain.into_body().into_bytes().await.unwrap();

        let br = page
            .answer(&headers(&[(ACCEPT_ENCODING, "gzip, br")]))
            .await;
        assert_eq!(br.headers()[CONTENT_ENCODING], "br");
        assert_ne!(br.headers()[ETAG], plain_tag);
        let mut decoded = Vec::new();
        let body = br.into_body().into_bytes().await.unwrap();
        brotli::Decompressor::new(&body[..], 4096)
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, original);
    }

    #[tokio::test]
    async fn a_client_holding_the_representation_gets_304_without_a_body() {
        let page = page();
        let first = page.answer(&headers(&[(ACCEPT_ENCODING, "gzip")])).await;
        let tag = first.headers()[ETAG].to_str().unwrap().to_owned();
        let again = page
            .answer(&headers(&[
                (ACCEPT_ENCODING, "gzip"),
                (IF_NONE_MATCH, &tag),
            ]))
            .await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[ETAG], tag.as_str());
        assert!(again.into_body().into_bytes().await.unwrap().is_empty());
        // The same tag does not stand for the uncompressed representation.
        let other = page.answer(&headers(&[(IF_NONE_MATCH, &tag)])).await;
        assert_eq!(other.status(), StatusCode::OK);
    }
}
