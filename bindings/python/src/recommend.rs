//! `merx._merx.Recommender` and `evaluate`: the core's recommendation engine over string keys.
//!
//! Users and items are plain strings (UUIDs from the store, or any id a data set uses), so a data
//! scientist can fit on an export and serve the result without numpy. Inputs and outputs are the
//! core's own serde shapes of `merx_core::recommend` as JSON text, named as that module names
//! them: snake_case for the model configuration and results, camelCase for a
//! `RecommendRequest` (`excludeSeen`, `fillWithPopular`). Fitting and scoring release the GIL:
//! fitting runs the core's parallel training.

use std::collections::{HashMap, HashSet};

use merx_core::recommend::{
    eval, Interaction, RecommendRequest, Recommendation, Recommender as CoreRecommender,
    RecommenderConfig,
};
use pyo3::prelude::*;
use serde::Serialize;

use crate::errors::{parse, Failure};

type Keyed = CoreRecommender<String, String>;

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("recommendation types always serialize")
}

/// A fitted recommender.
#[pyclass(frozen, module = "merx._merx")]
#[derive(Debug)]
pub(crate) struct Recommender {
    fitted: Keyed,
}

impl Recommender {
    fn serve(
        &self,
        py: Python<'_>,
        request: &str,
        serve: impl FnOnce(&Keyed, &RecommendRequest<String>) -> Vec<Recommendation<String>> + Send,
    ) -> PyResult<String> {
        py.detach(|| {
            let request: RecommendRequest<String> = parse(request, "a recommendation request")?;
            Ok(json(&serve(&self.fitted, &request)))
        })
        .map_err(|f: Failure| f.into_py(py))
    }
}

#[pymethods]
impl Recommender {
    /// Fits on interactions (`[{"user", "item", "weight", "timestamp"}]`) with a configuration
    /// (`RecommenderConfig` JSON), or SAR's defaults when `config` is `None`.
    #[staticmethod]
    #[pyo3(signature = (interactions, config = None))]
    fn fit(py: Python<'_>, interactions: &str, config: Option<&str>) -> PyResult<Recommender> {
        py.detach(|| {
            let interactions: Vec<Interaction<String, String>> =
                parse(interactions, "a list of interactions")?;
            let config: RecommenderConfig = match config {
                Some(text) => parse(text, "a recommender configuration")?,
                None => RecommenderConfig::sar(),
            };
            Ok(Recommender {
                fitted: Keyed::fit(&interactions, config)?,
            })
        })
        .map_err(|f: Failure| f.into_py(py))
    }

    /// The fitted model as JSON, to store and serve later without refitting.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.fitted
            .to_json()
            .map_err(|e| Failure::from(e).into_py(py))
    }

    /// A model saved by `to_json`.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Recommender> {
        py.detach(|| Keyed::from_json(text))
            .map(|fitted| Recommender { fitted })
            .map_err(|e| Failure::from(e).into_py(py))
    }

    /// The configuration it was fitted with, as JSON.
    fn config(&self) -> String {
        json(self.fitted.config())
    }

    /// "Recommended for you"; popular items for a user it has not seen.
    fn recommend_for_user(&self, py: Python<'_>, user: &str, request: &str) -> PyResult<String> {
        self.serve(py, request, |r, q| {
            r.recommend_for_user(&user.to_string(), q)
        })
    }

    /// "Customers who bought these also bought" for one item or a basket.
    fn also_bought(&self, py: Python<'_>, items: Vec<String>, request: &str) -> PyResult<String> {
        self.serve(py, request, |r, q| r.also_bought(&items, q))
    }

    /// "Buy again": the user's own past items by frequency and recency.
    fn buy_again(&self, py: Python<'_>, user: &str, request: &str) -> PyResult<String> {
        self.serve(py, request, |r, q| r.buy_again(&user.to_string(), q))
    }

    /// The most popular (or trending) items passing the request's filters.
    fn popular(&self, py: Python<'_>, request: &str) -> PyResult<String> {
        self.serve(py, request, |r, q| r.popular(q))
    }
}

/// Ranking metrics at `k` (precision, recall, NDCG, MAP, coverage) of recommended lists
/// (`{user: [item, ...]}`) against held-out items (`{user: [item, ...]}`).
#[pyfunction]
pub(crate) fn evaluate(
    py: Python<'_>,
    recommended: &str,
    relevant: &str,
    k: usize,
    catalog_size: usize,
) -> PyResult<String> {
    py.detach(|| {
        let recommended: HashMap<String, Vec<String>> =
            parse(recommended, "recommended lists by user")?;
        let relevant: HashMap<String, HashSet<String>> = parse(relevant, "held-out items by user")?;
        Ok(json(&eval::evaluate(
            &recommended,
            &relevant,
            k,
            catalog_size,
        )))
    })
    .map_err(|f: Failure| f.into_py(py))
}
