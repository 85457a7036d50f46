//! Payment attempts: the ledger rows, written alone or inside an order update.

use async_trait::async_trait;
use rusqlite::{params, Connection};

use merx_core::ids::{OrderId, TransactionId};
use merx_core::payment::PaymentTransaction;
use merx_core::store::{PaymentStore, StorageError, StorageResult};

use crate::codec::{get_decimal, get_id, get_timestamp, get_wire, timestamp, wire};
use crate::{backend, is_unique_violation, SqliteStore};

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
