//! The command line: every command, flag and help text (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use merx_core::catalog::ProductStatus;
use merx_core::order::OrderStatus;
use merx_core::tax::TaxCalculation;
use merx_core::RoundingMode;
use merx_runtime::notify::NotifierOptions;
use merx_server::serve::ServeOptions;

use crate::core_values::core_values;

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
    /// A TOML file of settings, keyed like the MERX_* variables without the prefix
    /// (`rate_limit = 20`); flags and variables win over it. See `merx config show --help`.
    #[arg(long, global = true, env = "MERX_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
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
  merx serve --currency EUR --cors-origin https://shop.example.com --rate-limit 20
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
    /// Products: list, show, create, update, archive, import, export.
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
    /// Promotions and coupon codes: list, show, create, update, delete.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx promotions create --name 'Summer sale' --percent-off 15 --ends-at 2026-09-01T00:00:00Z
  merx promotions create --name 'Welcome' --amount-off 5.00 --coupon WELCOME5 --min-subtotal 30
  merx promotions update 9d3c... --active false"
    )]
    Promotions(PromotionsCommand),
    /// Tax rates and tax settings: list, create, update, delete, settings.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx taxes create --name VAT --country GB --percent 20
  merx taxes settings --prices-include-tax true --default-country GB
  merx taxes list"
    )]
    Taxes(TaxesCommand),
    /// Shipping methods: list, create, update, delete.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx shipping create --name Standard --flat 4.99 --countries US,CA --free-over 50
  merx shipping create --name Freight --tier 2=5.99 --tier 10=12.99 --tier '*=29.99'
  merx shipping list"
    )]
    Shipping(ShippingCommand),
    /// Domain events: list the outbox, deliver it to a webhook or the log.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx events list --after 100 --type OrderPlaced
  merx events relay --once --webhook-url https://hooks.example.com/merx --webhook-secret \"$SECRET\""
    )]
    Events(EventsCommand),
    /// Stock levels by SKU: set, adjust.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx stock set TEE-BLK-M 25
  merx stock adjust TEE-BLK-M -- -3"
    )]
    Stock(StockCommand),
    /// Recommendations: train a model from the orders, recommend for a customer or a product,
    /// evaluate offline.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx recs train
  merx recs for-user customer001@example.com --k 5
  merx recs similar 0b7e4c2a-5d1f-4e8a-8c3b-9f2d1a6e4b10"
    )]
    Recs(RecsCommand),
    /// The configuration file and the effective settings.
    #[command(
        subcommand,
        after_help = "\
Examples:
  merx config show
  merx --config merx.toml config show --json"
    )]
    Config(ConfigCommand),
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

/// `merx config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting's effective value and where it comes from (flag, MERX_* variable,
    /// the --config file, or the default), with secrets redacted.
    #[command(after_help = "\
The configuration file is TOML, keyed like the MERX_* variables in lowercase without the prefix
(a flag's name with underscores); lists for repeatable settings. An unknown key is an error.

  # merx.toml
  database_url = \"postgres://merx@db.internal/shop\"
  listen = \"0.0.0.0:8080\"
  rate_limit = 20
  cors_origins = [\"https://shop.example.com\"]
  trusted_proxies = [\"10.0.0.0/8\"]

Precedence: flag > MERX_* variable > file > default. The output is itself a valid file.

Examples:
  merx --config merx.toml config show
  MERX_CONFIG=/etc/merx/merx.toml merx config show --json
  merx --config merx.toml serve")]
    Show(ConfigShowArgs),
}

/// `merx config show` takes every setting as a flag too, so it shows what `merx serve` with the
/// same flags would run with.
#[derive(Debug, Args)]
pub struct ConfigShowArgs {
    #[command(flatten)]
    pub admin: DemoAdminArgs,
    #[command(flatten)]
    pub options: ServeOptions,
}

/// `merx serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Load the demo shop first (see `merx demo seed --help`), when the catalog is empty.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub demo_args: DemoArgs,
    #[command(flatten)]
    pub options: ServeOptions,
}

/// What the demo loads.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Only the small catalog (30 products, settings, the admin): no extra products, customers
    /// or past orders.
    #[arg(long)]
    pub catalog_only: bool,
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
    /// Load the demo shop into an empty store: about 300 products in categories, promotions,
    /// tax rates, shipping methods, an admin, 80 customers and 600 past orders.
    #[command(after_help = "\
Customers are customer001@example.com ... customer080@example.com, password merx-customer-2026.
The data is generated from a fixed seed, so every demo store looks alike.

Examples:
  merx demo seed
  merx demo seed --catalog-only
  merx --database-url sqlite://demo.db demo seed --admin-email me@example.com")]
    Seed(DemoArgs),
}

