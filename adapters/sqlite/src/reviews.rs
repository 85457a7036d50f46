//! Reviews: one per user and product, listed with or without hidden ones.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::ids::{ProductId, ReviewId};
use merx_core::review::{Review, ReviewStatus};
use merx_core::store::{ReviewStore, StorageError, StorageResult};

use crate::codec::{get_id, get_opt_id, get_timestamp, get_wire, timestamp, wire};
use crate::{backend, is_unique_violation, SqliteStore};

const REVIEW_COLUMNS: &str = "id, product_id, user_id, rating, title, body, verified_purchase, \
                              status, moderated_by, created_at, updated_at";

fn review_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Review> {
    Ok(Review {
        id: get_id(r, 0)?,
        product_id: get_id(r, 1)?,
        user_id: get_id(r, 2)?,
        rating: r.get(3)?,
        title: r.get(4)?,
        body: r.get(5)?,
        verified_purchase: r.get(6)?,
        status: get_wire(r, 7)?,
        moderated_by: get_opt_id(r, 8)?,
        created_at: get_timestamp(r, 9)?,
        updated_at: get_timestamp(r, 10)?,
    })
}

fn load_review(tx: &Connection, id: ReviewId) -> StorageResult<Option<Review>> {
    let sql = format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = ?1");
    tx.prepare_cached(&sql)
        .map_err(backend)?
        .query_row([id.to_string()], review_from_row)
        .optional()
        .map_err(backend)
}

#[async_trait]
impl ReviewStore for SqliteStore {
    async fn create_review(&self, review: Review) -> StorageResult<Review> {
        self.write(move |tx| {
            let sql = format!(
                "INSERT INTO reviews ({REVIEW_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            );
            tx.prepare_cached(&sql)
                .map_err(backend)?
                .execute(params![
                    review.id.to_string(),
                    review.product_id.to_string(),
                    review.user_id.to_string(),
                    review.rating,
                    review.title,
                    review.body,
                    review.verified_purchase,
                    wire(&review.status)?,
                    review.moderated_by.map(|m| m.to_string()),
                    timestamp(review.created_at),
                    timestamp(review.updated_at),
                ])
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StorageError::conflict(
                            ReviewId::ENTITY,
                            "this user has already reviewed this product",
                        )
                    } else if crate::is_check_violation(&e) {
                        StorageError::conflict(ReviewId::ENTITY, "a rating is 1 to 5")
                    } else {
                        backend(e)
                    }
                })?;
            Ok(review)
        })
        .await
    }

    async fn get_review(&self, id: ReviewId) -> StorageResult<Review> {
        self.read(move |tx| {
            load_review(tx, id)?.ok_or_else(|| StorageError::not_found(ReviewId::ENTITY, id))
        })
        .await
    }

    async fn update_review(&self, review: Review) -> StorageResult<Review> {
        self.write(move |tx| {
            let stored = load_review(tx, review.id)?
                .ok_or_else(|| StorageError::not_found(ReviewId::ENTITY, review.id))?;
            if (stored.user_id, stored.product_id) != (review.user_id, review.product_id) {
                return Err(StorageError::conflict(
                    ReviewId::ENTITY,
                    "a review cannot change author or product",
                ));
            }
            tx.prepare_cached(
                "UPDATE reviews SET rating = ?2, title = ?3, body = ?4, verified_purchase = ?5,
                     status = ?6, moderated_by = ?7, created_at = ?8, updated_at = ?9
                 WHERE id = ?1",
            )
            .map_err(backend)?
            .execute(params![
                review.id.to_string(),
                review.rating,
                review.title,
                review.body,
                review.verified_purchase,
                wire(&review.status)?,
                review.moderated_by.map(|m| m.to_string()),
                timestamp(review.created_at),
                timestamp(review.updated_at),
            ])
            .map_err(backend)?;
            Ok(review)
        })
        .await
    }

    async fn list_reviews(
        &self,
        product_id: ProductId,
        include_hidden: bool,
    ) -> StorageResult<Vec<Review>> {
        self.read(move |tx| {
            let sql = format!(
                "SELECT {REVIEW_COLUMNS} FROM reviews
                 WHERE product_id = ?1 AND (?2 OR status = ?3)
                 ORDER BY created_at DESC, id DESC"
            );
            tx.prepare_cached(&sql)
                .map_err(backend)?
                .query_map(
                    params![
                        product_id.to_string(),
                        include_hidden,
                        wire(&ReviewStatus::Visible)?
                    ],
                    review_from_row,
                )
                .map_err(backend)?
                .collect::<rusqlite::Result<_>>()
                .map_err(backend)
        })
        .await
    }

    async fn delete_review(&self, id: ReviewId) -> StorageResult<()> {
        self.write(move |tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM reviews WHERE id = ?1")
                .map_err(backend)?
                .execute([id.to_string()])
                .map_err(backend)?;
            if deleted == 0 {
                return Err(StorageError::not_found(ReviewId::ENTITY, id));
            }
            Ok(())
        })
        .await
    }
}
