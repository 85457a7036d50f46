//! Shipping addresses for the demo customers, generated from the history's seed: a recipient,
//! street and number, city, region where the country uses one, and a postcode in the country's
//! own format, in the countries the demo's shipping methods serve (the United States by
//! Standard and Express; Canada, the United Kingdom, Germany and France by International).
//!
//! The places are real cities with postcodes of the right shape for them, so an order page,
//! a packing slip or a tax report built on the demo looks like one from a real shop; the street
//! names are common ones, and the numbers are random, so no address is anyone's.

use merx_core::cart::Address;
use merx_core::recommend::data::SeededRng;

/// A city: name, region code (for countries whose tax or post uses one) and the start of its
/// postcodes.
type City = (&'static str, Option<&'static str>, &'static str);

/// Where customers live, with how many in a hundred live there.
const COUNTRIES: [(&str, u32); 5] = [("US", 76), ("CA", 7), ("GB", 7), ("DE", 6), ("FR", 4)];

const US_CITIES: [City; 16] = [
    ("San Francisco", Some("CA"), "941"),
    ("Los Angeles", Some("CA"), "900"),
    ("San Diego", Some("CA"), "921"),
    ("Oakland", Some("CA"), "946"),
    ("Portland", Some("OR"), "972"),
    ("Seattle", Some("WA"), "981"),
    ("Austin", Some("TX"), "787"),
    ("Denver", Some("CO"), "802"),
    ("Chicago", Some("IL"), "606"),
    ("Minneapolis", Some("MN"), "554"),
    ("Brooklyn", Some("NY"), "112"),
    ("Boston", Some("MA"), "021"),
    ("Philadelphia", Some("PA"), "191"),
    ("Atlanta", Some("GA"), "303"),
    ("Asheville", Some("NC"), "288"),
    ("Madison", Some("WI"), "537"),
];
const CA_CITIES: [City; 5] = [
    ("Toronto", Some("ON"), "M5V"),
    ("Vancouver", Some("BC"), "V6B"),
    ("Montréal", Some("QC"), "H2X"),
    ("Calgary", Some("AB"), "T2P"),
    ("Halifax", Some("NS"), "B3H"),
];
const GB_CITIES: [City; 5] = [
    ("London", None, "N1"),
    ("Manchester", None, "M4"),
    ("Edinburgh", None, "EH6"),
    ("Bristol", None, "BS1"),
    ("Leeds", None, "LS6"),
];
const DE_CITIES: [City; 6] = [
    ("Berlin", None, "10"),
    ("Hamburg", None, "20"),
    ("München", None, "80"),
    ("Köln", None, "50"),
    ("Leipzig", None, "04"),
    ("Freiburg im Breisgau", None, "79"),
];
const FR_CITIES: [City; 5] = [
    ("Paris", None, "75"),
    ("Lyon", None, "69"),
    ("Marseille", None, "13"),
    ("Bordeaux", None, "33"),
    ("Nantes", None, "44"),
];

const ENGLISH_STREETS: [&str; 16] = [
    "Maple",
    "Oak",
    "Cedar",
    "Elm",
    "Hillcrest",
    "Lake",
    "Park",
    "Washington",
    "Highland",
    "Church",
    "Mill",
    "River",
    "Sunset",
    "Willow",
    "Station",
    "Victoria",
];
const ENGLISH_SUFFIXES: [&str; 6] = ["Street", "Avenue", "Road", "Lane", "Drive", "Way"];
const GERMAN_STREETS: [&str; 10] = [
    "Linden", "Garten", "Berg", "Schiller", "Goethe", "Bahnhof", "Kirch", "Wald", "Rosen", "Mozart",
];
const GERMAN_SUFFIXES: [&str; 3] = ["straße", "weg", "allee"];
const FRENCH_STREETS: [&str; 10] = [
    "rue des Lilas",
    "rue de la République",
    "avenue Victor Hugo",
    "rue du Moulin",
    "boulevard Voltaire",
    "rue des Écoles",
    "rue Pasteur",
    "place du Marché",
    "rue de la Paix",
    "allée des Tilleuls",
];
/// Letters British postcodes use in the inward code (never C, I, K, M, O or V).
const GB_INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
/// Letters Canadian postcodes use (never D, F, I, O, Q or U).
const CA_LETTERS: &[u8] = b"ABCEGHJKLMNPRSTVWXYZ";

fn pick<T: Copy>(rng: &mut SeededRng, items: &[T]) -> T {
    items[rng.below(items.len())]
}

fn digits(rng: &mut SeededRng, count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn letter(rng: &mut SeededRng, letters: &[u8]) -> char {
    char::from(letters[rng.below(letters.len())])
}

/// A customer's home address, for `name`.
pub(super) fn home_address(name: &str, rng: &mut SeededRng) -> Address {
    let total: u32 = COUNTRIES.iter().map(|(_, weight)| weight).sum();
    let mut point = rng.below(total as usize) as u32;
    let country = COUNTRIES
        .iter()
        .find(|(_, weight)| {
            let inside = point < *weight;
            point = point.saturating_sub(*weight);
            inside
        })
        .map_or("US", |(code, _)| code);
    let cities: &[City] = match country {
        "CA" => &CA_CITIES,
        "GB" => &GB_CITIES,
        "DE" => &DE_CITIES,
        "FR" => &FR_CITIES,
        _ => &US_CITIES,
    };
    let (city, region, postcode_start) = pick(rng, cities);
    let number = 1 + rng.below(if country == "US" { 2400 } else { 180 });
    let line1 = match country {
        "DE" => format!(
            "{}{} {number}",
            pick(rng, &GERMAN_STREETS),
            pick(rng, &GERMAN_SUFFIXES)
        ),
        "FR" => format!("{number} {}", pick(rng, &FRENCH_STREETS)),
        _ => format!(
            "{number} {} {}",
            pick(rng, &ENGLISH_STREETS),
            pick(rng, &ENGLISH_SUFFIXES)
        ),
    };
    let postal_code = match country {
        "GB" => format!(
            "{postcode_start} {}{}{}",
            digits(rng, 1),
            letter(rng, GB_INWARD_LETTERS),
            letter(rng, GB_INWARD_LETTERS)
        ),
        "CA" => format!(
            "{postcode_start} {}{}{}",
            digits(rng, 1),
            letter(rng, CA_LETTERS),
            digits(rng, 1)
        ),
        // Five digits: the city's start, filled up at random.
        _ => format!("{postcode_start}{}", digits(rng, 5 - postcode_start.len())),
    };
    // About one American in six lives in an apartment with a unit number on the label.
    let line2 =
        (country == "US" && rng.below(6) == 0).then(|| format!("Apt {}", 1 + rng.below(40)));
    Address {
        name: name.to_string(),
        line1,
        line2,
        city: city.to_string(),
        region: region.map(str::to_string),
        postal_code,
        country: country.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_complete_and_repeat_for_a_seed() {
        let mut rng = SeededRng::new(7);
        let mut again = SeededRng::new(7);
        let mut countries = std::collections::BTreeSet::new();
        for n in 0..400 {
            let mut address = home_address("Ada Park", &mut rng);
            assert_eq!(address, home_address("Ada Park", &mut again), "{n}");
            assert!(!address.line1.is_empty() && !address.city.is_empty());
            assert!(address.postal_code.len() >= 5, "{address:?}");
            assert_eq!(
                address.region.is_some(),
                matches!(address.country.as_str(), "US" | "CA")
            );
            address.validate().unwrap();
            countries.insert(address.country);
        }
        assert_eq!(countries.len(), COUNTRIES.len(), "{countries:?}");
    }
}
