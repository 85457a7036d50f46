// Generated from the Merx wire contract (the OpenAPI document built from merx-core's serde
// types) by server/tests/contract_files.rs. Do not edit: regenerate with
//   MERX_REGENERATE_CONTRACT=1 cargo test -p merx-server --test contract_files

/** A decimal amount or quantity, always as a string ("19.99", "0.375"): never a float. */
export type Decimal = string;

/** Who made a change. */
export type Actor = {
  type: "system";
} | {
  type: "user";
  /** The user. */
  userId: UserId;
} | {
  type: "guest";
};

/** An item named by product and variant id. */
export interface AddByIds {
  /** The product. */
  productId: string;
  /** How many (decimal string or number; whole units unless sold by measure). */
  quantity: Decimal;
  /** The variant. */
  variantId: string;
}

/** An item named by SKU. */
export interface AddBySku {
  /** How many (decimal string or number; whole units unless sold by measure). */
  quantity: Decimal;
  /** The variant's SKU. */
  sku: string;
}

/** An item to add, named by its SKU or by its product and variant ids (exactly one of the two). */
export type AddItem = AddBySku | AddByIds;

/** A postal address. */
export interface Address {
  /** City or town. */
  city?: string;
  /** ISO-3166 alpha-2 country code. */
  country: string;
  /** Street and number. */
  line1?: string;
  /** Apartment, suite, building. */
  line2?: string | null;
  /** Recipient. */
  name?: string;
  /** Postal code. */
  postalCode?: string;
  /** State, province or region code ("CA", "ON"); used for regional tax. */
  region?: string | null;
}

/** A promotion that applied. */
export interface AppliedPromotion {
  /** Total it took off (lines and shipping). */
  amount: Decimal;
  /** The coupon code that unlocked it, if any. */
  couponCode?: string | null;
  /** Whether it makes shipping free. */
  freeShipping: boolean;
  /** Lines it discounted. */
  lineIds: LineId[];
  /** Its name. */
  name: string;
  /** The promotion. */
  promotionId: PromotionId;
}

/** The reward of a buy-X-get-Y promotion for each freed unit. */
export type BxgyReward = {
  type: "free";
} | {
  /** 0 < percent <= 100. */
  percent: Decimal;
  type: "percent_off";
};

/** A shopping cart in one currency. */
export interface Cart {
  /** Coupon codes entered, normalized to uppercase, in the order entered. */
  couponCodes?: string[];
  /** Creation time. */
  createdAt?: string;
  /** Currency of every price in the cart. */
  currency: Currency;
  customerId?: null | UserId;
  /** Identifier. */
  id?: CartId;
  /** Lines in the order they were added. */
  lines?: CartLine[];
  shippingAddress?: null | Address;
  shippingMethodId?: null | ShippingMethodId;
  /** Last change. */
  updatedAt?: string;
  /** Incremented on every change, for optimistic concurrency in stores. */
  version?: number;
}

/** Identifies a cart. */
export type CartId = string;

/** One line of a cart: a variant snapshot and a quantity. */
export interface CartLine {
  /** The product's categories and all their ancestors, so promotions on a parent category match. */
  categoryIds?: CategoryId[];
  /** Identifier, stable while the line exists. */
  id?: LineId;
  /** Product name, with the variant title when there is one. */
  name: string;
  /** The product. */
  productId: ProductId;
  /** Units (or measure, for variants sold by measure). */
  quantity: Decimal;
  /** How the quantity is counted. */
  saleUnit?: SaleUnit;
  /** The variant's SKU. */
  sku: string;
  /** Tax class of the variant. */
  taxClass?: string;
  /** Price of one unit in the cart's currency, in the store's price mode. */
  unitPrice: Decimal;
  /** The variant bought. */
  variantId: VariantId;
  /** Weight of one unit in kilograms. */
  weight?: Decimal | null;
}

/** A cart together with its price, as every cart response carries it. */
export interface CartView {
  /** The cart (lines, coupons, address, shipping method, version). */
  cart: Cart;
  /** The cart priced with the store's current rules. */
  priced: PricedCart;
  /** Whether the cart is stored (an empty cart is not, until its first change). */
  stored: boolean;
}

/** A node of the category tree. */
export interface Category {
  /** Identifier. */
  id?: CategoryId;
  /** Display name. */
  name: string;
  parentId?: null | CategoryId;
  /** Sort position among siblings. */
  position?: number;
  /** URL-safe handle. */
  slug?: string;
}

/** Identifies a category. */
export type CategoryId = string;

/** Checkout options. */
export interface CheckoutBody {
  /** Contact email (guests should give one). */
  email?: string | null;
}

