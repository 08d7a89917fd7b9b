//! Password hashing with argon2id (OWASP's first choice), on tokio's blocking pool so a burst of
//! sign-ins cannot stall the request threads.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use std::sync::Arc;

use argon2::{Argon2, PasswordHash as PhcHash};
use seckiller_domain::ports::{Cause, CredentialError, PasswordHasher};
use seckiller_domain::{Password, PasswordHash};
use tokio::sync::Semaphore;

/// argon2id with the crate's recommended parameters (19 MiB, 2 passes). At most one hash per
/// core runs at once: a burst of sign-ins queues instead of taking every core and a 19 MiB buffer
/// per blocking thread.
#[derive(Debug, Clone)]
pub struct Argon2PasswordHasher {
    permits: Arc<Semaphore>,
}

impl Default for Argon2PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(2);
        Self {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl Argon2PasswordHasher {
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, CredentialError> + Send + 'static,
    ) -> Result<T, CredentialError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| CredentialError(Cause::new(e)))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| CredentialError(Cause::new(e)))?
    }
}

fn hash_blocking(password: &Password) -> Result<PasswordHash, CredentialError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| PasswordHash::new(h.to_string()))
        .map_err(|e| CredentialError(Cause::new(e)))
}

fn verify_blocking(password: &Password, hash: &PasswordHash) -> Result<bool, CredentialError> {
    let parsed = PhcHash::new(hash.as_str())
        .map_err(|e| CredentialError::from(format!("unreadable stored hash: {e}")))?;
    Ok(Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok())
}

impl PasswordHasher for Argon2PasswordHasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, CredentialError> {
        self.run(move || hash_blocking(&password)).await
    }

    async fn verify(
        &self,
        password: Password,
        hash: PasswordHash,
    ) -> Result<bool, CredentialError> {
        self.run(move || verify_blocking(&password, &hash)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let hasher = Argon2PasswordHasher::default();
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
        let hasher = Argon2PasswordHasher::default();
        let password = Password::parse("correct horse").unwrap();
        let a = hasher.hash(password.clone()).await.unwrap();
        let b = hasher.hash(password).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_error_not_a_match() {
        let result = Argon2PasswordHasher::default()
            .verify(
                Password::parse("correct horse").unwrap(),
                PasswordHash::new("nonsense".into()),
            )
            .await;
        assert!(result.is_err());
    }
}
