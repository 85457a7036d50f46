//! `merx stock set|adjust` by SKU, through the catalog service (bounds, whole units, events).

use merx_core::catalog_service::CatalogService;
use merx_core::store::StockLevel;
use rust_decimal::Decimal;

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

/// What a stock command asks for.
enum Change {
    /// Reach this level: one adjustment by the difference from the level just read (a sale
    /// landing between the read and the write shifts the result by that sale).
    SetTo(Decimal),
    /// Move by this many units.
    By(Decimal),
}

/// Runs a `stock` subcommand.
pub async fn run(ctx: &Context, command: &StockCommand) -> Result<()> {
    let catalog = CatalogService::new(ctx.store.clone(), ctx.clock.clone());
    let (sku, change) = match command {
        StockCommand::Set { sku, quantity } => {
            (sku, Change::SetTo(parse_decimal("quantity", quantity)?))
        }
        StockCommand::Adjust { sku, delta } => (sku, Change::By(parse_decimal("delta", delta)?)),
    };
    let product = ctx.store.find_product_by_sku(sku).await?;
    let variant = product
        .variants
        .iter()
        .find(|v| v.sku.eq_ignore_ascii_case(sku))
        .ok_or_else(|| CliError::Input(format!("variant `{sku}` not found")))?;
    let delta = match change {
        Change::By(delta) => delta,
        Change::SetTo(target) => {
            let current = ctx.store.stock_level(variant.id).await?;
            if target.is_sign_negative() && !current.allow_backorder {
                return Err(CliError::Input(format!(
                    "quantity {target} is negative and `{sku}` allows no backorders"
                )));
            }
            if target == current.stock {
                return show(ctx, &current);
            }
            target - current.stock
        }
    };
    let level = catalog
        .adjust_stock(&ctx.operator(), product.id, variant.id, delta)
        .await?;
    show(ctx, &level)
}
