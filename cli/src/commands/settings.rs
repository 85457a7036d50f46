//! `merx promotions|taxes|shipping ...`: store configuration through the core's settings service,
//! so every write is validated and normalized exactly as `POST /v1/promotions` and friends do.
//!
//! Create and update take either flags for the common cases or `--file` with the API's JSON
//! object for everything else. Updates from flags read the stored record, change only the given
//! fields and write it back whole. The CLI acts as the system principal: whoever can open the
//! database runs the store.

use chrono::{DateTime, Utc};
use merx_core::ids::{PromotionId, ShippingMethodId, TaxRateId};
use merx_core::principal::Principal;
use merx_core::promotion::{
    BxgyReward, CurrencyAmounts, LineSelector, Promotion, PromotionEffect, Target, TierReward,
};
use merx_core::settings_service::SettingsService;
use merx_core::shipping::{ShippingMethod, ShippingRate, WeightTier};
use merx_core::store::{PricingSettings, StorageError};
use merx_core::tax::TaxRate;
use merx_core::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

use super::products::parse_decimal;
use super::{parse_id, read_json, Context};
use crate::cli::{
    EffectArgs, PromotionFields, PromotionsCommand, ShippingCommand, ShippingFields, TaxesCommand,
};
use crate::core_values::cli_name;
use crate::error::{CliError, Result};
use crate::output;

fn currency(code: &str) -> Result<Currency> {
    Ok(Currency::from_code(code)?)
}

fn amounts(currency: Currency, what: &str, text: &str) -> Result<CurrencyAmounts> {
    Ok(CurrencyAmounts::from([(
        currency,
        parse_decimal(what, text)?,
    )]))
}

fn format_amounts(amounts: &CurrencyAmounts) -> String {
    amounts
        .iter()
        .map(|(currency, amount)| format!("{amount} {currency}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn instant(flag: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            CliError::Input(format!(
                "{flag} `{text}` is not an RFC 3339 instant (e.g. 2026-12-01T00:00:00Z)"
            ))
        })
}

fn print_or<T: Serialize + ?Sized>(ctx: &Context, value: &T, table: impl FnOnce()) -> Result<()> {
    if ctx.json {
        output::print_json(value)
    } else {
        table();
        Ok(())
    }
}

fn deleted(ctx: &Context, what: &str, id: &str) -> Result<()> {
    if ctx.json {
        output::print_json(&serde_json::json!({ "deleted": id }))
    } else {
        println!("deleted {what} {id}");
        Ok(())
    }
}

// ---- promotions ------------------------------------------------------------------------------

fn selector_summary(selector: &LineSelector) -> String {
    let mut parts = Vec::new();
    if !selector.skus.is_empty() {
        parts.push(selector.skus.join(","));
    }
    let ids = selector.product_ids.len() + selector.variant_ids.len();
    if ids > 0 {
        parts.push(format!("{ids} products/variants"));
    }
    if !selector.category_ids.is_empty() {
        parts.push(format!("{} categories", selector.category_ids.len()));
    }
    if parts.is_empty() {
        "every item".into()
    } else {
        parts.join("; ")
    }
}

fn target_summary(target: &Target) -> String {
    match target {
        Target::Order => "the order".into(),
        Target::Items(selector) => selector_summary(selector),
    }
}

/// One line saying what a promotion gives, for the table.
fn effect_summary(effect: &PromotionEffect) -> String {
    match effect {
        PromotionEffect::PercentageOff { percent, target } => {
            format!("{percent}% off {}", target_summary(target))
        }
        PromotionEffect::AmountOff { amounts, target } => {
            format!("{} off {}", format_amounts(amounts), target_summary(target))
        }
        PromotionEffect::AmountOffEachItem { amounts, items } => {
            format!(
                "{} off each of {}",
                format_amounts(amounts),
                selector_summary(items)
            )
        }
        PromotionEffect::FixedPrice { prices, items } => {
            format!(
                "{} each for {}",
                format_amounts(prices),
                selector_summary(items)
            )
        }
        PromotionEffect::BuyXGetY {
            buy,
            buy_quantity,
            get_quantity,
            reward,
            ..
        } => {
            let reward = match reward {
                BxgyReward::Free => "free".to_string(),
                BxgyReward::PercentOff { percent } => format!("{percent}% off"),
            };
            format!(
                "buy {buy_quantity} get {get_quantity} {reward} ({})",
                selector_summary(buy)
            )
        }
        PromotionEffect::TieredSpend { tiers } => {
            let steps: Vec<String> = tiers
                .iter()
                .map(|tier| {
                    let reward = match &tier.reward {
                        TierReward::PercentOff { percent } => format!("{percent}%"),
                        TierReward::AmountOff { amounts } => format_amounts(amounts),
                    };
                    format!("{} -> {reward}", format_amounts(&tier.threshold))
                })
                .collect();
            format!("spend tiers: {}", steps.join(", "))
        }
        PromotionEffect::FreeShipping { method_ids } if method_ids.is_empty() => {
            "free shipping".into()
        }
        PromotionEffect::FreeShipping { method_ids } => {
            format!("free shipping on {} methods", method_ids.len())
        }
    }
}

