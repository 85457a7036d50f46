//! Product reviews: one per user and product, rated 1 to 5, flagged as a verified purchase when
//! the author has a non-cancelled order containing the product, and moderated (hidden or restored)
//! by moderators and admins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{ProductId, ReviewId, UserId};
use crate::text::{check_multiline_text, check_text};

/// Whether shoppers see a review.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReviewStatus {
    /// Shown.
    #[default]
    Visible,
    /// Hidden by a moderator.
    Hidden,
}

impl ReviewStatus {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Visible => "visible",
            ReviewStatus::Hidden => "hidden",
        }
    }
}

/// A review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// Identifier.
    pub id: ReviewId,
    /// The product reviewed.
    pub product_id: ProductId,
    /// The author.
    pub user_id: UserId,
    /// 1 to 5.
    pub rating: u8,
    /// Headline.
    pub title: String,
    /// Text.
    pub body: String,
    /// Whether the author bought the product.
    pub verified_purchase: bool,
    /// Visible or hidden.
    pub status: ReviewStatus,
    /// The moderator who last hid or restored it.
    pub moderated_by: Option<UserId>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What an author writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviewInput {
    /// 1 to 5.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub rating: u8,
    /// Headline, up to 200 characters.
    #[serde(default)]
    pub title: String,
    /// Text, up to 5000 characters.
    #[serde(default)]
    pub body: String,
}

impl ReviewInput {
    /// Checks rating, lengths and characters (the title is one line, the body may have several).
    pub fn validate(&self) -> Result<()> {
        check_text("title", &self.title)?;
        check_multiline_text("body", &self.body)?;
        if !(1..=5).contains(&self.rating) {
            return Err(Error::validation(
                "rating",
                "rating must be between 1 and 5",
            ));
        }
        if self.title.chars().count() > 200 {
            return Err(Error::validation(
                "title",
                "title is at most 200 characters",
            ));
        }
        if self.body.chars().count() > 5000 {
            return Err(Error::validation("body", "body is at most 5000 characters"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_outside_one_to_five_are_refused() {
        for rating in [0u8, 6, 255] {
            let input = ReviewInput {
                rating,
                title: String::new(),
                body: String::new(),
            };
            assert!(input.validate().is_err(), "{rating}");
        }
        for rating in 1u8..=5 {
            ReviewInput {
                rating,
                title: "ok".into(),
                body: String::new(),
            }
            .validate()
            .unwrap();
        }
        let long = ReviewInput {
            rating: 3,
            title: "x".repeat(201),
            body: String::new(),
        };
        assert!(long.validate().is_err());
    }

    #[test]
    fn control_characters_are_refused_but_the_body_keeps_its_lines() {
        let review = |title: &str, body: &str| ReviewInput {
            rating: 4,
            title: title.into(),
            body: body.into(),
        };
        review("Great", "Soft.\n\nWashes well.\r\n\tRecommended")
            .validate()
            .unwrap();
        for (input, field) in [
            (review("Great", "nul\0byte"), "body"),
            (review("Great", "bell\u{7}"), "body"),
            (review("Two\nlines", ""), "title"),
            (review("\0", ""), "title"),
        ] {
            assert!(
                matches!(input.validate(), Err(Error::Validation { field: ref f, .. }) if f == field),
                "{input:?}"
            );
        }
    }
}
