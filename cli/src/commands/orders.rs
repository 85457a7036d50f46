//! `merx orders list|show|transition`: transitions go through the core's order service, so the
//! state machine, history, payment void/refund and stock release are the same as over HTTP.

use std::sync::Arc;

use merx_core::ids::OrderId;
use merx_core::order::{Actor, Order, OrderService, OrderStatus};
use merx_core::payment::{PaymentProcessor, TestGateway};
use merx_core::store::{OrderFilter, Page};
use merx_runtime::TokioSleeper;

use super::{parse_id, resolve_user, Context};
use crate::cli::OrdersCommand;
use crate::error::{CliError, Result};
use crate::output::{self, Listing};

fn print_orders(orders: &[Order]) {
    let mut table = output::table(&["id", "created", "status", "email", "items", "total"]);
    for order in orders {
        table.add_row(vec![
            order.id.to_string(),
            order.created_at.format("%Y-%m-%d %H:%M").to_string(),
            order.status.as_str().to_string(),
            order.email.clone().unwrap_or_default(),
            order.totals.item_count.to_string(),
            format!("{} {}", order.totals.total, order.currency),
        ]);
    }
    println!("{table}");
}

fn print_order(order: &Order) {
    println!("order {}", order.id);
    println!("status:  {}", order.status.as_str());
    println!("created: {}", order.created_at.to_rfc3339());
    if let Some(email) = &order.email {
        println!("email:   {email}");
    }
    if let Some(tracking) = &order.tracking_number {
        println!("tracking: {tracking}");
    }
    let mut lines = output::table(&["sku", "name", "quantity", "unit price", "total"]);
    for line in &order.lines {
        lines.add_row(vec![
            line.sku.clone(),
            line.name.clone(),
            line.quantity.to_string(),
            line.unit_price.to_string(),
            line.total.to_string(),
        ]);
    }
    println!("{lines}");
    let t = &order.totals;
    println!(
        "subtotal {} - discount {} + shipping {} + tax {} = total {} {}",
        t.subtotal, t.discount_total, t.shipping_total, t.tax_total, t.total, order.currency
    );
    println!("history:");
    for entry in &order.history {
        let change = serde_json::to_value(&entry.change)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
            .unwrap_or_default();
        println!("  {}  {change}", entry.at.to_rfc3339());
    }
}

fn show(ctx: &Context, order: &Order) -> Result<()> {
    if ctx.json {
        output::print_json(order)
    } else {
        print_order(order);
        Ok(())
    }
}

/// Runs an `orders` subcommand.
pub async fn run(ctx: &Context, command: &OrdersCommand) -> Result<()> {
    match command {
        OrdersCommand::List {
            status,
            customer,
            window,
        } => {
            let customer_id = match customer {
                None => None,
                Some(key) => Some(resolve_user(ctx, key).await?),
            };
            let filter = |page: Page| OrderFilter {
                customer_id,
                status: *status,
                page,
            };
            let page = super::page(window)?;
            let orders = ctx.store.list_orders(&filter(page)).await?;
            let listing = Listing::counted(orders, page, |chunk| {
                let filter = filter(chunk);
                async move { Ok::<_, CliError>(ctx.store.list_orders(&filter).await?.len()) }
            })
            .await?;
            listing.print(ctx.json, print_orders)
        }
        OrdersCommand::Show { id } => {
            let order = ctx.store.get_order(parse_id::<OrderId>(id)?).await?;
            show(ctx, &order)
        }
        OrdersCommand::Transition { id, to, tracking } => {
            let id = parse_id::<OrderId>(id)?;
            if tracking.is_some() && *to != OrderStatus::Shipped {
                return Err(CliError::Input("--tracking goes with --to shipped".into()));
            }
            // The same gateway the server binary runs with.
            let payments = Arc::new(PaymentProcessor::new(
                ctx.store.clone(),
                Arc::new(TestGateway::new()),
                Arc::new(TokioSleeper),
                ctx.clock.clone(),
            ));
            let orders = OrderService::new(ctx.store.clone(), payments, ctx.clock.clone());
            let actor = Actor::System;
            let order = match to {
                OrderStatus::Processing => orders.start_processing(id, actor).await?,
                OrderStatus::Shipped => orders.ship(id, tracking.clone(), actor).await?,
                OrderStatus::Delivered => orders.deliver(id, actor).await?,
                OrderStatus::Cancelled => orders.cancel(id, actor, None).await?,
                other => {
                    return Err(CliError::Input(format!(
                        "orders cannot be moved to {} from the command line",
                        other.as_str()
                    )))
                }
            };
            if ctx.json {
                output::print_json(&order)
            } else {
                println!("order {} is now {}", order.id, order.status.as_str());
                Ok(())
            }
        }
    }
}
