//! Buyers in bulk, for load tests and rehearsals: an admin creates many buyer accounts at once and
//! gets a ready access token for each (no refresh token). One password is hashed for the whole batch (a random one
//! nobody learns), so a crowd of 100,000 buyers costs a hundred hashes instead of 100,000.

use seckiller_domain::ports::{Clock, IdSource, InsertUserError, PasswordHasher, UserRepository};
use seckiller_domain::{Password, Role, SessionId, User, UserId, Username};

use super::{Accounts, Session};
use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Admin, Unavailable};

/// The most buyers one call creates.
pub const MAX_BULK_BUYERS: u32 = 1000;

/// A buyer created in bulk, with its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedBuyer {
    /// The account.
    pub user: User,
    /// A bearer token for it.
    pub session: Session,
}

/// Why no buyers were created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BulkBuyersError {
    /// Zero, or more than [`MAX_BULK_BUYERS`].
    #[error("between 1 and {max} buyers per call")]
    BadCount {
        /// The largest count.
        max: u32,
    },
    /// A dependency failed; the buyers created before it stay (they are harmless accounts).
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(BulkBuyersError);

impl<A: Adapters> Accounts<A> {
    /// Creates `count` buyer accounts named `crowd-…` and signs each in.
    ///
    /// # Errors
    /// [`BulkBuyersError::BadCount`], or `Unavailable` when storage, the hasher or the token
    /// service fails.
    pub async fn create_buyers(
        &self,
        _admin: &Admin,
        count: u32,
    ) -> Result<Vec<IssuedBuyer>, BulkBuyersError> {
        if !(1..=MAX_BULK_BUYERS).contains(&count) {
            return Err(BulkBuyersError::BadCount {
                max: MAX_BULK_BUYERS,
            });
        }
        let a = &self.adapters;
        let secret = Password::parse(&a.ids().next_id().to_string())
            .map_err(|e| Unavailable::said(format!("generated password refused: {e}")))?;
        let password_hash = a.hasher().hash(secret).await?;
        let mut buyers = Vec::with_capacity(count as usize);
        while buyers.len() < count as usize {
            let id = a.ids().next_id();
            let name = format!("crowd-{}", &id.simple().to_string()[6..]);
            let user = User {
                id: UserId::from_uuid(id),
                username: Username::parse(&name)
                    .map_err(|e| Unavailable::said(format!("generated username refused: {e}")))?,
                password_hash: password_hash.clone(),
                role: Role::Buyer,
                created_at: a.clock().now(),
            };
            match a.users().insert(&user).await {
                Ok(()) => {}
                // A clash of generated names: draw another.
                Err(InsertUserError::UsernameTaken) => continue,
                Err(InsertUserError::Storage(e)) => return Err(e.into()),
            }
            // An access token only, in a session of its own that is never stored: a crowd has
            // nothing to refresh, and storing a session per buyer would slow its setup down.
            let session = self.session_for(&user, SessionId::from_uuid(a.ids().next_id()))?;
            buyers.push(IssuedBuyer { user, session });
        }
        Ok(buyers)
    }
}
