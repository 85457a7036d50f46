//! Offline evaluation of the recommendation engine on real data (run by `scripts/bench-recs`).
//!
//! ```text
//! cargo run --release -p merx-core --example recs_eval -- \
//!     --movielens .cache/recs/data/ml-100k.inter --instacart .cache/recs/data/df_sample.csv
//! ```
//!
//! Hyper-parameters (EASE's penalty, ALS's settings, the buy-again share) are chosen on a
//! validation split carved out of the training data, never on the test set.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::time::Instant;

use merx_core::recommend::eval::{
    evaluate, evaluate_recommender, split_last_basket, split_stratified, RankingMetrics, Split,
    Stratify,
};
use merx_core::recommend::{
    AlsConfig, AlsSolver, BuyAgainConfig, EaseConfig, Interaction, ModelConfig, RecommendRequest,
    Recommender, RecommenderConfig, Similarity, SimilarityConfig, TimeDecay,
};

type Events = Vec<Interaction<u32, u32>>;

const K: usize = 10;
const SEED: u64 = 42;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path_after = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|at| args.get(at + 1))
            .cloned()
    };
    if let Some(path) = path_after("--movielens") {
        movielens(&std::fs::read_to_string(path)?)?;
    }
    if let Some(path) = path_after("--instacart") {
        instacart(&std::fs::read_to_string(path)?)?;
    }
    Ok(())
}

fn header() {
    println!("| model | P@10 | R@10 | NDCG@10 | MAP | MAP@10 | coverage | users | fit s |");
    println!("|---|---|---|---|---|---|---|---|---|");
}

fn row(name: &str, metrics: &RankingMetrics, fit_seconds: f64) {
    println!(
        "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {} | {fit_seconds:.2} |",
        metrics.precision,
        metrics.recall,
        metrics.ndcg,
        metrics.map,
        metrics.map_at_k,
        metrics.coverage,
        metrics.users
    );
}

/// Fits on `split.train`, recommends for every test user, scores against `split.test`.
fn run(
    split: &Split<u32, u32>,
    config: RecommenderConfig,
    request: &RecommendRequest<u32>,
) -> Result<(RankingMetrics, f64), Box<dyn Error>> {
    let started = Instant::now();
    let recommender = Recommender::fit(&split.train, config)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    Ok((
        evaluate_recommender(&recommender, split, request),
        fit_seconds,
    ))
}

fn binary(events: &[Interaction<u32, u32>]) -> Events {
    events
        .iter()
        .map(|e| Interaction {
            weight: 1.0,
            ..e.clone()
        })
        .collect()
}

fn binary_split(split: &Split<u32, u32>) -> Split<u32, u32> {
    Split {
        train: binary(&split.train),
        test: split.test.clone(),
    }
}

/// Picks the candidate with the best validation NDCG@10 (validation = a further split of train).
fn pick_on_validation<C: Copy + std::fmt::Debug>(
    label: &str,
    validation: &Split<u32, u32>,
    candidates: &[C],
    config_of: impl Fn(C) -> RecommenderConfig,
    request: &RecommendRequest<u32>,
) -> Result<C, Box<dyn Error>> {
    let mut best = (f64::MIN, candidates[0]);
    for &candidate in candidates {
        let (metrics, _) = run(validation, config_of(candidate), request)?;
        eprintln!(
            "  validation {label} {candidate:?}: NDCG@10 {:.4}",
            metrics.ndcg
        );
        if metrics.ndcg > best.0 {
            best = (metrics.ndcg, candidate);
        }
    }
    Ok(best.1)
}

fn parse_movielens(text: &str) -> Result<Events, Box<dyn Error>> {
    let mut events = Vec::new();
    for line in text.lines().skip(1) {
        let mut fields = line.split('\t');
        let mut next = || fields.next().ok_or("short ml-100k line");
        let user: u32 = next()?.parse()?;
        let item: u32 = next()?.parse()?;
        let rating: f32 = next()?.parse()?;
        let timestamp: f64 = next()?.parse()?;
        events.push(Interaction {
            user,
            item,
            weight: rating,
            timestamp: timestamp as i64,
        });
    }
    Ok(events)
}

