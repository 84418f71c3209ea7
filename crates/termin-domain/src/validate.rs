//! Input types that can only hold valid values ("parse, don't validate"). Each `parse` returns a
//! message fit for the `errors[].message` of a 400.

use std::fmt;

use serde::Serialize;

/// A syntactically valid, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// One `@`; a local part of 1 to 64 characters; a dotted domain of ASCII letters, digits
    /// and dashes (an internationalised domain in its `xn--` form); no spaces or control
    /// characters; at most 254 characters. Lower-cased.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const MSG: &str = "must be a valid email address";
        if s.chars().count() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(MSG);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(MSG)?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if local.is_empty() || local.chars().count() > 64 || local.contains('@') || !domain_ok {
            return Err(MSG);
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time zone name that the time zone database knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// A canonical IANA name: `Area/Location` (or `UTC`) exactly as the time zone database
    /// spells it. `europe/berlin` is refused naming `Europe/Berlin`; names that are not places
    /// (`localtime`, `Factory`, `posixrules`) are refused, since each machine may read them
    /// differently.
    pub fn parse(s: &str) -> Result<Self, String> {
        let generic = || "must be an IANA time zone name such as Europe/Berlin".to_owned();
        if s.trim().is_empty() || s.len() > 64 {
            return Err(generic());
        }
        let names = canonical_by_lowercase();
        Err(match names.get(&s.trim().to_ascii_lowercase()) {
            Some(name) if name == s => return Ok(Self(s.to_owned())),
            Some(name) => format!("must be written as the IANA time zone name {name}"),
            None => generic(),
        })
    }

    /// Every name `parse` takes, as the time zone database spells it.
    pub fn canonical_names() -> Vec<&'static str> {
        canonical_by_lowercase()
            .values()
            .map(String::as_str)
            .collect()
    }

    /// A name read back from storage: whatever the database loads, as it was accepted when it
    /// was written (earlier versions took any spelling the time zone database could load).
    pub fn stored(s: &str) -> Result<Self, String> {
        jiff::tz::TimeZone::get(s)
            .map(|_| Self(s.to_owned()))
            .map_err(|e| format!("stored time zone {s:?} does not load: {e}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The time zone database's names of places (and `UTC`), by their lower-cased spelling; read
/// once.
fn canonical_by_lowercase() -> &'static std::collections::HashMap<String, String> {
    static NAMES: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            .filter(|n| {
                (n == "UTC" || n.contains('/'))
                    && !n.starts_with("posix/")
                    && !n.starts_with("right/")
            })
            .map(|n| (n.to_ascii_lowercase(), n))
            .collect()
    })
}

/// A person's name part: trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.chars().count() > 100 {
            return Err("must be 1 to 100 characters");
        }
        let s = s.trim();
        if s.is_empty() {
            return Err("must be 1 to 100 characters");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A URL slug: lower-case ASCII letters, digits and single dashes, 5 to 64 characters.
/// Input is normalised first ("Anna Müller" becomes "anna-m-ller" is avoided: non-ASCII letters
/// are dropped, spaces and underscores become dashes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn normalize(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.trim().chars().flat_map(char::to_lowercase) {
            match c {
                'a'..='z' | '0'..='9' => out.push(c),
                ' ' | '_' | '-' | '.' if !out.ends_with('-') && !out.is_empty() => out.push('-'),
                _ => {}
            }
        }
        out.trim_end_matches('-').to_owned()
    }

    /// A slug as given: already in its canonical form (no normalising of input, so what is
    /// sent is what is stored).
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if !(5..=64).contains(&s.len()) || !Self::is_canonical(s) {
            return Err("must be 5 to 64 lower-case letters, digits and single dashes");
        }
        Ok(Self(s.to_owned()))
    }

    /// Whether a user slug would hide one of termin's own pages: a host's page is `/{slug}`,
    /// beside the API, the dashboard and the assets. (Shorter names, such as `v4`, `crm`,
    /// `docs` and `mcp`, are below a slug's minimum length.)
    pub fn is_reserved_for_pages(s: &str) -> bool {
        const RESERVED: &[&str] = &[
            "admin",
            "appointments",
            "assets",
            "authorize",
            "booking",
            "calendar",
            "dashboard",
            "feeds",
            "health",
            "integrations",
            "login",
            "logout",
            "manage",
            "members",
            "oauth",
            "openapi",
            "password",
            "register",
            "reset",
            "settings",
            "setup",
            "signup",
            "static",
            "token",
            "webhooks",
            "well-known",
        ];
        RESERVED.contains(&s)
    }

    /// Lower-case ASCII letters and digits, with single dashes between them.
    pub fn is_canonical(s: &str) -> bool {
        !s.is_empty() && Self::normalize(s) == s
    }

    /// A slug derived from free text, padded so it is long enough; uniqueness is the caller's.
    pub fn derive(from: &str) -> Self {
        let mut slug = Self::normalize(from);
        slug.truncate(48);
        let slug = slug.trim_end_matches('-').to_owned();
        if slug.len() < 5 {
            Self(format!(
                "{}{}",
                if slug.is_empty() { "user" } else { &slug },
                "-page"
            ))
        } else {
            Self(slug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest phone number, in characters.
pub const MAX_PHONE_CHARS: usize = 40;

/// A phone number as typed: up to 40 digits, spaces and `+ - ( ) . /`, at least one digit.
pub fn check_phone(s: &str) -> Result<(), &'static str> {
    let ok = s.chars().count() <= MAX_PHONE_CHARS
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c));
    ok.then_some(())
        .ok_or("must be a phone number of at most 40 digits, spaces and + - ( ) . /")
}

