//! `idempotency_keys`: the keyed requests every node has answered, so a retry that reaches any
//! node replays the first answer. The primary key (scope, key) is what makes a key run once:
//! racing claims meet there and only one insert wins.
//!
//! A row without `status_code` is a request still running (its `holder` owns it until
//! `lease_until`); one with it is an answer to replay until `expires_at`. `fingerprint` is the
//! digest of the request the key first named. The `expires_at` index serves the sweep.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Scope,
    Key,
    Fingerprint,
    Holder,
    StatusCode,
    MediaType,
    Body,
    CreatedAt,
    LeaseUntil,
    ExpiresAt,
}

const EXPIRY_INDEX: &str = "idempotency_keys_expires_at_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(string_len(IdempotencyKeys::Scope, 64))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::Fingerprint, 128))
                    .col(uuid(IdempotencyKeys::Holder))
                    .col(integer_null(IdempotencyKeys::StatusCode))
                    .col(string_len_null(IdempotencyKeys::MediaType, 128))
                    .col(text_null(IdempotencyKeys::Body))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyKeys::LeaseUntil))
                    .col(timestamp_with_time_zone(IdempotencyKeys::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .name("idempotency_keys_pkey")
                            .col(IdempotencyKeys::Scope)
                            .col(IdempotencyKeys::Key),
                    )
                    .check(Check::named(
                        "idempotency_keys_answer_whole",
                        Expr::col(IdempotencyKeys::StatusCode)
                            .is_null()
                            .and(Expr::col(IdempotencyKeys::Body).is_null())
                            .or(Expr::col(IdempotencyKeys::StatusCode)
                                .is_not_null()
                                .and(Expr::col(IdempotencyKeys::Body).is_not_null())
                                .and(Expr::col(IdempotencyKeys::MediaType).is_not_null())),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(EXPIRY_INDEX)
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}
