//! The committed files generated from the wire contract, checked against what the generator
//! produces now: the TypeScript definitions the WASM bundle ships
//! (`bindings/wasm/types/contract.d.ts`) and the decimal keys Python converts
//! (`bindings/python/python/merx/_contract.py`). Both come from the server's OpenAPI document,
//! which is built from the core's serde types (merx-core's `openapi` feature), so a field added
//! to a core type reaches TypeScript and Python without anyone copying it.
//!
//! A drifted file fails its test; regenerate both with
//!
//! ```sh
//! MERX_REGENERATE_CONTRACT=1 cargo test -p merx-server --test contract_files
//! ```
//!
//! and commit the result.
//!
//! The converter is written here rather than taken from npm (`openapi-typescript`) so that the
//! check runs with `cargo test` alone, and so that every schema becomes a named, exported type
//! (`PricedCart`, not `components["schemas"]["PricedCart"]`) that wasm-bindgen's signatures can
//! name. It understands exactly the JSON Schema the document uses and panics on anything else,
//! so a new construct cannot silently turn into a wrong type.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use merx_core::error::ErrorFamily;
use merx_core::ErrorCode;
use serde_json::{Map, Value};

const REGENERATE: &str =
    "MERX_REGENERATE_CONTRACT=1 cargo test -p merx-server --test contract_files";
const TS_FILE: &str = "bindings/wasm/types/contract.d.ts";
const PY_FILE: &str = "bindings/python/python/merx/_contract.py";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate sits in the workspace")
        .to_path_buf()
}

fn schemas(doc: &Value) -> &Map<String, Value> {
    doc["components"]["schemas"]
        .as_object()
        .expect("the document has component schemas")
}

fn ref_name(reference: &str) -> &str {
    reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("only component references are expected, found {reference}"))
}

fn is_decimal(schema: &Value) -> bool {
    schema["format"] == "decimal"
}

/// Keys of a schema the converter reads; anything else is a construct it does not know.
const KNOWN_KEYS: &[&str] = &[
    "type",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "propertyNames",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "allOf",
    "$ref",
    "format",
    "description",
    "title",
    "default",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "pattern",
    "discriminator",
    "nullable",
];

fn check_known(schema: &Value, at: &str) {
    if let Some(map) = schema.as_object() {
        for key in map.keys() {
            assert!(
                KNOWN_KEYS.contains(&key.as_str()),
                "{at}: the TypeScript generator does not know the schema keyword `{key}`: {schema}"
            );
        }
    }
}

fn literal(value: &Value) -> String {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => value.to_string(),
        other => panic!("only scalar enum values are expected, found {other}"),
    }
}

fn property_name(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        name.to_string()
    } else {
        Value::String(name.to_string()).to_string()
    }
}

fn union(mut parts: Vec<String>) -> String {
    let mut seen = BTreeSet::new();
    parts.retain(|p| seen.insert(p.clone()));
    match parts.len() {
        0 => "never".to_string(),
        1 => parts.pop().unwrap(),
        _ => parts
            .into_iter()
            .map(|p| {
                if p.contains(" & ") {
                    format!("({p})")
                } else {
                    p
                }
            })
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

fn doc_comment(description: Option<&str>, indent: &str) -> String {
    match description.map(str::trim).filter(|d| !d.is_empty()) {
        None => String::new(),
        Some(text) => {
            let text = text.replace("*/", "*\\/");
            let lines: Vec<&str> = text.lines().collect();
            if lines.len() == 1 {
                format!("{indent}/** {} */\n", lines[0])
            } else {
                let mut out = format!("{indent}/**\n");
                for line in lines {
                    let line = line.trim_end();
                    if line.is_empty() {
                        let _ = writeln!(out, "{indent} *");
                    } else {
                        let _ = writeln!(out, "{indent} * {line}");
                    }
                }
                out.push_str(&format!("{indent} */\n"));
                out
            }
        }
    }
}

/// The TypeScript type of a schema, inline.
fn ts_type(schema: &Value, at: &str, indent: &str) -> String {
    check_known(schema, at);
    if let Some(reference) = schema["$ref"].as_str() {
        return ref_name(reference).to_string();
    }
    if let Some(value) = schema.get("const") {
        return literal(value);
    }
    if let Some(values) = schema["enum"].as_array() {
        return union(values.iter().map(literal).collect());
    }
    for combinator in ["oneOf", "anyOf"] {
        if let Some(parts) = schema[combinator].as_array() {
            let mut all: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, part)| ts_type(part, &format!("{at}.{combinator}[{i}]"), indent))
                .collect();
            if schema.get("properties").is_some() || schema.get("type").is_some() {
                let base = object_or_scalar(schema, at, indent);
                all = all
                    .into_iter()
                    .map(|part| format!("{base} & {part}"))
                    .collect();
            }
            return union(all);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut all: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let t = ts_type(part, &format!("{at}.allOf[{i}]"), indent);
                if t.contains(" | ") {
                    format!("({t})")
                } else {
                    t
                }
            })
            .collect();
        if schema.get("properties").is_some() {
            all.push(object_or_scalar(schema, at, indent));
        }
        return all.join(" & ");
    }
    object_or_scalar(schema, at, indent)
}

