//! Saving and loading a trained [`Recommender`] as versioned JSON.
//!
//! The envelope is `{"format": "merx-recommender", "version": 1, "recommender": {...}}`. JSON
//! keeps the core free of a binary-format dependency and lets any shell (Python, a browser) read
//! a model the server trained; a loader refuses another format name or a version it does not
//! know, and checks that every index in the payload is in range before a single request is served.

use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Model, Recommender};
use crate::error::{Error, Result};

/// The format name written into every saved model.
pub const MODEL_FORMAT: &str = "merx-recommender";

/// The version this build writes and reads.
pub const MODEL_VERSION: u32 = 1;

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    format: &'static str,
    version: u32,
    recommender: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeHeader {
    format: String,
    version: u32,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    recommender: T,
}

impl<U, I> Recommender<U, I>
where
    U: Serialize + DeserializeOwned + Clone + Eq + Hash,
    I: Serialize + DeserializeOwned + Clone + Eq + Hash,
{
    /// The model as versioned JSON.
    pub fn to_json(&self) -> Result<String> {
        let envelope = EnvelopeOut {
            format: MODEL_FORMAT,
            version: MODEL_VERSION,
            recommender: self,
        };
        serde_json::to_string(&envelope)
            .map_err(|error| Error::validation("recommender", format!("cannot serialize: {error}")))
    }

    /// Loads a model written by [`Recommender::to_json`].
    pub fn from_json(json: &str) -> Result<Self> {
        let header: EnvelopeHeader = serde_json::from_str(json).map_err(|error| {
            Error::validation("recommender", format!("not a saved model: {error}"))
        })?;
        if header.format != MODEL_FORMAT {
            return Err(Error::validation(
                "format",
                format!("expected `{MODEL_FORMAT}`, found `{}`", header.format),
            ));
        }
        if header.version != MODEL_VERSION {
            return Err(Error::validation(
                "version",
                format!(
                    "model version {} is not supported (this build reads {MODEL_VERSION})",
                    header.version
                ),
            ));
        }
        let envelope: EnvelopeIn<Self> = serde_json::from_str(json)
            .map_err(|error| Error::validation("recommender", format!("corrupt model: {error}")))?;
        envelope.recommender.check_consistency()?;
        Ok(envelope.recommender)
    }

    fn check_consistency(&self) -> Result<()> {
        let items = self.items.len() as u32;
        let users = self.users.len();
        let corrupt = |what: &str| {
            Err(Error::validation(
                "recommender",
                format!("corrupt model: {what}"),
            ))
        };
        let rows_in_range = |rows: &super::SparseRows, row_count: usize| {
            rows.rows() == row_count
                && (0..row_count).all(|row| rows.row(row).0.iter().all(|&column| column < items))
        };
        if !rows_in_range(&self.affinity, users) {
            return corrupt("affinity does not match the user and item keys");
        }
        if let Some(rows) = &self.repeat_affinity {
            if !rows_in_range(rows, users) {
                return corrupt("repeat affinity does not match the user and item keys");
            }
        }
        let model_fits = match &self.model {
            Model::ItemSimilarity(similarity) => {
                similarity.items() == items as usize
                    && (0..items)
                        .all(|item| similarity.neighbours(item).0.iter().all(|&n| n < items))
            }
            Model::Ease(ease) => ease.items() == items as usize,
            Model::Als(als) => als.items() <= items as usize && als.users() <= users,
        };
        if !model_fits {
            return corrupt("the model does not match the item keys");
        }
        if let Some(rates) = &self.repeat_rates {
            if rates.len() > items as usize {
                return corrupt("repeat rates do not match the item keys");
            }
        }
        if self.popularity.ranking().iter().any(|&item| item >= items) {
            return corrupt("popularity ranks an unknown item");
        }
        Ok(())
    }
}
