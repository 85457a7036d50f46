//! Access tokens: HS256 JWTs with `sub` (the user id), `iat` and `exp`.
//!
//! The token only says who the caller is; roles and account status are read from the store on
//! every request, so disabling or deleting an account, or removing a role, takes effect at once
//! rather than when the token expires.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use merx_core::ids::UserId;
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

    /// A signed token for `user_id`, valid from `now` for the configured lifetime.
    pub fn issue(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), Error> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| Error::InvalidToken)?;
        Ok((token, expires_at))
    }

    /// The user a token names, if it is genuine and unexpired.
    pub fn verify(&self, token: &str) -> Result<UserId, Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => Error::TokenExpired,
                _ => Error::InvalidToken,
            })?;
        data.claims.sub.parse().map_err(|_| Error::InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire_and_reject_other_secrets() {
        let keys = TokenKeys::new(b"test-secret-one", Duration::minutes(5));
        let user = UserId::new();
        let (token, _) = keys.issue(user, Utc::now()).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), user);

        let other = TokenKeys::new(b"test-secret-two", Duration::minutes(5));
        assert_eq!(other.verify(&token), Err(Error::InvalidToken));

        let (old, _) = keys
            .issue(user, Utc::now() - Duration::minutes(10))
            .unwrap();
        assert_eq!(keys.verify(&old), Err(Error::TokenExpired));
        assert_eq!(keys.verify("not.a.token"), Err(Error::InvalidToken));
    }
}
