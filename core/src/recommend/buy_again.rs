//! "Buy again": a user's own repeat-purchase affinity, and its blend with a collaborative model.
//!
//! In grocery-style retail most of a basket is things the shopper bought before (Instacart's
//! sample: about 60% of order lines are reorders), and no collaborative model that only spreads
//! similarity from other items ranks "the milk you buy every week" as well as the shopper's own
//! record does. The buy-again score of an item is `sum weight * 2^(-age / half_life)` over the
//! user's own events on it — frequency and recency in one number.
//!
//! The blend puts both parts on one scale by dividing each by its largest value for this user,
//! then mixes them: `share * repeat / max(repeat) + (1 - share) * model / max(model)`. A share
//! near 1 ranks every past purchase first (ordered by repeat score) and lets the model fill the
//! rest and break ties; a share of 0 is the pure collaborative model.

use serde::{Deserialize, Serialize};

use super::data::TimeDecay;

/// Settings of the buy-again part.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BuyAgainConfig {
    /// Decay of the user's own repeat affinity.
    pub decay: TimeDecay,
    /// Weight of the repeat part in the blend, in `0..=1`.
    pub share: f32,
}

impl Default for BuyAgainConfig {
    fn default() -> Self {
        BuyAgainConfig {
            decay: TimeDecay::days(30.0),
            share: 0.7,
        }
    }
}

/// Replaces `scores` with `share * repeat / max(repeat) + (1 - share) * scores / max(scores)`;
/// `repeat` lists the user's own items with their repeat affinity.
pub fn blend_repeat_scores(repeat: (&[u32], &[f32]), scores: &mut [f32], share: f32) {
    let share = share.clamp(0.0, 1.0);
    let model_max = scores
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(0f32, f32::max);
    let model_scale = if model_max > 0.0 {
        (1.0 - share) / model_max
    } else {
        0.0
    };
    for score in scores.iter_mut() {
        *score *= model_scale;
    }
    let repeat_max = repeat.1.iter().copied().fold(0f32, f32::max);
    if repeat_max > 0.0 {
        for (&item, &affinity) in repeat.0.iter().zip(repeat.1) {
            if let Some(score) = scores.get_mut(item as usize) {
                *score += share * affinity / repeat_max;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blend_scales_both_parts_to_one() {
        let mut scores = vec![4.0, 2.0, 0.0];
        blend_repeat_scores((&[2, 1], &[3.0, 1.5]), &mut scores, 0.75);
        // Model part: [1, .5, 0] * .25; repeat part: item 2 -> .75, item 1 -> .375.
        assert_eq!(scores, vec![0.25, 0.125 + 0.375, 0.75]);
    }

    #[test]
    fn share_zero_is_the_model_alone_rescaled() {
        let mut scores = vec![4.0, 2.0];
        blend_repeat_scores((&[1], &[3.0]), &mut scores, 0.0);
        assert_eq!(scores, vec![1.0, 0.5]);
    }
}
