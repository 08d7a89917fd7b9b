//! The set of ports one wiring provides. Services are generic over this one parameter instead of
//! a dozen, and monomorphised per wiring: no dynamic dispatch on request paths.

use seckiller_domain::ports::{
    ActivityRepository, Clock, IdSource, IdempotencyStore, OrderRepository, PasswordHasher,
    PaymentProvider, ProductRepository, PurchaseFeed, PurchaseQueue, PurchaseTokenService,
    RestockNotifier, SessionStore, StockGate, TokenService, UserRepository,
};

/// The adapters a wiring plugs into the use cases.
pub trait Adapters: Send + Sync + 'static {
    /// Accounts storage.
    type Users: UserRepository;
    /// Catalogue storage.
    type Products: ProductRepository;
    /// Activity and stock storage.
    type Activities: ActivityRepository;
    /// Orders storage.
    type Orders: OrderRepository;
    /// Sign-in sessions and their refresh tokens.
    type Sessions: SessionStore;
    /// Password hashing.
    type Hasher: PasswordHasher;
    /// Bearer and purchase tokens.
    type Tokens: TokenService + PurchaseTokenService;
    /// The atomic stock gate.
    type Gate: StockGate;
    /// The durable purchase queue, both ends.
    type Queue: PurchaseQueue + PurchaseFeed;
    /// Restock announcements to every node.
    type Restock: RestockNotifier;
    /// The payment provider.
    type Payments: PaymentProvider;
    /// The clock.
    type Clock: Clock;
    /// Fresh ids.
    type Ids: IdSource;
    /// Keyed requests and their answers.
    type Idempotency: IdempotencyStore;

    /// Accounts storage.
    fn users(&self) -> &Self::Users;
    /// Catalogue storage.
    fn products(&self) -> &Self::Products;
    /// Activity and stock storage.
    fn activities(&self) -> &Self::Activities;
    /// Orders storage.
    fn orders(&self) -> &Self::Orders;
    /// Sign-in sessions and their refresh tokens.
    fn sessions(&self) -> &Self::Sessions;
    /// Password hashing.
    fn hasher(&self) -> &Self::Hasher;
    /// Bearer and purchase tokens.
    fn tokens(&self) -> &Self::Tokens;
    /// The stock gate.
    fn gate(&self) -> &Self::Gate;
    /// The purchase queue.
    fn queue(&self) -> &Self::Queue;
    /// Restock announcements.
    fn restock(&self) -> &Self::Restock;
    /// The payment provider.
    fn payments(&self) -> &Self::Payments;
    /// The clock.
    fn clock(&self) -> &Self::Clock;
    /// Fresh ids.
    fn ids(&self) -> &Self::Ids;
    /// Keyed requests and their answers.
    fn idempotency(&self) -> &Self::Idempotency;
}
