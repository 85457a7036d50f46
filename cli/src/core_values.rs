//! Command-line values of the core's enums (statuses, rounding and tax modes), parsed with the
//! core's own serde names instead of a clap copy of each enum, so a value the core adds is offered
//! and accepted here without a second list to keep in step.
//!
//! The command line has always spelled multi-word values with hyphens (`per-rate`, `half-even`)
//! while the wire uses serde's underscores (`per_rate`): the hyphenated form is shown in `--help`
//! and printed by the commands, and both are accepted.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The serde name of `value` (`per_rate`).
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => panic!("a core enum serializes to a string, not {other:?}"),
    }
}

/// How the command line shows `value` (`per-rate`).
pub fn cli_name<T: Serialize>(value: &T) -> String {
    wire_name(value).replace('_', "-")
}

/// A clap value parser for the core enum values `values` (usually the enum's `ALL`): `--help`
/// lists them, and a value is parsed by the core's serde `Deserialize`.
pub fn core_values<T>(values: &[T]) -> impl TypedValueParser<Value = T>
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    let possible = values.iter().map(|value| {
        let wire = wire_name(value);
        let shown = wire.replace('_', "-");
        if shown == wire {
            PossibleValue::new(shown)
        } else {
            PossibleValue::new(shown).alias(wire)
        }
    });
    PossibleValuesParser::new(possible).map(|given: String| {
        serde_json::from_value(serde_json::Value::String(given.replace('-', "_")))
            .expect("clap admits only names listed from the core's values")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use merx_core::tax::TaxCalculation;

    #[test]
    fn names_come_from_serde_and_both_spellings_parse() {
        assert_eq!(cli_name(&TaxCalculation::PerRate), "per-rate");
        let parser = core_values(&TaxCalculation::ALL);
        let shown: Vec<String> = parser
            .possible_values()
            .unwrap()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(shown, ["per-line", "per-rate"]);
        let command = clap::Command::new("t");
        for given in ["per-rate", "per_rate"] {
            let parsed = parser
                .parse_ref(&command, None, std::ffi::OsStr::new(given))
                .unwrap();
            assert_eq!(parsed, TaxCalculation::PerRate);
        }
        assert!(parser
            .parse_ref(&command, None, std::ffi::OsStr::new("per-order"))
            .is_err());
    }
}
