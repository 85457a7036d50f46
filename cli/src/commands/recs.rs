//! `merx recs train|for-user|similar|evaluate`: the same training as the server's
//! `POST /v1/recommendations/train`, saved to a JSON file that the other two commands load.
//!
//! The model file is derived data, so it lives beside the SQLite database it was trained from
//! (`shop.db` -> `shop.recs.json`), never in whatever directory the command ran in. Without a
//! saved model, `for-user` and `similar` train from the store on the spot, as the REST API
//! does on first use: fitting the demo's 600 orders takes well under a second.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use merx_core::ids::ProductId;
use merx_core::recommend::eval::{
    evaluate_popularity, evaluate_recommender, split_last_basket, split_leave_last_out,
    split_stratified,
};
use merx_core::recommend::{
    interactions_from_orders, train_from_store, unavailable_from_catalog, AlsConfig, EaseConfig,
    ModelConfig, RankingMetrics, RecommendRequest, RecommenderConfig, StoreRecommender, Stratify,
    TrainingCounts,
};
use merx_runtime::recommendations::RecommendationList;
use serde::Serialize;

use super::{parse_id, resolve_user, Context};
use crate::cli::{ModelArg, RecsCommand, SplitArg};
use crate::error::{CliError, Result};
use crate::output;

/// Contributing products shown per "for user" recommendation.
const EXPLAIN: usize = 3;

/// What `merx recs train --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TrainOutput<'a> {
    #[serde(flatten)]
    counts: TrainingCounts,
    model: &'a Path,
}

/// Runs a `merx recs` command.
pub async fn run(ctx: &Context, command: &RecsCommand) -> Result<()> {
    match command {
        RecsCommand::Train { model } => {
            let path = match model {
                Some(path) => path.clone(),
                None => beside_database(&ctx.database_url)?,
            };
            train(ctx, &path).await
        }
        RecsCommand::ForUser { user, model, k } => {
            let user = resolve_user(ctx, user).await?;
            let request = request(ctx, usize::from(*k), EXPLAIN).await?;
            let items = match recommender(ctx, model.as_deref()).await? {
                Some(recommender) => recommender.recommend_for_user(&user, &request),
                None => Vec::new(),
            };
            print(ctx, items.into()).await
        }
        RecsCommand::Evaluate {
            k,
            split,
            ratio,
            seed,
            model,
        } => evaluate(ctx, usize::from(*k), *split, *ratio, *seed, *model).await,
        RecsCommand::Similar { product, model, k } => {
            let product = match parse_id::<ProductId>(product) {
                Ok(id) => ctx.store.get_product(id).await?.id,
                // Not an id: a SKU names the product too.
                Err(_) => ctx.store.find_product_by_sku(product.trim()).await?.id,
            };
            let request = request(ctx, usize::from(*k), 0)
                .await?
                .fill_with_popular(false);
            let items = match recommender(ctx, model.as_deref()).await? {
                Some(recommender) => recommender.also_bought(&[product], &request),
                None => Vec::new(),
            };
            print(ctx, items.into()).await
        }
    }
}

async fn train(ctx: &Context, path: &Path) -> Result<()> {
    let trained = train_from_store(ctx.store.as_ref(), RecommenderConfig::sar()).await?;
    let Some(recommender) = trained.recommender else {
        return Err(CliError::Runtime(
            "nothing to train on: the store has no non-cancelled customer orders".into(),
        ));
    };
    let json = recommender.to_json()?;
    std::fs::write(path, json)
        .map_err(|e| CliError::Runtime(format!("cannot write `{}`: {e}", path.display())))?;
    let counts = trained.counts;
    if ctx.json {
        return output::print_json(&TrainOutput {
            counts,
            model: path,
        });
    }
    println!(
        "trained on {} orders ({} lines, {} customers, {} products); saved to {}",
        counts.orders,
        counts.interactions,
        counts.users,
        counts.products,
        path.display()
    );
    Ok(())
}

/// What `merx recs evaluate --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Evaluation {
    split: &'static str,
    k: usize,
    train_interactions: usize,
    test_interactions: usize,
    results: Vec<ModelMetrics>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelMetrics {
    model: &'static str,
    metrics: RankingMetrics,
}

