//! The one place where use-case errors become HTTP answers. Every match is exhaustive, so a new
//! error variant does not compile until someone decides its status and code.

use poem::http::StatusCode;
use seckiller_application::Unavailable;
use seckiller_application::accounts::{
    BulkBuyersError, ChangePasswordError, MeError, RefreshError, RegisterError, SignInError,
    SignOutError, WeakPassword,
};
use seckiller_application::activities::{
    ChangeActivityError, CreateActivityError, GetActivityError,
};
use seckiller_application::catalog::{ProductError, ProductQueryError};
use seckiller_application::idempotency::IdempotencyError;
use seckiller_application::order_actions::{CancelOrderError, PayError};
use seckiller_application::orders::OrderQueryError;
use seckiller_application::purchases::{PurchaseError, PurchaseStatusError, TokenRequestError};
use seckiller_domain::ActivityError;

use crate::error_code::ErrorCode;
use crate::problem::ApiError;

fn conflict(code: ErrorCode, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, detail)
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("no such {what}"),
    )
}

impl From<Unavailable> for ApiError {
    fn from(e: Unavailable) -> Self {
        ApiError::unavailable(e)
    }
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::UsernameTaken => {
                conflict(ErrorCode::UsernameTaken, "that username is taken")
            }
            RegisterError::WeakPassword(weak) => weak.into(),
            RegisterError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

/// 422 `weak_password`, saying which rule the password breaks and how to do better.
impl From<WeakPassword> for ApiError {
    fn from(e: WeakPassword) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WeakPassword,
            format!("password: {e}"),
        )
    }
}

