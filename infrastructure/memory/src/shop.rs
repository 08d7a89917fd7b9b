//! The regular shop in memory: regular stock, carts and regular orders behind one lock, so each
//! checkout and each order move is as atomic as a database transaction. It reads the products
//! and sales of the memory repositories it was made with; the search splits text into words the
//! way the databases' full-text indexes do (letters and digits, case folded).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    CartRepository, ChangeStockError, MoveOutcome, PlaceOutcome, ProductSearch, RegularFigures,
    RegularOrderRepository, RegularTotals, ShopCatalog, StockChange, StockedProduct, StorageError,
};
use seckiller_domain::{
    Activity, ActivityState, CancelReason, CartLine, OrderId, OrderStatus, ProductId, ProductState,
    RegularOrder, StockLedger, UserId,
};

use crate::repositories::{MemoryActivityRepository, MemoryProductRepository, lock};

#[derive(Debug, Default)]
struct ShopState {
    stock: HashMap<ProductId, StockLedger>,
    carts: HashMap<UserId, Vec<CartLine>>,
    orders: Vec<RegularOrder>,
    released: Vec<OrderId>,
}

/// [`ShopCatalog`], [`CartRepository`] and [`RegularOrderRepository`] in memory.
#[derive(Debug, Clone)]
pub struct MemoryShop {
    products: MemoryProductRepository,
    activities: MemoryActivityRepository,
    state: Arc<Mutex<ShopState>>,
}

impl MemoryShop {
    /// The shop around these products and sales.
    pub fn new(products: &MemoryProductRepository, activities: &MemoryActivityRepository) -> Self {
        Self {
            products: products.clone(),
            activities: activities.clone(),
            state: Arc::default(),
        }
    }
}

/// The lower-case words of letters and digits in `text`.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn stock_of(state: &ShopState, id: ProductId) -> StockLedger {
    state
        .stock
        .get(&id)
        .copied()
        .unwrap_or_else(|| StockLedger::new(0))
}

/// Moves each line's quantity of `order` held → sold or held → available.
fn release(state: &mut ShopState, order: &RegularOrder, sold: bool) -> Result<(), StorageError> {
    let mut next = state.stock.clone();
    for line in &order.lines {
        let ledger = next
            .entry(line.product_id)
            .or_insert_with(|| StockLedger::new(0));
        let moved = if sold {
            ledger.confirm(line.quantity.get())
        } else {
            ledger.release(line.quantity.get())
        };
        moved.map_err(|e| StorageError::from(format!("regular stock out of balance: {e}")))?;
    }
    state.stock = next;
    Ok(())
}

