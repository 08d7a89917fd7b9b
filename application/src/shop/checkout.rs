//! Checkout: the cart (or explicit lines) becomes one regular order at the prices shown now,
//! copied into its lines. Storage moves every line's stock available → held in one transaction,
//! all or nothing, and takes the ordered products out of the cart in it.

use seckiller_domain::ports::{
    CartRepository, Clock, IdSource, PlaceOutcome, RegularOrderRepository, ShopCatalog,
};
use seckiller_domain::{OrderId, OrderLine, ProductId, ProductState, Quantity, RegularOrder};

use super::{CheckoutError, Shop};
use crate::{Adapters, Caller};

/// One line asked for at checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckoutLine {
    /// The product.
    pub product_id: ProductId,
    /// How many.
    pub quantity: Quantity,
}

impl<A: Adapters> Shop<A> {
    /// Places one regular order of `lines`, or of the caller's cart when `lines` is `None`.
    ///
    /// # Errors
    /// [`CheckoutError`]: nothing to order, an unknown or archived product, lines that make no
    /// order (two currencies among them), too little stock, or `Unavailable`.
    pub async fn checkout(
        &self,
        caller: &Caller,
        lines: Option<Vec<CheckoutLine>>,
    ) -> Result<RegularOrder, CheckoutError> {
        let a = &self.adapters;
        let from_cart = lines.is_none();
        let wanted = match lines {
            Some(lines) => lines,
            None => a
                .carts()
                .lines(caller.user_id)
                .await?
                .into_iter()
                .map(|l| CheckoutLine {
                    product_id: l.product_id,
                    quantity: l.quantity,
                })
                .collect(),
        };
        if wanted.is_empty() {
            return Err(CheckoutError::Empty);
        }
        let ids: Vec<ProductId> = wanted.iter().map(|l| l.product_id).collect();
        let products = a.catalog().stocked(&ids).await?;
        let mut order_lines = Vec::with_capacity(wanted.len());
        for line in &wanted {
            let stocked = products
                .iter()
                .find(|p| p.product.id == line.product_id)
                .ok_or(CheckoutError::UnknownProduct(line.product_id))?;
            if stocked.product.state == ProductState::Archived {
                return Err(CheckoutError::Archived(line.product_id));
            }
            order_lines.push(OrderLine {
                product_id: line.product_id,
                name: stocked.product.name.clone(),
                unit_price: stocked.product.price,
                quantity: line.quantity,
            });
        }
        let now = a.clock().now();
        let order = RegularOrder::place(
            OrderId::from_uuid(a.ids().next_id()),
            caller.user_id,
            order_lines,
            now + self.pay_window,
            now,
        )?;
        match a.regular_orders().place(&order, from_cart).await? {
            PlaceOutcome::Placed => Ok(order),
            PlaceOutcome::Short {
                product_id,
                available,
            } => Err(CheckoutError::OutOfStock {
                product_id,
                available,
            }),
        }
    }
}
