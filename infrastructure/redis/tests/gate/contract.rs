//! The gate contract every adapter passes, here on Redis.

seckiller_contract::gate_contract!(crate::harness::open());
