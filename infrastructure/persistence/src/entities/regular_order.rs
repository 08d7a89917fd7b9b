//! A row of `regular_orders`: an order at the regular price; its lines are in
//! `regular_order_lines`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "regular_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub buyer_id: Uuid,
    pub currency: String,
    pub total_minor: i64,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub pay_deadline: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub payment_ref: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub expired_at: Option<DateTimeUtc>,
    pub released_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