/** Conditions that must all hold for a promotion to apply. */
export interface Conditions {
  /** Only these customers; empty for everyone. */
  customerIds?: UserId[];
  /** Ends at this instant (exclusive). */
  endsAt?: string | null;
  /** Minimum number of qualifying units (matching items, or all items for order targets). */
  minQuantity?: Decimal | null;
  /** Minimum running merchandise subtotal (after earlier promotions), per currency. */
  minSubtotal?: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>> | null;
  /** Starts at this instant (inclusive). */
  startsAt?: string | null;
}

/** A contributing product and its share of the score. */
export interface ContributionBody {
  /** A product the customer bought. */
  productId: string;
  /** Its share of the score. */
  weight: number;
}

/** A coupon code. */
export interface CouponCode {
  /** The code as typed. */
  code: string;
}

/** Why a coupon code did not apply to a cart. Reported inside a priced cart, not raised. */
export type CouponRejection = "not_found" | "expired" | "not_started" | "inactive" | "usage_limit" | "customer_usage_limit" | "customer_not_eligible" | "min_subtotal_not_met" | "min_quantity_not_met" | "not_applicable" | "not_combinable" | "currency_mismatch";

/** ISO-4217 currency code */
export type Currency = "AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR";

/** A supported currency. */
export interface CurrencyInfo {
  /** ISO-4217 code. */
  code: string;
  /** Whether new carts use it when none is asked for. */
  default: boolean;
  /** Decimals of the minor unit (USD 2, JPY 0, KWD 3). */
  minorUnits: number;
}

/** A discount on a line or on shipping, with the promotion that gave it. */
export interface Discount {
  /** Amount taken off, in minor units of the cart currency. */
  amount: Decimal;
  /** The promotion. */
  promotionId: PromotionId;
}

/** The error body every shell sends: `{"code": "...", "message": "...", "details": ...}`. */
export interface Error {
  /** Stable code from the table. */
  code: ErrorCode;
  /** Structured details, when useful. */
  details?: unknown;
  /** Human-readable explanation. */
  message: string;
}

/** Stable snake_case error code */
export type ErrorCode = "validation_failed" | "malformed_request" | "payload_too_large" | "uri_too_long" | "method_not_allowed" | "unknown_currency" | "currency_mismatch" | "invalid_quantity" | "overflow" | "not_found" | "product_not_available" | "price_not_available" | "cart_limit_exceeded" | "cart_empty" | "out_of_stock" | "coupon_not_found" | "coupon_expired" | "coupon_not_started" | "coupon_inactive" | "coupon_usage_limit" | "coupon_customer_usage_limit" | "coupon_customer_not_eligible" | "coupon_min_subtotal_not_met" | "coupon_min_quantity_not_met" | "coupon_not_applicable" | "coupon_not_combinable" | "coupon_currency_mismatch" | "shipping_method_unavailable" | "shipping_address_required" | "invalid_transition" | "conflict" | "idempotency_conflict" | "request_in_flight" | "payment_declined" | "payment_failed" | "already_captured" | "refund_exceeds_capture" | "email_taken" | "invalid_email" | "weak_password" | "invalid_credentials" | "unauthenticated" | "token_expired" | "invalid_token" | "session_revoked" | "forbidden" | "account_inactive" | "rate_limited" | "storage_unavailable" | "internal";

/** Identifies an outbox event; consumers deduplicate on it. */
export type EventId = string;

/** What happened. */
export type EventPayload = {
  /** Their normalized email. */
  email: string;
  type: "UserRegistered";
  /** The new user. */
  userId: UserId;
} | {
  /** The order currency. */
  currency: Currency;
  customerId?: null | UserId;
  /** The order. */
  orderId: OrderId;
  /** The grand total. */
  total: Decimal;
  type: "OrderPlaced";
} | {
  /** The status before. */
  from: OrderStatus;
  /** The order. */
  orderId: OrderId;
  /** The status after. */
  to: OrderStatus;
  type: "OrderStatusChanged";
} | {
  /** The captured amount. */
  amount: Decimal;
  /** The currency. */
  currency: Currency;
  /** The order. */
  orderId: OrderId;
  type: "PaymentCaptured";
} | {
  /** This refund's amount. */
  amount: Decimal;
  /** The currency. */
  currency: Currency;
  /** The order. */
  orderId: OrderId;
  /** The payment status after the refund. */
  paymentStatus: PaymentStatus;
  type: "PaymentRefunded";
} | {
  /** Its SKU. */
  sku: string;
  /** Stock after the change. */
  stock: Decimal;
  type: "InventoryUpdated";
  /** The variant. */
  variantId: VariantId;
} | {
  /** Where to send the token. */
  email: string;
  /** When the token stops working. */
  expiresAt: string;
  /** The one-time reset token. */
  token: string;
  type: "PasswordResetRequested";
  /** The user. */
  userId: UserId;
} | {
  /** Whether it was deleted. */
  deleted: boolean;
  /** The product. */
  productId: ProductId;
  type: "ProductChanged";
};

