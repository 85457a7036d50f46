//! Product search on FTS5, following `merx_core::search`.
//!
//! `product_search` has one row per product (rowid = `products.seq`): `name` holds the product
//! name and its SKUs, `body` the description and the names of its categories. The store rewrites a
//! product's row in the transaction that changes the product, and the rows of every product in a
//! category when the category is renamed or deleted, so the index never lags the catalog.
//!
//! A query's terms come from the core's `search_terms` and are matched as FTS5 prefix phrases
//! (`"org"*`), all required. The relevance rank is 2 when every term also matches the `name`
//! column alone (a second MATCH restricted with a column filter), 1 otherwise, as
//! `text_rank` defines it. The tokenizer is `unicode61` with diacritics kept, which splits and
//! lowercases text the way `search_terms` does (letters and digits are token characters).
//! Filters are plain SQL over real columns: status, the category subtree (a recursive CTE over
//! `categories.parent_id`), stock (`stock_micros > 0 OR allow_backorder`), and the lowest variant
//! price in the query currency, compared as exact integers of millionths (`amount_micros`).

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use merx_core::ids::{CategoryId, ProductId};
use merx_core::search::{search_terms, ProductPage, ProductSearch, ProductSort};
use merx_core::store::{SearchStore, StorageResult};

use crate::catalog::load_product_by_seq;
use crate::codec::{micros_ceil, micros_floor, wire};
use crate::{backend, SqliteStore};

/// Rewrites the search row of a product from its stored name, SKUs, description and categories.
pub(crate) fn refresh_product_document(
    tx: &Connection,
    product_id: ProductId,
) -> StorageResult<()> {
    let id = product_id.to_string();
    let row: Option<(i64, String, String)> = tx
        .prepare_cached("SELECT seq, name, description FROM products WHERE id = ?1")
        .map_err(backend)?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
        .map_err(backend)?;
    let Some((seq, name, description)) = row else {
        return Ok(());
    };
    let skus: String = tx
        .prepare_cached(
            "SELECT COALESCE(group_concat(sku, ' '), '') FROM
                 (SELECT sku FROM variants WHERE product_id = ?1 ORDER BY position)",
        )
        .map_err(backend)?
        .query_row([&id], |r| r.get(0))
        .map_err(backend)?;
    let category_names: String = tx
        .prepare_cached(
            "SELECT COALESCE(group_concat(name, ' '), '') FROM
                 (SELECT c.name FROM product_categories pc JOIN categories c ON c.id = pc.category_id
                  WHERE pc.product_id = ?1 ORDER BY pc.position)",
        )
        .map_err(backend)?
        .query_row([&id], |r| r.get(0))
        .map_err(backend)?;
    remove_product_document(tx, seq)?;
    tx.prepare_cached("INSERT INTO product_search (rowid, name, body) VALUES (?1, ?2, ?3)")
        .map_err(backend)?
        .execute(rusqlite::params![
            seq,
            format!("{name} {skus}"),
            format!("{description} {category_names}")
        ])
        .map_err(backend)?;
    Ok(())
}

/// Removes a product's search row.
pub(crate) fn remove_product_document(tx: &Connection, seq: i64) -> StorageResult<()> {
    tx.prepare_cached("DELETE FROM product_search WHERE rowid = ?1")
        .map_err(backend)?
        .execute([seq])
        .map_err(backend)?;
    Ok(())
}

/// Rewrites the search rows of every product filed under a category (after it changed).
pub(crate) fn refresh_category_documents(
    tx: &Connection,
    category_id: CategoryId,
) -> StorageResult<()> {
    let products: Vec<ProductId> = tx
        .prepare_cached("SELECT DISTINCT product_id FROM product_categories WHERE category_id = ?1")
        .map_err(backend)?
        .query_map([category_id.to_string()], |r| crate::codec::get_id(r, 0))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    for product_id in products {
        refresh_product_document(tx, product_id)?;
    }
    Ok(())
}

