//! Dashboard passwords, hashed with argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{ServiceError, ServiceResult};

pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn validate(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > 1024 {
        return Err("must be at most 1024 bytes".into());
    }
    Ok(())
}

/// At most one argon2 computation per CPU runs at once; more wait their turn. A flood of
/// logins then costs the server the CPUs it has, not a blocking thread (and 19 MiB of argon2
/// memory) per request, and everything else keeps being answered.
async fn hashing_turn() -> tokio::sync::SemaphorePermit<'static> {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let turns = TURNS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cpus)
    });
    turns
        .acquire()
        .await
        .expect("the semaphore is never closed")
}

/// Argon2 computations running now, and (for the test) the most that ever ran at once.
static COMPUTING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static MOST_AT_ONCE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One argon2 computation, counted while it runs.
struct Computing;

impl Computing {
    fn start() -> Self {
        use std::sync::atomic::Ordering::SeqCst;
        let now = COMPUTING.fetch_add(1, SeqCst) + 1;
        MOST_AT_ONCE.fetch_max(now, SeqCst);
        Computing
    }
}

impl Drop for Computing {
    fn drop(&mut self) {
        COMPUTING.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Hashes on a blocking thread: argon2 takes tens of milliseconds of CPU, which must hold up
/// neither the async runtime nor (callers see to it) a database transaction.
pub async fn hash(password: &str) -> ServiceResult<String> {
    let password = password.to_owned();
    let _turn = hashing_turn().await;
    tokio::task::spawn_blocking(move || {
        let _computing = Computing::start();
        hash_now(&password)
    })
    .await
    .map_err(ServiceError::internal)?
}

/// Whether `password` matches `stored`, checked on a blocking thread (see [`hash`]).
pub async fn verify(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    let _turn = hashing_turn().await;
    tokio::task::spawn_blocking(move || {
        let _computing = Computing::start();
        verify_now(&password, &stored)
    })
    .await
    .unwrap_or(false)
}

/// Spends the same time as a real verification, so a login for an unknown email cannot be told
/// apart from a wrong password by timing.
pub async fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let password = password.to_owned();
    let _turn = hashing_turn().await;
    let _ = tokio::task::spawn_blocking(move || {
        let _computing = Computing::start();
        let stored =
            DUMMY.get_or_init(|| hash_now("dummy password for timing").unwrap_or_default());
        verify_now(&password, stored)
    })
    .await;
}

fn hash_now(password: &str) -> ServiceResult<String> {
    // 24 base62 characters (18 bytes when decoded, no partial final group) are ~142 bits of
    // salt, in the alphabet a PHC salt allows.
    let salt = SaltString::from_b64(&termin_domain::credential::random_base62(24))
        .map_err(ServiceError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ServiceError::internal)
}

fn verify_now(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flood of logins runs at most one argon2 computation per CPU at once, however many
    /// threads the runtime and its blocking pool have.
    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn password_hashing_takes_turns_one_per_cpu() {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let stored = hash("a password for the test").await.unwrap();
        let flood: Vec<_> = (0..cpus * 4 + 4)
            .map(|i| {
                let stored = stored.clone();
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        verify("wrong guess", &stored).await;
                    } else {
                        verify_dummy("wrong guess").await;
                    }
                })
            })
            .collect();
        for task in flood {
            task.await.unwrap();
        }
        let most = MOST_AT_ONCE.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=cpus).contains(&most), "{most} at once on {cpus} CPUs");
    }
}