/** Where the goods are. */
export type FulfillmentStatus = "unfulfilled" | "shipped" | "delivered" | "cancelled";

/** Health answer. */
export interface Health {
  /** `ok` or `ready`. */
  status: string;
}

/** An entry of an order's history. */
export interface HistoryEntry {
  /** Who. */
  actor: Actor;
  /** When. */
  at: string;
  /** What. */
  change: OrderChange;
}

/** Identifies a line within a cart. */
export type LineId = string;

/**
 * Which cart lines a promotion looks at. Empty lists match every line; otherwise a line matches
 * when its product, variant, SKU or any of its categories (with ancestors) is listed.
 */
export interface LineSelector {
  /** Matching categories; a line filed under a descendant matches too. */
  categoryIds?: CategoryId[];
  /** Matching products. */
  productIds?: ProductId[];
  /** Matching SKUs (exact). */
  skus?: string[];
  /** Matching variants. */
  variantIds?: VariantId[];
}

/** Sign-in input. */
export interface LoginRequest {
  /** Email. */
  email: string;
  /** Password. */
  password: string;
}

/** A signed-in session. */
export interface LoginResponse {
  /** The access token for `Authorization: Bearer`. */
  accessToken: string;
  /** When the token stops working. */
  expiresAt: string;
  /** Always `Bearer`. */
  tokenType: string;
  /** The account. */
  user: User;
}

/** A notice on a priced cart. */
export interface Notice {
  /** Stable code. */
  code: NoticeCode;
  /** Explanation. */
  message: string;
}

/** Something the shopper should know that is not an error. */
export type NoticeCode = "shipping_method_not_found" | "shipping_method_unavailable" | "tax_destination_unknown";

/** An order. */
export interface Order {
  cartId?: null | CartId;
  /** Creation time. */
  createdAt: string;
  /** Currency of every amount. */
  currency: Currency;
  customerId?: null | UserId;
  /** Contact email for the order. */
  email?: string | null;
  /** Fulfilment status. */
  fulfillmentStatus: FulfillmentStatus;
  /** Every change, oldest first; the first entry is [`OrderChange::Placed`]. */
  history: HistoryEntry[];
  /** Identifier. */
  id: OrderId;
  /** Purchased lines. */
  lines: OrderLine[];
  /** Payment state. */
  payment: OrderPayment;
  /** Whether the line prices include tax. */
  pricesIncludeTax: boolean;
  /** Promotions that applied. */
  promotions: OrderPromotion[];
  shippingAddress?: null | Address;
  /** The shipping method chosen, by name at purchase. */
  shippingMethod?: string | null;
  /** Order status. */
  status: OrderStatus;
  /** Totals. */
  totals: OrderTotals;
  /** Carrier tracking number, once shipped. */
  trackingNumber?: string | null;
  /** Last change. */
  updatedAt: string;
  /** Optimistic-concurrency version; the store increments it on every update. */
  version: number;
}

/** One change recorded in an order's history. */
export type OrderChange = {
  type: "placed";
} | {
  /** Before. */
  from: OrderStatus;
  /** After. */
  to: OrderStatus;
  type: "status";
} | {
  /** The money moved by this step, if any. */
  amount?: Decimal | null;
  /** Before. */
  from: PaymentStatus;
  /** After. */
  to: PaymentStatus;
  type: "payment";
} | {
  /** Before. */
  from: FulfillmentStatus;
  /** After. */
  to: FulfillmentStatus;
  type: "fulfillment";
};

/** Identifies an order. */
export type OrderId = string;

/** A purchased line, frozen at the prices of the moment of purchase. */
export interface OrderLine {
  /** Discounts allocated to the line. */
  discountTotal: Decimal;
  /** Identifier. */
  id: OrderLineId;
  /** Its name at purchase. */
  name: string;
  /** The product. */
  productId: ProductId;
  /** Units (or measure) bought. */
  quantity: Decimal;
  /** Its SKU at purchase. */
  sku: string;
  /** Unit price x quantity, rounded once. */
  subtotal: Decimal;
  /** Tax on the line. */
  taxTotal: Decimal;
  /** What the line costs the customer. */
  total: Decimal;
  /** Unit price at purchase, in the store's price mode. */
  unitPrice: Decimal;
  /** The variant bought. */
  variantId: VariantId;
}

/** Identifies a line within an order. */
export type OrderLineId = string;

