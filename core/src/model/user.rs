//! Users: accounts, roles, status, email and password rules, and password-reset tokens.
//!
//! Emails are unique case-insensitively: they are stored trimmed and lowercased, and stores enforce
//! uniqueness on that form. Passwords are hashed with argon2id (PHC string, salt inside) and never
//! leave the core in serialized form. Password-reset tokens are 256 random bits shown once to the
//! user; the store keeps only their SHA-256, so a leaked table cannot reset anyone's password, and
//! taking a token out of the store is atomic, so a token works once.

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::ids::UserId;

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
    /// Whether `other` is this revision of the account as far as concurrent changes go: the
    /// same password hash, session generation and update time (the fields a lost update could
    /// silently restore). Stores compare these in `replace_user`'s conditional write.
    pub fn same_revision(&self, other: &User) -> bool {
        self.password_hash == other.password_hash
            && self.session_generation == other.session_generation
            && self.updated_at == other.updated_at
    }

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
    pub(crate) fn ends_sessions_since(&self, before: &User) -> bool {
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

pub(crate) fn new_reset_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    to_hex(&bytes)
}

/// What a new user registers with (`UserService::register`).
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
