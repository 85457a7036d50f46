//! Account operations: registration, sign-in, profile and role changes, password changes and
//! resets, each checked against the calling [`Principal`]. The account itself, the email and
//! password rules and the hashing parameters are in [`crate::model::user`].

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::model::user::{
    hash_reset_token, new_reset_token, normalize_email, IssuedResetToken, PasswordHashing,
    PasswordPolicy, PasswordReset, ProfileUpdate, Registration, Role, User, UserStatus,
};
use crate::principal::Principal;
use crate::store::{MaybeSendSync, StorageError, Store};
use crate::text::check_text;

/// How often an account change re-reads and re-applies itself after losing a race.
const CHANGE_RETRIES: u32 = 5;

/// Where argon2 runs. Hashing and verifying take tens of milliseconds of CPU on purpose; on an
/// async runtime that is tens of milliseconds in which a worker thread serves no one else, so a
/// server hands the work to a blocking pool. The core has no runtime to do that with, so the
/// shell says how: [`HashInPlace`] (the default) for callers that are not serving others
/// concurrently (the CLI, tests, wasm32), a thread-pool hasher in the server.
#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
pub trait PasswordHasher: MaybeSendSync + fmt::Debug {
    /// [`PasswordHashing::hash`] of `password` with `hashing`.
    async fn hash(&self, hashing: PasswordHashing, password: String) -> Result<String>;
    /// [`PasswordHashing::verify`] of `password` against `phc`.
    async fn verify(&self, password: String, phc: String) -> bool;
}

/// Hashes on the calling thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct HashInPlace;

#[cfg_attr(target_family = "wasm", async_trait(?Send))]
#[cfg_attr(not(target_family = "wasm"), async_trait)]
impl PasswordHasher for HashInPlace {
    async fn hash(&self, hashing: PasswordHashing, password: String) -> Result<String> {
        hashing.hash(&password)
    }

    async fn verify(&self, password: String, phc: String) -> bool {
        PasswordHashing::verify(&password, &phc)
    }
}

/// Account operations.
#[derive(Clone, Debug)]
pub struct UserService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policy: PasswordPolicy,
    hashing: PasswordHashing,
    hasher: Arc<dyn PasswordHasher>,
    reset_ttl: Duration,
}

