//! Bearer (access) tokens as HS256 JWTs. Stateless: any node holding the keys verifies them, so
//! authentication adds no IO to the purchase path. The price is that a token cannot be recalled:
//! it is short-lived instead, and carries its session id so signing out revokes the session's
//! refresh tokens (the token itself lives at most its short TTL after that).

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    CredentialError, SessionClaims, TokenDigest, TokenError, TokenService,
};
use seckiller_domain::{Role, SessionId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::key_ring::KeyRing;
use crate::refresh_tokens;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    role: String,
    sid: Uuid,
    exp: i64,
}

/// Signs and verifies tokens with a [`KeyRing`].
#[derive(Debug, Clone)]
pub struct JwtTokenService {
    pub(crate) keys: std::sync::Arc<KeyRing>,
}

impl JwtTokenService {
    /// A service signing and verifying with the one key `secret` (at least 32 bytes of
    /// randomness is recommended).
    pub fn new(secret: &[u8]) -> Self {
        Self::with_keys(KeyRing::new(secret, &[]))
    }

    /// A service signing with the ring's current key and verifying with all of its keys.
    pub fn with_keys(keys: KeyRing) -> Self {
        Self {
            keys: std::sync::Arc::new(keys),
        }
    }

    /// The keys in use.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }
}

impl TokenService for JwtTokenService {
    fn issue(&self, claims: &SessionClaims) -> Result<String, CredentialError> {
        self.keys.sign(&Claims {
            sub: claims.user_id.as_uuid(),
            role: claims.role.as_str().to_owned(),
            sid: claims.session_id.as_uuid(),
            exp: claims.expires_at.timestamp(),
        })
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<SessionClaims, TokenError> {
        let claims: Claims = self.keys.verify(token)?;
        let role = Role::parse(&claims.role).ok_or(TokenError::Invalid)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Invalid)?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok(SessionClaims {
            user_id: UserId::from_uuid(claims.sub),
            role,
            session_id: SessionId::from_uuid(claims.sid),
            expires_at,
        })
    }

    fn new_refresh_token(&self) -> Result<(String, TokenDigest), CredentialError> {
        refresh_tokens::new_refresh_token()
    }

    fn refresh_digest(&self, token: &str) -> TokenDigest {
        refresh_tokens::refresh_digest(token)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    const OLD: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NEW: &[u8] = b"fedcba9876543210fedcba9876543210";

    fn claims(now: DateTime<Utc>) -> SessionClaims {
        SessionClaims {
            user_id: UserId::from_uuid(Uuid::now_v7()),
            role: Role::Admin,
            session_id: SessionId::from_uuid(Uuid::now_v7()),
            expires_at: DateTime::from_timestamp((now + Duration::hours(1)).timestamp(), 0)
                .unwrap(),
        }
    }

    #[test]
    fn an_issued_token_verifies_to_its_claims() {
        let service = JwtTokenService::new(OLD);
        let now = Utc::now();
        let issued = claims(now);
        let token = service.issue(&issued).unwrap();
        assert_eq!(service.verify(&token, now).unwrap(), issued);
    }

    #[test]
    fn a_token_is_refused_from_its_expiry_on() {
        let service = JwtTokenService::new(OLD);
        let now = Utc::now();
        let issued = claims(now);
        let token = service.issue(&issued).unwrap();
        assert_eq!(
            service.verify(&token, issued.expires_at),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_signed_with_another_key_or_tampered_is_invalid() {
        let now = Utc::now();
        let token = JwtTokenService::new(b"one secret one secret one secret")
            .issue(&claims(now))
            .unwrap();
        let other = JwtTokenService::new(b"another secret another secret!!!");
        assert_eq!(other.verify(&token, now), Err(TokenError::Invalid));
        assert_eq!(other.verify("not.a.token", now), Err(TokenError::Invalid));
        assert_eq!(other.verify("", now), Err(TokenError::Invalid));
    }

    #[test]
    fn after_rotation_old_tokens_verify_and_new_ones_are_signed_by_the_new_key() {
        let now = Utc::now();
        let issued = claims(now);
        let old_token = JwtTokenService::new(OLD).issue(&issued).unwrap();
        let rotated = JwtTokenService::with_keys(KeyRing::new(NEW, &[OLD]));
        assert_eq!(rotated.verify(&old_token, now).unwrap(), issued);
        let new_token = rotated.issue(&issued).unwrap();
        // A node not yet given the new key refuses its tokens: roll the new key out as a
        // previous key first (see the rotation procedure in docs/api.md).
        assert_eq!(
            JwtTokenService::new(OLD).verify(&new_token, now),
            Err(TokenError::Invalid)
        );
        assert_eq!(rotated.verify(&new_token, now).unwrap(), issued);
    }

    #[test]
    fn an_expired_token_of_a_previous_key_is_still_expired() {
        let now = Utc::now();
        let issued = claims(now);
        let token = JwtTokenService::new(OLD).issue(&issued).unwrap();
        let rotated = JwtTokenService::with_keys(KeyRing::new(NEW, &[OLD]));
        assert_eq!(
            rotated.verify(&token, issued.expires_at),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_whose_key_was_dropped_from_the_ring_is_invalid() {
        let now = Utc::now();
        let token = JwtTokenService::new(OLD).issue(&claims(now)).unwrap();
        assert_eq!(
            JwtTokenService::new(NEW).verify(&token, now),
            Err(TokenError::Invalid)
        );
    }
}
