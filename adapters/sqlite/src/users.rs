//! Users with their roles, and password resets.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use merx_core::event::{EventPayload, NewEvent};
use merx_core::ids::UserId;
use merx_core::store::{Page, StorageError, StorageResult, UserStore};
use merx_core::user::{PasswordReset, Role, User};

use crate::codec::{
    get_id, get_opt_timestamp, get_timestamp, get_u64, get_wire, int, timestamp, wire,
};
use crate::events::append_event;
use crate::{backend, is_unique_violation, SqliteStore};

const USER_COLUMNS: &str =
    "id, email, name, password_hash, status, created_at, updated_at, deleted_at, session_generation";

fn load_user_where(tx: &Connection, condition: &str, key: &str) -> StorageResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
    let user = tx
        .prepare_cached(&sql)
        .map_err(backend)?
        .query_row([key], |r| {
            Ok(User {
                id: get_id(r, 0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                password_hash: r.get(3)?,
                roles: Vec::new(),
                status: get_wire(r, 4)?,
                created_at: get_timestamp(r, 5)?,
                updated_at: get_timestamp(r, 6)?,
                deleted_at: get_opt_timestamp(r, 7)?,
                session_generation: get_u64(r, 8)?,
            })
        })
        .optional()
        .map_err(backend)?;
    user.map(|mut user| {
        user.roles = tx
            .prepare_cached("SELECT role FROM user_roles WHERE user_id = ?1 ORDER BY position")
            .map_err(backend)?
            .query_map([user.id.to_string()], |r| get_wire::<Role>(r, 0))
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)?;
        Ok(user)
    })
    .transpose()
}

fn email_owner(tx: &Connection, email: &str) -> StorageResult<Option<UserId>> {
    tx.prepare_cached("SELECT id FROM users WHERE email_lower = ?1")
        .map_err(backend)?
        .query_row([email.to_lowercase()], |r| get_id(r, 0))
        .optional()
        .map_err(backend)
}

fn email_taken(err: rusqlite::Error) -> StorageError {
    if is_unique_violation(&err) {
        StorageError::conflict(UserId::ENTITY, "email is taken")
    } else {
        backend(err)
    }
}

