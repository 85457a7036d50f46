//! Categories, and products with their variants and prices.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::catalog::{Category, Product, Variant};
use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::{CategoryId, ProductId, VariantId};
use merx_core::money::Currency;
use merx_core::store::{CatalogStore, ProductFilter, StorageError, StorageResult};

use crate::codec::{
    from_micros, get_decimal, get_id, get_json, get_opt_decimal, get_opt_id, get_timestamp,
    get_wire, json, stock_micros, timestamp, wire,
};
use crate::events::append_event;
use crate::inventory::{stock_error, stock_level};
use crate::search::{
    refresh_category_documents, refresh_product_document, remove_product_document,
};
use crate::{backend, SqliteStore};

const PRODUCT_COLUMNS: &str = "seq, id, name, slug, description, status, attributes, images, \
                               created_at, updated_at";

/// Loads the product at `seq` (its integer key) with categories, variants and prices.
pub(crate) fn load_product_by_seq(tx: &Connection, seq: i64) -> StorageResult<Product> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE seq = ?1");
    let mut stmt = tx.prepare_cached(&sql).map_err(backend)?;
    let product = stmt.query_row([seq], product_from_row).map_err(backend)?;
    complete_product(tx, product)
}

fn load_product_where(
    tx: &Connection,
    condition: &str,
    key: &str,
    entity: &'static str,
) -> StorageResult<Product> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE {condition}");
    let mut stmt = tx.prepare_cached(&sql).map_err(backend)?;
    let product = stmt
        .query_row([key], product_from_row)
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StorageError::not_found(entity, key))?;
    complete_product(tx, product)
}

fn product_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: get_id(row, 1)?,
        name: row.get(2)?,
        slug: row.get(3)?,
        description: row.get(4)?,
        status: get_wire(row, 5)?,
        category_ids: Vec::new(),
        attributes: get_json(row, 6)?,
        images: get_json(row, 7)?,
        variants: Vec::new(),
        created_at: get_timestamp(row, 8)?,
        updated_at: get_timestamp(row, 9)?,
    })
}

