//! Money: exact decimal amounts tagged with an ISO-4217 currency.
//!
//! Every amount is a [`rust_decimal::Decimal`]; floats never touch money. A currency carries its
//! ISO-4217 minor units (USD 2, JPY 0, KWD 3) and rounding always goes to those minor units, at the
//! points the pricing module names. Arithmetic across currencies is an error, not a conversion.
//!
//! [`allocate`] spreads an amount over weights with the largest-remainder method in integer minor
//! units, so the parts always sum exactly to the whole: the remainder units go to the largest
//! fractional shares, ties broken by the larger weight and then the earlier position.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

macro_rules! currencies {
    ($( $variant:ident = ($code:literal, $numeric:literal, $minor:literal, $name:literal) ),+ $(,)?) => {
        /// An ISO-4217 currency with its minor units.
        ///
        /// Serialized as its three-letter code (`"USD"`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Currency {
            $(
                #[doc = $name]
                $variant,
            )+
        }

        impl Currency {
            /// Every supported currency, in code order.
            pub const ALL: &'static [Currency] = &[$(Currency::$variant),+];

            /// The three-letter ISO-4217 code.
            pub const fn code(self) -> &'static str {
                match self { $(Currency::$variant => $code,)+ }
            }

            /// The ISO-4217 numeric code.
            pub const fn numeric_code(self) -> u16 {
                match self { $(Currency::$variant => $numeric,)+ }
            }

            /// Number of decimal places of the minor unit (USD 2, JPY 0, KWD 3).
            pub const fn minor_units(self) -> u32 {
                match self { $(Currency::$variant => $minor,)+ }
            }

            /// English name of the currency.
            pub const fn name(self) -> &'static str {
                match self { $(Currency::$variant => $name,)+ }
            }

            /// Looks a currency up by its code, ignoring ASCII case.
            pub fn from_code(code: &str) -> Result<Currency> {
                let upper = code.trim().to_ascii_uppercase();
                match upper.as_str() {
                    $($code => Ok(Currency::$variant),)+
                    _ => Err(Error::UnknownCurrency(code.to_string())),
                }
            }
        }
    };
}

currencies! {
    Aed = ("AED", 784, 2, "UAE Dirham"),
    Aud = ("AUD", 36, 2, "Australian Dollar"),
    Bhd = ("BHD", 48, 3, "Bahraini Dinar"),
    Brl = ("BRL", 986, 2, "Brazilian Real"),
    Cad = ("CAD", 124, 2, "Canadian Dollar"),
    Chf = ("CHF", 756, 2, "Swiss Franc"),
    Clp = ("CLP", 152, 0, "Chilean Peso"),
    Cny = ("CNY", 156, 2, "Yuan Renminbi"),
    Czk = ("CZK", 203, 2, "Czech Koruna"),
    Dkk = ("DKK", 208, 2, "Danish Krone"),
    Eur = ("EUR", 978, 2, "Euro"),
    Gbp = ("GBP", 826, 2, "Pound Sterling"),
    Hkd = ("HKD", 344, 2, "Hong Kong Dollar"),
    Huf = ("HUF", 348, 2, "Forint"),
    Idr = ("IDR", 360, 2, "Rupiah"),
    Ils = ("ILS", 376, 2, "New Israeli Sheqel"),
    Inr = ("INR", 356, 2, "Indian Rupee"),
    Isk = ("ISK", 352, 0, "Iceland Krona"),
    Jod = ("JOD", 400, 3, "Jordanian Dinar"),
    Jpy = ("JPY", 392, 0, "Yen"),
    Krw = ("KRW", 410, 0, "Won"),
    Kwd = ("KWD", 414, 3, "Kuwaiti Dinar"),
    Mxn = ("MXN", 484, 2, "Mexican Peso"),
    Myr = ("MYR", 458, 2, "Malaysian Ringgit"),
    Nok = ("NOK", 578, 2, "Norwegian Krone"),
    Nzd = ("NZD", 554, 2, "New Zealand Dollar"),
    Omr = ("OMR", 512, 3, "Rial Omani"),
    Php = ("PHP", 608, 2, "Philippine Peso"),
    Pln = ("PLN", 985, 2, "Zloty"),
    Ron = ("RON", 946, 2, "Romanian Leu"),
    Sar = ("SAR", 682, 2, "Saudi Riyal"),
    Sek = ("SEK", 752, 2, "Swedish Krona"),
    Sgd = ("SGD", 702, 2, "Singapore Dollar"),
    Thb = ("THB", 764, 2, "Baht"),
    Tnd = ("TND", 788, 3, "Tunisian Dinar"),
    Try = ("TRY", 949, 2, "Turkish Lira"),
    Twd = ("TWD", 901, 2, "New Taiwan Dollar"),
    Usd = ("USD", 840, 2, "US Dollar"),
    Vnd = ("VND", 704, 0, "Dong"),
    Zar = ("ZAR", 710, 2, "Rand"),
}

