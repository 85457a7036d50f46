//! Catalog: products, their purchasable variants, and the category tree.
//!
//! A product is what a shopper browses; a variant is what they buy (a SKU with option values, a
//! price per currency, weight, tax class, stock and backorder flag). Validation lives here so that
//! every shell and store rejects the same bad data with the same typed error.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{CategoryId, ProductId, VariantId};
use crate::money::Currency;
use crate::text::{check_multiline_text, check_text};

/// Largest quantity of one line; keeps every product of price and quantity far from overflow.
pub const MAX_LINE_QUANTITY: i64 = 10_000;
/// Most decimals a sold-by-measure quantity may carry.
pub const MAX_MEASURE_PRECISION: u32 = 6;
/// Largest units on hand (either sign) a variant may record; with at most
/// [`MAX_MEASURE_PRECISION`] decimals it fits every store's stock column exactly.
pub const MAX_STOCK: i64 = 1_000_000_000_000;

/// Lifecycle of a product. Only active products can be added to carts or checked out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Being prepared; invisible to shoppers.
    #[default]
    Draft,
    /// On sale.
    Active,
    /// Withdrawn; kept for order history.
    Archived,
}

impl ProductStatus {
    /// Every status.
    pub const ALL: [ProductStatus; 3] = [
        ProductStatus::Draft,
        ProductStatus::Active,
        ProductStatus::Archived,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }
}

/// How a variant's quantity is counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SaleUnit {
    /// Whole units only.
    #[default]
    Each,
    /// Sold by measure (kg, m, l) with up to `precision` decimals.
    Measure {
        /// Unit symbol shown to shoppers ("kg").
        unit: String,
        /// Decimals allowed in a quantity.
        precision: u32,
    },
}

