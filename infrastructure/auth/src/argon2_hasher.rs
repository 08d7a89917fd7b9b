//! Password hashing with argon2id (OWASP's first choice), on tokio's blocking pool so a burst of
//! sign-ins cannot stall the request threads.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Argon2, PasswordHash as PhcHash};
use seckiller_domain::ports::{CredentialError, PasswordHasher};
use seckiller_domain::{Password, PasswordHash};

/// argon2id with the crate's recommended parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2PasswordHasher;

fn hash_blocking(password: &Password) -> Result<PasswordHash, CredentialError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| PasswordHash::new(h.to_string()))
        .map_err(|e| CredentialError(e.to_string()))
}

fn verify_blocking(password: &Password, hash: &PasswordHash) -> Result<bool, CredentialError> {
    let parsed = PhcHash::new(hash.as_str())
        .map_err(|e| CredentialError(format!("unreadable stored hash: {e}")))?;
    Ok(Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok())
}

impl PasswordHasher for Argon2PasswordHasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, CredentialError> {
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(|e| CredentialError(e.to_string()))?
    }

    async fn verify(
        &self,
        password: Password,
        hash: PasswordHash,
    ) -> Result<bool, CredentialError> {
        tokio::task::spawn_blocking(move || verify_blocking(&password, &hash))
            .await
            .map_err(|e| CredentialError(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let hasher = Argon2PasswordHasher;
        let password = Password::parse("correct horse").unwrap();
        let hash = hasher.hash(password.clone()).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hasher.verify(password, hash.clone()).await.unwrap());
        assert!(
            !hasher
                .verify(Password::parse("battery staple").unwrap(), hash)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let hasher = Argon2PasswordHasher;
        let password = Password::parse("correct horse").unwrap();
        let a = hasher.hash(password.clone()).await.unwrap();
        let b = hasher.hash(password).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_error_not_a_match() {
        let result = Argon2PasswordHasher
            .verify(
                Password::parse("correct horse").unwrap(),
                PasswordHash::new("nonsense".into()),
            )
            .await;
        assert!(result.is_err());
    }
}
