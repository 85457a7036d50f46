//! Offline evaluation: ranking metrics with pinned definitions, and the train/test splitters.
//!
//! # Metric definitions
//! For one user with recommended list `R` (in rank order, truncated to `k`), relevant set `T`
//! (their held-out items, binary relevance) and `hit(i) = 1` when `R[i]` is in `T`:
//! - `precision@k = hits / k` (always over `k`, even when fewer than `k` items were returned);
//! - `recall@k = hits / |T|`;
//! - `NDCG@k = DCG / IDCG` with `DCG = sum over ranks i = 1..k of hit(i) / log2(i + 1)` and the
//!   ideal `IDCG = sum over i = 1..min(|T|, k) of 1 / log2(i + 1)`;
//! - `AP = sum over ranks i <= k with hit(i) of precision@i, divided by |T|`: the "MAP" of
//!   Microsoft Recommenders' `map` and Spark's `meanAveragePrecision` (a user with many held-out
//!   items cannot reach 1 with k slots);
//! - `AP@k` = the same sum divided by `min(|T|, k)` (Recommenders' `map_at_k`).
//!
//! Each is averaged over the users with at least one held-out item; a user with no
//! recommendation scores 0. Catalog `coverage` is the number of distinct items recommended to
//! anyone over the number of items in the catalog.
//!
//! # Splitters
//! - [`split_stratified`]: per user (or per item), shuffle that group's events with a seeded RNG
//!   and put the first `round(ratio * n)` (half to even, as NumPy rounds) in train — the
//!   scheme of Recommenders' `python_stratified_split`;
//! - [`split_leave_last_out`]: each user's latest event (ties: the later one in input order) is
//!   test, provided the user keeps at least one event in train;
//! - [`split_last_basket`]: each user's events at their latest timestamp (an order) are test,
//!   provided the user has an earlier one.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use super::data::{Interaction, SeededRng};
use super::{RecommendRequest, Recommender};

/// `hits / k` over the first `k` recommendations.
pub fn precision_at_k<I: Eq + Hash>(recommended: &[I], relevant: &HashSet<I>, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    hits(recommended, relevant, k) as f64 / k as f64
}

/// `hits / |relevant|` over the first `k` recommendations.
pub fn recall_at_k<I: Eq + Hash>(recommended: &[I], relevant: &HashSet<I>, k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    hits(recommended, relevant, k) as f64 / relevant.len() as f64
}

/// Binary-relevance NDCG@k, the ideal ranking over `min(|relevant|, k)` hits.
pub fn ndcg_at_k<I: Eq + Hash>(recommended: &[I], relevant: &HashSet<I>, k: usize) -> f64 {
    let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    let dcg: f64 = recommended
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, item)| relevant.contains(item))
        .map(|(rank, _)| discount(rank))
        .sum();
    let ideal: f64 = (0..relevant.len().min(k)).map(discount).sum();
    if ideal == 0.0 {
        0.0
    } else {
        dcg / ideal
    }
}

/// Average precision over the first `k`, divided by `|relevant|` (the "MAP" convention).
pub fn average_precision<I: Eq + Hash>(recommended: &[I], relevant: &HashSet<I>, k: usize) -> f64 {
    precision_sum(recommended, relevant, k) / relevant.len().max(1) as f64
}

/// Average precision over the first `k`, divided by `min(|relevant|, k)` (the "MAP@k" convention).
pub fn average_precision_at_k<I: Eq + Hash>(
    recommended: &[I],
    relevant: &HashSet<I>,
    k: usize,
) -> f64 {
    precision_sum(recommended, relevant, k) / relevant.len().min(k).max(1) as f64
}

fn hits<I: Eq + Hash>(recommended: &[I], relevant: &HashSet<I>, k: usize) -> usize {
    recommended
        .iter()
        .take(k)
        .filter(|item| relevant.contains(item))
        .count()
}

fn precision_sum<I: Eq + Hash>(recommended: &[I], relevant: &HashSet<I>, k: usize) -> f64 {
    let mut found = 0usize;
    let mut sum = 0.0;
    for (rank, item) in recommended.iter().take(k).enumerate() {
        if relevant.contains(item) {
            found += 1;
            sum += found as f64 / (rank + 1) as f64;
        }
    }
    sum
}

