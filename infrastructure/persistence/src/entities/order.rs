//! A row of `orders`: one per accepted purchase (`purchase_id` is unique).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub purchase_id: Uuid,
    pub activity_id: Uuid,
    pub buyer_id: Uuid,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub currency: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub pay_deadline: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub expired_at: Option<DateTimeUtc>,
    pub payment_ref: Option<String>,
    /// Set once a cancelled or expired order's stock is back in the stock gate; never read into
    /// the domain, only by the outbox queries.
    pub released_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
