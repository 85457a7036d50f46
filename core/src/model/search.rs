//! The product-search contract every store implements natively (SQLite FTS5, PostgreSQL
//! tsvector, a scan in the memory store), and the reference rules the conformance suite checks.
//!
//! Semantics, identical on every store:
//! - `text` is full-text over the product name, description, category names and variant SKUs.
//!   It is split into terms (letters and digits); every term must match a word that starts with
//!   it (so "org tee" finds "Organic cotton tee"). A term equal to a SKU (case-insensitive) hits
//!   that product.
//! - `Relevance` ranks a product whose name (or SKU) matches every term above one that matches
//!   some terms only in its description or categories; within a rank, and with no text, newest
//!   first, then id.
//! - `categoryId` includes the category's descendants.
//! - A product's price is its lowest variant price in `currency`. A price filter or a price sort
//!   leaves out products without a price in `currency`.
//! - `inStock: true` keeps products with a variant whose stock is above zero or that allows
//!   backorders; `false` keeps the others.
//! - `status: None` means any status (admin); storefronts ask for `active`.
//! - `total` counts every match before paging.

use std::cmp::Ordering;
use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::{Category, Product, ProductStatus};
use crate::error::{Error, Result};
use crate::ids::CategoryId;
use crate::model::page::Page;
use crate::money::Currency;
use crate::text::check_text;

/// Longest search text accepted.
pub const MAX_SEARCH_TEXT: usize = 200;
/// Most results per page.
pub const MAX_PAGE_SIZE: u32 = 100;

/// How results are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProductSort {
    /// Best text match first (newest first without text).
    #[default]
    Relevance,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
    /// Most recently created first.
    Newest,
}

impl ProductSort {
    /// Parses the API's `sort=field,direction` form (`price,asc`, `name,desc`, `newest`,
    /// `relevance`).
    pub fn parse(value: &str) -> Result<ProductSort> {
        let v = value.trim().to_ascii_lowercase();
        let (field, direction) = v.split_once(',').unwrap_or((v.as_str(), "asc"));
        match (field.trim(), direction.trim()) {
            ("relevance", _) => Ok(ProductSort::Relevance),
            ("newest", _) | ("created", "desc") | ("createdat", "desc") => Ok(ProductSort::Newest),
            ("price", "asc") => Ok(ProductSort::PriceAsc),
            ("price", "desc") => Ok(ProductSort::PriceDesc),
            ("name", "asc") => Ok(ProductSort::NameAsc),
            ("name", "desc") => Ok(ProductSort::NameDesc),
            _ => Err(Error::validation(
                "sort",
                format!("`{value}` is not a sort; use relevance, newest, price,asc|desc or name,asc|desc"),
            )),
        }
    }

    /// Whether the order depends on prices in the query currency.
    pub fn by_price(self) -> bool {
        matches!(self, ProductSort::PriceAsc | ProductSort::PriceDesc)
    }
}

/// A product search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductSearch {
    /// Full-text query.
    #[serde(default)]
    pub text: Option<String>,
    /// Only products filed under this category or one of its descendants.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// Currency of the price filter and price sort.
    pub currency: Currency,
    /// Lowest price, inclusive.
    #[serde(default)]
    pub min_price: Option<Decimal>,
    /// Highest price, inclusive.
    #[serde(default)]
    pub max_price: Option<Decimal>,
    /// Only products that can (or cannot) be bought now.
    #[serde(default)]
    pub in_stock: Option<bool>,
    /// Only this status; any when `None`.
    #[serde(default)]
    pub status: Option<ProductStatus>,
    /// Order of results.
    #[serde(default)]
    pub sort: ProductSort,
    /// The page.
    #[serde(default)]
    pub page: Page,
}

impl ProductSearch {
    /// Every active product in `currency`, by relevance, first page.
    pub fn storefront(currency: Currency) -> ProductSearch {
        ProductSearch {
            text: None,
            category_id: None,
            currency,
            min_price: None,
            max_price: None,
            in_stock: None,
            status: Some(ProductStatus::Active),
            sort: ProductSort::Relevance,
            page: Page::default(),
        }
    }