/// The averaged metrics of one evaluation run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RankingMetrics {
    /// The cut-off.
    pub k: usize,
    /// Users averaged over (those with at least one held-out item).
    pub users: usize,
    /// Mean precision@k.
    pub precision: f64,
    /// Mean recall@k.
    pub recall: f64,
    /// Mean NDCG@k.
    pub ndcg: f64,
    /// Mean AP (divided by |relevant|).
    pub map: f64,
    /// Mean AP@k (divided by min(|relevant|, k)).
    pub map_at_k: f64,
    /// Distinct recommended items over catalog size.
    pub coverage: f64,
}

/// Averages the metrics over every user in `relevant` with a non-empty set.
pub fn evaluate<U: Eq + Hash, I: Eq + Hash>(
    recommended: &HashMap<U, Vec<I>>,
    relevant: &HashMap<U, HashSet<I>>,
    k: usize,
    catalog_size: usize,
) -> RankingMetrics {
    let mut metrics = RankingMetrics {
        k,
        ..RankingMetrics::default()
    };
    // Per-user values are summed in sorted order, so the averages do not depend on the map's
    // iteration order: the same lists give bit-identical metrics on every run.
    let empty = Vec::new();
    let mut per_user: [Vec<f64>; 5] = Default::default();
    for (user, truth) in relevant {
        if truth.is_empty() {
            continue;
        }
        let list = recommended.get(user).unwrap_or(&empty);
        metrics.users += 1;
        per_user[0].push(precision_at_k(list, truth, k));
        per_user[1].push(recall_at_k(list, truth, k));
        per_user[2].push(ndcg_at_k(list, truth, k));
        per_user[3].push(average_precision(list, truth, k));
        per_user[4].push(average_precision_at_k(list, truth, k));
    }
    if metrics.users > 0 {
        let users = metrics.users as f64;
        let mean = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values.iter().sum::<f64>() / users
        };
        metrics.precision = mean(&mut per_user[0]);
        metrics.recall = mean(&mut per_user[1]);
        metrics.ndcg = mean(&mut per_user[2]);
        metrics.map = mean(&mut per_user[3]);
        metrics.map_at_k = mean(&mut per_user[4]);
    }
    let distinct: HashSet<&I> = recommended
        .values()
        .flat_map(|list| list.iter().take(k))
        .collect();
    if catalog_size > 0 {
        metrics.coverage = distinct.len() as f64 / catalog_size as f64;
    }
    metrics
}

/// Scores `recommender` (fitted on `split.train`) on `split.test`: each user with held-out items
/// gets `recommend_for_user(request)`, compared with those items at `request.k`; coverage is over
/// the items the recommender knows.
pub fn evaluate_recommender<U: Clone + Eq + Hash, I: Clone + Eq + Hash>(
    recommender: &Recommender<U, I>,
    split: &Split<U, I>,
    request: &RecommendRequest<I>,
) -> RankingMetrics {
    let relevant = relevant_items(&split.test);
    let recommended: HashMap<U, Vec<I>> = relevant
        .keys()
        .map(|user| {
            let list = recommender.recommend_for_user(user, request);
            (user.clone(), list.into_iter().map(|r| r.item).collect())
        })
        .collect();
    evaluate(
        &recommended,
        &relevant,
        request.k,
        recommender.items().len(),
    )
}

/// The popularity baseline on the same split: each user with held-out items gets the most
/// popular training items that pass `request`, minus what they bought in training when the
/// request excludes seen items. A model worth serving beats this.
pub fn evaluate_popularity<U: Clone + Eq + Hash, I: Clone + Eq + Hash>(
    recommender: &Recommender<U, I>,
    split: &Split<U, I>,
    request: &RecommendRequest<I>,
) -> RankingMetrics {
    let relevant = relevant_items(&split.test);
    let seen = relevant_items(&split.train);
    let none = HashSet::new();
    let recommended: HashMap<U, Vec<I>> = relevant
        .keys()
        .map(|user| {
            let mut personal = request.clone();
            if request.exclude_seen {
                personal
                    .deny
                    .extend(seen.get(user).unwrap_or(&none).iter().cloned());
            }
            let list = recommender.popular(&personal);
            (user.clone(), list.into_iter().map(|r| r.item).collect())
        })
        .collect();
    evaluate(
        &recommended,
        &relevant,
        request.k,
        recommender.items().len(),
    )
}

