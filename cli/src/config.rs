//! The configuration file, and showing the effective configuration.
//!
//! A TOML file (`--config PATH` or `MERX_CONFIG`) holds the same settings as the `MERX_*`
//! variables, keyed by the variable's name in lowercase without the prefix (`MERX_RATE_LIMIT`:
//! `rate_limit = 20`). Precedence is flag, then environment variable, then file, then the
//! built-in default. clap already ranks flag over variable over default, so the file's values are
//! installed as the defaults of the matching arguments before parsing: the file takes its place
//! between the variables and the built-in defaults with no second merge to keep in step, and
//! clap validates file values exactly as it validates flags. The keys are derived from the
//! argument definitions themselves, so a new server flag is a file key at once; a key that
//! matches none is an error, so a typo never silently does nothing.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, Command};
use merx_server::serve::ServeOptions;
use serde::Serialize;

use crate::cli::DemoAdminArgs;
use crate::error::{CliError, Result};
use crate::output;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "MERX_CONFIG";

/// A configuration file as read.
#[derive(Debug)]
pub struct ConfigFile {
    path: PathBuf,
    values: toml::Table,
}

/// Every argument that is a setting: the global `--database-url`, the server's flags (with the
/// relay's) and the demo admin, each of which has a `MERX_*` variable.
fn settings() -> Vec<clap::Arg> {
    let command = ServeOptions::augment_args(DemoAdminArgs::augment_args(Command::new("merx")));
    let global = <crate::cli::Cli as clap::CommandFactory>::command();
    global
        .get_arguments()
        .filter(|arg| arg.get_id() == "database_url")
        .chain(command.get_arguments())
        .filter(|arg| arg.get_env().is_some())
        .cloned()
        .collect()
}

