//! Country codes: the ISO 3166-1 alpha-2 codes that are assigned to a country or territory.
//!
//! Tax rates, shipping destinations and addresses all match on this one normalized form, so a
//! code that names no country (`ZZ`, `XX`, the withdrawn `AN`) would be stored, match nothing and
//! silently price an order without tax or shipping. The codes that are only reserved (`EU`, `UK`,
//! `EL`) or left for private use (`XK` and the other `X?`, `AA`, `QM`-`QZ`, `ZZ`) are refused too:
//! no carrier or tax authority addresses by them consistently.
//!
//! The assigned set is a sorted table searched by bisection rather than a crate. The crates that
//! carry it were each unsuitable here: `celes` needs a newer Rust than this workspace builds with,
//! `rust_iso3166` brings `phf` and, on wasm32, `wasm-bindgen` and `js-sys` into a core that must
//! stay free of them, `iso3166` lacks Antarctica (`AQ`), and `isocountry` pulls a second major version of
//! `thiserror` and a mandatory `serde` for one lookup. The set is small (249 codes) and has not gained a
//! code since `SS` in 2011; a change would be one line here.

use crate::error::{Error, Result};

/// Every assigned ISO 3166-1 alpha-2 code, sorted.
pub const ASSIGNED_ALPHA2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` (exactly, uppercase) is an assigned ISO 3166-1 alpha-2 code.
pub fn is_assigned(code: &str) -> bool {
    ASSIGNED_ALPHA2.binary_search(&code).is_ok()
}

/// Trims and uppercases a country code and checks that it is an assigned ISO 3166-1 alpha-2 code.
pub fn normalize_country(country: &str) -> Result<String> {
    let code = country.trim().to_ascii_uppercase();
    if is_assigned(&code) {
        Ok(code)
    } else {
        Err(Error::validation(
            "country",
            format!(
                "`{}` is not an ISO-3166 alpha-2 country code",
                country.escape_debug()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_two_uppercase_letters() {
        assert!(ASSIGNED_ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert!(ASSIGNED_ALPHA2
            .iter()
            .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn assigned_codes_pass_normalized_and_the_rest_are_refused() {
        assert_eq!(normalize_country(" de ").unwrap(), "DE");
        for code in ["US", "GB", "AQ", "SS", "AX", "ZW", "AD"] {
            assert_eq!(normalize_country(code).unwrap(), code);
        }
        for bad in [
            "ZZ", "XX", "XK", "UK", "EU", "AN", "AA", "QZ", "", "D", "DEU", "D\0", "Ü",
        ] {
            assert!(
                matches!(normalize_country(bad), Err(Error::Validation { ref field, .. }) if field == "country"),
                "{bad:?} passed"
            );
        }
    }
}
