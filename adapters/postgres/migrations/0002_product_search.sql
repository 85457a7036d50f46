-- Full-text product search.
--
-- A product's search document spans its own row (name, description), its variants (SKUs) and
-- the categories it is filed under (names), so it cannot be a generated column: the store
-- refreshes it with `refresh_product_search` whenever one of those changes, in the same
-- transaction as the change. Weights rank a match in the name or a SKU (A) above one in a
-- category name (C) above one in the description (D).

ALTER TABLE products ADD COLUMN search_document tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX products_search_idx ON products USING gin (search_document);

-- Exact and prefix SKU matches without a sequential scan.
CREATE INDEX variants_sku_prefix_idx ON variants (lower(sku) text_pattern_ops);
CREATE INDEX variant_prices_currency_idx ON variant_prices (currency, amount);

CREATE FUNCTION refresh_product_search(product_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE products p
    SET search_document =
        setweight(to_tsvector('english', p.name), 'A')
        || setweight(to_tsvector('simple', coalesce((
            SELECT string_agg(v.sku || ' ' || replace(replace(v.sku, '-', ' '), '_', ' '), ' ')
            FROM variants v WHERE v.product_id = p.id), '')), 'A')
        || setweight(to_tsvector('english', coalesce((
            SELECT string_agg(c.name, ' ')
            FROM product_categories pc JOIN categories c ON c.id = pc.category_id
            WHERE pc.product_id = p.id), '')), 'C')
        || setweight(to_tsvector('english', p.description), 'D')
    WHERE p.id = ANY(product_ids);
$$;
