//! The token-signing secret no longer lives in the database: anyone able to read a copy of it
//! (a backup, a world-readable SQLite file) could mint an admin token. It now comes from the
//! environment, a key file, or (embedded default) a 0600 file in the data directory; the clear-text
//! row a previous version generated is deleted. Tokens it signed stop verifying, so everyone signs
//! in again once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Settings::Table)
                    .and_where(Expr::col(Settings::Key).eq("token_secret"))
                    .to_owned(),
            )
            .await
    }

    /// Nothing to undo: a deleted secret cannot come back, and nothing needs it.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
