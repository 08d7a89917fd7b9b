//! The `seckiller` binary's library half: typed configuration, telemetry, the wiring of adapters
//! into use cases, and the server lifecycle. Only this crate reads the environment or chooses
//! adapters; everything else receives what it needs.

pub mod adapters;
pub mod cli;
pub mod config;
pub mod connections;
pub mod data_files;
pub mod flow;
pub mod metrics_listener;
pub mod open_files;
pub mod operator;
pub mod process_figures;
pub mod readiness;
pub mod server;
pub mod signing_keys;
pub mod spec;
pub mod status;
pub mod telemetry;
pub mod wiring;
pub mod workers;