fn types_of(schema: &Value) -> Vec<String> {
    match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .map(|t| t.as_str().expect("type names are strings").to_string())
            .collect(),
        Value::Null => Vec::new(),
        other => panic!("unexpected `type`: {other}"),
    }
}

fn object_or_scalar(schema: &Value, at: &str, indent: &str) -> String {
    let types = types_of(schema);
    if types.is_empty() {
        if schema.get("properties").is_some() {
            return object_type(schema, at, indent);
        }
        // A schema that says nothing (the error body's free-form `details`).
        return "unknown".to_string();
    }
    union(
        types
            .iter()
            .map(|t| match t.as_str() {
                "string" if is_decimal(schema) => "Decimal".to_string(),
                "string" => "string".to_string(),
                "integer" | "number" => "number".to_string(),
                "boolean" => "boolean".to_string(),
                "null" => "null".to_string(),
                "array" => {
                    let items = schema
                        .get("items")
                        .unwrap_or_else(|| panic!("{at}: an array without items"));
                    let item = ts_type(items, &format!("{at}[]"), indent);
                    if item.contains(' ') {
                        format!("({item})[]")
                    } else {
                        format!("{item}[]")
                    }
                }
                "object" => object_type(schema, at, indent),
                other => panic!("{at}: unknown type `{other}`"),
            })
            .collect(),
    )
}

fn object_type(schema: &Value, at: &str, indent: &str) -> String {
    let properties = schema["properties"].as_object();
    let values = schema
        .get("additionalProperties")
        .filter(|v| v.is_object())
        .map(|v| ts_type(v, &format!("{at}.*"), indent));
    let key = schema
        .get("propertyNames")
        .map(|names| ts_type(names, &format!("{at}.<key>"), indent));
    match (properties, values) {
        (None, None) => "Record<string, unknown>".to_string(),
        (None, Some(values)) => match key {
            Some(key) if key != "string" => format!("Partial<Record<{key}, {values}>>"),
            _ => format!("Record<string, {values}>"),
        },
        (Some(properties), values) => {
            let inner = format!("{indent}  ");
            let required: BTreeSet<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut out = String::from("{\n");
            for (name, property) in properties {
                out.push_str(&doc_comment(property["description"].as_str(), &inner));
                let optional = if required.contains(name.as_str()) {
                    ""
                } else {
                    "?"
                };
                let t = ts_type(property, &format!("{at}.{name}"), &inner);
                let _ = writeln!(out, "{inner}{}{optional}: {t};", property_name(name));
            }
            if let Some(values) = values {
                let _ = writeln!(out, "{inner}[key: string]: {values};");
            }
            out.push_str(indent);
            out.push('}');
            out
        }
    }
}

/// Every component schema as an exported TypeScript type, plus the error table's codes and
/// families and the error every function of the bundle throws.
fn typescript(doc: &Value) -> String {
    let mut out = String::from(
        "// Generated from the Merx wire contract (the OpenAPI document built from merx-core's serde\n\
         // types) by server/tests/contract_files.rs. Do not edit: regenerate with\n",
    );
    let _ = writeln!(out, "//   {REGENERATE}");
    out.push_str(
        "\n/** A decimal amount or quantity, always as a string (\"19.99\", \"0.375\"): never a float. */\n\
         export type Decimal = string;\n",
    );
    for (name, schema) in schemas(doc) {
        out.push('\n');
        out.push_str(&doc_comment(schema["description"].as_str(), ""));
        let body = ts_type(schema, name, "");
        // An interface only for a plain object; unions, intersections and aliases are types.
        let plain_object = schema.get("properties").is_some()
            && ["oneOf", "anyOf", "allOf", "enum", "$ref"]
                .iter()
                .all(|k| schema.get(*k).is_none());
        if plain_object {
            let _ = writeln!(out, "export interface {name} {body}");
        } else {
            let _ = writeln!(out, "export type {name} = {body};");
        }
    }
    let families: Vec<String> = ErrorFamily::ALL
        .iter()
        .map(|f| Value::String(f.as_str().into()).to_string())
        .collect();
    out.push_str(
        "\n/** The family of an error code: the column of the core's error table shells group codes by. */\n",
    );
    let _ = writeln!(out, "export type ErrorFamily = {};", families.join(" | "));
    out.push_str(
        "\n/** What every function of the bundle throws: a JS `Error` with the code from the core's\n \
         * error table, that code's family and, when there are any, structured details. */\n\
         export interface MerxError extends Error {\n  code: ErrorCode;\n  family: ErrorFamily;\n  \
         details?: unknown;\n}\n",
    );
    // The error table itself must agree with the document's ErrorCode enum.
    let documented: BTreeSet<&str> = schemas(doc)["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let table: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        documented, table,
        "the document's ErrorCode is the core's table"
    );
    out
}

