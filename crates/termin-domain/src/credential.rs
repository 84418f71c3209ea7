//! Credential formats. A plaintext secret exists only as one of the `Plain*` types, which never
//! print their value in `Debug`; what is stored is a [`SecretHash`].
//!
//! Both formats carry a CRC32 checksum of their random part, encoded in base62, in the way
//! GitHub's tokens do: a secret scanner can tell a real termin token from random text offline,
//! and the server rejects a mistyped or truncated one before touching the database.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ids::ApiKeyId;

/// Prefix of every Personal Access Token.
pub const PAT_PREFIX: &str = "rgo-";
/// Prefix of every Platform API Key.
pub const API_KEY_PREFIX: &str = "ak_live:";

const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a string is not a well-formed credential. Never carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("unknown credential format")]
    UnknownFormat,
    #[error("malformed credential")]
    Malformed,
    #[error("credential checksum does not match")]
    Checksum,
}

/// `count` random base62 characters from the operating system's CSPRNG.
pub fn random_base62(count: usize) -> String {
    let mut out = String::with_capacity(count);
    let mut buf = [0u8; 64];
    while out.len() < count {
        getrandom::fill(&mut buf).expect("the operating system's random source failed");
        // 248 = 4 * 62: rejecting bytes above it keeps every character equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == count {
                break;
            }
            out.push(BASE62[(*b % 62) as usize] as char);
        }
    }
    out
}

fn checksum(data: &str) -> String {
    let mut n = crc32fast::hash(data.as_bytes()) as u64;
    let mut digits = [b'0'; CHECKSUM_LEN];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(digits.to_vec()).expect("base62 is ASCII")
}

fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Splits `random + checksum` and verifies the checksum over `signed` + random.
fn verify_random_part(signed_prefix: &str, body: &str) -> Result<(), FormatError> {
    if body.len() != RANDOM_LEN + CHECKSUM_LEN || !is_base62(body) {
        return Err(FormatError::Malformed);
    }
    let (random, sum) = body.split_at(RANDOM_LEN);
    if checksum(&format!("{signed_prefix}{random}")) != sum {
        return Err(FormatError::Checksum);
    }
    Ok(())
}

/// Whether a PKCE `code_verifier` matches the `code_challenge` made from it with S256
/// (RFC 7636): `BASE64URL(SHA-256(verifier))`, without padding. A verifier is 43 to 128
/// unreserved characters.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return false;
    }
    let made = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
    made.len() == challenge.len()
        && made
            .bytes()
            .zip(challenge.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The SHA-256 of a high-entropy secret: what the database stores and looks up by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Compares in constant time, so a lookup by id cannot leak how much of a hash matched.
    pub fn matches_hex(&self, stored_hex: &str) -> bool {
        let mine = self.to_hex();
        mine.len() == stored_hex.len()
            && mine
                .bytes()
                .zip(stored_hex.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({}…)", &self.to_hex()[..8])
    }
}

/// A Personal Access Token in plaintext: `rgo-` + 32 random base62 + 6 base62 CRC32.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainPat(String);

impl PlainPat {
    pub fn generate() -> Self {
        let random = random_base62(RANDOM_LEN);
        let sum = checksum(&format!("{PAT_PREFIX}{random}"));
        Self(format!("{PAT_PREFIX}{random}{sum}"))
    }

    pub fn parse(s: &str) -> Result<Self, FormatError> {
        let body = s
            .strip_prefix(PAT_PREFIX)
            .ok_or(FormatError::UnknownFormat)?;
        verify_random_part(PAT_PREFIX, body)?;
        Ok(Self(s.to_owned()))
    }

    /// The full secret. Show it once, to its owner, at creation.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }

    /// A non-secret hint that lets a person recognise the token in a list: `rgo-AbCd…`.
    pub fn hint(&self) -> String {
        format!("{}…", &self.0[..PAT_PREFIX.len() + 4])
    }
}

impl fmt::Debug for PlainPat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainPat({})", self.hint())
    }
}

/// A Platform API Key in plaintext: `ak_live:<uuid>:<secret>`, where the uuid is the key's
/// record id and the secret is 32 random base62 + a 6 character checksum over the whole key.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainApiKey {
    id: ApiKeyId,
    full: String,
}

impl PlainApiKey {
    pub fn generate(id: ApiKeyId) -> Self {
        let signed = format!("{API_KEY_PREFIX}{id}:");
        let random = random_base62(RANDOM_LEN);
        let sum = checksum(&format!("{signed}{random}"));
        Self {
            id,
            full: format!("{signed}{random}{sum}"),
        }
    }

    pub fn parse(s: &str) -> Result<Self, FormatError> {
        let rest = s
            .strip_prefix(API_KEY_PREFIX)
            .ok_or(FormatError::UnknownFormat)?;
        let (uuid, body) = rest.split_once(':').ok_or(FormatError::Malformed)?;
        // Only the canonical hyphenated form, so one key has exactly one spelling.
        if uuid.len() != 36 {
            return Err(FormatError::Malformed);
        }
        let id = Uuid::parse_str(uuid).map_err(|_| FormatError::Malformed)?;
        verify_random_part(&format!("{API_KEY_PREFIX}{uuid}:"), body)?;
        Ok(Self {
            id: ApiKeyId::from_uuid(id),
            full: s.to_owned(),
        })
    }

    pub fn id(&self) -> ApiKeyId {
        self.id
    }

    pub fn expose(&self) -> &str {
        &self.full
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.full)
    }

    pub fn hint(&self) -> String {
        let tail = &self.full[self.full.len() - 4..];
        format!("{API_KEY_PREFIX}{}:…{tail}", self.id)
    }
}

