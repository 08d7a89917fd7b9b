//! Orders in memory, moving stock in the shared in-memory activity ledgers exactly as the
//! database adapter does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use seckiller_domain::ports::{OrderRepository, RecordOutcome, Rejection, StorageError};
use seckiller_domain::{ActivityId, Order, OrderId, OrderStatus, PurchaseId, UserId};

use crate::repositories::{MemoryActivityRepository, lock};

#[derive(Debug, Default)]
struct Books {
    orders: HashMap<PurchaseId, Order>,
    rejections: HashMap<PurchaseId, Rejection>,
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

    async fn live_totals(&self, activity: ActivityId) -> Result<(u64, u64), StorageError> {
        let books = lock(&self.books);
        let live = books.orders.values().filter(|o| {
            o.activity_id == activity
                && matches!(o.status, OrderStatus::PendingPayment | OrderStatus::Paid)
        });
        Ok(live.fold((0, 0), |(n, items), o| {
            (n + 1, items + u64::from(o.quantity.get()))
        }))
    }
}
