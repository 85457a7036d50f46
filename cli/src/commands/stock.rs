//! `merx stock set|adjust` by SKU, through the catalog service (bounds, whole units, events).

use merx_core::catalog_service::CatalogService;
use merx_core::principal::Principal;
use merx_core::store::StockLevel;

use super::products::parse_decimal;
use super::Context;
use crate::cli::StockCommand;
use crate::error::{CliError, Result};
use crate::output;

fn show(ctx: &Context, level: &StockLevel) -> Result<()> {
    if ctx.json {
        output::print_json(level)
    } else {
        println!("{}: {} on hand", level.sku, level.stock);
        Ok(())
    }
}

/// Runs a `stock` subcommand.
pub async fn run(ctx: &Context, command: &StockCommand) -> Result<()> {
    let catalog = CatalogService::new(ctx.store.clone(), ctx.clock.clone());
    let sku = match command {
        StockCommand::Set { sku, .. } | StockCommand::Adjust { sku, .. } => sku,
    };
    let product = ctx.store.find_product_by_sku(sku).await?;
    let variant = product
        .variants
        .iter()
        .find(|v| v.sku.eq_ignore_ascii_case(sku))
        .ok_or_else(|| CliError::Input(format!("variant `{sku}` not found")))?;
    let level = match command {
        StockCommand::Set { quantity, .. } => {
            let stock = parse_decimal("quantity", quantity)?;
            catalog
                .set_stock(&Principal::System, product.id, variant.id, stock)
                .await?
        }
        StockCommand::Adjust { delta, .. } => {
            let delta = parse_decimal("delta", delta)?;
            catalog
                .adjust_stock(&Principal::System, product.id, variant.id, delta)
                .await?
        }
    };
    show(ctx, &level)
}
