//! The set of ports one wiring provides. Services are generic over this one parameter instead of
//! seven, and monomorphised per wiring: no dynamic dispatch on request paths.

use seckiller_domain::ports::{
    ActivityRepository, Clock, IdSource, PasswordHasher, ProductRepository, TokenService,
    UserRepository,
};

/// The adapters a wiring plugs into the use cases.
pub trait Adapters: Send + Sync + 'static {
    /// Accounts storage.
    type Users: UserRepository;
    /// Catalogue storage.
    type Products: ProductRepository;
    /// Activity and stock storage.
    type Activities: ActivityRepository;
    /// Password hashing.
    type Hasher: PasswordHasher;
    /// Bearer tokens.
    type Tokens: TokenService;
    /// The clock.
    type Clock: Clock;
    /// Fresh ids.
    type Ids: IdSource;

    /// Accounts storage.
    fn users(&self) -> &Self::Users;
    /// Catalogue storage.
    fn products(&self) -> &Self::Products;
    /// Activity and stock storage.
    fn activities(&self) -> &Self::Activities;
    /// Password hashing.
    fn hasher(&self) -> &Self::Hasher;
    /// Bearer tokens.
    fn tokens(&self) -> &Self::Tokens;
    /// The clock.
    fn clock(&self) -> &Self::Clock;
    /// Fresh ids.
    fn ids(&self) -> &Self::Ids;
}
