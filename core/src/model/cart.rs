//! The shopping cart: lines, coupon codes, shipping address and method.
//!
//! A cart line is a snapshot of the variant at the moment it was added (unit price in the cart's
//! currency, SKU, name, tax class, weight, categories with their ancestors). Pricing reads only the
//! cart and the store's rules, never the catalog, which is what lets a browser price a cart with
//! the exact same function as the server. [`Cart::refresh`] re-takes the snapshot from the current
//! catalog, and checkout does so before it commits, so a stale price never reaches an order.
//!
//! Every operation checks its input and leaves the cart untouched when it fails.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::{CategoryTree, Product, SaleUnit, Variant, MAX_LINE_QUANTITY};
use crate::country::normalize_country;
use crate::error::{Error, Result};
use crate::ids::{CartId, CategoryId, LineId, ProductId, ShippingMethodId, UserId, VariantId};
use crate::money::Currency;
use crate::promotion::normalize_coupon_code;
use crate::text::check_text;

/// Most lines a cart may hold.
pub const MAX_CART_LINES: usize = 250;
/// Most coupon codes a cart may carry at once.
pub const MAX_COUPONS: usize = 5;
/// Largest unit price a line may carry (10^15 in any currency). Far above any real price, it
/// bounds every intermediate amount in pricing well inside 128-bit integers.
pub const MAX_UNIT_PRICE: i64 = 1_000_000_000_000_000;

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Recipient.
    #[serde(default)]
    pub name: String,
    /// Street and number.
    #[serde(default)]
    pub line1: String,
    /// Apartment, suite, building.
    #[serde(default)]
    pub line2: Option<String>,
    /// City or town.
    #[serde(default)]
    pub city: String,
    /// State, province or region code ("CA", "ON"); used for regional tax.
    #[serde(default)]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// ISO-3166 alpha-2 country code.
    pub country: String,
}

impl Address {
    /// An address in `country` with nothing else filled in, enough to quote tax and shipping.
    pub fn in_country(country: &str) -> Address {
        Address {
            country: country.to_string(),
            ..Address::default()
        }
    }

    /// Checks lengths and normalizes the country and region codes. Only the country is required:
    /// a storefront may ask for it first to show tax and shipping, and the full address later.
    pub fn validate(&mut self) -> Result<()> {
        self.country = normalize_country(&self.country).map_err(|e| match e {
            Error::Validation { message, .. } => {
                Error::validation("shippingAddress.country", message)
            }
            other => other,
        })?;
        self.region = self
            .region
            .as_deref()
            .map(|r| r.trim().to_ascii_uppercase())
            .filter(|r| !r.is_empty());
        // Every address field is one line: labels and carriers print them line by line.
        let fields: [(&str, &str); 6] = [
            ("name", &self.name),
            ("line1", &self.line1),
            ("line2", self.line2.as_deref().unwrap_or("")),
            ("city", &self.city),
            ("region", self.region.as_deref().unwrap_or("")),
            ("postalCode", &self.postal_code),
        ];
        for (field, value) in fields {
            check_text(&format!("shippingAddress.{field}"), value)?;
            if value.chars().count() > 200 {
                return Err(Error::validation(
                    format!("shippingAddress.{field}"),
                    "at most 200 characters",
                ));
            }
        }
        if self.region.as_ref().is_some_and(|r| r.len() > 16) {
            return Err(Error::validation(
                "shippingAddress.region",
                "at most 16 characters",
            ));
        }
        Ok(())
    }
}

/// One line of a cart: a variant snapshot and a quantity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    /// Identifier, stable while the line exists.
    #[serde(default)]
    pub id: LineId,
    /// The product.
    pub product_id: ProductId,
    /// The variant bought.
    pub variant_id: VariantId,
    /// The variant's SKU.
    pub sku: String,
    /// Product name, with the variant title when there is one.
    pub name: String,
    /// Price of one unit in the cart's currency, in the store's price mode.
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub unit_price: Decimal,
    /// Units (or measure, for variants sold by measure).
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub quantity: Decimal,
    /// Tax class of the variant.
    #[serde(default = "crate::catalog::default_tax_class")]
    pub tax_class: String,
    /// Weight of one unit in kilograms.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub weight: Option<Decimal>,
    /// The product's categories and all their ancestors, so promotions on a parent category match.
    #[serde(default)]
    pub category_ids: Vec<CategoryId>,
    /// How the quantity is counted.
    #[serde(default)]
    pub sale_unit: SaleUnit,
}

