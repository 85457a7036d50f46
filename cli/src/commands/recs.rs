//! `merx recs train|for-user|similar|evaluate`: the same training as the server's
//! `POST /v1/recommendations/train`, saved to a JSON file that the other two commands load.

use std::path::Path;

use merx_core::ids::{ProductId, UserId};
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

use super::{parse_id, Context};
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
        RecsCommand::Train { model } => train(ctx, model).await,
        RecsCommand::ForUser { user_id, model, k } => {
            let user: UserId = parse_id(user_id)?;
            let recommender = load(model)?;
            let request = request(ctx, usize::from(*k), EXPLAIN).await?;
            print(ctx, recommender.recommend_for_user(&user, &request).into())
        }
        RecsCommand::Evaluate {
            k,
            split,
            ratio,
            seed,
            model,
        } => evaluate(ctx, usize::from(*k), *split, *ratio, *seed, *model).await,
        RecsCommand::Similar {
            product_id,
            model,
            k,
        } => {
            let product: ProductId = parse_id(product_id)?;
            let recommender = load(model)?;
            ctx.store.get_product(product).await?;
            let request = request(ctx, usize::from(*k), 0)
                .await?
                .fill_with_popular(false);
            print(ctx, recommender.also_bought(&[product], &request).into())
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

fn print(ctx: &Context, list: RecommendationList) -> Result<()> {
    if ctx.json {
        return output::print_json(&list);
    }
    let mut table = output::table(&["product", "score", "source", "because"]);
    for item in &list.items {
        let source = serde_json::to_value(item.source)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        let because: Vec<String> = item
            .because
            .iter()
            .map(|part| part.product_id.to_string())
            .collect();
        table.add_row(vec![
            item.product_id.to_string(),
            format!("{:.4}", item.score),
            source,
            because.join(", "),
        ]);
    }
    println!("{table}");
    Ok(())
}