/// Each user's held-out items.
pub fn relevant_items<U: Clone + Eq + Hash, I: Clone + Eq + Hash>(
    test: &[Interaction<U, I>],
) -> HashMap<U, HashSet<I>> {
    let mut relevant: HashMap<U, HashSet<I>> = HashMap::new();
    for event in test {
        relevant
            .entry(event.user.clone())
            .or_default()
            .insert(event.item.clone());
    }
    relevant
}

/// A train/test split.
#[derive(Clone, Debug, PartialEq)]
pub struct Split<U, I> {
    /// Events to fit on.
    pub train: Vec<Interaction<U, I>>,
    /// Held-out events.
    pub test: Vec<Interaction<U, I>>,
}

/// Which events are grouped before a stratified split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stratify {
    /// Each user's events are split in the ratio.
    ByUser,
    /// Each item's events are split in the ratio.
    ByItem,
}

/// Splits every group (user or item) at `ratio` after a seeded shuffle; groups are visited in
/// order of first appearance, so the result depends only on the input order and the seed.
pub fn split_stratified<U: Clone + Eq + Hash, I: Clone + Eq + Hash>(
    interactions: &[Interaction<U, I>],
    ratio: f64,
    by: Stratify,
    seed: u64,
) -> Split<U, I> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    match by {
        Stratify::ByUser => group_positions(interactions, |e| &e.user, &mut groups),
        Stratify::ByItem => group_positions(interactions, |e| &e.item, &mut groups),
    }
    let mut rng = SeededRng::new(seed);
    let mut in_train = vec![false; interactions.len()];
    for group in &mut groups {
        rng.shuffle(group);
        let keep = (ratio.clamp(0.0, 1.0) * group.len() as f64).round_ties_even() as usize;
        for &position in &group[..keep] {
            in_train[position] = true;
        }
    }
    partition(interactions, |position| in_train[position])
}

fn group_positions<U, I, K: Eq + Hash>(
    interactions: &[Interaction<U, I>],
    key: impl Fn(&Interaction<U, I>) -> &K,
    groups: &mut Vec<Vec<usize>>,
) {
    let mut slot: HashMap<&K, usize> = HashMap::new();
    for (position, event) in interactions.iter().enumerate() {
        let next = slot.len();
        let at = *slot.entry(key(event)).or_insert(next);
        if at == groups.len() {
            groups.push(Vec::new());
        }
        groups[at].push(position);
    }
}

fn partition<U: Clone, I: Clone>(
    interactions: &[Interaction<U, I>],
    in_train: impl Fn(usize) -> bool,
) -> Split<U, I> {
    let mut split = Split {
        train: Vec::new(),
        test: Vec::new(),
    };
    for (position, event) in interactions.iter().enumerate() {
        if in_train(position) {
            split.train.push(event.clone());
        } else {
            split.test.push(event.clone());
        }
    }
    split
}

/// Holds out each user's latest event, for users with at least two events.
pub fn split_leave_last_out<U: Clone + Eq + Hash, I: Clone>(
    interactions: &[Interaction<U, I>],
) -> Split<U, I> {
    let mut latest: HashMap<&U, (i64, usize, usize)> = HashMap::new();
    for (position, event) in interactions.iter().enumerate() {
        let entry = latest
            .entry(&event.user)
            .or_insert((event.timestamp, position, 0));
        if event.timestamp >= entry.0 {
            entry.0 = event.timestamp;
            entry.1 = position;
        }
        entry.2 += 1;
    }
    let held_out: HashSet<usize> = latest
        .values()
        .filter(|(_, _, count)| *count >= 2)
        .map(|&(_, position, _)| position)
        .collect();
    partition(interactions, |position| !held_out.contains(&position))
}

