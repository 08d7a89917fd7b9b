//! Test wiring: in-memory repositories, a hand-moved clock, and fast stand-ins for the slow or
//! secret-holding credential adapters. Any repository can be swapped for a mockall mock to make a
//! dependency fail on cue.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use seckiller_domain::ports::{
    ActivityRepository, CredentialError, OrderRepository, PasswordHasher, ProductRepository,
    PurchaseFeed, PurchaseGrant, PurchaseQueue, PurchaseTokenService, SessionClaims, StockGate,
    TokenDigest, TokenError, TokenService, UserRepository,
};
use seckiller_domain::{ActivityId, Password, PasswordHash, Role, SessionId, UserId};
use seckiller_memory::{
    LocalRestockNotifier, ManualClock, MemoryActivityRepository, MemoryIdempotencyStore,
    MemoryOrderRepository, MemoryProductRepository, MemoryPurchaseQueue, MemorySessionStore,
    MemoryStockGate, MemoryUserRepository, PaymentMode, SimulatedPaymentProvider, UuidV7Source,
};

use crate::Adapters;

mod sale;
pub use sale::{Sale, admin, buyer, sale, sale_on, sale_with_window, usd};

/// A fixed, readable starting instant for tests.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
}

/// "Hashes" by prefixing; fast and deterministic. Counts its calls (shared by its clones), so a
/// test can tell how much hashing work a use case did.
#[derive(Debug, Clone, Default)]
pub struct PlainHasher {
    hashes: Arc<AtomicUsize>,
    verifies: Arc<AtomicUsize>,
}

impl PlainHasher {
    /// Passwords hashed so far.
    pub fn hashes(&self) -> usize {
        self.hashes.load(Ordering::SeqCst)
    }

    /// Passwords verified so far.
    pub fn verifies(&self) -> usize {
        self.verifies.load(Ordering::SeqCst)
    }
}

impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, CredentialError> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        Ok(PasswordHash::new(format!("plain:{}", password.expose())))
    }

    async fn verify(
        &self,
        password: Password,
        hash: PasswordHash,
    ) -> Result<bool, CredentialError> {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        Ok(hash.as_str() == format!("plain:{}", password.expose()))
    }
}

/// Tokens as readable text `user|role|session|expiry`; anything else is invalid. Refresh tokens
/// are `refresh-<uuid>`, their digest the same text behind `digest:`.
pub struct PlainTokens;

impl TokenService for PlainTokens {
    fn issue(&self, c: &SessionClaims) -> Result<String, CredentialError> {
        Ok(format!(
            "{}|{}|{}|{}",
            c.user_id,
            c.role.as_str(),
            c.session_id,
            c.expires_at.timestamp()
        ))
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<SessionClaims, TokenError> {
        let mut parts = token.split('|');
        let (Some(id), Some(role), Some(session), Some(exp), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Invalid);
        };
        let user_id: UserId = id.parse().map_err(|_| TokenError::Invalid)?;
        let session_id: SessionId = session.parse().map_err(|_| TokenError::Invalid)?;
        let role = Role::parse(role).ok_or(TokenError::Invalid)?;
        let exp = exp
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(TokenError::Invalid)?;
        if now >= exp {
            return Err(TokenError::Expired);
        }
        Ok(SessionClaims {
            user_id,
            role,
            session_id,
            expires_at: exp,
        })
    }

    fn new_refresh_token(&self) -> Result<(String, TokenDigest), CredentialError> {
        let token = format!("refresh-{}", uuid::Uuid::now_v7());
        let digest = self.refresh_digest(&token);
        Ok((token, digest))
    }

    fn refresh_digest(&self, token: &str) -> TokenDigest {
        TokenDigest::new(format!("digest:{token}"))
    }
}

impl PurchaseTokenService for PlainTokens {
    fn issue_purchase_token(&self, g: &PurchaseGrant) -> Result<String, CredentialError> {
        Ok(format!(
            "purchase|{}|{}|{}",
            g.buyer_id,
            g.activity_id,
            g.expires_at.timestamp()
        ))
    }

    fn verify_purchase_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<PurchaseGrant, TokenError> {
        let mut parts = token.split('|');
        let (Some("purchase"), Some(buyer), Some(activity), Some(exp), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Invalid);
        };
        let buyer_id: UserId = buyer.parse().map_err(|_| TokenError::Invalid)?;
        let activity_id: ActivityId = activity.parse().map_err(|_| TokenError::Invalid)?;
        let exp = exp
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(TokenError::Invalid)?;
        if now >= exp {
            return Err(TokenError::Expired);
        }
        Ok(PurchaseGrant {
            buyer_id,
            activity_id,
            expires_at: exp,
        })
    }
}

/// Adapters for use-case tests. Any of the generic parts can be a mockall mock.
#[derive(Clone)]
pub struct TestAdapters<
    U = MemoryUserRepository,
    P = MemoryProductRepository,
    Ac = MemoryActivityRepository,
    O = MemoryOrderRepository,
    G = MemoryStockGate,
    Q = MemoryPurchaseQueue,