/// Import/export file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Comma-separated values, one variant per row.
    Csv,
    /// A JSON array of products (the API's product objects).
    Json,
}

/// The part of a listing to show. Filters run in the store before the window is cut, and the
/// listing says how many records match in all ("showing 50 of 307").
#[derive(Clone, Copy, Debug, Args)]
pub struct Window {
    /// Most records to list.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// The page of --limit records to show, from 1.
    #[arg(long, conflicts_with = "offset", value_parser = clap::value_parser!(u32).range(1..))]
    pub page: Option<u32>,
    /// Records to skip (instead of --page).
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
}

/// `merx products ...`.
#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// List products, oldest first.
    #[command(after_help = "\
Examples:
  merx products list
  merx products list --status active --limit 10 --page 3
  merx --json products list")]
    List {
        /// Only this status.
        #[arg(long, value_parser = core_values(&ProductStatus::ALL))]
        status: Option<ProductStatus>,
        #[command(flatten)]
        window: Window,
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
        #[arg(long, value_parser = core_values(&ProductStatus::ALL), default_value = "draft")]
        status: ProductStatus,
    },
    /// Change a product: the given fields, or the whole product from a JSON file.
    #[command(after_help = "\
Only the fields given change; variants, prices and stock are kept. With --file the product is
replaced by the file's product object (as `products show --json` prints it); stock of existing
variants is still kept, since stock changes only through `merx stock` and checkout.

