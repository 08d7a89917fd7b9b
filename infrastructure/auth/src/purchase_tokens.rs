//! Purchase tokens (the anti-bot "hidden URL") as HS256 JWTs with their own claim shape: a
//! session token is never accepted as a purchase token, nor the other way round.

use chrono::{DateTime, Utc};
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
        self.keys.sign(&claims)
    }

    fn verify_purchase_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<PurchaseGrant, TokenError> {
        let claims: PurchaseClaims = self.keys.verify(token)?;
        if claims.typ != KIND {
            return Err(TokenError::Invalid);
        }
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Invalid)?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        Ok(PurchaseGrant {
            buyer_id: UserId::from_uuid(claims.sub),
            activity_id: ActivityId::from_uuid(claims.act),
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
                session_id: seckiller_domain::SessionId::from_uuid(Uuid::now_v7()),
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
    fn purchase_tokens_follow_key_rotation() {
        let now = Utc::now();
        let grant = grant(now);
        let old = service().issue_purchase_token(&grant).unwrap();
        let rotated = JwtTokenService::with_keys(crate::KeyRing::new(
            b"a newer key, a newer key, a newer",
            &[b"0123456789abcdef0123456789abcdef"],
        ));
        assert_eq!(rotated.verify_purchase_token(&old, now).unwrap(), grant);
        let new = rotated.issue_purchase_token(&grant).unwrap();
        assert_eq!(
            service().verify_purchase_token(&new, now),
            Err(TokenError::Invalid)
        );
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
