-- Merx on SQLite, version 1: every table the store traits need.
--
-- Conventions:
-- - ids are lowercase hyphenated UUID text, so ordering by id equals the core's `Uuid` order;
-- - timestamps are fixed-width UTC text (`2026-01-01T00:00:00.000000000Z`), so text order is time
--   order (RFC 3339 with a variable number of fraction digits would not sort);
-- - money and order quantities are exact decimal text, never REAL;
-- - stock is an INTEGER count of millionths of a unit (`stock_micros`): quantities have at most
--   six decimals (`MAX_MEASURE_PRECISION`), and an integer lets checkout decrement stock with one
--   exact conditional UPDATE;
-- - nested data that SQL never filters on (cart lines, order history and totals, promotion effects
--   and conditions, product attributes and images) is JSON text, checked with json_valid.
--
-- Foreign keys are declared where the store contract keeps both sides together. Orders, carts,
-- reviews and payment attempts deliberately do not reference products, users or promotions: the
-- contract lets those be deleted (or never stored) while the history that names them stays.

CREATE TABLE categories (
    id        TEXT PRIMARY KEY,
    -- No foreign key: deleting a parent leaves its children in place, as the contract requires.
    parent_id TEXT,
    name      TEXT NOT NULL,
    slug      TEXT NOT NULL,
    position  INTEGER NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE products (
    -- The integer key doubles as the full-text rowid; an INTEGER PRIMARY KEY survives VACUUM.
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    -- Unicode-lowercased name, the key of the name sorts.
    name_key    TEXT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    attributes  TEXT NOT NULL CHECK (json_valid(attributes)),
    images      TEXT NOT NULL CHECK (json_valid(images)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX products_created ON products (created_at, id);
CREATE INDEX products_status_created ON products (status, created_at, id);

CREATE TABLE product_categories (
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    -- No foreign key: a product may be filed under a category that is created later or deleted.
    category_id TEXT NOT NULL,
    PRIMARY KEY (product_id, position)
) WITHOUT ROWID;
CREATE INDEX product_categories_category ON product_categories (category_id, product_id);

CREATE TABLE variants (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    -- NOCASE is ASCII case folding, the same as the core's SKU comparison.
    sku             TEXT NOT NULL COLLATE NOCASE UNIQUE,
    title           TEXT NOT NULL,
    options         TEXT NOT NULL CHECK (json_valid(options)),
    weight          TEXT,
    tax_class       TEXT NOT NULL,
    stock_micros    INTEGER NOT NULL,
    allow_backorder INTEGER NOT NULL CHECK (allow_backorder IN (0, 1)),
    sale_unit       TEXT NOT NULL CHECK (json_valid(sale_unit)),
    CHECK (stock_micros >= 0 OR allow_backorder = 1),
    UNIQUE (product_id, position)
);

CREATE TABLE variant_prices (
    variant_id   TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    -- The price as given, exact.
    amount       TEXT NOT NULL,
    -- The same price in millionths, exact, for range filters and price sorts.
    amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
    PRIMARY KEY (variant_id, currency)
) WITHOUT ROWID;
CREATE INDEX variant_prices_currency ON variant_prices (currency, amount_micros);

-- Full-text index over products: `name` holds the name and the SKUs, `body` the description and
-- category names. The store rewrites a product's row whenever the product or one of its
-- categories changes. Diacritics are kept so tokens equal the core's `search_terms`.
CREATE VIRTUAL TABLE product_search USING fts5 (
    name,
    body,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE promotions (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL,
    coupon_code        TEXT UNIQUE,
    active             INTEGER NOT NULL CHECK (active IN (0, 1)),
    effect             TEXT NOT NULL CHECK (json_valid(effect)),
    conditions         TEXT NOT NULL CHECK (json_valid(conditions)),
    usage_limit        INTEGER CHECK (usage_limit >= 0),
    per_customer_limit INTEGER CHECK (per_customer_limit >= 0),
    priority           INTEGER NOT NULL,
    exclusive          INTEGER NOT NULL CHECK (exclusive IN (0, 1))
);

-- Redemption counts. No foreign key to promotions: counts outlive a deleted promotion.
CREATE TABLE promotion_usage (
    promotion_id TEXT PRIMARY KEY,
    total        INTEGER NOT NULL CHECK (total >= 0)
);

CREATE TABLE promotion_customer_usage (
    promotion_id TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    uses         INTEGER NOT NULL CHECK (uses >= 0),
    PRIMARY KEY (promotion_id, customer_id)
) WITHOUT ROWID;

-- The one row of pricing settings; absent until first saved.
CREATE TABLE pricing_settings (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    tax      TEXT NOT NULL CHECK (json_valid(tax)),
    rounding TEXT NOT NULL
);

CREATE TABLE shipping_methods (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    countries TEXT NOT NULL CHECK (json_valid(countries)),
    rate      TEXT NOT NULL CHECK (json_valid(rate)),
    free_over TEXT CHECK (free_over IS NULL OR json_valid(free_over)),
    tax_class TEXT,
    active    INTEGER NOT NULL CHECK (active IN (0, 1))
);

CREATE TABLE carts (
    id                 TEXT PRIMARY KEY,
    customer_id        TEXT,
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    lines              TEXT NOT NULL CHECK (json_valid(lines)),
    coupon_codes       TEXT NOT NULL CHECK (json_valid(coupon_codes)),
    shipping_address   TEXT CHECK (shipping_address IS NULL OR json_valid(shipping_address)),
    shipping_method_id TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 0)
);
CREATE INDEX carts_customer ON carts (customer_id, updated_at, id);

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,
    cart_id            TEXT,
    customer_id        TEXT,
    email              TEXT,
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    status             TEXT NOT NULL
        CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    fulfillment_status TEXT NOT NULL,
    tracking_number    TEXT,
    payment            TEXT NOT NULL CHECK (json_valid(payment)),
    prices_include_tax INTEGER NOT NULL CHECK (prices_include_tax IN (0, 1)),
    promotions         TEXT NOT NULL CHECK (json_valid(promotions)),
    shipping_address   TEXT CHECK (shipping_address IS NULL OR json_valid(shipping_address)),
    shipping_method    TEXT,
    -- The grand total, exact; the other totals live in `totals`.
    total              TEXT NOT NULL,
    totals             TEXT NOT NULL CHECK (json_valid(totals)),
    history            TEXT NOT NULL CHECK (json_valid(history)),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 0)
);
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_customer_created ON orders (customer_id, created_at, id);
CREATE INDEX orders_status_created ON orders (status, created_at, id);

-- Order lines with the price at purchase.
CREATE TABLE order_items (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    product_id     TEXT NOT NULL,
    variant_id     TEXT NOT NULL,
    sku            TEXT NOT NULL,
    name           TEXT NOT NULL,
    -- Exact decimal text; the CAST only tests the sign.
    quantity       TEXT NOT NULL CHECK (CAST(quantity AS NUMERIC) > 0),
    unit_price     TEXT NOT NULL,
    subtotal       TEXT NOT NULL,
    discount_total TEXT NOT NULL,
    tax_total      TEXT NOT NULL,
    total          TEXT NOT NULL,
    UNIQUE (order_id, position)
);
CREATE INDEX order_items_product ON order_items (product_id, order_id);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    -- Lowercased email: one account per address, whatever the case.
    email_lower   TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE user_roles (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('admin', 'customer', 'moderator')),
    position INTEGER NOT NULL,
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id);