/** The money side of an order. */
export interface OrderPayment {
  /** The provider's authorization reference, once authorized. */
  authorizationReference?: string | null;
  /** Amount authorized. */
  authorized: Decimal;
  /** Amount captured. */
  captured: Decimal;
  /** Amount refunded so far. */
  refunded: Decimal;
  /** Current status. */
  status: PaymentStatus;
}

/** A promotion that applied to the order. */
export interface OrderPromotion {
  /** The discount it gave. */
  amount: Decimal;
  /** The coupon code that unlocked it. */
  couponCode?: string | null;
  /** Its name at purchase. */
  name: string;
  /** The promotion. */
  promotionId: PromotionId;
}

/** Where an order is in its life. */
export type OrderStatus = "pending" | "processing" | "shipped" | "delivered" | "cancelled";

/** The order's totals; equal to the priced cart's at checkout. */
export interface OrderTotals {
  /** Sum of discounts. */
  discountTotal: Decimal;
  /** Units (or measure) over all lines. */
  itemCount: Decimal;
  /** Shipping charge. */
  shippingTotal: Decimal;
  /** Sum of line subtotals. */
  subtotal: Decimal;
  /** Sum of taxes. */
  taxTotal: Decimal;
  /** What the customer pays. */
  total: Decimal;
}

/** An event in the outbox. */
export interface OutboxEvent {
  /** Unique id. */
  id: EventId;
  /** When the change happened. */
  occurredAt: string;
  /** What happened. */
  payload: EventPayload;
  /** Position in the outbox, assigned by the store; strictly increasing, starting at 1. */
  sequence: number;
}

/** One page of a listing and the total number of matches. */
export interface Paged_Order {
  /** This page. */
  data: Order[];
  /** The page size. */
  limit: number;
  /** This page's number (1-based). */
  page: number;
  /** Matches over all pages. */
  total: number;
}

/** One page of a listing and the total number of matches. */
export interface Paged_Product {
  /** This page. */
  data: Product[];
  /** The page size. */
  limit: number;
  /** This page's number (1-based). */
  page: number;
  /** Matches over all pages. */
  total: number;
}

/** One page of a listing and the total number of matches. */
export interface Paged_User {
  /** This page. */
  data: User[];
  /** The page size. */
  limit: number;
  /** This page's number (1-based). */
  page: number;
  /** Matches over all pages. */
  total: number;
}

/** A payment. */
export interface PayBody {
  /**
   * The payment token (with the built-in test gateway, a test card number such as
   * `4242424242424242`).
   */
  token: string;
}

/** Where the order's money is. */
export type PaymentStatus = "unpaid" | "authorized" | "captured" | "partially_refunded" | "refunded" | "failed" | "voided";

/** One attempt at the provider. */
export interface PaymentTransaction {
  /** The amount involved (zero for a void). */
  amount: Decimal;
  /** 1 for the first attempt of an operation, 2 for its first retry, ... */
  attempt: number;
  /** When the attempt finished. */
  createdAt: string;
  /** The currency. */
  currency: Currency;
  /** Identifier. */
  id: TransactionId;
  /** The idempotency key sent. */
  idempotencyKey: string;
  /** What was attempted. */
  kind: TransactionKind;
  /** The provider's message on failure. */
  message?: string | null;
  /** The order paid for. */
  orderId: OrderId;
  /** The provider's name. */
  provider: string;
  /** The provider's reference, on success. */
  providerReference?: string | null;
  /** The outcome. */
  status: TransactionStatus;
}

/** The result of [`price_cart`]. */
export interface PricedCart {
  /** Promotions that applied, in the order they applied. */
  appliedPromotions: AppliedPromotion[];
  /** The cart priced. */
  cartId: CartId;
  /** The cart version priced, so a checkout can tell the cart has not changed since. */
  cartVersion: number;
  /** Currency of every amount. */
  currency: Currency;
  /** Lines in cart order. */
  lines: PricedLine[];
  /** Notices for the shopper. */
  notices: Notice[];
  /** Whether line amounts include tax. */
  pricesIncludeTax: boolean;
  /** Coupon codes that did not apply. */
  rejectedCoupons: RejectedCoupon[];
  shipping?: null | PricedShipping;
  /** Methods that can ship the cart. */
  shippingOptions: ShippingOption[];
  /** Tax per rate. */
  taxLines: TaxLine[];
  /** Totals. */
  totals: Totals;
}