impl SaleUnit {
    /// Checks a quantity against this unit and [`MAX_LINE_QUANTITY`].
    pub fn validate_quantity(&self, quantity: Decimal) -> Result<()> {
        let refuse = |reason: String| Err(Error::InvalidQuantity { quantity, reason });
        if quantity <= Decimal::ZERO {
            return refuse("quantity must be greater than zero".into());
        }
        if quantity > Decimal::from(MAX_LINE_QUANTITY) {
            return refuse(format!("quantity must not exceed {MAX_LINE_QUANTITY}"));
        }
        match self {
            SaleUnit::Each if quantity.scale() > 0 && quantity.fract() != Decimal::ZERO => {
                refuse("this item is sold in whole units".into())
            }
            SaleUnit::Measure { precision, unit } if quantity.normalize().scale() > *precision => {
                refuse(format!(
                    "at most {precision} decimals of {unit} are allowed"
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether quantities are whole units.
    pub fn is_each(&self) -> bool {
        matches!(self, SaleUnit::Each)
    }
}

/// An image of a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProductImage {
    /// Where the image lives.
    pub url: String,
    /// Alternative text.
    #[serde(default)]
    pub alt: String,
}

/// A purchasable variant of a product.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    /// Identifier.
    #[serde(default)]
    pub id: VariantId,
    /// Stock-keeping unit, unique across the catalog.
    pub sku: String,
    /// Display title ("Red / M"); empty means the product name alone.
    #[serde(default)]
    pub title: String,
    /// Option values (`{"color": "red", "size": "M"}`).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Price per currency, in the store's price mode (tax-inclusive or exclusive).
    pub prices: BTreeMap<Currency, Decimal>,
    /// Weight of one unit in kilograms.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub weight: Option<Decimal>,
    /// Tax class used to find the tax rate ("standard", "reduced", "zero").
    #[serde(default = "default_tax_class")]
    pub tax_class: String,
    /// Units on hand. May be negative only when backorders are allowed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "decimal"))]
    pub stock: Decimal,
    /// Whether the variant may be sold beyond stock.
    #[serde(default)]
    pub allow_backorder: bool,
    /// How quantities are counted.
    #[serde(default)]
    pub sale_unit: SaleUnit,
}

/// The tax class a variant gets when none is given.
pub fn default_tax_class() -> String {
    "standard".to_string()
}

impl Variant {
    /// A variant with one price and defaults elsewhere.
    pub fn new(sku: impl Into<String>, currency: Currency, price: Decimal) -> Variant {
        Variant {
            id: VariantId::new(),
            sku: sku.into(),
            title: String::new(),
            options: BTreeMap::new(),
            prices: BTreeMap::from([(currency, price)]),
            weight: None,
            tax_class: default_tax_class(),
            stock: Decimal::ZERO,
            allow_backorder: false,
            sale_unit: SaleUnit::Each,
        }
    }

    /// The price in `currency`, or `price_not_available`.
    pub fn price(&self, currency: Currency) -> Result<Decimal> {
        self.prices
            .get(&currency)
            .copied()
            .ok_or_else(|| Error::PriceNotAvailable {
                sku: self.sku.clone(),
                currency,
            })
    }

    /// Whether `quantity` can be sold now given stock and the backorder flag.
    pub fn can_sell(&self, quantity: Decimal) -> bool {
        self.allow_backorder || self.stock >= quantity
    }

    /// Checks the variant's own fields.
    pub fn validate(&self) -> Result<()> {
        validate_sku(&self.sku)?;
        check_text("title", &self.title)?;
        check_text("taxClass", &self.tax_class)?;
        if self.prices.is_empty() {
            return Err(Error::validation(
                "prices",
                format!("variant `{}` needs a price", self.sku),
            ));
        }
        for (currency, price) in &self.prices {
            if *price > Decimal::from(crate::cart::MAX_UNIT_PRICE) {
                return Err(Error::validation(
                    "prices",
                    format!(
                        "price of `{}` in {currency} is above the largest supported amount",
                        self.sku
                    ),
                ));
            }
            if price.is_sign_negative() && !price.is_zero() {
                return Err(Error::validation(
                    "prices",
                    format!("price of `{}` in {currency} must not be negative", self.sku),
                ));
            }
            if !currency.is_exact(*price) {
                return Err(Error::validation(
                    "prices",
                    format!(
                        "price {price} of `{}` has more than {} decimals for {currency}",
                        self.sku,
                        currency.minor_units()
                    ),
                ));
            }
        }
        if let Some(w) = self.weight {
            if w.is_sign_negative() && !w.is_zero() {
                return Err(Error::validation("weight", "weight must not be negative"));
            }
        }
        if self.tax_class.trim().is_empty() || self.tax_class.len() > 64 {
            return Err(Error::validation(
                "taxClass",
                "tax class must be 1 to 64 characters",
            ));
        }
        self.validate_stock(self.stock)?;
        if let SaleUnit::Measure { unit, precision } = &self.sale_unit {
            check_text("saleUnit.unit", unit)?;
            if unit.trim().is_empty() {
                return Err(Error::validation(
                    "saleUnit.unit",
                    "a measure needs a unit symbol",
                ));
            }
            if *precision > MAX_MEASURE_PRECISION {
                return Err(Error::validation(
                    "saleUnit.precision",
                    format!("precision must be at most {MAX_MEASURE_PRECISION}"),
                ));
            }
        }
        for (k, v) in &self.options {
            check_text("options", k)?;
            check_text("options", v)?;
            if k.trim().is_empty() || v.trim().is_empty() {
                return Err(Error::validation(
                    "options",
                    "option names and values must not be empty",
                ));
            }
        }
        Ok(())
    }

    /// Checks units on hand for this variant: negative only with backorders, whole for unit-sold
    /// variants, at most [`MAX_MEASURE_PRECISION`] decimals and [`MAX_STOCK`] in size.
    pub fn validate_stock(&self, stock: Decimal) -> Result<()> {
        if stock.is_sign_negative() && !stock.is_zero() && !self.allow_backorder {
            return Err(Error::validation(
                "stock",
                "stock may be negative only when backorders are allowed",
            ));
        }
        if stock.abs() > Decimal::from(MAX_STOCK) {
            return Err(Error::validation(
                "stock",
                format!("stock must be between -{MAX_STOCK} and {MAX_STOCK}"),
            ));
        }
        if self.sale_unit.is_each() && stock.fract() != Decimal::ZERO {
            return Err(Error::validation(
                "stock",
                "stock of a unit-sold variant must be whole",
            ));
        }
        if stock.normalize().scale() > MAX_MEASURE_PRECISION {
            return Err(Error::validation(
                "stock",
                format!("stock has more than {MAX_MEASURE_PRECISION} decimals"),
            ));
        }
        Ok(())
    }
}

fn validate_sku(sku: &str) -> Result<()> {
    let ok = !sku.is_empty()
        && sku.len() <= 64
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            "sku",
            format!("`{sku}` is not a valid SKU (1-64 of A-Z a-z 0-9 - _ . /)"),
        ))
    }
}

