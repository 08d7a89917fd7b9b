//! Credential adapters: argon2id password hashing (run off the async executor, it is slow on
//! purpose), HS256-signed bearer tokens that every node can verify without a lookup (signed by
//! a key ring, so keys rotate), and opaque refresh tokens stored only as digests.
//!
//! Depends on the domain's ports only; no storage, no HTTP.

mod argon2_hasher;
mod jwt_tokens;
mod key_ring;
mod purchase_tokens;
mod refresh_tokens;
mod secret;

pub use argon2_hasher::Argon2PasswordHasher;
pub use jwt_tokens::JwtTokenService;
pub use key_ring::{KeyRing, key_id};
pub use secret::random_secret;
