//! The command line: every command, flag and help text (clap derive).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

const MAIN_HELP: &str = "\
Examples:
  merx serve --demo                         # the REST API on 127.0.0.1:8080 over ./merx.db
  merx --database-url sqlite://shop.db products list
  merx --json orders list --status pending
  merx price cart.json

Exit codes:
  0  success
  1  runtime failure (database unavailable, refused state change, conflict, I/O error)
  2  bad input or usage (unknown flag, unreadable or malformed file, invalid value, unknown id)

Errors are printed as one line, `error: <message>`, on stderr.";

/// The `merx` command.
#[derive(Debug, Parser)]
#[command(
    name = "merx",
    version,
    about = "Merx commerce engine: serve the API, migrate, price carts, administer a store",
    after_help = MAIN_HELP
)]
pub struct Cli {
    /// Store URL: sqlite://PATH, postgres://USER@HOST/DB or memory:.
    #[arg(
        long,
        global = true,
        env = "MERX_DATABASE_URL",
        default_value = "sqlite://./merx.db"
    )]
    pub database_url: String,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API on the store from --database-url.
    #[command(after_help = "\
Examples:
  merx serve --demo
  merx serve --listen 0.0.0.0:8080 --database-url sqlite:///var/lib/merx/shop.db
  MERX_JWT_SECRET=... merx serve --database-url postgres://merx@localhost/merx

Stops gracefully on Ctrl-C or SIGTERM, finishing in-flight requests.")]
    Serve(ServeArgs),
    /// Create or upgrade the database schema and print its version.
    #[command(after_help = "\
Examples:
  merx migrate
  merx --database-url postgres://merx@localhost/merx migrate")]
    Migrate,
    /// Demo data.
    #[command(subcommand, after_help = "Examples:\n  merx demo seed")]
    Demo(DemoCommand),
    /// Price a cart offline: reads a PricingRequest JSON (cart, rules, now, usage) and prints
    /// the priced cart JSON.
    #[command(after_help = "\
Examples:
  merx price examples/pricing/request.json
  cat request.json | merx price -")]
    Price {
        /// The pricing request file, or `-` for stdin.
        file: PathBuf,
    },
    /// Products: list, show, create, archive, import, export.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx products list --status active
  merx products import products.csv"
    )]
    Products(ProductsCommand),
    /// Orders: list, show, transition.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx orders list --status pending
  merx orders transition 6f1c... --to processing"
    )]
    Orders(OrdersCommand),
    /// User accounts: create, list, disable.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx users create --email ops@example.com --password 'long pass phrase' --admin
  merx users list"
    )]
    Users(UsersCommand),
    /// Stock levels by SKU: set, adjust.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx stock set TEE-BLK-M 25
  merx stock adjust TEE-BLK-M -- -3"
    )]
    Stock(StockCommand),
    /// Recommendations: train a model from the orders, recommend for a customer or a product.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx recs train --model shop-recs.json
  merx recs for-user 6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77 --k 5
  merx recs similar 0b7e4c2a-5d1f-4e8a-8c3b-9f2d1a6e4b10"
    )]
    Recs(RecsCommand),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  merx completions bash > /etc/bash_completion.d/merx
  merx completions zsh > \"${fpath[1]}/_merx\"
  merx completions fish > ~/.config/fish/completions/merx.fish")]
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// `merx serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Load the demo shop first, when the catalog is empty.
    #[arg(long)]
    pub demo: bool,
    /// HS256 secret for access tokens (at least 32 bytes); random per start when absent.
    #[arg(long, env = "MERX_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    #[command(flatten)]
    pub admin: DemoAdminArgs,
}

/// The demo's admin account.
#[derive(Debug, Args)]
pub struct DemoAdminArgs {
    /// Demo admin email.
    #[arg(long, env = "MERX_ADMIN_EMAIL", default_value = "admin@merx.example")]
    pub admin_email: String,
    /// Demo admin password.
    #[arg(
        long,
        env = "MERX_ADMIN_PASSWORD",
        default_value = "merx-admin-2026",
        hide_env_values = true
    )]
    pub admin_password: String,
}

