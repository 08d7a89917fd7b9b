//! The repository contract, run against the in-memory repositories: the use-case tests that
//! rely on them see the same behaviour as production storage.

#![allow(missing_docs)]

use seckiller_contract::Repositories;
use seckiller_memory::{MemoryActivityRepository, MemoryProductRepository, MemoryUserRepository};

#[derive(Default)]
struct MemoryStore {
    users: MemoryUserRepository,
    products: MemoryProductRepository,
    activities: MemoryActivityRepository,
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

seckiller_contract::repository_contract!(async { MemoryStore::default() });
