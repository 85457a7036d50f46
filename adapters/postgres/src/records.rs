//! Payment attempts ([`PaymentStore`]) and idempotency keys ([`IdempotencyStore`]).

use async_trait::async_trait;
use merx_core::ids::{OrderId, TransactionId};
use merx_core::payment::PaymentTransaction;
use merx_core::store::{
    IdempotencyRecord, IdempotencyStore, PaymentStore, StorageError, StorageResult,
};
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::rows::{backend, currency, enum_text, text_enum, unique_violation};
use crate::PgStore;

const IDEMPOTENCY_COLUMNS: &str = "scope, key, fingerprint, resource_id, response, created_at";

pub(crate) fn idempotency_record(row: &PgRow) -> IdempotencyRecord {
    IdempotencyRecord {
        scope: row.get("scope"),
        key: row.get("key"),
        fingerprint: row.get("fingerprint"),
        resource_id: row.get("resource_id"),
        response: row.get("response"),
        created_at: row.get("created_at"),
    }
}

#[async_trait]
impl PaymentStore for PgStore {
    async fn record_transaction(&self, transaction: PaymentTransaction) -> StorageResult<()> {
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
        .execute(&self.pool)
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

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(
        &self,
        record: IdempotencyRecord,
    ) -> StorageResult<Option<IdempotencyRecord>> {
        // A racing claim of the same key waits on the unique index for the winner to commit,
        // then inserts nothing; the loop covers a winner that rolled back or released the key
        // between this insert and the read.
        loop {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, resource_id, response, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING",
            )
            .bind(&record.scope)
            .bind(&record.key)
            .bind(&record.fingerprint)
            .bind(&record.resource_id)
            .bind(&record.response)
            .bind(record.created_at)
            .execute(&self.pool)
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted == 1 {
                return Ok(None);
            }
            if let Some(existing) = self
                .get_idempotency_record(&record.scope, &record.key)
                .await?
            {
                return Ok(Some(existing));
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
        scope: &str,
        key: &str,
        resource_id: Option<String>,
        response: Option<serde_json::Value>,
    ) -> StorageResult<IdempotencyRecord> {
        let row = sqlx::query(&format!(
            "UPDATE idempotency_keys SET resource_id = $3, response = $4
             WHERE scope = $1 AND key = $2 RETURNING {IDEMPOTENCY_COLUMNS}"
        ))
        .bind(scope)
        .bind(key)
        .bind(resource_id)
        .bind(response)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref()
            .map(idempotency_record)
            .ok_or_else(|| StorageError::not_found("idempotency key", key))
    }

    async fn release_idempotency_key(&self, scope: &str, key: &str) -> StorageResult<()> {
        let deleted = sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(backend)?
            .rows_affected();
        if deleted == 0 {
            return Err(StorageError::not_found("idempotency key", key));
        }
        Ok(())
    }
}