fn window(promotion: &Promotion) -> String {
    let day = |at: &Option<DateTime<Utc>>| at.map(|at| at.format("%Y-%m-%d %H:%M").to_string());
    match (
        day(&promotion.conditions.starts_at),
        day(&promotion.conditions.ends_at),
    ) {
        (None, None) => "always".into(),
        (Some(from), None) => format!("from {from}"),
        (None, Some(until)) => format!("until {until}"),
        (Some(from), Some(until)) => format!("{from} to {until}"),
    }
}

fn print_promotions(promotions: &[Promotion]) {
    let mut table = output::table(&[
        "id", "name", "coupon", "gives", "when", "priority", "limit", "active",
    ]);
    for p in promotions {
        let mut limit = p.usage_limit.map(|n| n.to_string()).unwrap_or_default();
        if let Some(each) = p.per_customer_limit {
            limit = format!("{limit} ({each}/customer)").trim().to_string();
        }
        table.add_row(vec![
            p.id.to_string(),
            p.name.clone(),
            p.coupon_code
                .clone()
                .unwrap_or_else(|| "(automatic)".into()),
            effect_summary(&p.effect),
            window(p),
            format!("{}{}", p.priority, if p.exclusive { " excl." } else { "" }),
            limit,
            if p.active { "yes" } else { "no" }.into(),
        ]);
    }
    println!("{table}");
}

/// Sets the given fields on `promotion`.
fn apply_promotion_fields(
    promotion: &mut Promotion,
    fields: &PromotionFields,
    currency: Currency,
) -> Result<()> {
    if let Some(name) = &fields.name {
        promotion.name = name.clone();
    }
    if let Some(description) = &fields.description {
        promotion.description = description.clone();
    }
    if let Some(code) = &fields.coupon {
        promotion.coupon_code = Some(code.clone());
    }
    if let Some(min) = &fields.min_subtotal {
        promotion.conditions.min_subtotal = Some(amounts(currency, "--min-subtotal", min)?);
    }
    if let Some(at) = &fields.starts_at {
        promotion.conditions.starts_at = Some(instant("--starts-at", at)?);
    }
    if let Some(at) = &fields.ends_at {
        promotion.conditions.ends_at = Some(instant("--ends-at", at)?);
    }
    if let Some(limit) = fields.usage_limit {
        promotion.usage_limit = Some(limit);
    }
    if let Some(limit) = fields.per_customer_limit {
        promotion.per_customer_limit = Some(limit);
    }
    if let Some(priority) = fields.priority {
        promotion.priority = priority;
    }
    if let Some(exclusive) = fields.exclusive {
        promotion.exclusive = exclusive;
    }
    if let Some(active) = fields.active {
        promotion.active = active;
    }
    Ok(())
}

fn effect_from_flags(
    effect: &EffectArgs,
    skus: &[String],
    currency: Currency,
) -> Result<PromotionEffect> {
    let target = if skus.is_empty() {
        Target::Order
    } else {
        Target::Items(LineSelector {
            skus: skus.iter().map(|s| s.trim().to_string()).collect(),
            ..LineSelector::default()
        })
    };
    if let Some(percent) = &effect.percent_off {
        return Ok(PromotionEffect::PercentageOff {
            percent: parse_decimal("--percent-off", percent)?,
            target,
        });
    }
    if let Some(amount) = &effect.amount_off {
        return Ok(PromotionEffect::AmountOff {
            amounts: amounts(currency, "--amount-off", amount)?,
            target,
        });
    }
    if effect.free_shipping {
        if !skus.is_empty() {
            return Err(CliError::Input(
                "--skus cannot be used with --free-shipping".into(),
            ));
        }
        return Ok(PromotionEffect::FreeShipping {
            method_ids: Vec::new(),
        });
    }
    Err(CliError::Input(
        "give --percent-off, --amount-off or --free-shipping (or --file with the promotion JSON)"
            .into(),
    ))
}

