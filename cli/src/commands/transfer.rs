//! `merx products import|export`: CSV and JSON, chosen by the file's extension.
//!
//! Import reads the whole file first and turns it into products, each with the line numbers it
//! came from. A CSV row is one variant; rows that share a non-empty `slug` are variants of one
//! product, so an exported multi-variant product comes back whole. A JSON file is an array of
//! the API's product objects, one product per element, reported by the line it starts on.
//!
//! Every product is checked before anything is written: its rows must parse, the product must
//! pass the core's validation, and its slug and SKUs must be new (in the store and in the file).
//! A bad product is reported line by line and skipped; with `--strict` a single bad row stops the
//! whole import before the first write. Each product is then one store write, so a product (and
//! so a row) is either fully stored or not at all.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use merx_core::catalog::{slugify, Product, Variant};
use merx_core::catalog_service::CatalogService;
use merx_core::principal::Principal;
use merx_core::store::{Page, ProductFilter, StorageError};
use merx_core::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

use super::price::read_input;
use super::Context;
use crate::cli::FormatArg;
use crate::error::{CliError, Result};
use crate::output;

/// The CSV columns, in export order.
pub const CSV_COLUMNS: [&str; 13] = [
    "name",
    "slug",
    "description",
    "status",
    "sku",
    "title",
    "currency",
    "price",
    "other_prices",
    "stock",
    "weight",
    "tax_class",
    "allow_backorder",
];

const REQUIRED_COLUMNS: [&str; 3] = ["name", "sku", "price"];

/// A row (or JSON element) that cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
struct BadRow {
    line: u64,
    reason: String,
}

/// A product to import, with the lines it came from.
#[derive(Debug)]
struct Candidate {
    lines: Vec<u64>,
    product: Product,
}

fn format_of(path: &Path, explicit: Option<FormatArg>) -> Result<FormatArg> {
    if let Some(format) = explicit {
        return Ok(format);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(ext) if ext == "csv" => Ok(FormatArg::Csv),
        Some(ext) if ext == "json" => Ok(FormatArg::Json),
        _ if path.as_os_str() == "-" => Ok(FormatArg::Json),
        _ => Err(CliError::Input(format!(
            "cannot tell the format of `{}`: use a .csv or .json file",
            path.display()
        ))),
    }
}

fn parse_status(text: &str) -> std::result::Result<merx_core::catalog::ProductStatus, String> {
    use merx_core::catalog::ProductStatus;
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "draft" => Ok(ProductStatus::Draft),
        "active" => Ok(ProductStatus::Active),
        "archived" => Ok(ProductStatus::Archived),
        other => Err(format!(
            "status `{other}` is not one of draft, active, archived"
        )),
    }
}

fn parse_number(column: &str, text: &str) -> std::result::Result<Decimal, String> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| format!("{column} `{text}` is not a number"))
}

fn parse_bool(column: &str, text: &str) -> std::result::Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" => Ok(false),
        "true" | "yes" | "1" => Ok(true),
        _ => Err(format!("{column} `{text}` is not true or false")),
    }
}

/// `EUR 18.00; GBP 15.50`.
fn parse_other_prices(text: &str) -> std::result::Result<Vec<(Currency, Decimal)>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (code, amount) = part
                .split_once(' ')
                .ok_or_else(|| format!("other_prices `{part}` is not `CURRENCY AMOUNT`"))?;
            let currency = Currency::from_code(code.trim()).map_err(|e| e.to_string())?;
            Ok((currency, parse_number("other_prices", amount)?))
        })
        .collect()
}

/// One parsed CSV row: the product fields it carries and its variant.
struct CsvRow {
    name: String,
    slug: String,
    description: String,
    status: merx_core::catalog::ProductStatus,
    variant: Variant,
}

