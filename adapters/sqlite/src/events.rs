//! The outbox with its delivery cursors, idempotency keys and payment attempts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::event::{NewEvent, OutboxEvent};
use merx_core::ids::{EventId, OrderId, TransactionId};
use merx_core::payment::PaymentTransaction;
use merx_core::store::{
    ClaimOutcome, EventStore, IdempotencyClaim, IdempotencyCompletion, IdempotencyRecord,
    IdempotencyStore, PaymentStore, StorageError, StorageResult,
};

use crate::codec::{
    get_decimal, get_id, get_json, get_opt_json, get_opt_timestamp, get_timestamp, get_u64,
    get_wire, int, json, timestamp, wire,
};
use crate::{backend, is_unique_violation, SqliteStore};

/// Appends one event in the caller's transaction; a taken id is `conflict`.
pub(crate) fn append_event(tx: &Connection, event: &NewEvent) -> StorageResult<OutboxEvent> {
    tx.prepare_cached(
        "INSERT INTO outbox (id, kind, payload, occurred_at) VALUES (?1, ?2, ?3, ?4)",
    )
    .map_err(backend)?
    .execute(params![
        event.id.to_string(),
        event.payload.kind(),
        json(&event.payload)?,
        timestamp(event.occurred_at),
    ])
    .map_err(|e| {
        if is_unique_violation(&e) {
            StorageError::conflict(EventId::ENTITY, format!("event `{}` exists", event.id))
        } else {
            backend(e)
        }
    })?;
    let sequence = u64::try_from(tx.last_insert_rowid())
        .map_err(|_| StorageError::backend_message("negative outbox sequence"))?;
    Ok(OutboxEvent::at(sequence, event.clone()))
}

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