async fn evaluate(
    ctx: &Context,
    k: usize,
    split: SplitArg,
    ratio: f64,
    seed: u64,
    model: ModelArg,
) -> Result<()> {
    if split == SplitArg::Random && !(ratio > 0.0 && ratio < 1.0) {
        return Err(CliError::Input(format!(
            "--ratio {ratio} must be between 0 and 1"
        )));
    }
    let data = interactions_from_orders(ctx.store.as_ref()).await?;
    if data.interactions.is_empty() {
        return Err(CliError::Runtime(
            "nothing to evaluate: the store has no non-cancelled customer orders".into(),
        ));
    }
    let (split_name, parts) = match split {
        SplitArg::LastBasket => ("last-basket", split_last_basket(&data.interactions)),
        SplitArg::LeaveLastOut => ("leave-last-out", split_leave_last_out(&data.interactions)),
        SplitArg::Random => (
            "random",
            split_stratified(&data.interactions, ratio, Stratify::ByUser, seed),
        ),
    };
    if parts.test.is_empty() || parts.train.is_empty() {
        return Err(CliError::Runtime(format!(
            "nothing to evaluate: the {split_name} split leaves no {} (customers need more than one order)",
            if parts.test.is_empty() { "held-out data" } else { "training data" }
        )));
    }
    let (model_name, config) = match model {
        ModelArg::Sar => ("sar", RecommenderConfig::sar()),
        ModelArg::Ease => (
            "ease",
            RecommenderConfig::sar().with_model(ModelConfig::Ease(EaseConfig::default())),
        ),
        ModelArg::Als => (
            "als",
            RecommenderConfig::sar().with_model(ModelConfig::Als(AlsConfig::default())),
        ),
    };
    let recommender = StoreRecommender::fit(&parts.train, config)?;
    let request = RecommendRequest::top(k);
    let evaluation = Evaluation {
        split: split_name,
        k,
        train_interactions: parts.train.len(),
        test_interactions: parts.test.len(),
        results: vec![
            ModelMetrics {
                model: model_name,
                metrics: evaluate_recommender(&recommender, &parts, &request),
            },
            ModelMetrics {
                model: "popularity",
                metrics: evaluate_popularity(&recommender, &parts, &request),
            },
        ],
    };
    if ctx.json {
        return output::print_json(&evaluation);
    }
    println!(
        "{} split: {} lines to train on, {} held out; k = {k}",
        evaluation.split, evaluation.train_interactions, evaluation.test_interactions
    );
    let at = |name: &str| format!("{name}@{k}");
    let mut table = output::table(&[
        "model",
        &at("precision"),
        &at("recall"),
        &at("ndcg"),
        &at("map"),
        "coverage",
        "customers",
    ]);
    for result in &evaluation.results {
        let m = &result.metrics;
        table.add_row(vec![
            result.model.to_string(),
            format!("{:.4}", m.precision),
            format!("{:.4}", m.recall),
            format!("{:.4}", m.ndcg),
            format!("{:.4}", m.map_at_k),
            format!("{:.4}", m.coverage),
            m.users.to_string(),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// Where `merx recs train` keeps the model of the store at `database_url` when not told: beside
/// a SQLite file. Other stores have no directory of their own to put it in.
fn beside_database(database_url: &str) -> Result<PathBuf> {
    match merx_sqlite::Location::parse(database_url) {
        Ok(merx_sqlite::Location::File(db)) => {
            let stem = db
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| "merx".into());
            Ok(db.with_file_name(format!("{stem}.recs.json")))
        }
        _ => Err(CliError::Input(format!(
            "give --model FILE: `{}` is not a SQLite file to keep the model beside",
            redact_url(database_url)
        ))),
    }
}

/// The URL with any password replaced, for messages.
fn redact_url(url: &str) -> String {
    crate::config::redact_url(url)
}

/// The recommender to answer from: the saved model (`--model`, or the one beside the SQLite
/// database when that file exists), else one trained from the store now. `None` when the store
/// has no orders to train on.
async fn recommender(ctx: &Context, model: Option<&Path>) -> Result<Option<StoreRecommender>> {
    let saved = match model {
        Some(path) => Some(path.to_path_buf()),
        None => beside_database(&ctx.database_url)
            .ok()
            .filter(|path| path.is_file()),
    };
    if let Some(path) = saved {
        return load(&path).map(Some);
    }
    let trained = train_from_store(ctx.store.as_ref(), RecommenderConfig::sar()).await?;
    Ok(trained.recommender)
}

/// Loads a model saved by `merx recs train`; a missing or unreadable file is bad input.
fn load(path: &Path) -> Result<StoreRecommender> {
    let json = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CliError::Input(format!(
            "no model at `{}`: run `merx recs train` first",
            path.display()
        )),
        _ => CliError::Input(format!("cannot read `{}`: {e}", path.display())),
    })?;
    StoreRecommender::from_json(&json)
        .map_err(|e| CliError::Input(format!("`{}` is not a saved model: {e}", path.display())))
}

async fn request(ctx: &Context, k: usize, explain: usize) -> Result<RecommendRequest<ProductId>> {
    let unavailable = unavailable_from_catalog(ctx.store.as_ref()).await?;
    Ok(RecommendRequest::top(k)
        .unavailable(unavailable)
        .explain(explain))
}

/// Names and SKUs of the products in `list`, for a table people read.
async fn labels(ctx: &Context, list: &RecommendationList) -> Result<HashMap<ProductId, String>> {
    let mut labels = HashMap::new();
    let ids = list.items.iter().flat_map(|item| {
        std::iter::once(item.product_id).chain(item.because.iter().map(|b| b.product_id))
    });
    for id in ids {
        if labels.contains_key(&id) {
            continue;
        }
        let label = match ctx.store.get_product(id).await {
            Ok(product) => {
                let skus: Vec<&str> = product.variants.iter().map(|v| v.sku.as_str()).collect();
                format!("{} ({})", product.name, skus.join(", "))
            }
            // Deleted since the model was trained: the id is all there is.
            Err(merx_core::store::StorageError::NotFound { .. }) => id.to_string(),
            Err(other) => return Err(other.into()),
        };
        labels.insert(id, label);
    }
    Ok(labels)
}

async fn print(ctx: &Context, list: RecommendationList) -> Result<()> {
    if ctx.json {
        return output::print_json(&list);
    }
    let labels = labels(ctx, &list).await?;
    let label = |id: &ProductId| labels.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut table = output::table(&["product", "id", "score", "source", "because"]);
    for item in &list.items {
        let source = serde_json::to_value(item.source)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        let because: Vec<String> = item
            .because
            .iter()
            .map(|part| label(&part.product_id))
            .collect();
        table.add_row(vec![
            label(&item.product_id),
            item.product_id.to_string(),
            format!("{:.4}", item.score),
            source,
            because.join("; "),
        ]);
    }
    println!("{table}");
    Ok(())
}