/** A priced cart line. */
export interface PricedLine {
  /** Sum of `discounts`. */
  discountTotal: Decimal;
  /** Discounts in the order they were applied. */
  discounts: Discount[];
  /** The cart line. */
  lineId: LineId;
  /** Its product. */
  productId: ProductId;
  /** Quantity. */
  quantity: Decimal;
  /** Unit price x quantity, rounded once. */
  subtotal: Decimal;
  /** Sum of `taxes`. */
  taxTotal: Decimal;
  /** Tax per rate. */
  taxes: TaxAmount[];
  /** `subtotal - discountTotal`, plus `taxTotal` when prices exclude tax. */
  total: Decimal;
  /** Price of one unit. */
  unitPrice: Decimal;
  /** Its variant. */
  variantId: VariantId;
}

/** The selected shipping method, priced. */
export interface PricedShipping {
  /** Its charge for this cart (zero once a free-over threshold is reached). */
  amount: Decimal;
  /** Sum of `discounts`. */
  discountTotal: Decimal;
  /** Free-shipping discounts. */
  discounts: Discount[];
  /** The method. */
  methodId: ShippingMethodId;
  /** Its name. */
  name: string;
  /** Sum of `taxes`. */
  taxTotal: Decimal;
  /** Tax per rate, when shipping is taxable. */
  taxes: TaxAmount[];
  /** `amount - discountTotal`, plus `taxTotal` when prices exclude tax. */
  total: Decimal;
}

/**
 * The owned JSON request of the pricing contract: `{"cart": ..., "rules": ..., "now": ...,
 * "usage": ...}`. `rules`, `now` and `usage` may be left out.
 */
export interface PricingRequest {
  /** The cart to price. */
  cart: Cart;
  /** The instant to price at; the caller's clock when absent. */
  now?: string | null;
  /** The store's rules. */
  rules?: PricingRules;
  /** Promotion usage counts. */
  usage?: Record<string, PromotionUsage>;
}

/** Everything the store decides about prices beyond the catalog: promotions, tax and shipping. */
export interface PricingRules {
  /** All promotions, automatic and behind coupon codes. */
  promotions?: Promotion[];
  /** How line amounts and discounts are rounded to minor units. */
  rounding?: RoundingMode;
  /** Shipping methods. */
  shippingMethods?: ShippingMethod[];
  /** Tax rates and modes. */
  tax?: TaxSettings;
}

/** Pricing settings that are not lists: tax configuration and the rounding mode. */
export interface PricingSettings {
  /** How line amounts and discounts are rounded. */
  rounding?: RoundingMode;
  /** Tax rates and modes. */
  tax?: TaxSettings;
  /**
   * Counts the writes: 0 until the settings are first saved, one more with each save. A write
   * names the version it was based on and is refused once that is no longer current.
   */
  version?: number;
}

/** A product with its variants. */
export interface Product {
  /** Free-form attributes (`{"material": "cotton"}`). */
  attributes?: Record<string, string>;
  /** Categories the product is filed under (leaf or inner nodes). */
  categoryIds?: CategoryId[];
  /** Creation time. */
  createdAt?: string;
  /** Long description (plain text or markdown). */
  description?: string;
  /** Identifier. */
  id?: ProductId;
  /** Images in display order. */
  images?: ProductImage[];
  /** Display name. */
  name: string;
  /** URL-safe handle, unique across the catalog. */
  slug?: string;
  /** Lifecycle state. */
  status?: ProductStatus;
  /** Last change. */
  updatedAt?: string;
  /** The purchasable variants; at least one. */
  variants: Variant[];
}

/** Identifies a product. */
export type ProductId = string;

/** An image of a product. */
export interface ProductImage {
  /** Alternative text. */
  alt?: string;
  /** Where the image lives. */
  url: string;
}

/** Lifecycle of a product. Only active products can be added to carts or checked out. */
export type ProductStatus = "draft" | "active" | "archived";

/** A change to an account: the owner may change the name; status and roles are for admins. */
export interface ProfileUpdate {
  /** New display name. */
  name?: string | null;
  /** New roles (admins only). */
  roles?: Role[] | null;
  status?: null | UserStatus;
}

/** A promotion, automatic or behind a coupon code. */
export interface Promotion {
  /** Switched on. */
  active?: boolean;
  /** When it applies. */
  conditions?: Conditions;
  /** Coupon code (stored uppercase); `None` for an automatic promotion. */
  couponCode?: string | null;
  /** Longer explanation. */
  description?: string;
  /** What it gives. */
  effect: PromotionEffect;
  /**
   * An exclusive promotion applies only when nothing applied before it, and nothing applies
   * after it.
   */
  exclusive?: boolean;
  /** Identifier. */
  id?: PromotionId;
  /** Name shown to shoppers and admins. */
  name: string;
  /** Most redemptions per customer (needs a signed-in customer). */
  perCustomerLimit?: number | null;
  /** Lower numbers apply first; ties are broken by id. */
  priority?: number;
  /** Most redemptions over all customers. */
  usageLimit?: number | null;
}

