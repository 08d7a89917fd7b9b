//! Time-ordered UUIDs: unique across nodes without coordination, and index-friendly.

use seckiller_domain::ports::IdSource;
use uuid::Uuid;

/// Produces UUIDv7 ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Source;

impl IdSource for UuidV7Source {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_distinct() {
        let a = UuidV7Source.next_id();
        let b = UuidV7Source.next_id();
        assert_eq!(a.get_version_num(), 7);
        assert_ne!(a, b);
    }
}
