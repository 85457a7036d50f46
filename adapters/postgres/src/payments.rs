//! Payment attempts ([`PaymentStore`]): the ledger rows, written alone or inside an order
//! update.

use async_trait::async_trait;
use merx_core::ids::{OrderId, TransactionId};
use merx_core::payment::PaymentTransaction;
use merx_core::store::{PaymentStore, StorageError, StorageResult};
use sqlx::Row;

use crate::codec::{backend, currency, enum_text, text_enum, unique_violation};
use crate::PgStore;

/// Records one payment attempt on `conn` (a pool, or the caller's transaction); a taken id is
/// `conflict`.
pub(crate) async fn insert_transaction<'c, E>(
    conn: E,
    transaction: &PaymentTransaction,
) -> StorageResult<()>
where
    E: sqlx::PgExecutor<'c>,
{
    sqlx::query(
        "INSERT INTO payment_transactions (id, order_id, kind, attempt, amount, currency,
             status, provider, provider_reference, idempotency_key, message, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(transaction.id.0)
    .bind(transaction.order_id.0)
    .bind(enum_text(&transaction.kind)?)
    .bind(i32::try_from(transaction.attempt).map_err(StorageError::backend)?)
    .bind(transaction.amount)
    .bind(transaction.currency.code())
    .bind(enum_text(&transaction.status)?)
    .bind(&transaction.provider)
    .bind(&transaction.provider_reference)
    .bind(&transaction.idempotency_key)
    .bind(&transaction.message)
    .bind(transaction.created_at)
    .execute(conn)
    .await
    .map_err(|e| match unique_violation(&e) {
        Some(_) => StorageError::conflict(
            TransactionId::ENTITY,
            format!("transaction `{}` exists", transaction.id),
        ),
        None => backend(e),
    })?;
    Ok(())
}

#[async_trait]
impl PaymentStore for PgStore {
    async fn record_transaction(&self, transaction: PaymentTransaction) -> StorageResult<()> {
        insert_transaction(&self.pool, &transaction).await
    }

    async fn list_transactions(&self, order_id: OrderId) -> StorageResult<Vec<PaymentTransaction>> {
        let rows = sqlx::query(
            "SELECT id, order_id, kind, attempt, amount, currency, status, provider,
                 provider_reference, idempotency_key, message, created_at
             FROM payment_transactions WHERE order_id = $1 ORDER BY recorded",
        )
        .bind(order_id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(PaymentTransaction {
                    id: TransactionId(row.get("id")),
                    order_id: OrderId(row.get("order_id")),
                    kind: text_enum(row.get("kind"))?,
                    attempt: u32::try_from(row.get::<i32, _>("attempt"))
                        .map_err(StorageError::backend)?,
                    amount: row.get("amount"),
                    currency: currency(row.get("currency"))?,
                    status: text_enum(row.get("status"))?,
                    provider: row.get("provider"),
                    provider_reference: row.get("provider_reference"),
                    idempotency_key: row.get("idempotency_key"),
                    message: row.get("message"),
                    created_at: row.get("created_at"),
                })
            })
            .collect()
    }
}
