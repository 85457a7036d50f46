-- Full-text product search (the contract is `merx_core::search`).
--
-- Words are what the core's `search_terms` calls terms: lowercase runs of letters and digits.
-- `search_words` cuts text that way before the `simple` configuration (no stemming, no stop
-- words) builds the vector, so a query term is a word prefix here exactly when it is one in the
-- reference implementation.
--
-- A product's documents span its own row (name, description), its variants (SKUs) and the
-- categories it is filed under (names), so they cannot be generated columns: the store calls
-- `refresh_product_search` in the same transaction as any write that changes one of those.
-- `name_document` (name and SKU words) decides the relevance rank; `search_document` (all four)
-- decides whether a product matches, through its GIN index.

CREATE FUNCTION search_words(body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple', regexp_replace(lower(body), '[^[:alnum:]]+', ' ', 'g'))
$$;

ALTER TABLE products
    ADD COLUMN name_document tsvector NOT NULL DEFAULT ''::tsvector,
    ADD COLUMN search_document tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX products_search_idx ON products USING gin (search_document);

-- Category filters walk the tree from a root; price filters and sorts read the lowest price in
-- one currency.
CREATE INDEX variant_prices_currency_idx ON variant_prices (currency, variant_id, amount);

CREATE FUNCTION refresh_product_search(product_ids uuid[]) RETURNS void
LANGUAGE sql AS $$
    WITH parts AS (
        SELECT p.id,
            search_words(p.name) || search_words(coalesce((
                SELECT string_agg(v.sku, ' ') FROM variants v WHERE v.product_id = p.id), ''))
                AS name_words,
            search_words(coalesce((
                SELECT string_agg(c.name, ' ')
                FROM product_categories pc JOIN categories c ON c.id = pc.category_id
                WHERE pc.product_id = p.id), '')) || search_words(p.description)
                AS other_words
        FROM products p WHERE p.id = ANY(product_ids))
    UPDATE products p
    SET name_document = parts.name_words,
        search_document = parts.name_words || parts.other_words
    FROM parts WHERE p.id = parts.id;
$$;