/** What a promotion gives. */
export type PromotionEffect = {
  /** 0 < percent <= 100. */
  percent: Decimal;
  /** Order or matching items. */
  target: Target;
  type: "percentage_off";
} | {
  /** Amount per currency. */
  amounts: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
  /** Order or matching items. */
  target: Target;
  type: "amount_off";
} | {
  /** Amount per unit, per currency. */
  amounts: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
  /** Matching items. */
  items: LineSelector;
  type: "amount_off_each_item";
} | {
  /** Matching items. */
  items: LineSelector;
  /** Unit price per currency. */
  prices: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
  type: "fixed_price";
} | {
  /** Units that qualify as the purchase. */
  buy: LineSelector;
  /** How many must be bought per application. */
  buyQuantity: number;
  get?: null | LineSelector;
  /** How many are rewarded per application. */
  getQuantity: number;
  /** Most applications per cart; `None` for no limit. */
  maxApplications?: number | null;
  /** Free or a percentage off. */
  reward: BxgyReward;
  type: "buy_x_get_y";
} | {
  /** Tiers in ascending threshold order. */
  tiers: SpendTier[];
  type: "tiered_spend";
} | {
  /** Methods it applies to; empty for all. */
  methodIds?: ShippingMethodId[];
  type: "free_shipping";
};

/** Identifies a promotion. */
export type PromotionId = string;

/** How often a promotion has been redeemed, as the store counts it. */
export interface PromotionUsage {
  /** Redemptions by the cart's customer. */
  byCustomer?: number;
  /** Redemptions by everyone. */
  total?: number;
}

/** One recommended product. */
export interface RecommendationBody {
  /** The customer's products that contributed most (for-you only; otherwise empty). */
  because: ContributionBody[];
  /** The product. */
  productId: string;
  /** Higher is better; comparable within one list only. */
  score: number;
  /** Which part of the engine put it there. */
  source: Source;
}

/** A list of recommendations. */
export interface RecommendationList {
  /** Best first. */
  items: RecommendationBody[];
}

/** A refund. */
export interface RefundBody {
  /** Amount to refund (decimal string); everything refundable when left out. */
  amount?: Decimal | null;
}

/** What a new user registers with (`UserService::register`). */
export interface Registration {
  /** Email as typed. */
  email: string;
  /** Display name. */
  name?: string;
  /** Password as typed. */
  password: string;
}

/** A coupon code that did not apply, and why. */
export interface RejectedCoupon {
  /** The code. */
  code: string;
  /** A sentence for the shopper. */
  message: string;
  /** Stable reason (`expired`, `not_found`, `usage_limit`, `min_subtotal_not_met`, ...). */
  reason: CouponRejection;
}

/** Password-reset confirmation. */
export interface ResetConfirm {
  /** The new password. */
  newPassword: string;
  /** The token from the reset email. */
  token: string;
}

/** Password-reset request. */
export interface ResetRequest {
  /** The account's email. */
  email: string;
}

/** A review. */
export interface Review {
  /** Text. */
  body: string;
  /** Creation time. */
  createdAt: string;
  /** Identifier. */
  id: ReviewId;
  moderatedBy?: null | UserId;
  /** The product reviewed. */
  productId: ProductId;
  /** 1 to 5. */
  rating: number;
  /** Visible or hidden. */
  status: ReviewStatus;
  /** Headline. */
  title: string;
  /** Last change. */
  updatedAt: string;
  /** The author. */
  userId: UserId;
  /** Whether the author bought the product. */
  verifiedPurchase: boolean;
}

/** Identifies a product review. */
export type ReviewId = string;

/** What an author writes. */
export interface ReviewInput {
  /** Text, up to 5000 characters. */
  body?: string;
  /** 1 to 5. */
  rating: number;
  /** Headline, up to 200 characters. */
  title?: string;
}

/** Whether shoppers see a review. */
export type ReviewStatus = "visible" | "hidden";

/** What a user may do. */
export type Role = "admin" | "customer" | "moderator";

/** How an amount is brought to a currency's minor units. */
export type RoundingMode = "half_up" | "half_even" | "down";

/** How a variant's quantity is counted. */
export type SaleUnit = {
  type: "each";
} | {
  /** Decimals allowed in a quantity. */
  precision: number;
  type: "measure";
  /** Unit symbol shown to shoppers ("kg"). */
  unit: string;
};

/** A new quantity; zero removes the line. */
export interface SetQuantity {
  /** The quantity. */
  quantity: Decimal;
}

/** Shipping details. */
export interface ShipBody {
  /** Carrier tracking number. */
  trackingNumber?: string | null;
}