/// A product with its variants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Identifier.
    #[serde(default)]
    pub id: ProductId,
    /// Display name.
    pub name: String,
    /// URL-safe handle, unique across the catalog.
    #[serde(default)]
    pub slug: String,
    /// Long description (plain text or markdown).
    #[serde(default)]
    pub description: String,
    /// Lifecycle state.
    #[serde(default)]
    pub status: ProductStatus,
    /// Categories the product is filed under (leaf or inner nodes).
    #[serde(default)]
    pub category_ids: Vec<CategoryId>,
    /// Free-form attributes (`{"material": "cotton"}`).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Images in display order.
    #[serde(default)]
    pub images: Vec<ProductImage>,
    /// The purchasable variants; at least one.
    pub variants: Vec<Variant>,
    /// Creation time.
    #[serde(default = "Utc::now")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(default = "Utc::now")]
    pub updated_at: DateTime<Utc>,
}

impl Product {
    /// A draft product with the given variants; the slug is derived from the name.
    pub fn new(name: impl Into<String>, variants: Vec<Variant>) -> Product {
        let name = name.into();
        let now = Utc::now();
        Product {
            id: ProductId::new(),
            slug: slugify(&name),
            name,
            description: String::new(),
            status: ProductStatus::Draft,
            category_ids: Vec::new(),
            attributes: BTreeMap::new(),
            images: Vec::new(),
            variants,
            created_at: now,
            updated_at: now,
        }
    }

    /// The variant with `id`, or `not_found`.
    pub fn variant(&self, id: VariantId) -> Result<&Variant> {
        self.variants
            .iter()
            .find(|v| v.id == id)
            .ok_or_else(|| Error::NotFound {
                entity: VariantId::ENTITY,
                id: id.to_string(),
            })
    }

    /// Whether shoppers can buy it.
    pub fn is_purchasable(&self) -> bool {
        self.status == ProductStatus::Active
    }

    /// Checks the product and each variant; SKUs and option combinations must be unique within it.
    pub fn validate(&self) -> Result<()> {
        check_text("name", &self.name)?;
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::validation(
                "name",
                "name must be 1 to 200 characters",
            ));
        }
        if !is_valid_slug(&self.slug) {
            return Err(Error::validation(
                "slug",
                format!(
                    "`{}` is not a valid slug (lowercase letters, digits, dashes)",
                    self.slug
                ),
            ));
        }
        check_multiline_text("description", &self.description)?;
        // Keys are labels shown on one line ("material"); values may be prose (care instructions).
        for (key, value) in &self.attributes {
            check_text("attributes", key)?;
            check_multiline_text("attributes", value)?;
        }
        for image in &self.images {
            check_text("images.url", &image.url)?;
            check_text("images.alt", &image.alt)?;
        }
        if self.description.len() > 20_000 {
            return Err(Error::validation(
                "description",
                "description is limited to 20000 bytes",
            ));
        }
        if self.variants.is_empty() {
            return Err(Error::validation(
                "variants",
                "a product needs at least one variant",
            ));
        }
        if self.variants.len() > 500 {
            return Err(Error::validation(
                "variants",
                "a product has at most 500 variants",
            ));
        }
        let mut skus = HashSet::new();
        let mut combos = HashSet::new();
        for v in &self.variants {
            v.validate()?;
            if !skus.insert(v.sku.to_ascii_lowercase()) {
                return Err(Error::validation(
                    "sku",
                    format!("SKU `{}` appears twice", v.sku),
                ));
            }
            if !v.options.is_empty() && !combos.insert(&v.options) {
                return Err(Error::validation(
                    "options",
                    format!("two variants share the options of `{}`", v.sku),
                ));
            }
        }
        let mut cats = HashSet::new();
        if !self.category_ids.iter().all(|c| cats.insert(*c)) {
            return Err(Error::validation(
                "categoryIds",
                "a category is listed twice",
            ));
        }
        Ok(())
    }
}

/// Lowercase ASCII slug from a name: letters and digits kept, everything else folded to dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !slug.is_empty() {
            slug.push('-');
            dash = true;
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug.truncate(120);
    slug
}

fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 120
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A node of the category tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Identifier.
    #[serde(default)]
    pub id: CategoryId,
    /// Parent node; `None` for a root.
    #[serde(default)]
    pub parent_id: Option<CategoryId>,
    /// Display name.
    pub name: String,
    /// URL-safe handle.
    #[serde(default)]
    pub slug: String,
    /// Sort position among siblings.
    #[serde(default)]
    pub position: i32,
}