/// The file the command line (`--config PATH`, `--config=PATH`) or `MERX_CONFIG` names, if any.
pub fn file_named(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if text == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

impl ConfigFile {
    /// Reads and parses `path`; an unreadable file, bad TOML or an unknown key is bad input.
    pub fn read(path: &Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::Input(format!("cannot read config file `{}`: {e}", path.display()))
        })?;
        let values: toml::Table = toml::from_str(&text).map_err(|e| {
            CliError::Input(format!(
                "config file `{}` is not valid TOML: {}",
                path.display(),
                e.message()
            ))
        })?;
        let known: BTreeSet<String> = settings()
            .iter()
            .map(|arg| arg.get_id().to_string())
            .collect();
        if let Some(unknown) = values.keys().find(|key| !known.contains(*key)) {
            return Err(CliError::Input(format!(
                "config file `{}`: unknown key `{unknown}` (the keys are {})",
                path.display(),
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(ConfigFile {
            path: path.to_path_buf(),
            values,
        })
    }

    /// `command` with the file's values as the defaults of the matching arguments, in every
    /// subcommand that has them.
    pub fn apply(&self, command: Command) -> Result<Command> {
        let mut defaults = Vec::new();
        for (key, value) in &self.values {
            let texts = match value {
                toml::Value::Array(items) => items
                    .iter()
                    .map(|item| self.scalar(key, item))
                    .collect::<Result<Vec<_>>>()?,
                other => vec![self.scalar(key, other)?],
            };
            defaults.push((key.clone(), texts));
        }
        Ok(with_defaults(command, &defaults))
    }

    fn scalar(&self, key: &str, value: &toml::Value) -> Result<String> {
        match value {
            toml::Value::String(text) => Ok(text.clone()),
            toml::Value::Integer(n) => Ok(n.to_string()),
            toml::Value::Float(x) => Ok(x.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            _ => Err(CliError::Input(format!(
                "config file `{}`: `{key}` must be a string, a number, a boolean or a list of them",
                self.path.display()
            ))),
        }
    }

    fn sets(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }
}

fn with_defaults(mut command: Command, defaults: &[(String, Vec<String>)]) -> Command {
    for (key, texts) in defaults {
        let present = command.get_arguments().any(|arg| arg.get_id() == key);
        if present {
            command = command.mut_arg(key, |arg| {
                let many = matches!(arg.get_action(), ArgAction::Append);
                if many {
                    arg.default_values(texts.clone())
                } else {
                    arg.default_value(texts.join(","))
                }
            });
        }
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| with_defaults(sub, defaults));
    }
    command
}

/// One setting as `merx config show` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Setting {
    key: String,
    /// `None` when unset; a list for repeatable settings.
    value: Option<serde_json::Value>,
    /// `flag`, `env MERX_...`, `file`, or `default`.
    source: String,
}

/// `merx config show`: every setting's effective value and where it came from, secrets
/// redacted. `matches` are those of `config show`, which takes every setting as a flag.
pub fn show(matches: &ArgMatches, file: Option<&ConfigFile>, json: bool) -> Result<()> {
    let mut shown = Vec::new();
    for arg in settings() {
        let key = arg.get_id().as_str();
        let env = arg
            .get_env()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw: Option<Vec<String>> = matches
            .get_raw(key)
            .map(|values| values.map(|v| v.to_string_lossy().into_owned()).collect());
        let source = match matches.value_source(key) {
            Some(ValueSource::CommandLine) => "flag".to_string(),
            Some(ValueSource::EnvVariable) => format!("env {env}"),
            Some(ValueSource::DefaultValue) if file.is_some_and(|f| f.sets(key)) => {
                "file".to_string()
            }
            _ => "default".to_string(),
        };
        let secret = arg.is_hide_env_values_set();
        let value = raw.map(|values| {
            let values: Vec<String> = values
                .into_iter()
                .map(|v: String| {
                    if secret {
                        "[redacted]".to_string()
                    } else {
                        redact_url(&v)
                    }
                })
                .collect();
            if matches!(arg.get_action(), ArgAction::Append) {
                serde_json::json!(values)
            } else {
                serde_json::json!(values.join(","))
            }
        });
        shown.push(Setting {
            key: key.to_string(),
            value,
            source,
        });
    }
    if json {
        return output::print_json(&shown);
    }
    match file {
        Some(file) => println!(
            "# effective configuration: flag > MERX_* variable > {} > default; secrets redacted",
            file.path.display()
        ),
        None => println!(
            "# effective configuration: flag > MERX_* variable > default (no --config or \
             {CONFIG_ENV}); secrets redacted"
        ),
    }
    for setting in shown {
        match setting.value {
            Some(value) => {
                let value = toml_value(&value);
                println!("{} = {value}  # {}", setting.key, setting.source);
            }
            None => println!("# {} is not set", setting.key),
        }
    }
    Ok(())
}

/// A shown value as TOML, so the output can be saved as a configuration file.
fn toml_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => toml::Value::Array(
            items
                .iter()
                .map(|v| toml::Value::String(v.as_str().unwrap_or_default().to_string()))
                .collect(),
        )
        .to_string(),
        other => toml::Value::String(other.as_str().unwrap_or_default().to_string()).to_string(),
    }
}

/// `url` with its password (if any) replaced by `***`, for messages and `merx config show`.
/// Text that is not a URL is returned unchanged.
pub fn redact_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have credentials, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://merx:hunter2@db.internal:5432/shop"),
            "postgres://merx:***@db.internal:5432/shop"
        );
        assert_eq!(
            redact_url("postgres://merx@db.internal/shop"),
            "postgres://merx@db.internal/shop"
        );
        assert_eq!(redact_url("sqlite://./merx.db"), "sqlite://./merx.db");
        assert_eq!(redact_url("memory:"), "memory:");
    }

    #[test]
    fn the_config_file_is_named_by_flag_before_the_environment() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            file_named(&args(&["merx", "--config", "a.toml", "serve"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            file_named(&args(&["merx", "serve", "--config=b.toml"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
