//! What a buyer does with an order: pay it or withdraw from it.
//!
//! Paying charges first, then asks the database to move the order with ONE conditional update
//! (pending, before its deadline, its sale not cancelled). If the sweeper expired the order or
//! the sale was called off meanwhile, the update refuses, the charge is refunded, and the buyer
//! hears "expired" or "cancelled": an order ends paid or not, never both, and its stock is
//! counted once.

mod errors;

use seckiller_domain::ports::chain;
use std::sync::Arc;

use seckiller_domain::ports::{
    ActivityRepository, Clock, MoveOutcome, OrderRepository, PaymentError, PaymentProvider,
};
use seckiller_domain::{ActivityState, CancelReason, Order, OrderId, OrderStatus};

pub use errors::{CancelOrderError, PayError};

use crate::stock_returns::StockReturns;
use crate::{Adapters, Caller, Unavailable};

/// Paying and cancelling orders.
pub struct OrderActions<A: Adapters> {
    adapters: Arc<A>,
    returns: StockReturns<A>,
}

impl<A: Adapters> Clone for OrderActions<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            returns: self.returns.clone(),
        }
    }
}

impl<A: Adapters> OrderActions<A> {
    /// Order actions over these adapters; cancelled stock goes back through `returns`.
    pub fn new(adapters: Arc<A>, returns: StockReturns<A>) -> Self {
        Self { adapters, returns }
    }

    async fn own(&self, caller: &Caller, id: OrderId) -> Result<Option<Order>, Unavailable> {
        Ok(self
            .adapters
            .orders()
            .by_id(id)
            .await?
            .filter(|o| o.buyer_id == caller.user_id))
    }

    /// Pays the caller's order. Paying a paid order answers it again and charges nothing more.
    ///
    /// # Errors
    /// [`PayError`]: unknown, expired, cancelled, declined, or `Unavailable`.
    pub async fn pay(&self, caller: &Caller, id: OrderId) -> Result<Order, PayError> {
        let a = &self.adapters;
        let order = self.own(caller, id).await?.ok_or(PayError::NotFound)?;
        match order.status {
            OrderStatus::Paid => return Ok(order),
            OrderStatus::Cancelled(_) => return Err(self.refused(&order).await),
            OrderStatus::PendingPayment if order.is_overdue(a.clock().now()) => {
                return Err(PayError::Expired);
            }
            OrderStatus::PendingPayment => {}
        }
        if self.sale_cancelled(&order).await? {
            let now = a.clock().now();
            return match a
                .orders()
                .cancel(order.id, CancelReason::ByAdmin, now)
                .await?
            {
                MoveOutcome::Refused(current) if current.status == OrderStatus::Paid => Ok(current),
                _ => Err(PayError::Cancelled),
            };
        }
        let currency = order.unit_price.currency();
        let receipt = a
            .payments()
            .charge(order.id, order.total_minor(), currency.as_str())
            .await
            .map_err(|e| match e {
                PaymentError::Declined(why) => PayError::Declined(why),
                PaymentError::Unavailable(why) => PayError::Unavailable(Unavailable::said(why)),
            })?;
        // The instant the charge completed decides against the deadline.
        let now = a.clock().now();
        match a.orders().pay(order.id, &receipt.reference, now).await? {
            MoveOutcome::Moved(paid) => Ok(paid),
            MoveOutcome::Refused(current) if current.status == OrderStatus::Paid => Ok(current),
            MoveOutcome::Refused(current) => Err(self.refused(&current).await),
            MoveOutcome::Missing => Err(PayError::NotFound),
        }
    }

    /// An early answer for an order of a called-off sale, so nobody is charged for it. It only
    /// saves a charge: the decision is storage's, in the payment's own transaction (see
    /// [`OrderRepository::pay`]), so a cancellation committing after this read still wins.
    async fn sale_cancelled(&self, order: &Order) -> Result<bool, Unavailable> {
        let record = self.adapters.activities().by_id(order.activity_id).await?;
        Ok(record.is_some_and(|r| r.activity.state == ActivityState::Cancelled))
    }

    /// The answer for an order that can no longer be paid. A charge that lost the race (to the
    /// sweeper, the buyer's own cancellation, or the sale's) is refunded now; should that fail,
    /// the order's release from the outbox refunds it (refunds are idempotent per order).
    async fn refused(&self, order: &Order) -> PayError {
        if let Err(e) = self.adapters.payments().refund(order.id).await {
            tracing::warn!(order = %order.id, error = %chain(&e), "refund postponed to the order's release");
        }
        match order.status {
            OrderStatus::Cancelled(CancelReason::Expired) | OrderStatus::PendingPayment => {
                PayError::Expired
            }
            _ => PayError::Cancelled,
        }
    }

    /// Withdraws from the caller's unpaid order; its stock goes back on sale at once.
    /// Cancelling an order the buyer already cancelled answers it again.
    ///
    /// # Errors
    /// [`CancelOrderError`]: unknown, paid, expired, cancelled with its sale, or `Unavailable`.
    pub async fn cancel(&self, caller: &Caller, id: OrderId) -> Result<Order, CancelOrderError> {
        let a = &self.adapters;
        self.own(caller, id)
            .await?
            .ok_or(CancelOrderError::NotFound)?;
        let now = a.clock().now();
        match a.orders().cancel(id, CancelReason::ByBuyer, now).await? {
            MoveOutcome::Moved(cancelled) => {
                // Best effort now; the outbox retries whatever this misses.
                if let Err(e) = self.returns.release(std::slice::from_ref(&cancelled)).await {
                    tracing::warn!(order = %id, error = %chain(&e), "stock return postponed");
                }
                Ok(cancelled)
            }
            MoveOutcome::Refused(current) => match current.status {
                OrderStatus::Cancelled(CancelReason::ByBuyer) => Ok(current),
                OrderStatus::Cancelled(CancelReason::Expired) => Err(CancelOrderError::Expired),
                OrderStatus::Cancelled(CancelReason::ByAdmin) => {
                    Err(CancelOrderError::CancelledBySale)
                }
                OrderStatus::Paid => Err(CancelOrderError::AlreadyPaid),
                OrderStatus::PendingPayment => Err(CancelOrderError::Unavailable(Unavailable(
                    "the order could not be moved; try again".into(),
                ))),
            },
            MoveOutcome::Missing => Err(CancelOrderError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests;
