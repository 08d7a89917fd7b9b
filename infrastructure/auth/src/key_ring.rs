//! The keys that sign and verify every token the service issues (bearer and purchase tokens):
//! one current key signs, previous keys still verify, so a key can be rotated without signing
//! everyone out. Each token names its key in the JWT header (`kid`), so verifying costs one
//! HMAC whatever the number of keys, and a token naming no known key is refused outright.

use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use seckiller_domain::ports::{Cause, CredentialError, TokenError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// The id of `secret`: the first 8 bytes of a SHA-256 over it (with a label, so the id is
/// never the digest of the bare key), as hex. It names the key without revealing it.
pub fn key_id(secret: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"seckiller signing key id\0")
        .chain_update(secret)
        .finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SigningKey {
    fn new(secret: &[u8]) -> Self {
        Self {
            kid: key_id(secret),
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

/// The current signing key and the previous ones still accepted.
pub struct KeyRing {
    current: SigningKey,
    previous: Vec<SigningKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current.kid)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.kid).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl KeyRing {
    /// `current` signs; `previous` keys only verify. A previous key equal to the current one
    /// (or listed twice) is kept once.
    pub fn new(current: &[u8], previous: &[&[u8]]) -> Self {
        let current = SigningKey::new(current);
        let mut kept: Vec<SigningKey> = Vec::new();
        for secret in previous {
            let key = SigningKey::new(secret);
            if key.kid != current.kid && kept.iter().all(|k| k.kid != key.kid) {
                kept.push(key);
            }
        }
        Self {
            current,
            previous: kept,
        }
    }

    /// The id of the key that signs.
    pub fn current_key_id(&self) -> &str {
        &self.current.kid
    }

    /// The ids of the keys that still verify but no longer sign.
    pub fn previous_key_ids(&self) -> impl Iterator<Item = &str> {
        self.previous.iter().map(|k| k.kid.as_str())
    }

    /// `claims` signed (HS256) with the current key, its id in the header.
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, CredentialError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current.kid.clone());
        encode(&header, claims, &self.current.encoding).map_err(|e| CredentialError(Cause::new(e)))
    }

    /// The claims of a token signed by one of the ring's keys. Expiry is left to the caller,
    /// which judges it against the injected clock.
    pub(crate) fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.kid == kid)
            .ok_or(TokenError::Invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        decode::<T>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    const OLD: &[u8] = b"the old key, the old key, the old";
    const NEW: &[u8] = b"the new key, the new key, the new";

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Body {
        n: u32,
    }

    #[test]
    fn a_key_id_names_the_key_without_being_it() {
        assert_eq!(key_id(OLD), key_id(OLD));
        assert_ne!(key_id(OLD), key_id(NEW));
        assert_eq!(key_id(OLD).len(), 16);
        assert!(!String::from_utf8_lossy(OLD).contains(&key_id(OLD)));
    }

    #[test]
    fn the_current_key_signs_and_names_itself_in_the_header() {
        let ring = KeyRing::new(NEW, &[OLD]);
        let token = ring.sign(&Body { n: 1 }).unwrap();
        assert_eq!(
            decode_header(&token).unwrap().kid.as_deref(),
            Some(key_id(NEW).as_str())
        );
        assert_eq!(ring.verify::<Body>(&token), Ok(Body { n: 1 }));
    }

    #[test]
    fn a_token_of_a_previous_key_still_verifies_after_rotation() {
        let before = KeyRing::new(OLD, &[]);
        let token = before.sign(&Body { n: 7 }).unwrap();
        let after = KeyRing::new(NEW, &[OLD]);
        assert_eq!(after.verify::<Body>(&token), Ok(Body { n: 7 }));
        assert_eq!(after.previous_key_ids().collect::<Vec<_>>(), [key_id(OLD)]);
    }

    #[test]
    fn a_token_of_a_retired_or_unknown_key_is_refused() {
        let token = KeyRing::new(OLD, &[]).sign(&Body { n: 7 }).unwrap();
        assert_eq!(
            KeyRing::new(NEW, &[]).verify::<Body>(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_token_naming_a_known_key_but_signed_with_another_is_refused() {
        // Header says NEW, signature made with OLD: the kid picks the key, the signature fails.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key_id(NEW));
        let forged = encode(
            &header,
            &Body { n: 7 },
            &EncodingKey::from_secret(b"an attacker's key, an attacker's"),
        )
        .unwrap();
        assert_eq!(
            KeyRing::new(NEW, &[OLD]).verify::<Body>(&forged),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_token_without_a_key_id_is_refused() {
        let bare = encode(
            &Header::new(Algorithm::HS256),
            &Body { n: 7 },
            &EncodingKey::from_secret(NEW),
        )
        .unwrap();
        assert_eq!(
            KeyRing::new(NEW, &[]).verify::<Body>(&bare),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn the_current_key_listed_as_previous_is_kept_once() {
        let ring = KeyRing::new(NEW, &[NEW, OLD, OLD]);
        assert_eq!(ring.previous_key_ids().count(), 1);
        assert!(format!("{ring:?}").contains(&key_id(NEW)));
    }
}
