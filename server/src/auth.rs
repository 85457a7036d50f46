//! Access tokens: HS256 JWTs with `sub` (the user id), `gen` (the user's session generation),
//! `iat` and `exp`.
//!
//! The token only says who the caller is and which session generation it belongs to; roles,
//! account status and the current generation are read from the store on every request, so
//! disabling or deleting an account, or removing a role, takes effect at once rather than when the
//! token expires, and a password change or reset, or a change of roles or status, ends every
//! token issued before it (see [`Session::check`]).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use merx_core::ids::UserId;
use merx_core::user::User;
use merx_core::Error;
use serde::{Deserialize, Serialize};

/// The claims of a Merx access token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// The user's session generation when the token was issued. Tokens from before the claim
    /// existed have none and count as generation 0, the generation every account had then, so
    /// the upgrade signs nobody out while the first password or role change still ends them.
    #[serde(default)]
    pub gen: u64,
}

/// What a genuine, unexpired token says: who, and in which session generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// The user the token names.
    pub user_id: UserId,
    /// The session generation it was issued in.
    pub generation: u64,
}

impl Session {
    /// `session_revoked` unless the token was issued in `user`'s current session generation.
    /// Only equality counts: a generation from the future cannot come from this store, and must
    /// not outlive the changes it would skip.
    pub fn check(&self, user: &User) -> Result<(), Error> {
        if self.user_id == user.id && self.generation == user.session_generation {
            Ok(())
        } else {
            Err(Error::SessionRevoked)
        }
    }
}

/// Issues and checks access tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys from a shared secret; tokens live `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> TokenKeys {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// A signed token for `user` in their current session generation, valid from `now` for the
    /// configured lifetime. It takes the whole user, as read from the store, so no caller can
    /// issue a token without the generation.
    pub fn issue(&self, user: &User, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), Error> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user.id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            gen: user.session_generation,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| Error::InvalidToken)?;
        Ok((token, expires_at))
    }

    /// The session a token names, if it is genuine and unexpired. Whether it is still current
    /// needs the stored user: [`Session::check`].
    pub fn verify(&self, token: &str) -> Result<Session, Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => Error::TokenExpired,
                _ => Error::InvalidToken,
            })?;
        Ok(Session {
            user_id: data.claims.sub.parse().map_err(|_| Error::InvalidToken)?,
            generation: data.claims.gen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use merx_core::user::{Role, UserStatus};

    fn user(generation: u64) -> User {
        let now = Utc::now();
        User {
            id: UserId::new(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            password_hash: String::new(),
            roles: vec![Role::Customer],
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            session_generation: generation,
        }
    }

    #[test]
    fn tokens_round_trip_and_expire_and_reject_other_secrets() {
        let keys = TokenKeys::new(b"test-secret-one", Duration::minutes(5));
        let user = user(3);
        let (token, _) = keys.issue(&user, Utc::now()).unwrap();
        assert_eq!(
            keys.verify(&token).unwrap(),
            Session {
                user_id: user.id,
                generation: 3
            }
        );

        let other = TokenKeys::new(b"test-secret-two", Duration::minutes(5));
        assert_eq!(other.verify(&token), Err(Error::InvalidToken));

        let (old, _) = keys
            .issue(&user, Utc::now() - Duration::minutes(10))
            .unwrap();
        assert_eq!(keys.verify(&old), Err(Error::TokenExpired));
        assert_eq!(keys.verify("not.a.token"), Err(Error::InvalidToken));
    }

    #[test]
    fn a_session_is_current_only_in_its_own_generation() {
        let keys = TokenKeys::new(b"test-secret-one", Duration::minutes(5));
        let mut user = user(0);
        let (token, _) = keys.issue(&user, Utc::now()).unwrap();
        let session = keys.verify(&token).unwrap();
        assert_eq!(session.check(&user), Ok(()));
        user.session_generation = 1;
        assert_eq!(session.check(&user), Err(Error::SessionRevoked));
        let (fresh, _) = keys.issue(&user, Utc::now()).unwrap();
        assert_eq!(keys.verify(&fresh).unwrap().check(&user), Ok(()));
        let mut ahead = user.clone();
        ahead.session_generation = 0;
        assert_eq!(
            keys.verify(&fresh).unwrap().check(&ahead),
            Err(Error::SessionRevoked),
            "a generation the store has not reached is not accepted either"
        );
    }

    #[test]
    fn tokens_from_before_the_generation_claim_count_as_generation_zero() {
        let keys = TokenKeys::new(b"test-secret-one", Duration::minutes(5));
        let user = user(0);
        #[derive(Serialize)]
        struct OldClaims {
            sub: String,
            iat: i64,
            exp: i64,
        }
        let now = Utc::now();
        let old = encode(
            &Header::new(Algorithm::HS256),
            &OldClaims {
                sub: user.id.to_string(),
                iat: now.timestamp(),
                exp: (now + Duration::minutes(5)).timestamp(),
            },
            &EncodingKey::from_secret(b"test-secret-one"),
        )
        .unwrap();
        let session = keys.verify(&old).unwrap();
        assert_eq!(session.check(&user), Ok(()));
        assert_eq!(
            session.check(&User {
                session_generation: 1,
                ..user
            }),
            Err(Error::SessionRevoked)
        );
    }
}
