//! The regular shop's storage: the catalogue as buyers browse it (search and regular stock), the
//! carts, and the regular orders. Kept apart from the flash-sale ports on purpose: the purchase
//! path reaches none of these, and these reach no sale's stock.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{MoveOutcome, StorageError};
use crate::activity::Activity;
use crate::ids::{OrderId, ProductId, UserId};
use crate::order::CancelReason;
use crate::product::Product;
use crate::shop::{CartLine, RegularOrder};
use crate::stock::{StockError, StockLedger};

/// A page of the listed catalogue: active products whose name or description holds every word,
/// newest first, after the product `after` (the previous page's last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSearch {
    /// Lower-case words of letters and digits; each matches a word of the product that starts
    /// with it. None: every active product.
    pub words: Vec<String>,
    /// The last product of the previous page.
    pub after: Option<ProductId>,
    /// At most this many.
    pub limit: u32,
}

/// A product with its regular stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockedProduct {
    /// The product.
    pub product: Product,
    /// Its regular stock (never a sale's).
    pub stock: StockLedger,
}

/// An admin's change of a product's regular stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockChange {
    /// Make the total this; what is held and sold stays, available becomes the rest.
    SetTotal(u32),
    /// Add this many available items.
    Restock(u32),
}

/// Why a regular stock change was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeStockError {
    /// No such product.
    #[error("no such product")]
    NotFound,
    /// The ledger refused the change.
    #[error(transparent)]
    Refused(#[from] StockError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The catalogue as buyers browse it, and each product's regular stock.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait ShopCatalog: Send + Sync + 'static {
    /// A page of active products matching the search. Postgres full-text search and SQLite
    /// FTS5 answer the same products in the same order.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn search(
        &self,
        search: &ProductSearch,
    ) -> impl Future<Output = Result<Vec<StockedProduct>, StorageError>> + Send;

    /// These products (archived ones too) with their stock; unknown ids are left out.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn stocked(
        &self,
        ids: &[ProductId],
    ) -> impl Future<Output = Result<Vec<StockedProduct>, StorageError>> + Send;

    /// Changes a product's regular stock under its row lock; answers the ledger as stored.
    ///
    /// # Errors
    /// [`ChangeStockError`]: unknown product, a refused change, or storage.
    fn change_stock(
        &self,
        id: ProductId,
        change: StockChange,
    ) -> impl Future<Output = Result<StockLedger, ChangeStockError>> + Send;

    /// The published sales of these products not yet ended at `now`.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn live_sales(
        &self,
        products: &[ProductId],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Activity>, StorageError>> + Send;
}

/// Buyers' carts.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait CartRepository: Send + Sync + 'static {
    /// A buyer's cart lines, oldest first.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn lines(
        &self,
        buyer: UserId,
    ) -> impl Future<Output = Result<Vec<CartLine>, StorageError>> + Send;

    /// Sets (adds or replaces) one line of a buyer's cart.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn set_line(
        &self,
        buyer: UserId,
        line: &CartLine,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Removes one line; false when there was none.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn remove_line(
        &self,
        buyer: UserId,
        product: ProductId,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;

    /// Empties a buyer's cart.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn clear(&self, buyer: UserId) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// What placing a regular order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceOutcome {
    /// Stored; every line's stock moved available → held.
    Placed,
    /// A line's product had fewer available than asked; nothing was stored or moved.
    Short {
        /// The product.
        product_id: ProductId,
        /// What it had available.
        available: u32,
    },
}

/// Regular orders and items of one product, by where the orders are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegularTotals {
    /// Items of pending orders: the product's held count must equal this.
    pub pending_items: u64,
    /// Items of paid orders: the product's sold count must equal this.
    pub paid_items: u64,
}

/// Regular orders by status, for the admin's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegularFigures {
    /// Orders awaiting payment.
    pub pending: u64,
    /// Paid orders.
    pub paid: u64,
    /// Orders cancelled by their buyer.
    pub cancelled: u64,
    /// Orders expired unpaid.
    pub expired: u64,
    /// Items of paid orders.
    pub items_sold: u64,
}

/// Regular orders. Every move is one transaction: a conditional update of the order that applies
/// only while it is pending (payment only strictly before its deadline), and the guarded moves of
/// its lines' stock, in product id order, so concurrent orders never deadlock.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait RegularOrderRepository: Send + Sync + 'static {
    /// Stores a new pending order and moves each line's stock available → held, guarded so
    /// available never goes below zero, in ONE transaction; with `from_cart`, the ordered
    /// products leave the buyer's cart in it too.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing was stored.
    fn place(
        &self,
        order: &RegularOrder,
        from_cart: bool,
    ) -> impl Future<Output = Result<PlaceOutcome, StorageError>> + Send;

    /// The order with this id.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn by_id(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<Option<RegularOrder>, StorageError>> + Send;

    /// A buyer's regular orders, newest first.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> impl Future<Output = Result<Vec<RegularOrder>, StorageError>> + Send;

    /// Pays a pending order strictly before its deadline; its items move held → sold.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing changed.
    fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<MoveOutcome<RegularOrder>, StorageError>> + Send;

    /// Cancels a pending order for `reason` (an expiry only at or after its deadline); its
    /// items move held → available. It then waits in the outbox until any charge is refunded.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing changed.
    fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<MoveOutcome<RegularOrder>, StorageError>> + Send;

    /// Claims up to `limit` pending orders due at `now` (claims of concurrent sweepers never
    /// overlap) and expires them, their items held → available, in one transaction.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing changed.
    fn expire_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<RegularOrder>, StorageError>> + Send;

    /// Up to `limit` cancelled or expired orders whose release (any charge refunded) is not
    /// recorded yet, oldest first.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn unreleased(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<RegularOrder>, StorageError>> + Send;

    /// Records these orders as released.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn mark_released(
        &self,
        ids: &[OrderId],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// One product's regular order items by status, for the ledger check.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn totals(
        &self,
        product: ProductId,
    ) -> impl Future<Output = Result<RegularTotals, StorageError>> + Send;

    /// Every regular order by status, for the admin's figures.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn figures(&self) -> impl Future<Output = Result<RegularFigures, StorageError>> + Send;
}
