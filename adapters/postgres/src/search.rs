//! Product search ([`SearchStore`]) with PostgreSQL full text.
//!
//! The contract is `merx_core::search`: every term of the text must match a word prefix of the
//! product's name, description, category names or SKUs; products whose name and SKUs alone
//! match every term rank first. Here:
//!
//! - each product keeps two `tsvector`s (migration 0002): `search_document` over all four
//!   sources, with a GIN index, and `name_document` over name and SKUs. Both are built from the
//!   core's own word split (runs of letters and digits, lowercased) with the `simple`
//!   configuration, so no stemming or stop words can make PostgreSQL disagree with the memory
//!   store;
//! - the query is the core's [`search_terms`] AND-ed as prefix queries (`'org':* & 'tee':*`),
//!   built with `to_tsquery` from bound terms. `websearch_to_tsquery` is not used: it has no
//!   prefix matching (so "org" would not find "organic") and it gives `-`, `OR` and quotes
//!   meanings the contract does not have. A SKU typed whole ("MUG-001") splits into the words
//!   of the SKU, each a prefix of itself, so it always hits;
//! - the category filter is a recursive CTE from the requested category down its descendants;
//!   the price is the lowest variant price in the query currency (`variant_prices`), required
//!   only by price filters and price sorts; `in_stock` looks for a variant with stock above
//!   zero or backorders;
//! - one statement returns the total and the page's ids (the matches are a CTE counted and
//!   paged), then the page's products are loaded as [`CatalogStore`](merx_core::store::CatalogStore)
//!   loads them. Sorting clauses are fixed strings chosen by the sort; every value is bound.

use async_trait::async_trait;
use merx_core::search::{search_terms, ProductPage, ProductSearch, ProductSort};
use merx_core::store::{SearchStore, StorageResult};
use sqlx::Row;
use uuid::Uuid;

use crate::catalog::load_products;
use crate::codec::{backend, limit_offset, to_u64};
use crate::PgStore;

/// The ORDER BY of a sort over the `matches` CTE; ties go to the newest, then the smallest id.
fn order_by(sort: ProductSort) -> &'static str {
    match sort {
        ProductSort::PriceAsc => "price ASC, created_at DESC, id",
        ProductSort::PriceDesc => "price DESC, created_at DESC, id",
        ProductSort::NameAsc => "lower(name) COLLATE \"C\" ASC, created_at DESC, id",
        ProductSort::NameDesc => "lower(name) COLLATE \"C\" DESC, created_at DESC, id",
        ProductSort::Newest => "created_at DESC, id",
        // Relevance, and any sort added to the core later until it is mapped here.
        _ => "rank DESC, created_at DESC, id",
    }
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search_products(&self, query: &ProductSearch) -> StorageResult<ProductPage> {
        let terms = query.text.as_deref().map(search_terms).unwrap_or_default();
        let (limit, offset) = limit_offset(query.page);
        let sql = format!(
            "WITH RECURSIVE
             wanted(id) AS (
                 SELECT $2::uuid WHERE $2::uuid IS NOT NULL
                 UNION
                 SELECT c.id FROM categories c JOIN wanted w ON c.parent_id = w.id),
             text_query AS (
                 SELECT to_tsquery('simple', string_agg(quote_literal(t) || ':*', ' & ')) AS q
                 FROM unnest($1::text[]) AS t),
             matches AS (
                 SELECT p.id, p.name, p.created_at,
                     (SELECT min(vp.amount) FROM variants v
                      JOIN variant_prices vp ON vp.variant_id = v.id
                      WHERE v.product_id = p.id AND vp.currency = $3) AS price,
                     CASE WHEN tq.q IS NULL THEN 0
                          WHEN p.name_document @@ tq.q THEN 2 ELSE 1 END AS rank
                 FROM products p, text_query tq
                 WHERE (tq.q IS NULL OR p.search_document @@ tq.q)
                   AND ($4::text IS NULL OR p.status = $4)
                   AND ($2::uuid IS NULL OR EXISTS (
                       SELECT 1 FROM product_categories pc
                       WHERE pc.product_id = p.id AND pc.category_id IN (SELECT id FROM wanted)))
                   AND ($5::bool IS NULL OR $5 = EXISTS (
                       SELECT 1 FROM variants v
                       WHERE v.product_id = p.id AND (v.allow_backorder OR v.stock > 0)))),
             priced AS (
                 SELECT * FROM matches
                 WHERE (NOT $6 OR price IS NOT NULL)
                   AND ($7::numeric IS NULL OR price >= $7)
                   AND ($8::numeric IS NULL OR price <= $8))
             SELECT (SELECT count(*) FROM priced) AS total,
                 ARRAY(SELECT id FROM priced ORDER BY {order} LIMIT $9 OFFSET $10) AS ids",
            order = order_by(query.sort),
        );
        let row = sqlx::query(&sql)
            .bind(&terms)
            .bind(query.category_id.map(|c| c.0))
            .bind(query.currency.code())
            .bind(query.status.map(|s| s.as_str()))
            .bind(query.in_stock)
            .bind(query.needs_price())
            .bind(query.min_price)
            .bind(query.max_price)
            .bind(limit)
            .bind(offset)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        let total = to_u64(row.get("total"))?;
        let ids: Vec<Uuid> = row.get("ids");
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let items = load_products(&mut conn, &ids).await?;
        Ok(ProductPage { total, items })
    }
}
