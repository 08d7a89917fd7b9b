//! Sessions and refresh tokens in `sessions` and `refresh_tokens`. Every exchange and revocation
//! is one write transaction that first locks the session's row (an UPDATE of it: a row lock on
//! Postgres, the one writer on SQLite, whose transaction begins IMMEDIATE), so two exchanges of
//! one token, or an exchange racing a sign-out, take turns: exactly one exchange wins, and a
//! revocation leaves no live successor behind.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use seckiller_domain::ports::{
    NewSession, RefreshGrant, RefreshRefusal, Rotation, SessionStore, StorageError, TokenDigest,
};
use seckiller_domain::{SessionId, UserId};

use crate::database::Database;
use crate::entities::{refresh_token, session, stored};
use crate::error::storage;
use crate::orders::begin_write;

/// [`SessionStore`] over sea-orm, for Postgres and SQLite alike.
#[derive(Debug, Clone)]
pub struct SeaSessionStore {
    db: Database,
}

impl SeaSessionStore {
    /// Sessions stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

fn token_row(grant: &RefreshGrant, session_id: uuid::Uuid) -> refresh_token::ActiveModel {
    refresh_token::ActiveModel {
        token_digest: Set(grant.digest.as_str().to_owned()),
        session_id: Set(session_id),
        issued_at: Set(stored(grant.issued_at)),
        expires_at: Set(stored(grant.expires_at)),
        retired_at: Set(None),
    }
}

/// Takes the session's row lock if it is live (touching no value); false when it is revoked or
/// missing.
async fn lock_live_session(
    transaction: &DatabaseTransaction,
    id: uuid::Uuid,
) -> Result<bool, StorageError> {
    let touched = session::Entity::update_many()
        .col_expr(session::Column::Id, Expr::col(session::Column::Id))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(transaction)
        .await
        .map_err(storage)?;
    Ok(touched.rows_affected == 1)
}

async fn find_token(
    transaction: &DatabaseTransaction,
    digest: &TokenDigest,
) -> Result<Option<refresh_token::Model>, StorageError> {
    refresh_token::Entity::find_by_id(digest.as_str().to_owned())
        .one(transaction)
        .await
        .map_err(storage)
}

impl SessionStore for SeaSessionStore {
    async fn open(&self, session: &NewSession, first: &RefreshGrant) -> Result<(), StorageError> {
        let transaction = begin_write(self.db.connection()).await?;
        session::Entity::insert(session::ActiveModel {
            id: Set(session.id.as_uuid()),
            user_id: Set(session.user_id.as_uuid()),
            created_at: Set(stored(session.created_at)),
            revoked_at: Set(None),
        })
        .exec_without_returning(&transaction)
        .await
        .map_err(storage)?;
        refresh_token::Entity::insert(token_row(first, session.id.as_uuid()))
            .exec_without_returning(&transaction)
            .await
            .map_err(storage)?;
        transaction.commit().await.map_err(storage)
    }

    async fn rotate(
        &self,
        presented: &TokenDigest,
        next: &RefreshGrant,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StorageError> {
        // An unknown token (a guess, garbage) is answered by one read, without taking the write
        // lock: on SQLite that lock is the whole database's, and guesses must not queue writers.
        let known = refresh_token::Entity::find_by_id(presented.as_str().to_owned())
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        if known.is_none() {
            return Ok(Rotation::Refused(RefreshRefusal::Unknown));
        }
        let transaction = begin_write(self.db.connection()).await?;
        let Some(token) = find_token(&transaction, presented).await? else {
            return Ok(Rotation::Refused(RefreshRefusal::Unknown));
        };
        let Some(owner) = session::Entity::find_by_id(token.session_id)
            .one(&transaction)
            .await
            .map_err(storage)?
        else {
            return Ok(Rotation::Refused(RefreshRefusal::Unknown));
        };
        let (session_id, user_id) = (
            SessionId::from_uuid(owner.id),
            UserId::from_uuid(owner.user_id),
        );
        if !lock_live_session(&transaction, owner.id).await? {
            return Ok(Rotation::Refused(RefreshRefusal::Revoked));
        }
        // Read again under the lock: a racing exchange may have retired it meanwhile.
        let Some(token) = find_token(&transaction, presented).await? else {
            return Ok(Rotation::Refused(RefreshRefusal::Unknown));
        };
        if token.retired_at.is_some() {
            session::Entity::update_many()
                .col_expr(session::Column::RevokedAt, Expr::value(stored(now)))
                .filter(session::Column::Id.eq(owner.id))
                .exec(&transaction)
                .await
                .map_err(storage)?;
            transaction.commit().await.map_err(storage)?;
            return Ok(Rotation::Reused {
                session_id,
                user_id,
            });
        }
        if now >= token.expires_at {
            return Ok(Rotation::Refused(RefreshRefusal::Expired));
        }
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RetiredAt, Expr::value(stored(now)))
            .filter(refresh_token::Column::TokenDigest.eq(presented.as_str()))
            .exec(&transaction)
            .await
            .map_err(storage)?;
        refresh_token::Entity::insert(token_row(next, owner.id))
            .exec_without_returning(&transaction)
            .await
            .map_err(storage)?;
        transaction.commit().await.map_err(storage)?;
        Ok(Rotation::Rotated {
            session_id,
            user_id,
        })
    }

    async fn revoke(
        &self,
        id: SessionId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let done = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(stored(now)))
            .filter(session::Column::Id.eq(id.as_uuid()))
            .filter(session::Column::UserId.eq(user.as_uuid()))
            .filter(session::Column::RevokedAt.is_null())
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(done.rows_affected == 1)
    }

    async fn revoke_all(&self, user: UserId, now: DateTime<Utc>) -> Result<u64, StorageError> {
        let done = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(stored(now)))
            .filter(session::Column::UserId.eq(user.as_uuid()))
            .filter(session::Column::RevokedAt.is_null())
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(done.rows_affected)
    }
}
