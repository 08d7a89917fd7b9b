//! Sessions and refresh tokens in memory, for use-case tests. One lock over both maps makes
//! every call atomic, as the port asks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    NewSession, RefreshGrant, RefreshRefusal, Rotation, SessionStore, StorageError, TokenDigest,
};
use seckiller_domain::{SessionId, UserId};

use crate::repositories::lock;

#[derive(Debug)]
struct StoredSession {
    user_id: UserId,
    revoked: bool,
}

#[derive(Debug)]
struct StoredToken {
    session_id: SessionId,
    expires_at: DateTime<Utc>,
    retired: bool,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<SessionId, StoredSession>,
    tokens: HashMap<TokenDigest, StoredToken>,
}

/// [`SessionStore`] in memory.
#[derive(Debug, Clone, Default)]
pub struct MemorySessionStore(Arc<Mutex<State>>);

impl SessionStore for MemorySessionStore {
    async fn open(&self, session: &NewSession, first: &RefreshGrant) -> Result<(), StorageError> {
        let mut state = lock(&self.0);
        if state.sessions.contains_key(&session.id) || state.tokens.contains_key(&first.digest) {
            return Err(StorageError::from(format!(
                "session {} already stored",
                session.id
            )));
        }
        state.sessions.insert(
            session.id,
            StoredSession {
                user_id: session.user_id,
                revoked: false,
            },
        );
        state.tokens.insert(
            first.digest.clone(),
            StoredToken {
                session_id: session.id,
                expires_at: first.expires_at,
                retired: false,
            },
        );
        Ok(())
    }

    async fn rotate(
        &self,
        presented: &TokenDigest,
        next: &RefreshGrant,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StorageError> {
        let mut state = lock(&self.0);
        let Some(token) = state.tokens.get(presented) else {
            return Ok(Rotation::Refused(RefreshRefusal::Unknown));
        };
        let (session_id, retired, expires_at) = (token.session_id, token.retired, token.expires_at);
        let Some(session) = state.sessions.get_mut(&session_id) else {
            return Ok(Rotation::Refused(RefreshRefusal::Unknown));
        };
        let user_id = session.user_id;
        if session.revoked {
            return Ok(Rotation::Refused(RefreshRefusal::Revoked));
        }
        if retired {
            session.revoked = true;
            return Ok(Rotation::Reused {
                session_id,
                user_id,
            });
        }
        if now >= expires_at {
            return Ok(Rotation::Refused(RefreshRefusal::Expired));
        }
        if state.tokens.contains_key(&next.digest) {
            return Err(StorageError::from(
                "refresh token digest already stored".to_owned(),
            ));
        }
        if let Some(token) = state.tokens.get_mut(presented) {
            token.retired = true;
        }
        state.tokens.insert(
            next.digest.clone(),
            StoredToken {
                session_id,
                expires_at: next.expires_at,
                retired: false,
            },
        );
        Ok(Rotation::Rotated {
            session_id,
            user_id,
        })
    }

    async fn revoke(
        &self,
        id: SessionId,
        user: UserId,
        _now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut state = lock(&self.0);
        Ok(match state.sessions.get_mut(&id) {
            Some(session) if session.user_id == user && !session.revoked => {
                session.revoked = true;
                true
            }
            _ => false,
        })
    }

    async fn revoke_all(&self, user: UserId, _now: DateTime<Utc>) -> Result<u64, StorageError> {
        let mut state = lock(&self.0);
        let mut revoked = 0;
        for session in state.sessions.values_mut() {
            if session.user_id == user && !session.revoked {
                session.revoked = true;
                revoked += 1;
            }
        }
        Ok(revoked)
    }
}
