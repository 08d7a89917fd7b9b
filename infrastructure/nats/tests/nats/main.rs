//! Adapter tests against a real NATS server with JetStream (`SECKILLER_TEST_NATS_URL`, default
//! `nats://127.0.0.1:4222`). One binary, so it links once. Every test owns a stream (or subject
//! prefix) named by a fresh UUID and deletes its streams when it ends, even by panic, so the
//! whole suite runs in parallel.

mod connecting;
mod dead_letter;
mod feeding;
mod publishing;
mod restock;
mod support;