Examples:
  merx products update 0b4e7c52-8f1e-4d3a-9c55-0c7f6d2f1a10 --name 'Canvas tote bag' --status active
  merx products update 0b4e7c52-8f1e-4d3a-9c55-0c7f6d2f1a10 --price 24.90
  merx --json products show 0b4e... > tote.json && merx products update 0b4e... --file tote.json")]
    Update {
        /// Product id.
        id: String,
        /// The whole product as JSON (`-` for stdin); no field flags with it.
        #[arg(long, conflicts_with_all = ["name", "slug", "description", "status", "price"])]
        file: Option<PathBuf>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// URL slug.
        #[arg(long)]
        slug: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Status.
        #[arg(long, value_parser = core_values(&ProductStatus::ALL))]
        status: Option<ProductStatus>,
        /// Price of every variant in --currency, in major units.
        #[arg(long)]
        price: Option<String>,
        /// Currency of --price.
        #[arg(long, default_value = "USD", requires = "price")]
        currency: String,
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

/// The statuses an order can be moved to: those the core's state machine reaches from some status.
fn transition_targets() -> Vec<OrderStatus> {
    OrderStatus::ALL
        .into_iter()
        .filter(|to| OrderStatus::ALL.iter().any(|from| from.can_move_to(*to)))
        .collect()
}

/// `merx orders ...`.
#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// List orders, newest first.
    #[command(after_help = "\
Examples:
  merx orders list
  merx orders list --status processing --limit 20
  merx orders list --customer ann@example.com")]
    List {
        /// Only this status.
        #[arg(long, value_parser = core_values(&OrderStatus::ALL))]
        status: Option<OrderStatus>,
        /// Only this customer's orders: a user id or an account email.
        #[arg(long)]
        customer: Option<String>,
        #[command(flatten)]
        window: Window,
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
        /// The new status; cancelling voids or refunds the payment and releases stock.
        #[arg(long, value_parser = core_values(&transition_targets()))]
        to: OrderStatus,
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
  merx users list --page 2
  merx --json users list --limit 200")]
    List {
        #[command(flatten)]
        window: Window,
    },
    /// Disable an account (it can no longer sign in).
    #[command(after_help = "\
Examples:
  merx users disable ann@example.com
  merx users disable 3a8d6c1e-5b7f-4e2a-8c9d-1f0e2d3c4b5a")]
    Disable {
        /// User id or account email.
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

/// How `merx recs evaluate` holds data out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Each customer's last order is held out (customers with an earlier order).
    LastBasket,
    /// Each customer's latest order line is held out (customers with two or more lines).
    LeaveLastOut,
    /// Each customer's lines are shuffled (--seed) and split at --ratio.
    Random,
}

/// A collaborative model `merx recs evaluate` can fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// SAR: item co-occurrence (Jaccard) with a 30-day decayed affinity; what `train` fits.
    Sar,
    /// EASE: a closed-form linear item-item model (l2 = 500).
    Ease,
    /// Implicit ALS (64 factors).
    Als,
}

/// `merx recs ...`
#[derive(Debug, Subcommand)]
pub enum RecsCommand {
    /// Fit a model on the store's orders (non-cancelled, placed by customers) and save it.
    #[command(after_help = "\
The model is saved beside a SQLite database (`shop.db` -> `shop.recs.json`), never in the
current directory; other stores need --model.

Examples:
  merx recs train
  merx recs train --model /var/lib/merx/recs.json")]
    Train {
        /// Where to write the model JSON [default: beside the SQLite database].
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Products for a customer from what they bought (popular products without history).
    #[command(after_help = "\
Without a saved model the recommender is trained from the store's orders on the spot (as the
REST API does on first use).

Examples:
  merx recs for-user customer001@example.com --k 5
  merx recs for-user 6f1c2d0e-0d8b-4c1a-9a43-2b1f6c0e9d77")]
    ForUser {
        /// Customer: a user id or an account email.
        user: String,
        /// The saved model [default: the one `recs train` saves beside the SQLite database].
        #[arg(long)]
        model: Option<PathBuf>,
        /// How many products.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
        k: u16,
    },
    /// Offline metrics of a model on the store's orders against a popularity baseline: fit on
    /// the older orders, recommend for each customer, score against what they bought next.
    #[command(after_help = "\
Metrics are averaged over the customers with held-out products: precision, recall and NDCG at
k, MAP@k, and catalog coverage (distinct recommended products over products seen in training).
Products a customer bought in the training part are not recommended to them again.

Examples:
  merx recs evaluate
  merx recs evaluate --model ease --k 5
  merx recs evaluate --split random --ratio 0.8 --seed 7 --json")]
    Evaluate {
        /// The cut-off.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
        k: u16,
        /// How held-out data is chosen.
        #[arg(long, value_enum, default_value = "last-basket")]
        split: SplitArg,
        /// Share of each customer's lines kept for training with --split random (0 < r < 1).
        #[arg(long, default_value_t = 0.8)]
        ratio: f64,
        /// Seed of --split random.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The model to fit.
        #[arg(long, value_enum, default_value = "sar")]
        model: ModelArg,
    },
    /// Products bought together with a product.
    #[command(
        after_help = "Examples:\n  merx recs similar 0b7e4c2a-5d1f-4e8a-8c3b-9f2d1a6e4b10 --k 5"
    )]
    Similar {
        /// Product id or SKU.
        product: String,
        /// The saved model [default: the one `recs train` saves beside the SQLite database].
        #[arg(long)]
        model: Option<PathBuf>,
        /// How many products.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
        k: u16,
    },
}

/// A boolean flag value (`true`/`false`, `yes`/`no`, `on`/`off`).
fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(format!("`{text}` is not true or false")),
    }
}

/// The conditions and limits a promotion can be given on the command line.
#[derive(Debug, Default, Args)]
pub struct PromotionFields {
    /// Name shown to shoppers.
    #[arg(long)]
    pub name: Option<String>,
    /// Longer explanation.
    #[arg(long)]
    pub description: Option<String>,
    /// Coupon code (stored uppercase); without one the promotion applies automatically.
    #[arg(long)]
    pub coupon: Option<String>,
    /// Minimum merchandise subtotal in --currency.
    #[arg(long)]
    pub min_subtotal: Option<String>,
    /// First instant it applies (RFC 3339, e.g. 2026-12-01T00:00:00Z).
    #[arg(long)]
    pub starts_at: Option<String>,
    /// Instant it stops applying (RFC 3339, exclusive).
    #[arg(long)]
    pub ends_at: Option<String>,
    /// Most redemptions over all customers.
    #[arg(long)]
    pub usage_limit: Option<u64>,
    /// Most redemptions per signed-in customer.
    #[arg(long)]
    pub per_customer_limit: Option<u64>,
    /// Lower numbers apply first.
    #[arg(long, allow_negative_numbers = true)]
    pub priority: Option<i32>,
    /// Applies only when nothing applied before it, and nothing applies after it.
    #[arg(long, value_parser = parse_bool, value_name = "BOOL")]
    pub exclusive: Option<bool>,
    /// Switched on (`false` keeps it stored but unused).
    #[arg(long, value_parser = parse_bool, value_name = "BOOL")]
    pub active: Option<bool>,
}

