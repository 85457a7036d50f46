//! Review operations: who may write, edit and moderate a review, and the verified-purchase flag
//! taken from the author's orders. The review itself and its validation are in
//! [`crate::model::review`].

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::{ProductId, ReviewId};
use crate::principal::Principal;
use crate::review::{Review, ReviewInput, ReviewStatus};
use crate::store::{StorageError, Store};
use crate::user::Role;

/// Review operations.
#[derive(Clone, Debug)]
pub struct ReviewService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl ReviewService {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> ReviewService {
        ReviewService { store, clock }
    }

    /// Publishes the signed-in `author`'s review of `product_id`; a second review of the same
    /// product is a `conflict`. Reviews speak for a customer, so only a user principal writes one.
    pub async fn submit(
        &self,
        author: &Principal,
        product_id: ProductId,
        input: ReviewInput,
    ) -> Result<Review> {
        let Some(author) = author.user() else {
            return Err(Error::Forbidden {
                action: "review a product without an account".into(),
            });
        };
        if !author.is_active() {
            return Err(Error::AccountInactive);
        }
        input.validate()?;
        self.store.get_product(product_id).await?;
        let verified_purchase = self.store.has_purchased(author.id, product_id).await?;
        let now = self.clock.now();
        let review = Review {
            id: ReviewId::new(),
            product_id,
            user_id: author.id,
            rating: input.rating,
            title: input.title.trim().to_string(),
            body: input.body.trim().to_string(),
            verified_purchase,
            status: ReviewStatus::Visible,
            moderated_by: None,
            created_at: now,
            updated_at: now,
        };
        match self.store.create_review(review).await {
            Err(StorageError::Conflict { .. }) => Err(Error::Conflict {
                entity: ReviewId::ENTITY,
                message: "you have already reviewed this product".into(),
            }),
            other => Ok(other?),
        }
    }

    async fn moderate(
        &self,
        moderator: &Principal,
        review_id: ReviewId,
        to: ReviewStatus,
    ) -> Result<Review> {
        moderator.require_any_role(&[Role::Moderator, Role::Admin], "moderate reviews")?;
        let mut review = self.store.get_review(review_id).await?;
        if review.status == to {
            return Err(Error::InvalidTransition {
                machine: "review status",
                from: review.status.as_str().into(),
                to: to.as_str().into(),
            });
        }
        review.status = to;
        review.moderated_by = moderator.user().map(|user| user.id);
        review.updated_at = self.clock.now();
        Ok(self.store.update_review(review).await?)
    }

    /// Hides a visible review. Moderators and admins only.
    pub async fn hide(&self, moderator: &Principal, review_id: ReviewId) -> Result<Review> {
        self.moderate(moderator, review_id, ReviewStatus::Hidden)
            .await
    }

    /// Shows a hidden review again. Moderators and admins only.
    pub async fn restore(&self, moderator: &Principal, review_id: ReviewId) -> Result<Review> {
        self.moderate(moderator, review_id, ReviewStatus::Visible)
            .await
    }

    /// A product's reviews, newest first; hidden ones too with `include_hidden`, which only
    /// moderators and admins may ask for. An unknown product is `not_found`.
    pub async fn for_product(
        &self,
        viewer: &Principal,
        product_id: ProductId,
        include_hidden: bool,
    ) -> Result<Vec<Review>> {
        if include_hidden {
            viewer.require_any_role(&[Role::Moderator, Role::Admin], "see hidden reviews")?;
        }
        self.store.get_product(product_id).await?;
        Ok(self.store.list_reviews(product_id, include_hidden).await?)
    }
}
