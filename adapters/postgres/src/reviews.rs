//! Reviews ([`ReviewStore`]): one per user and product, listed with or without hidden ones.

use async_trait::async_trait;
use merx_core::ids::{ProductId, ReviewId, UserId};
use merx_core::review::{Review, ReviewStatus};
use merx_core::store::{ReviewStore, StorageError, StorageResult};
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::codec::{backend, enum_text, text_enum, unique_violation};
use crate::settings::delete_by_id;
use crate::PgStore;

const REVIEW_COLUMNS: &str = "id, product_id, user_id, rating, title, body, verified_purchase,
    status, moderated_by, created_at, updated_at";

fn review(row: PgRow) -> StorageResult<Review> {
    Ok(Review {
        id: ReviewId(row.get("id")),
        product_id: ProductId(row.get("product_id")),
        user_id: UserId(row.get("user_id")),
        rating: u8::try_from(row.get::<i16, _>("rating")).map_err(StorageError::backend)?,
        title: row.get("title"),
        body: row.get("body"),
        verified_purchase: row.get("verified_purchase"),
        status: text_enum(row.get("status"))?,
        moderated_by: row.get::<Option<uuid::Uuid>, _>("moderated_by").map(UserId),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}

#[async_trait]
impl ReviewStore for PgStore {
    async fn create_review(&self, review: Review) -> StorageResult<Review> {
        sqlx::query(
            "INSERT INTO reviews (id, product_id, user_id, rating, title, body, verified_purchase,
                 status, moderated_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(review.id.0)
        .bind(review.product_id.0)
        .bind(review.user_id.0)
        .bind(i16::from(review.rating))
        .bind(&review.title)
        .bind(&review.body)
        .bind(review.verified_purchase)
        .bind(enum_text(&review.status)?)
        .bind(review.moderated_by.map(|u| u.0))
        .bind(review.created_at)
        .bind(review.updated_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match unique_violation(&e) {
            Some(_) => StorageError::conflict(
                ReviewId::ENTITY,
                "this user has already reviewed this product",
            ),
            None => backend(e),
        })?;
        Ok(review)
    }

    async fn get_review(&self, id: ReviewId) -> StorageResult<Review> {
        sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(review)
        .unwrap_or_else(|| Err(StorageError::not_found(ReviewId::ENTITY, id)))
    }

    async fn update_review(&self, review: Review) -> StorageResult<Review> {
        let updated = sqlx::query(
            "UPDATE reviews SET rating = $4, title = $5, body = $6, verified_purchase = $7,
                 status = $8, moderated_by = $9, created_at = $10, updated_at = $11
             WHERE id = $1 AND user_id = $2 AND product_id = $3",
        )
        .bind(review.id.0)
        .bind(review.user_id.0)
        .bind(review.product_id.0)
        .bind(i16::from(review.rating))
        .bind(&review.title)
        .bind(&review.body)
        .bind(review.verified_purchase)
        .bind(enum_text(&review.status)?)
        .bind(review.moderated_by.map(|u| u.0))
        .bind(review.created_at)
        .bind(review.updated_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?
        .rows_affected();
        if updated == 1 {
            return Ok(review);
        }
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM reviews WHERE id = $1")
            .bind(review.id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match exists {
            Some(_) => Err(StorageError::conflict(
                ReviewId::ENTITY,
                "a review cannot change author or product",
            )),
            None => Err(StorageError::not_found(ReviewId::ENTITY, review.id)),
        }
    }

    async fn list_reviews(
        &self,
        product_id: ProductId,
        include_hidden: bool,
    ) -> StorageResult<Vec<Review>> {
        sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews
             WHERE product_id = $1 AND ($2 OR status = $3)
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(product_id.0)
        .bind(include_hidden)
        .bind(ReviewStatus::Visible.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .into_iter()
        .map(review)
        .collect()
    }

    async fn delete_review(&self, id: ReviewId) -> StorageResult<()> {
        delete_by_id(self, "DELETE FROM reviews WHERE id = $1", id.0, || {
            StorageError::not_found(ReviewId::ENTITY, id)
        })
        .await
    }
}
