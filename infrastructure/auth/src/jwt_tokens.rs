//! Bearer tokens as HS256 JWTs. Stateless: any node holding the shared secret verifies them, so
//! authentication adds no IO to the purchase path.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use seckiller_domain::ports::{CredentialError, SessionClaims, TokenError, TokenService};
use seckiller_domain::{Role, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    role: String,
    exp: i64,
}

/// Signs and verifies tokens with one shared secret.
#[derive(Clone)]
pub struct JwtTokenService {
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
}

impl std::fmt::Debug for JwtTokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtTokenService(***)")
    }
}

impl JwtTokenService {
    /// A service signing with `secret` (at least 32 bytes of randomness is recommended).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

impl TokenService for JwtTokenService {
    fn issue(&self, claims: &SessionClaims) -> Result<String, CredentialError> {
        let body = Claims {
            sub: claims.user_id.as_uuid(),
            role: claims.role.as_str().to_owned(),
            exp: claims.expires_at.timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &body, &self.encoding)
            .map_err(|e| CredentialError(e.to_string()))
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<SessionClaims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is judged against the injected clock below, not the library's own clock.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?;
        let role = Role::parse(&data.claims.role).ok_or(TokenError::Invalid)?;
        let expires_at = DateTime::from_timestamp(data.claims.exp, 0).ok_or(TokenError::Invalid)?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok(SessionClaims {
            user_id: UserId::from_uuid(data.claims.sub),
            role,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn claims(now: DateTime<Utc>) -> SessionClaims {
        SessionClaims {
            user_id: UserId::from_uuid(Uuid::now_v7()),
            role: Role::Admin,
            expires_at: DateTime::from_timestamp((now + Duration::hours(1)).timestamp(), 0)
                .unwrap(),
        }
    }

    #[test]
    fn an_issued_token_verifies_to_its_claims() {
        let service = JwtTokenService::new(b"0123456789abcdef0123456789abcdef");
        let now = Utc::now();
        let issued = claims(now);
        let token = service.issue(&issued).unwrap();
        assert_eq!(service.verify(&token, now).unwrap(), issued);
    }

    #[test]
    fn a_token_is_refused_from_its_expiry_on() {
        let service = JwtTokenService::new(b"0123456789abcdef0123456789abcdef");
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
}
