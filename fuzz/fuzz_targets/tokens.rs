//! Bearer and purchase tokens from any text, and genuine tokens with any bytes changed: only a
//! token this key signed, unchanged, verifies; a session token is never a purchase token, nor the
//! other way round; nothing panics.

#![no_main]

use arbitrary::Arbitrary;
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use seckiller_auth::JwtTokenService;
use seckiller_domain::ports::{PurchaseGrant, PurchaseTokenService, SessionClaims, TokenService};
use seckiller_domain::{ActivityId, Role, SessionId, UserId};
use uuid::Uuid;

const KEY: &[u8] = b"fuzzing-key-fuzzing-key-fuzzing-key!";

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    /// A token made up whole.
    forged: &'a str,
    /// Edits to a genuine token: (position, byte).
    edits: Vec<(u16, u8)>,
    user: u128,
    expires: i64,
    now: i64,
    admin: bool,
}

fuzz_target!(|input: Input| {
    let service = JwtTokenService::new(KEY);
    let Some(now) = DateTime::from_timestamp(input.now, 0) else {
        return;
    };
    // Whatever it says, a made-up token is not one this key signed.
    assert!(service.verify(input.forged, now).is_err());
    assert!(service.verify_purchase_token(input.forged, now).is_err());

    let Some(expires_at) = DateTime::from_timestamp(input.expires, 0) else {
        return;
    };
    let claims = SessionClaims {
        user_id: UserId::from_uuid(Uuid::from_u128(input.user)),
        role: if input.admin {
            Role::Admin
        } else {
            Role::Buyer
        },
        session_id: SessionId::from_uuid(Uuid::from_u128(!input.user)),
        expires_at,
    };
    let grant = PurchaseGrant {
        buyer_id: claims.user_id,
        activity_id: ActivityId::from_uuid(Uuid::from_u128(input.user.rotate_left(64))),
        expires_at,
    };
    let (Ok(session), Ok(purchase)) =
        (service.issue(&claims), service.issue_purchase_token(&grant))
    else {
        return;
    };
    assert!(service.verify_purchase_token(&session, now).is_err());
    assert!(service.verify(&purchase, now).is_err());
    match service.verify(&session, now) {
        Ok(verified) => assert!(now < expires_at && verified == claims),
        Err(_) => assert!(now >= expires_at),
    }
    for (token, is_session) in [(session, true), (purchase, false)] {
        let mut bytes = token.clone().into_bytes();
        for (at, byte) in &input.edits {
            if let Some(b) = bytes.get_mut(usize::from(*at) % token.len().max(1)) {
                *b = *byte;
            }
        }
        let Ok(edited) = String::from_utf8(bytes) else {
            continue;
        };
        let verified = if is_session {
            service.verify(&edited, now).map(|c| c.user_id)
        } else {
            service
                .verify_purchase_token(&edited, now)
                .map(|g| g.buyer_id)
        };
        // An edit that still verifies must not have changed what the token says (base64's
        // unused trailing bits may change the text without changing the bytes it stands for).
        if let Ok(user) = verified {
            assert_eq!(user, claims.user_id, "{token} edited to {edited}");
        }
    }
});