/// Runs `merx promotions ...`.
pub async fn promotions(ctx: &Context, command: &PromotionsCommand) -> Result<()> {
    let settings = SettingsService::new(ctx.store.clone());
    let admin = Principal::System;
    let one = |p: Promotion| print_or(ctx, &p, || print_promotions(std::slice::from_ref(&p)));
    match command {
        PromotionsCommand::List => {
            let mut all = settings.promotions(&admin).await?;
            all.sort_by_key(|p| (p.priority, p.id));
            print_or(ctx, &all, || print_promotions(&all))
        }
        PromotionsCommand::Show { id } => one(settings
            .promotion(&admin, parse_id::<PromotionId>(id)?)
            .await?),
        PromotionsCommand::Create {
            file,
            effect,
            skus,
            currency: code,
            fields,
        } => {
            let promotion = match file {
                Some(path) => read_json::<Promotion>(path, "a promotion")?,
                None => {
                    let currency = currency(code)?;
                    let Some(name) = &fields.name else {
                        return Err(CliError::Input(
                            "give --name (or --file with the promotion JSON)".into(),
                        ));
                    };
                    let mut promotion =
                        Promotion::new(name, effect_from_flags(effect, skus, currency)?);
                    apply_promotion_fields(&mut promotion, fields, currency)?;
                    promotion
                }
            };
            one(settings.create_promotion(&admin, promotion).await?)
        }
        PromotionsCommand::Update {
            id,
            file,
            no_coupon,
            currency: code,
            fields,
        } => {
            let id = parse_id::<PromotionId>(id)?;
            let promotion = match file {
                Some(path) => read_json::<Promotion>(path, "a promotion")?,
                None => {
                    let mut promotion = settings.promotion(&admin, id).await?;
                    let before = promotion.clone();
                    apply_promotion_fields(&mut promotion, fields, currency(code)?)?;
                    if *no_coupon {
                        promotion.coupon_code = None;
                    }
                    if promotion == before && !*no_coupon {
                        return Err(nothing_to_update());
                    }
                    promotion
                }
            };
            one(settings.update_promotion(&admin, id, promotion).await?)
        }
        PromotionsCommand::Delete { id } => {
            settings
                .delete_promotion(&admin, parse_id::<PromotionId>(id)?)
                .await?;
            deleted(ctx, "promotion", id)
        }
    }
}

fn nothing_to_update() -> CliError {
    CliError::Input("nothing to update: give --file or at least one field to change".into())
}

// ---- taxes -----------------------------------------------------------------------------------

fn print_tax_settings(settings: &PricingSettings) {
    let tax = &settings.tax;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    println!("prices include tax: {}", yes_no(tax.prices_include_tax));
    println!(
        "shipping taxable:   {} (class {})",
        yes_no(tax.shipping_taxable),
        tax.shipping_tax_class
    );
    println!("calculation:        {}", cli_name(&tax.calculation));
    println!("tax rounding:       {}", cli_name(&tax.rounding));
    println!("line rounding:      {}", cli_name(&settings.rounding));
    let default = match (&tax.default_country, &tax.default_region) {
        (None, _) => "none (tax needs a shipping address)".to_string(),
        (Some(country), None) => country.clone(),
        (Some(country), Some(region)) => format!("{country}-{region}"),
    };
    println!("default country:    {default}");
}

fn print_rates(rates: &[TaxRate]) {
    let mut table = output::table(&["id", "name", "country", "region", "class", "percent"]);
    for rate in rates {
        table.add_row(vec![
            rate.id.to_string(),
            rate.name.clone(),
            rate.country.clone(),
            rate.region.clone().unwrap_or_default(),
            rate.tax_class.clone(),
            format!("{}%", rate.percent),
        ]);
    }
    println!("{table}");
}

fn find_rate(settings: &PricingSettings, id: TaxRateId) -> Result<TaxRate> {
    settings
        .tax
        .rates
        .iter()
        .find(|rate| rate.id == id)
        .cloned()
        .ok_or_else(|| StorageError::not_found(TaxRateId::ENTITY, id).into())
}