/// What a promotion created from flags gives.
#[derive(Debug, Args)]
#[group(id = "effect", multiple = false)]
pub struct EffectArgs {
    /// Percent off (0 < P <= 100): the order, or each --skus line.
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    pub percent_off: Option<String>,
    /// A fixed amount off in --currency: the order, or the --skus lines together.
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub amount_off: Option<String>,
    /// Free shipping on every method.
    #[arg(long)]
    pub free_shipping: bool,
}

/// `merx promotions ...`.
#[derive(Debug, Subcommand)]
pub enum PromotionsCommand {
    /// List every promotion, in the order they apply.
    #[command(after_help = "Examples:\n  merx promotions list\n  merx --json promotions list")]
    List,
    /// Show one promotion.
    #[command(
        after_help = "Examples:\n  merx --json promotions show 9d3c2b1a-6e5f-4d7c-8b9a-0f1e2d3c4b5a"
    )]
    Show {
        /// Promotion id.
        id: String,
    },
    /// Create a promotion from flags (percent or amount off, free shipping) or from a JSON file
    /// (every kind: buy X get Y, tiered spend, fixed prices, per-currency amounts).
    #[command(after_help = "\
Examples:
  merx promotions create --name 'Summer sale' --percent-off 15 --ends-at 2026-09-01T00:00:00Z
  merx promotions create --name 'Welcome' --amount-off 5.00 --coupon WELCOME5 --min-subtotal 30
  merx promotions create --name 'Tees 20% off' --percent-off 20 --skus TEE-S,TEE-M,TEE-L
  merx promotions create --name 'Free shipping' --free-shipping --min-subtotal 75 --currency EUR
  merx promotions create --file bogo.json

The JSON is the API's promotion object (POST /v1/promotions), e.g.
  {\"name\": \"3 for 2\", \"effect\": {\"type\": \"buy_x_get_y\", \"buy\": {\"skus\": [\"SOCK-1\"]},
   \"buyQuantity\": 2, \"getQuantity\": 1, \"reward\": {\"type\": \"free\"}}}")]
    Create {
        /// The promotion as JSON (`-` for stdin); no other flags with it.
        #[arg(long, conflicts_with_all = ["name", "percent_off", "amount_off", "free_shipping", "skus"])]
        file: Option<PathBuf>,
        #[command(flatten)]
        effect: EffectArgs,
        /// Only these SKUs (comma-separated) for --percent-off or --amount-off.
        #[arg(long, value_delimiter = ',')]
        skus: Vec<String>,
        /// Currency of --amount-off and --min-subtotal.
        #[arg(long, default_value = "USD")]
        currency: String,
        #[command(flatten)]
        fields: PromotionFields,
    },
    /// Change the given fields of a promotion, or replace it from a JSON file.
    #[command(after_help = "\
Examples:
  merx promotions update 9d3c2b1a-6e5f-4d7c-8b9a-0f1e2d3c4b5a --active false
  merx promotions update 9d3c2b1a-6e5f-4d7c-8b9a-0f1e2d3c4b5a --ends-at 2026-12-31T23:00:00Z --usage-limit 500
  merx promotions update 9d3c2b1a-6e5f-4d7c-8b9a-0f1e2d3c4b5a --no-coupon
  merx promotions update 9d3c2b1a-6e5f-4d7c-8b9a-0f1e2d3c4b5a --file promo.json")]
    Update {
        /// Promotion id.
        id: String,
        /// The whole promotion as JSON (`-` for stdin); no other flags with it.
        #[arg(long, conflicts_with_all = ["name", "description", "coupon", "no_coupon", "min_subtotal",
            "starts_at", "ends_at", "usage_limit", "per_customer_limit", "priority", "exclusive", "active"])]
        file: Option<PathBuf>,
        /// Remove the coupon code: the promotion becomes automatic.
        #[arg(long, conflicts_with = "coupon")]
        no_coupon: bool,
        /// Currency of --min-subtotal.
        #[arg(long, default_value = "USD")]
        currency: String,
        #[command(flatten)]
        fields: PromotionFields,
    },
    /// Delete a promotion (orders keep the discounts they were given).
    #[command(
        after_help = "Examples:\n  merx promotions delete 9d3c2b1a-6e5f-4d7c-8b9a-0f1e2d3c4b5a"
    )]
    Delete {
        /// Promotion id.
        id: String,
    },
}

