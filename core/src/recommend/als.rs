//! Implicit-feedback ALS (Hu, Koren and Volinsky, 2008): user and item factor vectors such that
//! `x_u . y_i` predicts whether `u` interacts with `i`, each observed pair weighted by the
//! confidence `c = 1 + alpha * r` (r = the pair's affinity), unobserved pairs by 1.
//!
//! Each half-step solves, for every user (then every item), the `f x f` system
//! `(Y^T Y + lambda I + sum_i (c_i - 1) y_i y_i^T) x = sum_i c_i y_i` over that user's items only;
//! `Y^T Y` is shared. Two solvers:
//! - conjugate gradient with a few steps warm-started from the previous iterate (Takács et al.;
//!   the default of the Python `implicit` library): `O(steps * (f^2 + n_u f))` per user;
//! - an exact Cholesky solve: `O(f^3 + n_u f^2)` per user, useful as a reference.
//!
//! Users are independent within a half-step, so they are solved in parallel with rayon. The
//! item-side Gram `Y^T Y` is kept in the model so that a user who arrives after training is
//! folded in (one solve with the item factors fixed) without retraining.

use serde::{Deserialize, Serialize};

#[cfg(feature = "recommend-training")]
use super::data::SparseRows;

/// How each least-squares system is solved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum AlsSolver {
    /// Conjugate gradient, warm-started, with this many steps per solve.
    ConjugateGradient {
        /// Steps per solve (3 is `implicit`'s default).
        steps: usize,
    },
    /// Exact Cholesky factorisation of each system.
    Cholesky,
}

/// Settings for [`AlsModel`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlsConfig {
    /// Length of the factor vectors.
    pub factors: usize,
    /// L2 penalty `lambda` on every factor vector.
    pub l2: f32,
    /// Confidence slope: an observed pair with affinity `r` has confidence `1 + alpha * r`.
    pub alpha: f32,
    /// Alternating passes (users then items).
    pub iterations: usize,
    /// The linear solver.
    pub solver: AlsSolver,
    /// Seed of the initial factors.
    pub seed: u64,
}

impl Default for AlsConfig {
    fn default() -> Self {
        AlsConfig {
            factors: 64,
            l2: 0.1,
            alpha: 10.0,
            iterations: 15,
            solver: AlsSolver::ConjugateGradient { steps: 3 },
            seed: 42,
        }
    }
}

/// Fitted ALS factors, row-major (`factors` values per user or item).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlsModel {
    config: AlsConfig,
    user_factors: Vec<f32>,
    item_factors: Vec<f32>,
    /// `Y^T Y + lambda I`, `factors x factors`, for folding in new users.
    item_gram: Vec<f32>,
}

impl AlsModel {
    /// The settings it was fitted with.
    pub fn config(&self) -> &AlsConfig {
        &self.config
    }

    /// Number of users with factors.
    pub fn users(&self) -> usize {
        self.user_factors.len() / self.config.factors
    }

    /// Number of items with factors.
    pub fn items(&self) -> usize {
        self.item_factors.len() / self.config.factors
    }

    /// The factor vector of `user`, if it has one.
    pub fn user_factors(&self, user: u32) -> Option<&[f32]> {
        let f = self.config.factors;
        self.user_factors
            .get(user as usize * f..(user as usize + 1) * f)
    }

    /// The factor vector of `item`, if it has one.
    pub fn item_factors(&self, item: u32) -> Option<&[f32]> {
        let f = self.config.factors;
        self.item_factors
            .get(item as usize * f..(item as usize + 1) * f)
    }

    /// Adds `x . y_i` to `scores[i]` for every item.
    pub fn add_scores(&self, user_vector: &[f32], scores: &mut [f32]) {
        let f = self.config.factors;
        for (score, item) in scores.iter_mut().zip(self.item_factors.chunks_exact(f)) {
            *score += dot(user_vector, item);
        }
    }

