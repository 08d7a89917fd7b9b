//! Sessions after sign-in: exchanging a refresh token for a new pair (rotation, with reuse
//! detection in the store), signing out, and revoking every session of an account (what a
//! password change must do).

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    Clock, IdSource, NewSession, RefreshGrant, RefreshRefusal, Rotation, SessionStore,
    TokenService, UserRepository,
};
use seckiller_domain::{SessionId, User, UserId};

use super::{Accounts, Session};
use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Caller, Unavailable};

/// A signed-in session: a short-lived access token and the refresh token that renews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The access (bearer) token.
    pub access: Session,
    /// The refresh token: opaque, single use, stored only as a digest.
    pub refresh_token: String,
    /// The refresh token is refused from this instant on.
    pub refresh_expires_at: DateTime<Utc>,
    /// The session both belong to.
    pub session_id: SessionId,
}

/// Why a refresh token was not exchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// Unknown, expired, already used, or its session was revoked; deliberately not saying
    /// which. The client must sign in again.
    #[error("the refresh token is not valid")]
    Refused,
    /// A dependency failed; the token was not spent.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(RefreshError);

/// Why signing out failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignOutError {
    /// A dependency failed; the session may still be live.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(SignOutError);

impl<A: Adapters> Accounts<A> {
    /// A new refresh token's grant, issued now.
    fn refresh_grant(&self) -> Result<(String, RefreshGrant), Unavailable> {
        let a = &self.adapters;
        let (token, digest) = a.tokens().new_refresh_token()?;
        let issued_at = whole_seconds(a.clock().now())?;
        Ok((
            token,
            RefreshGrant {
                digest,
                issued_at,
                expires_at: issued_at + self.refresh_ttl,
            },
        ))
    }

    /// Opens a new session for `user` (after checking its password).
    pub(super) async fn open_session(&self, user: &User) -> Result<SignedIn, Unavailable> {
        let a = &self.adapters;
        let session = NewSession {
            id: SessionId::from_uuid(a.ids().next_id()),
            user_id: user.id,
            created_at: a.clock().now(),
        };
        let (refresh_token, grant) = self.refresh_grant()?;
        a.sessions().open(&session, &grant).await?;
        Ok(SignedIn {
            access: self.session_for(user, session.id)?,
            refresh_token,
            refresh_expires_at: grant.expires_at,
            session_id: session.id,
        })
    }

    /// Exchanges a refresh token for a new access token and a new refresh token; the one
    /// presented is spent. Presenting a spent one again revokes its whole session (someone else
    /// holds a copy), so the thief and the owner both have to sign in again.
    ///
    /// # Errors
    /// [`RefreshError::Refused`] for a token that is unknown, expired, spent or revoked, or whose
    /// account is gone; `Unavailable` when a dependency fails.
    pub async fn refresh(&self, refresh_token: &str) -> Result<SignedIn, RefreshError> {
        let a = &self.adapters;
        let presented = a.tokens().refresh_digest(refresh_token);
        let (next_token, next) = self.refresh_grant()?;
        let now = a.clock().now();
        let (session_id, user_id) = match a.sessions().rotate(&presented, &next, now).await? {
            Rotation::Rotated {
                session_id,
                user_id,
            } => (session_id, user_id),
            Rotation::Reused {
                session_id,
                user_id,
            } => {
                tracing::warn!(
                    session = %session_id,
                    user = %user_id,
                    "a spent refresh token was presented again; its session is revoked"
                );
                return Err(RefreshError::Refused);
            }
            Rotation::Refused(reason) => {
                tracing::debug!(reason = refusal(reason), "refresh token refused");
                return Err(RefreshError::Refused);
            }
        };
        // The role is read afresh: a changed role reaches the next access token.
        let Some(user) = a.users().by_id(user_id).await? else {
            return Err(RefreshError::Refused);
        };
        Ok(SignedIn {
            access: self.session_for(&user, session_id)?,
            refresh_token: next_token,
            refresh_expires_at: next.expires_at,
            session_id,
        })
    }

    /// Signs the caller out of session `session_id` (the one its access token names): its
    /// refresh tokens stop working at once. The access token itself lives until its expiry,
    /// since checking it takes no IO. Signing out twice, or out of a session never stored (a
    /// crowd buyer's), is not an error.
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn sign_out(
        &self,
        caller: &Caller,
        session_id: SessionId,
    ) -> Result<(), SignOutError> {
        let a = &self.adapters;
        a.sessions()
            .revoke(session_id, caller.user_id, a.clock().now())
            .await?;
        Ok(())
    }

    /// Revokes every session of `user_id`: none of its refresh tokens works any more. What a
    /// password change (or an admin locking an account) calls; access tokens already issued live
    /// out their short lifetime. Returns how many sessions were live.
    ///
    /// # Errors
    /// [`Unavailable`] when storage fails.
    pub async fn revoke_all_sessions(&self, user_id: UserId) -> Result<u64, Unavailable> {
        let a = &self.adapters;
        Ok(a.sessions().revoke_all(user_id, a.clock().now()).await?)
    }
}

/// `instant` cut to whole seconds, what a token can carry.
fn whole_seconds(instant: DateTime<Utc>) -> Result<DateTime<Utc>, Unavailable> {
    DateTime::from_timestamp(instant.timestamp(), 0)
        .ok_or_else(|| Unavailable::said("instant out of range"))
}

fn refusal(reason: RefreshRefusal) -> &'static str {
    match reason {
        RefreshRefusal::Unknown => "unknown",
        RefreshRefusal::Expired => "expired",
        RefreshRefusal::Revoked => "revoked",
    }
}

#[cfg(test)]
mod tests;
