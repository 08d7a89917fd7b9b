//! Credential adapters: argon2id password hashing (run off the async executor, it is slow on
//! purpose) and HS256-signed bearer tokens that every node can verify without a lookup.
//!
//! Depends on the domain's ports only; no storage, no HTTP.

mod argon2_hasher;
mod jwt_tokens;
mod purchase_tokens;
mod secret;

pub use argon2_hasher::Argon2PasswordHasher;
pub use jwt_tokens::JwtTokenService;
pub use secret::random_secret;