/// `merx taxes ...`.
#[derive(Debug, Subcommand)]
pub enum TaxesCommand {
    /// Show the tax settings and every rate.
    #[command(after_help = "Examples:\n  merx taxes list\n  merx --json taxes list")]
    List,
    /// Add a tax rate.
    #[command(after_help = "\
Examples:
  merx taxes create --name VAT --country GB --percent 20
  merx taxes create --name 'Reduced VAT' --country DE --class reduced --percent 7
  merx taxes create --name 'CA sales tax' --country US --region CA --percent 7.25")]
    Create {
        /// Name on invoices.
        #[arg(long)]
        name: String,
        /// ISO-3166 alpha-2 country code.
        #[arg(long)]
        country: String,
        /// Region (state, province) code; the whole country when absent.
        #[arg(long)]
        region: Option<String>,
        /// Tax class it applies to.
        #[arg(long, default_value = "standard")]
        class: String,
        /// The rate in percent (20 means 20%).
        #[arg(long, allow_negative_numbers = true)]
        percent: String,
    },
    /// Change the given fields of a tax rate.
    #[command(after_help = "\
Examples:
  merx taxes update 5e6f... --percent 21
  merx taxes update 5e6f... --no-region")]
    Update {
        /// Tax rate id.
        id: String,
        /// Name on invoices.
        #[arg(long)]
        name: Option<String>,
        /// ISO-3166 alpha-2 country code.
        #[arg(long)]
        country: Option<String>,
        /// Region code.
        #[arg(long)]
        region: Option<String>,
        /// Apply to the whole country.
        #[arg(long, conflicts_with = "region")]
        no_region: bool,
        /// Tax class.
        #[arg(long)]
        class: Option<String>,
        /// The rate in percent.
        #[arg(long, allow_negative_numbers = true)]
        percent: Option<String>,
    },
    /// Delete a tax rate.
    #[command(after_help = "Examples:\n  merx taxes delete 5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b")]
    Delete {
        /// Tax rate id.
        id: String,
    },
    /// Show or change the store's tax modes and rounding (no flags: show).
    #[command(after_help = "\
Examples:
  merx taxes settings
  merx taxes settings --prices-include-tax true --shipping-taxable true --default-country GB
  merx taxes settings --calculation per-rate --tax-rounding down")]
    Settings {
        /// Catalog prices and shipping amounts already include tax.
        #[arg(long, value_parser = parse_bool, value_name = "BOOL")]
        prices_include_tax: Option<bool>,
        /// Shipping is taxed.
        #[arg(long, value_parser = parse_bool, value_name = "BOOL")]
        shipping_taxable: Option<bool>,
        /// Tax class of shipping when a method names none.
        #[arg(long)]
        shipping_tax_class: Option<String>,
        /// Per line or per rate.
        #[arg(long, value_parser = core_values(&TaxCalculation::ALL))]
        calculation: Option<TaxCalculation>,
        /// How tax amounts are rounded.
        #[arg(long, value_parser = core_values(&RoundingMode::ALL))]
        tax_rounding: Option<RoundingMode>,
        /// How line amounts and discounts are rounded.
        #[arg(long, value_parser = core_values(&RoundingMode::ALL))]
        rounding: Option<RoundingMode>,
        /// Country taxed before the cart has a shipping address.
        #[arg(long)]
        default_country: Option<String>,
        /// Region used with the default country.
        #[arg(long)]
        default_region: Option<String>,
    },
}

