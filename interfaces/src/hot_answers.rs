//! The flash sale's two hottest answers, given in front of routing and every middleware layer.
//!
//! Once a node knows a sale is sold out, the crowd still hammers "buy" on it (and asks for
//! purchase tokens to buy with), and every one of those requests gets the same 409 `sold_out`. Such a request is answered here from a body made
//! once, with no routing, no JSON parsing, no signature check and no IO, so a sold-out sale costs
//! the node about what a static file costs a web server. Everything else, including a request
//! without a bearer token (it gets its 401 as before), passes through untouched.
//!
//! A purchase carrying an `Idempotency-Key` may be the retry of one that was accepted before the
//! sale sold out (its answer lost, say because its node died), and must get that purchase back.
//! Its purchase id derives from the buyer, the sale and the key, and the flag knows the ids the
//! gate had accepted: so the bearer token's signature is checked (still no IO), the id derived,
//! and only an id the flag knows — or a bearer token that proves nobody, which the API answers
//! 401 — passes through; any other key hears sold out here like an unkeyed request.
//!
//! The other is the public activity detail that every waiting buyer re-reads: answered here from
//! the activity cache and a body rendered once per change of the sale (see [`DetailBodies`]); a
//! read that fails (unknown sale, storage down) gets the API's own problem answer.

mod detail_bodies;

use poem::http::Method;
use poem::http::header::X_CONTENT_TYPE_OPTIONS;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use seckiller_application::Adapters;
use seckiller_application::accounts::Accounts;
use seckiller_application::activities::Activities;
use seckiller_application::purchases::{PurchaseError, keyed_purchase_id};
use seckiller_application::sold_out::SoldOutFlags;
use seckiller_domain::{ActivityId, IdempotencyKey};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::auth::bearer_token;
use crate::canned_answer::CannedAnswer;
use crate::no_sniff::NOSNIFF;
use crate::problem::ApiError;
use detail_bodies::DetailBodies;

/// Activities whose rendered detail a node keeps.
const DETAIL_CAPACITY: usize = 1_000;

/// Answers purchases of sales this node knows are sold out, and public activity details.
pub(crate) struct HotAnswers<A: Adapters> {
    /// The node's sold-out flags.
    pub sold_out: SoldOutFlags,
    /// The activity reads, with their cache.
    pub activities: Activities<A>,
    /// Bearer tokens' verification (by signature, no IO), for keyed purchases.
    pub accounts: Accounts<A>,
}

impl<A: Adapters, E: Endpoint> Middleware<E> for HotAnswers<A> {
    type Output = HotAnswersEndpoint<A, E>;

    fn transform(&self, inner: E) -> Self::Output {
        HotAnswersEndpoint {
            inner,
            sold_out: self.sold_out.clone(),
            sold_out_answer: OnceCell::new(),
            activities: self.activities.clone(),
            accounts: self.accounts.clone(),
            details: DetailBodies::new(DETAIL_CAPACITY),
        }
    }
}

/// The wrapped application.
pub(crate) struct HotAnswersEndpoint<A: Adapters, E> {
    inner: E,
    sold_out: SoldOutFlags,
    sold_out_answer: OnceCell<CannedAnswer>,
    activities: Activities<A>,
    accounts: Accounts<A>,
    details: DetailBodies,
}

/// The sale `path` names when it is `/api/v1/activities/{id}` followed by `rest`.
fn activity_in(path: &str, rest: &str) -> Option<ActivityId> {
    let id = path
        .strip_prefix("/api/v1/activities/")?
        .strip_suffix(rest)?;
    Uuid::try_parse(id).ok().map(ActivityId::from_uuid)
}

/// The sale a `POST /api/v1/activities/{id}/purchases` or `…/purchase-tokens` is for: both are
/// answered `sold_out` once the sale is.
pub(crate) fn purchase_of(req: &Request) -> Option<ActivityId> {
    if req.method() != Method::POST {
        return None;
    }
    let path = req.uri().path();
    activity_in(path, "/purchases").or_else(|| activity_in(path, "/purchase-tokens"))
}

/// The sale a `GET /api/v1/activities/{id}` reads.
pub(crate) fn detail_of(req: &Request) -> Option<ActivityId> {
    (req.method() == Method::GET)
        .then(|| activity_in(req.uri().path(), ""))
        .flatten()
}

/// Whether the request carries a bearer token at all; its signature is not checked, as the
/// purchase endpoint does not check it before the sold-out flag either.
fn has_bearer(req: &Request) -> bool {
    bearer_token(req.headers()).is_some()
}

/// The `Idempotency-Key` of a `POST …/purchases`, if it carries one (a purchase-token request
/// has no purchase to replay).
fn purchase_key(req: &Request) -> Option<Result<&str, ()>> {
    let key = req.headers().get("idempotency-key")?;
    if !req.uri().path().ends_with("/purchases") {
        return None;
    }
    Some(key.to_str().map_err(|_| ()))
}