CREATE TABLE reviews (
    id                TEXT PRIMARY KEY,
    product_id        TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    rating            INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    verified_purchase INTEGER NOT NULL CHECK (verified_purchase IN (0, 1)),
    status            TEXT NOT NULL CHECK (status IN ('visible', 'hidden')),
    moderated_by      TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (user_id, product_id)
);
CREATE INDEX reviews_product_created ON reviews (product_id, created_at, id);

CREATE TABLE payment_transactions (
    -- Insertion order is the order attempts are listed in.
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    order_id           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    attempt            INTEGER NOT NULL CHECK (attempt >= 0),
    amount             TEXT NOT NULL,
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    status             TEXT NOT NULL,
    provider           TEXT NOT NULL,
    provider_reference TEXT,
    idempotency_key    TEXT NOT NULL,
    message            TEXT,
    created_at         TEXT NOT NULL
);
CREATE INDEX payment_transactions_order ON payment_transactions (order_id, seq);

CREATE TABLE idempotency_keys (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    resource_id TEXT,
    response    TEXT CHECK (response IS NULL OR json_valid(response)),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

-- The transactional outbox. AUTOINCREMENT: a sequence is never reused, even after pruning.
CREATE TABLE outbox (
    sequence    INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL CHECK (json_valid(payload)),
    occurred_at TEXT NOT NULL
);
CREATE INDEX outbox_kind ON outbox (kind, sequence);

CREATE TABLE delivery_cursors (
    consumer TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL CHECK (sequence >= 0)
);