impl From<ChangePasswordError> for ApiError {
    fn from(e: ChangePasswordError) -> Self {
        match e {
            // 403, not 401: the bearer token is good (a client must not sign in again), the
            // proof of the current password is not.
            ChangePasswordError::WrongPassword => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::WrongPassword,
                "current_password is not the account's password",
            ),
            ChangePasswordError::WeakPassword(weak) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::WeakPassword,
                format!("new_password: {weak}"),
            ),
            ChangePasswordError::Gone => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                "the account no longer exists",
            ),
            ChangePasswordError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::BadCredentials,
                "wrong username or password",
            ),
            SignInError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Refused => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidRefreshToken,
                "the refresh token is not valid (unknown, expired, already used or signed out); sign in again",
            ),
            RefreshError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<SignOutError> for ApiError {
    fn from(e: SignOutError) -> Self {
        match e {
            SignOutError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<BulkBuyersError> for ApiError {
    fn from(e: BulkBuyersError) -> Self {
        match e {
            BulkBuyersError::BadCount { max } => {
                ApiError::invalid("count", format!("must be between 1 and {max}"))
            }
            BulkBuyersError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<MeError> for ApiError {
    fn from(e: MeError) -> Self {
        match e {
            MeError::Gone => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                "the account no longer exists",
            ),
            MeError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<ProductQueryError> for ApiError {
    fn from(e: ProductQueryError) -> Self {
        match e {
            ProductQueryError::NotFound => not_found("product"),
            ProductQueryError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<ProductError> for ApiError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::NotFound => not_found("product"),
            ProductError::OnSale(detail) => conflict(ErrorCode::ProductOnSale, detail),
            ProductError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

fn rule(e: ActivityError) -> ApiError {
    let detail = e.to_string();
    match e {
        ActivityError::WindowInPast => ApiError::invalid("ends_at", detail),
        ActivityError::EndBeforeStart => ApiError::invalid("ends_at", detail),
        ActivityError::BadPaymentWindow { .. } => {
            ApiError::invalid("payment_window_seconds", detail)
        }
        ActivityError::AlreadyStarted => conflict(ErrorCode::AlreadyStarted, detail),
        ActivityError::AlreadyPublished => conflict(ErrorCode::AlreadyPublished, detail),
        ActivityError::Cancelled => conflict(ErrorCode::ActivityCancelled, detail),
        ActivityError::Ended => conflict(ErrorCode::Ended, detail),
        ActivityError::FreeSale => ApiError::invalid("sale_price.amount_minor", detail),
    }
}

fn currency_mismatch(product: &str) -> ApiError {
    ApiError::invalid(
        "sale_price.currency",
        format!("must be the product's currency ({product})"),
    )
}

fn price_not_below_product(product_minor: i64) -> ApiError {
    ApiError::invalid(
        "sale_price.amount_minor",
        format!("must be below the product's price ({product_minor} minor units)"),
    )
}

fn unknown_product() -> ApiError {
    ApiError::invalid("product_id", "no such product")
}

impl From<CreateActivityError> for ApiError {
    fn from(e: CreateActivityError) -> Self {
        match e {
            CreateActivityError::ProductNotFound => unknown_product(),
            CreateActivityError::CurrencyMismatch { product } => currency_mismatch(&product),
            CreateActivityError::PriceNotBelowProduct { product_minor } => {
                price_not_below_product(product_minor)
            }
            CreateActivityError::Rule(r) => rule(r),
            CreateActivityError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<ChangeActivityError> for ApiError {
    fn from(e: ChangeActivityError) -> Self {
        match e {
            ChangeActivityError::NotFound => not_found("activity"),
            ChangeActivityError::ProductNotFound => unknown_product(),
            ChangeActivityError::CurrencyMismatch { product } => currency_mismatch(&product),
            ChangeActivityError::PriceNotBelowProduct { product_minor } => {
                price_not_below_product(product_minor)
            }
            ChangeActivityError::Rule(r) => rule(r),
            ChangeActivityError::Conflict => conflict(
                ErrorCode::EditConflict,
                "the activity was changed by someone else; read it again and retry",
            ),
            ChangeActivityError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<GetActivityError> for ApiError {
    fn from(e: GetActivityError) -> Self {
        match e {
            GetActivityError::NotFound => not_found("activity"),
            GetActivityError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

fn too_early() -> ApiError {
    ApiError::new(
        StatusCode::from_u16(425).unwrap_or(StatusCode::CONFLICT),
        ErrorCode::NotStarted,
        "the sale has not started; check its starts_at against server_time",
    )
}

fn ended() -> ApiError {
    ApiError::new(StatusCode::GONE, ErrorCode::Ended, "the sale has ended")
}

fn cancelled() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        ErrorCode::ActivityCancelled,
        "the sale was cancelled",
    )
}

fn sold_out() -> ApiError {
    conflict(ErrorCode::SoldOut, "sold out")
}

impl From<TokenRequestError> for ApiError {
    fn from(e: TokenRequestError) -> Self {
        match e {
            TokenRequestError::NotFound => not_found("activity"),
            TokenRequestError::NotStarted => too_early(),
            TokenRequestError::Ended => ended(),
            TokenRequestError::Cancelled => cancelled(),
            TokenRequestError::SoldOut => sold_out(),
            TokenRequestError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<PurchaseError> for ApiError {
    fn from(e: PurchaseError) -> Self {
        match e {
            PurchaseError::NotFound => not_found("activity"),
            PurchaseError::NotStarted => too_early(),
            PurchaseError::Ended => ended(),
            PurchaseError::Cancelled => cancelled(),
            PurchaseError::SoldOut => sold_out(),
            PurchaseError::LimitReached { limit } => conflict(
                ErrorCode::LimitReached,
                format!("at most {limit} per buyer in this sale"),
            ),
            PurchaseError::BadToken => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::BadToken,
                "the purchase token is missing, expired, or not for this buyer and sale",
            ),
            PurchaseError::IdempotencyKeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for another request in this sale; use a new key",
            ),
            PurchaseError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<PurchaseStatusError> for ApiError {
    fn from(e: PurchaseStatusError) -> Self {
        match e {
            PurchaseStatusError::NotFound => not_found("purchase"),
            PurchaseStatusError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<OrderQueryError> for ApiError {
    fn from(e: OrderQueryError) -> Self {
        match e {
            OrderQueryError::NotFound => not_found("order"),
            OrderQueryError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<PayError> for ApiError {
    fn from(e: PayError) -> Self {
        match e {
            PayError::NotFound => not_found("order"),
            PayError::Expired => conflict(
                ErrorCode::OrderExpired,
                "the payment window has closed; the order is expired and its stock is back on sale",
            ),
            PayError::Cancelled => conflict(ErrorCode::OrderCancelled, "the order is cancelled"),
            PayError::Declined(why) => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                ErrorCode::PaymentDeclined,
                format!("the payment was declined ({why}); nothing was charged"),
            ),
            PayError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<CancelOrderError> for ApiError {
    fn from(e: CancelOrderError) -> Self {
        match e {
            CancelOrderError::NotFound => not_found("order"),
            CancelOrderError::AlreadyPaid => conflict(
                ErrorCode::OrderPaid,
                "the order is paid and can no longer be cancelled",
            ),
            CancelOrderError::Expired => conflict(ErrorCode::OrderExpired, "the order has expired"),
            CancelOrderError::CancelledBySale => conflict(
                ErrorCode::OrderCancelled,
                "the order was cancelled with its sale",
            ),
            CancelOrderError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}

impl From<IdempotencyError> for ApiError {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::KeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for another request; use a new key for a new request",
            ),
            // The edge adds `Retry-After` (see `idempotency.rs`).
            IdempotencyError::InProgress { .. } => conflict(
                ErrorCode::IdempotencyKeyInUse,
                "a request with this Idempotency-Key is still running; retry after Retry-After seconds",
            ),
            IdempotencyError::Unavailable(u) => ApiError::unavailable(u),
        }
    }
}
