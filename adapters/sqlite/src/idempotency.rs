//! Idempotency keys: claims with a holder and a lease, completed in the write that stores the
//! request's effect.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::store::{
    ClaimOutcome, IdempotencyClaim, IdempotencyCompletion, IdempotencyRecord, IdempotencyStore,
    StorageError, StorageResult,
};

use crate::codec::{get_opt_json, get_opt_timestamp, get_timestamp, json, timestamp};
use crate::{backend, SqliteStore};

/// The idempotency record of `scope`/`key`.
pub(crate) fn idempotency_record(
    tx: &Connection,
    scope: &str,
    key: &str,
) -> StorageResult<Option<IdempotencyRecord>> {
    tx.prepare_cached(
        "SELECT scope, key, fingerprint, holder, lease_until, completed_at, resource_id, response,
                created_at
         FROM idempotency_keys WHERE scope = ?1 AND key = ?2",
    )
    .map_err(backend)?
    .query_row([scope, key], |r| {
        Ok(IdempotencyRecord {
            scope: r.get(0)?,
            key: r.get(1)?,
            fingerprint: r.get(2)?,
            holder: r.get(3)?,
            lease_until: get_opt_timestamp(r, 4)?,
            completed_at: get_opt_timestamp(r, 5)?,
            resource_id: r.get(6)?,
            response: get_opt_json(r, 7)?,
            created_at: get_timestamp(r, 8)?,
        })
    })
    .optional()
    .map_err(backend)
}

/// Records a new idempotency key, in flight or completed as the record says.
pub(crate) fn insert_idempotency_record(
    tx: &Connection,
    record: &IdempotencyRecord,
) -> StorageResult<()> {
    tx.prepare_cached(
        "INSERT INTO idempotency_keys (scope, key, fingerprint, holder, lease_until, completed_at,
             resource_id, response, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .map_err(backend)?
    .execute(params![
        record.scope,
        record.key,
        record.fingerprint,
        record.holder,
        record.lease_until.map(timestamp),
        record.completed_at.map(timestamp),
        record.resource_id,
        record.response.as_ref().map(json).transpose()?,
        timestamp(record.created_at),
    ])
    .map_err(backend)?;
    Ok(())
}

/// Completes a key its holder still holds in flight, in the caller's transaction; refused with
/// `idempotency_in_flight` otherwise (the caller's transaction then rolls back its effect too).
pub(crate) fn complete_idempotency(
    tx: &Connection,
    completion: &IdempotencyCompletion,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE idempotency_keys
             SET holder = NULL, lease_until = NULL, completed_at = ?4, resource_id = ?5,
                 response = ?6
             WHERE scope = ?1 AND key = ?2 AND holder = ?3 AND completed_at IS NULL",
        )
        .map_err(backend)?
        .execute(params![
            completion.scope,
            completion.key,
            completion.holder,
            timestamp(now),
            completion.resource_id,
            completion.response.as_ref().map(json).transpose()?,
        ])
        .map_err(backend)?;
    if changed == 1 {
        return Ok(());
    }
    match idempotency_record(tx, &completion.scope, &completion.key)? {
        None => Err(StorageError::not_found("idempotency key", &completion.key)),
        Some(_) => Err(StorageError::IdempotencyInFlight {
            key: completion.key.clone(),
        }),
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(&self, claim: IdempotencyClaim) -> StorageResult<ClaimOutcome> {
        // Writes are serialized (one immediate transaction at a time), so reading the record and
        // deciding in Rust is as atomic as a conditional upsert.
        self.write(
            move |tx| match idempotency_record(tx, &claim.scope, &claim.key)? {
                None => {
                    insert_idempotency_record(tx, &claim.into_record())?;
                    Ok(ClaimOutcome::Claimed)
                }
                Some(existing) if existing.lapsed_for(&claim) => {
                    tx.prepare_cached(
                        "UPDATE idempotency_keys SET holder = ?3, lease_until = ?4
                         WHERE scope = ?1 AND key = ?2",
                    )
                    .map_err(backend)?
                    .execute(params![
                        claim.scope,
                        claim.key,
                        claim.holder,
                        timestamp(claim.lease_until)
                    ])
                    .map_err(backend)?;
                    Ok(ClaimOutcome::Claimed)
                }
                Some(existing) => Ok(ClaimOutcome::Existing(existing)),
            },
        )
        .await
    }

    async fn get_idempotency_record(
        &self,
        scope: &str,
        key: &str,
    ) -> StorageResult<Option<IdempotencyRecord>> {
        let (scope, key) = (scope.to_string(), key.to_string());
        self.read(move |tx| idempotency_record(tx, &scope, &key))
            .await
    }

    async fn complete_idempotency_key(
        &self,
        completion: IdempotencyCompletion,
    ) -> StorageResult<IdempotencyRecord> {
        let now = self.now();
        self.write(move |tx| {
            complete_idempotency(tx, &completion, now)?;
            idempotency_record(tx, &completion.scope, &completion.key)?
                .ok_or_else(|| StorageError::not_found("idempotency key", &completion.key))
        })
        .await
    }

    async fn release_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        holder: &str,
    ) -> StorageResult<()> {
        let (scope, key, holder) = (scope.to_string(), key.to_string(), holder.to_string());
        self.write(move |tx| {
            tx.prepare_cached(
                "DELETE FROM idempotency_keys
                 WHERE scope = ?1 AND key = ?2 AND holder = ?3 AND completed_at IS NULL",
            )
            .map_err(backend)?
            .execute([&scope, &key, &holder])
            .map_err(backend)?;
            Ok(())
        })
        .await
    }
}