fn parse_csv_row(get: &dyn Fn(&str) -> String) -> std::result::Result<CsvRow, String> {
    let name = get("name").trim().to_string();
    if name.is_empty() {
        return Err("name is empty".into());
    }
    let sku = get("sku").trim().to_string();
    if sku.is_empty() {
        return Err("sku is empty".into());
    }
    let price = get("price");
    if price.trim().is_empty() {
        return Err("price is empty".into());
    }
    let price = parse_number("price", &price)?;
    let currency = match get("currency").trim() {
        "" => Currency::Usd,
        code => Currency::from_code(code).map_err(|e| e.to_string())?,
    };
    let mut variant = Variant::new(sku, currency, price);
    for (currency, amount) in parse_other_prices(&get("other_prices"))? {
        variant.prices.insert(currency, amount);
    }
    variant.title = get("title").trim().to_string();
    let stock = get("stock");
    if !stock.trim().is_empty() {
        variant.stock = parse_number("stock", &stock)?;
    }
    let weight = get("weight");
    if !weight.trim().is_empty() {
        variant.weight = Some(parse_number("weight", &weight)?);
    }
    let tax_class = get("tax_class");
    if !tax_class.trim().is_empty() {
        variant.tax_class = tax_class.trim().to_string();
    }
    variant.allow_backorder = parse_bool("allow_backorder", &get("allow_backorder"))?;
    Ok(CsvRow {
        name,
        slug: get("slug").trim().to_string(),
        description: get("description"),
        status: parse_status(&get("status"))?,
        variant,
    })
}

/// Reads CSV text into products (grouped by slug) and bad rows.
fn read_csv(text: &str, source: &str) -> Result<(Vec<Candidate>, Vec<BadRow>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| CliError::Input(format!("{source} has no readable CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for header in &headers {
        if !CSV_COLUMNS.contains(&header.as_str()) {
            return Err(CliError::Input(format!(
                "{source} line 1: unknown column `{header}` (known: {})",
                CSV_COLUMNS.join(", ")
            )));
        }
    }
    for required in REQUIRED_COLUMNS {
        if !headers.iter().any(|h| h == required) {
            return Err(CliError::Input(format!(
                "{source} line 1: missing column `{required}`"
            )));
        }
    }
    let mut bad = Vec::new();
    // Products in file order; rows with a slug join the product that slug started.
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut by_slug: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed_slugs: HashSet<String> = HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bad.push(BadRow {
                    line,
                    reason: format!("not valid CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != headers.len() {
            bad.push(BadRow {
                line,
                reason: format!("expected {} fields, found {}", headers.len(), record.len()),
            });
            continue;
        }
        let get = |column: &str| -> String {
            headers
                .iter()
                .position(|h| h == column)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_string()
        };
        let slug_key = get("slug").trim().to_ascii_lowercase();
        let row = match parse_csv_row(&get) {
            Ok(row) => row,
            Err(reason) => {
                if !slug_key.is_empty() {
                    failed_slugs.insert(slug_key);
                }
                bad.push(BadRow { line, reason });
                continue;
            }
        };
        match (!slug_key.is_empty())
            .then(|| by_slug.get(&slug_key).copied())
            .flatten()
        {
            Some(index) => {
                candidates[index].lines.push(line);
                candidates[index].product.variants.push(row.variant);
            }
            None => {
                let mut product = Product::new(row.name, vec![row.variant]);
                product.slug = row.slug;
                product.description = row.description;
                product.status = row.status;
                if !slug_key.is_empty() {
                    by_slug.insert(slug_key, candidates.len());
                }
                candidates.push(Candidate {
                    lines: vec![line],
                    product,
                });
            }
        }
    }
    // A product with a bad row is not imported in part: its good rows are skipped too.
    let mut kept = Vec::new();
    for candidate in candidates {
        let key = candidate.product.slug.trim().to_ascii_lowercase();
        if !key.is_empty() && failed_slugs.contains(&key) {
            for line in candidate.lines {
                bad.push(BadRow {
                    line,
                    reason: format!(
                        "skipped: another row of product `{}` is bad",
                        candidate.product.slug
                    ),
                });
            }
        } else {
            kept.push(candidate);
        }
    }
    Ok((kept, bad))
}

/// Byte offsets of the top-level elements of a JSON array (the text must be one array).
fn array_elements(text: &str) -> std::result::Result<Vec<(usize, usize)>, String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if bytes.get(i) != Some(&b'[') {
        return Err("expected a JSON array of products".into());
    }
    i += 1;
    let mut elements = Vec::new();
    loop {
        skip_ws(&mut i);
        match bytes.get(i) {
            Some(b']') => break,
            None => return Err("the JSON array is not closed".into()),
            _ => {}
        }
        let start = i;
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => break,
                    _ => {}
                }
            }
            i += 1;
        }
        elements.push((start, i));
        skip_ws(&mut i);
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b']') => break,
            _ => return Err("the JSON array is not closed".into()),
        }
    }
    Ok(elements)
}

fn line_of(text: &str, offset: usize) -> u64 {
    text[..offset].bytes().filter(|b| *b == b'\n').count() as u64 + 1
}