fn movielens(text: &str) -> Result<(), Box<dyn Error>> {
    let events = parse_movielens(text)?;
    println!(
        "\n### MovieLens-100k ({} ratings), k = 10, seen items removed\n",
        events.len()
    );
    let request = RecommendRequest::top(K);
    let sar = RecommenderConfig::sar();
    sar_seed_sweep(&events, sar, &request, Stratify::ByItem)?;
    sar_seed_sweep(&events, sar, &request, Stratify::ByUser)?;
    for (label, stratify) in [
        ("per-user", Stratify::ByUser),
        ("per-item", Stratify::ByItem),
    ] {
        let split = split_stratified(&events, 0.75, stratify, SEED);
        println!(
            "\n#### 75/25 {label} stratified split, seed {SEED}: {} train / {} test\n",
            split.train.len(),
            split.test.len()
        );
        let validation = {
            let inner = split_stratified(&split.train, 0.75, stratify, SEED + 1);
            binary_split(&inner)
        };
        let binary_train = binary_split(&split);
        header();
        let (metrics, seconds) = run(&split, sar, &request)?;
        row(
            "SAR (Jaccard, 30-day decay, rating weights)",
            &metrics,
            seconds,
        );
        for (similarity, min_cooccurrence) in [
            (Similarity::Cosine, 1),
            (Similarity::Count, 1),
            (Similarity::Lift, 1),
            (Similarity::Lift, 20),
        ] {
            let config = sar.with_model(ModelConfig::ItemSimilarity(SimilarityConfig {
                similarity,
                min_cooccurrence,
                max_neighbours: None,
            }));
            let (metrics, seconds) = run(&split, config, &request)?;
            let name = format!("SAR ({similarity:?}, min co-occurrence {min_cooccurrence})");
            row(&name, &metrics, seconds);
        }
        let plain = RecommenderConfig {
            decay: TimeDecay::NONE,
            ..sar
        };
        let ease_of = |l2: f64| plain.with_model(ModelConfig::Ease(EaseConfig { l2 }));
        let l2 = pick_on_validation(
            "EASE l2",
            &validation,
            &[100.0, 200.0, 300.0, 500.0, 800.0],
            ease_of,
            &request,
        )?;
        let (metrics, seconds) = run(&binary_train, ease_of(l2), &request)?;
        row(&format!("EASE (l2 = {l2}, binary)"), &metrics, seconds);
        let als_of = |(factors, l2, alpha): (usize, f32, f32)| {
            plain.with_model(ModelConfig::Als(AlsConfig {
                factors,
                l2,
                alpha,
                iterations: 15,
                solver: AlsSolver::ConjugateGradient { steps: 3 },
                seed: SEED,
            }))
        };
        let mut grid = Vec::new();
        for factors in [32, 64, 128] {
            for l2 in [1.0, 10.0, 50.0] {
                for alpha in [1.0, 5.0, 20.0] {
                    grid.push((factors, l2, alpha));
                }
            }
        }
        let chosen = pick_on_validation("ALS", &validation, &grid, als_of, &request)?;
        let (metrics, seconds) = run(&binary_train, als_of(chosen), &request)?;
        row(
            &format!(
                "ALS CG (factors {}, l2 {}, alpha {}, binary)",
                chosen.0, chosen.1, chosen.2
            ),
            &metrics,
            seconds,
        );
        let cholesky = als_of(chosen);
        let cholesky = match cholesky.model {
            ModelConfig::Als(als) => cholesky.with_model(ModelConfig::Als(AlsConfig {
                solver: AlsSolver::Cholesky,
                ..als
            })),
            _ => cholesky,
        };
        let (metrics, seconds) = run(&binary_train, cholesky, &request)?;
        row("ALS Cholesky (same settings)", &metrics, seconds);
        let popularity_only = plain.with_model(ModelConfig::ItemSimilarity(SimilarityConfig {
            max_neighbours: Some(0),
            ..SimilarityConfig::default()
        }));
        let (metrics, seconds) = run(&split, popularity_only, &request)?;
        row("popularity", &metrics, seconds);
    }
    Ok(())
}

/// How much SAR's figures move with the random split alone: the same model on ten seeds.
fn sar_seed_sweep(
    events: &[Interaction<u32, u32>],
    sar: RecommenderConfig,
    request: &RecommendRequest<u32>,
    stratify: Stratify,
) -> Result<(), Box<dyn Error>> {
    let mut runs = Vec::new();
    for seed in 1..=10 {
        let split = split_stratified(events, 0.75, stratify, seed);
        runs.push(run(&split, sar, request)?.0);
    }
    let summary = |name: &str, value: fn(&RankingMetrics) -> f64| {
        let values: Vec<f64> = runs.iter().map(value).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let spread = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
            / (values.len() - 1) as f64)
            .sqrt();
        let low = values.iter().copied().fold(f64::MAX, f64::min);
        let high = values.iter().copied().fold(f64::MIN, f64::max);
        println!("| {name} | {mean:.4} | {spread:.4} | {low:.4} | {high:.4} |");
    };
    println!("\n#### SAR (Jaccard, 30-day decay) over 10 {stratify:?} 75/25 splits (seeds 1-10)\n");
    println!("| metric | mean | std | min | max |");
    println!("|---|---|---|---|---|");
    summary("MAP", |m| m.map);
    summary("NDCG@10", |m| m.ndcg);
    summary("P@10", |m| m.precision);
    summary("R@10", |m| m.recall);
    Ok(())
}