impl fmt::Debug for PlainApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainApiKey({})", self.id)
    }
}

/// Whatever a bearer header carried, once its format and checksum are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerCredential {
    Pat(PlainPat),
    ApiKey(PlainApiKey),
}

impl BearerCredential {
    pub fn parse(s: &str) -> Result<Self, FormatError> {
        if s.starts_with(PAT_PREFIX) {
            PlainPat::parse(s).map(Self::Pat)
        } else if s.starts_with(API_KEY_PREFIX) {
            PlainApiKey::parse(s).map(Self::ApiKey)
        } else {
            Err(FormatError::UnknownFormat)
        }
    }
}

/// A dashboard session's cookie value, or a CSRF token: random, never stored in plaintext.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainSessionSecret(String);

impl PlainSessionSecret {
    pub fn generate() -> Self {
        Self(random_base62(43))
    }

    pub fn from_cookie(s: &str) -> Option<Self> {
        (s.len() == 43 && is_base62(s)).then(|| Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }

    /// The CSRF token of this session: derived from the cookie value, so it needs no storage,
    /// and readable only by same-origin code that asks the server for it.
    pub fn csrf_token(&self) -> String {
        SecretHash::of(&format!("termin-csrf:{}", self.0)).to_hex()
    }

    /// Whether `presented` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        SecretHash::of(&format!("termin-csrf:{}", self.0)).matches_hex(presented)
    }
}

impl fmt::Debug for PlainSessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainSessionSecret(…)")
    }
}

crate::tenancy::wire_enum!(
    /// A group of routes a PAT can be limited to.
    ScopeGroup {
        Scheduling = "scheduling",
        Contacts = "contacts",
        Account = "account",
    }
);

/// The scope groups a PAT was limited to. Empty means unlimited: everything its owner may do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<ScopeGroup>);

impl Scopes {
    pub fn unlimited() -> Self {
        Self(Vec::new())
    }

    pub fn new(groups: impl IntoIterator<Item = ScopeGroup>) -> Self {
        let mut v: Vec<_> = groups.into_iter().collect();
        v.sort_by_key(|g| g.as_str());
        v.dedup();
        Self(v)
    }

    pub fn is_unlimited(&self) -> bool {
        self.0.is_empty()
    }

    pub fn allows(&self, group: ScopeGroup) -> bool {
        self.0.is_empty() || self.0.contains(&group)
    }

    pub fn groups(&self) -> &[ScopeGroup] {
        &self.0
    }

    /// Storage form: comma separated, empty for unlimited.
    pub fn to_storage(&self) -> String {
        self.0
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn from_storage(s: &str) -> Self {
        Self::new(s.split(',').filter_map(|g| ScopeGroup::from_str(g).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_s256_matches("short", challenge));
        assert!(!pkce_s256_matches(&format!("{verifier}!"), challenge));
    }

    #[test]
    fn generated_pats_parse_and_keep_their_shape() {
        let pat = PlainPat::generate();
        assert!(pat.expose().starts_with("rgo-"));
        assert_eq!(pat.expose().len(), 4 + 32 + 6);
        assert_eq!(PlainPat::parse(pat.expose()), Ok(pat.clone()));
        assert_ne!(PlainPat::generate(), pat);
    }

    #[test]
    fn a_single_changed_character_fails_the_checksum() {
        let pat = PlainPat::generate();
        let mut bytes = pat.expose().as_bytes().to_vec();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(PlainPat::parse(&tampered), Err(FormatError::Checksum));
        assert_eq!(
            PlainPat::parse(&pat.expose()[..20]),
            Err(FormatError::Malformed)
        );
        assert_eq!(PlainPat::parse("bearer"), Err(FormatError::UnknownFormat));
    }

    #[test]
    fn api_keys_carry_their_id_and_checksum() {
        let id = ApiKeyId::new();
        let key = PlainApiKey::generate(id);
        assert!(key.expose().starts_with(&format!("ak_live:{id}:")));
        let parsed = PlainApiKey::parse(key.expose()).unwrap();
        assert_eq!(parsed.id(), id);
        // The same secret under another id is not a valid key.
        let other = key
            .expose()
            .replace(&id.to_string(), &ApiKeyId::new().to_string());
        assert_eq!(PlainApiKey::parse(&other), Err(FormatError::Checksum));
        assert_eq!(
            PlainApiKey::parse("ak_live:not-a-uuid:xyz"),
            Err(FormatError::Malformed)
        );
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let pat = PlainPat::generate();
        assert!(!format!("{pat:?}").contains(pat.expose()));
        let key = PlainApiKey::generate(ApiKeyId::new());
        assert!(!format!("{key:?}").contains(&key.expose()[50..]));
    }

    #[test]
    fn hashes_compare_by_value() {
        let h = SecretHash::of("rgo-x");
        assert!(h.matches_hex(&h.to_hex()));
        assert!(!h.matches_hex(&SecretHash::of("rgo-y").to_hex()));
        assert_eq!(h.to_hex().len(), 64);
    }

    #[test]
    fn scopes_limit_only_when_chosen() {
        assert!(Scopes::unlimited().allows(ScopeGroup::Account));
        let s = Scopes::new([ScopeGroup::Contacts, ScopeGroup::Contacts]);
        assert!(s.allows(ScopeGroup::Contacts));
        assert!(!s.allows(ScopeGroup::Scheduling));
        assert_eq!(Scopes::from_storage(&s.to_storage()), s);
        assert_eq!(Scopes::from_storage(""), Scopes::unlimited());
    }
}