/// Holds out each user's events at their latest timestamp (their last order), for users who
/// also have earlier events.
pub fn split_last_basket<U: Clone + Eq + Hash, I: Clone>(
    interactions: &[Interaction<U, I>],
) -> Split<U, I> {
    let mut span: HashMap<&U, (i64, i64)> = HashMap::new();
    for event in interactions {
        let entry = span
            .entry(&event.user)
            .or_insert((event.timestamp, event.timestamp));
        entry.0 = entry.0.min(event.timestamp);
        entry.1 = entry.1.max(event.timestamp);
    }
    partition(interactions, |position| {
        let event = &interactions[position];
        let (first, last) = span[&event.user];
        event.timestamp < last || first == last
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[u32]) -> HashSet<u32> {
        items.iter().copied().collect()
    }

    // Recommended [1, 2, 3, 4], relevant {2, 4, 9}, k = 4: hits at ranks 2 and 4.
    const LIST: [u32; 4] = [1, 2, 3, 4];

    #[test]
    fn precision_and_recall_by_hand() {
        assert_eq!(precision_at_k(&LIST, &set(&[2, 4, 9]), 4), 0.5);
        assert_eq!(
            precision_at_k(&LIST[..2], &set(&[2]), 4),
            0.25,
            "short lists still over k"
        );
        assert!((recall_at_k(&LIST, &set(&[2, 4, 9]), 4) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(recall_at_k(&LIST, &set(&[2, 4, 9]), 2), 1.0 / 3.0);
    }

    #[test]
    fn ndcg_by_hand() {
        // DCG = 1/log2(3) + 1/log2(5); IDCG over min(3, 4) = 3: 1 + 1/log2(3) + 1/2.
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!((ndcg_at_k(&LIST, &set(&[2, 4, 9]), 4) - dcg / idcg).abs() < 1e-12);
        // Ideal over min(|T|, k): with k = 1 a single hit at rank 1 is perfect.
        assert_eq!(ndcg_at_k(&LIST, &set(&[1, 7, 8]), 1), 1.0);
        assert_eq!(ndcg_at_k(&LIST, &set(&[]), 4), 0.0);
    }

    #[test]
    fn average_precision_by_hand() {
        // Precisions at hits: 1/2 and 2/4, sum 1.
        assert!((average_precision(&LIST, &set(&[2, 4, 9]), 4) - 1.0 / 3.0).abs() < 1e-12);
        assert!((average_precision_at_k(&LIST, &set(&[2, 4, 9]), 4) - 1.0 / 3.0).abs() < 1e-12);
        // With k = 2 only the hit at rank 2 counts: sum 1/2; MAP / 3, MAP@2 / 2.
        assert!((average_precision(&LIST, &set(&[2, 4, 9]), 2) - 1.0 / 6.0).abs() < 1e-12);
        assert!((average_precision_at_k(&LIST, &set(&[2, 4, 9]), 2) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn evaluate_averages_over_users_with_truth_and_counts_missing_lists_as_zero() {
        let recommended = HashMap::from([("a", vec![1u32, 2]), ("b", vec![3, 4])]);
        let relevant = HashMap::from([("a", set(&[1])), ("c", set(&[5])), ("d", set(&[]))]);
        let metrics = evaluate(&recommended, &relevant, 2, 10);
        assert_eq!(metrics.users, 2);
        assert_eq!(metrics.precision, 0.25);
        assert_eq!(metrics.recall, 0.5);
        assert_eq!(metrics.ndcg, 0.5);
        assert_eq!(metrics.coverage, 0.4);
    }

    fn events(spec: &[(u32, u32, i64)]) -> Vec<Interaction<u32, u32>> {
        spec.iter()
            .map(|&(user, item, timestamp)| Interaction::new(user, item, timestamp))
            .collect()
    }

    #[test]
    fn stratified_split_keeps_the_ratio_per_group_and_is_seeded() {
        let data: Vec<_> = (0..40)
            .map(|n| Interaction::new(n % 4, n, i64::from(n)))
            .collect::<Vec<_>>();
        let split = split_stratified(&data, 0.75, Stratify::ByUser, 1);
        for user in 0..4 {
            assert_eq!(split.train.iter().filter(|e| e.user == user).count(), 8);
            assert_eq!(split.test.iter().filter(|e| e.user == user).count(), 2);
        }
        assert_eq!(split, split_stratified(&data, 0.75, Stratify::ByUser, 1));
        assert_ne!(split, split_stratified(&data, 0.75, Stratify::ByUser, 2));
        let by_item = split_stratified(&data, 0.75, Stratify::ByItem, 1);
        // Every item has one event: round(0.75) = 1 keeps it in train.
        assert_eq!(by_item.test.len(), 0);
    }

    #[test]
    fn leave_last_out_and_last_basket() {
        let data = events(&[
            (1, 10, 5),
            (1, 11, 9),
            (1, 12, 9),
            (2, 20, 3),
            (3, 30, 1),
            (3, 31, 2),
        ]);
        let last = split_leave_last_out(&data);
        assert_eq!(last.test, events(&[(1, 12, 9), (3, 31, 2)]));
        let basket = split_last_basket(&data);
        assert_eq!(basket.test, events(&[(1, 11, 9), (1, 12, 9), (3, 31, 2)]));
        assert_eq!(basket.train.len(), 3);
    }
}
