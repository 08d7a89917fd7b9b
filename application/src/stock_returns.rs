//! Returning the stock of cancelled and expired orders to the gate, and refunding any charge
//! they took. The database move (held → available) happens first, in the transaction that
//! cancels the order; the gate and refund calls follow.
//! Orders whose stock is not yet back in the gate stay listed as unreleased (an outbox), so a node
//! that dies between the two steps loses nothing: any node picks them up on its next pass. Giving
//! back and refunding are both idempotent per order, so doing it twice is harmless.

use seckiller_domain::ports::chain;
use std::collections::BTreeSet;
use std::sync::Arc;

use seckiller_domain::ports::{
    Clock, OrderRepository, PaymentProvider, RestockNotifier, StockGate,
};
use seckiller_domain::{ActivityId, Order};

use crate::sold_out::SoldOutFlags;
use crate::{Adapters, Unavailable};

/// What one release pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseReport {
    /// Orders whose release is now recorded.
    pub released: usize,
    /// Of those, orders whose stock this pass put back into the gate (the others were back
    /// already, or the gate had lost them and will be rebuilt from the database).
    pub returned_to_gate: usize,
    /// Charges refunded: payments that lost the race against cancellation or expiry.
    pub refunded: usize,
    /// Activities announced as restocked.
    pub restocked: Vec<ActivityId>,
}

/// Puts cancelled orders' stock back on sale.
pub struct StockReturns<A: Adapters> {
    adapters: Arc<A>,
    sold_out: SoldOutFlags,
}

impl<A: Adapters> Clone for StockReturns<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            sold_out: self.sold_out.clone(),
        }
    }
}

impl<A: Adapters> StockReturns<A> {
    /// Returns over these adapters, clearing this node's sold-out `flags` at once.
    pub fn new(adapters: Arc<A>, flags: SoldOutFlags) -> Self {
        Self {
            adapters,
            sold_out: flags,
        }
    }

    /// Releases up to `limit` orders from the outbox.
    ///
    /// # Errors
    /// `Unavailable` when storage fails, or when the gate or the payment provider fails before
    /// any order was released (they stay in the outbox for the next pass).
    pub async fn release_pending(&self, limit: u32) -> Result<ReleaseReport, Unavailable> {
        let orders = self.adapters.orders().unreleased(limit).await?;
        self.release(&orders).await
    }

    /// Gives back each order's stock, refunds any charge it had, records the release, and
    /// announces a restock for every activity that got stock back. Stops at the first order
    /// whose gate or refund call fails; that one and the rest stay in the outbox.
    ///
    /// # Errors
    /// As [`StockReturns::release_pending`].
    pub async fn release(&self, orders: &[Order]) -> Result<ReleaseReport, Unavailable> {
        let a = &self.adapters;
        let mut report = ReleaseReport::default();
        let mut released = Vec::with_capacity(orders.len());
        let mut restocked = BTreeSet::new();
        let mut failure = None;
        for order in orders {
            match self.release_one(order).await {
                Ok((returned, refunded)) => {
                    released.push(order.id);
                    if returned {
                        report.returned_to_gate += 1;
                        restocked.insert(order.activity_id);
                    }
                    report.refunded += usize::from(refunded);
                }
                Err(e) => {
                    tracing::warn!(order = %order.id, error = %chain(&e), "order release postponed");
                    failure = Some(e);
                    break;
                }
            }
        }
        if !released.is_empty() {
            a.orders().mark_released(&released, a.clock().now()).await?;
        }
        report.released = released.len();
        for activity in restocked {
            self.sold_out.clear(activity);
            if let Err(e) = a.restock().announce(activity).await {
                tracing::warn!(%activity, error = %chain(&e), "restock announcement lost");
            }
            report.restocked.push(activity);
        }
        match failure {
            Some(e) if report.released == 0 => Err(e),
            _ => Ok(report),
        }
    }

    async fn release_one(&self, order: &Order) -> Result<(bool, bool), Unavailable> {
        let a = &self.adapters;
        // An order cancelled with its sale gives nothing back (the sale is off); it is
        // released only to refund a charge a payment that lost the race may have taken.
        let returned = if order.returns_stock_to_gate() {
            a.gate().give_back(&order.purchase()).await?
        } else {
            false
        };
        let refunded = a
            .payments()
            .refund(order.id)
            .await
            .map_err(|e| Unavailable::said(e.to_string()))?;
        Ok((returned, refunded))
    }
}
