//! A row of `dead_purchases`: a queued purchase that could never be processed, kept with the
//! reason for an operator to look at.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dead_purchases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub payload: String,
    pub reason: String,
    pub dead_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