/// The fields of a shipping method on the command line.
#[derive(Debug, Default, Args)]
pub struct ShippingFields {
    /// Name shown at checkout.
    #[arg(long)]
    pub name: Option<String>,
    /// One price in --currency whatever the cart.
    #[arg(long, value_name = "AMOUNT", conflicts_with = "tiers")]
    pub flat: Option<String>,
    /// A weight band `UP_TO_KG=AMOUNT` (`*=AMOUNT` for anything heavier); repeat in ascending
    /// weight.
    #[arg(long = "tier", value_name = "UP_TO=AMOUNT")]
    pub tiers: Vec<String>,
    /// Destination countries (comma-separated ISO alpha-2); everywhere when absent.
    #[arg(long, value_delimiter = ',')]
    pub countries: Option<Vec<String>>,
    /// Free when the discounted merchandise subtotal reaches this amount in --currency.
    #[arg(long, value_name = "AMOUNT")]
    pub free_over: Option<String>,
    /// Tax class of the shipping charge.
    #[arg(long)]
    pub tax_class: Option<String>,
    /// Switched on.
    #[arg(long, value_parser = parse_bool, value_name = "BOOL")]
    pub active: Option<bool>,
    /// Currency of --flat, --tier and --free-over.
    #[arg(long, default_value = "USD")]
    pub currency: String,
}

/// `merx shipping ...`.
#[derive(Debug, Subcommand)]
pub enum ShippingCommand {
    /// List every shipping method.
    #[command(after_help = "Examples:\n  merx shipping list\n  merx --json shipping list")]
    List,
    /// Create a shipping method from flags or from a JSON file (several currencies).
    #[command(after_help = "\
Examples:
  merx shipping create --name Standard --flat 4.99 --countries US,CA --free-over 50
  merx shipping create --name Freight --tier 2=5.99 --tier 10=12.99 --tier '*=29.99'
  merx shipping create --file express.json

The JSON is the API's shipping method object (POST /v1/shipping-methods), e.g.
  {\"name\": \"Express\", \"rate\": {\"type\": \"flat\", \"amounts\": {\"USD\": \"14.99\", \"EUR\": \"13.99\"}}}")]
    Create {
        /// The method as JSON (`-` for stdin); no other flags with it.
        #[arg(long, conflicts_with_all = ["name", "flat", "tiers", "countries", "free_over", "tax_class", "active"])]
        file: Option<PathBuf>,
        #[command(flatten)]
        fields: ShippingFields,
    },
    /// Change the given fields of a shipping method, or replace it from a JSON file.
    #[command(after_help = "\
Examples:
  merx shipping update 2c3d... --flat 5.49
  merx shipping update 2c3d... --active false
  merx shipping update 2c3d... --no-free-over --countries US")]
    Update {
        /// Shipping method id.
        id: String,
        /// The whole method as JSON (`-` for stdin); no other flags with it.
        #[arg(long, conflicts_with_all = ["name", "flat", "tiers", "countries", "free_over",
            "no_free_over", "tax_class", "active"])]
        file: Option<PathBuf>,
        /// Never free, whatever the subtotal.
        #[arg(long, conflicts_with = "free_over")]
        no_free_over: bool,
        #[command(flatten)]
        fields: ShippingFields,
    },
    /// Delete a shipping method.
    #[command(
        after_help = "Examples:\n  merx shipping delete 2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
    )]
    Delete {
        /// Shipping method id.
        id: String,
    },
}

/// `merx events ...`.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List outbox events in order, after a sequence number.
    #[command(after_help = "\
Examples:
  merx events list
  merx events list --after 1200 --limit 20
  merx --json events list --type OrderPlaced,OrderStatusChanged")]
    List {
        /// Only events after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Most events to read.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// Only these event types (comma-separated).
        #[arg(long = "type", value_delimiter = ',', value_name = "TYPE")]
        kinds: Vec<String>,
    },
    /// Deliver the outbox to a signed webhook and/or the log, at least once and in order, from
    /// where each consumer's stored cursor stands (the relay `merx serve` runs with the same
    /// flags).
    #[command(after_help = "\
Each webhook request is a POST of the event JSON with merx-event-id, merx-event-type and
merx-signature (t=<unix>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">) headers. 2xx is delivered; 408,
429, 5xx and network errors are retried with backoff; other statuses drop that event. With --once,
exit code 1 when a consumer stopped on a failure (its cursor stays there for the next run).

Examples:
  merx events relay --once --log-events
  merx events relay --once --webhook-url https://hooks.example.com/merx --webhook-secret \"$SECRET\"
  MERX_WEBHOOK_URL=https://hooks.example.com/merx MERX_WEBHOOK_SECRET=... merx events relay")]
    Relay {
        #[command(flatten)]
        notifiers: NotifierOptions,
        /// One pass up to the newest event, then exit (for cron); without it, run until Ctrl-C.
        #[arg(long)]
        once: bool,
        /// Milliseconds between passes when running continuously.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
        interval_ms: u64,
    },
}