impl Category {
    /// A root category named `name`.
    pub fn new(name: impl Into<String>) -> Category {
        let name = name.into();
        Category {
            id: CategoryId::new(),
            parent_id: None,
            slug: slugify(&name),
            name,
            position: 0,
        }
    }

    /// A child category of `parent`.
    pub fn child_of(parent: CategoryId, name: impl Into<String>) -> Category {
        Category {
            parent_id: Some(parent),
            ..Category::new(name)
        }
    }

    /// Checks the node's own fields; [`CategoryTree::new`] checks how nodes fit together.
    ///
    /// A write checks the category it stores with this; the tree does not repeat the text check,
    /// so a name stored before the check existed cannot block every later category write.
    pub fn validate(&self) -> Result<()> {
        check_text("name", &self.name)?;
        if self.name.trim().is_empty() {
            return Err(Error::validation("name", "category name must not be empty"));
        }
        if !is_valid_slug(&self.slug) {
            return Err(Error::validation(
                "slug",
                format!("`{}` is not a valid slug", self.slug),
            ));
        }
        Ok(())
    }
}

/// A validated category forest: every parent exists and there are no cycles.
#[derive(Clone, Debug, Default)]
pub struct CategoryTree {
    nodes: HashMap<CategoryId, Category>,
}

impl CategoryTree {
    /// Builds and validates the tree.
    pub fn new(categories: Vec<Category>) -> Result<CategoryTree> {
        let mut nodes = HashMap::with_capacity(categories.len());
        for c in categories {
            if c.name.trim().is_empty() {
                return Err(Error::validation("name", "category name must not be empty"));
            }
            if !is_valid_slug(&c.slug) {
                return Err(Error::validation(
                    "slug",
                    format!("`{}` is not a valid slug", c.slug),
                ));
            }
            if nodes.insert(c.id, c).is_some() {
                return Err(Error::validation("id", "a category id appears twice"));
            }
        }
        let tree = CategoryTree { nodes };
        for c in tree.nodes.values() {
            if let Some(p) = c.parent_id {
                if !tree.nodes.contains_key(&p) {
                    return Err(Error::NotFound {
                        entity: CategoryId::ENTITY,
                        id: p.to_string(),
                    });
                }
            }
            // A walk longer than the node count means a cycle.
            let mut steps = 0;
            let mut cur = c.parent_id;
            while let Some(id) = cur {
                steps += 1;
                if steps > tree.nodes.len() {
                    return Err(Error::validation(
                        "parentId",
                        format!("category `{}` is its own ancestor", c.name),
                    ));
                }
                cur = tree.nodes[&id].parent_id;
            }
        }
        Ok(tree)
    }

    /// The category with `id`.
    pub fn get(&self, id: CategoryId) -> Option<&Category> {
        self.nodes.get(&id)
    }