> {
    pub users: U,
    pub products: P,
    pub activities: Ac,
    pub orders: O,
    pub gate: G,
    pub queue: Q,
    pub sessions: MemorySessionStore,
    pub restock: LocalRestockNotifier,
    pub payments: SimulatedPaymentProvider,
    pub clock: ManualClock,
    pub idempotency: MemoryIdempotencyStore,
    pub hasher: PlainHasher,
}

impl TestAdapters {
    /// All in memory, clock at [`t0`].
    pub fn memory() -> Self {
        let activities = MemoryActivityRepository::default();
        Self {
            users: MemoryUserRepository::default(),
            products: MemoryProductRepository::default(),
            orders: MemoryOrderRepository::new(activities.clone()),
            activities,
            gate: MemoryStockGate::new(),
            queue: MemoryPurchaseQueue::default(),
            sessions: MemorySessionStore::default(),
            restock: LocalRestockNotifier::default(),
            payments: SimulatedPaymentProvider::new(PaymentMode::Approve),
            clock: ManualClock::new(t0()),
            idempotency: MemoryIdempotencyStore::default(),
            hasher: PlainHasher::default(),
        }
    }
}

impl<U, P, Ac, O, G, Q> Adapters for TestAdapters<U, P, Ac, O, G, Q>
where
    U: UserRepository,
    P: ProductRepository,
    Ac: ActivityRepository,
    O: OrderRepository,
    G: StockGate,
    Q: PurchaseQueue + PurchaseFeed,
{
    type Users = U;
    type Products = P;
    type Activities = Ac;
    type Orders = O;
    type Sessions = MemorySessionStore;
    type Hasher = PlainHasher;
    type Tokens = PlainTokens;
    type Gate = G;
    type Queue = Q;
    type Restock = LocalRestockNotifier;
    type Payments = SimulatedPaymentProvider;
    type Clock = ManualClock;
    type Ids = UuidV7Source;
    type Idempotency = MemoryIdempotencyStore;

    fn users(&self) -> &U {
        &self.users
    }
    fn products(&self) -> &P {
        &self.products
    }
    fn activities(&self) -> &Ac {
        &self.activities
    }
    fn orders(&self) -> &O {
        &self.orders
    }
    fn sessions(&self) -> &MemorySessionStore {
        &self.sessions
    }
    fn hasher(&self) -> &PlainHasher {
        &self.hasher
    }
    fn tokens(&self) -> &PlainTokens {
        &PlainTokens
    }
    fn gate(&self) -> &G {
        &self.gate
    }
    fn queue(&self) -> &Q {
        &self.queue
    }
    fn restock(&self) -> &LocalRestockNotifier {
        &self.restock
    }
    fn payments(&self) -> &SimulatedPaymentProvider {
        &self.payments
    }
    fn clock(&self) -> &ManualClock {
        &self.clock
    }
    fn ids(&self) -> &UuidV7Source {
        &UuidV7Source
    }
    fn idempotency(&self) -> &MemoryIdempotencyStore {
        &self.idempotency
    }
}

impl<U, P, Ac, O, G, Q> TestAdapters<U, P, Ac, O, G, Q> {
    /// The same adapters with other accounts storage (e.g. a mock).
    pub fn with_users<U2>(self, users: U2) -> TestAdapters<U2, P, Ac, O, G, Q> {
        let t = self;
        TestAdapters {
            users,
            products: t.products,
            activities: t.activities,
            orders: t.orders,
            gate: t.gate,
            queue: t.queue,
            sessions: t.sessions,
            restock: t.restock,
            payments: t.payments,
            clock: t.clock,
            idempotency: t.idempotency,
            hasher: t.hasher,
        }
    }

    /// The same adapters with other activity storage.
    pub fn with_activities<A2>(self, activities: A2) -> TestAdapters<U, P, A2, O, G, Q> {
        let t = self;
        TestAdapters {
            users: t.users,
            products: t.products,
            activities,
            orders: t.orders,
            gate: t.gate,
            queue: t.queue,
            sessions: t.sessions,
            restock: t.restock,
            payments: t.payments,
            clock: t.clock,
            idempotency: t.idempotency,
            hasher: t.hasher,
        }
    }

    /// The same adapters with another gate.
    pub fn with_gate<G2>(self, gate: G2) -> TestAdapters<U, P, Ac, O, G2, Q> {
        let t = self;
        TestAdapters {
            users: t.users,
            products: t.products,
            activities: t.activities,
            orders: t.orders,
            gate,
            queue: t.queue,
            sessions: t.sessions,
            restock: t.restock,
            payments: t.payments,
            clock: t.clock,
            idempotency: t.idempotency,
            hasher: t.hasher,
        }
    }

    /// The same adapters with another queue.
    pub fn with_queue<Q2>(self, queue: Q2) -> TestAdapters<U, P, Ac, O, G, Q2> {
        let t = self;
        TestAdapters {
            users: t.users,
            products: t.products,
            activities: t.activities,
            orders: t.orders,
            gate: t.gate,
            queue,
            sessions: t.sessions,
            restock: t.restock,
            payments: t.payments,
            clock: t.clock,
            idempotency: t.idempotency,
            hasher: t.hasher,
        }
    }
}
