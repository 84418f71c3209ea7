//! Secrets termin must read back (a calendar feed's address, and later calendar passwords) are
//! kept sealed: XChaCha20-Poly1305 under the server's key, with a random nonce per value. The
//! key comes from configuration or a key file made at first start (`docs/calendar.md` says how
//! to back it up and rotate it). Whoever reads the database alone learns nothing from them.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
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

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .expect("sealing in memory does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    /// The value, or `None` when it was sealed under another key or was altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed.strip_prefix(PREFIX)?)
            .ok()?;
        if raw.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, body) = raw.split_at(NONCE_BYTES);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok()
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
        let sealed = a.seal("feed-token");
        assert_ne!(sealed, a.seal("feed-token"), "a fresh nonce each time");
        assert!(!sealed.contains("feed-token"));
        assert_eq!(a.open(&sealed).as_deref(), Some("feed-token"));
        assert_eq!(SecretBox::ephemeral().open(&sealed), None, "another key");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(a.open(&altered), None, "an altered value");
        let again = SecretBox::from_base64(&key_to_base64(&key)).unwrap();
        assert_eq!(again.open(&sealed).as_deref(), Some("feed-token"));
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }
}
