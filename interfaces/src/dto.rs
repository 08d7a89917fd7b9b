//! The API's own data shapes, converted to and from domain types at the edge. Requests refuse
//! unknown fields so a typo never silently does nothing.

mod accounts;
mod activities;
mod bulk_buyers;
mod money;
mod products;
mod purchases;
mod rate_limits;
mod wire;

pub(crate) use accounts::{
    ChangePasswordRequest, RefreshRequest, RegisterRequest, SessionDto, SignInRequest, UserDto,
};
pub(crate) use activities::{ActivityDto, ActivityPatch, ActivityRequest, PhaseDto};
pub(crate) use bulk_buyers::{BulkBuyersDto, BulkBuyersRequest};
pub(crate) use money::MoneyDto;
pub(crate) use products::{ProductDto, ProductPatch, ProductRequest};
pub(crate) use purchases::{
    BreakerDto, OrderDto, PurchaseDto, PurchaseRequestDto, PurchaseTokenDto, StatsDto,
};
pub(crate) use rate_limits::RateLimitDto;
