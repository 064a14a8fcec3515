//! Password hashing: argon2id with the OWASP parameters (19 MiB, 2 iterations, 1 lane), always
//! off the async executor. Unknown users are verified against a dummy hash so both failures take
//! the same time.
//!
//! Every hash and verification goes through one bounded [`Pool`]: at most one argon2 run per
//! permit (about one per core, each holding 19 MiB) and a short queue behind them. A request
//! that finds the queue full is refused at once with [`AppError::Busy`] (429 and
//! `Retry-After`), so a flood of sign-ins costs a fixed amount of memory instead of 19 MiB per
//! request. The argon2 work runs on the pool's own threads, one per permit, not on tokio's
//! blocking pool: the allocator keeps the 19 MiB blocks each thread frees for reuse, so work
//! spread over tokio's up to 512 blocking threads kept hundreds of megabytes after a flood;
//! on a fixed thread each block is reused.

use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use anyhow::Context;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// Waiting requests allowed per running permit.
const QUEUE_PER_PERMIT: usize = 4;
/// Longest a request waits in the queue before it is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(3);

/// A unit of argon2 work for a pool thread.
type Job = Box<dyn FnOnce() + Send>;

/// The bounded pool every password hash and verification runs in (see the module doc).
#[derive(Clone, Debug)]
pub struct Pool {
    /// Argon2 runs in progress (one permit each).
    running: Arc<Semaphore>,
    /// Requests admitted: running plus waiting.
    admitted: Arc<Semaphore>,
    /// Work for the pool's threads (one per permit).
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Pool {
    /// A pool running at most `permits` argon2 computations at once, on `permits` threads of
    /// its own (they end when the last clone of the pool is dropped).
    pub fn new(permits: usize) -> Pool {
        let permits = permits.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..permits {
            let queue = queue.clone();
            let started = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || loop {
                let job = match queue.lock() {
                    Ok(q) => q.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            });
            if let Err(e) = started {
                tracing::error!(error = %e, "starting a password hashing thread failed");
            }
        }
        Pool {
            running: Arc::new(Semaphore::new(permits)),
            admitted: Arc::new(Semaphore::new(permits * (1 + QUEUE_PER_PERMIT))),
            jobs,
        }
    }

    /// Takes a place in the pool: refused at once when the queue is full, or after a short
    /// wait for a free permit. Callers take it *before* any other work for the request (the
    /// throttle reservation, the database lookup), so a refused request costs almost nothing.
    pub async fn admit(&self) -> AppResult<Admission> {
        let busy = || AppError::Busy { retry_after: 1 };
        let slot = self.admitted.clone().try_acquire_owned().map_err(|_| busy())?;
        let permit = tokio::time::timeout(QUEUE_WAIT, self.running.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("password pool closed: {e}")))?;
        Ok(Admission { slot, permit, jobs: self.jobs.clone() })
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: Secret) -> AppResult<PasswordHashString> {
        self.admit().await?.hash(password).await
    }

    /// Verifies `password` against `stored` (see [`Admission::verify`]).
    pub async fn verify(&self, password: Secret, stored: Option<PasswordHashString>) -> AppResult<bool> {
        self.admit().await?.verify(password, stored).await
    }
}

/// A place in the [`Pool`], good for one argon2 computation.
#[derive(Debug)]
pub struct Admission {
    slot: OwnedSemaphorePermit,
    permit: OwnedSemaphorePermit,
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Admission {
    /// Runs `f` on a pool thread. The permits move into the job, so a caller that goes away (a
    /// dropped connection) cannot free a place whose argon2 work still runs.
    async fn run<T: Send + 'static>(self, f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let Admission { slot, permit, jobs } = self;
        jobs.send(Box::new(move || {
            let _held = (slot, permit);
            let _ = tx.send(f());
        }))
        .map_err(|_| AppError::Internal(anyhow::anyhow!("the password hashing threads stopped")))?;
        Ok(rx.await.context("waiting for the password hashing thread")?)
    }

    /// Hashes a new password.
    pub async fn hash(self, password: Secret) -> AppResult<PasswordHashString> {
        Ok(self.run(move || hash_blocking(password.expose())).await??)
    }

    /// Verifies `password` against `stored`, or against a dummy hash when there is no user, so
    /// the time taken does not reveal whether the account exists. True only on a real match.
    pub async fn verify(self, password: Secret, stored: Option<PasswordHashString>) -> AppResult<bool> {
        Ok(self.run(move || verify_blocking(password.expose(), stored.as_ref())).await??)
    }
}

fn verify_blocking(password: &str, stored: Option<&PasswordHashString>) -> anyhow::Result<bool> {
    let (phc, real) = match stored {
        Some(h) => (h.0.as_str(), true),
        None => (dummy_hash(), false),
    };
    let parsed = PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("parsing a stored hash: {e}"))?;
    let ok = hasher().verify_password(password.as_bytes(), &parsed).is_ok();
    Ok(ok && real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let pool = Pool::new(1);
        let h = pool.hash(Secret::new("correct horse battery staple")).await.expect("hash");
        assert!(h.as_db().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(pool
            .verify(Secret::new("correct horse battery staple"), Some(h.clone()))
            .await
            .expect("verify"));
        assert!(!pool.verify(Secret::new("wrong horse battery staple"), Some(h)).await.expect("verify"));
        assert!(!pool.verify(Secret::new("a dummy password nobody has"), None).await.expect("verify"));
        assert!(!format!("{:?}", PasswordHashString::from_db("$argon2id$x".into())).contains("argon2id"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_refuses_at_once_instead_of_queueing_without_bound() {
        let pool = Pool::new(1);
        let tries: Vec<_> = (0..20)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.verify(Secret::new("guess guess guess"), None).await })
            })
            .collect();
        let mut busy = 0;
        for t in tries {
            if let Err(AppError::Busy { retry_after }) = t.await.expect("join") {
                assert!(retry_after >= 1);
                busy += 1;
            }
        }
        assert!(busy >= 20 - (1 + QUEUE_PER_PERMIT), "only the pool and its queue are admitted: {busy} busy");
    }
}
