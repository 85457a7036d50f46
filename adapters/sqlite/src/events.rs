//! The outbox with its delivery cursors, and the leases that give a job one holder at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::event::{NewEvent, OutboxEvent};
use merx_core::ids::EventId;
use merx_core::store::{EventStore, StorageError, StorageResult};

use crate::codec::{get_id, get_json, get_timestamp, get_u64, int, json, timestamp};
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
