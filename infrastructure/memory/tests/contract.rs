//! The repository contract, run against the in-memory repositories: the use-case tests that
//! rely on them see the same behaviour as production storage.

#![allow(missing_docs)]

use seckiller_contract::{OrderRepositories, Repositories, SessionRepositories};
use seckiller_memory::{
    MemoryActivityRepository, MemoryOrderRepository, MemoryProductRepository, MemorySessionStore,
    MemoryUserRepository,
};

struct MemoryStore {
    users: MemoryUserRepository,
    products: MemoryProductRepository,
    activities: MemoryActivityRepository,
    orders: MemoryOrderRepository,
    sessions: MemorySessionStore,
}

impl Default for MemoryStore {
    fn default() -> Self {
        let activities = MemoryActivityRepository::default();
        Self {
            users: MemoryUserRepository::default(),
            products: MemoryProductRepository::default(),
            orders: MemoryOrderRepository::new(activities.clone()),
            activities,
            sessions: MemorySessionStore::default(),
        }
    }
}

impl OrderRepositories for MemoryStore {
    type Orders = MemoryOrderRepository;

    fn orders(&self) -> &MemoryOrderRepository {
        &self.orders
    }
}

impl Repositories for MemoryStore {
    type Users = MemoryUserRepository;
    type Products = MemoryProductRepository;
    type Activities = MemoryActivityRepository;

    fn users(&self) -> &MemoryUserRepository {
        &self.users
    }
    fn products(&self) -> &MemoryProductRepository {
        &self.products
    }
    fn activities(&self) -> &MemoryActivityRepository {
        &self.activities
    }
}

impl SessionRepositories for MemoryStore {
    type Sessions = MemorySessionStore;

    fn sessions(&self) -> &MemorySessionStore {
        &self.sessions
    }
}

seckiller_contract::repository_contract!(async { MemoryStore::default() });

mod sessions {
    use super::MemoryStore;

    seckiller_contract::session_contract!(async { MemoryStore::default() });
}

mod orders {
    use super::MemoryStore;

    seckiller_contract::order_contract!(async { MemoryStore::default() });
}

mod idempotency {
    use seckiller_contract::IdempotencyStores;
    use seckiller_memory::MemoryIdempotencyStore;

    #[derive(Default)]
    struct MemoryKeys(MemoryIdempotencyStore);

    impl IdempotencyStores for MemoryKeys {
        type Keys = MemoryIdempotencyStore;

        fn keys(&self) -> &MemoryIdempotencyStore {
            &self.0
        }
    }

    seckiller_contract::idempotency_contract!(async { MemoryKeys::default() });
}
