//! A row of `activities`; its ledger is the related `stock_ledgers` row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub title: String,
    pub sale_price_minor: i64,
    pub currency: String,
    pub total_stock: i64,
    pub per_user_limit: i64,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub payment_window_seconds: i64,
    pub state: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_one = "super::stock_ledger::Entity")]
    StockLedger,
}

impl Related<super::stock_ledger::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StockLedger.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
