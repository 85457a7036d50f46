//! Speed of item-item "customers also bought" on a seeded synthetic set of 100k users x 20k
//! items x 2.8M interactions (run by `scripts/bench-recs`, beside the Python `implicit` library
//! on the same pairs).
//!
//! ```text
//! cargo run --release -p merx-core --example recs_speed -- --write-pairs .cache/recs/synthetic.u32
//! ```
//!
//! Item popularity follows a Zipf law (exponent 0.8) and user activity a milder one (0.5), so
//! a few items and users are heavy, as in a real shop; every (user, item) pair is distinct.

use std::collections::HashSet;
use std::error::Error;
use std::time::Instant;

use merx_core::recommend::data::{decayed_affinity, IndexedInteractions, SeededRng};
use merx_core::recommend::similarity::fit_item_similarity;
use merx_core::recommend::Popularity;
use merx_core::recommend::{
    Interaction, ModelConfig, RecommendRequest, Recommender, RecommenderConfig, Similarity,
    SimilarityConfig, TimeDecay,
};
use rayon::prelude::*;

const USERS: u32 = 100_000;
const ITEMS: u32 = 20_000;
const INTERACTIONS: usize = 2_800_000;
const SEED: u64 = 42;

/// Cumulative Zipf weights over `n` ranks.
fn zipf_table(n: u32, exponent: f64) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|rank| {
            total += 1.0 / f64::from(rank).powf(exponent);
            total
        })
        .collect()
}

fn draw(table: &[f64], rng: &mut SeededRng) -> u32 {
    let target = rng.next_f64() * table[table.len() - 1];
    table.partition_point(|&cumulative| cumulative < target) as u32
}

fn synthetic_pairs() -> Vec<(u32, u32)> {
    let users = zipf_table(USERS, 0.5);
    let items = zipf_table(ITEMS, 0.8);
    let mut rng = SeededRng::new(SEED);
    let mut seen = HashSet::with_capacity(INTERACTIONS);
    let mut pairs = Vec::with_capacity(INTERACTIONS);
    while pairs.len() < INTERACTIONS {
        let pair = (draw(&users, &mut rng), draw(&items, &mut rng));
        if seen.insert(pair) {
            pairs.push(pair);
        }
    }
    pairs
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let value_after = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|at| args.get(at + 1))
    };
    let neighbours: usize = value_after("--neighbours").map_or(Ok(50), |v| v.parse())?;
    let pairs = synthetic_pairs();
    if let Some(path) = value_after("--write-pairs") {
        let bytes: Vec<u8> = pairs
            .iter()
            .flat_map(|&(u, i)| u.to_le_bytes().into_iter().chain(i.to_le_bytes()))
            .collect();
        std::fs::write(path, bytes)?;
    }
    let interactions: Vec<Interaction<u32, u32>> = pairs
        .iter()
        .map(|&(user, item)| Interaction::new(user, item, 0))
        .collect();
    let config = RecommenderConfig {
        model: ModelConfig::ItemSimilarity(SimilarityConfig {
            similarity: Similarity::Cosine,
            min_cooccurrence: 1,
            max_neighbours: Some(neighbours),
        }),
        decay: TimeDecay::NONE,
        buy_again: None,
        popularity_decay: TimeDecay::NONE,
    };
    println!(
        "synthetic: {USERS} users x {ITEMS} items x {} interactions, cosine, top-{neighbours} neighbours, {} threads",
        pairs.len(),
        rayon::current_num_threads()
    );
    let phase = Instant::now();
    let indexed = IndexedInteractions::new(&interactions);
    let index_seconds = phase.elapsed().as_secs_f64();
    let phase = Instant::now();
    let affinity = decayed_affinity(&indexed.events, indexed.users.len(), 0, TimeDecay::NONE);
    let affinity_seconds = phase.elapsed().as_secs_f64();
    let phase = Instant::now();
    let ModelConfig::ItemSimilarity(similarity_config) = config.model else {
        unreachable!()
    };
    fit_item_similarity(&affinity, indexed.items.len(), &similarity_config);
    let similarity_seconds = phase.elapsed().as_secs_f64();
    let phase = Instant::now();
    Popularity::fit(&indexed.events, indexed.items.len(), 0, TimeDecay::NONE);
    println!(
        "rust fit phases: index keys {index_seconds:.3} s, affinity {affinity_seconds:.3} s, similarity {similarity_seconds:.3} s, popularity {:.3} s",
        phase.elapsed().as_secs_f64()
    );
    let request = RecommendRequest::top(10).fill_with_popular(false);
    let rounds: usize = value_after("--rounds").map_or(Ok(3), |v| v.parse())?;
    let mut best = (f64::MAX, f64::MAX, f64::MAX);
    let mut recommender = None;
    for round in 1..=rounds {
        let started = Instant::now();
        let fitted = Recommender::fit(&interactions, config)?;
        let fit = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let lists: Vec<Vec<u32>> = (0..USERS)
            .into_par_iter()
            .map(|user| {
                fitted
                    .recommend_for_user(&user, &request)
                    .into_iter()
                    .map(|r| r.item)
                    .collect()
            })
            .collect();
        let all_users = started.elapsed().as_secs_f64();
        let full = lists.iter().filter(|list| list.len() == 10).count();
        println!(
            "rust round {round}: fit item-item {fit:.3} s, top-10 for all {USERS} users {all_users:.3} s ({full} full lists), total {:.3} s",
            fit + all_users
        );
        best = (
            best.0.min(fit),
            best.1.min(all_users),
            best.2.min(fit + all_users),
        );
        recommender = Some(fitted);
    }
    println!(
        "rust best of {rounds}: fit {:.3} s, all users {:.3} s, fit + all users {:.3} s",
        best.0, best.1, best.2
    );
    let recommender = recommender.ok_or("at least one round")?;
    let mut latencies: Vec<f64> = Vec::with_capacity(20_000);
    let mut rng = SeededRng::new(SEED + 1);
    for _ in 0..20_000 {
        let user = rng.below(USERS as usize) as u32;
        let started = Instant::now();
        let list = recommender.recommend_for_user(&user, &request);
        latencies.push(started.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(list);
    }
    latencies.sort_by(f64::total_cmp);
    let mean = latencies.iter().sum::<f64>() / latencies.len() as f64;
    let percentile = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!(
        "rust one user top-10 (20000 random users, one thread): mean {mean:.1} us, p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        percentile(0.5),
        percentile(0.99),
        latencies[latencies.len() - 1]
    );
    let basket_request = RecommendRequest::top(10).explain(3);
    let started = Instant::now();
    let also = recommender.also_bought(&[0, 1, 2], &basket_request);
    println!(
        "rust also-bought for a 3-item basket with explanations: {:.1} us ({} items)",
        started.elapsed().as_secs_f64() * 1e6,
        also.len()
    );
    Ok(())
}