/// Fills in a product's categories and variants.
fn complete_product(tx: &Connection, mut product: Product) -> StorageResult<Product> {
    let id = product.id.to_string();
    let mut categories = tx
        .prepare_cached(
            "SELECT category_id FROM product_categories WHERE product_id = ?1 ORDER BY position",
        )
        .map_err(backend)?;
    product.category_ids = categories
        .query_map([&id], |r| get_id::<CategoryId>(r, 0))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    let mut variants = tx
        .prepare_cached(
            "SELECT id, sku, title, options, weight, tax_class, stock_micros, allow_backorder,
                    sale_unit
             FROM variants WHERE product_id = ?1 ORDER BY position",
        )
        .map_err(backend)?;
    product.variants = variants
        .query_map([&id], |r| {
            Ok(Variant {
                id: get_id(r, 0)?,
                sku: r.get(1)?,
                title: r.get(2)?,
                options: get_json(r, 3)?,
                prices: Default::default(),
                weight: get_opt_decimal(r, 4)?,
                tax_class: r.get(5)?,
                stock: from_micros(r.get(6)?),
                allow_backorder: r.get(7)?,
                sale_unit: get_json(r, 8)?,
            })
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    let mut prices = tx
        .prepare_cached("SELECT currency, amount FROM variant_prices WHERE variant_id = ?1")
        .map_err(backend)?;
    for variant in &mut product.variants {
        variant.prices = prices
            .query_map([variant.id.to_string()], |r| {
                Ok((get_wire::<Currency>(r, 0)?, get_decimal(r, 1)?))
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)?;
    }
    Ok(product)
}

fn owner_of(tx: &Connection, sql: &str, key: &str) -> StorageResult<Option<ProductId>> {
    tx.prepare_cached(sql)
        .map_err(backend)?
        .query_row([key], |r| get_id(r, 0))
        .optional()
        .map_err(backend)
}

fn write_product(tx: &Connection, product: &mut Product) -> StorageResult<()> {
    let id = product.id.to_string();
    if let Some(owner) = owner_of(tx, "SELECT id FROM products WHERE slug = ?1", &product.slug)? {
        if owner != product.id {
            return Err(StorageError::conflict(
                ProductId::ENTITY,
                format!("slug `{}` is taken", product.slug),
            ));
        }
    }
    for variant in &product.variants {
        if let Some(owner) = owner_of(
            tx,
            "SELECT product_id FROM variants WHERE sku = ?1",
            &variant.sku,
        )? {
            if owner != product.id {
                return Err(StorageError::conflict(
                    VariantId::ENTITY,
                    format!("SKU `{}` is taken", variant.sku),
                ));
            }
        }
        if let Some(owner) = owner_of(
            tx,
            "SELECT product_id FROM variants WHERE id = ?1",
            &variant.id.to_string(),
        )? {
            if owner != product.id {
                return Err(StorageError::conflict(
                    VariantId::ENTITY,
                    format!("variant `{}` belongs to another product", variant.id),
                ));
            }
        }
    }
    // Stock changes only through inventory and checkout: a replaced variant keeps its stock.
    for variant in &mut product.variants {
        if let Some(level) = stock_level(tx, variant.id)? {
            variant.stock = level.stock;
        }
    }
    tx.prepare_cached(
        "INSERT INTO products (id, slug, name, name_key, description, status, attributes, images,
                               created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET
             slug = excluded.slug, name = excluded.name, name_key = excluded.name_key,
             description = excluded.description, status = excluded.status,
             attributes = excluded.attributes, images = excluded.images,
             created_at = excluded.created_at, updated_at = excluded.updated_at",
    )
    .map_err(backend)?
    .execute(params![
        id,
        product.slug,
        product.name,
        product.name.to_lowercase(),
        product.description,
        wire(&product.status)?,
        json(&product.attributes)?,
        json(&product.images)?,
        timestamp(product.created_at),
        timestamp(product.updated_at),
    ])
    .map_err(backend)?;
    // Variants and category links are rewritten whole: simpler than diffing, and SKUs may move
    // between the product's own variants without tripping the unique index half-way.
    tx.prepare_cached("DELETE FROM variants WHERE product_id = ?1")
        .map_err(backend)?
        .execute([&id])
        .map_err(backend)?;
    tx.prepare_cached("DELETE FROM product_categories WHERE product_id = ?1")
        .map_err(backend)?
        .execute([&id])
        .map_err(backend)?;
    for (position, category_id) in product.category_ids.iter().enumerate() {
        tx.prepare_cached(
            "INSERT INTO product_categories (product_id, position, category_id) VALUES (?1, ?2, ?3)",
        )
        .map_err(backend)?
        .execute(params![id, position as i64, category_id.to_string()])
        .map_err(backend)?;
    }
    for (position, variant) in product.variants.iter().enumerate() {
        let variant_id = variant.id.to_string();
        tx.prepare_cached(
            "INSERT INTO variants (id, product_id, position, sku, title, options, weight, tax_class,
                                   stock_micros, allow_backorder, sale_unit)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(backend)?
        .execute(params![
            variant_id,
            id,
            position as i64,
            variant.sku,
            variant.title,
            json(&variant.options)?,
            variant.weight.map(|w| w.to_string()),
            variant.tax_class,
            stock_micros(variant.stock, &variant.sku)?,
            variant.allow_backorder,
            json(&variant.sale_unit)?,
        ])
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                StorageError::conflict(
                    VariantId::ENTITY,
                    format!("SKU `{}` or variant id is used twice", variant.sku),
                )
            } else {
                stock_error(e, variant.id)
            }
        })?;
        for (currency, amount) in &variant.prices {
            let sort_key = crate::codec::micros(*amount).ok_or_else(|| {
                StorageError::conflict(
                    VariantId::ENTITY,
                    format!(
                        "price {amount} of `{}` cannot be stored exactly",
                        variant.sku
                    ),
                )
            })?;
            tx.prepare_cached(
                "INSERT INTO variant_prices (variant_id, currency, amount, amount_micros)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(backend)?
            .execute(params![
                variant_id,
                wire(currency)?,
                amount.to_string(),
                sort_key
            ])
            .map_err(backend)?;
        }
    }
    refresh_product_document(tx, product.id)?;
    Ok(())
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn put_category(&self, category: Category) -> StorageResult<Category> {
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO categories (id, parent_id, name, slug, position)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id,
                     name = excluded.name, slug = excluded.slug, position = excluded.position",
            )
            .map_err(backend)?
            .execute(params![
                category.id.to_string(),
                category.parent_id.map(|p| p.to_string()),
                category.name,
                category.slug,
                category.position,
            ])
            .map_err(backend)?;
            refresh_category_documents(tx, category.id)?;
            Ok(category)
        })
        .await
    }

    async fn list_categories(&self) -> StorageResult<Vec<Category>> {
        self.read(|tx| {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id, parent_id, name, slug, position FROM categories
                     ORDER BY position, name, id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(Category {
                        id: get_id(r, 0)?,
                        parent_id: get_opt_id(r, 1)?,
                        name: r.get(2)?,
                        slug: r.get(3)?,
                        position: r.get(4)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<_>>().map_err(backend)
        })
        .await
    }

    async fn delete_category(&self, id: CategoryId) -> StorageResult<()> {
        self.write(move |tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM categories WHERE id = ?1")
                .map_err(backend)?
                .execute([id.to_string()])
                .map_err(backend)?;
            if deleted == 0 {
                return Err(StorageError::not_found(CategoryId::ENTITY, id));
            }
            refresh_category_documents(tx, id)
        })
        .await
    }

    async fn put_product(&self, mut product: Product) -> StorageResult<Product> {
        let now = self.now();
        self.write(move |tx| {
            write_product(tx, &mut product)?;
            append_event(
                tx,
                &NewEvent::new(
                    EventPayload::ProductChanged {
                        product_id: product.id,
                        deleted: false,
                    },
                    now,
                ),
            )?;
            Ok(product)
        })
        .await
    }

    async fn get_product(&self, id: ProductId) -> StorageResult<Product> {
        self.read(move |tx| load_product_where(tx, "id = ?1", &id.to_string(), ProductId::ENTITY))
            .await
    }

    async fn get_product_by_slug(&self, slug: &str) -> StorageResult<Product> {
        let slug = slug.to_string();
        self.read(move |tx| load_product_where(tx, "slug = ?1", &slug, ProductId::ENTITY))
            .await
    }

    async fn find_product_by_sku(&self, sku: &str) -> StorageResult<Product> {
        let sku = sku.to_string();
        self.read(move |tx| {
            load_product_where(
                tx,
                "id = (SELECT product_id FROM variants WHERE sku = ?1)",
                &sku,
                VariantId::ENTITY,
            )
        })
        .await
    }

    async fn list_products(&self, filter: &ProductFilter) -> StorageResult<Vec<Product>> {
        let filter = filter.clone();
        self.read(move |tx| {
            let status = filter.status.map(|s| wire(&s)).transpose()?;
            let category = filter.category_id.map(|c| c.to_string());
            let seqs: Vec<i64> = tx
                .prepare_cached(
                    "SELECT seq FROM products p
                     WHERE (?1 IS NULL OR p.status = ?1)
                       AND (?2 IS NULL OR EXISTS (SELECT 1 FROM product_categories pc
                                                  WHERE pc.product_id = p.id
                                                    AND pc.category_id = ?2))
                     ORDER BY p.created_at, p.id
                     LIMIT ?3 OFFSET ?4",
                )
                .map_err(backend)?
                .query_map(
                    params![
                        status,
                        category,
                        i64::from(filter.page.limit),
                        i64::from(filter.page.offset)
                    ],
                    |r| r.get(0),
                )
                .map_err(backend)?
                .collect::<rusqlite::Result<_>>()
                .map_err(backend)?;
            seqs.into_iter()
                .map(|seq| load_product_by_seq(tx, seq))
                .collect()
        })
        .await
    }

    async fn delete_product(&self, id: ProductId) -> StorageResult<()> {
        let now = self.now();
        self.write(move |tx| {
            let seq: Option<i64> = tx
                .prepare_cached("SELECT seq FROM products WHERE id = ?1")
                .map_err(backend)?
                .query_row([id.to_string()], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            let seq = seq.ok_or_else(|| StorageError::not_found(ProductId::ENTITY, id))?;
            tx.prepare_cached("DELETE FROM products WHERE seq = ?1")
                .map_err(backend)?
                .execute([seq])
                .map_err(backend)?;
            remove_product_document(tx, seq)?;
            append_event(
                tx,
                &NewEvent::new(
                    EventPayload::ProductChanged {
                        product_id: id,
                        deleted: true,
                    },
                    now,
                ),
            )?;
            Ok(())
        })
        .await
    }
}
