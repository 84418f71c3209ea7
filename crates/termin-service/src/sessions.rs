//! Dashboard login and logout.

use jiff::SignedDuration;
use termin_domain::credential::PlainSessionSecret;
use termin_domain::validate::Email;
use termin_domain::SessionId;
use termin_storage::sessions::{self, NewSession};
use termin_storage::{users, Db};

use super::authenticate::SessionLimits;
use super::{now, passwords};
use crate::error::{ServiceError, ServiceResult};

/// What a successful login hands to the browser.
pub struct LoggedIn {
    pub user: users::UserRecord,
    /// The cookie value.
    pub secret: PlainSessionSecret,
    /// Sent back by the dashboard in `x-csrf-token` on every unsafe request.
    pub csrf_token: String,
}

pub async fn login(
    db: &Db,
    email: &str,
    password: &str,
    limits: SessionLimits,
) -> ServiceResult<LoggedIn> {
    let invalid = || ServiceError::unauthorized("Invalid email or password");
    let Ok(email) = Email::parse(email) else {
        passwords::verify_dummy(password);
        return Err(invalid());
    };
    let mut conn = db.conn().await?;
    let Some((user, Some(hash))) = users::password_hash_by_email(&mut conn, email.as_str()).await?
    else {
        passwords::verify_dummy(password);
        return Err(invalid());
    };
    if !passwords::verify(password, &hash) || user.deactivated_at.is_some() {
        return Err(invalid());
    }
    let secret = PlainSessionSecret::generate();
    let at = now();
    let absolute = SignedDuration::try_from(limits.absolute).map_err(ServiceError::internal)?;
    sessions::insert(
        &mut conn,
        &NewSession {
            id: SessionId::new(),
            user_id: user.id,
            secret_hash: secret.hash(),
            created_at: at,
            expires_at: at.checked_add(absolute).map_err(ServiceError::internal)?,
        },
    )
    .await?;
    Ok(LoggedIn {
        user,
        csrf_token: secret.csrf_token(),
        secret,
    })
}

pub async fn logout(db: &Db, id: SessionId) -> ServiceResult<()> {
    sessions::delete(&mut *db.conn().await?, id).await?;
    Ok(())
}
