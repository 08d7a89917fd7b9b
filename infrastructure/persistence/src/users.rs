//! Accounts in the `users` table.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};
use seckiller_domain::ports::{InsertUserError, StorageError, UserRepository};
use seckiller_domain::{PasswordHash, Role, User, UserId, Username};

use crate::database::Database;
use crate::entities::{stored, user};
use crate::error::{corrupt, storage};

/// [`UserRepository`] over sea-orm, for Postgres and SQLite alike.
#[derive(Debug, Clone)]
pub struct SeaUserRepository {
    db: Database,
}

impl SeaUserRepository {
    /// Accounts stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

impl UserRepository for SeaUserRepository {
    async fn insert(&self, user: &User) -> Result<(), InsertUserError> {
        let row = user::ActiveModel {
            id: Set(user.id.as_uuid()),
            username: Set(user.username.as_str().to_owned()),
            password_hash: Set(user.password_hash.as_str().to_owned()),
            role: Set(user.role.as_str().to_owned()),
            created_at: Set(stored(user.created_at)),
        };
        match user::Entity::insert(row)
            .exec_without_returning(self.db.connection())
            .await
        {
            Ok(_) => Ok(()),
            // The unique index is named after the column, so its name appears in the message on
            // both backends; a clash on the id would be a different (storage) problem.
            Err(error) => match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(message))
                    if message.contains("username") =>
                {
                    Err(InsertUserError::UsernameTaken)
                }
                _ => Err(storage(error).into()),
            },
        }
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        let row = user::Entity::find_by_id(id.as_uuid())
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        row.map(to_user).transpose()
    }

    async fn by_username(&self, username: &Username) -> Result<Option<User>, StorageError> {
        let row = user::Entity::find()
            .filter(user::Column::Username.eq(username.as_str()))
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        row.map(to_user).transpose()
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<bool, StorageError> {
        let updated = user::Entity::update_many()
            .col_expr(
                user::Column::PasswordHash,
                Expr::value(hash.as_str().to_owned()),
            )
            .filter(user::Column::Id.eq(id.as_uuid()))
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(updated.rows_affected > 0)
    }
}

fn to_user(row: user::Model) -> Result<User, StorageError> {
    let bad = |problem: &str| corrupt("users", row.id, problem);
    Ok(User {
        id: UserId::from_uuid(row.id),
        username: Username::parse(&row.username).map_err(|_| bad("bad username"))?,
        password_hash: PasswordHash::new(row.password_hash.clone()),
        role: Role::parse(&row.role).ok_or_else(|| bad("unknown role"))?,
        created_at: row.created_at,
    })
}
