//! Every machine-readable code an error answer can carry, as one enum: a handler, a layer or a
//! canned answer names its code by variant, so a misspelt code does not compile, and the OpenAPI
//! document lists every value a client may meet. On the wire each is snake_case.

/// Declares the codes once: the enum, its wire names and the list of all of them.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $wire:literal,)+) => {
        /// The stable `code` of a problem answer; clients branch on it, never on the wording.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ #[oai(rename = $wire)] $variant,)+
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            /// The code as written on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }
    };
}

error_codes! {
    /// The request could not be read (malformed JSON, wrong types, a bad path or header).
    BadRequest = "bad_request",
    /// A field is well-formed but breaks a rule.
    ValidationFailed = "validation_failed",
    /// No bearer token, or one that proves nobody.
    Unauthorized = "unauthorized",
    /// The bearer token is malformed, forged or signed by an unknown key.
    InvalidToken = "invalid_token",
    /// The bearer token has expired; refresh the session.
    TokenExpired = "token_expired",
    /// Signed in, but not allowed.
    Forbidden = "forbidden",
    /// Nothing with that id is visible to the caller.
    NotFound = "not_found",
    /// The path exists, but not for this method.
    MethodNotAllowed = "method_not_allowed",
    /// The answer cannot be given in a form the client accepts.
    NotAcceptable = "not_acceptable",
    /// The body did not arrive within the body-read deadline.
    RequestTimeout = "request_timeout",
    /// A body needs a length.
    LengthRequired = "length_required",
    /// The body is larger than the service accepts.
    PayloadTooLarge = "payload_too_large",
    /// The body is not `application/json`.
    UnsupportedMediaType = "unsupported_media_type",
    /// Over a rate limit; retry after `Retry-After`.
    RateLimited = "rate_limited",
    /// The node is serving as many requests as it may; retry after `Retry-After`.
    Overloaded = "overloaded",
    /// A dependency is unavailable; nothing changed; retry after `Retry-After`.
    Unavailable = "unavailable",
    /// An error the service did not expect; nothing is known to have changed.
    Internal = "internal",
    /// Any other error status the framework produced.
    Error = "error",
    /// The username is taken.
    UsernameTaken = "username_taken",
    /// The password is too weak for the account's role.
    WeakPassword = "weak_password",
    /// The current password given is wrong.
    WrongPassword = "wrong_password",
    /// Unknown username or wrong password.
    BadCredentials = "bad_credentials",
    /// The refresh token is unknown, spent or expired.
    InvalidRefreshToken = "invalid_refresh_token",
    /// The product has a live sale; its currency and price floor are frozen.
    ProductOnSale = "product_on_sale",
    /// The sale has started; its stock and times are frozen.
    AlreadyStarted = "already_started",
    /// The sale is published already.
    AlreadyPublished = "already_published",
    /// The sale was called off.
    ActivityCancelled = "activity_cancelled",
    /// The sale has ended.
    Ended = "ended",
    /// The sale has not started yet.
    NotStarted = "not_started",
    /// Someone else changed the sale meanwhile; read it again.
    EditConflict = "edit_conflict",
    /// Nothing is left to buy.
    SoldOut = "sold_out",
    /// The buyer would pass the sale's per-buyer limit.
    LimitReached = "limit_reached",
    /// The purchase token is missing, forged, expired or for another buyer or sale.
    BadToken = "bad_token",
    /// The Idempotency-Key was used for another request.
    IdempotencyKeyReused = "idempotency_key_reused",
    /// A request under the same Idempotency-Key is still running.
    IdempotencyKeyInUse = "idempotency_key_in_use",
    /// The order's payment window has passed.
    OrderExpired = "order_expired",
    /// The order is cancelled.
    OrderCancelled = "order_cancelled",
    /// The order is paid and can no longer be cancelled.
    OrderPaid = "order_paid",
    /// The payment provider declined the charge; nothing was taken.
    PaymentDeclined = "payment_declined",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_distinct_snake_case_named_after_its_variant() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let wire = code.as_str();
            assert!(seen.insert(wire), "{wire} twice");
            assert!(
                wire.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{wire}"
            );
            let variant = format!("{code:?}");
            assert_eq!(variant.to_lowercase(), wire.replace('_', ""), "{variant}");
        }
    }
}
