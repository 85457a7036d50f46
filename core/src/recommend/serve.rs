//! Serving: what a caller asks for (top-k with filters), what it gets back (scored, explained
//! items), and the top-k selection shared by every model.
//!
//! Filters are checked only for items that would enter the current top-k, never for every item
//! in the catalog: a deny list, an allow list or a set of unavailable products costs a hash
//! lookup per candidate that beats the current k-th score, a handful per request, so a 20k-item
//! catalog still serves one user in microseconds.

use std::collections::HashSet;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::Product;
use crate::ids::ProductId;

/// A top-k request: how many items, and which ones may not be shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "I: Deserialize<'de> + Eq + Hash")
)]
pub struct RecommendRequest<I: Eq + Hash> {
    /// How many items to return at most.
    pub k: usize,
    /// Leave out what the user already has (for "for you" and "also bought"); `false` lets repeat
    /// purchases through, as a grocery store wants.
    #[serde(default = "default_true")]
    pub exclude_seen: bool,
    /// When set, only these items may be returned.
    #[serde(default)]
    pub allow: Option<HashSet<I>>,
    /// Items never to return (caller's deny list).
    #[serde(default)]
    pub deny: HashSet<I>,
    /// Items that cannot be sold right now (inactive, out of stock); see [`unavailable_products`].
    #[serde(default)]
    pub unavailable: HashSet<I>,
    /// How many contributing items to report per recommendation (0: no explanations).
    #[serde(default)]
    pub explain: usize,
    /// Fill a short personal list with popular items.
    #[serde(default = "default_true")]
    pub fill_with_popular: bool,
}

fn default_true() -> bool {
    true
}

impl<I: Eq + Hash> RecommendRequest<I> {
    /// Top `k`, already-seen items excluded, no other filter, no explanations, popular fill-in.
    pub fn top(k: usize) -> Self {
        RecommendRequest {
            k,
            exclude_seen: true,
            allow: None,
            deny: HashSet::new(),
            unavailable: HashSet::new(),
            explain: 0,
            fill_with_popular: true,
        }
    }

    /// Sets whether already-seen items are left out.
    pub fn exclude_seen(mut self, exclude: bool) -> Self {
        self.exclude_seen = exclude;
        self
    }

    /// Restricts the output to `items`.
    pub fn allow_only(mut self, items: impl IntoIterator<Item = I>) -> Self {
        self.allow = Some(items.into_iter().collect());
        self
    }

    /// Never returns `items`.
    pub fn deny(mut self, items: impl IntoIterator<Item = I>) -> Self {
        self.deny.extend(items);
        self
    }

    /// Never returns `items` because they cannot be sold.
    pub fn unavailable(mut self, items: impl IntoIterator<Item = I>) -> Self {
        self.unavailable.extend(items);
        self
    }

    /// Reports up to `contributors` contributing items per recommendation.
    pub fn explain(mut self, contributors: usize) -> Self {
        self.explain = contributors;
        self
    }

    /// Sets whether a short list is filled with popular items.
    pub fn fill_with_popular(mut self, fill: bool) -> Self {
        self.fill_with_popular = fill;
        self
    }

    /// Whether the caller's filters let `item` through (seen-ness is checked separately).
    pub fn permits(&self, item: &I) -> bool {
        self.allow
            .as_ref()
            .is_none_or(|allowed| allowed.contains(item))
            && !self.deny.contains(item)
            && !self.unavailable.contains(item)
    }
}

/// The products that must not be recommended: not active, or with no variant that can sell one
/// unit (out of stock without backorder).
pub fn unavailable_products<'a>(
    products: impl IntoIterator<Item = &'a Product>,
) -> HashSet<ProductId> {
    products
        .into_iter()
        .filter(|product| {
            !product.is_purchasable()
                || !product
                    .variants
                    .iter()
                    .any(|variant| variant.can_sell(Decimal::ONE))
        })
        .map(|product| product.id)
        .collect()
}

/// Why an item is in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// Scored by the collaborative model from the user's history or the query items.
    Collaborative,
    /// One of the user's own past purchases, ranked by how often and how recently they bought it
    /// (possibly blended with the collaborative score).
    BuyAgain,
    /// A popular (or trending) item filling a list the personal model could not fill.
    Popular,
}

/// An item that contributed to a recommendation, and how much.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution<I> {
    /// The history (or query) item.
    pub item: I,
    /// Its share of the score (in the model's units; the shares of one model add up to its score).
    pub weight: f32,
}

/// One recommended item with its score and explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation<I> {
    /// The item.
    pub item: I,
    /// Its score; higher is better, comparable only within one list.
    pub score: f32,
    /// Which part of the engine put it there.
    pub source: Source,
    /// The items that contributed most, largest first (empty unless asked for).
    pub because: Vec<Contribution<I>>,
}

