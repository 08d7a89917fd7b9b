//! Test wiring: in-memory repositories, a hand-moved clock, and fast stand-ins for the slow or
//! secret-holding credential adapters. Any repository can be swapped for a mockall mock to make a
//! dependency fail on cue.

use chrono::{DateTime, TimeZone, Utc};
use seckiller_domain::ports::{
    ActivityRepository, CredentialError, PasswordHasher, ProductRepository, SessionClaims,
    TokenError, TokenService, UserRepository,
};
use seckiller_domain::{Password, PasswordHash, Role, UserId};
use seckiller_memory::{
    ManualClock, MemoryActivityRepository, MemoryProductRepository, MemoryUserRepository,
    UuidV7Source,
};

use crate::Adapters;

/// A fixed, readable starting instant for tests.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap()
}

/// "Hashes" by prefixing; fast and deterministic.
pub struct PlainHasher;

impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, CredentialError> {
        Ok(PasswordHash::new(format!("plain:{}", password.expose())))
    }

    async fn verify(
        &self,
        password: Password,
        hash: PasswordHash,
    ) -> Result<bool, CredentialError> {
        Ok(hash.as_str() == format!("plain:{}", password.expose()))
    }
}

/// Tokens as readable text `user|role|expiry`; anything else is invalid.
pub struct PlainTokens;

impl TokenService for PlainTokens {
    fn issue(&self, c: &SessionClaims) -> Result<String, CredentialError> {
        Ok(format!(
            "{}|{}|{}",
            c.user_id,
            c.role.as_str(),
            c.expires_at.timestamp()
        ))
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<SessionClaims, TokenError> {
        let mut parts = token.split('|');
        let (Some(id), Some(role), Some(exp), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Invalid);
        };
        let user_id: UserId = id.parse().map_err(|_| TokenError::Invalid)?;
        let role = Role::parse(role).ok_or(TokenError::Invalid)?;
        let exp = exp
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(TokenError::Invalid)?;
        if now >= exp {
            return Err(TokenError::Expired);
        }
        Ok(SessionClaims {
            user_id,
            role,
            expires_at: exp,
        })
    }
}

/// Adapters for use-case tests.
pub struct TestAdapters<
    U = MemoryUserRepository,
    P = MemoryProductRepository,
    Ac = MemoryActivityRepository,
> {
    pub users: U,
    pub products: P,
    pub activities: Ac,
    pub clock: ManualClock,
}

impl TestAdapters {
    /// All in memory, clock at [`t0`].
    pub fn memory() -> Self {
        Self {
            users: MemoryUserRepository::default(),
            products: MemoryProductRepository::default(),
            activities: MemoryActivityRepository::default(),
            clock: ManualClock::new(t0()),
        }
    }
}

impl<U: UserRepository, P: ProductRepository, Ac: ActivityRepository> Adapters
    for TestAdapters<U, P, Ac>
{
    type Users = U;
    type Products = P;
    type Activities = Ac;
    type Hasher = PlainHasher;
    type Tokens = PlainTokens;
    type Clock = ManualClock;
    type Ids = UuidV7Source;

    fn users(&self) -> &U {
        &self.users
    }
    fn products(&self) -> &P {
        &self.products
    }
    fn activities(&self) -> &Ac {
        &self.activities
    }
    fn hasher(&self) -> &PlainHasher {
        &PlainHasher
    }
    fn tokens(&self) -> &PlainTokens {
        &PlainTokens
    }
    fn clock(&self) -> &ManualClock {
        &self.clock
    }
    fn ids(&self) -> &UuidV7Source {
        &UuidV7Source
    }
}