/// `merx demo ...`.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Load the demo shop (30 products, promotions, tax, shipping, an admin) into an empty store.
    #[command(after_help = "\
Examples:
  merx demo seed
  merx --database-url sqlite://demo.db demo seed --admin-email me@example.com")]
    Seed(DemoAdminArgs),
}

/// A product status on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Being prepared.
    Draft,
    /// On sale.
    Active,
    /// Withdrawn.
    Archived,
}

/// Import/export file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Comma-separated values, one variant per row.
    Csv,
    /// A JSON array of products (the API's product objects).
    Json,
}

/// `merx products ...`.
#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// List products, oldest first.
    #[command(after_help = "\
Examples:
  merx products list
  merx products list --status active --limit 10 --offset 20
  merx --json products list")]
    List {
        /// Only this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Most products to list.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Products to skip.
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Show one product with its variants.
    #[command(after_help = "\
Examples:
  merx products show 0b4e7c52-8f1e-4d3a-9c55-0c7f6d2f1a10
  merx --json products show 0b4e7c52-8f1e-4d3a-9c55-0c7f6d2f1a10")]
    Show {
        /// Product id.
        id: String,
    },
    /// Create a product with one variant.
    #[command(after_help = "\
Examples:
  merx products create --name 'Canvas tote' --sku TOTE-1 --price 19.90
  merx products create --name 'Espresso cup' --sku CUP-1 --price 1200 --currency JPY --stock 40 --status active")]
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// The variant's SKU.
        #[arg(long)]
        sku: String,
        /// Price in major units (19.90).
        #[arg(long)]
        price: String,
        /// ISO-4217 currency of the price.
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Units on hand.
        #[arg(long, default_value = "0")]
        stock: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Initial status.
        #[arg(long, value_enum, default_value = "draft")]
        status: StatusArg,
    },
    /// Archive a product (kept for order history, no longer sold).
    #[command(after_help = "\
Examples:
  merx products archive 0b4e7c52-8f1e-4d3a-9c55-0c7f6d2f1a10")]
    Archive {
        /// Product id.
        id: String,
    },
    /// Import products from a CSV or JSON file (format from the extension).
    #[command(after_help = "\
CSV columns (header row required): name, slug, description, status, sku, title, currency,
price, stock, weight, tax_class, allow_backorder. Only name, sku and price are required; rows
with the same non-empty slug become variants of one product
(its name, description and status come from the first of them).
JSON: an array of product objects as the API and `products export` write them.

Bad rows are reported with their line number and skipped; good rows are imported. With
--strict nothing is imported when any row is bad. A product is written whole or not at all.
Exit code 2 when any row was bad (after importing the good ones, unless --strict).

Examples:
  merx products import products.csv
  merx products import --strict catalog.json")]
    Import {
        /// The file (.csv or .json).
        file: PathBuf,
        /// Import nothing when any row is bad.
        #[arg(long)]
        strict: bool,
    },
    /// Export every product to a CSV or JSON file (format from the extension; `-` is stdout).
    #[command(after_help = "\
Examples:
  merx products export products.csv
  merx products export catalog.json
  merx products export - --format csv")]
    Export {
        /// The file (.csv or .json), or `-` for stdout.
        file: PathBuf,
        /// The format, when the extension does not tell (JSON for stdout by default).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
}

/// An order status on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrderStatusArg {
    /// Placed.
    Pending,
    /// Being prepared.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// Received.
    Delivered,
    /// Called off.
    Cancelled,
}

/// Statuses an order can be moved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransitionArg {
    /// pending -> processing.
    Processing,
    /// processing -> shipped.
    Shipped,
    /// shipped -> delivered.
    Delivered,
    /// pending/processing -> cancelled (voids or refunds the payment, releases stock).
    Cancelled,
}

/// `merx orders ...`.
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// List orders, newest first.
    #[command(after_help = "\
