//! A row of `gate_purchases`: a purchase the database stock gate accepted, holding stock until
//! `returned` is set. `accepted_at` is RFC 3339 text with nanoseconds (see the migration).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gate_purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub purchase_id: Uuid,
    pub activity_id: Uuid,
    pub buyer_id: Uuid,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub currency: String,
    pub accepted_at: String,
    pub returned: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