impl CartLine {
    /// A line for `quantity` of `variant` of `product`, priced in `currency`.
    pub fn snapshot(
        product: &Product,
        variant: &Variant,
        quantity: Decimal,
        currency: Currency,
        categories: Option<&CategoryTree>,
    ) -> Result<CartLine> {
        let mut line = CartLine {
            id: LineId::new(),
            product_id: product.id,
            variant_id: variant.id,
            sku: String::new(),
            name: String::new(),
            unit_price: Decimal::ZERO,
            quantity,
            tax_class: String::new(),
            weight: None,
            category_ids: Vec::new(),
            sale_unit: SaleUnit::Each,
        };
        line.retake(product, variant, currency, categories)?;
        Ok(line)
    }

    /// Copies the current catalog data into the line, keeping its id and quantity.
    fn retake(
        &mut self,
        product: &Product,
        variant: &Variant,
        currency: Currency,
        categories: Option<&CategoryTree>,
    ) -> Result<()> {
        self.unit_price = variant.price(currency)?;
        self.sku.clone_from(&variant.sku);
        self.name = if variant.title.is_empty() {
            product.name.clone()
        } else {
            format!("{} ({})", product.name, variant.title)
        };
        self.tax_class.clone_from(&variant.tax_class);
        self.weight = variant.weight;
        self.category_ids = match categories {
            Some(tree) => tree.expand(&product.category_ids),
            None => product.category_ids.clone(),
        };
        self.sale_unit = variant.sale_unit.clone();
        Ok(())
    }

    /// Checks the line as it may arrive over the wire.
    pub fn validate(&self, currency: Currency) -> Result<()> {
        self.sale_unit.validate_quantity(self.quantity)?;
        if self.unit_price > Decimal::from(MAX_UNIT_PRICE) {
            return Err(Error::validation(
                "unitPrice",
                format!(
                    "`{}` is priced above the largest supported amount",
                    self.sku
                ),
            ));
        }
        if self.unit_price.is_sign_negative() && !self.unit_price.is_zero() {
            return Err(Error::validation(
                "unitPrice",
                format!("`{}` has a negative price", self.sku),
            ));
        }
        if !currency.is_exact(self.unit_price) {
            return Err(Error::validation(
                "unitPrice",
                format!(
                    "price {} of `{}` has more than {} decimals for {currency}",
                    self.unit_price,
                    self.sku,
                    currency.minor_units()
                ),
            ));
        }
        if self
            .weight
            .is_some_and(|w| w.is_sign_negative() && !w.is_zero())
        {
            return Err(Error::validation(
                "weight",
                format!("`{}` has a negative weight", self.sku),
            ));
        }
        Ok(())
    }
}

/// A shopping cart in one currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    /// Identifier.
    #[serde(default)]
    pub id: CartId,
    /// Owner; `None` for a guest cart.
    #[serde(default)]
    pub customer_id: Option<UserId>,
    /// Currency of every price in the cart.
    pub currency: Currency,
    /// Lines in the order they were added.
    #[serde(default)]
    pub lines: Vec<CartLine>,
    /// Coupon codes entered, normalized to uppercase, in the order entered.
    #[serde(default)]
    pub coupon_codes: Vec<String>,
    /// Where the order ships; drives tax and shipping.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// Chosen shipping method.
    #[serde(default)]
    pub shipping_method_id: Option<ShippingMethodId>,
    /// Creation time.
    #[serde(default = "Utc::now")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(default = "Utc::now")]
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change, for optimistic concurrency in stores.
    #[serde(default)]
    pub version: u64,
}

/// What [`Cart::refresh`] changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartRefresh {
    /// Lines whose unit price changed.
    pub repriced: Vec<LineId>,
    /// Lines removed because the product or variant is gone, inactive or unpriced.
    pub removed: Vec<LineId>,
}