/// Records one payment attempt in the caller's transaction; a taken id is `conflict`.
pub(crate) fn insert_transaction(tx: &Connection, t: &PaymentTransaction) -> StorageResult<()> {
    tx.prepare_cached(
        "INSERT INTO payment_transactions (id, order_id, kind, attempt, amount, currency,
             status, provider, provider_reference, idempotency_key, message, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .map_err(backend)?
    .execute(params![
        t.id.to_string(),
        t.order_id.to_string(),
        wire(&t.kind)?,
        t.attempt,
        t.amount.to_string(),
        wire(&t.currency)?,
        wire(&t.status)?,
        t.provider,
        t.provider_reference,
        t.idempotency_key,
        t.message,
        timestamp(t.created_at),
    ])
    .map_err(|e| {
        if is_unique_violation(&e) {
            StorageError::conflict(
                TransactionId::ENTITY,
                format!("transaction `{}` exists", t.id),
            )
        } else {
            backend(e)
        }
    })?;
    Ok(())
}

fn outbox_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEvent> {
    Ok(OutboxEvent {
        sequence: get_u64(row, 0)?,
        id: get_id(row, 1)?,
        payload: get_json(row, 2)?,
        occurred_at: get_timestamp(row, 3)?,
    })
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append_events(&self, events: Vec<NewEvent>) -> StorageResult<Vec<OutboxEvent>> {
        self.write(move |tx| events.iter().map(|e| append_event(tx, e)).collect())
            .await
    }

    async fn events_after(&self, after: u64, limit: u32) -> StorageResult<Vec<OutboxEvent>> {
        self.read(move |tx| {
            tx.prepare_cached(
                "SELECT sequence, id, payload, occurred_at FROM outbox
                 WHERE sequence > ?1 ORDER BY sequence LIMIT ?2",
            )
            .map_err(backend)?
            .query_map(params![int(after), i64::from(limit)], outbox_event)
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)
        })
        .await
    }

    async fn find_events(
        &self,
        after: u64,
        kinds: &[String],
        limit: u32,
    ) -> StorageResult<Vec<OutboxEvent>> {
        // The kinds travel as one bound JSON array; `outbox_kind (kind, sequence)` serves the scan.
        let kinds = json(&kinds)?;
        self.read(move |tx| {
            tx.prepare_cached(
                "SELECT sequence, id, payload, occurred_at FROM outbox
                 WHERE sequence > ?1
                   AND (json_array_length(?3) = 0 OR kind IN (SELECT value FROM json_each(?3)))
                 ORDER BY sequence LIMIT ?2",
            )
            .map_err(backend)?
            .query_map(params![int(after), i64::from(limit), kinds], outbox_event)
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)
        })
        .await
    }

    async fn delivery_cursor(&self, consumer: &str) -> StorageResult<u64> {
        let consumer = consumer.to_string();
        self.read(move |tx| {
            let cursor: Option<i64> = tx
                .prepare_cached("SELECT sequence FROM delivery_cursors WHERE consumer = ?1")
                .map_err(backend)?
                .query_row([consumer], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            Ok(cursor.map_or(0, |c| c.max(0) as u64))
        })
        .await
    }

    async fn advance_delivery_cursor(&self, consumer: &str, sequence: u64) -> StorageResult<u64> {
        let consumer = consumer.to_string();
        self.write(move |tx| {
            let last: i64 = tx
                .prepare_cached("SELECT COALESCE(MAX(sequence), 0) FROM outbox")
                .map_err(backend)?
                .query_row([], |r| r.get(0))
                .map_err(backend)?;
            if int(sequence) > last {
                return Err(StorageError::conflict(
                    EventId::ENTITY,
                    format!("cannot advance past the last event ({last})"),
                ));
            }
            let cursor: i64 = tx
                .prepare_cached(
                    "INSERT INTO delivery_cursors (consumer, sequence) VALUES (?1, ?2)
                     ON CONFLICT (consumer) DO UPDATE SET sequence = MAX(sequence, excluded.sequence)
                     RETURNING sequence",
                )
                .map_err(backend)?
                .query_row(params![consumer, int(sequence)], |r| r.get(0))
                .map_err(backend)?;
            Ok(cursor.max(0) as u64)
        })
        .await
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.write(move |tx| {
            let changed = tx
                .prepare_cached(
                    "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?4)
                     ON CONFLICT (name) DO UPDATE
                         SET holder = excluded.holder, expires_at = excluded.expires_at
                         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?3",
                )
                .map_err(backend)?
                .execute(params![name, holder, timestamp(now), timestamp(until)])
                .map_err(backend)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StorageResult<()> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.write(move |tx| {
            tx.prepare_cached("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
                .map_err(backend)?
                .execute(params![name, holder])
                .map_err(backend)?;
            Ok(())
        })
        .await
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

#[async_trait]
impl PaymentStore for SqliteStore {
    async fn record_transaction(&self, transaction: PaymentTransaction) -> StorageResult<()> {
        self.write(move |tx| insert_transaction(tx, &transaction))
            .await
    }

    async fn list_transactions(&self, order_id: OrderId) -> StorageResult<Vec<PaymentTransaction>> {
        self.read(move |tx| {
            tx.prepare_cached(
                "SELECT id, order_id, kind, attempt, amount, currency, status, provider,
                        provider_reference, idempotency_key, message, created_at
                 FROM payment_transactions WHERE order_id = ?1 ORDER BY seq",
            )
            .map_err(backend)?
            .query_map([order_id.to_string()], |r| {
                Ok(PaymentTransaction {
                    id: get_id(r, 0)?,
                    order_id: get_id(r, 1)?,
                    kind: get_wire(r, 2)?,
                    attempt: r.get(3)?,
                    amount: get_decimal(r, 4)?,
                    currency: get_wire(r, 5)?,
                    status: get_wire(r, 6)?,
                    provider: r.get(7)?,
                    provider_reference: r.get(8)?,
                    idempotency_key: r.get(9)?,
                    message: r.get(10)?,
                    created_at: get_timestamp(r, 11)?,
                })
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)
        })
        .await
    }
}