impl Currency {
    /// One minor unit as a decimal (0.01 for USD, 1 for JPY, 0.001 for KWD).
    pub fn minor_unit(self) -> Decimal {
        Decimal::new(1, self.minor_units())
    }

    /// Rounds `amount` to this currency's minor units with `mode`.
    #[inline]
    pub fn round(self, amount: Decimal, mode: RoundingMode) -> Decimal {
        // Amounts already within the minor units (most of them) only need their scale set;
        // skipping the rounding call is a third of pricing's Decimal work.
        let mut r = if amount.scale() <= self.minor_units() {
            amount
        } else {
            amount.round_dp_with_strategy(self.minor_units(), mode.strategy())
        };
        // Keep a stable scale so "10" and "10.00" serialize the same way for one currency.
        r.rescale(self.minor_units());
        r
    }

    /// Whether `amount` has no digits beyond this currency's minor units.
    pub fn is_exact(self, amount: Decimal) -> bool {
        amount.scale() <= self.minor_units() || amount.normalize().scale() <= self.minor_units()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct CodeVisitor;
        impl serde::de::Visitor<'_> for CodeVisitor {
            type Value = Currency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO-4217 currency code such as \"USD\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Currency, E> {
                Currency::from_code(v).map_err(|_| E::custom(format!("unknown currency `{v}`")))
            }
        }
        d.deserialize_str(CodeVisitor)
    }
}

// Hand-written because the wire form is the ISO code from the table, not a serde derive.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ISO-4217 currency code"))
            .enum_values(Some(Currency::ALL.iter().map(|c| c.code())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {}

/// How an amount is brought to a currency's minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Half away from zero: 0.125 -> 0.13 (the usual commercial rounding).
    #[default]
    HalfUp,
    /// Half to even ("banker's rounding"): 0.125 -> 0.12, 0.135 -> 0.14.
    HalfEven,
    /// Truncation toward zero: 0.129 -> 0.12 (common for Japanese consumption tax).
    Down,
}

impl RoundingMode {
    /// Every mode.
    pub const ALL: [RoundingMode; 3] = [
        RoundingMode::HalfUp,
        RoundingMode::HalfEven,
        RoundingMode::Down,
    ];

    /// The rust_decimal strategy implementing this mode.
    pub const fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::Down => RoundingStrategy::ToZero,
        }
    }
}

