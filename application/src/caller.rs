//! Who is calling, as proven by a bearer token. Admin-only use cases take an [`Admin`], which can
//! only be obtained from a caller whose role is admin: the type system enforces the check.

use seckiller_domain::{Role, UserId};

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The account.
    pub user_id: UserId,
    /// Its role.
    pub role: Role,
}

/// Proof that the caller is an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admin {
    user_id: UserId,
}

/// The caller is signed in but not an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this needs the admin role")]
pub struct NotAdmin;

impl Caller {
    /// The admin proof for this caller.
    ///
    /// # Errors
    /// [`NotAdmin`] when the caller is a buyer.
    pub fn admin(&self) -> Result<Admin, NotAdmin> {
        match self.role {
            Role::Admin => Ok(Admin {
                user_id: self.user_id,
            }),
            Role::Buyer => Err(NotAdmin),
        }
    }
}

impl Admin {
    /// The service itself acting as admin (seeding at start-up); never reachable from a request.
    pub(crate) fn system() -> Self {
        Self {
            user_id: UserId::from_uuid(uuid::Uuid::nil()),
        }
    }

    /// The admin's account.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn only_an_admin_caller_yields_an_admin_proof() {
        let id = UserId::from_uuid(Uuid::now_v7());
        assert_eq!(
            Caller {
                user_id: id,
                role: Role::Admin
            }
            .admin()
            .unwrap()
            .user_id(),
            id
        );
        assert_eq!(
            Caller {
                user_id: id,
                role: Role::Buyer
            }
            .admin(),
            Err(NotAdmin)
        );
    }
}
