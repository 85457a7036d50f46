//! The transactional outbox ([`EventStore`]) and the append every writing method shares.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use merx_core::event::{NewEvent, OutboxEvent};
use merx_core::ids::EventId;
use merx_core::store::{EventStore, StorageError, StorageResult};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::codec::{backend, from_json, to_i64, to_json, to_u64, unique_violation};
use crate::PgStore;

/// Advisory-lock class of the outbox barrier (the second key is a hash of the schema name):
/// appenders hold it shared until they commit, readers take it exclusively.
pub(crate) const OUTBOX_LOCK_CLASS: i32 = 0x4d58_4f42;

/// The columns of a batch of events, ready to bind as arrays.
pub(crate) struct EventColumns {
    ids: Vec<Uuid>,
    kinds: Vec<String>,
    occurred: Vec<DateTime<Utc>>,
    payloads: Vec<serde_json::Value>,
}

impl EventColumns {
    pub(crate) fn new(events: &[NewEvent]) -> StorageResult<EventColumns> {
        let mut columns = EventColumns {
            ids: Vec::with_capacity(events.len()),
            kinds: Vec::with_capacity(events.len()),
            occurred: Vec::with_capacity(events.len()),
            payloads: Vec::with_capacity(events.len()),
        };
        for event in events {
            columns.ids.push(event.id.0);
            columns.kinds.push(event.payload.kind().to_string());
            columns.occurred.push(event.occurred_at);
            columns.payloads.push(to_json(&event.payload)?);
        }
        Ok(columns)
    }

    /// Binds the four arrays in order to `query`.
    pub(crate) fn bind<'q>(
        self,
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(self.ids)
            .bind(self.kinds)
            .bind(self.occurred)
            .bind(self.payloads)
    }
}

/// The SELECT feeding an outbox INSERT: takes the shared barrier lock first (the lone row of
/// `barrier` must exist before any event row does, so before any sequence is drawn), then
/// yields the events in the order given. Parameters `$1..$4` are [`EventColumns`]; the lock
/// class is inlined (1297633090 is [`OUTBOX_LOCK_CLASS`]; a unit test keeps them equal).
pub(crate) const OUTBOX_ROWS: &str = "SELECT e.id, e.kind, e.occurred_at, e.payload
    FROM (SELECT pg_advisory_xact_lock_shared(1297633090, hashtext(current_schema()))) AS barrier,
         unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::jsonb[])
             WITH ORDINALITY AS e(id, kind, occurred_at, payload, n)
    ORDER BY e.n";

/// The INSERT of [`OUTBOX_ROWS`] into the outbox.
pub(crate) const INSERT_OUTBOX: &str = "INSERT INTO outbox (id, kind, occurred_at, payload) ";

/// Appends `events` inside the caller's transaction, which must do nothing else before it
/// commits (the barrier lock is held until then). A duplicate id is `conflict`.
pub(crate) async fn append_events(
    conn: &mut PgConnection,
    events: Vec<NewEvent>,
) -> StorageResult<Vec<OutboxEvent>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{INSERT_OUTBOX}{OUTBOX_ROWS} RETURNING sequence, id");
    let rows = EventColumns::new(&events)?
        .bind(sqlx::query(&sql))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| match unique_violation(&e) {
            Some(_) => {
                StorageError::conflict(EventId::ENTITY, "an event id is already in the outbox")
            }
            None => backend(e),
        })?;
    let mut appended = Vec::with_capacity(events.len());
    for event in events {
        let row = rows
            .iter()
            .find(|row| row.get::<Uuid, _>("id") == event.id.0)
            .ok_or_else(|| StorageError::backend_message("an appended event was not returned"))?;
        appended.push(OutboxEvent::at(to_u64(row.get("sequence"))?, event));
    }
    appended.sort_by_key(|e| e.sequence);
    Ok(appended)
}

#[async_trait]
impl EventStore for PgStore {
    async fn append_events(&self, events: Vec<NewEvent>) -> StorageResult<Vec<OutboxEvent>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let appended = append_events(&mut tx, events).await?;
        tx.commit().await.map_err(backend)?;
        Ok(appended)
    }

    async fn events_after(&self, after: u64, limit: u32) -> StorageResult<Vec<OutboxEvent>> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Waits for appends in flight, so no lower sequence can still appear after this read.
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(OUTBOX_LOCK_CLASS)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let rows = sqlx::query(
            "SELECT sequence, id, occurred_at, payload FROM outbox
             WHERE sequence > $1 ORDER BY sequence LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        rows.into_iter()
            .map(|row| {
                Ok(OutboxEvent {
                    sequence: to_u64(row.get("sequence"))?,
                    id: EventId(row.get("id")),
                    occurred_at: row.get("occurred_at"),
                    payload: from_json(row.get("payload"))?,
                })
            })
            .collect()
    }

    async fn find_events(
        &self,
        after: u64,
        kinds: &[String],
        limit: u32,
    ) -> StorageResult<Vec<OutboxEvent>> {
        // A listing, not a delivery: no need to wait for appends in flight as `events_after` does.
        let rows = sqlx::query(
            "SELECT sequence, id, occurred_at, payload FROM outbox
             WHERE sequence > $1 AND (cardinality($3::text[]) = 0 OR kind = ANY($3))
             ORDER BY sequence LIMIT $2",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .bind(kinds)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|row| {
                Ok(OutboxEvent {
                    sequence: to_u64(row.get("sequence"))?,
                    id: EventId(row.get("id")),
                    occurred_at: row.get("occurred_at"),
                    payload: from_json(row.get("payload"))?,
                })
            })
            .collect()
    }

    async fn delivery_cursor(&self, consumer: &str) -> StorageResult<u64> {
        let cursor: Option<i64> =
            sqlx::query_scalar("SELECT sequence FROM delivery_cursors WHERE consumer = $1")
                .bind(consumer)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        to_u64(cursor.unwrap_or(0))
    }

    async fn advance_delivery_cursor(&self, consumer: &str, sequence: u64) -> StorageResult<u64> {
        let cursor: Option<i64> = sqlx::query_scalar(
            "INSERT INTO delivery_cursors (consumer, sequence)
             SELECT $1, $2 WHERE $2 <= (SELECT coalesce(max(sequence), 0) FROM outbox)
             ON CONFLICT (consumer) DO UPDATE
                 SET sequence = greatest(delivery_cursors.sequence, excluded.sequence)
             RETURNING sequence",
        )
        .bind(consumer)
        .bind(to_i64(sequence)?)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match cursor {
            Some(cursor) => to_u64(cursor),
            None => Err(StorageError::conflict(
                EventId::ENTITY,
                format!("cannot advance `{consumer}` past the last event"),
            )),
        }
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let held: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4)
             ON CONFLICT (name) DO UPDATE
                 SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $3
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(held.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StorageResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inlined_lock_class_is_the_constant() {
        assert!(OUTBOX_ROWS.contains(&format!(
            "pg_advisory_xact_lock_shared({OUTBOX_LOCK_CLASS},"
        )));
    }
}