    /// The factors a user with this history (item, affinity) would get, item factors fixed.
    ///
    /// Always an exact (Cholesky) solve: a conjugate-gradient solve started from zero needs more
    /// than the few warm-started steps used in training.
    pub fn fold_in(&self, history: (&[u32], &[f32])) -> Vec<f32> {
        let (items, affinities): (Vec<u32>, Vec<f32>) = history
            .0
            .iter()
            .zip(history.1)
            .filter(|(&item, _)| (item as usize) < self.items())
            .map(|(&item, &affinity)| (item, affinity))
            .unzip();
        let exact = AlsConfig {
            solver: AlsSolver::Cholesky,
            ..self.config
        };
        let mut vector = vec![0f32; self.config.factors];
        solve_one(
            &mut vector,
            &self.item_gram,
            &self.item_factors,
            (&items, &affinities),
            &exact,
        );
        vector
    }

    /// Sets (or adds) the factors of `user`, growing the table with zero vectors if needed.
    pub fn set_user_factors(&mut self, user: u32, vector: &[f32]) {
        let f = self.config.factors;
        let end = (user as usize + 1) * f;
        if self.user_factors.len() < end {
            self.user_factors.resize(end, 0.0);
        }
        self.user_factors[end - f..end].copy_from_slice(vector);
    }

