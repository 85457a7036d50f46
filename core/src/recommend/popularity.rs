//! Popularity and trending: the fallback for users with no history (and for filling a list when
//! a personal model has fewer than `k` candidates).
//!
//! Popularity counts distinct users per item, so one bulk buyer cannot make an item "popular".
//! Trending is the same count with each user's latest event decayed by a (short) half-life, so
//! last week's favourites outrank last year's.

use serde::{Deserialize, Serialize};

use super::data::TimeDecay;

/// Items ranked by (possibly decayed) number of distinct users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Popularity {
    decay: TimeDecay,
    /// Per item, its score.
    scores: Vec<f32>,
    /// Item indices, best first; ties by lower index.
    ranking: Vec<u32>,
}

impl Popularity {
    /// Ranks items from events `(user, item, weight, timestamp)`, each user counted once per item
    /// at their latest event, decayed from `now`.
    pub fn fit(events: &[(u32, u32, f32, i64)], items: usize, now: i64, decay: TimeDecay) -> Self {
        // Sorting by (user, item, time) finds each pair's latest event in one pass; a hash map of
        // pairs took 0.45 s on 2.8M events, the sort 0.1 s.
        let mut pairs: Vec<(u32, u32, i64)> =
            events.iter().map(|&(u, i, _, t)| (u, i, t)).collect();
        pairs.sort_unstable();
        let mut scores = vec![0f32; items];
        for (at, &(user, item, timestamp)) in pairs.iter().enumerate() {
            let last_of_pair = pairs
                .get(at + 1)
                .is_none_or(|next| (next.0, next.1) != (user, item));
            if last_of_pair {
                scores[item as usize] += decay.factor(now, timestamp);
            }
        }
        Popularity::from_scores(decay, scores)
    }

    fn from_scores(decay: TimeDecay, scores: Vec<f32>) -> Self {
        let mut ranking: Vec<u32> = (0..scores.len() as u32).collect();
        ranking.sort_by(|&a, &b| {
            scores[b as usize]
                .total_cmp(&scores[a as usize])
                .then(a.cmp(&b))
        });
        Popularity {
            decay,
            scores,
            ranking,
        }
    }

    /// The decay it was fitted with.
    pub fn decay(&self) -> TimeDecay {
        self.decay
    }

    /// Item indices, most popular first.
    pub fn ranking(&self) -> &[u32] {
        &self.ranking
    }

    /// The score of `item` (zero for an unknown item).
    pub fn score(&self, item: u32) -> f32 {
        self.scores.get(item as usize).copied().unwrap_or(0.0)
    }

    /// Adds `weight` for each `(item, timestamp)` seen by a user for the first time, then re-ranks
    /// (incremental refresh; older counts are not re-decayed, which only matters for trending).
    pub fn add_first_uses(&mut self, first_uses: &[(u32, i64)], now: i64, items: usize) {
        let mut scores = std::mem::take(&mut self.scores);
        scores.resize(items, 0.0);
        for &(item, timestamp) in first_uses {
            scores[item as usize] += self.decay.factor(now, timestamp);
        }
        *self = Popularity::from_scores(self.decay, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_users_not_volume() {
        let events = [
            (0, 1, 50.0, 0),
            (0, 1, 1.0, 0),
            (1, 0, 1.0, 0),
            (2, 0, 1.0, 0),
        ];
        let popularity = Popularity::fit(&events, 3, 0, TimeDecay::NONE);
        assert_eq!(popularity.ranking(), &[0, 1, 2]);
        assert_eq!(popularity.score(0), 2.0);
        assert_eq!(popularity.score(1), 1.0);
    }

    #[test]
    fn trending_prefers_recent_users() {
        let day = 86_400;
        let events = [(0, 0, 1.0, 0), (1, 0, 1.0, 0), (2, 1, 1.0, 100 * day)];
        let trending = Popularity::fit(&events, 2, 100 * day, TimeDecay::days(7.0));
        assert_eq!(trending.ranking()[0], 1);
    }
}
