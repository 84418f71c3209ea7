//! Dashboard login and logout.

use jiff::SignedDuration;
use termin_domain::credential::PlainSessionSecret;
use termin_domain::principal::{Credential, Principal};
use termin_domain::SessionId;
use termin_storage::login_throttle;
use termin_storage::sessions::{self, NewSession};
use termin_storage::users;

use super::authenticate::SessionLimits;
use super::passwords;
use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// What a successful login hands to the browser.
pub struct LoggedIn {
    pub user: users::UserRecord,
    /// The cookie value.
    pub secret: PlainSessionSecret,
    /// Sent back by the dashboard in `x-csrf-token` on every unsafe request.
    pub csrf_token: String,
}

/// Logs in with email and password. `from` is the client's address (see `client_network`).
///
/// Failed logins are counted per account and per client network, in the database so that the
/// count holds across nodes. Past a few free failures each further one blocks the key for twice
/// as long as the one before (up to a quarter of an hour); while blocked, no password is even
/// checked and the answer is 429 with the wait. A quiet hour forgets the failures, and a
/// successful login forgets the account's.
pub async fn login(
    svc: &Service,
    email: &str,
    password: &str,
    limits: SessionLimits,
    from: Option<std::net::IpAddr>,
) -> ServiceResult<LoggedIn> {
    let mut v = crate::Validator::new();
    if email.chars().count() > 254 {
        v.fail("email", "must be at most 254 characters");
    }
    if password.chars().count() > 1024 {
        v.fail("password", "must be at most 1024 characters");
    }
    v.finish()?;
    let invalid = || ServiceError::unauthorized("Invalid email or password");
    // An address is at most 254 characters; a longer "email" must not store a longer key.
    let typed: String = email.trim().chars().take(254).collect();
    let account = format!("account:{}", typed.to_lowercase());
    let network = from.map(|ip| format!("address:{}", client_network(ip)));
    let at = svc.now();
    let mut conn = svc.db.conn().await?;
    let keys: Vec<&str> = std::iter::once(account.as_str())
        .chain(network.as_deref())
        .collect();
    if let Some(until) = login_throttle::blocked_until(&mut conn, &keys).await? {
        if until > at {
            let secs = until.duration_since(at).as_secs_f64().ceil().max(1.0) as u64;
            return Err(ServiceError::Throttled {
                message: format!("Too many failed logins; try again in {secs} seconds").into(),
                retry_after_secs: secs,
            });
        }
    }
    // Looked up as typed (trimmed, lower-cased), not through today's address rules: an
    // account stored under older, looser rules (a non-ASCII domain) must still log in.
    let found = if typed.is_empty() {
        None
    } else {
        users::password_hash_by_email(&mut conn, &typed.to_lowercase()).await?
    };
    // No connection is held while the hash is checked.
    drop(conn);
    let verified = match &found {
        Some((user, Some(hash))) => {
            passwords::verify(password, hash).await && user.deactivated_at.is_none()
        }
        _ => {
            passwords::verify_dummy(password).await;
            false
        }
    };
    let user = match found {
        Some((user, _)) if verified => user,
        _ => {
            let mut tx = svc.db.begin_write().await?;
            login_throttle::prune(&mut tx, at - FORGET_FAILURES_AFTER, at).await?;
            for (key, free) in [
                (Some(account.as_str()), FREE_FAILURES_PER_ACCOUNT),
                (network.as_deref(), FREE_FAILURES_PER_NETWORK),
            ] {
                let Some(key) = key else { continue };
                let failures =
                    login_throttle::record_failure(&mut tx, key, at, at - FORGET_FAILURES_AFTER)
                        .await?;
                if let Some(block) = block_after(failures, free) {
                    login_throttle::block(&mut tx, key, at + block).await?;
                }
            }
            tx.commit().await?;
            return Err(invalid());
        }
    };
    let secret = PlainSessionSecret::generate();
    let absolute = SignedDuration::try_from(limits.absolute).map_err(ServiceError::internal)?;
    let mut tx = svc.db.begin_write().await?;
    sessions::insert(
        &mut tx,
        &NewSession {
            id: SessionId::new(),
            user_id: user.id,
            secret_hash: secret.hash(),
            created_at: at,
            expires_at: at.checked_add(absolute).map_err(ServiceError::internal)?,
        },
    )
    .await?;
    login_throttle::clear(&mut tx, &account).await?;
    tx.commit().await?;
    Ok(LoggedIn {
        user,
        csrf_token: secret.csrf_token(),
        secret,
    })
}

/// Failed logins to one account that cost nothing but the answer.
pub const FREE_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed logins from one client network (many people may share an address) before blocks.
pub const FREE_FAILURES_PER_NETWORK: i64 = 20;
/// The longest block one more failure earns.
pub const MAX_LOGIN_BLOCK: SignedDuration = SignedDuration::from_mins(15);
/// Failures older than this, with none since, are forgotten.
pub const FORGET_FAILURES_AFTER: SignedDuration = SignedDuration::from_hours(1);

/// How long the `failures`-th failure blocks a key that has `free` free ones: nothing within
/// them, then 2 s, 4 s, 8 s, ... up to [`MAX_LOGIN_BLOCK`].
pub fn block_after(failures: i64, free: i64) -> Option<SignedDuration> {
    let over = failures - free;
    (over > 0).then(|| {
        let secs = 1i64 << over.min(20);
        SignedDuration::from_secs(secs).min(MAX_LOGIN_BLOCK)
    })
}

/// A client network as the throttle names it: `192.0.2.7`, or `2001:db8:1:2::/64`.
fn client_network(ip: std::net::IpAddr) -> String {
    match termin_domain::special_addresses::client_network(ip) {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("{v6}/64"),
    }
}

/// Ends the caller's dashboard session.
pub async fn logout(svc: &Service, caller: &Principal) -> ServiceResult<()> {
    let Credential::Session { id } = caller.credential else {
        return Err(ServiceError::forbidden("Not a dashboard session"));
    };
    let mut tx = svc.db.begin_write().await?;
    sessions::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every dashboard session of the caller, on every device ("log out everywhere").
pub async fn logout_everywhere(svc: &Service, caller: &Principal) -> ServiceResult<()> {
    let Credential::Session { .. } = caller.credential else {
        return Err(ServiceError::forbidden("Not a dashboard session"));
    };
    let mut tx = svc.db.begin_write().await?;
    sessions::delete_for_user(&mut tx, caller.user_id).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_double_after_the_free_failures_up_to_the_cap() {
        let blocks: Vec<Option<i64>> = (1..=8)
            .map(|n| block_after(n, 5).map(|d| d.as_secs()))
            .collect();
        assert_eq!(
            blocks,
            [None, None, None, None, None, Some(2), Some(4), Some(8)]
        );
        assert_eq!(block_after(1_000, 5), Some(MAX_LOGIN_BLOCK));
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_network(a), client_network(b));
        assert_eq!(
            client_network("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7"
        );
        assert_eq!(client_network("192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(client_network(a), "2001:db8:1:2::/64");
    }
}