/// An FTS5 query requiring every term as a word prefix, optionally in one column only.
fn match_expression(terms: &[String], column: Option<&str>) -> String {
    terms
        .iter()
        // Terms are runs of letters and digits, so quoting cannot be broken out of.
        .map(|t| match column {
            Some(c) => format!("{c} : \"{t}\"*"),
            None => format!("\"{t}\"*"),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Adds a bound parameter and returns its placeholder.
fn bind(args: &mut Vec<Value>, value: Value) -> String {
    args.push(value);
    format!("?{}", args.len())
}

/// The matching products' keys in result order, and the total before paging.
fn search(tx: &Connection, query: &ProductSearch) -> StorageResult<(u64, Vec<i64>)> {
    let terms = query.text.as_deref().map(search_terms).unwrap_or_default();
    let mut args: Vec<Value> = Vec::new();
    let currency = bind(&mut args, Value::Text(wire(&query.currency)?));
    let rank = if terms.is_empty() {
        "0".to_string()
    } else {
        let name_only = bind(
            &mut args,
            Value::Text(match_expression(&terms, Some("name"))),
        );
        format!(
            "CASE WHEN p.seq IN (SELECT rowid FROM product_search WHERE product_search MATCH {name_only})
                  THEN 2 ELSE 1 END"
        )
    };
    let mut conditions: Vec<String> = Vec::new();
    let mut subtree = String::new();
    if let Some(category) = query.category_id {
        let root = bind(&mut args, Value::Text(category.to_string()));
        subtree = format!(
            "WITH RECURSIVE subtree (id) AS (
                 SELECT {root}
                 UNION SELECT c.id FROM categories c JOIN subtree s ON c.parent_id = s.id
             ) "
        );
        conditions.push(
            "EXISTS (SELECT 1 FROM product_categories pc
                     WHERE pc.product_id = p.id AND pc.category_id IN (SELECT id FROM subtree))"
                .into(),
        );
    }
    if !terms.is_empty() {
        let all = bind(&mut args, Value::Text(match_expression(&terms, None)));
        conditions.push(format!(
            "p.seq IN (SELECT rowid FROM product_search WHERE product_search MATCH {all})"
        ));
    }
    if let Some(status) = query.status {
        let status = bind(&mut args, Value::Text(wire(&status)?));
        conditions.push(format!("p.status = {status}"));
    }
    if let Some(in_stock) = query.in_stock {
        conditions.push(format!(
            "{} EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id
                        AND (v.stock_micros > 0 OR v.allow_backorder = 1))",
            if in_stock { "" } else { "NOT" }
        ));
    }
    if query.needs_price() {
        conditions.push("price IS NOT NULL".into());
    }
    if let Some(min) = query.min_price {
        let min = bind(&mut args, Value::Integer(micros_ceil(min)));
        conditions.push(format!("price >= {min}"));
    }
    if let Some(max) = query.max_price {
        let max = bind(&mut args, Value::Integer(micros_floor(max)));
        conditions.push(format!("price <= {max}"));
    }
    let newest = "p.created_at DESC, p.id ASC";
    let order = match query.sort {
        ProductSort::Relevance => format!("rank DESC, {newest}"),
        ProductSort::PriceAsc => format!("price ASC, {newest}"),
        ProductSort::PriceDesc => format!("price DESC, {newest}"),
        ProductSort::NameAsc => format!("p.name_key ASC, {newest}"),
        ProductSort::NameDesc => format!("p.name_key DESC, {newest}"),
        // `ProductSort` is non-exhaustive; the conformance suite catches a sort added to the core
        // but not here, since this arm gives plain newest-first.
        _ => newest.to_string(),
    };
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    // Rank and price are computed in the inner query so that filters and sorts can name them.
    let matches = format!(
        "{subtree}SELECT p.seq FROM (
             SELECT p.seq, p.id, p.created_at, p.name_key, p.status, {rank} AS rank,
                    (SELECT MIN(vp.amount_micros) FROM variants v
                     JOIN variant_prices vp ON vp.variant_id = v.id
                     WHERE v.product_id = p.id AND vp.currency = {currency}) AS price
             FROM products p
         ) AS p {filter}"
    );
    let total: i64 = tx
        .prepare_cached(&format!("SELECT COUNT(*) FROM ({matches})"))
        .map_err(backend)?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))
        .map_err(backend)?;
    let limit = bind(&mut args, Value::Integer(i64::from(query.page.limit)));
    let offset = bind(&mut args, Value::Integer(i64::from(query.page.offset)));
    let paged = format!("{matches} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    let seqs = tx
        .prepare_cached(&paged)
        .map_err(backend)?
        .query_map(params_from_iter(args.iter()), |r| r.get(0))
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<i64>>>()
        .map_err(backend)?;
    Ok((total.max(0) as u64, seqs))
}

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_products(&self, query: &ProductSearch) -> StorageResult<ProductPage> {
        let query = query.clone();
        self.read(move |tx| {
            let (total, seqs) = search(tx, &query)?;
            let items = seqs
                .into_iter()
                .map(|seq| load_product_by_seq(tx, seq))
                .collect::<StorageResult<_>>()?;
            Ok(ProductPage { total, items })
        })
        .await
    }
}