fn write_roles(tx: &Connection, user: &User) -> StorageResult<()> {
    let id = user.id.to_string();
    tx.prepare_cached("DELETE FROM user_roles WHERE user_id = ?1")
        .map_err(backend)?
        .execute([&id])
        .map_err(backend)?;
    for (position, role) in user.roles.iter().enumerate() {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO user_roles (user_id, role, position) VALUES (?1, ?2, ?3)",
        )
        .map_err(backend)?
        .execute(params![id, wire(role)?, position as i64])
        .map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: User) -> StorageResult<User> {
        let now = self.now();
        self.write(move |tx| {
            if email_owner(tx, &user.email)?.is_some() {
                return Err(StorageError::conflict(UserId::ENTITY, "email is taken"));
            }
            if load_user_where(tx, "id = ?1", &user.id.to_string())?.is_some() {
                return Err(StorageError::conflict(
                    UserId::ENTITY,
                    format!("user `{}` exists", user.id),
                ));
            }
            tx.prepare_cached(
                "INSERT INTO users (id, email, email_lower, name, password_hash, status,
                                    created_at, updated_at, deleted_at, session_generation)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(backend)?
            .execute(params![
                user.id.to_string(),
                user.email,
                user.email.to_lowercase(),
                user.name,
                user.password_hash,
                wire(&user.status)?,
                timestamp(user.created_at),
                timestamp(user.updated_at),
                user.deleted_at.map(timestamp),
                int(user.session_generation),
            ])
            .map_err(email_taken)?;
            write_roles(tx, &user)?;
            append_event(
                tx,
                &NewEvent::new(
                    EventPayload::UserRegistered {
                        user_id: user.id,
                        email: user.email.clone(),
                    },
                    now,
                ),
            )?;
            Ok(user)
        })
        .await
    }

    async fn get_user(&self, id: UserId) -> StorageResult<User> {
        self.read(move |tx| {
            load_user_where(tx, "id = ?1", &id.to_string())?
                .ok_or_else(|| StorageError::not_found(UserId::ENTITY, id))
        })
        .await
    }

    async fn find_user_by_email(&self, email: &str) -> StorageResult<User> {
        let email = email.to_string();
        self.read(move |tx| {
            load_user_where(tx, "email_lower = ?1", &email.to_lowercase())?
                .ok_or_else(|| StorageError::not_found(UserId::ENTITY, &email))
        })
        .await
    }

    async fn update_user(&self, user: User) -> StorageResult<User> {
        self.write_user(None, user).await
    }

    async fn replace_user(&self, previous: &User, user: User) -> StorageResult<User> {
        self.write_user(Some(previous), user).await
    }

    async fn list_users(&self, page: Page) -> StorageResult<Vec<User>> {
        self.read(move |tx| {
            let ids: Vec<String> = tx
                .prepare_cached("SELECT id FROM users ORDER BY created_at, id LIMIT ?1 OFFSET ?2")
                .map_err(backend)?
                .query_map(
                    params![i64::from(page.limit), i64::from(page.offset)],
                    |r| r.get(0),
                )
                .map_err(backend)?
                .collect::<rusqlite::Result<_>>()
                .map_err(backend)?;
            ids.iter()
                .map(|id| {
                    load_user_where(tx, "id = ?1", id)?
                        .ok_or_else(|| StorageError::not_found(UserId::ENTITY, id))
                })
                .collect()
        })
        .await
    }

    async fn put_password_reset(&self, reset: PasswordReset) -> StorageResult<()> {
        self.write(move |tx| {
            let user_exists: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1)")
                .map_err(backend)?
                .query_row([reset.user_id.to_string()], |r| r.get(0))
                .map_err(backend)?;
            if !user_exists {
                return Err(StorageError::not_found(UserId::ENTITY, reset.user_id));
            }
            tx.prepare_cached(
                "INSERT OR REPLACE INTO password_resets (token_hash, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(backend)?
            .execute(params![
                reset.token_hash,
                reset.user_id.to_string(),
                timestamp(reset.created_at),
                timestamp(reset.expires_at),
            ])
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn take_password_reset(&self, token_hash: &str) -> StorageResult<PasswordReset> {
        let token_hash = token_hash.to_string();
        self.write(move |tx| {
            // Deleting and reading back in one statement: only one caller can get the row.
            tx.prepare_cached(
                "DELETE FROM password_resets WHERE token_hash = ?1
                 RETURNING token_hash, user_id, created_at, expires_at",
            )
            .map_err(backend)?
            .query_row([&token_hash], |r| {
                Ok(PasswordReset {
                    token_hash: r.get(0)?,
                    user_id: get_id(r, 1)?,
                    created_at: get_timestamp(r, 2)?,
                    expires_at: get_timestamp(r, 3)?,
                })
            })
            .optional()
            .map_err(backend)?
            .ok_or_else(|| StorageError::not_found("password reset", "token"))
        })
        .await
    }

    async fn delete_password_resets(&self, user_id: UserId) -> StorageResult<()> {
        self.write(move |tx| {
            tx.prepare_cached("DELETE FROM password_resets WHERE user_id = ?1")
                .map_err(backend)?
                .execute([user_id.to_string()])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }
}

impl SqliteStore {
    /// `update_user`, or with `previous` `replace_user`: the revision check is part of the
    /// `UPDATE`'s condition, so no other write can come between the check and the change.
    async fn write_user(&self, previous: Option<&User>, user: User) -> StorageResult<User> {
        // NULL for a plain update: the condition's `?11 IS NULL` then skips the revision check.
        let hash = previous.map(|p| p.password_hash.clone());
        let generation = previous.map(|p| int(p.session_generation));
        let updated = previous.map(|p| timestamp(p.updated_at));
        self.write(move |tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE users SET email = ?2, email_lower = ?3, name = ?4, password_hash = ?5,
                         status = ?6, created_at = ?7, updated_at = ?8, deleted_at = ?9,
                         session_generation = ?10
                     WHERE id = ?1
                       AND (?11 IS NULL OR (password_hash = ?11 AND session_generation = ?12
                                            AND updated_at = ?13))",
                )
                .map_err(backend)?
                .execute(params![
                    user.id.to_string(),
                    user.email,
                    user.email.to_lowercase(),
                    user.name,
                    user.password_hash,
                    wire(&user.status)?,
                    timestamp(user.created_at),
                    timestamp(user.updated_at),
                    user.deleted_at.map(timestamp),
                    int(user.session_generation),
                    hash,
                    generation,
                    updated,
                ])
                .map_err(email_taken)?;
            if changed == 0 {
                let exists = tx
                    .prepare_cached("SELECT 1 FROM users WHERE id = ?1")
                    .map_err(backend)?
                    .exists(params![user.id.to_string()])
                    .map_err(backend)?;
                return Err(if exists {
                    StorageError::conflict(UserId::ENTITY, "the account changed since it was read")
                } else {
                    StorageError::not_found(UserId::ENTITY, user.id)
                });
            }
            write_roles(tx, &user)?;
            Ok(user)
        })
        .await
    }
}
