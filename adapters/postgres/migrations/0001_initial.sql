-- Merx on PostgreSQL: the tables behind every store trait of merx-core.
--
-- Rules of this schema:
-- * money and quantities are NUMERIC (exact), never float;
-- * what SQL filters, joins, counts or protects is a real column with a constraint (stock, prices
--   per currency, emails, order status, promotion usage, idempotency keys, the outbox);
-- * nested data SQL never looks into (product attributes and images, a promotion's effect and
--   conditions, cart lines, order history, tax settings, shipping rates) is JSONB in the core's
--   own serde form.
-- Foreign keys protect ownership (a variant belongs to a product, a price to a variant, an order
-- line to its order, a reset token to its user). References the core lets dangle on purpose are
-- plain columns: an order keeps its lines after the product is deleted, a review or a payment
-- attempt may name a record the store has never seen, and a category may outlive its parent.

CREATE TABLE categories (
    id uuid PRIMARY KEY,
    parent_id uuid,
    name text NOT NULL,
    slug text NOT NULL,
    position integer NOT NULL
);
CREATE INDEX categories_parent_idx ON categories (parent_id);

CREATE TABLE products (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL CONSTRAINT products_slug_key UNIQUE,
    description text NOT NULL,
    status text NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    attributes jsonb NOT NULL,
    images jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX products_created_idx ON products (created_at, id);

CREATE TABLE product_categories (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_id uuid NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (product_id, category_id)
);
CREATE INDEX product_categories_category_idx ON product_categories (category_id);

CREATE TABLE variants (
    id uuid PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position integer NOT NULL,
    sku text NOT NULL,
    title text NOT NULL,
    options jsonb NOT NULL,
    weight numeric,
    tax_class text NOT NULL,
    stock numeric NOT NULL,
    allow_backorder boolean NOT NULL,
    sale_unit jsonb NOT NULL,
    CONSTRAINT variants_stock_floor CHECK (stock >= 0 OR allow_backorder)
);
CREATE UNIQUE INDEX variants_sku_key ON variants (lower(sku));
CREATE INDEX variants_product_idx ON variants (product_id, position);

CREATE TABLE variant_prices (
    variant_id uuid NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount numeric NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (variant_id, currency)
);

CREATE TABLE promotions (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    description text NOT NULL,
    coupon_code text CONSTRAINT promotions_coupon_code_key UNIQUE,
    active boolean NOT NULL,
    effect jsonb NOT NULL,
    conditions jsonb NOT NULL,
    usage_limit bigint CHECK (usage_limit >= 0),
    per_customer_limit bigint CHECK (per_customer_limit >= 0),
    priority integer NOT NULL,
    exclusive boolean NOT NULL
);

-- Redemption counts. Not tied to promotions by a foreign key: deleting a promotion keeps its
-- history, as the in-memory store does.
CREATE TABLE promotion_usage (
    promotion_id uuid PRIMARY KEY,
    total bigint NOT NULL CHECK (total >= 0)
);

CREATE TABLE promotion_customer_usage (
    promotion_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    total bigint NOT NULL CHECK (total >= 0),
    PRIMARY KEY (promotion_id, customer_id)
);

-- One row: tax settings and the rounding mode.
CREATE TABLE pricing_settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    settings jsonb NOT NULL
);

CREATE TABLE shipping_methods (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    method jsonb NOT NULL
);

CREATE TABLE carts (
    id uuid PRIMARY KEY,
    customer_id uuid,
    currency text NOT NULL,
    version bigint NOT NULL CHECK (version >= 0),
    updated_at timestamptz NOT NULL,
    cart jsonb NOT NULL
);
CREATE INDEX carts_customer_idx ON carts (customer_id, updated_at DESC) WHERE customer_id IS NOT NULL;

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    roles text[] NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'inactive')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_created_idx ON users (created_at, id);

CREATE TABLE password_resets (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

CREATE TABLE orders (
    id uuid PRIMARY KEY,
    cart_id uuid,
    customer_id uuid,
    email text,
    currency text NOT NULL,
    status text NOT NULL
        CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    fulfillment_status text NOT NULL,
    tracking_number text,
    payment_status text NOT NULL,
    authorization_reference text,
    authorized numeric NOT NULL,
    captured numeric NOT NULL,
    refunded numeric NOT NULL CHECK (refunded <= captured),
    prices_include_tax boolean NOT NULL,
    promotions jsonb NOT NULL,
    shipping_address jsonb,
    shipping_method text,
    subtotal numeric NOT NULL,
    discount_total numeric NOT NULL,
    shipping_total numeric NOT NULL,
    tax_total numeric NOT NULL,
    total numeric NOT NULL CHECK (total >= 0),
    item_count numeric NOT NULL,
    history jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL
);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC) WHERE customer_id IS NOT NULL;

-- Lines frozen at the price of the moment of purchase.
CREATE TABLE order_items (
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position integer NOT NULL,
    id uuid NOT NULL,
    product_id uuid NOT NULL,
    variant_id uuid NOT NULL,
    sku text NOT NULL,
    name text NOT NULL,
    quantity numeric NOT NULL CHECK (quantity > 0),
    unit_price numeric NOT NULL,
    subtotal numeric NOT NULL,
    discount_total numeric NOT NULL,
    tax_total numeric NOT NULL,
    total numeric NOT NULL,
    PRIMARY KEY (order_id, position)
);
CREATE INDEX order_items_product_idx ON order_items (product_id);

CREATE TABLE payment_transactions (
    recorded bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL CONSTRAINT payment_transactions_id_key UNIQUE,
    order_id uuid NOT NULL,
    kind text NOT NULL,
    attempt integer NOT NULL,
    amount numeric NOT NULL CHECK (amount >= 0),
    currency text NOT NULL,
    status text NOT NULL,
    provider text NOT NULL,
    provider_reference text,
    idempotency_key text NOT NULL,
    message text,
    created_at timestamptz NOT NULL
);
CREATE INDEX payment_transactions_order_idx ON payment_transactions (order_id, recorded);

CREATE TABLE reviews (
    id uuid PRIMARY KEY,
    product_id uuid NOT NULL,
    user_id uuid NOT NULL,
    rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title text NOT NULL,
    body text NOT NULL,
    verified_purchase boolean NOT NULL,
    status text NOT NULL CHECK (status IN ('visible', 'hidden')),
    moderated_by uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT reviews_author_key UNIQUE (user_id, product_id)
);
CREATE INDEX reviews_product_idx ON reviews (product_id, created_at DESC);

CREATE TABLE idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    resource_id text,
    response jsonb,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

-- The transactional outbox. `sequence` is the delivery order.
CREATE TABLE outbox (
    sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL CONSTRAINT outbox_id_key UNIQUE,
    kind text NOT NULL,
    occurred_at timestamptz NOT NULL,
    payload jsonb NOT NULL
);

CREATE TABLE delivery_cursors (
    consumer text PRIMARY KEY,
    sequence bigint NOT NULL CHECK (sequence >= 0)
);