    /// `id` followed by its ancestors up to the root; used so that a promotion on "Clothing" also
    /// matches a product filed under "Clothing > Shirts".
    pub fn ancestors_inclusive(&self, id: CategoryId) -> Vec<CategoryId> {
        let mut out = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            if out.contains(&c) {
                break;
            }
            out.push(c);
            cur = self.nodes.get(&c).and_then(|n| n.parent_id);
        }
        out
    }

    /// The categories of a product with every ancestor, without duplicates, in first-seen order.
    pub fn expand(&self, category_ids: &[CategoryId]) -> Vec<CategoryId> {
        let mut out: Vec<CategoryId> = Vec::new();
        for id in category_ids {
            for a in self.ancestors_inclusive(*id) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// `id` and every category below it.
    pub fn descendants_inclusive(&self, id: CategoryId) -> Vec<CategoryId> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            let mut children: Vec<&Category> = self
                .nodes
                .values()
                .filter(|c| c.parent_id == Some(parent))
                .collect();
            children.sort_by(|a, b| a.position.cmp(&b.position).then(a.name.cmp(&b.name)));
            out.extend(children.into_iter().map(|c| c.id));
            i += 1;
        }
        out
    }

    /// All categories, roots first then by position and name.
    pub fn all(&self) -> Vec<&Category> {
        let mut v: Vec<&Category> = self.nodes.values().collect();
        v.sort_by(|a, b| {
            self.depth(a.id)
                .cmp(&self.depth(b.id))
                .then(a.position.cmp(&b.position))
                .then(a.name.cmp(&b.name))
        });
        v
    }

    fn depth(&self, id: CategoryId) -> usize {
        self.ancestors_inclusive(id).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn tee() -> Product {
        let mut v = Variant::new("TEE-M", Currency::Usd, dec!(19.99));
        v.stock = dec!(5);
        Product::new("Classic Tee", vec![v])
    }

    #[test]
    fn valid_product_passes_and_slug_is_derived() {
        let p = tee();
        assert_eq!(p.slug, "classic-tee");
        p.validate().unwrap();
    }

    #[test]
    fn bad_products_are_refused_with_the_field_named() {
        let mut p = tee();
        p.variants[0].prices.insert(Currency::Usd, dec!(1.999));
        assert!(matches!(p.validate(), Err(Error::Validation { field, .. }) if field == "prices"));

        let mut p = tee();
        p.variants.push(p.variants[0].clone());
        assert!(matches!(p.validate(), Err(Error::Validation { field, .. }) if field == "sku"));

        let mut p = tee();
        p.variants[0].stock = dec!(-1);
        assert!(p.validate().is_err());
        p.variants[0].allow_backorder = true;
        p.validate().unwrap();

        let mut p = tee();
        p.variants[0].sku = "has space".into();
        assert!(p.validate().is_err());

        let mut p = tee();
        p.variants.clear();
        assert!(p.validate().is_err());

        let mut p = tee();
        p.variants[0].prices.insert(Currency::Jpy, dec!(100.5));
        assert!(p.validate().is_err());
    }

    #[test]
    fn control_characters_are_refused_where_text_is_one_line() {
        let field_of = |p: &Product| match p.validate() {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        let mut p = tee();
        p.name = "Classic\0Tee".into();
        assert_eq!(field_of(&p), "name");
        let mut p = tee();
        p.description = "Soft cotton.\n\n\tMachine wash.\r\n".into();
        p.attributes.insert("care".into(), "30 °C\nno dryer".into());
        p.validate().unwrap();
        p.description.push('\0');
        assert_eq!(field_of(&p), "description");
        let mut p = tee();
        p.attributes.insert("ma\nterial".into(), "cotton".into());
        assert_eq!(field_of(&p), "attributes");
        let mut p = tee();
        p.variants[0].title = "M\u{7f}".into();
        assert_eq!(field_of(&p), "title");
        let mut p = tee();
        p.variants[0].options.insert("size".into(), "M\u{0}".into());
        assert_eq!(field_of(&p), "options");

        let mut c = Category::new("Shirts");
        c.validate().unwrap();
        c.name = "Shi\0rts".into();
        assert!(matches!(c.validate(), Err(Error::Validation { field, .. }) if field == "name"));
    }

    #[test]
    fn quantities_follow_the_sale_unit() {
        let each = SaleUnit::Each;
        each.validate_quantity(dec!(2)).unwrap();
        assert!(each.validate_quantity(dec!(1.5)).is_err());
        assert!(each.validate_quantity(dec!(0)).is_err());
        assert!(each.validate_quantity(dec!(-1)).is_err());
        assert!(each.validate_quantity(dec!(10001)).is_err());
        let kg = SaleUnit::Measure {
            unit: "kg".into(),
            precision: 3,
        };
        kg.validate_quantity(dec!(0.125)).unwrap();
        kg.validate_quantity(dec!(1.500000)).unwrap();
        assert!(kg.validate_quantity(dec!(0.1255)).is_err());
    }

    #[test]
    fn category_tree_expands_ancestors_and_refuses_cycles() {
        let clothing = Category::new("Clothing");
        let shirts = Category::child_of(clothing.id, "Shirts");
        let tees = Category::child_of(shirts.id, "Tees");
        let tree = CategoryTree::new(vec![clothing.clone(), shirts.clone(), tees.clone()]).unwrap();
        assert_eq!(
            tree.ancestors_inclusive(tees.id),
            vec![tees.id, shirts.id, clothing.id]
        );
        assert_eq!(
            tree.descendants_inclusive(clothing.id),
            vec![clothing.id, shirts.id, tees.id]
        );
        assert_eq!(
            tree.expand(&[tees.id, shirts.id]),
            vec![tees.id, shirts.id, clothing.id]
        );
        assert_eq!(tree.all()[0].id, clothing.id);

        let mut a = Category::new("A");
        let b = Category::child_of(a.id, "B");
        a.parent_id = Some(b.id);
        assert!(CategoryTree::new(vec![a, b]).is_err());
        let orphan = Category::child_of(CategoryId::new(), "Orphan");
        assert!(CategoryTree::new(vec![orphan]).is_err());
    }
}