/// One Instacart order line.
struct OrderLine {
    order: u32,
    user: u32,
    product: u32,
    cart_position: u32,
    timestamp: i64,
}

/// Parses the sample; an order's time is the running sum of the user's `days_since_prior_order`
/// (the data set has no calendar dates), in seconds.
fn parse_instacart(text: &str) -> Result<Vec<OrderLine>, Box<dyn Error>> {
    struct Raw {
        order: u32,
        user: u32,
        number: u32,
        days: f64,
        product: u32,
        cart_position: u32,
    }
    let mut raw = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 10 {
            return Err(format!("short instacart line: {line}").into());
        }
        raw.push(Raw {
            order: fields[1].parse()?,
            user: fields[2].parse()?,
            number: fields[3].parse()?,
            days: fields[6].parse().unwrap_or(0.0),
            product: fields[7].parse()?,
            cart_position: fields[8].parse::<f64>()? as u32,
        });
    }
    let mut orders: Vec<(u32, u32, u32, f64)> = raw
        .iter()
        .map(|r| (r.user, r.number, r.order, r.days))
        .collect();
    orders.sort_by_key(|&(user, number, order, _)| (user, number, order));
    orders.dedup_by_key(|o| o.2);
    let mut order_time = HashMap::new();
    let mut last_user = None;
    let mut elapsed_days = 0.0;
    for (user, number, order, days) in orders {
        if last_user != Some(user) {
            elapsed_days = 0.0;
            last_user = Some(user);
        } else if number > 1 {
            elapsed_days += days;
        }
        order_time.insert(order, (elapsed_days * 86_400.0) as i64);
    }
    Ok(raw
        .into_iter()
        .map(|r| OrderLine {
            order: r.order,
            user: r.user,
            product: r.product,
            cart_position: r.cart_position,
            timestamp: order_time[&r.order],
        })
        .collect())
}