Examples:
  merx orders list
  merx orders list --status processing --limit 20")]
    List {
        /// Only this status.
        #[arg(long, value_enum)]
        status: Option<OrderStatusArg>,
        /// Most orders to list.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Orders to skip.
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Show one order with its lines and history.
    #[command(after_help = "Examples:\n  merx orders show 6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77")]
    Show {
        /// Order id.
        id: String,
    },
    /// Move an order to another status (validated by the order state machine).
    #[command(after_help = "\
Examples:
  merx orders transition 6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77 --to processing
  merx orders transition 6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77 --to shipped --tracking 1Z999
  merx orders transition 6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77 --to cancelled")]
    Transition {
        /// Order id.
        id: String,
        /// The new status.
        #[arg(long, value_enum)]
        to: TransitionArg,
        /// Carrier tracking number (with --to shipped).
        #[arg(long)]
        tracking: Option<String>,
    },
}

/// `merx users ...`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account.
    #[command(after_help = "\
Examples:
  merx users create --email ops@example.com --password 'long pass phrase' --admin
  MERX_USER_PASSWORD='long pass phrase' merx users create --email ann@example.com --name Ann")]
    Create {
        /// Email (unique, case-insensitive).
        #[arg(long)]
        email: String,
        /// Password (checked against the password policy).
        #[arg(long, env = "MERX_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Give the account the admin role.
        #[arg(long)]
        admin: bool,
    },
    /// List accounts.
    #[command(after_help = "\
Examples:
  merx users list
  merx --json users list --limit 200")]
    List {
        /// Most accounts to list.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Accounts to skip.
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Disable an account (it can no longer sign in).
    #[command(after_help = "Examples:\n  merx users disable 3a8d6c1e-5b7f-4e2a-8c9d-1f0e2d3c4b5a")]
    Disable {
        /// User id.
        id: String,
    },
}

/// `merx stock ...`.
#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Set a variant's units on hand.
    #[command(after_help = "Examples:\n  merx stock set TEE-BLK-M 25")]
    Set {
        /// The variant's SKU.
        sku: String,
        /// Units on hand.
        #[arg(allow_negative_numbers = true)]
        quantity: String,
    },
    /// Add (or with a negative number, remove) units.
    #[command(after_help = "\
Examples:
  merx stock adjust TEE-BLK-M 10
  merx stock adjust TEE-BLK-M -- -3")]
    Adjust {
        /// The variant's SKU.
        sku: String,
        /// Units to add; negative to remove.
        #[arg(allow_negative_numbers = true)]
        delta: String,
    },
}

/// The model file every `merx recs` command uses unless told otherwise.
pub const DEFAULT_RECS_MODEL: &str = "./merx-recs.json";

/// `merx recs ...`
#[derive(Debug, Subcommand)]
pub enum RecsCommand {
    /// Fit a model on the store's orders (non-cancelled, placed by customers) and save it.
    #[command(
        after_help = "Examples:\n  merx recs train\n  merx recs train --model /var/lib/merx/recs.json"
    )]
    Train {
        /// Where to write the model JSON.
        #[arg(long, default_value = DEFAULT_RECS_MODEL)]
        model: PathBuf,
    },
    /// Products for a customer from what they bought (popular products without history).
    #[command(
        after_help = "Examples:\n  merx recs for-user 6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77 --k 5"
    )]
    ForUser {
        /// Customer (user) id.
        user_id: String,
        /// The saved model.
        #[arg(long, default_value = DEFAULT_RECS_MODEL)]
        model: PathBuf,
        /// How many products.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
        k: u16,
    },
    /// Products bought together with a product.
    #[command(
        after_help = "Examples:\n  merx recs similar 0b7e4c2a-5d1f-4e8a-8c3b-9f2d1a6e4b10 --k 5"
    )]
    Similar {
        /// Product id.
        product_id: String,
        /// The saved model.
        #[arg(long, default_value = DEFAULT_RECS_MODEL)]
        model: PathBuf,
        /// How many products.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
        k: u16,
    },
}
