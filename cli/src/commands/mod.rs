//! One module per command group; [`run`] dispatches.

mod admin;
mod events;
mod orders;
mod price;
mod products;
mod recs;
pub(crate) mod serve;
mod settings;
mod stock;
mod transfer;
mod users;

use std::sync::Arc;

use merx_core::clock::{Clock, SystemClock};
use merx_core::store::Store;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::error::{CliError, Result};

/// What every store command works with.
pub struct Context {
    /// The `--database-url` the store was opened from (derived files are kept beside it).
    pub database_url: String,
    /// The open store.
    pub store: Arc<dyn Store>,
    /// The system clock.
    pub clock: Arc<dyn Clock>,
    /// Print JSON instead of tables.
    pub json: bool,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

impl Context {
    async fn open(cli: &Cli) -> Result<Context> {
        Ok(Context {
            database_url: cli.database_url.clone(),
            store: crate::store::open(&cli.database_url).await?,
            clock: Arc::new(SystemClock),
            json: cli.json,
        })
    }
}

/// Parses an id argument (`ProductId`, `OrderId`, ...); a malformed id is bad input.
pub fn parse_id<T>(text: &str) -> Result<T>
where
    T: std::str::FromStr<Err = merx_core::Error>,
{
    text.parse::<T>().map_err(CliError::from)
}

/// The store page a listing's `--limit` with `--page` or `--offset` asks for.
pub fn page(window: &crate::cli::Window) -> Result<merx_core::store::Page> {
    let offset = match window.page {
        Some(page) => (page - 1)
            .checked_mul(window.limit)
            .ok_or_else(|| CliError::Input(format!("--page {page} is too far")))?,
        None => window.offset,
    };
    Ok(merx_core::store::Page {
        offset,
        limit: window.limit,
    })
}

/// The account a command names by user id or by email (`ann@example.com`), as everywhere the
/// command line takes a user.
pub async fn resolve_user(ctx: &Context, key: &str) -> Result<merx_core::ids::UserId> {
    let key = key.trim();
    if key.contains('@') {
        Ok(ctx.store.find_user_by_email(key).await?.id)
    } else {
        parse_id(key)
    }
}

/// Reads `path` (or stdin for `-`) as the JSON of `what` ("a promotion"); an unreadable file or
/// JSON of another shape is bad input, named in the message.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path, what: &str) -> Result<T> {
    let text = price::read_input(path)?;
    let name = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        format!("`{}`", path.display())
    };
    serde_json::from_str(&text).map_err(|e| {
        let message = format!("{name} is not {what}: {e}");
        // The core's rule (`merx_core::Error::from_json`): unreadable text is malformed, JSON of
        // the wrong shape breaks a rule.
        if e.is_data() {
            CliError::Input(message)
        } else {
            CliError::Malformed(message)
        }
    })
}

/// Runs the parsed command line (`matches` and the configuration `file` it was parsed with are
/// for `config show`, which reports where each setting came from).
pub async fn run(
    cli: Cli,
    matches: &clap::ArgMatches,
    file: Option<&crate::config::ConfigFile>,
) -> Result<()> {
    match &cli.command {
        Command::Config(ConfigCommand::Show(_)) => {
            let show = matches
                .subcommand_matches("config")
                .and_then(|config| config.subcommand_matches("show"))
                .unwrap_or(matches);
            crate::config::show(show, file, cli.json)
        }
        Command::Serve(args) => serve::serve(&cli.database_url, args).await,
        Command::Migrate => admin::migrate(&cli.database_url, cli.json).await,
        Command::Price { file } => price::price(file),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "merx", &mut std::io::stdout());
            Ok(())
        }
        Command::Demo(command) => admin::demo(&Context::open(&cli).await?, command).await,
        Command::Products(command) => products::run(&Context::open(&cli).await?, command).await,
        Command::Orders(command) => orders::run(&Context::open(&cli).await?, command).await,
        Command::Users(command) => users::run(&Context::open(&cli).await?, command).await,
        Command::Promotions(command) => {
            settings::promotions(&Context::open(&cli).await?, command).await
        }
        Command::Taxes(command) => settings::taxes(&Context::open(&cli).await?, command).await,
        Command::Shipping(command) => {
            settings::shipping(&Context::open(&cli).await?, command).await
        }
        Command::Events(command) => events::run(&Context::open(&cli).await?, command).await,
        Command::Stock(command) => stock::run(&Context::open(&cli).await?, command).await,
        Command::Recs(command) => recs::run(&Context::open(&cli).await?, command).await,
    }
}