fn instacart(text: &str) -> Result<(), Box<dyn Error>> {
    let lines = parse_instacart(text)?;
    let events: Events = lines
        .iter()
        .map(|l| Interaction::new(l.user, l.product, l.timestamp))
        .collect();
    let split = split_last_basket(&events);
    let users: HashSet<u32> = events.iter().map(|e| e.user).collect();
    println!(
        "\n### Instacart sample ({} order lines, {} users, {} products): each user's last order held out\n",
        events.len(),
        users.len(),
        events.iter().map(|e| e.item).collect::<HashSet<_>>().len()
    );
    println!(
        "{} train lines / {} test lines\n",
        split.train.len(),
        split.test.len()
    );
    println!("#### \"For you\", repeats allowed (k = 10)\n");
    header();
    let validation = split_last_basket(&split.train);
    let repeats = RecommendRequest::top(K).exclude_seen(false);
    let collaborative = RecommenderConfig::sar();
    let (metrics, seconds) = run(&split, collaborative, &repeats)?;
    row(
        "SAR (Jaccard, 30-day decay), pure collaborative",
        &metrics,
        seconds,
    );
    let cosine = collaborative.with_model(ModelConfig::ItemSimilarity(SimilarityConfig {
        similarity: Similarity::Cosine,
        ..SimilarityConfig::default()
    }));
    let (metrics, seconds) = run(&split, cosine, &repeats)?;
    row(
        "SAR (cosine, 30-day decay), pure collaborative",
        &metrics,
        seconds,
    );
    let popular = collaborative.with_model(ModelConfig::ItemSimilarity(SimilarityConfig {
        max_neighbours: Some(0),
        ..SimilarityConfig::default()
    }));
    let (metrics, seconds) = run(&split, popular, &repeats)?;
    row("popularity", &metrics, seconds);
    let blend_of =
        |(share, half_life_days, weigh_by_repeat_rate): (f32, f64, bool)| RecommenderConfig {
            buy_again: Some(BuyAgainConfig {
                decay: TimeDecay::days(half_life_days),
                share,
                weigh_by_repeat_rate,
            }),
            ..collaborative
        };
    let mut grid = Vec::new();
    for share in [0.5, 0.7, 0.9, 0.97, 1.0] {
        for half_life in [15.0, 60.0, 365.0] {
            for weigh in [false, true] {
                grid.push((share, half_life, weigh));
            }
        }
    }
    let chosen = pick_on_validation("blend", &validation, &grid, blend_of, &repeats)?;
    let (metrics, seconds) = run(&split, blend_of(chosen), &repeats)?;
    row(
        &format!(
            "buy-again blend + SAR (chosen on validation: share {}, half-life {} days, repeat-rate weighting {})",
            chosen.0, chosen.1, chosen.2
        ),
        &metrics,
        seconds,
    );
    let toggled = (chosen.0, chosen.1, !chosen.2);
    let (metrics, seconds) = run(&split, blend_of(toggled), &repeats)?;
    row(
        &format!("the same with repeat-rate weighting {}", toggled.2),
        &metrics,
        seconds,
    );
    let only_repeats = RecommenderConfig {
        buy_again: Some(BuyAgainConfig {
            decay: TimeDecay::days(chosen.1),
            share: 1.0,
            weigh_by_repeat_rate: chosen.2,
        }),
        ..popular
    };
    let (metrics, seconds) = run(&split, only_repeats, &repeats)?;
    row("buy-again alone (then popularity)", &metrics, seconds);

    println!("\n#### \"Also bought\": first item added to the last order as the query, the rest of that order as the target (k = 10)\n");
    let mut baskets: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
    let test_orders: HashSet<(u32, i64)> =
        split.test.iter().map(|e| (e.user, e.timestamp)).collect();
    for line in &lines {
        if test_orders.contains(&(line.user, line.timestamp)) {
            baskets
                .entry(line.order)
                .or_default()
                .push((line.cart_position, line.product));
        }
    }
    let queries: Vec<(u32, u32, HashSet<u32>)> = baskets
        .into_iter()
        .filter_map(|(order, mut basket)| {
            basket.sort_unstable();
            let query = basket.first()?.1;
            let rest: HashSet<u32> = basket[1..]
                .iter()
                .map(|&(_, p)| p)
                .filter(|&p| p != query)
                .collect();
            (!rest.is_empty()).then_some((order, query, rest))
        })
        .collect();
    let train_orders: Vec<Interaction<u32, u32>> = lines
        .iter()
        .filter(|l| !test_orders.contains(&(l.user, l.timestamp)))
        .map(|l| Interaction::new(l.order, l.product, l.timestamp))
        .collect();
    header();
    let also_bought = |name: &str,
                       train: &[Interaction<u32, u32>],
                       config: RecommenderConfig|
     -> Result<(), Box<dyn Error>> {
        let started = Instant::now();
        let recommender = Recommender::fit(train, config)?;
        let seconds = started.elapsed().as_secs_f64();
        let request = RecommendRequest::top(K);
        let mut recommended = HashMap::new();
        let mut relevant = HashMap::new();
        for (order, query, rest) in &queries {
            let list = recommender.also_bought(&[*query], &request);
            recommended.insert(*order, list.into_iter().map(|r| r.item).collect::<Vec<_>>());
            relevant.insert(*order, rest.clone());
        }
        row(
            name,
            &evaluate(&recommended, &relevant, K, recommender.items().len()),
            seconds,
        );
        Ok(())
    };
    let undecayed = RecommenderConfig {
        decay: TimeDecay::NONE,
        ..collaborative
    };
    also_bought(
        "popularity (query item excluded)",
        &split.train,
        undecayed.with_model(popular.model),
    )?;
    for similarity in [
        Similarity::Count,
        Similarity::Jaccard,
        Similarity::Cosine,
        Similarity::Lift,
    ] {
        let model = ModelConfig::ItemSimilarity(SimilarityConfig {
            similarity,
            ..SimilarityConfig::default()
        });
        also_bought(
            &format!("item-item {similarity:?}, co-occurrence in a user's history"),
            &split.train,
            undecayed.with_model(model),
        )?;
        also_bought(
            &format!("item-item {similarity:?}, co-occurrence in one order"),
            &train_orders,
            undecayed.with_model(model),
        )?;
    }
    println!("\n{} query baskets", queries.len());
    Ok(())
}