/// Reads a JSON array into products and bad elements.
fn read_json(text: &str, source: &str) -> Result<(Vec<Candidate>, Vec<BadRow>)> {
    let elements =
        array_elements(text).map_err(|reason| CliError::Input(format!("{source}: {reason}")))?;
    let mut candidates = Vec::new();
    let mut bad = Vec::new();
    for (start, end) in elements {
        let line = line_of(text, start);
        match serde_json::from_str::<Product>(text[start..end].trim_end()) {
            Ok(product) => candidates.push(Candidate {
                lines: vec![line],
                product,
            }),
            Err(e) => bad.push(BadRow {
                line,
                reason: format!("not a product: {e}"),
            }),
        }
    }
    Ok((candidates, bad))
}

/// Drops (and reports) candidates the core or the store would refuse.
async fn check(ctx: &Context, candidates: Vec<Candidate>, bad: &mut Vec<BadRow>) -> Vec<Candidate> {
    let mut slugs = HashSet::new();
    let mut skus = HashSet::new();
    let mut kept = Vec::new();
    for mut candidate in candidates {
        if candidate.product.slug.trim().is_empty() {
            candidate.product.slug = slugify(&candidate.product.name);
        }
        let reason = match check_one(ctx, &candidate.product, &mut slugs, &mut skus).await {
            Ok(()) => {
                kept.push(candidate);
                continue;
            }
            Err(reason) => reason,
        };
        for line in candidate.lines {
            bad.push(BadRow {
                line,
                reason: reason.clone(),
            });
        }
    }
    kept
}

