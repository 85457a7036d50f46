//! Catalog administration: products, categories and stock, with the checks a write needs.
//!
//! The store trusts its caller to have validated what it stores; this service is that caller for
//! every shell. Each write checks the principal first (admins and the system run the catalog),
//! then validates, then writes. Ids and timestamps are the service's to set, never the client's: a
//! create always gets a fresh id, an update keeps the stored creation time. The one exception,
//! [`CatalogService::put_product`], is for callers that own their ids (an embedding program).
//!
//! Reads apply the shopper's view: a product that is not active does not exist for anyone but an
//! admin, so its id cannot be confirmed by probing.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::catalog::{slugify, Category, CategoryTree, Product};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::{CategoryId, ProductId, VariantId};
use crate::principal::Principal;
use crate::search::{ProductPage, ProductSearch};
use crate::store::{StockLevel, StorageError, Store};

/// Largest stock change one adjustment may make.
pub const MAX_STOCK_ADJUSTMENT: i64 = 1_000_000_000;

/// Products, categories and stock adjustments.
#[derive(Clone, Debug)]
pub struct CatalogService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl CatalogService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> CatalogService {
        CatalogService { store, clock }
    }

    async fn check_categories(&self, product: &Product) -> Result<()> {
        if product.category_ids.is_empty() {
            return Ok(());
        }
        let known = self.store.list_categories().await?;
        for id in &product.category_ids {
            if !known.iter().any(|c| c.id == *id) {
                return Err(Error::validation(
                    "categoryIds",
                    format!("category `{id}` does not exist"),
                ));
            }
        }
        Ok(())
    }

    async fn store_product(&self, mut product: Product) -> Result<Product> {
        if product.slug.trim().is_empty() {
            product.slug = slugify(&product.name);
        }
        product.validate()?;
        self.check_categories(&product).await?;
        Ok(self.store.put_product(product).await?)
    }

    /// The product `id` as `principal` may see it; `not_found` for a product a shopper may not see.
    pub async fn product_for(&self, principal: &Principal, id: ProductId) -> Result<Product> {
        let product = self.store.get_product(id).await?;
        if principal.can_view_product(&product) {
            Ok(product)
        } else {
            Err(StorageError::not_found(ProductId::ENTITY, id).into())
        }
    }

    /// One page of a validated product search with its total. Shoppers see active products
    /// whatever status they ask for; admins any status (every status when none is asked for).
    pub async fn search(
        &self,
        principal: &Principal,
        mut search: ProductSearch,
    ) -> Result<ProductPage> {
        search.status = principal.listable_status(search.status);
        search.validate()?;
        Ok(self.store.search_products(&search).await?)
    }

    /// Every category (a tree through `parentId`); categories are public.
    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(self.store.list_categories().await?)
    }

    /// Creates the product under its own id, or replaces the stored product with that id (which
    /// keeps its creation time and its variants' stock): for callers that choose their ids, such
    /// as a program embedding the engine. Validated like any other write.
    pub async fn put_product(
        &self,
        principal: &Principal,
        mut product: Product,
    ) -> Result<Product> {
        principal.require_admin("change products")?;
        let now = self.clock.now();
        product.created_at = match self.store.get_product(product.id).await {
            Ok(existing) => existing.created_at,
            Err(StorageError::NotFound { .. }) => now,
            Err(e) => return Err(e.into()),
        };
        product.updated_at = now;
        self.store_product(product).await
    }

    /// Creates a product with a fresh id (and fresh variant ids when none were given).
    pub async fn create_product(
        &self,
        principal: &Principal,
        mut product: Product,
    ) -> Result<Product> {
        principal.require_admin("create products")?;
        let now = self.clock.now();
        product.id = ProductId::new();
        product.created_at = now;
        product.updated_at = now;
        self.store_product(product).await
    }

    /// Replaces the product `id`; stock of existing variants stays as stored.
    pub async fn update_product(
        &self,
        principal: &Principal,
        id: ProductId,
        mut product: Product,
    ) -> Result<Product> {
        principal.require_admin("change products")?;
        let existing = self.store.get_product(id).await?;
        product.id = id;
        product.created_at = existing.created_at;
        product.updated_at = self.clock.now();
        self.store_product(product).await
    }

    /// Deletes a product (orders keep their frozen lines).
    pub async fn delete_product(&self, principal: &Principal, id: ProductId) -> Result<()> {
        principal.require_admin("delete products")?;
        Ok(self.store.delete_product(id).await?)
    }

    /// Creates or replaces a category; the resulting tree must stay a tree.
    pub async fn put_category(
        &self,
        principal: &Principal,
        mut category: Category,
    ) -> Result<Category> {
        principal.require_admin("change categories")?;
        if category.slug.trim().is_empty() {
            category.slug = slugify(&category.name);
        }
        category.validate()?;
        let mut all = self.store.list_categories().await?;
        all.retain(|c| c.id != category.id);
        all.push(category.clone());
        CategoryTree::new(all)?;
        Ok(self.store.put_category(category).await?)
    }

    /// Creates a category with a fresh id.
    pub async fn create_category(
        &self,
        principal: &Principal,
        mut category: Category,
    ) -> Result<Category> {
        category.id = CategoryId::new();
        self.put_category(principal, category).await
    }

    /// Replaces the category `id`.
    pub async fn update_category(
        &self,
        principal: &Principal,
        id: CategoryId,
        mut category: Category,
    ) -> Result<Category> {
        let all = self.store.list_categories().await?;
        if !all.iter().any(|c| c.id == id) {
            return Err(Error::NotFound {
                entity: CategoryId::ENTITY,
                id: id.to_string(),
            });
        }
        category.id = id;
        self.put_category(principal, category).await
    }

    /// Deletes a category that has no child categories.
    pub async fn delete_category(&self, principal: &Principal, id: CategoryId) -> Result<()> {
        principal.require_admin("change categories")?;
        let all = self.store.list_categories().await?;
        if all.iter().any(|c| c.parent_id == Some(id)) {
            return Err(Error::Conflict {
                entity: CategoryId::ENTITY,
                message: "the category has child categories".into(),
            });
        }
        Ok(self.store.delete_category(id).await?)
    }

    /// Adds `delta` units (negative to remove) to a variant of `product_id`; the store appends
    /// `InventoryUpdated`.
    pub async fn adjust_stock(
        &self,
        principal: &Principal,
        product_id: ProductId,
        variant_id: VariantId,
        delta: Decimal,
    ) -> Result<StockLevel> {
        principal.require_admin("adjust stock")?;
        let product = self.store.get_product(product_id).await?;
        let variant = product.variant(variant_id)?;
        if delta.is_zero() {
            return Err(Error::validation("delta", "delta must not be zero"));
        }
        // Bounded so that stock arithmetic can never overflow in any store.
        if delta.abs() > Decimal::from(MAX_STOCK_ADJUSTMENT) {
            return Err(Error::validation(
                "delta",
                format!("one adjustment moves at most {MAX_STOCK_ADJUSTMENT} units"),
            ));
        }
        if !variant.sale_unit.is_each() || delta.fract().is_zero() {
            return Ok(self.store.adjust_stock(variant_id, delta).await?);
        }
        Err(Error::InvalidQuantity {
            quantity: delta,
            reason: "this item is counted in whole units".into(),
        })
    }

    /// Sets a variant of `product_id` to `stock` units on hand in one store write (a stocktake:
    /// sales landing meanwhile are overwritten, never added twice); the store appends
    /// `InventoryUpdated`.
    pub async fn set_stock(
        &self,
        principal: &Principal,
        product_id: ProductId,
        variant_id: VariantId,
        stock: Decimal,
    ) -> Result<StockLevel> {
        principal.require_admin("set stock")?;
        let product = self.store.get_product(product_id).await?;
        product.variant(variant_id)?.validate_stock(stock)?;
        Ok(self.store.set_stock(variant_id, stock).await?)
    }
}
