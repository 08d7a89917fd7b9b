//! Orders in memory, moving stock in the shared in-memory activity ledgers exactly as the
//! database adapter does. Every operation holds the books' lock, then the ledgers' (always in
//! that order), for its whole length: it is one transaction, and concurrent callers take turns.

mod expiry;
mod moves;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    MoveOutcome, OrderRepository, OrderTotals, RecordOutcome, Rejection, StorageError,
    UpdateActivityError,
};
use seckiller_domain::{
    Activity, ActivityId, CancelReason, Order, OrderId, OrderStatus, PurchaseId, UserId,
};

use crate::repositories::{MemoryActivityRepository, lock};

#[derive(Debug, Default)]
struct Books {
    orders: HashMap<PurchaseId, Order>,
    rejections: HashMap<PurchaseId, Rejection>,
    /// Cancelled and expired orders that are released: stock back in the stock gate where it
    /// was owed there, any charge refunded.
    released: HashSet<OrderId>,
}

impl Books {
    fn by_id_mut(&mut self, id: OrderId) -> Option<&mut Order> {
        self.orders.values_mut().find(|o| o.id == id)
    }
}

/// Orders and rejections in memory.
#[derive(Debug, Clone)]
pub struct MemoryOrderRepository {
    books: Arc<Mutex<Books>>,
    activities: MemoryActivityRepository,
}

impl MemoryOrderRepository {
    /// Orders whose stock lives in `activities`' ledgers.
    pub fn new(activities: MemoryActivityRepository) -> Self {
        Self {
            books: Arc::default(),
            activities,
        }
    }

    /// Every pending and paid order of `activity` (`live`), or every other one, oldest first.
    fn orders_by_liveness(&self, activity: ActivityId, live: bool) -> Vec<Order> {
        let mut chosen: Vec<Order> = lock(&self.books)
            .orders
            .values()
            .filter(|o| {
                o.activity_id == activity
                    && matches!(o.status, OrderStatus::PendingPayment | OrderStatus::Paid) == live
            })
            .cloned()
            .collect();
        chosen.sort_by_key(|o| (o.created_at, o.id));
        chosen
    }
}

impl OrderRepository for MemoryOrderRepository {
    async fn record(&self, orders: &[Order]) -> Result<Vec<RecordOutcome>, StorageError> {
        let mut books = lock(&self.books);
        let mut records = lock(&self.activities.0);
        let mut outcomes = Vec::with_capacity(orders.len());
        for order in orders {
            if books.orders.contains_key(&order.purchase_id) {
                outcomes.push(RecordOutcome::AlreadyRecorded);
                continue;
            }
            if let Some(rejection) = books.rejections.get(&order.purchase_id) {
                // A rejected purchase stays rejected, as in the database adapter.
                outcomes.push(RecordOutcome::Rejected {
                    reason: rejection.reason.clone(),
                });
                continue;
            }
            let held = match records.get_mut(&order.activity_id) {
                None => Err(format!("activity {} does not exist", order.activity_id)),
                Some(r) => r
                    .stock
                    .hold(order.quantity.get())
                    .map_err(|_| "the ledger has too little stock available".to_owned()),
            };
            match held {
                Ok(()) => {
                    books.orders.insert(order.purchase_id, order.clone());
                    outcomes.push(RecordOutcome::Created);
                }
                Err(reason) => {
                    books.rejections.insert(
                        order.purchase_id,
                        Rejection {
                            purchase_id: order.purchase_id,
                            activity_id: order.activity_id,
                            buyer_id: order.buyer_id,
                            reason: reason.clone(),
                            rejected_at: order.created_at,
                        },
                    );
                    outcomes.push(RecordOutcome::Rejected { reason });
                }
            }
        }
        Ok(outcomes)
    }

    async fn by_purchase(&self, id: PurchaseId) -> Result<Option<Order>, StorageError> {
        Ok(lock(&self.books).orders.get(&id).cloned())
    }

    async fn rejection(&self, id: PurchaseId) -> Result<Option<Rejection>, StorageError> {
        Ok(lock(&self.books).rejections.get(&id).cloned())
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, StorageError> {
        Ok(lock(&self.books)
            .orders
            .values()
            .find(|o| o.id == id)
            .cloned())
    }

    async fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Order>, StorageError> {
        let mut mine: Vec<Order> = lock(&self.books)
            .orders
            .values()
            .filter(|o| o.buyer_id == buyer)
            .cloned()
            .collect();
        mine.sort_by_key(|o| std::cmp::Reverse((o.created_at, o.id)));
        Ok(mine
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect())
    }

    async fn totals(&self, activity: ActivityId) -> Result<OrderTotals, StorageError> {
        let books = lock(&self.books);
        let mut totals = OrderTotals::default();
        for order in books.orders.values().filter(|o| o.activity_id == activity) {
            let items = u64::from(order.quantity.get());
            match order.status {
                OrderStatus::PendingPayment => {
                    totals.pending_items += items;
                    totals.live_orders += 1;
                }
                OrderStatus::Paid => {
                    totals.paid_items += items;
                    totals.live_orders += 1;
                }
                OrderStatus::Cancelled(_) => totals.cancelled_items += items,
            }
        }
        Ok(totals)
    }

    async fn live_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        Ok(self.orders_by_liveness(activity, true))
    }

    async fn ended_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        Ok(self.orders_by_liveness(activity, false))
    }

    async fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        self.pay_now(id, payment_ref, now)
    }

    async fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        self.cancel_now(id, reason, now)
    }

    async fn expire_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Order>, StorageError> {
        self.expire_due_now(now, limit)
    }

    async fn cancel_sale(
        &self,
        activity: &Activity,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, UpdateActivityError> {
        self.cancel_sale_now(activity, expected_version, now)
    }

    async fn unreleased(&self, limit: u32) -> Result<Vec<Order>, StorageError> {
        Ok(self.unreleased_now(limit))
    }

    async fn mark_released(
        &self,
        ids: &[OrderId],
        _now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.mark_released_now(ids);
        Ok(())
    }
}
