//! The buyer's cart: lines set and removed, shown with today's prices, what is available, and
//! totals per currency. A cart line holds no stock: checkout decides.

use seckiller_domain::ports::{CartRepository, Clock, ShopCatalog, StockedProduct};
use seckiller_domain::shop::totals_by_currency;
use seckiller_domain::{
    CartLine, CurrencyTotal, MAX_CART_LINES, MAX_LINE_QUANTITY, ProductId, ProductState, Quantity,
};

use super::{CartError, Shop};
use crate::{Adapters, Caller, Unavailable};

/// One line of a shown cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartEntry {
    /// The product with its regular stock.
    pub stocked: StockedProduct,
    /// How many the buyer wants.
    pub quantity: Quantity,
    /// False when the product is archived or has fewer available than wanted: checkout would
    /// refuse it.
    pub orderable: bool,
    /// Quantity times today's price, in minor units.
    pub total_minor: i128,
}

/// A buyer's cart as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartView {
    /// Its lines, oldest first.
    pub lines: Vec<CartEntry>,
    /// What it costs per currency; more than one currency cannot be checked out as one order.
    pub totals: Vec<CurrencyTotal>,
}

impl<A: Adapters> Shop<A> {
    /// The caller's cart.
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn cart(&self, caller: &Caller) -> Result<CartView, Unavailable> {
        let a = &self.adapters;
        let lines = a.carts().lines(caller.user_id).await?;
        let ids: Vec<ProductId> = lines.iter().map(|l| l.product_id).collect();
        let products = a.catalog().stocked(&ids).await?;
        let entries: Vec<CartEntry> = lines
            .iter()
            .filter_map(|line| {
                let stocked = products.iter().find(|p| p.product.id == line.product_id)?;
                Some(CartEntry {
                    orderable: stocked.product.state == ProductState::Active
                        && stocked.stock.available() >= line.quantity.get(),
                    total_minor: stocked.product.price.times(line.quantity),
                    stocked: stocked.clone(),
                    quantity: line.quantity,
                })
            })
            .collect();
        let totals = totals_by_currency(
            entries
                .iter()
                .map(|e| (e.stocked.product.price, e.quantity)),
        );
        Ok(CartView {
            lines: entries,
            totals,
        })
    }

    /// Sets how many of `product` the caller's cart holds, checked against the product (it must
    /// be active), what is available now, the per-line maximum and the cart's line count.
    ///
    /// # Errors
    /// [`CartError`], or `Unavailable` when storage fails.
    pub async fn set_cart_line(
        &self,
        caller: &Caller,
        product: ProductId,
        quantity: Quantity,
    ) -> Result<CartView, CartError> {
        let a = &self.adapters;
        if quantity.get() > MAX_LINE_QUANTITY {
            return Err(CartError::TooMuch(format!(
                "a line holds at most {MAX_LINE_QUANTITY} items"
            )));
        }
        let stocked = a
            .catalog()
            .stocked(&[product])
            .await?
            .pop()
            .ok_or(CartError::UnknownProduct)?;
        if stocked.product.state == ProductState::Archived {
            return Err(CartError::Archived);
        }
        if stocked.stock.available() < quantity.get() {
            return Err(CartError::NotEnoughStock {
                available: stocked.stock.available(),
            });
        }
        let lines = a.carts().lines(caller.user_id).await?;
        let is_new = lines.iter().all(|l| l.product_id != product);
        if is_new && lines.len() >= MAX_CART_LINES {
            return Err(CartError::TooMuch(format!(
                "a cart holds at most {MAX_CART_LINES} lines"
            )));
        }
        let line = CartLine {
            product_id: product,
            quantity,
            updated_at: a.clock().now(),
        };
        a.carts().set_line(caller.user_id, &line).await?;
        Ok(self.cart(caller).await?)
    }

    /// Takes `product` out of the caller's cart; false when it was not in it.
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn remove_cart_line(
        &self,
        caller: &Caller,
        product: ProductId,
    ) -> Result<bool, Unavailable> {
        Ok(self
            .adapters
            .carts()
            .remove_line(caller.user_id, product)
            .await?)
    }

    /// Empties the caller's cart.
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn clear_cart(&self, caller: &Caller) -> Result<(), Unavailable> {
        Ok(self.adapters.carts().clear(caller.user_id).await?)
    }
}