/// The best `k` `(index, score)` pairs by descending score (ties: lower index first) among the
/// `candidates` whose score is finite and, with `positive_only`, above zero, and that `keep`
/// accepts. Candidates may come in any order; `keep` is called only for those that would enter
/// the current top-k.
pub fn top_k(
    candidates: impl IntoIterator<Item = (u32, f32)>,
    k: usize,
    positive_only: bool,
    mut keep: impl FnMut(u32) -> bool,
) -> Vec<(u32, f32)> {
    let mut best: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    let ahead = |a: (u32, f32), b: (u32, f32)| a.1 > b.1 || (a.1 == b.1 && a.0 < b.0);
    for candidate in candidates {
        let score = candidate.1;
        if !score.is_finite() || (positive_only && score <= 0.0) {
            continue;
        }
        if best.len() == k && !ahead(candidate, best[k - 1]) {
            continue;
        }
        if !keep(candidate.0) {
            continue;
        }
        let at = best.partition_point(|&better| ahead(better, candidate));
        best.insert(at, candidate);
        best.truncate(k);
    }
    best
}

/// Dense scores as `top_k` candidates.
pub fn indexed(scores: &[f32]) -> impl Iterator<Item = (u32, f32)> + '_ {
    scores
        .iter()
        .enumerate()
        .map(|(index, &score)| (index as u32, score))
}

/// The `limit` largest positive contributions, largest first.
pub fn strongest_contributions(mut parts: Vec<(u32, f32)>, limit: usize) -> Vec<(u32, f32)> {
    parts.retain(|&(_, weight)| weight.is_finite() && weight > 0.0);
    parts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    parts.truncate(limit);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ProductStatus, Variant};
    use crate::money::Currency;

    #[test]
    fn top_k_orders_by_score_then_index_and_respects_filters() {
        let scores = [0.5, 2.0, f32::NAN, 2.0, 0.0, 1.0, -1.0];
        assert_eq!(
            top_k(indexed(&scores), 3, true, |_| true),
            vec![(1, 2.0), (3, 2.0), (5, 1.0)]
        );
        assert_eq!(
            top_k(indexed(&scores), 3, true, |i| i != 3),
            vec![(1, 2.0), (5, 1.0), (0, 0.5)]
        );
        assert_eq!(top_k(indexed(&scores), 10, true, |_| true).len(), 4);
        assert_eq!(
            top_k(indexed(&scores), 10, false, |_| true).last(),
            Some(&(6, -1.0))
        );
        assert!(top_k(indexed(&scores), 0, true, |_| true).is_empty());
    }

    #[test]
    fn keep_is_only_asked_about_contenders() {
        let scores: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let mut asked = 0;
        top_k(indexed(&scores), 5, true, |_| {
            asked += 1;
            true
        });
        // Every item beats the k-th so far in an increasing sequence; a decreasing one asks k.
        assert_eq!(asked, 99);
        let reversed: Vec<f32> = scores.iter().rev().copied().collect();
        let mut asked = 0;
        top_k(indexed(&reversed), 5, true, |_| {
            asked += 1;
            true
        });
        assert_eq!(asked, 5);
    }

    #[test]
    fn request_filters_combine() {
        let request = RecommendRequest::top(3)
            .allow_only([1, 2, 3])
            .deny([2])
            .unavailable([3]);
        assert!(request.permits(&1));
        assert!(!request.permits(&2));
        assert!(!request.permits(&3));
        assert!(!request.permits(&4));
        let json = serde_json::json!({"k": 2});
        let parsed: RecommendRequest<u32> = serde_json::from_value(json).unwrap();
        assert_eq!(parsed, RecommendRequest::top(2));
    }

    #[test]
    fn inactive_and_sold_out_products_are_unavailable() {
        let mut variant = Variant::new("TEE", Currency::Usd, Decimal::TEN);
        variant.stock = Decimal::ZERO;
        variant.allow_backorder = false;
        let mut sold_out = Product::new("Tee", vec![variant.clone()]);
        sold_out.status = ProductStatus::Active;
        variant.stock = Decimal::from(4);
        let mut on_sale = Product::new("Mug", vec![variant.clone()]);
        on_sale.status = ProductStatus::Active;
        let draft = Product::new("Cap", vec![variant]);
        let unavailable = unavailable_products([&sold_out, &on_sale, &draft]);
        assert!(unavailable.contains(&sold_out.id));
        assert!(unavailable.contains(&draft.id));
        assert!(!unavailable.contains(&on_sale.id));
    }
}
