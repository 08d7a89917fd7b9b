//! What happens to accepted purchases besides becoming orders: the rejections the order writer
//! records when the database's ledger cannot cover a purchase, and the embedded purchase queue
//! (the SQLite stand-in for JetStream) with its dead-letter table.
//!
//! `queued_purchases.seq` is an auto-increment key (`AUTOINCREMENT` on SQLite) so a sequence
//! number is never reused after its row is deleted: an old delivery receipt can never name a
//! newer purchase. The unique purchase id makes publishing the same purchase twice store it once
//! (`ON CONFLICT (purchase_id) DO NOTHING`), as JetStream's message-id de-duplication does.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PurchaseRejections {
    Table,
    PurchaseId,
    ActivityId,
    BuyerId,
    Reason,
    RejectedAt,
}

#[derive(DeriveIden)]
enum QueuedPurchases {
    Table,
    Seq,
    PurchaseId,
    Payload,
    EnqueuedAt,
}

#[derive(DeriveIden)]
enum DeadPurchases {
    Table,
    Seq,
    Payload,
    Reason,
    DeadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys on rejections: a purchase naming an activity or buyer that does not
        // exist is exactly what may have to be recorded as rejected.
        manager
            .create_table(
                Table::create()
                    .table(PurchaseRejections::Table)
                    .col(pk_uuid(PurchaseRejections::PurchaseId))
                    .col(uuid(PurchaseRejections::ActivityId))
                    .col(uuid(PurchaseRejections::BuyerId))
                    .col(text(PurchaseRejections::Reason))
                    .col(timestamp_with_time_zone(PurchaseRejections::RejectedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QueuedPurchases::Table)
                    .col(big_pk_auto(QueuedPurchases::Seq))
                    .col(uuid(QueuedPurchases::PurchaseId))
                    .col(text(QueuedPurchases::Payload))
                    .col(timestamp_with_time_zone(QueuedPurchases::EnqueuedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("queued_purchases_purchase_id_key")
                    .table(QueuedPurchases::Table)
                    .col(QueuedPurchases::PurchaseId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeadPurchases::Table)
                    .col(big_pk_auto(DeadPurchases::Seq))
                    .col(text(DeadPurchases::Payload))
                    .col(text(DeadPurchases::Reason))
                    .col(timestamp_with_time_zone(DeadPurchases::DeadAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DeadPurchases::Table.into_iden(),
            QueuedPurchases::Table.into_iden(),
            PurchaseRejections::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
