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

/// Hashes on a blocking thread: argon2 takes tens of milliseconds of CPU, which must hold up
/// neither the async runtime nor (callers see to it) a database transaction.
pub async fn hash(password: &str) -> ServiceResult<String> {
    let password = password.to_owned();
    let _turn = hashing_turn().await;
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(ServiceError::internal)?
}

/// Whether `password` matches `stored`, checked on a blocking thread (see [`hash`]).
pub async fn verify(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    let _turn = hashing_turn().await;
    tokio::task::spawn_blocking(move || verify_now(&password, &stored))
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
