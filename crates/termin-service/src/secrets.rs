//! Secrets termin must read back (a calendar feed's address, and later calendar passwords) are
//! kept sealed: XChaCha20-Poly1305 under the server's key, with a random nonce per value. The
//! key comes from configuration or a key file made at first start (`docs/calendar.md` says how
//! to back it up and rotate it). Whoever reads the database alone learns nothing from them.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The length of a key, in bytes.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
/// What a sealed value starts with: a version, so a later format can be told apart.
const PREFIX: &str = "v1.";

/// Seals and opens values under one key.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

/// A key that is not 32 bytes of base64.
#[derive(Debug, thiserror::Error)]
#[error("a secrets key must be {KEY_BYTES} bytes, written in base64")]
pub struct BadKey;

impl SecretBox {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// A box with a key of its own that nothing else knows (tests, and commands that open no
    /// secret).
    pub fn ephemeral() -> Self {
        Self::new(&generate_key())
    }

    /// A key as configuration or a key file holds it: base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, BadKey> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| BadKey)?;
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| BadKey)?;
        Ok(Self::new(&key))
    }

    /// Seals `plain` for one place: `context` (such as `calendar_feed:{userId}`) is bound to the
    /// sealed value, which opens only with the same context. A value copied into another row
    /// (another user's feed, another purpose) does not open there.
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: context.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("sealing in memory does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    /// The value sealed for `context`, or `None` when it was sealed under another key or for
    /// another context, or was altered.
    pub fn open(&self, context: &str, sealed: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed.strip_prefix(PREFIX)?)
            .ok()?;
        if raw.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, body) = raw.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: body,
            aad: context.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// The setting that holds a value sealed at the first start (see [`check_key`]).
const CHECK: &str = "secrets_check";
const CHECK_TEXT: &str = "termin secrets key";

/// Whether the server's key is the one this database's sealed values were made with: the first
/// start records a sealed check value, and every later start must open it. With `replaced` (the
/// operator changed the key on purpose) the check value is made again under the new key.
/// `false` means: another key, refuse to serve.
pub async fn check_key(svc: &crate::Service, replaced: bool) -> crate::ServiceResult<bool> {
    use termin_storage::server_settings;
    let found = server_settings::get(&mut *svc.db.conn().await?, CHECK).await?;
    let opens = |v: &str| svc.secrets.open(CHECK, v).as_deref() == Some(CHECK_TEXT);
    match found {
        Some(v) if opens(&v) => Ok(true),
        Some(_) if !replaced => Ok(false),
        other => {
            let sealed = svc.secrets.seal(CHECK, CHECK_TEXT);
            let mut tx = svc.db.begin_write().await?;
            match other {
                Some(_) => server_settings::set(&mut tx, CHECK, &sealed).await?,
                None => server_settings::set_if_absent(&mut tx, CHECK, &sealed).await?,
            }
            tx.commit().await?;
            // Another node may have recorded its own first: read what stands.
            let now = server_settings::get(&mut *svc.db.conn().await?, CHECK).await?;
            Ok(now.is_some_and(|v| opens(&v)))
        }
    }
}

/// A new random key.
pub fn generate_key() -> [u8; KEY_BYTES] {
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key).expect("the operating system's random source failed");
    key
}

/// A key written for a key file.
pub fn key_to_base64(key: &[u8; KEY_BYTES]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_under_its_key_only_and_never_reads_the_same_twice() {
        let key = generate_key();
        let a = SecretBox::new(&key);
        let sealed = a.seal("feed:1", "feed-token");
        assert_ne!(
            sealed,
            a.seal("feed:1", "feed-token"),
            "a fresh nonce each time"
        );
        assert!(!sealed.contains("feed-token"));
        assert_eq!(a.open("feed:1", &sealed).as_deref(), Some("feed-token"));
        assert_eq!(a.open("feed:2", &sealed), None, "another place");
        assert_eq!(
            SecretBox::ephemeral().open("feed:1", &sealed),
            None,
            "another key"
        );
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(a.open("feed:1", &altered), None, "an altered value");
        let again = SecretBox::from_base64(&key_to_base64(&key)).unwrap();
        assert_eq!(again.open("feed:1", &sealed).as_deref(), Some("feed-token"));
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }
}

/// How many sealed values [`rotate`] sealed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    pub feeds: usize,
    pub connections: usize,
}

/// Seals every value sealed under the service's key again under `next`, and records `next` as
/// the database's key, in one transaction: afterwards only `next` opens anything. A value the
/// current key cannot open (sealed under a key replaced earlier) is left as it is.
pub async fn rotate(svc: &crate::Service, next: &SecretBox) -> crate::ServiceResult<Rotated> {
    use termin_storage::{calendar_feeds, calendars, server_settings};
    let mut tx = svc.db.begin_write().await?;
    let mut done = Rotated {
        feeds: 0,
        connections: 0,
    };
    for (user, sealed) in calendar_feeds::all_sealed(&mut tx).await? {
        let context = crate::calendar_feed::context(user);
        if let Some(plain) = svc.secrets.open(&context, &sealed) {
            calendar_feeds::set_sealed(&mut tx, user, &next.seal(&context, &plain)).await?;
            done.feeds += 1;
        }
    }
    for (id, sealed) in calendars::all_sealed(&mut tx).await? {
        let context = crate::calendar_connections::context(id);
        if let Some(plain) = svc.secrets.open(&context, &sealed) {
            calendars::set_sealed(&mut tx, id, &next.seal(&context, &plain)).await?;
            done.connections += 1;
        }
    }
    server_settings::set(&mut tx, CHECK, &next.seal(CHECK, CHECK_TEXT)).await?;
    tx.commit().await?;
    Ok(done)
}
