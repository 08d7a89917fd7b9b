//! The regular shop's repositories under the database's guard, like every other repository.

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    CartRepository, ChangeStockError, MoveOutcome, PlaceOutcome, ProductSearch, RegularFigures,
    RegularOrderRepository, RegularTotals, ShopCatalog, StockChange, StockedProduct, StorageError,
};
use seckiller_domain::{
    Activity, CancelReason, CartLine, OrderId, ProductId, RegularOrder, StockLedger, UserId,
};

use super::Guarded;

impl<R: ShopCatalog> ShopCatalog for Guarded<R> {
    async fn search(&self, search: &ProductSearch) -> Result<Vec<StockedProduct>, StorageError> {
        self.heavy(self.inner.search(search)).await
    }

    async fn stocked(&self, ids: &[ProductId]) -> Result<Vec<StockedProduct>, StorageError> {
        self.read(self.inner.stocked(ids)).await
    }

    /// Unguarded: a refused change is an answer, not a failure, and admins are few.
    async fn change_stock(
        &self,
        id: ProductId,
        change: StockChange,
    ) -> Result<StockLedger, ChangeStockError> {
        self.inner.change_stock(id, change).await
    }

    async fn live_sales(
        &self,
        products: &[ProductId],
        now: DateTime<Utc>,
    ) -> Result<Vec<Activity>, StorageError> {
        self.read(self.inner.live_sales(products, now)).await
    }
}

impl<R: CartRepository> CartRepository for Guarded<R> {
    async fn lines(&self, buyer: UserId) -> Result<Vec<CartLine>, StorageError> {
        self.read(self.inner.lines(buyer)).await
    }

    async fn set_line(&self, buyer: UserId, line: &CartLine) -> Result<(), StorageError> {
        self.heavy(self.inner.set_line(buyer, line)).await
    }

    async fn remove_line(&self, buyer: UserId, product: ProductId) -> Result<bool, StorageError> {
        self.heavy(self.inner.remove_line(buyer, product)).await
    }

    async fn clear(&self, buyer: UserId) -> Result<(), StorageError> {
        self.heavy(self.inner.clear(buyer)).await
    }
}

impl<R: RegularOrderRepository> RegularOrderRepository for Guarded<R> {
    async fn place(
        &self,
        order: &RegularOrder,
        from_cart: bool,
    ) -> Result<PlaceOutcome, StorageError> {
        self.heavy(self.inner.place(order, from_cart)).await
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<RegularOrder>, StorageError> {
        self.read(self.inner.by_id(id)).await
    }

    async fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RegularOrder>, StorageError> {
        self.heavy(self.inner.for_buyer(buyer, limit, offset)).await
    }

    async fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome<RegularOrder>, StorageError> {
        self.heavy(self.inner.pay(id, payment_ref, now)).await
    }

    async fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome<RegularOrder>, StorageError> {
        self.heavy(self.inner.cancel(id, reason, now)).await
    }

    async fn expire_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RegularOrder>, StorageError> {
        self.heavy(self.inner.expire_due(now, limit)).await
    }

    async fn unreleased(&self, limit: u32) -> Result<Vec<RegularOrder>, StorageError> {
        self.heavy(self.inner.unreleased(limit)).await
    }

    async fn mark_released(&self, ids: &[OrderId], now: DateTime<Utc>) -> Result<(), StorageError> {
        self.heavy(self.inner.mark_released(ids, now)).await
    }

    async fn totals(&self, product: ProductId) -> Result<RegularTotals, StorageError> {
        self.heavy(self.inner.totals(product)).await
    }

    async fn figures(&self) -> Result<RegularFigures, StorageError> {
        self.heavy(self.inner.figures()).await
    }
}