/** A shipping method. */
export interface ShippingMethod {
  /** Switched on. */
  active?: boolean;
  /** Destination countries (ISO alpha-2); empty for everywhere. */
  countries?: string[];
  /** Free when the discounted merchandise subtotal reaches this amount, per currency. */
  freeOver?: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>> | null;
  /** Identifier. */
  id?: ShippingMethodId;
  /** Name shown at checkout. */
  name: string;
  /** Price rule. */
  rate: ShippingRate;
  /** Tax class of this method's charge; the store's shipping tax class when `None`. */
  taxClass?: string | null;
}

/** The shipping method to use (`null` clears it). */
export interface ShippingMethodChoice {
  /** A method id from `priced.shippingOptions`. */
  methodId?: string | null;
}

/** Identifies a shipping method. */
export type ShippingMethodId = string;

/** A method that can ship this cart, with its charge before promotions. */
export interface ShippingOption {
  /** Its charge for this cart. */
  amount: Decimal;
  /** The method. */
  methodId: ShippingMethodId;
  /** Its name. */
  name: string;
}

/** How a method's price is found. */
export type ShippingRate = {
  /** Price per currency. */
  amounts: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
  type: "flat";
} | {
  /** Bands in ascending weight. */
  tiers: WeightTier[];
  type: "weight_tiered";
};

/** Why an item is in the list. */
export type Source = "collaborative" | "buy_again" | "popular";

/** One step of a tiered spend promotion. */
export interface SpendTier {
  /** What the tier gives. */
  reward: TierReward;
  /** Running subtotal needed for this tier, per currency. */
  threshold: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
}

/** A stock change. */
export interface StockAdjustment {
  /** Units to add (negative to remove), as a decimal string or number. */
  delta: Decimal;
}

/** A stocktake: the units on hand. */
export interface StockCount {
  /** Units on hand, as a decimal string or number. */
  stock: Decimal;
}

/** A variant's stock as the inventory sees it. */
export interface StockLevel {
  /** Whether it may be sold beyond stock. */
  allowBackorder: boolean;
  /** Its product. */
  productId: ProductId;
  /** Its SKU. */
  sku: string;
  /** Units on hand (negative only with backorders). */
  stock: Decimal;
  /** The variant. */
  variantId: VariantId;
}

/** What a promotion's discount is measured against. */
export type Target = {
  type: "order";
} | (LineSelector & {
  type: "items";
});

/** A tax amount on a line or on shipping, with its rate. */
export interface TaxAmount {
  /** Tax amount. */
  amount: Decimal;
  /** The rate. */
  rateId: TaxRateId;
}

/** Whether tax is computed and rounded per line, or once per rate over the whole order. */
export type TaxCalculation = "per_line" | "per_rate";

/** Tax per rate over the whole cart, for invoices. */
export interface TaxLine {
  /** Tax charged. */
  amount: Decimal;
  /** Its name. */
  name: string;
  /** Its percent. */
  percent: Decimal;
  /** The rate. */
  rateId: TaxRateId;
  /** Net amount the rate was charged on. */
  taxableAmount: Decimal;
}

/** One tax rate. */
export interface TaxRate {
  /** ISO-3166 alpha-2 country code, uppercase. */
  country: string;
  /** Identifier. */
  id?: TaxRateId;
  /** Name on invoices ("VAT", "GST", "CA sales tax"). */
  name: string;
  /** The rate in percent (20 means 20%). */
  percent: Decimal;
  /** Region (state, province) code; `None` for the whole country. */
  region?: string | null;
  /** Tax class it applies to ("standard", "reduced", "shipping"). */
  taxClass?: string;
}

/** Identifies a tax rate. */
export type TaxRateId = string;

/** The store's tax settings. */
export interface TaxSettings {
  /** Per line or per rate. */
  calculation?: TaxCalculation;
  /** Country used when the cart has no shipping address yet. */
  defaultCountry?: string | null;
  /** Region used with the default country. */
  defaultRegion?: string | null;
  /** Whether catalog prices (and shipping amounts) already include tax. */
  pricesIncludeTax?: boolean;
  /** All rates. */
  rates?: TaxRate[];
  /** How tax amounts are rounded (truncation is common for Japanese consumption tax). */
  rounding?: RoundingMode;
  /** Tax class of shipping when a method does not name one. */
  shippingTaxClass?: string;
  /** Whether shipping is taxed. */
  shippingTaxable?: boolean;
}

/** The reward of a spend tier. */
export type TierReward = {
  /** 0 < percent <= 100. */
  percent: Decimal;
  type: "percent_off";
} | {
  /** Amount per currency. */
  amounts: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
  type: "amount_off";
};