impl ShopCatalog for MemoryShop {
    async fn search(&self, search: &ProductSearch) -> Result<Vec<StockedProduct>, StorageError> {
        let products = lock(&self.products.0);
        let state = lock(&self.state);
        let mut found: Vec<_> = products
            .values()
            .filter(|p| p.state == ProductState::Active)
            .filter(|p| search.after.is_none_or(|after| p.id < after))
            .filter(|p| {
                let own = words(&format!("{} {}", p.name.as_str(), p.description.as_str()));
                search
                    .words
                    .iter()
                    .all(|w| own.iter().any(|o| o.starts_with(w.as_str())))
            })
            .map(|p| StockedProduct {
                product: p.clone(),
                stock: stock_of(&state, p.id),
            })
            .collect();
        found.sort_by_key(|p| std::cmp::Reverse(p.product.id));
        found.truncate(usize::try_from(search.limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    async fn stocked(&self, ids: &[ProductId]) -> Result<Vec<StockedProduct>, StorageError> {
        let products = lock(&self.products.0);
        let state = lock(&self.state);
        Ok(ids
            .iter()
            .filter_map(|id| products.get(id))
            .map(|p| StockedProduct {
                product: p.clone(),
                stock: stock_of(&state, p.id),
            })
            .collect())
    }

    async fn change_stock(
        &self,
        id: ProductId,
        change: StockChange,
    ) -> Result<StockLedger, ChangeStockError> {
        if !lock(&self.products.0).contains_key(&id) {
            return Err(ChangeStockError::NotFound);
        }
        let mut state = lock(&self.state);
        let mut ledger = stock_of(&state, id);
        match change {
            StockChange::SetTotal(total) => ledger.set_total(total)?,
            StockChange::Restock(n) => ledger.restock(n)?,
        }
        state.stock.insert(id, ledger);
        Ok(ledger)
    }

    async fn live_sales(
        &self,
        products: &[ProductId],
        now: DateTime<Utc>,
    ) -> Result<Vec<Activity>, StorageError> {
        Ok(lock(&self.activities.0)
            .values()
            .map(|r| &r.activity)
            .filter(|a| {
                products.contains(&a.product_id)
                    && a.state == ActivityState::Published
                    && !a.window.has_ended(now)
            })
            .cloned()
            .collect())
    }
}

impl CartRepository for MemoryShop {
    async fn lines(&self, buyer: UserId) -> Result<Vec<CartLine>, StorageError> {
        let mut lines = lock(&self.state)
            .carts
            .get(&buyer)
            .cloned()
            .unwrap_or_default();
        lines.sort_by_key(|l| (l.updated_at, l.product_id));
        Ok(lines)
    }

    async fn set_line(&self, buyer: UserId, line: &CartLine) -> Result<(), StorageError> {
        let mut state = lock(&self.state);
        let cart = state.carts.entry(buyer).or_default();
        cart.retain(|l| l.product_id != line.product_id);
        cart.push(*line);
        Ok(())
    }

    async fn remove_line(&self, buyer: UserId, product: ProductId) -> Result<bool, StorageError> {
        let mut state = lock(&self.state);
        let Some(cart) = state.carts.get_mut(&buyer) else {
            return Ok(false);
        };
        let before = cart.len();
        cart.retain(|l| l.product_id != product);
        Ok(cart.len() != before)
    }

    async fn clear(&self, buyer: UserId) -> Result<(), StorageError> {
        lock(&self.state).carts.remove(&buyer);
        Ok(())
    }
}

impl RegularOrderRepository for MemoryShop {
    async fn place(
        &self,
        order: &RegularOrder,
        from_cart: bool,
    ) -> Result<PlaceOutcome, StorageError> {
        let mut state = lock(&self.state);
        let mut next = state.stock.clone();
        for line in &order.lines {
            let ledger = next
                .entry(line.product_id)
                .or_insert_with(|| StockLedger::new(0));
            if ledger.hold(line.quantity.get()).is_err() {
                return Ok(PlaceOutcome::Short {
                    product_id: line.product_id,
                    available: ledger.available(),
                });
            }
        }
        state.stock = next;
        state.orders.push(order.clone());
        if from_cart && let Some(cart) = state.carts.get_mut(&order.buyer_id) {
            cart.retain(|l| order.lines.iter().all(|o| o.product_id != l.product_id));
        }
        Ok(PlaceOutcome::Placed)
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<RegularOrder>, StorageError> {
        Ok(lock(&self.state)
            .orders
            .iter()
            .find(|o| o.id == id)
            .cloned())
    }

    async fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RegularOrder>, StorageError> {
        let mut mine: Vec<_> = lock(&self.state)
            .orders
            .iter()
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

    async fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome<RegularOrder>, StorageError> {
        let mut state = lock(&self.state);
        let Some(at) = state.orders.iter().position(|o| o.id == id) else {
            return Ok(MoveOutcome::Missing);
        };
        let mut order = state.orders[at].clone();
        if order.pay(now, payment_ref).is_err() {
            return Ok(MoveOutcome::Refused(order));
        }
        release(&mut state, &order, true)?;
        state.orders[at] = order.clone();
        Ok(MoveOutcome::Moved(order))
    }

    async fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome<RegularOrder>, StorageError> {
        let mut state = lock(&self.state);
        let Some(at) = state.orders.iter().position(|o| o.id == id) else {
            return Ok(MoveOutcome::Missing);
        };
        let mut order = state.orders[at].clone();
        let moved = match reason {
            CancelReason::Expired => order.expire(now),
            CancelReason::ByBuyer | CancelReason::ByAdmin => order.cancel_by_buyer(now),
        };
        if moved.is_err() {
            return Ok(MoveOutcome::Refused(state.orders[at].clone()));
        }
        if reason == CancelReason::ByAdmin {
            order.status = OrderStatus::Cancelled(CancelReason::ByAdmin);
        }
        release(&mut state, &order, false)?;
        state.orders[at] = order.clone();
        Ok(MoveOutcome::Moved(order))
    }

    async fn expire_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RegularOrder>, StorageError> {
        let mut state = lock(&self.state);
        let mut due: Vec<usize> = (0..state.orders.len())
            .filter(|&i| state.orders[i].is_overdue(now))
            .collect();
        due.sort_by_key(|&i| (state.orders[i].pay_deadline, state.orders[i].id));
        due.truncate(limit as usize);
        let mut expired = Vec::with_capacity(due.len());
        for i in due {
            let mut order = state.orders[i].clone();
            if order.expire(now).is_ok() {
                release(&mut state, &order, false)?;
                state.orders[i] = order.clone();
                expired.push(order);
            }
        }
        Ok(expired)
    }

    async fn unreleased(&self, limit: u32) -> Result<Vec<RegularOrder>, StorageError> {
        let state = lock(&self.state);
        let mut waiting: Vec<_> = state
            .orders
            .iter()
            .filter(|o| matches!(o.status, OrderStatus::Cancelled(_)))
            .filter(|o| !state.released.contains(&o.id))
            .cloned()
            .collect();
        waiting.sort_by_key(|o| (o.created_at, o.id));
        waiting.truncate(limit as usize);
        Ok(waiting)
    }

    async fn mark_released(
        &self,
        ids: &[OrderId],
        _now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut state = lock(&self.state);
        for id in ids {
            let ended = state
                .orders
                .iter()
                .any(|o| o.id == *id && matches!(o.status, OrderStatus::Cancelled(_)));
            if ended && !state.released.contains(id) {
                state.released.push(*id);
            }
        }
        Ok(())
    }

    async fn totals(&self, product: ProductId) -> Result<RegularTotals, StorageError> {
        let mut totals = RegularTotals::default();
        for order in &lock(&self.state).orders {
            for line in order.lines.iter().filter(|l| l.product_id == product) {
                let n = u64::from(line.quantity.get());
                match order.status {
                    OrderStatus::PendingPayment => totals.pending_items += n,
                    OrderStatus::Paid => totals.paid_items += n,
                    OrderStatus::Cancelled(_) => {}
                }
            }
        }
        Ok(totals)
    }

    async fn figures(&self) -> Result<RegularFigures, StorageError> {
        let mut figures = RegularFigures::default();
        for order in &lock(&self.state).orders {
            match order.status {
                OrderStatus::PendingPayment => figures.pending += 1,
                OrderStatus::Paid => {
                    figures.paid += 1;
                    figures.items_sold += order.items();
                }
                OrderStatus::Cancelled(CancelReason::Expired) => figures.expired += 1,
                OrderStatus::Cancelled(_) => figures.cancelled += 1,
            }
        }
        Ok(figures)
    }
}