impl<A: Adapters, E> HotAnswersEndpoint<A, E> {
    /// Whether a request of a sale known sold out is answered "sold out" here. Unkeyed: yes.
    /// Keyed: unless its purchase is one the flag lets through, or the API must answer it
    /// (a bearer token that proves nobody, a key the API refuses as malformed).
    fn refuses(&self, req: &Request, activity: ActivityId) -> bool {
        let Some(key) = purchase_key(req) else {
            return true;
        };
        let (Ok(key), Some(token)) = (key, bearer_token(req.headers())) else {
            return false;
        };
        if key.is_empty() || key.len() > IdempotencyKey::MAX_LEN {
            return false;
        }
        match self.accounts.authenticate(token) {
            Ok(caller) => self.sold_out.refuses(
                activity,
                Some(keyed_purchase_id(caller.user_id, activity, key)),
            ),
            Err(_) => false,
        }
    }
}

impl<A: Adapters, E: Endpoint> Endpoint for HotAnswersEndpoint<A, E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Some(activity) = purchase_of(&req)
            && self.sold_out.is_sold_out(activity)
            && has_bearer(&req)
            && self.refuses(&req, activity)
        {
            let answer = self
                .sold_out_answer
                .get_or_init(|| CannedAnswer::render(PurchaseError::SoldOut.into()))
                .await;
            return Ok(answer.response());
        }
        if let Some(activity) = detail_of(&req) {
            let mut response = match self.activities.get(activity).await {
                Ok(view) => self.details.answer(view).await,
                // The API's own mapping, so an unknown id costs one storage read, not two.
                Err(error) => ApiError::from(error).into_response(),
            };
            response
                .headers_mut()
                .insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
            return Ok(response);
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use poem::http::Uri;
    use poem::http::header::AUTHORIZATION;

    use super::*;

    fn request(method: Method, path: &str, authorization: Option<&str>) -> Request {
        let mut builder = Request::builder()
            .method(method)
            .uri(Uri::try_from(path).expect("a valid path"));
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.finish()
    }

    const SALE: &str = "0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21";

    #[test]
    fn only_a_purchase_or_token_post_names_its_sale() {
        let purchase = format!("/api/v1/activities/{SALE}/purchases");
        assert_eq!(
            purchase_of(&request(Method::POST, &purchase, None)).map(|a| a.as_uuid().to_string()),
            Some(SALE.to_owned())
        );
        assert_eq!(purchase_of(&request(Method::GET, &purchase, None)), None);
        assert_eq!(detail_of(&request(Method::GET, &purchase, None)), None);
        let tokens = format!("/api/v1/activities/{SALE}/purchase-tokens");
        assert_eq!(
            purchase_of(&request(Method::POST, &tokens, None)).map(|a| a.as_uuid().to_string()),
            Some(SALE.to_owned())
        );
        for other in [
            format!("/api/v1/activities/{SALE}/purchase-tokens/x"),
            format!("/api/v1/activities/{SALE}"),
            "/api/v1/activities/not-a-uuid/purchases".to_owned(),
            format!("/api/v2/activities/{SALE}/purchases"),
        ] {
            assert_eq!(
                purchase_of(&request(Method::POST, &other, None)),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn only_a_detail_get_names_its_sale() {
        let detail = format!("/api/v1/activities/{SALE}");
        assert_eq!(
            detail_of(&request(Method::GET, &detail, None)).map(|a| a.as_uuid().to_string()),
            Some(SALE.to_owned())
        );
        assert_eq!(detail_of(&request(Method::POST, &detail, None)), None);
        for other in [
            format!("/api/v1/activities/{SALE}/"),
            format!("/api/v1/admin/activities/{SALE}"),
            "/api/v1/activities/".to_owned(),
        ] {
            assert_eq!(
                detail_of(&request(Method::GET, &other, None)),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn only_a_purchase_carries_a_key_to_replay() {
        let keyed = |path: &str| {
            let mut req = request(Method::POST, path, None);
            req.headers_mut().insert(
                "idempotency-key",
                poem::http::HeaderValue::from_static("k1"),
            );
            req
        };
        let purchases = format!("/api/v1/activities/{SALE}/purchases");
        assert_eq!(purchase_key(&keyed(&purchases)), Some(Ok("k1")));
        assert_eq!(purchase_key(&request(Method::POST, &purchases, None)), None);
        let tokens = format!("/api/v1/activities/{SALE}/purchase-tokens");
        assert_eq!(purchase_key(&keyed(&tokens)), None);
    }

    #[test]
    fn a_bearer_scheme_with_a_token_is_needed() {
        let path = "/";
        assert!(has_bearer(&request(Method::POST, path, Some("Bearer abc"))));
        assert!(has_bearer(&request(Method::POST, path, Some("bearer abc"))));
        assert!(!has_bearer(&request(Method::POST, path, Some("Bearer "))));
        assert!(!has_bearer(&request(Method::POST, path, Some("Basic abc"))));
        assert!(!has_bearer(&request(Method::POST, path, None)));
    }
}