impl UserService {
    /// A service with the default policy, OWASP hashing cost (hashed in place) and one-hour reset
    /// tokens.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> UserService {
        UserService {
            store,
            clock,
            policy: PasswordPolicy::default(),
            hashing: PasswordHashing::default(),
            hasher: Arc::new(HashInPlace),
            reset_ttl: Duration::hours(1),
        }
    }

    /// Replaces where hashing runs.
    pub fn with_hasher(mut self, hasher: Arc<dyn PasswordHasher>) -> Self {
        self.hasher = hasher;
        self
    }

    async fn hash(&self, password: &str) -> Result<String> {
        self.hasher.hash(self.hashing, password.to_owned()).await
    }

    async fn verify(&self, password: &str, phc: &str) -> bool {
        self.hasher
            .verify(password.to_owned(), phc.to_owned())
            .await
    }

    /// Replaces the password policy.
    pub fn with_policy(mut self, policy: PasswordPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Replaces the hashing cost.
    pub fn with_hashing(mut self, hashing: PasswordHashing) -> Self {
        self.hashing = hashing;
        self
    }

    /// Replaces the reset-token lifetime.
    pub fn with_reset_ttl(mut self, ttl: Duration) -> Self {
        self.reset_ttl = ttl;
        self
    }

    /// Creates an active customer account.
    pub async fn register(&self, registration: Registration) -> Result<User> {
        let email = normalize_email(&registration.email)?;
        self.policy.check(&registration.password, &email)?;
        let name = check_display_name(&registration.name)?;
        let now = self.clock.now();
        let user = User {
            id: UserId::new(),
            email,
            name,
            password_hash: self.hash(&registration.password).await?,
            roles: vec![Role::Customer],
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            session_generation: 0,
        };
        match self.store.create_user(user).await {
            Err(StorageError::Conflict { .. }) => Err(Error::EmailTaken),
            other => Ok(other?),
        }
    }

    /// Checks email and password; an inactive or deleted account answers `account_inactive` only
    /// after the password matched, so the answer does not reveal which accounts exist.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<User> {
        let user = match normalize_email(email) {
            Ok(email) => match self.store.find_user_by_email(&email).await {
                Ok(user) => Some(user),
                Err(StorageError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => None,
        };
        let Some(user) = user else {
            // Spend what a verification costs, so response time does not reveal unknown emails.
            self.hash(password).await?;
            return Err(Error::InvalidCredentials);
        };
        if !self.verify(password, &user.password_hash).await {
            return Err(Error::InvalidCredentials);
        }
        if !user.is_active() {
            return Err(Error::AccountInactive);
        }
        Ok(user)
    }

    /// Every account change goes through here, so the session generation cannot be forgotten by
    /// a new operation: it is bumped in the same write as the change that calls for it, and left
    /// alone for one that does not (a new name keeps the user signed in).
    ///
    /// The write is conditional on the account being as read (`replace_user`): when another
    /// change won the race, this one re-reads and applies itself on top, so neither is lost and
    /// a role change can never put back the password hash a concurrent password change replaced.
    async fn change<F: Fn(&mut User)>(&self, user_id: UserId, change: F) -> Result<User> {
        let mut before = self.store.get_user(user_id).await?;
        let mut attempts = 0;
        loop {
            let mut user = before.clone();
            change(&mut user);
            if user.ends_sessions_since(&before) {
                user.session_generation = before.session_generation.saturating_add(1);
            }
            user.updated_at = self.clock.now();
            match self.store.replace_user(&before, user).await {
                Err(StorageError::Conflict { entity, message }) if attempts < CHANGE_RETRIES => {
                    // Retry only when the account really moved; an email clash is final.
                    let now = self.store.get_user(user_id).await?;
                    if now.same_revision(&before) {
                        return Err(StorageError::Conflict { entity, message }.into());
                    }
                    before = now;
                    attempts += 1;
                }
                other => return Ok(other?),
            }
        }
    }

    /// Replaces a user's roles. Admins only. A real change ends the user's sessions.
    pub async fn set_roles(
        &self,
        principal: &Principal,
        user_id: UserId,
        roles: &[Role],
    ) -> Result<User> {
        principal.require_admin("change roles")?;
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        self.change(user_id, |u| u.roles = roles.clone()).await
    }

    /// Activates or deactivates an account. Admins only. A real change ends the user's sessions,
    /// so re-activating an account does not bring back the tokens it had.
    pub async fn set_status(
        &self,
        principal: &Principal,
        user_id: UserId,
        status: UserStatus,
    ) -> Result<User> {
        principal.require_admin("change account status")?;
        self.change(user_id, |u| u.status = status).await
    }

    /// Soft-deletes an account: it stays for order history but can no longer sign in. Admins, or
    /// the user themself.
    pub async fn delete(&self, principal: &Principal, user_id: UserId) -> Result<User> {
        if !principal.is_user(user_id) {
            principal.require_admin("delete other accounts")?;
        }
        let now = self.clock.now();
        self.change(user_id, |u| {
            u.status = UserStatus::Inactive;
            u.deleted_at.get_or_insert(now);
        })
        .await
    }

    /// Changes a password after checking the current one. Every access token of the user stops
    /// working, the caller's own included: they sign in again with the new password.
    pub async fn change_password(
        &self,
        user_id: UserId,
        current: &str,
        new_password: &str,
    ) -> Result<User> {
        let user = self.store.get_user(user_id).await?;
        if !self.verify(current, &user.password_hash).await {
            return Err(Error::InvalidCredentials);
        }
        self.policy.check(new_password, &user.email)?;
        let hash = self.hash(new_password).await?;
        self.change(user_id, |u| u.password_hash = hash.clone())
            .await
    }

    /// Soft-deletes an account: one's own, or any as an admin. An admin cannot delete their own
    /// account (another admin must), so a store cannot lose its last admin by a slip.
    pub async fn close_account(&self, principal: &Principal, user_id: UserId) -> Result<User> {
        if principal
            .user()
            .is_some_and(|actor| actor.id == user_id && actor.has_role(Role::Admin))
        {
            return Err(self_lockout());
        }
        if !principal.can_view_user(user_id) {
            return Err(Error::Forbidden {
                action: "delete other accounts".into(),
            });
        }
        self.delete(principal, user_id).await
    }

    /// Creates an active account with the admin and customer roles. For trusted callers only
    /// (the CLI, demo data, first-run set-up); no HTTP route leads here.
    pub async fn register_admin(&self, registration: Registration) -> Result<User> {
        let user = self.register(registration).await?;
        self.change(user.id, |u| {
            u.roles = vec![Role::Admin, Role::Customer];
        })
        .await
    }

    /// Issues a reset token for the account with `email`; `None` when there is no active account
    /// (the caller answers the same either way so accounts cannot be discovered).
    pub async fn request_password_reset(&self, email: &str) -> Result<Option<IssuedResetToken>> {
        let Ok(email) = normalize_email(email) else {
            return Ok(None);
        };
        let user = match self.store.find_user_by_email(&email).await {
            Ok(user) if user.is_active() => user,
            Ok(_) | Err(StorageError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let token = new_reset_token();
        let now = self.clock.now();
        let expires_at = now + self.reset_ttl;
        self.store
            .put_password_reset(PasswordReset {
                token_hash: hash_reset_token(&token),
                user_id: user.id,
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(Some(IssuedResetToken {
            user_id: user.id,
            token,
            expires_at,
        }))
    }

    /// Sets a new password with a reset token. The token is consumed even when it turns out
    /// expired; after a successful reset every other outstanding reset token of the user is
    /// revoked, and so is every access token (the session generation moves on).
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        let reset = match self
            .store
            .take_password_reset(&hash_reset_token(token))
            .await
        {
            Ok(reset) => reset,
            Err(StorageError::NotFound { .. }) => return Err(Error::InvalidToken),
            Err(e) => return Err(e.into()),
        };
        if self.clock.now() >= reset.expires_at {
            return Err(Error::TokenExpired);
        }
        let user = self.store.get_user(reset.user_id).await?;
        if !user.is_active() {
            return Err(Error::AccountInactive);
        }
        self.policy.check(new_password, &user.email)?;
        let hash = self.hash(new_password).await?;
        let user = self
            .change(user.id, |u| u.password_hash = hash.clone())
            .await?;
        self.store.delete_password_resets(user.id).await?;
        Ok(user)
    }
}

/// Trims a display name and checks it: one line (it is copied into email headers), at most 200
/// characters.
fn check_display_name(name: &str) -> Result<String> {
    check_text("name", name)?;
    let name = name.trim();
    if name.chars().count() > 200 {
        return Err(Error::validation("name", "name is at most 200 characters"));
    }
    Ok(name.to_string())
}

fn self_lockout() -> Error {
    Error::Conflict {
        entity: UserId::ENTITY,
        message: "an admin cannot disable, demote or delete their own account; ask another admin"
            .into(),
    }
}

impl UserService {
    /// The account `user_id` as `principal` may see it: their own, or any for an admin.
    pub async fn get_for(&self, principal: &Principal, user_id: UserId) -> Result<User> {
        if !principal.can_view_user(user_id) {
            return Err(Error::Forbidden {
                action: "read other accounts".into(),
            });
        }
        Ok(self.store.get_user(user_id).await?)
    }

    /// Applies a profile change by `principal` to `user_id`.
    pub async fn update_profile(
        &self,
        principal: &Principal,
        user_id: UserId,
        update: ProfileUpdate,
    ) -> Result<User> {
        if !principal.can_view_user(user_id) {
            return Err(Error::Forbidden {
                action: "change other accounts".into(),
            });
        }
        if update.status.is_some() || update.roles.is_some() {
            principal.require_admin("change account status or roles")?;
        }
        let demotes_self = update
            .roles
            .as_ref()
            .is_some_and(|roles| !roles.contains(&Role::Admin));
        let disables_self = update.status.is_some_and(|s| s != UserStatus::Active);
        if principal.user().is_some_and(|actor| actor.id == user_id)
            && (demotes_self || disables_self)
        {
            return Err(self_lockout());
        }
        let name = update.name.as_deref().map(check_display_name).transpose()?;
        let roles = update.roles.map(|mut roles| {
            roles.sort();
            roles.dedup();
            roles
        });
        self.change(user_id, |u| {
            if let Some(name) = &name {
                u.name = name.clone();
            }
            if let Some(status) = update.status {
                u.status = status;
            }
            if let Some(roles) = &roles {
                u.roles = roles.clone();
            }
        })
        .await
    }

    /// Issues a reset token for the account with `email`, if there is an active one, and appends
    /// a `PasswordResetRequested` event carrying it to the outbox for the email notifier. Answers
    /// the same whether or not the account exists, so callers cannot probe for emails.
    pub async fn send_password_reset(&self, email: &str) -> Result<()> {
        let Some(issued) = self.request_password_reset(email).await? else {
            return Ok(());
        };
        let user = self.store.get_user(issued.user_id).await?;
        self.store
            .append_events(vec![crate::event::NewEvent::new(
                crate::event::EventPayload::PasswordResetRequested {
                    user_id: user.id,
                    email: user.email,
                    token: issued.token,
                    expires_at: issued.expires_at,
                },
                self.clock.now(),
            )])
            .await?;
        Ok(())
    }
}