/**
 * The cart's totals. `total = subtotal - discountTotal + shippingTotal (+ taxTotal when prices
 * exclude tax)`, exactly.
 */
export interface Totals {
  /** Sum of line and shipping discounts. */
  discountTotal: Decimal;
  /** Units in the cart. */
  itemCount: Decimal;
  /** Shipping charge before discounts. */
  shippingTotal: Decimal;
  /** Sum of line subtotals. */
  subtotal: Decimal;
  /** Sum of line and shipping tax. */
  taxTotal: Decimal;
  /** What the shopper pays. */
  total: Decimal;
}

/** What a training run read and produced. */
export interface TrainingCounts {
  /** Order lines used. */
  interactions: number;
  /** Orders that contributed. */
  orders: number;
  /** Distinct products. */
  products: number;
  /** Distinct customers. */
  users: number;
}

/** Identifies one recorded payment attempt (authorize, capture, void or refund). */
export type TransactionId = string;

/** The kind of provider call a transaction records. */
export type TransactionKind = "authorize" | "capture" | "void" | "refund";

/** How one attempt ended. */
export type TransactionStatus = "succeeded" | "declined" | "failed" | "rejected";

/** A user account. */
export interface User {
  /** Creation time. */
  createdAt: string;
  /** Soft-delete time; a deleted user keeps their orders and reviews but cannot sign in. */
  deletedAt?: string | null;
  /** Trimmed, lowercased email; unique. */
  email: string;
  /** Identifier. */
  id: UserId;
  /** Display name. */
  name: string;
  /** Roles, sorted, without duplicates. */
  roles: Role[];
  /**
   * Counts the changes that end the account's sessions (password, roles, status, deletion).
   * Every access token carries the generation it was issued at and is refused once it differs,
   * so a reset password or a removed role cannot be outlived by a token in someone's hands.
   *
   * Serialized, unlike `password_hash`: it is no secret, and anything that round-trips a
   * `User` through JSON must not drop it, because falling back to 0 would revive every token
   * issued before the first such change.
   */
  sessionGeneration?: number;
  /** Active or inactive. */
  status: UserStatus;
  /** Last change. */
  updatedAt: string;
}

/** Identifies a user (customer, admin or moderator). */
export type UserId = string;

/** Whether the account may sign in. */
export type UserStatus = "active" | "inactive";

/** A purchasable variant of a product. */
export interface Variant {
  /** Whether the variant may be sold beyond stock. */
  allowBackorder?: boolean;
  /** Identifier. */
  id?: VariantId;
  /** Option values (`{"color": "red", "size": "M"}`). */
  options?: Record<string, string>;
  /** Price per currency, in the store's price mode (tax-inclusive or exclusive). */
  prices: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
  /** How quantities are counted. */
  saleUnit?: SaleUnit;
  /** Stock-keeping unit, unique across the catalog. */
  sku: string;
  /** Units on hand. May be negative only when backorders are allowed. */
  stock?: Decimal;
  /** Tax class used to find the tax rate ("standard", "reduced", "zero"). */
  taxClass?: string;
  /** Display title ("Red / M"); empty means the product name alone. */
  title?: string;
  /** Weight of one unit in kilograms. */
  weight?: Decimal | null;
}

/** Identifies a variant (the purchasable unit with a SKU). */
export type VariantId = string;

/** One weight band of a weight-tiered rate. */
export interface WeightTier {
  /** Price of the band per currency. */
  amounts: Partial<Record<"AED" | "AUD" | "BHD" | "BRL" | "CAD" | "CHF" | "CLP" | "CNY" | "CZK" | "DKK" | "EUR" | "GBP" | "HKD" | "HUF" | "IDR" | "ILS" | "INR" | "ISK" | "JOD" | "JPY" | "KRW" | "KWD" | "MXN" | "MYR" | "NOK" | "NZD" | "OMR" | "PHP" | "PLN" | "RON" | "SAR" | "SEK" | "SGD" | "THB" | "TND" | "TRY" | "TWD" | "USD" | "VND" | "ZAR", string>>;
  /** Upper bound of the band in kilograms, inclusive; `None` for "anything heavier". */
  upTo?: Decimal | null;
}

/** The family of an error code: the column of the core's error table shells group codes by. */
export type ErrorFamily = "validation" | "not_found" | "unavailable" | "out_of_stock" | "coupon" | "conflict" | "payment" | "auth" | "storage" | "internal";

/** What every function of the bundle throws: a JS `Error` with the code from the core's
 * error table, that code's family and, when there are any, structured details. */
export interface MerxError extends Error {
  code: ErrorCode;
  family: ErrorFamily;
  details?: unknown;
}