async fn check_one(
    ctx: &Context,
    product: &Product,
    slugs: &mut HashSet<String>,
    skus: &mut HashSet<String>,
) -> std::result::Result<(), String> {
    product.validate().map_err(|e| e.to_string())?;
    let slug = product.slug.to_ascii_lowercase();
    if !slugs.insert(slug) {
        return Err(format!("slug `{}` appears twice in the file", product.slug));
    }
    match ctx.store.get_product_by_slug(&product.slug).await {
        Ok(_) => {
            return Err(format!(
                "a product with slug `{}` already exists",
                product.slug
            ))
        }
        Err(StorageError::NotFound { .. }) => {}
        Err(e) => return Err(e.to_string()),
    }
    for variant in &product.variants {
        if !skus.insert(variant.sku.to_ascii_lowercase()) {
            return Err(format!("SKU `{}` appears twice in the file", variant.sku));
        }
        match ctx.store.find_product_by_sku(&variant.sku).await {
            Ok(_) => return Err(format!("SKU `{}` already exists", variant.sku)),
            Err(StorageError::NotFound { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

fn report_bad(bar: &ProgressBar, source: &str, bad: &[BadRow]) {
    bar.suspend(|| {
        let mut stderr = std::io::stderr().lock();
        for row in bad {
            let _ = writeln!(stderr, "{source} line {}: {}", row.line, row.reason);
        }
    });
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportReport {
    imported_products: usize,
    imported_variants: usize,
    bad_rows: Vec<BadRowReport>,
}

#[derive(Serialize)]
struct BadRowReport {
    line: u64,
    reason: String,
}

/// `merx products import FILE [--strict]`.
pub async fn import(
    ctx: &Context,
    catalog: &CatalogService,
    file: &Path,
    strict: bool,
) -> Result<()> {
    let format = format_of(file, None)?;
    let text = read_input(file)?;
    let source = format!("`{}`", file.display());
    let (candidates, mut bad) = match format {
        FormatArg::Csv => read_csv(&text, &source)?,
        FormatArg::Json => read_json(&text, &source)?,
    };
    let candidates = check(ctx, candidates, &mut bad).await;
    bad.sort_by_key(|row| row.line);
    let hidden = ProgressBar::hidden();
    if strict && !bad.is_empty() {
        report_bad(&hidden, &source, &bad);
        return Err(CliError::Input(format!(
            "nothing imported: {} bad row{} (--strict)",
            bad.len(),
            if bad.len() == 1 { "" } else { "s" }
        )));
    }
    let bar = ProgressBar::new(candidates.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} products ({eta})")
            .map_err(|e| CliError::Runtime(format!("progress bar: {e}")))?,
    );
    let (mut products, mut variants) = (0, 0);
    for candidate in candidates {
        let count = candidate.product.variants.len();
        match catalog
            .create_product(&Principal::System, candidate.product)
            .await
        {
            Ok(_) => {
                products += 1;
                variants += count;
            }
            Err(e) => {
                let failed: Vec<BadRow> = candidate
                    .lines
                    .iter()
                    .map(|line| BadRow {
                        line: *line,
                        reason: e.to_string(),
                    })
                    .collect();
                bad.extend(failed);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    bad.sort_by_key(|row| row.line);
    report_bad(&bar, &source, &bad);
    let report = ImportReport {
        imported_products: products,
        imported_variants: variants,
        bad_rows: bad
            .iter()
            .map(|row| BadRowReport {
                line: row.line,
                reason: row.reason.clone(),
            })
            .collect(),
    };
    if ctx.json {
        output::print_json(&report)?;
    } else {
        println!(
            "imported {products} product{} ({variants} variant{})",
            if products == 1 { "" } else { "s" },
            if variants == 1 { "" } else { "s" }
        );
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "{} bad row{} skipped",
            bad.len(),
            if bad.len() == 1 { " was" } else { "s were" }
        )))
    }
}

async fn all_products(ctx: &Context) -> Result<Vec<Product>> {
    const PAGE: u32 = 500;
    let mut products = Vec::new();
    loop {
        let filter = ProductFilter {
            page: Page {
                offset: u32::try_from(products.len()).unwrap_or(u32::MAX),
                limit: PAGE,
            },
            ..ProductFilter::default()
        };
        let page = ctx.store.list_products(&filter).await?;
        let done = page.len() < PAGE as usize;
        products.extend(page);
        if done {
            return Ok(products);
        }
    }
}

fn csv_text(products: &[Product]) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| CliError::Runtime(format!("cannot write CSV: {e}"));
    writer.write_record(CSV_COLUMNS).map_err(failed)?;
    for product in products {
        for variant in &product.variants {
            let mut prices = variant.prices.iter();
            let (currency, price) = prices
                .next()
                .map(|(c, p)| (c.to_string(), p.to_string()))
                .unwrap_or_default();
            let other: Vec<String> = prices.map(|(c, p)| format!("{c} {p}")).collect();
            writer
                .write_record([
                    product.name.as_str(),
                    product.slug.as_str(),
                    product.description.as_str(),
                    product.status.as_str(),
                    variant.sku.as_str(),
                    variant.title.as_str(),
                    currency.as_str(),
                    price.as_str(),
                    other.join("; ").as_str(),
                    variant.stock.to_string().as_str(),
                    variant
                        .weight
                        .map(|w| w.to_string())
                        .unwrap_or_default()
                        .as_str(),
                    variant.tax_class.as_str(),
                    if variant.allow_backorder {
                        "true"
                    } else {
                        "false"
                    },
                ])
                .map_err(failed)?;
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| CliError::Runtime(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CliError::Runtime(format!("cannot write CSV: {e}")))
}

/// `merx products export FILE [--format csv|json]`.
pub async fn export(ctx: &Context, file: &Path, format: Option<FormatArg>) -> Result<()> {
    let format = format_of(file, format)?;
    let products = all_products(ctx).await?;
    let text = match format {
        FormatArg::Csv => csv_text(&products)?,
        FormatArg::Json => output::to_json(&products)? + "\n",
    };
    if file.as_os_str() == "-" {
        print!("{text}");
        return Ok(());
    }
    // Written beside the target and renamed, so a failed export never leaves half a file.
    let partial = file.with_extension("partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, file))
        .map_err(|e| CliError::Runtime(format!("cannot write `{}`: {e}", file.display())))?;
    let variants: usize = products.iter().map(|p| p.variants.len()).sum();
    if ctx.json {
        output::print_json(&serde_json::json!({
            "exportedProducts": products.len(),
            "exportedVariants": variants,
            "file": file.display().to_string(),
        }))
    } else {
        println!(
            "exported {} products ({variants} variants) to {}",
            products.len(),
            file.display()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_elements_skip_brackets_and_commas_inside_strings() {
        let text = "[\n {\"a\": \"x], {y\\\"\"},\n [1, 2] ,3 ]";
        let elements: Vec<&str> = array_elements(text)
            .unwrap()
            .into_iter()
            .map(|(start, end)| text[start..end].trim_end())
            .collect();
        assert_eq!(elements, ["{\"a\": \"x], {y\\\"\"}", "[1, 2]", "3"]);
        assert_eq!(line_of(text, text.find('[').unwrap()), 1);
        assert_eq!(line_of(text, text.find("[1").unwrap()), 3);
        assert_eq!(array_elements("[]").unwrap(), vec![]);
        assert!(array_elements("{}").is_err());
        assert!(array_elements("[1, 2").is_err());
    }
}
