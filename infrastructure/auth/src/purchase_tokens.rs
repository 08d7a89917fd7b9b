//! Purchase tokens (the anti-bot "hidden URL") as HS256 JWTs with their own claim shape: a
//! session token is never accepted as a purchase token, nor the other way round.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header, Validation, decode, encode};
use seckiller_domain::ports::{CredentialError, PurchaseGrant, PurchaseTokenService, TokenError};
use seckiller_domain::{ActivityId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::JwtTokenService;

const KIND: &str = "purchase";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PurchaseClaims {
    sub: Uuid,
    act: Uuid,
    typ: String,
    exp: i64,
}

impl PurchaseTokenService for JwtTokenService {
    fn issue_purchase_token(&self, grant: &PurchaseGrant) -> Result<String, CredentialError> {
        let claims = PurchaseClaims {
            sub: grant.buyer_id.as_uuid(),
            act: grant.activity_id.as_uuid(),
            typ: KIND.to_owned(),
            exp: grant.expires_at.timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| CredentialError(e.to_string()))
    }

    fn verify_purchase_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<PurchaseGrant, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = decode::<PurchaseClaims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.typ != KIND {
            return Err(TokenError::Invalid);
        }
        let expires_at = DateTime::from_timestamp(data.claims.exp, 0).ok_or(TokenError::Invalid)?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok(PurchaseGrant {
            buyer_id: UserId::from_uuid(data.claims.sub),
            activity_id: ActivityId::from_uuid(data.claims.act),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use seckiller_domain::Role;
    use seckiller_domain::ports::{SessionClaims, TokenService};

    use super::*;

    fn service() -> JwtTokenService {
        JwtTokenService::new(b"0123456789abcdef0123456789abcdef")
    }

    fn grant(now: DateTime<Utc>) -> PurchaseGrant {
        PurchaseGrant {
            buyer_id: UserId::from_uuid(Uuid::now_v7()),
            activity_id: ActivityId::from_uuid(Uuid::now_v7()),
            expires_at: DateTime::from_timestamp((now + Duration::seconds(30)).timestamp(), 0)
                .unwrap(),
        }
    }

    #[test]
    fn a_purchase_token_verifies_to_its_grant_until_it_expires() {
        let now = Utc::now();
        let grant = grant(now);
        let token = service().issue_purchase_token(&grant).unwrap();
        assert_eq!(service().verify_purchase_token(&token, now).unwrap(), grant);
        assert_eq!(
            service().verify_purchase_token(&token, grant.expires_at),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn session_and_purchase_tokens_are_not_interchangeable() {
        let now = Utc::now();
        let s = service();
        let session = s
            .issue(&SessionClaims {
                user_id: UserId::from_uuid(Uuid::now_v7()),
                role: Role::Buyer,
                expires_at: now + Duration::hours(1),
            })
            .unwrap();
        assert_eq!(
            s.verify_purchase_token(&session, now),
            Err(TokenError::Invalid)
        );
        let purchase = s.issue_purchase_token(&grant(now)).unwrap();
        assert_eq!(s.verify(&purchase, now), Err(TokenError::Invalid));
    }

    #[test]
    fn a_purchase_token_from_another_key_is_invalid() {
        let now = Utc::now();
        let token = JwtTokenService::new(b"another secret another secret!!!")
            .issue_purchase_token(&grant(now))
            .unwrap();
        assert_eq!(
            service().verify_purchase_token(&token, now),
            Err(TokenError::Invalid)
        );
    }
}
