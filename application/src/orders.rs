//! A buyer's own orders.

use std::sync::Arc;

use seckiller_domain::ports::OrderRepository;
use seckiller_domain::{Order, OrderId};

use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Caller, Unavailable};

/// The largest page of orders.
pub const MAX_ORDERS_PAGE: u32 = 100;

/// Why an order could not be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderQueryError {
    /// Unknown, or another buyer's.
    #[error("no such order")]
    NotFound,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(OrderQueryError);

/// Reading one's orders.
pub struct Orders<A: Adapters> {
    adapters: Arc<A>,
}

impl<A: Adapters> Clone for Orders<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
        }
    }
}

impl<A: Adapters> Orders<A> {
    /// Orders over these adapters.
    pub fn new(adapters: Arc<A>) -> Self {
        Self { adapters }
    }

    /// The caller's orders, newest first.
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn mine(
        &self,
        caller: &Caller,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Order>, OrderQueryError> {
        let limit = limit.clamp(1, MAX_ORDERS_PAGE);
        Ok(self
            .adapters
            .orders()
            .for_buyer(caller.user_id, limit, offset)
            .await?)
    }

    /// One of the caller's orders.
    ///
    /// # Errors
    /// [`OrderQueryError::NotFound`] for an unknown order or another buyer's, or `Unavailable`.
    pub async fn one(&self, caller: &Caller, id: OrderId) -> Result<Order, OrderQueryError> {
        match self.adapters.orders().by_id(id).await? {
            Some(order) if order.buyer_id == caller.user_id => Ok(order),
            _ => Err(OrderQueryError::NotFound),
        }
    }
}
