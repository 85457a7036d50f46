//! `merx-pg-checkout-stream URL SCHEMA CALLERS`: places guest checkouts (one unit each of two
//! products, round robin over the store's products) from CALLERS concurrent tasks, until killed or out of stock,
//! printing `placed <order id>` after each commit.
//!
//! The crash-consistency test runs it as a child process and SIGKILLs it mid-stream; it is also
//! a quick way to put checkout load on a database by hand.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use merx_core::store::{CatalogStore, ProductFilter};
use merx_postgres::load::drive_checkouts;
use merx_postgres::PgStore;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, schema, callers] = args.as_slice() else {
        eprintln!("usage: merx-pg-checkout-stream URL SCHEMA CALLERS");
        return ExitCode::from(2);
    };
    let Ok(callers) = callers.parse::<usize>() else {
        eprintln!("CALLERS must be a number, not `{callers}`");
        return ExitCode::from(2);
    };
    match run(url, schema, callers).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("checkout stream failed: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str, schema: &str, callers: usize) -> Result<(), Box<dyn std::error::Error>> {
    let store = PgStore::connect_in_schema(url, schema, callers as u32 + 1).await?;
    let products = store.list_products(&ProductFilter::default()).await?;
    let count = products.len();
    let run = drive_checkouts(
        Arc::new(store),
        Arc::new(products),
        callers,
        Duration::from_secs(3600),
        None,
        // Two lines per order (when there are two products), so the stream also exercises
        // multi-line decrements and their lock order.
        move |caller, n| {
            let first = (caller + n as usize) % count;
            let mut picked = vec![first];
            if count > 1 {
                picked.push((first + 1) % count);
            }
            picked
        },
        |order| {
            let mut out = std::io::stdout().lock();
            // The parent reads these lines to know the stream is under way.
            let _ = writeln!(out, "placed {}", order.id);
            let _ = out.flush();
        },
    )
    .await?;
    eprintln!("stream ended: {} placed", run.placed);
    Ok(())
}