/// Runs `merx taxes ...`. Rate changes go through the settings service one rate at a time, so
/// they never undo a change made meanwhile to other rates or settings; `taxes settings` writes
/// the settings it read and is refused (`conflict`) if they changed in between.
pub async fn taxes(ctx: &Context, command: &TaxesCommand) -> Result<()> {
    let service = SettingsService::new(ctx.store.clone());
    let admin = Principal::System;
    let show_rate =
        |rate: &TaxRate| print_or(ctx, rate, || print_rates(std::slice::from_ref(rate)));
    match command {
        TaxesCommand::List => {
            let settings = service.pricing_settings(&admin).await?;
            print_or(ctx, &settings, || {
                print_tax_settings(&settings);
                print_rates(&settings.tax.rates);
            })
        }
        TaxesCommand::Create {
            name,
            country,
            region,
            class,
            percent,
        } => {
            let mut rate = TaxRate::new(name, country, class, parse_decimal("--percent", percent)?);
            rate.region = region.clone();
            show_rate(&service.create_tax_rate(&admin, rate).await?)
        }
        TaxesCommand::Update {
            id,
            name,
            country,
            region,
            no_region,
            class,
            percent,
        } => {
            let id = parse_id::<TaxRateId>(id)?;
            let mut rate = find_rate(&service.pricing_settings(&admin).await?, id)?;
            let before = rate.clone();
            if let Some(name) = name {
                rate.name = name.clone();
            }
            if let Some(country) = country {
                rate.country = country.clone();
            }
            if let Some(region) = region {
                rate.region = Some(region.clone());
            }
            if *no_region {
                rate.region = None;
            }
            if let Some(class) = class {
                rate.tax_class = class.clone();
            }
            if let Some(percent) = percent {
                rate.percent = parse_decimal("--percent", percent)?;
            }
            if rate == before && !*no_region {
                return Err(nothing_to_update());
            }
            show_rate(&service.update_tax_rate(&admin, id, rate).await?)
        }
        TaxesCommand::Delete { id } => {
            service
                .delete_tax_rate(&admin, parse_id::<TaxRateId>(id)?)
                .await?;
            deleted(ctx, "tax rate", id)
        }
        TaxesCommand::Settings {
            prices_include_tax,
            shipping_taxable,
            shipping_tax_class,
            calculation,
            tax_rounding,
            rounding: line_rounding,
            default_country,
            default_region,
        } => {
            let mut settings = service.pricing_settings(&admin).await?;
            let before = settings.clone();
            let tax = &mut settings.tax;
            if let Some(value) = prices_include_tax {
                tax.prices_include_tax = *value;
            }
            if let Some(value) = shipping_taxable {
                tax.shipping_taxable = *value;
            }
            if let Some(class) = shipping_tax_class {
                tax.shipping_tax_class = class.clone();
            }
            if let Some(calculation) = calculation {
                tax.calculation = *calculation;
            }
            if let Some(mode) = tax_rounding {
                tax.rounding = *mode;
            }
            if let Some(country) = default_country {
                tax.default_country = Some(country.clone());
            }
            if let Some(region) = default_region {
                tax.default_region = Some(region.clone());
            }
            if let Some(mode) = line_rounding {
                settings.rounding = *mode;
            }
            let settings = if settings == before {
                settings
            } else {
                service.put_pricing_settings(&admin, settings).await?
            };
            print_or(ctx, &settings, || print_tax_settings(&settings))
        }
    }
}

// ---- shipping --------------------------------------------------------------------------------