/// A colour written `#rrggbb` (either case).
pub fn check_color(s: &str) -> Result<(), &'static str> {
    let ok = s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit());
    ok.then_some(()).ok_or("must be a colour like #1a2b3c")
}

/// A language tag such as `en` or `de-AT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Language(String);

impl Language {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const MSG: &str = "must be a language code such as en or de-AT";
        let (lang, region) = match s.split_once('-') {
            Some((l, r)) => (l, Some(r)),
            None => (s, None),
        };
        let lang_ok =
            (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
        let region_ok =
            region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()));
        if !lang_ok || !region_ok {
            return Err(MSG);
        }
        Ok(Self(match region {
            Some(r) => format!("{}-{}", lang.to_lowercase(), r.to_uppercase()),
            None => lang.to_lowercase(),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("Anna@Example.COM").unwrap().as_str(),
            "anna@example.com"
        );
        assert!(Email::parse("anna@xn--mller-kva.de").is_ok());
        for bad in [
            // Taken as sent: no trimming the document does not mention.
            " anna@example.com",
            "anna@müller.de",
            "anna@example..com",
            "",
            "anna",
            "anna@",
            "@example.com",
            "a b@example.com",
            "anna@example",
            "anna@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn time_zones() {
        assert!(TimeZoneName::parse("Europe/Berlin").is_ok());
        assert!(TimeZoneName::parse("America/New_York").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("").is_err());
    }

    #[test]
    fn slugs_are_taken_as_sent_and_derived_normalised() {
        assert_eq!(
            Slug::parse("anna-schmidt").unwrap().as_str(),
            "anna-schmidt"
        );
        // What is sent is stored, so it must already be a slug.
        for bad in ["Anna Schmidt", "team--sales", "-sales", "sales-", "ab"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Slug::normalize("  Team__Sales--EU "), "team-sales-eu");
        assert!(Slug::parse("!!!!!!").is_err());
        assert_eq!(Slug::derive("Al").as_str(), "al-page");
        assert_eq!(Slug::derive("").as_str(), "user-page");
    }

    #[test]
    fn languages() {
        assert_eq!(Language::parse("DE-at").unwrap().as_str(), "de-AT");
        assert!(Language::parse("english").is_err());
    }
}

#[cfg(test)]
mod time_zone_tests {
    use super::TimeZoneName;

    #[test]
    fn only_canonical_iana_names_pass() {
        for good in [
            "Europe/Berlin",
            "UTC",
            "America/Argentina/Buenos_Aires",
            "Asia/Kolkata",
        ] {
            assert_eq!(TimeZoneName::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(
            TimeZoneName::parse("Europe/berlin").unwrap_err(),
            "must be written as the IANA time zone name Europe/Berlin"
        );
        for bad in [
            "localtime",
            "Factory",
            "posixrules",
            "Mars/Base",
            "",
            "Europe/Berlin\0",
        ] {
            assert_eq!(
                TimeZoneName::parse(bad).unwrap_err(),
                "must be an IANA time zone name such as Europe/Berlin",
                "{bad:?}"
            );
        }
    }
}