/// Walks every schema and collects the property names whose value is a decimal string, and
/// those whose value is a map of decimals (a variant's `prices`).
fn decimal_keys(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    fn decimal_in(schema: &Value) -> bool {
        if is_decimal(schema) {
            return true;
        }
        ["oneOf", "anyOf"].iter().any(|c| {
            schema[*c]
                .as_array()
                .is_some_and(|parts| parts.iter().any(decimal_in))
        })
    }
    // utoipa cannot mark the values of a map: a map keyed by currency code whose values are
    // plain strings (`prices`, a promotion's amounts) maps currencies to decimal amounts.
    fn amounts_by_currency(schema: &Value) -> bool {
        let keys_are_currencies = schema["propertyNames"]["enum"]
            .as_array()
            .is_some_and(|codes| codes.iter().any(|c| c == "USD"));
        keys_are_currencies && schema["additionalProperties"]["type"] == "string"
    }
    fn walk(
        schema: &Value,
        scalar: &mut BTreeSet<String>,
        maps: &mut BTreeSet<String>,
        others: &mut BTreeSet<String>,
    ) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for (name, property) in properties {
                        if decimal_in(property) {
                            scalar.insert(name.clone());
                        } else if property.get("additionalProperties").is_some_and(|values| {
                            decimal_in(values) || amounts_by_currency(property)
                        }) {
                            maps.insert(name.clone());
                        } else if types_of(property).iter().any(|t| t == "string")
                            || property.get("enum").is_some()
                        {
                            others.insert(name.clone());
                        }
                    }
                }
                map.values()
                    .for_each(|child| walk(child, scalar, maps, others));
            }
            Value::Array(items) => items
                .iter()
                .for_each(|child| walk(child, scalar, maps, others)),
            _ => {}
        }
    }
    let (mut scalar, mut maps, mut others) = Default::default();
    walk(&doc["components"], &mut scalar, &mut maps, &mut others);
    walk(&doc["paths"], &mut scalar, &mut maps, &mut others);
    // `to_decimals` converts by key alone: a key that is a decimal in one schema and some other
    // string in another would have that other string parsed as a number.
    let ambiguous: Vec<&String> = scalar.intersection(&others).collect();
    assert!(
        ambiguous.is_empty(),
        "keys that are decimals in one schema and other strings in another: {ambiguous:?}"
    );
    (scalar, maps)
}

fn python(doc: &Value) -> String {
    let (scalar, maps) = decimal_keys(doc);
    let mut out = String::from(
        "\"\"\"The decimal keys of the Merx wire contract, for :func:`merx.to_decimals`.\n\n\
         Generated from the OpenAPI document built from merx-core's serde types by\n\
         server/tests/contract_files.rs. Do not edit: regenerate with\n",
    );
    let _ = writeln!(out, "``{REGENERATE}``.\n\"\"\"\n");
    out.push_str(
        "#: Keys whose string values are decimal amounts or quantities in any body of the contract.\n\
         DECIMAL_KEYS = frozenset(\n    {\n",
    );
    for key in &scalar {
        let _ = writeln!(out, "        {},", Value::String(key.clone()));
    }
    out.push_str("    }\n)\n\n");
    out.push_str(
        "#: Keys whose value maps currency codes to decimal amounts (a variant's ``prices``).\n\
         DECIMAL_MAP_KEYS = frozenset(\n    {\n",
    );
    for key in &maps {
        let _ = writeln!(out, "        {},", Value::String(key.clone()));
    }
    out.push_str("    }\n)\n");
    out
}

/// Compares a committed file with what the generator produces, or writes it when asked to.
fn check(relative: &str, generated: &str) {
    let path = repo_root().join(relative);
    if std::env::var_os("MERX_REGENERATE_CONTRACT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || committed.lines().count().min(generated.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "{relative} is not what the contract generates now (first difference at line \
             {line}); regenerate it with\n    {REGENERATE}\nand commit the result"
        );
    }
}

#[test]
fn typescript_definitions_match_the_contract() {
    let doc = merx_server::openapi::document();
    let generated = typescript(&doc);
    for name in ["PricingRequest", "PricedCart", "Product", "Order", "Error"] {
        assert!(
            generated.contains(&format!("export interface {name} ")),
            "{name} is missing from the generated definitions"
        );
    }
    check(TS_FILE, &generated);
}

#[test]
fn python_decimal_keys_match_the_contract() {
    let doc = merx_server::openapi::document();
    let (scalar, maps) = decimal_keys(&doc);
    for key in ["unitPrice", "total", "quantity", "amount"] {
        assert!(scalar.contains(key), "{key} is not found as a decimal key");
    }
    assert!(maps.contains("prices"));
    check(PY_FILE, &python(&doc));
}
