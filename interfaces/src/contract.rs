//! The error answers each operation may give, and nothing more: the OpenAPI document lists
//! exactly these per operation (see `openapi_document`), so a client, an SDK and Schemathesis's
//! status check all see the real contract.
//!
//! An operation's statuses come from two places: every variant of its use case's error enum,
//! put through the one mapping (`error_mapping`), so they cannot drift from the code; and what
//! the edge adds by the operation's shape (a body, a bearer token, the admin role, a rate limit).
//! Adding an operation is one line in [`operations`]; a test fails for an operation without one.

use std::collections::{BTreeMap, BTreeSet};

use seckiller_application::EveryVariant;
use seckiller_application::Unavailable;
use seckiller_application::accounts::{
    BulkBuyersError, ChangePasswordError, MeError, RefreshError, RegisterError, SignInError,
    SignOutError,
};
use seckiller_application::activities::{
    ChangeActivityError, CreateActivityError, GetActivityError,
};
use seckiller_application::catalog::{ProductError, ProductQueryError};
use seckiller_application::idempotency::IdempotencyError;
use seckiller_application::order_actions::{CancelOrderError, PayError};
use seckiller_application::orders::OrderQueryError;
use seckiller_application::purchases::{PurchaseError, PurchaseStatusError, TokenRequestError};
use tracing::subscriber::NoSubscriber;

use crate::problem::ApiError;

/// What an operation's shape brings to its error answers, whatever its use case.
#[derive(Debug, Clone, Copy)]
enum Edge {
    /// Path, query or header parameters the framework parses: 400 when one is unreadable or
    /// breaks its documented rule.
    Params,
    /// A JSON body: unreadable (400), too slow (408), too large (413), not JSON (415).
    Body,
    /// A body whose fields are turned into domain values at the edge (`dto`): 422 when one
    /// breaks a rule the schema cannot state.
    Rules,
    /// A bearer token is required (`auth::caller`): 401 without a valid one.
    SignedIn,
    /// The admin role is required (`auth::admin`): 401 as above, 403 for a buyer.
    Admin,
    /// Behind a rate limit of `flow_control`: 429.
    RateLimited,
    /// Takes an `Idempotency-Key` (`idempotency`): 400 for an unreadable key, 409 while a request
    /// under it runs, 422 when it names another request.
    Keyed,
}

/// The error answers of one operation: each status with the codes it may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Responses(BTreeMap<u16, BTreeSet<String>>);

impl Responses {
    /// What any request may get: 503 `overloaded` past the node's in-flight cap (answered
    /// before routing).
    fn any() -> Self {
        Self::default().with(503, "overloaded")
    }

    fn with(mut self, status: u16, code: &str) -> Self {
        self.0.entry(status).or_default().insert(code.to_owned());
        self
    }

    /// Every failure of the use case, as the one mapping answers it.
    fn fails_with<E: EveryVariant + Into<ApiError>>(mut self) -> Self {
        for error in E::every_variant() {
            // An example outage is no outage: keep `ApiError::unavailable` from logging it.
            let api: ApiError =
                tracing::subscriber::with_default(NoSubscriber::default(), || error.into());
            let problem = api.problem();
            self = self.with(problem.status, problem.code.as_str());
        }
        self
    }

    /// What the edge adds to an operation of this shape.
    fn at_the_edge(self, edge: Edge) -> Self {
        match edge {
            Edge::Params => self.with(400, "bad_request"),
            Edge::Body => self
                .with(400, "bad_request")
                .with(408, "request_timeout")
                .with(413, "payload_too_large")
                .with(415, "unsupported_media_type"),
            Edge::Rules => self.with(422, "validation_failed"),
            Edge::SignedIn => self
                .with(401, "unauthorized")
                .with(401, "invalid_token")
                .with(401, "token_expired"),
            Edge::Admin => self.at_the_edge(Edge::SignedIn).with(403, "forbidden"),
            Edge::RateLimited => self.with(429, "rate_limited"),
            Edge::Keyed => self
                .at_the_edge(Edge::Params)
                .fails_with::<IdempotencyError>(),
        }
    }

    /// The statuses, in order.
    pub fn statuses(&self) -> impl Iterator<Item = u16> + '_ {
        self.0.keys().copied()
    }

    /// The codes `status` may carry, in order.
    pub fn codes(&self, status: u16) -> impl Iterator<Item = &str> + '_ {
        self.0
            .get(&status)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }
}

