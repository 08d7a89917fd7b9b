//! One example of every variant of each operation's error enum, so the HTTP edge can derive
//! from the enums themselves which statuses each operation may answer (its OpenAPI document
//! lists exactly those). Each list below is checked by an exhaustive `match`: a new variant does
//! not compile until it is listed here, so the document cannot forget a failure.

use seckiller_domain::ActivityError;

use crate::Unavailable;
use crate::accounts::{
    BulkBuyersError, ChangePasswordError, MeError, RefreshError, RegisterError, SignInError,
    SignOutError, WeakPassword,
};
use crate::activities::{ChangeActivityError, CreateActivityError, GetActivityError};
use crate::catalog::{ProductError, ProductQueryError};
use crate::idempotency::IdempotencyError;
use crate::order_actions::{CancelOrderError, PayError};
use crate::orders::OrderQueryError;
use crate::purchases::{PurchaseError, PurchaseStatusError, TokenRequestError};

/// A type whose every variant can be shown by example.
pub trait EveryVariant: Sized {
    /// At least one value of each variant (nested enums expanded into each of theirs).
    fn every_variant() -> Vec<Self>;
}

/// `every_variant!(Error { pattern => examples, … })`: each arm names a variant by pattern and
/// gives its examples (anything iterable). The patterns form an exhaustive match that is never
/// run; it only fails to compile when an arm is missing.
macro_rules! every_variant {
    ($error:ty { $($pattern:pat => $examples:expr),+ $(,)? }) => {
        impl EveryVariant for $error {
            fn every_variant() -> Vec<Self> {
                let _every_variant_is_listed = |e: &Self| match e {
                    $($pattern => ()),+
                };
                let mut all = Vec::new();
                $(all.extend($examples);)+
                all
            }
        }
    };
}

fn unavailable() -> Unavailable {
    Unavailable::said("an example outage")
}

every_variant!(Unavailable {
    Unavailable(_) => [unavailable()],
});

every_variant!(ActivityError {
    Self::WindowInPast => [Self::WindowInPast],
    Self::FreeSale => [Self::FreeSale],
    Self::EndBeforeStart => [Self::EndBeforeStart],
    Self::BadPaymentWindow { .. } => [Self::BadPaymentWindow { min: 60, max: 86_400 }],
    Self::AlreadyStarted => [Self::AlreadyStarted],
    Self::AlreadyPublished => [Self::AlreadyPublished],
    Self::Cancelled => [Self::Cancelled],
    Self::Ended => [Self::Ended],
});

every_variant!(ChangePasswordError {
    Self::WrongPassword => [Self::WrongPassword],
    Self::WeakPassword(_) => [Self::WeakPassword(WeakPassword::OnlyWhitespace)],
    Self::Gone => [Self::Gone],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(RefreshError {
    Self::Refused => [Self::Refused],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(SignOutError {
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(RegisterError {
    Self::UsernameTaken => [Self::UsernameTaken],
    Self::WeakPassword(_) => [Self::WeakPassword(WeakPassword::OnlyWhitespace)],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(SignInError {
    Self::BadCredentials => [Self::BadCredentials],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(MeError {
    Self::Gone => [Self::Gone],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(BulkBuyersError {
    Self::BadCount { .. } => [Self::BadCount { max: 1000 }],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(IdempotencyError {
    Self::KeyReused => [Self::KeyReused],
    Self::InProgress { .. } => [Self::InProgress { retry_after: std::time::Duration::from_secs(1) }],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(ProductQueryError {
    Self::NotFound => [Self::NotFound],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(ProductError {
    Self::NotFound => [Self::NotFound],
    Self::OnSale(_) => [Self::OnSale("the product is on sale".to_owned())],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(CreateActivityError {
    Self::ProductNotFound => [Self::ProductNotFound],
    Self::CurrencyMismatch { .. } => [Self::CurrencyMismatch { product: "USD".to_owned() }],
    Self::PriceNotBelowProduct { .. } => [Self::PriceNotBelowProduct { product_minor: 1_000 }],
    Self::Rule(_) => ActivityError::every_variant().into_iter().map(Self::Rule),
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(ChangeActivityError {
    Self::NotFound => [Self::NotFound],
    Self::ProductNotFound => [Self::ProductNotFound],
    Self::CurrencyMismatch { .. } => [Self::CurrencyMismatch { product: "USD".to_owned() }],
    Self::PriceNotBelowProduct { .. } => [Self::PriceNotBelowProduct { product_minor: 1_000 }],
    Self::Rule(_) => ActivityError::every_variant().into_iter().map(Self::Rule),
    Self::Conflict => [Self::Conflict],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(GetActivityError {
    Self::NotFound => [Self::NotFound],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(TokenRequestError {
    Self::NotFound => [Self::NotFound],
    Self::NotStarted => [Self::NotStarted],
    Self::Ended => [Self::Ended],
    Self::Cancelled => [Self::Cancelled],
    Self::SoldOut => [Self::SoldOut],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(PurchaseError {
    Self::NotFound => [Self::NotFound],
    Self::IdempotencyKeyReused => [Self::IdempotencyKeyReused],
    Self::NotStarted => [Self::NotStarted],
    Self::Ended => [Self::Ended],
    Self::Cancelled => [Self::Cancelled],
    Self::SoldOut => [Self::SoldOut],
    Self::LimitReached { .. } => [Self::LimitReached { limit: 1 }],
    Self::BadToken => [Self::BadToken],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(PurchaseStatusError {
    Self::NotFound => [Self::NotFound],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(OrderQueryError {
    Self::NotFound => [Self::NotFound],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(PayError {
    Self::NotFound => [Self::NotFound],
    Self::Expired => [Self::Expired],
    Self::Cancelled => [Self::Cancelled],
    Self::Declined(_) => [Self::Declined("an example refusal".to_owned())],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

every_variant!(CancelOrderError {
    Self::NotFound => [Self::NotFound],
    Self::AlreadyPaid => [Self::AlreadyPaid],
    Self::Expired => [Self::Expired],
    Self::CancelledBySale => [Self::CancelledBySale],
    Self::Unavailable(_) => [Self::Unavailable(unavailable())],
});

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::mem::discriminant;

    use super::*;

    #[test]
    fn nested_rules_are_expanded_into_each_of_theirs() {
        let rules = ActivityError::every_variant().len();
        let create = CreateActivityError::every_variant();
        // Every rule, and one example of each of the four other variants.
        assert_eq!(create.len(), rules + 4);
        let kinds: HashSet<_> = create.iter().map(discriminant).collect();
        assert_eq!(kinds.len(), 5);
    }

    #[test]
    fn each_example_of_a_flat_enum_is_another_variant() {
        let purchase = PurchaseError::every_variant();
        let kinds: HashSet<_> = purchase.iter().map(discriminant).collect();
        assert_eq!(kinds.len(), purchase.len());
        assert!(purchase.contains(&PurchaseError::BadToken));
    }
}
