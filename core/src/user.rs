//! Users: registration, passwords, roles, status and password reset.
//!
//! Emails are unique case-insensitively: they are stored trimmed and lowercased, and stores enforce
//! uniqueness on that form. Passwords are hashed with argon2id (PHC string, salt inside) and never
//! leave the core in serialized form. Password-reset tokens are 256 random bits shown once to the
//! user; the store keeps only their SHA-256, so a leaked table cannot reset anyone's password, and
//! taking a token out of the store is atomic, so a token works once.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::principal::Principal;
use crate::store::{MaybeSendSync, StorageError, Store};
use crate::text::check_text;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Runs the store.
    Admin,
    /// Buys things.
    Customer,
    /// Moderates reviews.
    Moderator,
}

/// Whether the account may sign in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserStatus {
    /// May sign in.
    #[default]
    Active,
    /// Disabled by an admin (or deleted).
    Inactive,
}

/// A user account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Identifier.
    pub id: UserId,
    /// Trimmed, lowercased email; unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// argon2id PHC string. Never serialized, so no wire type can leak it; stores keep it in a
    /// column of its own.
    #[serde(skip_serializing, default)]
    pub password_hash: String,
    /// Roles, sorted, without duplicates.
    pub roles: Vec<Role>,
    /// Active or inactive.
    pub status: UserStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Soft-delete time; a deleted user keeps their orders and reviews but cannot sign in.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Counts the changes that end the account's sessions (password, roles, status, deletion).
    /// Every access token carries the generation it was issued at and is refused once it differs,
    /// so a reset password or a removed role cannot be outlived by a token in someone's hands.
    ///
    /// Serialized, unlike `password_hash`: it is no secret, and anything that round-trips a
    /// `User` through JSON must not drop it, because falling back to 0 would revive every token
    /// issued before the first such change.
    #[serde(default)]
    pub session_generation: u64,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("roles", &self.roles)
            .field("status", &self.status)
            .field("deleted_at", &self.deleted_at)
            .field("session_generation", &self.session_generation)
            .finish_non_exhaustive()
    }
}

impl User {
    /// Whether the user has `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the account may act (active and not deleted).
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active && self.deleted_at.is_none()
    }

    /// Whether a change from `before` to `self` touches what a session was granted on: the
    /// password (a new hash always differs, by its salt), the roles, the status or deletion.
    fn ends_sessions_since(&self, before: &User) -> bool {
        self.password_hash != before.password_hash
            || self.roles != before.roles
            || self.status != before.status
            || self.deleted_at != before.deleted_at
    }

    /// `forbidden` unless the user is active and holds one of `roles`.
    pub fn require_any_role(&self, roles: &[Role], action: &str) -> Result<()> {
        if self.is_active() && roles.iter().any(|r| self.has_role(*r)) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                action: action.into(),
            })
        }
    }
}

/// A stored password-reset request; the token itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordReset {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Whose password it resets.
    pub user_id: UserId,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Normalizes an email (trim, lowercase) and checks its syntax.
///
/// The check is the practical subset of RFC 5321 that mail providers accept: one `@`, a dot-atom
/// local part of at most 64 characters, a domain of letter/digit/hyphen labels with a top-level
/// label of at least two letters, 254 characters in all. Quoted local parts and IP literals are
/// refused on purpose: real customers do not use them and they complicate every downstream system.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let refuse = |why: &str| Err(Error::InvalidEmail(why.to_string()));
    if email.len() > 254 {
        return refuse("an email is at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return refuse("an email needs an @");
    };
    if local.is_empty() || local.len() > 64 {
        return refuse("the part before @ must be 1 to 64 characters");
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return refuse("the part before @ has characters that are not allowed");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return refuse("the domain needs a dot");
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return refuse("the domain is not valid");
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
        return refuse("the domain needs a top-level name such as .com");
    }
    Ok(email)
}

/// The password rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicy {
    /// Fewest characters.
    pub min_length: usize,
    /// Most characters (argon2 would take longer ones, but a cap stops hashing as a DoS lever).
    pub max_length: usize,
    /// Whether a letter and a digit are both required.
    pub require_letter_and_digit: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 10,
            max_length: 128,
            require_letter_and_digit: true,
        }
    }
}

impl PasswordPolicy {
    /// Checks `password` for the account with `email`.
    pub fn check(&self, password: &str, email: &str) -> Result<()> {
        let count = password.chars().count();
        if count < self.min_length {
            return Err(Error::WeakPassword(format!(
                "use at least {} characters",
                self.min_length
            )));
        }
        if count > self.max_length {
            return Err(Error::WeakPassword(format!(
                "use at most {} characters",
                self.max_length
            )));
        }
        if self.require_letter_and_digit
            && !(password.chars().any(char::is_alphabetic)
                && password.chars().any(|c| c.is_ascii_digit()))
        {
            return Err(Error::WeakPassword("use both letters and digits".into()));
        }
        if password.trim().eq_ignore_ascii_case(email.trim()) {
            return Err(Error::WeakPassword(
                "the password must not be the email".into(),
            ));
        }
        Ok(())
    }
}

/// argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordHashing {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    /// OWASP's recommended argon2id setting (19 MiB, 2 passes, 1 lane).
    fn default() -> Self {
        PasswordHashing {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordHashing {
    /// The cheapest parameters argon2 allows. For tests and demos only: it makes brute force cheap.
    pub fn insecure_fast() -> Self {
        PasswordHashing {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| Error::validation("passwordHashing", e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes `password` with a fresh random salt into a PHC string.
    pub fn hash(&self, password: &str) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::validation("password", e.to_string()))
    }

    /// Whether `password` matches `phc`. The parameters inside the PHC string are used, so hashes
    /// made with older settings keep verifying.
    pub fn verify(password: &str, phc: &str) -> bool {
        PasswordHash::new(phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    }
}

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

/// Hex SHA-256 of a reset token, the only form a store sees.
pub fn hash_reset_token(token: &str) -> String {
    to_hex(&Sha256::digest(token.trim().as_bytes()))
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn new_reset_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    to_hex(&bytes)
}

/// Input for [`UserService::register`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// Email as typed.
    pub email: String,
    /// Password as typed.
    pub password: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A password reset token issued to a user, to be sent to their email.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedResetToken {
    /// The user.
    pub user_id: UserId,
    /// The plaintext token; shown once, never stored.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for IssuedResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedResetToken")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
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
    async fn change<F: FnOnce(&mut User)>(&self, user_id: UserId, change: F) -> Result<User> {
        let before = self.store.get_user(user_id).await?;
        let mut user = before.clone();
        change(&mut user);
        if user.ends_sessions_since(&before) {
            user.session_generation = before.session_generation.saturating_add(1);
        }
        user.updated_at = self.clock.now();
        Ok(self.store.update_user(user).await?)
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
        self.change(user_id, |u| u.roles = roles).await
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
        self.change(user_id, |u| u.password_hash = hash).await
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
        let user = self.change(user.id, |u| u.password_hash = hash).await?;
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

/// A change to an account: the owner may change the name; status and roles are for admins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProfileUpdate {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New status (admins only).
    #[serde(default)]
    pub status: Option<UserStatus>,
    /// New roles (admins only).
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
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
            if let Some(name) = name {
                u.name = name;
            }
            if let Some(status) = update.status {
                u.status = status;
            }
            if let Some(roles) = roles {
                u.roles = roles;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Ada.Lovelace+shop@Example.COM ").unwrap(),
            "ada.lovelace+shop@example.com"
        );
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b.c",
            "a..b@example.com",
            ".a@example.com",
            "a b@example.com",
            "a@-x.com",
            "a@x_y.com",
            "a@example.c0m",
        ] {
            assert!(
                matches!(normalize_email(bad), Err(Error::InvalidEmail(_))),
                "{bad:?} was accepted"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&long_local).is_err());
    }

    #[test]
    fn password_policy_names_the_rule_broken() {
        let policy = PasswordPolicy::default();
        policy.check("correct horse 42", "a@example.com").unwrap();
        assert!(matches!(
            policy.check("short1", "a@example.com"),
            Err(Error::WeakPassword(_))
        ));
        assert!(matches!(
            policy.check("onlyletterslong", "a@example.com"),
            Err(Error::WeakPassword(_))
        ));
        assert!(matches!(
            policy.check(&"a1".repeat(70), "a@example.com"),
            Err(Error::WeakPassword(_))
        ));
        assert!(matches!(
            policy.check("me1@example.com", "ME1@example.com"),
            Err(Error::WeakPassword(_))
        ));
    }

    #[test]
    fn argon2id_hashes_verify_and_differ_by_salt() {
        let hashing = PasswordHashing::insecure_fast();
        let a = hashing.hash("correct horse 42").unwrap();
        let b = hashing.hash("correct horse 42").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(PasswordHashing::verify("correct horse 42", &a));
        assert!(!PasswordHashing::verify("correct horse 43", &a));
        assert!(!PasswordHashing::verify("correct horse 42", "not a hash"));
    }

    #[test]
    fn reset_tokens_are_random_and_stored_as_sha256() {
        let t1 = new_reset_token();
        let t2 = new_reset_token();
        assert_eq!(t1.len(), 64);
        assert_ne!(t1, t2);
        let h = hash_reset_token(&t1);
        assert_eq!(h.len(), 64);
        assert_ne!(h, t1);
        assert_eq!(
            hash_reset_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