/// One operation: `E` is its use case's error enum, `edge` its shape.
fn op<E: EveryVariant + Into<ApiError>>(
    operation_id: &'static str,
    edge: &[Edge],
) -> (&'static str, Responses) {
    let responses = edge
        .iter()
        .fold(Responses::any(), |r, e| r.at_the_edge(*e))
        .fails_with::<E>();
    (operation_id, responses)
}

/// Every operation of the API by `operationId`, with its error answers. A listing whose use
/// case fails only when storage does says `Unavailable`: its enum's `NotFound` is for the
/// single-item reads.
#[rustfmt::skip]
pub fn operations() -> Vec<(&'static str, Responses)> {
    use Edge::{Admin, Body, Keyed, Params, RateLimited, Rules, SignedIn};
    vec![
        op::<RegisterError>("register", &[Body, Rules, RateLimited, Keyed]),
        op::<SignInError>("signIn", &[Body, RateLimited]),
        op::<RefreshError>("refreshSession", &[Body, RateLimited]),
        op::<SignOutError>("signOut", &[SignedIn]),
        op::<MeError>("me", &[SignedIn]),
        op::<ChangePasswordError>("changePassword", &[SignedIn, Body, RateLimited]),
        op::<ProductQueryError>("getProduct", &[Params]),
        op::<Unavailable>("createProduct", &[Admin, Body, Rules, Keyed]),
        op::<ProductError>("editProduct", &[Admin, Params, Body, Rules]),
        op::<Unavailable>("listActivities", &[Params]),
        op::<GetActivityError>("getActivity", &[Params]),
        op::<TokenRequestError>("requestPurchaseToken", &[SignedIn, Params, RateLimited]),
        op::<PurchaseError>("purchase", &[SignedIn, Params, Body, Rules, RateLimited]),
        op::<PurchaseStatusError>("getPurchase", &[SignedIn, Params]),
        op::<Unavailable>("listOrders", &[SignedIn, Params]),
        op::<OrderQueryError>("getOrder", &[SignedIn, Params]),
        op::<PayError>("payOrder", &[SignedIn, Params, Keyed]),
        op::<CancelOrderError>("cancelOrder", &[SignedIn, Params, Keyed]),
        op::<CreateActivityError>("createActivity", &[Admin, Body, Rules, Keyed]),
        op::<Unavailable>("adminListActivities", &[Admin, Params]),
        op::<GetActivityError>("adminGetActivity", &[Admin, Params]),
        op::<ChangeActivityError>("editActivity", &[Admin, Params, Body, Rules]),
        op::<ChangeActivityError>("publishActivity", &[Admin, Params, Keyed]),
        op::<ChangeActivityError>("cancelActivity", &[Admin, Params, Keyed]),
        op::<GetActivityError>("activityStats", &[Admin, Params]),
        op::<BulkBuyersError>("createBuyers", &[Admin, Body, Keyed]),
        op::<GetActivityError>("setActivityRateLimit", &[Admin, Params, Body, Rules]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(operation_id: &str) -> Responses {
        operations()
            .into_iter()
            .find(|(id, _)| *id == operation_id)
            .map(|(_, responses)| responses)
            .unwrap()
    }

    #[test]
    fn a_product_read_cannot_be_declined_payment_and_a_payment_can() {
        let product: Vec<u16> = of("getProduct").statuses().collect();
        assert_eq!(product, [400, 404, 503]);
        assert!(of("payOrder").statuses().any(|s| s == 402));
    }

    #[test]
    fn the_codes_of_a_status_come_from_the_mapping() {
        let purchase = of("purchase");
        let conflicts: Vec<&str> = purchase.codes(409).collect();
        assert_eq!(conflicts, ["limit_reached", "sold_out"]);
        let gone: Vec<&str> = purchase.codes(410).collect();
        assert_eq!(gone, ["activity_cancelled", "ended"]);
        assert_eq!(purchase.codes(425).collect::<Vec<_>>(), ["not_started"]);
    }

    #[test]
    fn each_operation_is_listed_once() {
        let all = operations();
        let ids: BTreeSet<&str> = all.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids.len(), all.len());
    }
}
