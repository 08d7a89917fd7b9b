//! Refresh tokens: 32 random bytes from the operating system, handed out once as hex and stored
//! only as their SHA-256 digest. A slow password hash is not needed here: with 256 bits of
//! entropy there is nothing to guess, so a fast digest is as strong and keeps refresh cheap.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use seckiller_domain::ports::{CredentialError, TokenDigest};
use sha2::{Digest, Sha256};

/// Bytes of randomness in a refresh token.
const TOKEN_BYTES: usize = 32;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new refresh token and its digest.
pub(crate) fn new_refresh_token() -> Result<(String, TokenDigest), CredentialError> {
    let mut buf = [0u8; TOKEN_BYTES];
    OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| CredentialError::from(format!("no randomness for a refresh token: {e}")))?;
    let token = hex(&buf);
    let digest = refresh_digest(&token);
    Ok((token, digest))
}

/// The digest a refresh token is stored and looked up by.
pub(crate) fn refresh_digest(token: &str) -> TokenDigest {
    TokenDigest::new(hex(&Sha256::digest(token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_is_random_and_stored_only_as_its_digest() {
        let (a, digest_a) = new_refresh_token().unwrap();
        let (b, _) = new_refresh_token().unwrap();
        assert_eq!(a.len(), 2 * TOKEN_BYTES);
        assert_ne!(a, b);
        assert_ne!(digest_a.as_str(), a);
        assert_eq!(refresh_digest(&a), digest_a);
        assert_ne!(refresh_digest(&b), digest_a);
    }
}