/// An exact amount in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount; may carry more decimals than the currency until it is rounded.
    pub amount: Decimal,
    /// The currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// Money of `amount` in `currency`, kept exactly as given.
    pub const fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// Money from an integer count of minor units (cents, yen, fils).
    pub fn from_minor(units: i64, currency: Currency) -> Money {
        Money::new(Decimal::new(units, currency.minor_units()), currency)
    }

    /// Parses a decimal string such as `"12.30"`.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money> {
        let amount = Decimal::from_str_exact(amount.trim()).map_err(|e| Error::Validation {
            field: "amount".into(),
            message: format!("`{amount}` is not a decimal amount: {e}"),
        })?;
        Ok(Money::new(amount, currency))
    }

    /// The amount in integer minor units; an error if it is not rounded to them or too large.
    pub fn to_minor(&self) -> Result<i64> {
        if !self.currency.is_exact(self.amount) {
            return Err(Error::Validation {
                field: "amount".into(),
                message: format!(
                    "{} has more decimals than {} allows ({})",
                    self.amount,
                    self.currency,
                    self.currency.minor_units()
                ),
            });
        }
        let scaled = self.amount * Decimal::from(10i64.pow(self.currency.minor_units()));
        i64::try_from(scaled).map_err(|_| Error::Overflow)
    }

    /// This amount rounded to the currency's minor units.
    pub fn round(self, mode: RoundingMode) -> Money {
        Money::new(self.currency.round(self.amount, mode), self.currency)
    }

    /// Whether the amount is already in whole minor units.
    pub fn is_rounded(&self) -> bool {
        self.currency.is_exact(self.amount)
    }

    fn same_currency(&self, other: &Money) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::CurrencyMismatch {
                expected: self.currency,
                found: other.currency,
            })
        }
    }

    /// `self + other`; an error across currencies or on overflow.
    pub fn checked_add(self, other: Money) -> Result<Money> {
        self.same_currency(&other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(Error::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self - other`; an error across currencies or on overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money> {
        self.same_currency(&other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(Error::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self * factor`, unrounded; an error on overflow.
    pub fn checked_mul(self, factor: Decimal) -> Result<Money> {
        let amount = self.amount.checked_mul(factor).ok_or(Error::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// Splits this money over `weights` by largest remainder; see [`allocate`].
    pub fn allocate(self, weights: &[Decimal]) -> Result<Vec<Money>> {
        let parts = allocate(self.amount, weights, self.currency)?;
        Ok(parts
            .into_iter()
            .map(|a| Money::new(a, self.currency))
            .collect())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Scale of a decimal as an integer mantissa at `scale` decimals, if it fits.
fn mantissa_at(value: Decimal, scale: u32) -> Option<i128> {
    let mut v = value;
    if v.scale() > scale {
        return None;
    }
    v.rescale(scale);
    Some(v.mantissa())
}

/// Splits `total` over `weights` so that the parts are whole minor units of `currency` and sum to
/// exactly `total` (which must itself be in whole minor units).
///
/// Each part is first the floor of its exact pro-rata share; the units left over go one each to the
/// largest fractional remainders, ties broken by the larger weight and then the earlier index. The
/// computation is in integers, so it is exact and deterministic. Weights must not be negative; when
/// they are all zero the total is spread evenly with the same tie-break.
pub fn allocate(total: Decimal, weights: &[Decimal], currency: Currency) -> Result<Vec<Decimal>> {
    let minor = currency.minor_units();
    if weights.is_empty() {
        return if total.is_zero() {
            Ok(Vec::new())
        } else {
            Err(Error::Validation {
                field: "weights".into(),
                message: "cannot allocate a non-zero amount over no weights".into(),
            })
        };
    }
    if !currency.is_exact(total) {
        return Err(Error::Validation {
            field: "total".into(),
            message: format!("{total} is not in whole minor units of {currency}"),
        });
    }
    if weights.iter().any(|w| w.is_sign_negative() && !w.is_zero()) {
        return Err(Error::Validation {
            field: "weights".into(),
            message: "allocation weights must not be negative".into(),
        });
    }
    let negative = total.is_sign_negative();
    let total_units = mantissa_at(total.abs(), minor).ok_or(Error::Overflow)?;
    let all_zero = weights.iter().all(|w| w.is_zero());
    let scale = if all_zero {
        0
    } else {
        weights.iter().map(|w| w.scale()).max().unwrap_or(0)
    };
    let int_weights: Vec<i128> = if all_zero {
        vec![1; weights.len()]
    } else {
        weights
            .iter()
            .map(|w| mantissa_at(*w, scale).ok_or(Error::Overflow))
            .collect::<Result<_>>()?
    };
    let parts = allocate_units(total_units, &int_weights)?;
    parts
        .into_iter()
        .map(|units| {
            let units = if negative { -units } else { units };
            Decimal::try_from_i128_with_scale(units, minor).map_err(|_| Error::Overflow)
        })
        .collect()
}

fn div_round_64(numerator: i64, denominator: i64, mode: RoundingMode) -> i64 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder == 0 {
        return quotient;
    }
    let away = if numerator < 0 {
        quotient - 1
    } else {
        quotient + 1
    };
    match (
        mode,
        (remainder.unsigned_abs() * 2).cmp(&denominator.unsigned_abs()),
    ) {
        (RoundingMode::Down, _) | (_, std::cmp::Ordering::Less) => quotient,
        (_, std::cmp::Ordering::Greater) | (RoundingMode::HalfUp, std::cmp::Ordering::Equal) => {
            away
        }
        (RoundingMode::HalfEven, std::cmp::Ordering::Equal) => {
            if quotient % 2 == 0 {
                quotient
            } else {
                away
            }
        }
    }
}

/// [`allocate`] over integers: splits `total` (>= 0) over non-negative `weights` so the parts sum
/// to exactly `total`. Floors of the exact shares first; the units left over go one each to the
/// largest remainders, ties broken by the larger weight and then the earlier index. All-zero
/// weights share evenly.
pub fn allocate_units(total: i128, weights: &[i128]) -> Result<Vec<i128>> {
    if weights.is_empty() {
        return if total == 0 {
            Ok(Vec::new())
        } else {
            Err(Error::validation(
                "weights",
                "cannot allocate a non-zero amount over no weights",
            ))
        };
    }
    if total < 0 || weights.iter().any(|w| *w < 0) {
        return Err(Error::validation(
            "weights",
            "allocation needs a non-negative total and weights",
        ));
    }
    let weight_sum = weights
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(*w))
        .ok_or(Error::Overflow)?;
    if weight_sum == 0 {
        return allocate_units(total, &vec![1; weights.len()]);
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut assigned: i128 = 0;
    for w in weights {
        let numerator = total.checked_mul(*w).ok_or(Error::Overflow)?;
        parts.push(numerator / weight_sum);
        remainders.push(numerator % weight_sum);
        assigned += numerator / weight_sum;
    }
    let leftover = total - assigned;
    if leftover > 0 {
        let mut order: Vec<usize> = (0..weights.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            remainders[b]
                .cmp(&remainders[a])
                .then(weights[b].cmp(&weights[a]))
                .then(a.cmp(&b))
        });
        // The leftover is below the number of weights, since each floor loses less than one unit.
        for &i in order.iter().take(leftover as usize) {
            parts[i] += 1;
        }
    }
    Ok(parts)
}

/// `numerator / denominator` rounded to an integer with `mode` (`denominator > 0`). Pricing
/// works in integer minor units with this as its one rounding step, so every rounding is exact
/// and none depends on a decimal type's internal precision.
pub fn div_round(numerator: i128, denominator: i128, mode: RoundingMode) -> i128 {
    debug_assert!(denominator > 0);
    if denominator == 1 {
        return numerator;
    }
    // Nearly every amount fits in 64 bits, where division is a single instruction rather than a
    // 128-bit library call; the result is the same.
    if let (Ok(n), Ok(d)) = (i64::try_from(numerator), i64::try_from(denominator)) {
        return i128::from(div_round_64(n, d, mode));
    }
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder == 0 {
        return quotient;
    }
    let away = if numerator < 0 {
        quotient - 1
    } else {
        quotient + 1
    };
    let twice = remainder.unsigned_abs() * 2;
    let half = twice.cmp(&denominator.unsigned_abs());
    match (mode, half) {
        (RoundingMode::Down, _) => quotient,
        (_, std::cmp::Ordering::Less) => quotient,
        (_, std::cmp::Ordering::Greater) => away,
        (RoundingMode::HalfUp, std::cmp::Ordering::Equal) => away,
        (RoundingMode::HalfEven, std::cmp::Ordering::Equal) => {
            if quotient % 2 == 0 {
                quotient
            } else {
                away
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(Currency::Usd.minor_units(), 2);
        assert_eq!(Currency::Jpy.minor_units(), 0);
        assert_eq!(Currency::Kwd.minor_units(), 3);
        assert_eq!(Currency::Bhd.minor_units(), 3);
        assert_eq!(Currency::Krw.minor_units(), 0);
        for code in [
            "USD", "EUR", "GBP", "JPY", "KWD", "CHF", "CAD", "AUD", "SEK", "INR",
        ] {
            assert_eq!(Currency::from_code(code).unwrap().code(), code);
        }
        assert_eq!(Currency::from_code("usd").unwrap(), Currency::Usd);
        assert!(matches!(
            Currency::from_code("XYZ"),
            Err(Error::UnknownCurrency(_))
        ));
    }

    #[test]
    fn rounding_modes_differ_only_at_midpoints_and_truncation() {
        let usd = Currency::Usd;
        assert_eq!(usd.round(dec!(0.125), RoundingMode::HalfUp), dec!(0.13));
        assert_eq!(usd.round(dec!(0.125), RoundingMode::HalfEven), dec!(0.12));
        assert_eq!(usd.round(dec!(0.135), RoundingMode::HalfEven), dec!(0.14));
        assert_eq!(usd.round(dec!(0.129), RoundingMode::Down), dec!(0.12));
        assert_eq!(usd.round(dec!(-0.125), RoundingMode::HalfUp), dec!(-0.13));
        assert_eq!(
            Currency::Jpy.round(dec!(99.5), RoundingMode::HalfUp),
            dec!(100)
        );
        assert_eq!(
            Currency::Kwd.round(dec!(1.2345), RoundingMode::HalfUp),
            dec!(1.235)
        );
        assert_eq!(
            usd.round(dec!(10), RoundingMode::HalfUp).to_string(),
            "10.00"
        );
    }

    #[test]
    fn cross_currency_arithmetic_is_an_error() {
        let a = Money::new(dec!(1.00), Currency::Usd);
        let b = Money::new(dec!(1.00), Currency::Eur);
        assert!(matches!(
            a.checked_add(b),
            Err(Error::CurrencyMismatch { .. })
        ));
        assert!(matches!(
            a.checked_sub(b),
            Err(Error::CurrencyMismatch { .. })
        ));
        assert_eq!(a.checked_add(a).unwrap().amount, dec!(2.00));
    }

    #[test]
    fn minor_unit_conversion_round_trips() {
        let m = Money::from_minor(1234, Currency::Usd);
        assert_eq!(m.amount, dec!(12.34));
        assert_eq!(m.to_minor().unwrap(), 1234);
        assert_eq!(Money::from_minor(1234, Currency::Kwd).amount, dec!(1.234));
        assert!(Money::new(dec!(1.234), Currency::Usd).to_minor().is_err());
    }

    #[test]
    fn allocation_sums_exactly_with_documented_tie_break() {
        // 10.00 over three equal weights: 3.34, 3.33, 3.33 (the earlier line takes the extra cent).
        let parts = allocate(dec!(10.00), &[dec!(1), dec!(1), dec!(1)], Currency::Usd).unwrap();
        assert_eq!(parts, vec![dec!(3.34), dec!(3.33), dec!(3.33)]);
        // Equal remainders: the larger weight wins before the earlier position.
        let parts = allocate(dec!(0.01), &[dec!(1), dec!(3)], Currency::Usd).unwrap();
        assert_eq!(parts, vec![dec!(0.00), dec!(0.01)]);
        // JPY has no minor units.
        let parts = allocate(dec!(100), &[dec!(1), dec!(1), dec!(1)], Currency::Jpy).unwrap();
        assert_eq!(parts, vec![dec!(34), dec!(33), dec!(33)]);
        // KWD has three.
        let parts = allocate(dec!(1.000), &[dec!(2), dec!(1)], Currency::Kwd).unwrap();
        assert_eq!(parts, vec![dec!(0.667), dec!(0.333)]);
        let parts = allocate(dec!(-1.00), &[dec!(1), dec!(2)], Currency::Usd).unwrap();
        assert_eq!(parts.iter().sum::<Decimal>(), dec!(-1.00));
        let zero_weights = allocate(dec!(0.05), &[dec!(0), dec!(0)], Currency::Usd).unwrap();
        assert_eq!(zero_weights, vec![dec!(0.03), dec!(0.02)]);
    }

    #[test]
    fn allocation_rejects_unrounded_totals_and_negative_weights() {
        assert!(allocate(dec!(1.001), &[dec!(1)], Currency::Usd).is_err());
        assert!(allocate(dec!(1.00), &[dec!(-1), dec!(2)], Currency::Usd).is_err());
        assert!(allocate(dec!(1.00), &[], Currency::Usd).is_err());
    }

    #[test]
    fn currency_serializes_as_code() {
        assert_eq!(serde_json::to_string(&Currency::Kwd).unwrap(), "\"KWD\"");
        let m: Money = serde_json::from_str(r#"{"amount":"1.50","currency":"EUR"}"#).unwrap();
        assert_eq!(m, Money::new(dec!(1.50), Currency::Eur));
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }

    #[test]
    fn integer_rounding_matches_each_mode() {
        use RoundingMode::*;
        let cases = [
            (25, 10, HalfUp, 3),
            (25, 10, HalfEven, 2),
            (35, 10, HalfEven, 4),
            (29, 10, Down, 2),
            (-25, 10, HalfUp, -3),
            (-25, 10, HalfEven, -2),
            (-29, 10, Down, -2),
            (24, 10, HalfUp, 2),
            (26, 10, HalfEven, 3),
            (30, 10, HalfEven, 3),
        ];
        for (n, d, mode, want) in cases {
            assert_eq!(div_round(n, d, mode), want, "{n}/{d} {mode:?}");
        }
    }

    #[test]
    fn integer_allocation_spreads_leftovers_by_remainder_then_weight() {
        assert_eq!(allocate_units(10, &[1, 1, 1]).unwrap(), vec![4, 3, 3]);
        assert_eq!(allocate_units(5, &[0, 0]).unwrap(), vec![3, 2]);
        assert_eq!(
            allocate_units(100, &[5397, 499, 693])
                .unwrap()
                .iter()
                .sum::<i128>(),
            100
        );
        assert!(allocate_units(1, &[]).is_err());
        assert!(allocate_units(-1, &[1]).is_err());
    }
}
