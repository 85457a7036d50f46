//! `merx migrate` and `merx demo seed`.

use merx_core::store::{Page, ProductFilter, Store};
use merx_core::user::PasswordHashing;
use merx_runtime::demo::{
    load_demo_data, load_demo_history, DemoAdmin, DemoHistory, HistorySummary,
};
use serde::Serialize;

use super::Context;
use crate::cli::{DemoArgs, DemoCommand};
use crate::error::{CliError, Result};
use crate::output;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MigrationReport {
    backend: &'static str,
    schema_version: i64,
}

/// Opens the database (which applies pending migrations) and reports its schema version.
pub async fn migrate(url: &str, json: bool) -> Result<()> {
    let report = if crate::store::is_sqlite(url) {
        let store = crate::store::open_sqlite(url).await?;
        let version = store
            .schema_version()
            .await
            .map_err(|e| CliError::Store(format!("cannot read the schema version: {e}")))?;
        MigrationReport {
            backend: "sqlite",
            schema_version: i64::from(version),
        }
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = merx_postgres::PgStore::connect(url)
            .await
            .map_err(|e| CliError::Store(format!("cannot open `{url}`: {e}")))?;
        let versions = merx_postgres::migrate::applied_versions(store.pool())
            .await
            .map_err(|e| CliError::Store(format!("cannot read the schema version: {e}")))?;
        MigrationReport {
            backend: "postgres",
            schema_version: versions.into_iter().max().unwrap_or(0),
        }
    } else {
        return Err(CliError::Input(format!(
            "`{url}` has no schema to migrate: use sqlite://PATH or postgres://..."
        )));
    };
    if json {
        output::print_json(&report)
    } else {
        println!(
            "{} database is at schema version {}",
            report.backend, report.schema_version
        );
        Ok(())
    }
}

/// Whether the store has no product yet.
pub async fn catalog_is_empty(store: &dyn Store) -> Result<bool> {
    let filter = ProductFilter {
        page: Page {
            offset: 0,
            limit: 1,
        },
        ..ProductFilter::default()
    };
    Ok(store.list_products(&filter).await?.is_empty())
}

/// What a demo load made.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedReport {
    products: usize,
    customers: usize,
    orders: usize,
    coupon_code: String,
    admin_email: String,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "demo data loaded: {} products, {} customers, {} orders, coupon {}, admin {}",
            self.products, self.customers, self.orders, self.coupon_code, self.admin_email
        )
    }
}

/// Loads the server's demo shop into `ctx`'s store, with its history unless `--catalog-only`.
pub async fn seed(ctx: &Context, args: &DemoArgs) -> Result<SeedReport> {
    let hashing = PasswordHashing::default();
    let summary = load_demo_data(
        ctx.store.clone(),
        ctx.clock.clone(),
        &DemoAdmin {
            email: args.admin.admin_email.clone(),
            password: args.admin.admin_password.clone(),
        },
        hashing,
    )
    .await?;
    let history = if args.catalog_only {
        HistorySummary::default()
    } else {
        load_demo_history(
            ctx.store.clone(),
            ctx.clock.clone(),
            &DemoHistory::default(),
            hashing,
        )
        .await?
    };
    Ok(SeedReport {
        products: summary.product_ids.len() + history.products,
        customers: history.customers,
        orders: history.orders,
        coupon_code: summary.coupon_code,
        admin_email: args.admin.admin_email.clone(),
    })
}

/// `merx demo seed`: the demo shop, into an empty catalog only.
pub async fn demo(ctx: &Context, command: &DemoCommand) -> Result<()> {
    let DemoCommand::Seed(args) = command;
    if !catalog_is_empty(ctx.store.as_ref()).await? {
        return Err(CliError::Runtime(
            "the catalog is not empty; demo data goes into a fresh store".into(),
        ));
    }
    let report = seed(ctx, args).await?;
    if ctx.json {
        output::print_json(&report)
    } else {
        println!("{report}");
        Ok(())
    }
}
