//! Idempotency keys ([`IdempotencyStore`]): claims with a holder and a lease, completed in the
//! write that stores the request's effect.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use merx_core::store::{
    ClaimOutcome, IdempotencyClaim, IdempotencyCompletion, IdempotencyRecord, IdempotencyStore,
    StorageError, StorageResult,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::codec::backend;
use crate::PgStore;

const IDEMPOTENCY_COLUMNS: &str = "scope, key, fingerprint, holder, lease_until, completed_at,
    resource_id, response, created_at";

pub(crate) fn idempotency_record(row: &PgRow) -> IdempotencyRecord {
    IdempotencyRecord {
        scope: row.get("scope"),
        key: row.get("key"),
        fingerprint: row.get("fingerprint"),
        holder: row.get("holder"),
        lease_until: row.get("lease_until"),
        completed_at: row.get("completed_at"),
        resource_id: row.get("resource_id"),
        response: row.get("response"),
        created_at: row.get("created_at"),
    }
}

/// Completes a key its holder still holds in flight, on `conn` (the caller's transaction, so the
/// completion and the effect commit together); `idempotency_in_flight` otherwise.
pub(crate) async fn complete_idempotency(
    conn: &mut PgConnection,
    completion: &IdempotencyCompletion,
    now: DateTime<Utc>,
) -> StorageResult<IdempotencyRecord> {
    let row = sqlx::query(&format!(
        "UPDATE idempotency_keys
         SET holder = NULL, lease_until = NULL, completed_at = $4, resource_id = $5, response = $6
         WHERE scope = $1 AND key = $2 AND holder = $3 AND completed_at IS NULL
         RETURNING {IDEMPOTENCY_COLUMNS}"
    ))
    .bind(&completion.scope)
    .bind(&completion.key)
    .bind(&completion.holder)
    .bind(now)
    .bind(&completion.resource_id)
    .bind(&completion.response)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    if let Some(row) = row {
        return Ok(idempotency_record(&row));
    }
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(&completion.scope)
            .bind(&completion.key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    Err(match exists {
        Some(_) => StorageError::IdempotencyInFlight {
            key: completion.key.clone(),
        },
        None => StorageError::not_found("idempotency key", &completion.key),
    })
}

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(&self, claim: IdempotencyClaim) -> StorageResult<ClaimOutcome> {
        // A racing claim of the same key waits on the unique index for the winner to commit, then
        // takes it only if the lapsed-lease condition holds; the loop covers a winner that released
        // the key between this upsert and the read.
        loop {
            let claimed: Option<String> = sqlx::query_scalar(
                "INSERT INTO idempotency_keys
                     (scope, key, fingerprint, holder, lease_until, completed_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, NULL, $6)
                 ON CONFLICT (scope, key) DO UPDATE
                     SET holder = excluded.holder, lease_until = excluded.lease_until
                     WHERE idempotency_keys.completed_at IS NULL
                       AND idempotency_keys.fingerprint = excluded.fingerprint
                       AND idempotency_keys.lease_until <= $6
                 RETURNING holder",
            )
            .bind(&claim.scope)
            .bind(&claim.key)
            .bind(&claim.fingerprint)
            .bind(&claim.holder)
            .bind(claim.lease_until)
            .bind(claim.now)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            if claimed.is_some() {
                return Ok(ClaimOutcome::Claimed);
            }
            if let Some(existing) = self
                .get_idempotency_record(&claim.scope, &claim.key)
                .await?
            {
                return Ok(ClaimOutcome::Existing(existing));
            }
        }
    }

    async fn get_idempotency_record(
        &self,
        scope: &str,
        key: &str,
    ) -> StorageResult<Option<IdempotencyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE scope = $1 AND key = $2"
        ))
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(idempotency_record))
    }

    async fn complete_idempotency_key(
        &self,
        completion: IdempotencyCompletion,
    ) -> StorageResult<IdempotencyRecord> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        complete_idempotency(&mut conn, &completion, self.clock.now()).await
    }

    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        holder: &str,
    ) -> StorageResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE scope = $1 AND key = $2 AND holder = $3 AND completed_at IS NULL",
        )
        .bind(scope)
        .bind(key)
        .bind(holder)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
