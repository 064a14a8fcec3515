//! Password hashing: argon2id with the OWASP parameters (19 MiB, 2 iterations, 1 lane), always
//! off the async executor. Unknown users are verified against a dummy hash so both failures take
//! the same time.

use crate::secret::Secret;
use anyhow::Context;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::fmt;
use std::sync::OnceLock;

/// A stored PHC-format argon2 hash; redacted in `Debug`, never serialised.
#[derive(Clone)]
pub struct PasswordHashString(String);

impl PasswordHashString {
    /// Wraps a hash read from the database.
    pub fn from_db(s: String) -> Self {
        PasswordHashString(s)
    }
    /// The PHC string, for storing.
    pub fn as_db(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHashString([redacted])")
    }
}

fn hasher() -> Argon2<'static> {
    // m = 19 MiB, t = 2, p = 1 (OWASP Password Storage Cheat Sheet, argon2id).
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> anyhow::Result<PasswordHashString> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(PasswordHashString(hash.to_string()))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("a dummy password nobody has").map(|h| h.0).unwrap_or_default())
}

/// Hashes a new password on the blocking pool.
pub async fn hash(password: Secret) -> anyhow::Result<PasswordHashString> {
    tokio::task::spawn_blocking(move || hash_blocking(password.expose()))
        .await
        .context("joining the password hashing task")?
}

/// Verifies `password` against `stored`, or against a dummy hash when there is no user, so the
/// time taken does not reveal whether the account exists. Returns true only on a real match.
pub async fn verify(password: Secret, stored: Option<PasswordHashString>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match &stored {
            Some(h) => (h.0.as_str(), true),
            None => (dummy_hash(), false),
        };
        let parsed = PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("parsing a stored hash: {e}"))?;
        let ok = hasher().verify_password(password.expose().as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
    .context("joining the password verification task")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash(Secret::new("correct horse battery staple")).await.expect("hash");
        assert!(h.as_db().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(Secret::new("correct horse battery staple"), Some(h.clone())).await.expect("verify"));
        assert!(!verify(Secret::new("wrong horse battery staple"), Some(h)).await.expect("verify"));
        assert!(!verify(Secret::new("a dummy password nobody has"), None).await.expect("verify"));
        assert!(!format!("{:?}", PasswordHashString::from_db("$argon2id$x".into())).contains("argon2id"));
    }
}
