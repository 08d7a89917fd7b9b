//! Ports: the traits through which use cases reach the outside world. Adapters implement them in
//! the infrastructure crates; tests implement them with mocks or the in-memory adapters.
//!
//! Async methods return `impl Future + Send` so services can be generic over them (no boxing on
//! the hot path) and still run on a multi-threaded executor.

mod cause;
mod credentials;
mod gate;
mod idempotency;
mod orders;
mod payment;
mod queue;
mod repositories;
mod restock;
mod sessions;
mod time;

pub use cause::{Cause, chain};
pub use credentials::{
    CredentialError, PasswordHasher, PurchaseGrant, PurchaseTokenService, SessionClaims,
    TokenError, TokenService,
};
pub use gate::{GateDecision, GateError, StockGate};
pub use idempotency::{Claim, IdempotencyStore, KeyClaim};
pub use orders::{MoveOutcome, OrderRepository, OrderTotals, RecordOutcome, Rejection};
pub use payment::{PaymentError, PaymentProvider, PaymentReceipt};
pub use queue::{
    Delivery, DeliveryReceipt, PublishError, PublishOutlook, PurchaseFeed, PurchaseQueue,
    QueueError,
};
pub use repositories::{
    ActivityRecord, ActivityRepository, InsertUserError, ProductRepository, StorageError,
    UpdateActivityError, UserRepository,
};
pub use restock::{AnnounceError, RestockNotifier};
pub use sessions::{NewSession, RefreshGrant, RefreshRefusal, Rotation, SessionStore, TokenDigest};
pub use time::{Clock, IdSource};

#[cfg(feature = "mocks")]
pub use credentials::{MockPasswordHasher, MockPurchaseTokenService, MockTokenService};
#[cfg(feature = "mocks")]
pub use idempotency::MockIdempotencyStore;
#[cfg(feature = "mocks")]
pub use orders::MockOrderRepository;
#[cfg(feature = "mocks")]
pub use payment::MockPaymentProvider;
#[cfg(feature = "mocks")]
pub use repositories::{MockActivityRepository, MockProductRepository, MockUserRepository};
#[cfg(feature = "mocks")]
pub use sessions::MockSessionStore;
#[cfg(feature = "mocks")]
pub use time::{MockClock, MockIdSource};