fn rate_summary(rate: &ShippingRate) -> String {
    match rate {
        ShippingRate::Flat { amounts } => format_amounts(amounts),
        ShippingRate::WeightTiered { tiers } => tiers
            .iter()
            .map(|tier| match tier.up_to {
                Some(kg) => format!("<= {kg} kg: {}", format_amounts(&tier.amounts)),
                None => format!("heavier: {}", format_amounts(&tier.amounts)),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn print_methods(methods: &[ShippingMethod]) {
    let mut table = output::table(&[
        "id",
        "name",
        "countries",
        "price",
        "free over",
        "tax class",
        "active",
    ]);
    for method in methods {
        table.add_row(vec![
            method.id.to_string(),
            method.name.clone(),
            if method.countries.is_empty() {
                "everywhere".into()
            } else {
                method.countries.join(",")
            },
            rate_summary(&method.rate),
            method
                .free_over
                .as_ref()
                .map(format_amounts)
                .unwrap_or_default(),
            method.tax_class.clone().unwrap_or_default(),
            if method.active { "yes" } else { "no" }.into(),
        ]);
    }
    println!("{table}");
}

/// Parses `--tier UP_TO=AMOUNT` values (`*` for the open band).
fn tiers(values: &[String], currency: Currency) -> Result<Vec<WeightTier>> {
    values
        .iter()
        .map(|value| {
            let (up_to, amount) = value.split_once('=').ok_or_else(|| {
                CliError::Input(format!(
                    "--tier `{value}` is not UP_TO=AMOUNT (e.g. 2=5.99 or *=19.99)"
                ))
            })?;
            let up_to = match up_to.trim() {
                "*" => None,
                kg => Some(parse_decimal("--tier weight", kg)?),
            };
            Ok(WeightTier {
                up_to,
                amounts: amounts(currency, "--tier amount", amount)?,
            })
        })
        .collect()
}

/// Sets the given fields on `method`; `Ok(true)` when any was given.
fn apply_shipping_fields(method: &mut ShippingMethod, fields: &ShippingFields) -> Result<bool> {
    let currency = currency(&fields.currency)?;
    let mut changed = false;
    if let Some(name) = &fields.name {
        method.name = name.clone();
        changed = true;
    }
    if let Some(flat) = &fields.flat {
        method.rate = ShippingRate::Flat {
            amounts: amounts(currency, "--flat", flat)?,
        };
        changed = true;
    }
    if !fields.tiers.is_empty() {
        method.rate = ShippingRate::WeightTiered {
            tiers: tiers(&fields.tiers, currency)?,
        };
        changed = true;
    }
    if let Some(countries) = &fields.countries {
        method.countries = countries
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        changed = true;
    }
    if let Some(free_over) = &fields.free_over {
        method.free_over = Some(amounts(currency, "--free-over", free_over)?);
        changed = true;
    }
    if let Some(class) = &fields.tax_class {
        method.tax_class = Some(class.clone());
        changed = true;
    }
    if let Some(active) = fields.active {
        method.active = active;
        changed = true;
    }
    Ok(changed)
}

/// Runs `merx shipping ...`.
pub async fn shipping(ctx: &Context, command: &ShippingCommand) -> Result<()> {
    let settings = SettingsService::new(ctx.store.clone());
    let admin = Principal::System;
    let one = |m: ShippingMethod| print_or(ctx, &m, || print_methods(std::slice::from_ref(&m)));
    match command {
        ShippingCommand::List => {
            let methods = settings.shipping_methods().await?;
            print_or(ctx, &methods, || print_methods(&methods))
        }
        ShippingCommand::Create { file, fields } => {
            let method = match file {
                Some(path) => read_json::<ShippingMethod>(path, "a shipping method")?,
                None => {
                    let Some(name) = &fields.name else {
                        return Err(CliError::Input(
                            "give --name (or --file with the shipping method JSON)".into(),
                        ));
                    };
                    if fields.flat.is_none() && fields.tiers.is_empty() {
                        return Err(CliError::Input(
                            "give --flat AMOUNT or --tier UP_TO=AMOUNT (or --file)".into(),
                        ));
                    }
                    let mut method = ShippingMethod::flat(name, Currency::Usd, Decimal::ZERO);
                    apply_shipping_fields(&mut method, fields)?;
                    method
                }
            };
            one(settings.create_shipping_method(&admin, method).await?)
        }
        ShippingCommand::Update {
            id,
            file,
            no_free_over,
            fields,
        } => {
            let id = parse_id::<ShippingMethodId>(id)?;
            let method = match file {
                Some(path) => read_json::<ShippingMethod>(path, "a shipping method")?,
                None => {
                    let mut method = settings
                        .shipping_methods()
                        .await?
                        .into_iter()
                        .find(|m| m.id == id)
                        .ok_or_else(|| StorageError::not_found(ShippingMethodId::ENTITY, id))?;
                    let changed = apply_shipping_fields(&mut method, fields)?;
                    if *no_free_over {
                        method.free_over = None;
                    }
                    if !changed && !*no_free_over {
                        return Err(nothing_to_update());
                    }
                    method
                }
            };
            one(settings.update_shipping_method(&admin, id, method).await?)
        }
        ShippingCommand::Delete { id } => {
            settings
                .delete_shipping_method(&admin, parse_id::<ShippingMethodId>(id)?)
                .await?;
            deleted(ctx, "shipping method", id)
        }
    }
}
