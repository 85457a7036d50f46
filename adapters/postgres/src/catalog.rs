//! Products, variants, prices and categories ([`CatalogStore`]).
//!
//! A product is a `products` row, its `variants` rows (stock is a column there), one
//! `variant_prices` row per variant and currency, and its `product_categories` links.
//! Replacing a product upserts its variants without touching `stock`, so a catalog edit racing a
//! checkout can neither undo the sale nor lose it: the stock column is only ever changed by
//! conditional increments and decrements.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use merx_core::catalog::{Category, Product, Variant};
use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::{CategoryId, ProductId, VariantId};
use merx_core::store::{CatalogStore, ProductFilter, StorageError, StorageResult};
use rust_decimal::Decimal;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::codec::{
    backend, check_violation, currency, enum_text, from_json, limit_offset, text_enum, to_json,
    unique_violation,
};
use crate::events::append_events;
use crate::PgStore;

/// Loads whole products by id, in the order of `ids` (missing ids are skipped).
pub(crate) async fn load_products(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> StorageResult<Vec<Product>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let product_rows = sqlx::query(
        "SELECT p.id, p.name, p.slug, p.description, p.status, p.attributes, p.images,
             p.created_at, p.updated_at,
             ARRAY(SELECT pc.category_id FROM product_categories pc
                   WHERE pc.product_id = p.id ORDER BY pc.position) AS category_ids
         FROM products p WHERE p.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let variant_rows = sqlx::query(
        "SELECT v.id, v.product_id, v.sku, v.title, v.options, v.weight, v.tax_class, v.stock,
             v.allow_backorder, v.sale_unit,
             ARRAY(SELECT vp.currency FROM variant_prices vp
                   WHERE vp.variant_id = v.id ORDER BY vp.currency) AS currencies,
             ARRAY(SELECT vp.amount FROM variant_prices vp
                   WHERE vp.variant_id = v.id ORDER BY vp.currency) AS amounts
         FROM variants v WHERE v.product_id = ANY($1) ORDER BY v.product_id, v.position",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;

    let mut variants: HashMap<Uuid, Vec<Variant>> = HashMap::new();
    for row in variant_rows {
        let currencies: Vec<String> = row.get("currencies");
        let amounts: Vec<Decimal> = row.get("amounts");
        let prices = currencies
            .iter()
            .zip(amounts)
            .map(|(code, amount)| Ok((currency(code)?, amount)))
            .collect::<StorageResult<_>>()?;
        variants
            .entry(row.get("product_id"))
            .or_default()
            .push(Variant {
                id: VariantId(row.get("id")),
                sku: row.get("sku"),
                title: row.get("title"),
                options: from_json(row.get("options"))?,
                prices,
                weight: row.get("weight"),
                tax_class: row.get("tax_class"),
                stock: row.get("stock"),
                allow_backorder: row.get("allow_backorder"),
                sale_unit: from_json(row.get("sale_unit"))?,
            });
    }
    let mut products: HashMap<Uuid, Product> = HashMap::with_capacity(product_rows.len());
    for row in product_rows {
        let id: Uuid = row.get("id");
        products.insert(
            id,
            Product {
                id: ProductId(id),
                name: row.get("name"),
                slug: row.get("slug"),
                description: row.get("description"),
                status: text_enum(row.get("status"))?,
                category_ids: row
                    .get::<Vec<Uuid>, _>("category_ids")
                    .into_iter()
                    .map(CategoryId)
                    .collect(),
                attributes: from_json(row.get("attributes"))?,
                images: from_json(row.get("images"))?,
                variants: variants.remove(&id).unwrap_or_default(),
                created_at: row.get("created_at"),
                updated_at: row.get("updated_at"),
            },
        );
    }
    Ok(ids.iter().filter_map(|id| products.remove(id)).collect())
}

impl PgStore {
    async fn load_product(&self, id: Uuid) -> StorageResult<Option<Product>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        Ok(load_products(&mut conn, &[id]).await?.pop())
    }
}

/// Maps a constraint violation while writing a product to the core's conflict.
fn product_conflict(err: sqlx::Error) -> StorageError {
    if let Some(constraint) = unique_violation(&err) {
        let what = match constraint.as_str() {
            "products_slug_key" => "the slug is taken",
            "variants_sku_key" => "a SKU is taken",
            _ => "a unique value is taken",
        };
        return StorageError::conflict(ProductId::ENTITY, what);
    }
    if let Some(constraint) = check_violation(&err) {
        return StorageError::conflict(
            VariantId::ENTITY,
            format!("the variant breaks `{constraint}`"),
        );
    }
    backend(err)
}

/// The product columns of `put_product`, ready to bind.
struct VariantColumns {
    ids: Vec<Uuid>,
    positions: Vec<i32>,
    skus: Vec<String>,
    titles: Vec<String>,
    options: Vec<serde_json::Value>,
    weights: Vec<Option<Decimal>>,
    tax_classes: Vec<String>,
    stocks: Vec<Decimal>,
    backorders: Vec<bool>,
    sale_units: Vec<serde_json::Value>,
}

impl VariantColumns {
    fn new(variants: &[Variant]) -> StorageResult<VariantColumns> {
        let mut columns = VariantColumns {
            ids: Vec::new(),
            positions: Vec::new(),
            skus: Vec::new(),
            titles: Vec::new(),
            options: Vec::new(),
            weights: Vec::new(),
            tax_classes: Vec::new(),
            stocks: Vec::new(),
            backorders: Vec::new(),
            sale_units: Vec::new(),
        };
        for (position, v) in variants.iter().enumerate() {
            columns.ids.push(v.id.0);
            columns
                .positions
                .push(i32::try_from(position).map_err(StorageError::backend)?);
            columns.skus.push(v.sku.clone());
            columns.titles.push(v.title.clone());
            columns.options.push(to_json(&v.options)?);
            columns.weights.push(v.weight);
            columns.tax_classes.push(v.tax_class.clone());
            columns.stocks.push(v.stock);
            columns.backorders.push(v.allow_backorder);
            columns.sale_units.push(to_json(&v.sale_unit)?);
        }
        Ok(columns)
    }
}

async fn product_changed(
    conn: &mut PgConnection,
    product_id: ProductId,
    deleted: bool,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    append_events(
        conn,
        vec![NewEvent::new(
            EventPayload::ProductChanged {
                product_id,
                deleted,
            },
            now,
        )],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl CatalogStore for PgStore {
    async fn put_category(&self, category: Category) -> StorageResult<Category> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO categories (id, parent_id, name, slug, position) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id,
                 name = excluded.name, slug = excluded.slug, position = excluded.position",
        )
        .bind(category.id.0)
        .bind(category.parent_id.map(|c| c.0))
        .bind(&category.name)
        .bind(&category.slug)
        .bind(category.position)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        refresh_search_of_category(&mut tx, category.id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(category)
    }

    async fn list_categories(&self) -> StorageResult<Vec<Category>> {
        let rows = sqlx::query(
            "SELECT id, parent_id, name, slug, position FROM categories
             ORDER BY position, name COLLATE \"C\", id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|row| Category {
                id: CategoryId(row.get("id")),
                parent_id: row.get::<Option<Uuid>, _>("parent_id").map(CategoryId),
                name: row.get("name"),
                slug: row.get("slug"),
                position: row.get("position"),
            })
            .collect())
    }

    async fn delete_category(&self, id: CategoryId) -> StorageResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let deleted = sqlx::query("DELETE FROM categories WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if deleted == 0 {
            return Err(StorageError::not_found(CategoryId::ENTITY, id));
        }
        refresh_search_of_category(&mut tx, id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn put_product(&self, mut product: Product) -> StorageResult<Product> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO products (id, name, slug, description, status, attributes, images,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, slug = excluded.slug,
                 description = excluded.description, status = excluded.status,
                 attributes = excluded.attributes, images = excluded.images,
                 created_at = excluded.created_at, updated_at = excluded.updated_at",
        )
        .bind(product.id.0)
        .bind(&product.name)
        .bind(&product.slug)
        .bind(&product.description)
        .bind(enum_text(&product.status)?)
        .bind(to_json(&product.attributes)?)
        .bind(to_json(&product.images)?)
        .bind(product.created_at)
        .bind(product.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(product_conflict)?;

        let columns = VariantColumns::new(&product.variants)?;
        // Variants dropped from the product go first, so their SKUs are free for the new ones.
        sqlx::query("DELETE FROM variants WHERE product_id = $1 AND NOT (id = ANY($2))")
            .bind(product.id.0)
            .bind(&columns.ids)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let variant_ids = columns.ids.clone();
        // `stock` is set on insert only: an existing variant keeps the stock it has.
        let stored = sqlx::query(
            "INSERT INTO variants (id, product_id, position, sku, title, options, weight,
                 tax_class, stock, allow_backorder, sale_unit)
             SELECT v.id, $1, v.position, v.sku, v.title, v.options, v.weight, v.tax_class,
                 v.stock, v.allow_backorder, v.sale_unit
             FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::jsonb[],
                         $7::numeric[], $8::text[], $9::numeric[], $10::bool[], $11::jsonb[])
                 AS v(id, position, sku, title, options, weight, tax_class, stock,
                      allow_backorder, sale_unit)
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, sku = excluded.sku,
                 title = excluded.title, options = excluded.options, weight = excluded.weight,
                 tax_class = excluded.tax_class, allow_backorder = excluded.allow_backorder,
                 sale_unit = excluded.sale_unit
             WHERE variants.product_id = excluded.product_id
             RETURNING id, stock",
        )
        .bind(product.id.0)
        .bind(columns.ids)
        .bind(columns.positions)
        .bind(columns.skus)
        .bind(columns.titles)
        .bind(columns.options)
        .bind(columns.weights)
        .bind(columns.tax_classes)
        .bind(columns.stocks)
        .bind(columns.backorders)
        .bind(columns.sale_units)
        .fetch_all(&mut *tx)
        .await
        .map_err(product_conflict)?;
        if stored.len() != product.variants.len() {
            return Err(StorageError::conflict(
                VariantId::ENTITY,
                "a variant belongs to another product",
            ));
        }
        let stored_stock: HashMap<Uuid, Decimal> = stored
            .iter()
            .map(|row| (row.get("id"), row.get("stock")))
            .collect();
        for variant in &mut product.variants {
            if let Some(stock) = stored_stock.get(&variant.id.0) {
                variant.stock = *stock;
            }
        }

        let (mut price_variants, mut price_currencies, mut price_amounts) =
            (Vec::new(), Vec::new(), Vec::new());
        for variant in &product.variants {
            for (currency, amount) in &variant.prices {
                price_variants.push(variant.id.0);
                price_currencies.push(currency.code());
                price_amounts.push(*amount);
            }
        }
        let category_ids: Vec<Uuid> = product.category_ids.iter().map(|c| c.0).collect();
        sqlx::query(
            "WITH dropped_prices AS (DELETE FROM variant_prices WHERE variant_id = ANY($1))
             DELETE FROM product_categories WHERE product_id = $2",
        )
        .bind(&variant_ids)
        .bind(product.id.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "WITH prices AS (
                 INSERT INTO variant_prices (variant_id, currency, amount)
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::numeric[]))
             INSERT INTO product_categories (product_id, category_id, position)
             SELECT $4, c.id, c.n - 1 FROM unnest($5::uuid[]) WITH ORDINALITY AS c(id, n)",
        )
        .bind(&price_variants)
        .bind(&price_currencies)
        .bind(&price_amounts)
        .bind(product.id.0)
        .bind(&category_ids)
        .execute(&mut *tx)
        .await
        .map_err(product_conflict)?;
        // A statement of its own: it must see the links and variants written above.
        sqlx::query("SELECT refresh_product_search(ARRAY[$1::uuid])")
            .bind(product.id.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        product_changed(&mut tx, product.id, false, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(product)
    }

    async fn get_product(&self, id: ProductId) -> StorageResult<Product> {
        self.load_product(id.0)
            .await?
            .ok_or_else(|| StorageError::not_found(ProductId::ENTITY, id))
    }

    async fn get_product_by_slug(&self, slug: &str) -> StorageResult<Product> {
        let id: Option<Uuid> = sqlx::query_scalar("SELECT id FROM products WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match id {
            Some(id) => self.load_product(id).await?,
            None => None,
        }
        .ok_or_else(|| StorageError::not_found(ProductId::ENTITY, slug))
    }

    async fn find_product_by_sku(&self, sku: &str) -> StorageResult<Product> {
        let id: Option<Uuid> =
            sqlx::query_scalar("SELECT product_id FROM variants WHERE lower(sku) = lower($1)")
                .bind(sku)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        match id {
            Some(id) => self.load_product(id).await?,
            None => None,
        }
        .ok_or_else(|| StorageError::not_found(VariantId::ENTITY, sku))
    }

    async fn list_products(&self, filter: &ProductFilter) -> StorageResult<Vec<Product>> {
        let (limit, offset) = limit_offset(filter.page);
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT p.id FROM products p
             WHERE ($1::text IS NULL OR p.status = $1)
               AND ($2::uuid IS NULL OR EXISTS (
                   SELECT 1 FROM product_categories pc
                   WHERE pc.product_id = p.id AND pc.category_id = $2))
             ORDER BY p.created_at, p.id LIMIT $3 OFFSET $4",
        )
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.category_id.map(|c| c.0))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        load_products(&mut conn, &ids).await
    }

    async fn delete_product(&self, id: ProductId) -> StorageResult<()> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let deleted = sqlx::query("DELETE FROM products WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if deleted == 0 {
            return Err(StorageError::not_found(ProductId::ENTITY, id));
        }
        product_changed(&mut tx, id, true, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }
}

/// Rebuilds the search documents of the products filed under a category (its name is in them).
async fn refresh_search_of_category(conn: &mut PgConnection, id: CategoryId) -> StorageResult<()> {
    sqlx::query(
        "SELECT refresh_product_search(
             ARRAY(SELECT product_id FROM product_categories WHERE category_id = $1))",
    )
    .bind(id.0)
    .execute(conn)
    .await
    .map_err(backend)?;
    Ok(())
}
