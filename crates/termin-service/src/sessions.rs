//! Dashboard login and logout.

use jiff::SignedDuration;
use termin_domain::credential::PlainSessionSecret;
use termin_domain::principal::{Credential, Principal};
use termin_domain::validate::Email;
use termin_domain::SessionId;
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

pub async fn login(
    svc: &Service,
    email: &str,
    password: &str,
    limits: SessionLimits,
) -> ServiceResult<LoggedIn> {
    let invalid = || ServiceError::unauthorized("Invalid email or password");
    let Ok(email) = Email::parse(email) else {
        passwords::verify_dummy(password).await;
        return Err(invalid());
    };
    let found = users::password_hash_by_email(&mut *svc.db.conn().await?, email.as_str()).await?;
    // No connection is held while the hash is checked.
    let Some((user, Some(hash))) = found else {
        passwords::verify_dummy(password).await;
        return Err(invalid());
    };
    if !passwords::verify(password, &hash).await || user.deactivated_at.is_some() {
        return Err(invalid());
    }
    let secret = PlainSessionSecret::generate();
    let at = svc.now();
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
    tx.commit().await?;
    Ok(LoggedIn {
        user,
        csrf_token: secret.csrf_token(),
        secret,
    })
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
