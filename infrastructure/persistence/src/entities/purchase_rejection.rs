//! A row of `purchase_rejections`: a purchase that could not become an order, keyed by its id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_rejections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub purchase_id: Uuid,
    pub activity_id: Uuid,
    pub buyer_id: Uuid,
    pub reason: String,
    pub rejected_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
