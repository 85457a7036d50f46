//! Users and password resets ([`UserStore`]).

use async_trait::async_trait;
use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::UserId;
use merx_core::store::{Page, StorageError, StorageResult, UserStore};
use merx_core::user::{PasswordReset, Role, User};
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::codec::{
    backend, enum_text, foreign_key_violation, limit_offset, text_enum, unique_violation,
};
use crate::events::append_events;
use crate::PgStore;

const USER_COLUMNS: &str = "id, email, name, password_hash, roles, status, created_at, updated_at,
    deleted_at, session_generation";
fn user(row: PgRow) -> StorageResult<User> {
    Ok(User {
        id: UserId(row.get("id")),
        email: row.get("email"),
        name: row.get("name"),
        password_hash: row.get("password_hash"),
        roles: row
            .get::<Vec<String>, _>("roles")
            .into_iter()
            .map(text_enum::<Role>)
            .collect::<StorageResult<_>>()?,
        status: text_enum(row.get("status"))?,
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        deleted_at: row.get("deleted_at"),
        session_generation: u64::try_from(row.get::<i64, _>("session_generation"))
            .map_err(StorageError::backend)?,
    })
}

/// The session generation as a `bigint`.
fn generation(user: &User) -> StorageResult<i64> {
    i64::try_from(user.session_generation).map_err(StorageError::backend)
}

fn roles(user: &User) -> StorageResult<Vec<String>> {
    user.roles.iter().map(enum_text).collect()
}

/// A unique violation on `users` as the core's conflict.
fn user_conflict(err: sqlx::Error, user: &User) -> StorageError {
    match unique_violation(&err).as_deref() {
        Some("users_pkey") => {
            StorageError::conflict(UserId::ENTITY, format!("user `{}` exists", user.id))
        }
        Some(_) => StorageError::conflict(UserId::ENTITY, "email is taken"),
        None => backend(err),
    }
}

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(&self, user: User) -> StorageResult<User> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, roles, status, created_at,
                 updated_at, deleted_at, session_generation)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(user.id.0)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(roles(&user)?)
        .bind(enum_text(&user.status)?)
        .bind(user.created_at)
        .bind(user.updated_at)
        .bind(user.deleted_at)
        .bind(generation(&user)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| user_conflict(e, &user))?;
        append_events(
            &mut tx,
            vec![NewEvent::new(
                EventPayload::UserRegistered {
                    user_id: user.id,
                    email: user.email.clone(),
                },
                now,
            )],
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn get_user(&self, id: UserId) -> StorageResult<User> {
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(user)
            .unwrap_or_else(|| Err(StorageError::not_found(UserId::ENTITY, id)))
    }

    async fn find_user_by_email(&self, email: &str) -> StorageResult<User> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(user)
        .unwrap_or_else(|| Err(StorageError::not_found(UserId::ENTITY, email)))
    }

    async fn update_user(&self, user: User) -> StorageResult<User> {
        self.write_user(None, user).await
    }

    async fn replace_user(&self, previous: &User, user: User) -> StorageResult<User> {
        self.write_user(Some(previous), user).await
    }

    async fn list_users(&self, page: Page) -> StorageResult<Vec<User>> {
        let (limit, offset) = limit_offset(page);
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .into_iter()
        .map(user)
        .collect()
    }

    async fn put_password_reset(&self, reset: PasswordReset) -> StorageResult<()> {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (token_hash) DO UPDATE SET user_id = excluded.user_id,
                 created_at = excluded.created_at, expires_at = excluded.expires_at",
        )
        .bind(&reset.token_hash)
        .bind(reset.user_id.0)
        .bind(reset.created_at)
        .bind(reset.expires_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match foreign_key_violation(&e) {
            Some(_) => StorageError::not_found(UserId::ENTITY, reset.user_id),
            None => backend(e),
        })?;
        Ok(())
    }

    async fn take_password_reset(&self, token_hash: &str) -> StorageResult<PasswordReset> {
        let row = sqlx::query(
            "DELETE FROM password_resets WHERE token_hash = $1
             RETURNING token_hash, user_id, created_at, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .ok_or_else(|| StorageError::not_found("password reset", "token"))?;
        Ok(PasswordReset {
            token_hash: row.get("token_hash"),
            user_id: UserId(row.get("user_id")),
            created_at: row.get("created_at"),
            expires_at: row.get("expires_at"),
        })
    }

    async fn delete_password_resets(&self, user_id: UserId) -> StorageResult<()> {
        sqlx::query("DELETE FROM password_resets WHERE user_id = $1")
            .bind(user_id.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

impl PgStore {
    /// `update_user`, or with `previous` `replace_user`: the revision check is part of the
    /// `UPDATE`'s condition, so no other write can come between the check and the change.
    async fn write_user(&self, previous: Option<&User>, user: User) -> StorageResult<User> {
        let previous_generation = previous.map(generation).transpose()?;
        let updated = sqlx::query(
            "UPDATE users SET email = $2, name = $3, password_hash = $4, roles = $5, status = $6,
                 created_at = $7, updated_at = $8, deleted_at = $9, session_generation = $10
             WHERE id = $1
               AND ($11::text IS NULL OR (password_hash = $11 AND session_generation = $12
                                          AND updated_at = $13))",
        )
        .bind(user.id.0)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(roles(&user)?)
        .bind(enum_text(&user.status)?)
        .bind(user.created_at)
        .bind(user.updated_at)
        .bind(user.deleted_at)
        .bind(generation(&user)?)
        .bind(previous.map(|p| p.password_hash.as_str()))
        .bind(previous_generation)
        .bind(previous.map(|p| p.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|e| user_conflict(e, &user))?
        .rows_affected();
        if updated == 0 {
            let exists = sqlx::query("SELECT 1 FROM users WHERE id = $1")
                .bind(user.id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?
                .is_some();
            return Err(if exists {
                StorageError::conflict(UserId::ENTITY, "the account changed since it was read")
            } else {
                StorageError::not_found(UserId::ENTITY, user.id)
            });
        }
        Ok(user)
    }
}
