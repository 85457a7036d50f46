//! `merx products list|show|create|update|archive` (import and export live in `transfer`).

use merx_core::catalog::{Product, ProductStatus, Variant};
use merx_core::catalog_service::CatalogService;
use merx_core::ids::ProductId;
use merx_core::principal::Principal;
use merx_core::store::{Page, ProductFilter};
use merx_core::Currency;
use rust_decimal::Decimal;

use super::{parse_id, transfer, Context};
use crate::cli::ProductsCommand;
use crate::error::{CliError, Result};
use crate::output::{self, Listing};

/// The core status for a command-line status.
/// Parses a decimal argument named `what`; anything else is bad input.
pub fn parse_decimal(what: &str, text: &str) -> Result<Decimal> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| CliError::Input(format!("{what} `{text}` is not a number")))
}

fn prices(variant: &Variant) -> String {
    variant
        .prices
        .iter()
        .map(|(currency, amount)| format!("{amount} {currency}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_products(products: &[Product]) {
    let mut table = output::table(&["id", "name", "status", "skus", "price", "stock"]);
    for product in products {
        let skus: Vec<&str> = product.variants.iter().map(|v| v.sku.as_str()).collect();
        let stock: Decimal = product.variants.iter().map(|v| v.stock).sum();
        table.add_row(vec![
            product.id.to_string(),
            product.name.clone(),
            product.status.as_str().to_string(),
            skus.join(", "),
            product.variants.first().map(prices).unwrap_or_default(),
            stock.to_string(),
        ]);
    }
    println!("{table}");
}

fn print_product(product: &Product) {
    println!("{} ({})", product.name, product.id);
    println!("slug:   {}", product.slug);
    println!("status: {}", product.status.as_str());
    if !product.description.is_empty() {
        println!("description: {}", product.description);
    }
    let mut table = output::table(&["variant", "sku", "title", "price", "stock", "backorder"]);
    for variant in &product.variants {
        table.add_row(vec![
            variant.id.to_string(),
            variant.sku.clone(),
            variant.title.clone(),
            prices(variant),
            variant.stock.to_string(),
            if variant.allow_backorder { "yes" } else { "no" }.to_string(),
        ]);
    }
    println!("{table}");
}

fn show(ctx: &Context, product: &Product) -> Result<()> {
    if ctx.json {
        output::print_json(product)
    } else {
        print_product(product);
        Ok(())
    }
}

/// Runs a `products` subcommand.
pub async fn run(ctx: &Context, command: &ProductsCommand) -> Result<()> {
    let catalog = CatalogService::new(ctx.store.clone(), ctx.clock.clone());
    match command {
        ProductsCommand::List { status, window } => {
            let filter = |page: Page| ProductFilter {
                status: *status,
                page,
                ..ProductFilter::default()
            };
            let page = super::page(window)?;
            let products = ctx.store.list_products(&filter(page)).await?;
            let listing = Listing::counted(products, page, |chunk| {
                let filter = filter(chunk);
                async move { Ok::<_, CliError>(ctx.store.list_products(&filter).await?.len()) }
            })
            .await?;
            listing.print(ctx.json, print_products)
        }
        ProductsCommand::Show { id } => {
            let product = ctx.store.get_product(parse_id::<ProductId>(id)?).await?;
            show(ctx, &product)
        }
        ProductsCommand::Create {
            name,
            sku,
            price,
            currency,
            stock,
            description,
            status,
        } => {
            let currency = Currency::from_code(currency)?;
            let mut variant = Variant::new(sku, currency, parse_decimal("price", price)?);
            variant.stock = parse_decimal("stock", stock)?;
            let mut product = Product::new(name, vec![variant]);
            product.description = description.clone();
            product.status = *status;
            let product = catalog.create_product(&Principal::System, product).await?;
            show(ctx, &product)
        }
        ProductsCommand::Update {
            id,
            file,
            name,
            slug,
            description,
            status,
            price,
            currency,
        } => {
            let id = parse_id::<ProductId>(id)?;
            let product = match file {
                Some(path) => super::read_json::<Product>(path, "a product")?,
                None => {
                    let mut product = ctx.store.get_product(id).await?;
                    if name.is_none()
                        && slug.is_none()
                        && description.is_none()
                        && status.is_none()
                        && price.is_none()
                    {
                        return Err(CliError::Input(
                            "nothing to update: give --file or at least one field to change".into(),
                        ));
                    }
                    if let Some(name) = name {
                        product.name = name.clone();
                    }
                    if let Some(slug) = slug {
                        product.slug = slug.clone();
                    }
                    if let Some(description) = description {
                        product.description = description.clone();
                    }
                    if let Some(status) = status {
                        product.status = *status;
                    }
                    if let Some(price) = price {
                        let currency = Currency::from_code(currency)?;
                        let amount = parse_decimal("price", price)?;
                        for variant in &mut product.variants {
                            variant.prices.insert(currency, amount);
                        }
                    }
                    product
                }
            };
            let product = catalog
                .update_product(&Principal::System, id, product)
                .await?;
            show(ctx, &product)
        }
        ProductsCommand::Archive { id } => {
            let id = parse_id::<ProductId>(id)?;
            let mut product = ctx.store.get_product(id).await?;
            product.status = ProductStatus::Archived;
            let product = catalog
                .update_product(&Principal::System, id, product)
                .await?;
            show(ctx, &product)
        }
        ProductsCommand::Import { file, strict } => {
            transfer::import(ctx, &catalog, file, *strict).await
        }
        ProductsCommand::Export { file, format } => transfer::export(ctx, file, *format).await,
    }
}
