//! A typed async client for the SecKiller HTTP API, generated at build time by progenitor from
//! the committed OpenAPI document (`docs/openapi.json`, which a test keeps equal to what the
//! service serves).
//!
//! Rust callers speak to the service through this crate rather than through hand-written
//! requests, so they follow the contract: a change to the API that breaks a caller breaks its
//! build. It depends on nothing of the service's own, only on the document.
//!
//! Calls return `Result<ResponseValue<T>, Error<types::Problem>>`; a refused call is
//! `Error::ErrorResponse` carrying the problem with its stable `code`. The bearer token is the
//! caller's: build a `reqwest::Client` with a default `Authorization` header and hand it to
//! [`Client::new_with_client`].

pub use generated::*;

/// The generated code, as progenitor writes it; it is not ours to document or restyle.
#[allow(
    missing_docs,
    reason = "generated: properties and enum values without a description in the document"
)]
#[allow(
    clippy::unwrap_used,
    reason = "generated: typify compiles each string pattern of the document with `unwrap`"
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/seckiller_client.rs"));
}