impl Cart {
    /// An empty cart.
    pub fn new(currency: Currency, customer_id: Option<UserId>, now: DateTime<Utc>) -> Cart {
        Cart {
            id: CartId::new(),
            customer_id,
            currency,
            lines: Vec::new(),
            coupon_codes: Vec::new(),
            shipping_address: None,
            shipping_method_id: None,
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
        self.version += 1;
    }

    /// The line with `id`.
    pub fn line(&self, id: LineId) -> Result<&CartLine> {
        self.lines
            .iter()
            .find(|l| l.id == id)
            .ok_or_else(|| Error::NotFound {
                entity: "cart line",
                id: id.to_string(),
            })
    }

    fn line_index(&self, id: LineId) -> Result<usize> {
        self.lines
            .iter()
            .position(|l| l.id == id)
            .ok_or_else(|| Error::NotFound {
                entity: "cart line",
                id: id.to_string(),
            })
    }

    /// Units in the cart (measure quantities count as given).
    pub fn item_count(&self) -> Decimal {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Whether the cart has no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Adds `quantity` of a variant. Adding a variant already in the cart raises that line's
    /// quantity instead of adding a second line. Stock is checked here as a courtesy; the binding
    /// check is the atomic reservation at checkout.
    pub fn add_item(
        &mut self,
        product: &Product,
        variant_id: VariantId,
        quantity: Decimal,
        categories: Option<&CategoryTree>,
        now: DateTime<Utc>,
    ) -> Result<LineId> {
        if !product.is_purchasable() {
            return Err(Error::ProductNotAvailable {
                product_id: product.id.to_string(),
            });
        }
        let variant = product.variant(variant_id)?;
        variant.sale_unit.validate_quantity(quantity)?;
        let existing = self.lines.iter().position(|l| l.variant_id == variant_id);
        let total = match existing {
            Some(i) => self.lines[i]
                .quantity
                .checked_add(quantity)
                .ok_or(Error::Overflow)?,
            None => quantity,
        };
        variant.sale_unit.validate_quantity(total)?;
        if !variant.can_sell(total) {
            return Err(Error::OutOfStock {
                sku: variant.sku.clone(),
                requested: total,
                available: variant.stock.max(Decimal::ZERO),
            });
        }
        let id = match existing {
            Some(i) => {
                let mut line = self.lines[i].clone();
                line.retake(product, variant, self.currency, categories)?;
                line.quantity = total;
                let id = line.id;
                self.lines[i] = line;
                id
            }
            None => {
                if self.lines.len() >= MAX_CART_LINES {
                    return Err(Error::CartLimitExceeded(format!(
                        "a cart holds at most {MAX_CART_LINES} lines"
                    )));
                }
                let line = CartLine::snapshot(product, variant, total, self.currency, categories)?;
                let id = line.id;
                self.lines.push(line);
                id
            }
        };
        self.touch(now);
        Ok(id)
    }

    /// Sets a line's quantity; zero removes the line. `variant` is the line's current variant,
    /// used for the stock check.
    pub fn set_quantity(
        &mut self,
        line_id: LineId,
        quantity: Decimal,
        variant: &Variant,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let i = self.line_index(line_id)?;
        if variant.id != self.lines[i].variant_id {
            return Err(Error::validation(
                "variantId",
                "the variant does not belong to this line",
            ));
        }
        if quantity.is_zero() {
            self.lines.remove(i);
            self.touch(now);
            return Ok(());
        }
        variant.sale_unit.validate_quantity(quantity)?;
        if !variant.can_sell(quantity) {
            return Err(Error::OutOfStock {
                sku: variant.sku.clone(),
                requested: quantity,
                available: variant.stock.max(Decimal::ZERO),
            });
        }
        self.lines[i].quantity = quantity;
        self.touch(now);
        Ok(())
    }

    /// Removes a line and returns it.
    pub fn remove_line(&mut self, line_id: LineId, now: DateTime<Utc>) -> Result<CartLine> {
        let i = self.line_index(line_id)?;
        let line = self.lines.remove(i);
        self.touch(now);
        Ok(line)
    }

    /// Removes every line and coupon, keeping the address and method.
    pub fn clear(&mut self, now: DateTime<Utc>) {
        self.lines.clear();
        self.coupon_codes.clear();
        self.touch(now);
    }

    /// Enters a coupon code and returns it normalized. Whether it applies is decided by pricing,
    /// which reports a rejected code with its reason; entering the same code twice is a no-op.
    pub fn apply_coupon(&mut self, code: &str, now: DateTime<Utc>) -> Result<String> {
        let code = normalize_coupon_code(code)?;
        if self.coupon_codes.contains(&code) {
            return Ok(code);
        }
        if self.coupon_codes.len() >= MAX_COUPONS {
            return Err(Error::CartLimitExceeded(format!(
                "a cart carries at most {MAX_COUPONS} coupon codes"
            )));
        }
        self.coupon_codes.push(code.clone());
        self.touch(now);
        Ok(code)
    }

    /// Removes a coupon code.
    pub fn remove_coupon(&mut self, code: &str, now: DateTime<Utc>) -> Result<()> {
        let code = normalize_coupon_code(code)?;
        let i = self
            .coupon_codes
            .iter()
            .position(|c| *c == code)
            .ok_or(Error::NotFound {
                entity: "coupon code",
                id: code,
            })?;
        self.coupon_codes.remove(i);
        self.touch(now);
        Ok(())
    }

    /// Sets (or clears) the shipping address.
    pub fn set_shipping_address(
        &mut self,
        address: Option<Address>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let address = match address {
            Some(mut a) => {
                a.validate()?;
                Some(a)
            }
            None => None,
        };
        self.shipping_address = address;
        self.touch(now);
        Ok(())
    }

    /// Sets (or clears) the shipping method. Whether it serves the cart is reported by pricing.
    pub fn set_shipping_method(&mut self, method: Option<ShippingMethodId>, now: DateTime<Utc>) {
        self.shipping_method_id = method;
        self.touch(now);
    }

    /// Merges a guest cart into this (the customer's) cart on login. Lines for the same variant
    /// add up (capped at the largest quantity a line may hold); the guest's coupons join this
    /// cart's up to the limit; the guest's address and method fill in only what this cart lacks.
    /// Stock is not checked here: the shopper sees the merged cart priced, and checkout reserves.
    pub fn merge(&mut self, guest: &Cart, now: DateTime<Utc>) -> Result<()> {
        if guest.currency != self.currency {
            return Err(Error::CurrencyMismatch {
                expected: self.currency,
                found: guest.currency,
            });
        }
        let mut merged = self.lines.clone();
        for line in &guest.lines {
            match merged.iter_mut().find(|l| l.variant_id == line.variant_id) {
                Some(mine) => {
                    let cap = Decimal::from(MAX_LINE_QUANTITY);
                    mine.quantity = mine
                        .quantity
                        .checked_add(line.quantity)
                        .ok_or(Error::Overflow)?
                        .min(cap);
                }
                None => {
                    if merged.len() >= MAX_CART_LINES {
                        return Err(Error::CartLimitExceeded(format!(
                            "the merged cart would hold more than {MAX_CART_LINES} lines"
                        )));
                    }
                    merged.push(line.clone());
                }
            }
        }
        self.lines = merged;
        for code in &guest.coupon_codes {
            if !self.coupon_codes.contains(code) && self.coupon_codes.len() < MAX_COUPONS {
                self.coupon_codes.push(code.clone());
            }
        }
        if self.shipping_address.is_none() {
            self.shipping_address.clone_from(&guest.shipping_address);
        }
        if self.shipping_method_id.is_none() {
            self.shipping_method_id = guest.shipping_method_id;
        }
        self.touch(now);
        Ok(())
    }

    /// Re-takes every line's snapshot from the catalog. Lines whose product is gone or inactive,
    /// or whose variant is gone or unpriced in this currency, are removed. `find` looks a product
    /// up by id.
    pub fn refresh<'p>(
        &mut self,
        find: impl Fn(ProductId) -> Option<&'p Product>,
        categories: Option<&CategoryTree>,
        now: DateTime<Utc>,
    ) -> CartRefresh {
        let mut report = CartRefresh::default();
        let currency = self.currency;
        self.lines.retain_mut(|line| {
            let current = find(line.product_id)
                .filter(|p| p.is_purchasable())
                .and_then(|p| p.variant(line.variant_id).ok().map(|v| (p, v)));
            let Some((product, variant)) = current else {
                report.removed.push(line.id);
                return false;
            };
            let before = line.unit_price;
            if line.retake(product, variant, currency, categories).is_err() {
                report.removed.push(line.id);
                return false;
            }
            if line.unit_price != before {
                report.repriced.push(line.id);
            }
            true
        });
        if !report.removed.is_empty() || !report.repriced.is_empty() {
            self.touch(now);
        }
        report
    }

    /// Checks a cart as it may arrive over the wire (the JSON contract) before it is priced.
    pub fn validate(&self) -> Result<()> {
        if self.lines.len() > MAX_CART_LINES {
            return Err(Error::CartLimitExceeded(format!(
                "a cart holds at most {MAX_CART_LINES} lines"
            )));
        }
        if self.coupon_codes.len() > MAX_COUPONS {
            return Err(Error::CartLimitExceeded(format!(
                "a cart carries at most {MAX_COUPONS} coupon codes"
            )));
        }
        for line in &self.lines {
            line.validate(self.currency)?;
        }
        let duplicate = if self.lines.len() <= 32 {
            // Small carts: pairwise comparison, no allocation.
            self.lines
                .iter()
                .enumerate()
                .find(|(i, l)| self.lines[..*i].iter().any(|m| m.id == l.id))
                .map(|(_, l)| l.id)
        } else {
            let mut ids: Vec<LineId> = self.lines.iter().map(|l| l.id).collect();
            ids.sort_unstable();
            ids.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
        };
        if let Some(id) = duplicate {
            return Err(Error::validation(
                "lines",
                format!("line id `{id}` appears twice"),
            ));
        }
        if let Some(address) = &self.shipping_address {
            // Tax and shipping match on the normalized country code; a cart sent over the wire
            // must carry it that way (the cart operations normalize it), and a code that names no
            // country would price the order without tax or shipping.
            if !crate::country::is_assigned(&address.country) {
                return Err(Error::validation(
                    "shippingAddress.country",
                    format!(
                        "`{}` is not an assigned, uppercase ISO-3166 alpha-2 code",
                        address.country.escape_debug()
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Category, ProductStatus};
    use rust_decimal_macros::dec;

    fn now() -> DateTime<Utc> {
        "2026-11-26T12:00:00Z".parse().unwrap()
    }

    fn tee(stock: Decimal) -> Product {
        let mut v = Variant::new("TEE-M", Currency::Usd, dec!(19.99));
        v.stock = stock;
        v.title = "M".into();
        let mut p = Product::new("Tee", vec![v]);
        p.status = ProductStatus::Active;
        p
    }

    #[test]
    fn adding_the_same_variant_twice_raises_one_line() {
        let p = tee(dec!(10));
        let mut cart = Cart::new(Currency::Usd, None, now());
        let a = cart
            .add_item(&p, p.variants[0].id, dec!(2), None, now())
            .unwrap();
        let b = cart
            .add_item(&p, p.variants[0].id, dec!(3), None, now())
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(cart.lines.len(), 1);
        assert_eq!(cart.lines[0].quantity, dec!(5));
        assert_eq!(cart.lines[0].name, "Tee (M)");
        assert_eq!(cart.version, 2);
    }

    #[test]
    fn quantity_stock_status_and_currency_rules_are_enforced() {
        let p = tee(dec!(3));
        let mut cart = Cart::new(Currency::Usd, None, now());
        let v = p.variants[0].id;
        assert_eq!(
            cart.add_item(&p, v, dec!(1.5), None, now())
                .unwrap_err()
                .code()
                .as_str(),
            "invalid_quantity"
        );
        assert_eq!(
            cart.add_item(&p, v, dec!(0), None, now())
                .unwrap_err()
                .code()
                .as_str(),
            "invalid_quantity"
        );
        assert_eq!(
            cart.add_item(&p, v, dec!(4), None, now())
                .unwrap_err()
                .code()
                .as_str(),
            "out_of_stock"
        );
        let mut draft = p.clone();
        draft.status = ProductStatus::Draft;
        assert_eq!(
            cart.add_item(&draft, v, dec!(1), None, now())
                .unwrap_err()
                .code()
                .as_str(),
            "product_not_available"
        );
        let mut eur = Cart::new(Currency::Eur, None, now());
        assert_eq!(
            eur.add_item(&p, v, dec!(1), None, now())
                .unwrap_err()
                .code()
                .as_str(),
            "price_not_available"
        );
        assert!(cart.is_empty());
        assert_eq!(
            cart.version, 0,
            "failed operations leave the cart untouched"
        );
    }

    #[test]
    fn set_quantity_zero_removes_and_backorder_allows_beyond_stock() {
        let mut p = tee(dec!(1));
        p.variants[0].allow_backorder = true;
        let mut cart = Cart::new(Currency::Usd, None, now());
        let line = cart
            .add_item(&p, p.variants[0].id, dec!(5), None, now())
            .unwrap();
        cart.set_quantity(line, dec!(7), &p.variants[0], now())
            .unwrap();
        assert_eq!(cart.lines[0].quantity, dec!(7));
        cart.set_quantity(line, Decimal::ZERO, &p.variants[0], now())
            .unwrap();
        assert!(cart.is_empty());
        assert_eq!(
            cart.remove_line(line, now()).unwrap_err().code().as_str(),
            "not_found"
        );
    }

    #[test]
    fn coupons_are_normalized_deduplicated_and_limited() {
        let mut cart = Cart::new(Currency::Usd, None, now());
        assert_eq!(cart.apply_coupon(" save10 ", now()).unwrap(), "SAVE10");
        cart.apply_coupon("SAVE10", now()).unwrap();
        assert_eq!(cart.coupon_codes, vec!["SAVE10"]);
        for c in ["A", "B", "C", "D"] {
            cart.apply_coupon(c, now()).unwrap();
        }
        assert_eq!(
            cart.apply_coupon("E", now()).unwrap_err().code().as_str(),
            "cart_limit_exceeded"
        );
        cart.remove_coupon("save10", now()).unwrap();
        assert_eq!(
            cart.remove_coupon("save10", now())
                .unwrap_err()
                .code()
                .as_str(),
            "not_found"
        );
        assert_eq!(
            cart.apply_coupon("bad code!", now())
                .unwrap_err()
                .code()
                .as_str(),
            "validation_failed"
        );
    }

    #[test]
    fn address_is_validated_and_normalized() {
        let mut cart = Cart::new(Currency::Usd, None, now());
        let mut a = Address::in_country("us");
        a.region = Some(" ca ".into());
        cart.set_shipping_address(Some(a), now()).unwrap();
        let a = cart.shipping_address.as_ref().unwrap();
        assert_eq!(
            (a.country.as_str(), a.region.as_deref()),
            ("US", Some("CA"))
        );
        let err = cart
            .set_shipping_address(Some(Address::in_country("USA")), now())
            .unwrap_err();
        assert_eq!(err.code().as_str(), "validation_failed");
        assert_eq!(cart.shipping_address.as_ref().unwrap().country, "US");
    }

    #[test]
    fn addresses_need_an_assigned_country_and_plain_one_line_fields() {
        let field_of = |address: Address| {
            let mut cart = Cart::new(Currency::Usd, None, now());
            match cart.set_shipping_address(Some(address), now()) {
                Err(Error::Validation { field, .. }) => {
                    assert!(cart.shipping_address.is_none());
                    field
                }
                other => panic!("expected a validation error, got {other:?}"),
            }
        };
        for code in ["ZZ", "XK", "UK"] {
            assert_eq!(
                field_of(Address::in_country(code)),
                "shippingAddress.country"
            );
        }
        let with = |edit: fn(&mut Address)| {
            let mut a = Address::in_country("DE");
            edit(&mut a);
            a
        };
        assert_eq!(
            field_of(with(|a| a.name = "Ada\0".into())),
            "shippingAddress.name"
        );
        assert_eq!(
            field_of(with(|a| a.line1 = "Main St 1\nBcc: x".into())),
            "shippingAddress.line1"
        );
        assert_eq!(
            field_of(with(|a| a.line2 = Some("\u{7}".into()))),
            "shippingAddress.line2"
        );
        assert_eq!(
            field_of(with(|a| a.region = Some("B\0Y".into()))),
            "shippingAddress.region"
        );
        assert_eq!(
            field_of(with(|a| a.postal_code = "10\t115".into())),
            "shippingAddress.postalCode"
        );

        let mut wire = Cart::new(Currency::Usd, None, now());
        wire.shipping_address = Some(Address::in_country("ZZ"));
        assert!(wire.validate().is_err());
        wire.shipping_address = Some(Address::in_country("DE"));
        wire.validate().unwrap();
    }

    #[test]
    fn guest_cart_merges_into_customer_cart() {
        let p = tee(dec!(100));
        let mut other = Variant::new("CAP", Currency::Usd, dec!(5));
        other.stock = dec!(100);
        let mut p2 = Product::new("Cap", vec![other]);
        p2.status = ProductStatus::Active;
        let customer = UserId::new();
        let mut mine = Cart::new(Currency::Usd, Some(customer), now());
        mine.add_item(&p, p.variants[0].id, dec!(1), None, now())
            .unwrap();
        let mut guest = Cart::new(Currency::Usd, None, now());
        guest
            .add_item(&p, p.variants[0].id, dec!(2), None, now())
            .unwrap();
        guest
            .add_item(&p2, p2.variants[0].id, dec!(1), None, now())
            .unwrap();
        guest.apply_coupon("WELCOME", now()).unwrap();
        guest
            .set_shipping_address(Some(Address::in_country("DE")), now())
            .unwrap();
        mine.merge(&guest, now()).unwrap();
        assert_eq!(mine.customer_id, Some(customer));
        assert_eq!(mine.lines.len(), 2);
        assert_eq!(mine.lines[0].quantity, dec!(3));
        assert_eq!(mine.coupon_codes, vec!["WELCOME"]);
        assert_eq!(mine.shipping_address.as_ref().unwrap().country, "DE");
        let eur = Cart::new(Currency::Eur, None, now());
        assert_eq!(
            mine.merge(&eur, now()).unwrap_err().code().as_str(),
            "currency_mismatch"
        );
    }

    #[test]
    fn refresh_reprices_and_drops_unavailable_lines() {
        let p = tee(dec!(10));
        let mut cap = Variant::new("CAP", Currency::Usd, dec!(5));
        cap.stock = dec!(10);
        let mut p2 = Product::new("Cap", vec![cap]);
        p2.status = ProductStatus::Active;
        let mut cart = Cart::new(Currency::Usd, None, now());
        let tee_line = cart
            .add_item(&p, p.variants[0].id, dec!(1), None, now())
            .unwrap();
        let cap_line = cart
            .add_item(&p2, p2.variants[0].id, dec!(1), None, now())
            .unwrap();
        let mut repriced = p.clone();
        repriced.variants[0]
            .prices
            .insert(Currency::Usd, dec!(17.99));
        let mut archived = p2.clone();
        archived.status = ProductStatus::Archived;
        let catalog = [repriced, archived];
        let report = cart.refresh(|id| catalog.iter().find(|p| p.id == id), None, now());
        assert_eq!(report.repriced, vec![tee_line]);
        assert_eq!(report.removed, vec![cap_line]);
        assert_eq!(cart.lines[0].unit_price, dec!(17.99));
    }

    #[test]
    fn lines_carry_category_ancestors() {
        let clothing = Category::new("Clothing");
        let tops = Category::child_of(clothing.id, "Tops");
        let tree = CategoryTree::new(vec![clothing.clone(), tops.clone()]).unwrap();
        let mut p = tee(dec!(5));
        p.category_ids = vec![tops.id];
        let mut cart = Cart::new(Currency::Usd, None, now());
        cart.add_item(&p, p.variants[0].id, dec!(1), Some(&tree), now())
            .unwrap();
        assert!(cart.lines[0].category_ids.contains(&clothing.id));
        assert!(cart.lines[0].category_ids.contains(&tops.id));
    }

    #[test]
    fn wire_carts_with_bad_lines_are_refused() {
        let p = tee(dec!(10));
        let mut cart = Cart::new(Currency::Usd, None, now());
        cart.add_item(&p, p.variants[0].id, dec!(1), None, now())
            .unwrap();
        cart.validate().unwrap();
        let mut bad = cart.clone();
        bad.lines[0].quantity = dec!(-1);
        assert_eq!(
            bad.validate().unwrap_err().code().as_str(),
            "invalid_quantity"
        );
        let mut bad = cart.clone();
        bad.lines[0].unit_price = dec!(1.001);
        assert_eq!(
            bad.validate().unwrap_err().code().as_str(),
            "validation_failed"
        );
        let json = serde_json::to_value(&cart).unwrap();
        assert_eq!(json["lines"][0]["unitPrice"], "19.99");
        assert!(json.get("couponCodes").is_some());
    }
}
