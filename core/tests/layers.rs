//! The core's layers stay layered: model below store below services.
//!
//! Rust allows any module of a crate to use any other, so nothing but a check keeps a model type
//! from reaching for a store or a store from calling a service, and once one does the layers are
//! a cycle again (eight modules were one before the split). This test reads every source file of
//! the core, gives the file a layer by where it lives, and gives every `crate::` path in its code
//! the layer of the module it names; a path into a higher layer fails with the file, the line and
//! the path. The old top-level module names (`crate::cart`, `crate::order`, ...) are classified
//! too: those that re-export one model module count as model, the facades over a service count as
//! services, so a model file must name `crate::model::order`, not the `crate::order` facade.
//!
//! Relative paths cannot climb out of a layer unnoticed either: `super::super` is refused in the
//! model and store layers, where a `crate::` path says the same thing and is checked.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Model,
    Store,
    Services,
    /// The conformance suite drives stores and services alike; nothing may depend on it.
    Conformance,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Model => "model",
            Layer::Store => "store",
            Layer::Services => "services",
            Layer::Conformance => "conformance",
        })
    }
}

/// The layer of a source file, by its path under `core/src`; `None` for `lib.rs`, which only
/// declares the layers and the facades. A file in a place not listed here fails the test, so a
/// new top-level module is given a layer when it is added.
fn file_layer(relative: &str) -> Option<Layer> {
    let layer = match relative {
        "lib.rs" => return None,
        "error.rs" | "money.rs" | "pricing.rs" | "principal.rs" => Layer::Model,
        "recommend/from_store.rs" => Layer::Services,
        "conformance.rs" => Layer::Conformance,
        _ => match relative.split('/').next() {
            Some("model" | "recommend") => Layer::Model,
            Some("store") => Layer::Store,
            Some("services") => Layer::Services,
            Some("conformance") => Layer::Conformance,
            _ => panic!("core/src/{relative} is in no layer: add it to tests/layers.rs"),
        },
    };
    Some(layer)
}

/// The layer of what `crate::<first>::<second>` names.
fn path_layer(first: &str, second: Option<&str>) -> Option<Layer> {
    let layer = match first {
        // The model layer and the model modules that kept their top-level paths, including the
        // crate root's re-exports of error and money types.
        "model" | "error" | "money" | "pricing" | "principal" | "Error" | "ErrorBody"
        | "ErrorCode" | "Result" | "Currency" | "Money" | "RoundingMode" => Layer::Model,
        // Re-exports of a single model module under its old name.
        "cart" | "catalog" | "clock" | "country" | "event" | "ids" | "promotion" | "search"
        | "shipping" | "tax" | "text" => Layer::Model,
        "recommend" => match second {
            Some("from_store" | "train_from_store") => Layer::Services,
            _ => Layer::Model,
        },
        "store" => Layer::Store,
        // The services layer, its modules under their old names, and the facades that re-export
        // a model module together with its service.
        "services" | "cart_service" | "catalog_service" | "checkout" | "idempotency"
        | "listing" | "relay" | "settings_service" | "order" | "payment" | "review" | "user" => {
            Layer::Services
        }
        "conformance" | "conformance_tests" => Layer::Conformance,
        _ => return None,
    };
    Some(layer)
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths `crate::a::b` in a line of code, as `(a, b)`; `use crate::{a, b::c}` gives each
/// group member.
fn crate_paths(code: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| is_ident_char(c) || c == '$') {
            // `$crate::` in a macro, or an identifier ending in `crate`.
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                let mut segments = member.trim().split("::");
                if let Some(first) = segments.next().filter(|s| !s.is_empty()) {
                    found.push((first.to_string(), segments.next().map(str::to_string)));
                }
            }
            continue;
        }
        let first: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
        let after = &rest[first.len()..];
        let second = after
            .strip_prefix("::")
            .map(|s| {
                s.chars()
                    .take_while(|&c| is_ident_char(c))
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty());
        found.push((first, second));
    }
    found
}

/// Every line of `source` (a file at `relative` under `core/src`) that depends on a higher layer.
fn violations(relative: &str, source: &str) -> Vec<String> {
    let Some(layer) = file_layer(relative) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        // Doc links may point anywhere: they describe, they do not depend.
        let code = line.split("//").next().unwrap_or("");
        if layer <= Layer::Store && code.contains("super::super") {
            found.push(format!(
                "core/src/{relative}:{}: `super::super` in the {layer} layer; use a `crate::` path",
                number + 1
            ));
        }
        for (first, second) in crate_paths(code) {
            match path_layer(&first, second.as_deref()) {
                Some(target) if target > layer => found.push(format!(
                    "core/src/{relative}:{}: the {layer} layer uses `crate::{first}` ({target} layer)",
                    number + 1
                )),
                Some(_) => {}
                None => found.push(format!(
                    "core/src/{relative}:{}: `crate::{first}` is in no layer: add it to tests/layers.rs",
                    number + 1
                )),
            }
        }
    }
    found
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("core/src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn no_layer_of_the_core_uses_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut seen = [0usize; 4];
    let mut found = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if let Some(layer) = file_layer(&relative) {
            seen[layer as usize] += 1;
        }
        let source = fs::read_to_string(file).expect("source is UTF-8");
        found.extend(violations(&relative, &source));
    }
    // A scan that found no files would pass without checking anything.
    assert!(
        seen.iter().all(|&n| n > 0),
        "files per layer (model, store, services, conformance): {seen:?}"
    );
    assert!(
        found.is_empty(),
        "lower layers use higher ones:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_upward_paths_in_every_form() {
    let upward = [
        ("model/order.rs", "use crate::store::Store;"),
        (
            "model/order.rs",
            "use crate::{ids::OrderId, services::payment::Sleeper};",
        ),
        ("model/event.rs", "use crate::order::OrderStatus;"),
        ("principal.rs", "    let f = crate::user::UserService::new;"),
        ("model/user.rs", "use super::super::store::Store;"),
        ("store/memory.rs", "use crate::checkout::CheckoutService;"),
        (
            "store/mod.rs",
            "#[serde(default = \"crate::conformance::sample\")]",
        ),
        (
            "recommend/serve.rs",
            "use crate::recommend::train_from_store;",
        ),
        ("model/cart.rs", "use crate::brand_new_module::Thing;"),
    ];
    for (file, line) in upward {
        assert_eq!(violations(file, line).len(), 1, "{file}: {line}");
    }
    let allowed = [
        (
            "model/event.rs",
            "use crate::model::order::{OrderStatus, PaymentStatus};",
        ),
        (
            "model/cart.rs",
            "use crate::{catalog::Product, error::Result};",
        ),
        (
            "model/order.rs",
            "/// moves are [`crate::store::OrderStore`]'s job",
        ),
        (
            "store/memory.rs",
            "use crate::model::user::User; use crate::store::Page;",
        ),
        (
            "services/order.rs",
            "use crate::store::Store; use crate::order::Order;",
        ),
        ("recommend/from_store.rs", "use crate::store::OrderStore;"),
        (
            "model/search.rs",
            "macro_rules! m { () => { $crate::store::Page } }",
        ),
        ("lib.rs", "pub use crate::services::order::*;"),
    ];
    for (file, line) in allowed {
        assert_eq!(
            violations(file, line),
            Vec::<String>::new(),
            "{file}: {line}"
        );
    }
}
