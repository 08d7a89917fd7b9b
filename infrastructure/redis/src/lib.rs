//! Redis adapters (being built).