    /// Checks the query; an empty text counts as no text.
    pub fn validate(&mut self) -> Result<()> {
        if let Some(text) = &self.text {
            // Stores pass the text to their query engines, and PostgreSQL refuses a NUL there.
            check_text("q", text)?;
            if text.chars().count() > MAX_SEARCH_TEXT {
                return Err(Error::validation(
                    "q",
                    format!("search text is limited to {MAX_SEARCH_TEXT} characters"),
                ));
            }
            if search_terms(text).is_empty() {
                self.text = None;
            }
        }
        for (field, price) in [("minPrice", self.min_price), ("maxPrice", self.max_price)] {
            if price.is_some_and(|p| p.is_sign_negative() && !p.is_zero()) {
                return Err(Error::validation(
                    field,
                    "a price bound must not be negative",
                ));
            }
        }
        if let (Some(min), Some(max)) = (self.min_price, self.max_price) {
            if min > max {
                return Err(Error::validation("minPrice", "minPrice is above maxPrice"));
            }
        }
        if self.page.limit == 0 || self.page.limit > MAX_PAGE_SIZE {
            return Err(Error::validation(
                "limit",
                format!("limit must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(())
    }

    /// Whether price filters or sorts restrict results to products priced in the currency.
    pub fn needs_price(&self) -> bool {
        self.min_price.is_some() || self.max_price.is_some() || self.sort.by_price()
    }
}

/// One page of search results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductPage {
    /// Matches before paging.
    pub total: u64,
    /// This page.
    pub items: Vec<Product>,
}

/// The search terms of a text: lowercase runs of letters and digits.
pub fn search_terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The lowest variant price of a product in `currency`.
pub fn lowest_price(product: &Product, currency: Currency) -> Option<Decimal> {
    product
        .variants
        .iter()
        .filter_map(|v| v.prices.get(&currency).copied())
        .min()
}

/// Whether some variant can be bought now.
pub fn is_in_stock(product: &Product) -> bool {
    product
        .variants
        .iter()
        .any(|v| v.allow_backorder || v.stock > Decimal::ZERO)
}

/// How well a product matches the terms: `None` when some term matches nothing, `Some(2)` when
/// the name and SKUs alone match every term, `Some(1)` otherwise.
pub fn text_rank(product: &Product, category_names: &[&str], terms: &[String]) -> Option<u8> {
    let words = |text: &str| search_terms(text);
    let name_words: Vec<String> = words(&product.name)
        .into_iter()
        .chain(product.variants.iter().flat_map(|v| words(&v.sku)))
        .collect();
    let skus: Vec<String> = product
        .variants
        .iter()
        .map(|v| v.sku.to_lowercase())
        .collect();
    let other_words: Vec<String> = words(&product.description)
        .into_iter()
        .chain(category_names.iter().flat_map(|c| words(c)))
        .collect();
    let hits = |list: &[String], term: &str| list.iter().any(|w| w.starts_with(term));
    let mut all_in_name = true;
    for term in terms {
        let in_name = hits(&name_words, term) || skus.iter().any(|s| s == term);
        if !in_name && !hits(&other_words, term) {
            return None;
        }
        all_in_name &= in_name;
    }
    Some(if all_in_name { 2 } else { 1 })
}

/// The reference implementation over products in memory: what every store must return.
pub fn search_in_memory<'p>(
    products: impl IntoIterator<Item = &'p Product>,
    categories: &[Category],
    query: &ProductSearch,
) -> ProductPage {
    let by_id: HashMap<CategoryId, &Category> = categories.iter().map(|c| (c.id, c)).collect();
    let wanted: Option<Vec<CategoryId>> = query.category_id.map(|root| {
        let mut set = vec![root];
        let mut i = 0;
        while i < set.len() {
            let parent = set[i];
            set.extend(
                categories
                    .iter()
                    .filter(|c| c.parent_id == Some(parent))
                    .map(|c| c.id),
            );
            i += 1;
        }
        set
    });
    let terms = query.text.as_deref().map(search_terms).unwrap_or_default();
    let mut hits: Vec<(u8, Option<Decimal>, &Product)> = Vec::new();
    for product in products {
        if query.status.is_some_and(|s| s != product.status) {
            continue;
        }
        if let Some(wanted) = &wanted {
            if !product.category_ids.iter().any(|c| wanted.contains(c)) {
                continue;
            }
        }
        if query
            .in_stock
            .is_some_and(|want| want != is_in_stock(product))
        {
            continue;
        }
        let price = lowest_price(product, query.currency);
        if query.needs_price() {
            let Some(p) = price else { continue };
            if query.min_price.is_some_and(|min| p < min)
                || query.max_price.is_some_and(|max| p > max)
            {
                continue;
            }
        }
        let rank = if terms.is_empty() {
            0
        } else {
            let names: Vec<&str> = product
                .category_ids
                .iter()
                .filter_map(|c| by_id.get(c).map(|c| c.name.as_str()))
                .collect();
            match text_rank(product, &names, &terms) {
                Some(rank) => rank,
                None => continue,
            }
        };
        hits.push((rank, price, product));
    }
    let newest = |a: &Product, b: &Product| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id));
    hits.sort_by(|(ra, pa, a), (rb, pb, b)| -> Ordering {
        match query.sort {
            ProductSort::Relevance => rb.cmp(ra).then_with(|| newest(a, b)),
            ProductSort::Newest => newest(a, b),
            ProductSort::PriceAsc => pa.cmp(pb).then_with(|| newest(a, b)),
            ProductSort::PriceDesc => pb.cmp(pa).then_with(|| newest(a, b)),
            ProductSort::NameAsc => a
                .name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| newest(a, b)),
            ProductSort::NameDesc => b
                .name
                .to_lowercase()
                .cmp(&a.name.to_lowercase())
                .then_with(|| newest(a, b)),
        }
    });
    let total = hits.len() as u64;
    let items = hits
        .into_iter()
        .skip(query.page.offset as usize)
        .take(query.page.limit as usize)
        .map(|(_, _, p)| p.clone())
        .collect();
    ProductPage { total, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_parses_the_api_form() {
        assert_eq!(
            ProductSort::parse("price,asc").unwrap(),
            ProductSort::PriceAsc
        );
        assert_eq!(
            ProductSort::parse("PRICE, desc").unwrap(),
            ProductSort::PriceDesc
        );
        assert_eq!(ProductSort::parse("name").unwrap(), ProductSort::NameAsc);
        assert_eq!(ProductSort::parse("newest").unwrap(), ProductSort::Newest);
        assert_eq!(
            ProductSort::parse("colour,asc")
                .unwrap_err()
                .code()
                .as_str(),
            "validation_failed"
        );
    }

    #[test]
    fn terms_fold_case_and_punctuation() {
        assert_eq!(
            search_terms("  Organic-Cotton TEE! "),
            vec!["organic", "cotton", "tee"]
        );
        assert!(search_terms(" -- ").is_empty());
    }

    #[test]
    fn queries_are_validated() {
        let mut q = ProductSearch::storefront(Currency::Usd);
        q.min_price = Some(Decimal::TEN);
        q.max_price = Some(Decimal::ONE);
        assert!(q.validate().is_err());
        let mut q = ProductSearch::storefront(Currency::Usd);
        q.page.limit = 1000;
        assert!(q.validate().is_err());
        let mut q = ProductSearch::storefront(Currency::Usd);
        q.text = Some(" ?! ".into());
        q.validate().unwrap();
        assert_eq!(q.text, None);
        let mut q = ProductSearch::storefront(Currency::Usd);
        q.text = Some("tee\0".into());
        assert!(matches!(q.validate(), Err(Error::Validation { field, .. }) if field == "q"));
    }
}