    /// How much each history item contributed to the score of `target` for this history, per
    /// Hu et al. section 5: with `W = (Y^T C Y + lambda I)^-1`, the user's score of `target` is
    /// `sum_j (y_target^T W y_j) c_j`, so item `j` contributed `(y_target^T W y_j) c_j`.
    pub fn contributions(&self, history: (&[u32], &[f32]), target: u32) -> Vec<(u32, f32)> {
        let f = self.config.factors;
        let Some(target_vector) = self.item_factors(target) else {
            return Vec::new();
        };
        let mut system: Vec<f64> = self.item_gram.iter().map(|&v| f64::from(v)).collect();
        let mut known = Vec::with_capacity(history.0.len());
        for (&item, &affinity) in history.0.iter().zip(history.1) {
            let Some(y) = self.item_factors(item) else {
                continue;
            };
            let extra = f64::from(self.config.alpha * affinity);
            add_outer(&mut system, y, extra, f);
            known.push((item, y, 1.0 + self.config.alpha * affinity));
        }
        let Some(factor) = cholesky(&mut system, f) else {
            return Vec::new();
        };
        let solved_target = cholesky_solve(factor, target_vector, f);
        known
            .into_iter()
            .map(|(item, y, confidence)| {
                let similarity: f64 = solved_target
                    .iter()
                    .zip(y)
                    .map(|(a, &b)| a * f64::from(b))
                    .sum();
                (item, (similarity * f64::from(confidence)) as f32)
            })
            .collect()
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `system += weight * y y^T` (row-major `f x f`).
fn add_outer(system: &mut [f64], y: &[f32], weight: f64, f: usize) {
    for (r, &yr) in y.iter().enumerate() {
        let scaled = weight * f64::from(yr);
        for (cell, &yc) in system[r * f..(r + 1) * f].iter_mut().zip(y) {
            *cell += scaled * f64::from(yc);
        }
    }
}

/// In-place lower Cholesky factor of a symmetric positive definite row-major `f x f` matrix.
fn cholesky(system: &mut [f64], f: usize) -> Option<&[f64]> {
    for j in 0..f {
        let mut diagonal = system[j * f + j];
        for k in 0..j {
            diagonal -= system[j * f + k] * system[j * f + k];
        }
        if diagonal <= 0.0 || !diagonal.is_finite() {
            return None;
        }
        let diagonal = diagonal.sqrt();
        system[j * f + j] = diagonal;
        for i in j + 1..f {
            let mut value = system[i * f + j];
            for k in 0..j {
                value -= system[i * f + k] * system[j * f + k];
            }
            system[i * f + j] = value / diagonal;
        }
    }
    Some(system)
}

/// Solves `L L^T x = b` given the lower factor `L`.
fn cholesky_solve(lower: &[f64], b: &[f32], f: usize) -> Vec<f64> {
    let mut x: Vec<f64> = b.iter().map(|&v| f64::from(v)).collect();
    for i in 0..f {
        for k in 0..i {
            x[i] -= lower[i * f + k] * x[k];
        }
        x[i] /= lower[i * f + i];
    }
    for i in (0..f).rev() {
        for k in i + 1..f {
            x[i] -= lower[k * f + i] * x[k];
        }
        x[i] /= lower[i * f + i];
    }
    x
}

/// `fixed^T fixed + l2 I` for row-major factor table `fixed`.
#[cfg(feature = "recommend-training")]
fn gram(fixed: &[f32], f: usize, l2: f32) -> Vec<f32> {
    let mut out = vec![0f64; f * f];
    for y in fixed.chunks_exact(f) {
        add_outer(&mut out, y, 1.0, f);
    }
    for d in 0..f {
        out[d * f + d] += f64::from(l2);
    }
    out.into_iter().map(|v| v as f32).collect()
}

/// Updates `x` for one row (user or item) whose observed partners and affinities are `observed`.
fn solve_one(
    x: &mut [f32],
    gram: &[f32],
    fixed: &[f32],
    observed: (&[u32], &[f32]),
    config: &AlsConfig,
) {
    let f = config.factors;
    let partner = |index: u32| &fixed[index as usize * f..(index as usize + 1) * f];
    match config.solver {
        AlsSolver::Cholesky => {
            let mut system: Vec<f64> = gram.iter().map(|&v| f64::from(v)).collect();
            let mut rhs = vec![0f32; f];
            for (&index, &affinity) in observed.0.iter().zip(observed.1) {
                let y = partner(index);
                add_outer(&mut system, y, f64::from(config.alpha * affinity), f);
                let confidence = 1.0 + config.alpha * affinity;
                for (b, &v) in rhs.iter_mut().zip(y) {
                    *b += confidence * v;
                }
            }
            if let Some(lower) = cholesky(&mut system, f) {
                for (out, v) in x.iter_mut().zip(cholesky_solve(lower, &rhs, f)) {
                    *out = v as f32;
                }
            }
        }
        AlsSolver::ConjugateGradient { steps } => {
            // Residual r = b - A x, with A x = gram x + sum (c - 1)(y . x) y and b = sum c y.
            let mut residual = vec![0f32; f];
            matrix_vector(gram, x, &mut residual, f);
            residual.iter_mut().for_each(|v| *v = -*v);
            for (&index, &affinity) in observed.0.iter().zip(observed.1) {
                let y = partner(index);
                let confidence = 1.0 + config.alpha * affinity;
                let coefficient = confidence - (confidence - 1.0) * dot(y, x);
                axpy(coefficient, y, &mut residual);
            }
            let mut direction = residual.clone();
            let mut residual_norm = dot(&residual, &residual);
            let mut product = vec![0f32; f];
            for _ in 0..steps {
                if residual_norm < 1e-20 {
                    break;
                }
                matrix_vector(gram, &direction, &mut product, f);
                for (&index, &affinity) in observed.0.iter().zip(observed.1) {
                    let y = partner(index);
                    axpy(
                        config.alpha * affinity * dot(y, &direction),
                        y,
                        &mut product,
                    );
                }
                let step = residual_norm / dot(&direction, &product);
                axpy(step, &direction, x);
                axpy(-step, &product, &mut residual);
                let next_norm = dot(&residual, &residual);
                let keep = next_norm / residual_norm;
                for (d, &r) in direction.iter_mut().zip(&residual) {
                    *d = r + keep * *d;
                }
                residual_norm = next_norm;
            }
        }
    }
}

fn matrix_vector(matrix: &[f32], vector: &[f32], out: &mut [f32], f: usize) {
    for (o, row) in out.iter_mut().zip(matrix.chunks_exact(f)) {
        *o = dot(row, vector);
    }
}

fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Fits ALS on `user_items` (row `u`: user `u`'s items with their affinities).
#[cfg(feature = "recommend-training")]
pub fn fit_als(
    user_items: &SparseRows,
    item_count: usize,
    config: &AlsConfig,
) -> crate::Result<AlsModel> {
    use rayon::prelude::*;

    if config.factors == 0 {
        return Err(crate::Error::validation(
            "factors",
            "ALS needs at least one factor",
        ));
    }
    if !(config.l2 > 0.0
        && config.alpha >= 0.0
        && config.l2.is_finite()
        && config.alpha.is_finite())
    {
        return Err(crate::Error::validation(
            "l2",
            "ALS needs l2 > 0 and alpha >= 0",
        ));
    }
    let f = config.factors;
    let item_users = user_items.transpose(item_count);
    let mut rng = super::data::SeededRng::new(config.seed);
    let scale = 0.01;
    let mut user_factors: Vec<f32> = (0..user_items.rows() * f)
        .map(|_| (rng.normal() * scale) as f32)
        .collect();
    let mut item_factors: Vec<f32> = (0..item_count * f)
        .map(|_| (rng.normal() * scale) as f32)
        .collect();
    let half_step = |target: &mut [f32], fixed: &[f32], rows: &SparseRows| {
        let shared = gram(fixed, f, config.l2);
        target.par_chunks_mut(f).enumerate().for_each(|(row, x)| {
            solve_one(x, &shared, fixed, rows.row(row), config);
        });
    };
    for _ in 0..config.iterations {
        half_step(&mut user_factors, &item_factors, user_items);
        half_step(&mut item_factors, &user_factors, &item_users);
    }
    let item_gram = gram(&item_factors, f, config.l2);
    Ok(AlsModel {
        config: *config,
        user_factors,
        item_factors,
        item_gram,
    })
}

#[cfg(all(test, feature = "recommend-training"))]
mod tests {
    use super::*;

    /// Two taste groups: users 0-3 like items 0-2, users 4-7 like items 3-5, except that users
    /// 0 and 4 have not seen item 2 and item 5.
    fn two_groups() -> SparseRows {
        let mut rows = Vec::new();
        for user in 0..8u32 {
            let base = if user < 4 { 0 } else { 3 };
            let count = if user % 4 == 0 { 2 } else { 3 };
            rows.push((base..base + count).map(|item| (item, 1.0)).collect());
        }
        SparseRows::from_sorted_rows(rows)
    }

    fn recommends_within_group(solver: AlsSolver) {
        let config = AlsConfig {
            factors: 4,
            iterations: 10,
            solver,
            ..AlsConfig::default()
        };
        let model = fit_als(&two_groups(), 6, &config).unwrap();
        let mut scores = vec![0.0; 6];
        model.add_scores(model.user_factors(0).unwrap(), &mut scores);
        assert!(scores[2] > scores[3] && scores[2] > scores[4] && scores[2] > scores[5]);
        let folded = model.fold_in((&[3, 4], &[1.0, 1.0]));
        let mut scores = vec![0.0; 6];
        model.add_scores(&folded, &mut scores);
        assert!(scores[5] > scores[0] && scores[5] > scores[1] && scores[5] > scores[2]);
    }

    #[test]
    fn conjugate_gradient_learns_the_groups() {
        recommends_within_group(AlsSolver::ConjugateGradient { steps: 3 });
    }

    #[test]
    fn cholesky_learns_the_groups() {
        recommends_within_group(AlsSolver::Cholesky);
    }

    #[test]
    fn contributions_add_up_to_the_folded_in_score() {
        let config = AlsConfig {
            factors: 4,
            solver: AlsSolver::Cholesky,
            ..AlsConfig::default()
        };
        let model = fit_als(&two_groups(), 6, &config).unwrap();
        let history = (&[3u32, 4][..], &[1.0f32, 2.0][..]);
        let folded = model.fold_in(history);
        let score = dot(&folded, model.item_factors(5).unwrap());
        let parts: f32 = model.contributions(history, 5).iter().map(|(_, c)| c).sum();
        assert!(
            (score - parts).abs() < 1e-3 * score.abs().max(1.0),
            "{score} vs {parts}"
        );
    }

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut system = vec![4.0, 2.0, 2.0, 3.0];
        let lower = cholesky(&mut system, 2).unwrap().to_vec();
        let x = cholesky_solve(&lower, &[2.0, 1.0], 2);
        // [[4,2],[2,3]] x = [2,1] -> x = [0.5, 0].
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12);
    }
}
