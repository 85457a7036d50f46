//! `merx price`: the pricing contract offline, the same function the server and WASM call.

use std::io::Read;
use std::path::Path;

use merx_core::pricing::PricingRequest;

use crate::error::{CliError, Result};
use crate::output;

/// Reads `path` (or stdin for `-`) as text; an unreadable file is bad input.
pub fn read_input(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Input(format!("cannot read stdin: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("cannot read `{}`: {e}", path.display())))
}

/// Prices the request in `path` and prints the priced cart JSON.
pub fn price(path: &Path) -> Result<()> {
    let request: PricingRequest = super::read_json(path, "a pricing request")?;
    let priced = request.price(chrono::Utc::now())?;
    output::print_json(&priced)
}
