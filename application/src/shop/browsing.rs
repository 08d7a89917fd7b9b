//! Browsing the catalogue: a page of active products matching the buyer's words, each with its
//! regular stock and the flash sale it is in now or next.

use seckiller_domain::ports::{Clock, ProductSearch, ShopCatalog, StockedProduct};
use seckiller_domain::{Activity, ProductId};

use super::{Shop, ShopQueryError};
use crate::Adapters;

/// The most words a search keeps, and the longest word.
const MAX_WORDS: usize = 8;
const MAX_WORD_CHARS: usize = 64;

/// The largest page.
pub const MAX_PAGE: u32 = 100;

/// One listed product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedProduct {
    /// The product and its regular stock.
    pub stocked: StockedProduct,
    /// The published sale of it that is open now, or else the next to open; none when neither.
    pub sale: Option<Activity>,
}

/// The search words of `query`: lower-case runs of letters and digits, as the databases' text
/// indexes split text.
///
/// # Errors
/// [`ShopQueryError::BadQuery`] for more than 8 words or a word over 64 characters.
pub fn parse_query(query: &str) -> Result<Vec<String>, ShopQueryError> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() > MAX_WORDS {
        return Err(ShopQueryError::BadQuery(format!(
            "a search has at most {MAX_WORDS} words"
        )));
    }
    if words.iter().any(|w| w.chars().count() > MAX_WORD_CHARS) {
        return Err(ShopQueryError::BadQuery(format!(
            "a search word has at most {MAX_WORD_CHARS} characters"
        )));
    }
    Ok(words)
}

impl<A: Adapters> Shop<A> {
    /// A page of active products matching `query`, newest first, after the product `after`.
    ///
    /// # Errors
    /// [`ShopQueryError::BadQuery`], or `Unavailable` when storage fails.
    pub async fn browse(
        &self,
        query: &str,
        after: Option<ProductId>,
        limit: u32,
    ) -> Result<Vec<ListedProduct>, ShopQueryError> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(ShopQueryError::BadQuery(format!(
                "limit must be 1 to {MAX_PAGE}"
            )));
        }
        let a = &self.adapters;
        let search = ProductSearch {
            words: parse_query(query)?,
            after,
            limit,
        };
        let found = a.catalog().search(&search).await?;
        let ids: Vec<ProductId> = found.iter().map(|p| p.product.id).collect();
        let now = a.clock().now();
        let sales = a.catalog().live_sales(&ids, now).await?;
        Ok(found
            .into_iter()
            .map(|stocked| {
                let sale = sales
                    .iter()
                    .filter(|s| s.product_id == stocked.product.id)
                    .min_by_key(|s| (s.window.starts_at(), s.id))
                    .cloned();
                ListedProduct { stocked, sale }
            })
            .collect())
    }
}
