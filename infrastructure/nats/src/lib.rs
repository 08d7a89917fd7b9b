//! NATS adapters (being built).
