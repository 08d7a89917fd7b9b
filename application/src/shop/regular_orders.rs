//! Paying and cancelling regular orders, and refunding the charges of those that ended unpaid,
//! by the flash-sale orders' rules: charge first, then ONE conditional update in storage decides
//! (pending, before the deadline); a charge that lost the race is refunded now, or by the
//! outbox pass if that fails. No stock gate is involved: regular stock lives in the database
//! only, and moved with the order.

use seckiller_domain::ports::{
    Clock, MoveOutcome, PaymentError, PaymentProvider, RegularOrderRepository, chain,
};
use seckiller_domain::{CancelReason, OrderId, OrderStatus, RegularOrder};

use super::{RegularOrderActionError as ActionError, Shop};
use crate::{Adapters, Caller, Unavailable};

/// What one outbox pass over regular orders did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegularRelease {
    /// Orders expired this pass.
    pub expired: usize,
    /// Cancelled and expired orders whose release is now recorded.
    pub released: usize,
    /// Charges refunded.
    pub refunded: usize,
}

/// Expires up to `batch` overdue regular orders, then refunds any charge of ended ones and
/// records their release. Refunds are idempotent per order, so a second pass is harmless.
///
/// # Errors
/// `Unavailable` when storage fails; a provider failure only postpones a release.
pub async fn release_regular_orders<A: Adapters>(
    adapters: &A,
    batch: u32,
) -> Result<RegularRelease, Unavailable> {
    let orders = adapters.regular_orders();
    let expired = orders
        .expire_due(adapters.clock().now(), batch.max(1))
        .await?;
    let ended = orders.unreleased(batch.max(1)).await?;
    let mut report = RegularRelease {
        expired: expired.len(),
        ..RegularRelease::default()
    };
    let mut released = Vec::with_capacity(ended.len());
    for order in &ended {
        match adapters.payments().refund(order.id).await {
            Ok(refunded) => {
                report.refunded += usize::from(refunded);
                released.push(order.id);
            }
            Err(e) => {
                tracing::warn!(order = %order.id, error = %chain(&e), "refund postponed");
                break;
            }
        }
    }
    orders
        .mark_released(&released, adapters.clock().now())
        .await?;
    report.released = released.len();
    Ok(report)
}

impl<A: Adapters> Shop<A> {
    async fn own(&self, caller: &Caller, id: OrderId) -> Result<RegularOrder, ActionError> {
        self.adapters
            .regular_orders()
            .by_id(id)
            .await?
            .filter(|o| o.buyer_id == caller.user_id)
            .ok_or(ActionError::NotFound)
    }

    /// The caller's regular order.
    ///
    /// # Errors
    /// [`ActionError::NotFound`], or `Unavailable`.
    pub async fn regular_order(
        &self,
        caller: &Caller,
        id: OrderId,
    ) -> Result<RegularOrder, ActionError> {
        self.own(caller, id).await
    }

    /// The caller's regular orders, newest first.
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn regular_orders(
        &self,
        caller: &Caller,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RegularOrder>, Unavailable> {
        Ok(self
            .adapters
            .regular_orders()
            .for_buyer(caller.user_id, limit, offset)
            .await?)
    }

    /// Pays the caller's regular order; paying a paid order answers it and charges nothing.
    ///
    /// # Errors
    /// [`ActionError`]: unknown, expired, cancelled, declined, or `Unavailable`.
    pub async fn pay_regular(
        &self,
        caller: &Caller,
        id: OrderId,
    ) -> Result<RegularOrder, ActionError> {
        let a = &self.adapters;
        let order = self.own(caller, id).await?;
        match order.status {
            OrderStatus::Paid => return Ok(order),
            OrderStatus::Cancelled(_) => return Err(self.refused(&order).await),
            OrderStatus::PendingPayment if order.is_overdue(a.clock().now()) => {
                return Err(ActionError::Expired);
            }
            OrderStatus::PendingPayment => {}
        }
        let receipt = a
            .payments()
            .charge(order.id, order.total_minor(), order.currency.as_str())
            .await
            .map_err(|e| match e {
                PaymentError::Declined(why) => ActionError::Declined(why),
                PaymentError::Unavailable(why) => ActionError::Unavailable(Unavailable::said(why)),
            })?;
        let now = a.clock().now();
        match a
            .regular_orders()
            .pay(order.id, &receipt.reference, now)
            .await?
        {
            MoveOutcome::Moved(paid) => Ok(paid),
            MoveOutcome::Refused(current) if current.status == OrderStatus::Paid => Ok(current),
            MoveOutcome::Refused(current) => Err(self.refused(&current).await),
            MoveOutcome::Missing => Err(ActionError::NotFound),
        }
    }

    /// A charge that lost the race is refunded now; should that fail, the outbox refunds it.
    async fn refused(&self, order: &RegularOrder) -> ActionError {
        if let Err(e) = self.adapters.payments().refund(order.id).await {
            tracing::warn!(order = %order.id, error = %chain(&e), "refund postponed to the order's release");
        }
        match order.status {
            OrderStatus::Cancelled(CancelReason::Expired) | OrderStatus::PendingPayment => {
                ActionError::Expired
            }
            _ => ActionError::Cancelled,
        }
    }

    /// Withdraws from the caller's unpaid regular order; its stock is available again at once.
    /// Cancelling it again answers it again.
    ///
    /// # Errors
    /// [`ActionError`]: unknown, paid, expired, or `Unavailable`.
    pub async fn cancel_regular(
        &self,
        caller: &Caller,
        id: OrderId,
    ) -> Result<RegularOrder, ActionError> {
        let a = &self.adapters;
        self.own(caller, id).await?;
        let now = a.clock().now();
        match a
            .regular_orders()
            .cancel(id, CancelReason::ByBuyer, now)
            .await?
        {
            MoveOutcome::Moved(cancelled) => Ok(cancelled),
            MoveOutcome::Refused(current) => match current.status {
                OrderStatus::Cancelled(CancelReason::Expired) => Err(ActionError::Expired),
                OrderStatus::Cancelled(_) => Ok(current),
                OrderStatus::Paid => Err(ActionError::AlreadyPaid),
                OrderStatus::PendingPayment => Err(ActionError::Unavailable(Unavailable::said(
                    "the order could not be moved; try again",
                ))),
            },
            MoveOutcome::Missing => Err(ActionError::NotFound),
        }
    }
}
