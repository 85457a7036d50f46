//! `merx stock set|adjust` by SKU, through the catalog service (bounds, whole units, events).

use merx_core::catalog_service::CatalogService;
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
    let (sku, target, delta) = match command {
        StockCommand::Set { sku, quantity } => {
            (sku, Some(parse_decimal("quantity", quantity)?), None)
        }
        StockCommand::Adjust { sku, delta } => (sku, None, Some(parse_decimal("delta", delta)?)),
    };
    let product = ctx.store.find_product_by_sku(sku).await?;
    let variant = product
        .variants
        .iter()
        .find(|v| v.sku.eq_ignore_ascii_case(sku))
        .ok_or_else(|| CliError::Input(format!("variant `{sku}` not found")))?;
    let current = ctx.store.stock_level(variant.id).await?;
    let delta = match (target, delta) {
        (Some(target), _) => {
            if target.is_sign_negative() && !current.allow_backorder {
                return Err(CliError::Input(format!(
                    "quantity {target} is negative and `{sku}` allows no backorders"
                )));
            }
            target - current.stock
        }
        (None, Some(delta)) => delta,
        (None, None) => unreachable!("set has a target, adjust a delta"),
    };
    if delta.is_zero() && target.is_some() {
        return show(ctx, &current);
    }
    let level = catalog
        .adjust_stock(&ctx.operator(), product.id, variant.id, delta)
        .await?;
    show(ctx, &level)
}
