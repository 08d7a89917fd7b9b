//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, off in every build of the
//! service): the edge's own parsers, called the way a request calls them, each answering what
//! the request would have been told. Nothing here is a second implementation of a rule.

use std::net::IpAddr;

use poem::http::header::AUTHORIZATION;
use poem::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use poem::{IntoResponse, Request};
use poem_openapi::types::ParseFromJSON;
use seckiller_application::purchases::keyed_purchase_id;
use seckiller_domain::{ActivityId, IdempotencyKey, UserId};
use uuid::Uuid;

use crate::dto::{
    ActivityPatch, ActivityRequest, BulkBuyersRequest, ProductPatch, ProductRequest,
    PurchaseRequestDto, RateLimitDto, RegisterRequest, SignInRequest,
};
use crate::problem::ApiError;

/// A JSON request body the API reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestBody {
    /// `POST /users`
    Register,
    /// `POST /sessions`
    SignIn,
    /// `POST /admin/products`
    Product,
    /// `PATCH /admin/products/{id}`
    ProductPatch,
    /// `POST /admin/activities`
    Activity,
    /// `PATCH /admin/activities/{id}`
    ActivityPatch,
    /// `POST /activities/{id}/purchases`
    Purchase,
    /// `POST /admin/buyers`
    BulkBuyers,
    /// `PUT /admin/activities/{id}/rate-limit`
    RateLimit,
}

/// Every body, for targets that pick one from their input.
pub const REQUEST_BODIES: [RequestBody; 9] = [
    RequestBody::Register,
    RequestBody::SignIn,
    RequestBody::Product,
    RequestBody::ProductPatch,
    RequestBody::Activity,
    RequestBody::ActivityPatch,
    RequestBody::Purchase,
    RequestBody::BulkBuyers,
    RequestBody::RateLimit,
];

fn status(error: ApiError) -> u16 {
    error.into_response().status().as_u16()
}

/// Reads `T` from `body` as poem-openapi's `Json<T>` does: the bytes as JSON, then the schema
/// (types, validators, unknown fields); a failure is the 400 it answers.
fn read<T: ParseFromJSON>(body: &[u8]) -> Result<T, u16> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| 400_u16)?;
    T::parse_from_json(Some(value)).map_err(|_| 400)
}

/// What the edge makes of `body` sent as `kind`: `Ok` when it became domain values, else the
/// status of the answer the request would get.
///
/// # Errors
/// The refusal's HTTP status.
pub fn request_body(kind: RequestBody, body: &[u8]) -> Result<(), u16> {
    match kind {
        RequestBody::Register => read::<RegisterRequest>(body)?
            .parse()
            .map(drop)
            .map_err(status),
        RequestBody::SignIn => read::<SignInRequest>(body).map(drop),
        RequestBody::Product => read::<ProductRequest>(body)?
            .parse()
            .map(drop)
            .map_err(status),
        RequestBody::ProductPatch => read::<ProductPatch>(body)?
            .parse()
            .map(drop)
            .map_err(status),
        RequestBody::Activity => read::<ActivityRequest>(body)?
            .parse()
            .map(drop)
            .map_err(status),
        RequestBody::ActivityPatch => read::<ActivityPatch>(body)?
            .parse()
            .map(drop)
            .map_err(status),
        RequestBody::Purchase => read::<PurchaseRequestDto>(body)?
            .quantity()
            .map(drop)
            .map_err(status),
        RequestBody::BulkBuyers => read::<BulkBuyersRequest>(body).map(drop),
        RequestBody::RateLimit => read::<RateLimitDto>(body)?
            .per_second()
            .map(drop)
            .map_err(status),
    }
}

/// The token the edge reads from an `Authorization` header of these bytes, unchecked; `None`
/// when the bytes cannot be a header value or hold no bearer token.
pub fn bearer_token(authorization: &[u8]) -> Option<String> {
    let value = HeaderValue::from_bytes(authorization).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    crate::auth::bearer_token(&headers).map(str::to_owned)
}

/// The sale a request in front of routing is taken to be about: `(purchase, detail)`, the sale
/// of a purchase (or purchase-token) POST and of a detail GET at `path`; `None` for a path that
/// is not a request target.
pub fn hot_path_sale(post: bool, path: &str) -> Option<(Option<Uuid>, Option<Uuid>)> {
    let uri = Uri::try_from(path).ok()?;
    let method = if post { Method::POST } else { Method::GET };
    let request = Request::builder().method(method).uri(uri).finish();
    Some((
        crate::hot_answers::purchase_of(&request).map(|a| a.as_uuid()),
        crate::hot_answers::detail_of(&request).map(|a| a.as_uuid()),
    ))
}

/// The client address the rate limits charge, for a request from `peer` with these headers
/// (each a name and a value; pairs that cannot be headers are left out, as no client can send
/// them) when `trusted` are the trusted proxies.
pub fn client_ip(peer: IpAddr, headers: &[(&[u8], &[u8])], trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            map.append(name, value);
        }
    }
    crate::flow_control::client_ip(Some(peer), &map, trusted)
}

/// The purchase id an `Idempotency-Key` header of these bytes names for `buyer` in `sale`, as the
/// purchase endpoint reads it (a header value as text, 1 to 255 characters); `None` when it is
/// refused.
pub fn idempotency_key(buyer: Uuid, sale: Uuid, header: &[u8]) -> Option<Uuid> {
    let value = HeaderValue::from_bytes(header).ok()?;
    let key = value.to_str().ok()?;
    if !(1..=IdempotencyKey::MAX_LEN).contains(&key.chars().count()) {
        return None;
    }
    Some(keyed_purchase_id(UserId::from_uuid(buyer), ActivityId::from_uuid(sale), key).as_uuid())
}
