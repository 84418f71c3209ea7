//! The OpenAPI schemas of input values whose rules a type name cannot carry: the same bounds,
//! patterns and choices the parsers in `termin_domain::validate` and the services enforce, so
//! that a request the document allows is one the server takes, and one it forbids is refused.
//! (U+0000 is refused in every string, everywhere; OpenAPI cannot say that once, so it is said
//! in the API description instead.)
//!
//! Each function is a `#[schema(schema_with = ...)]` for a field; the `_or_null` ones are for
//! fields where `null` means "not given".

use termin_domain::limits;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, Schema};

/// Characters Rust's `trim` removes (Unicode White_Space): a value must hold one that is not.
const NOT_BLANK: &str =
    "[^\\t\\n\\x0B\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

fn string(nullable: bool) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    })
}

fn integer(min: i64, max: i64, nullable: bool) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(if nullable {
            SchemaType::from_iter([Type::Integer, Type::Null])
        } else {
            SchemaType::new(Type::Integer)
        })
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
        .maximum(Some(max))
}

/// Text that must not be blank, of at most `max` characters.
pub fn text(max: usize, nullable: bool) -> ObjectBuilder {
    string(nullable)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(NOT_BLANK))
}

fn done(b: ObjectBuilder) -> RefOr<Schema> {
    RefOr::T(Schema::Object(b.build()))
}

/// A token's or key's name: 1 to 100 characters, not blank.
pub fn credential_name() -> RefOr<Schema> {
    done(text(100, false))
}

pub fn person_name() -> RefOr<Schema> {
    done(text(100, false))
}

pub fn person_name_or_null() -> RefOr<Schema> {
    done(text(100, true))
}

const EMAIL: &str = r"[^@\s\x00-\x1F\x7F-\x9F]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+";

/// An address `Email::parse` takes: one `@`, a local part of 1 to 64 characters and a dotted
/// domain of letters, digits and dashes; no spaces or control characters; at most 254 characters.
fn email_schema(nullable: bool) -> ObjectBuilder {
    string(nullable)
        .max_length(Some(254))
        .pattern(Some(format!("^{EMAIL}$")))
}

pub fn email() -> RefOr<Schema> {
    done(email_schema(false))
}

pub fn email_or_null() -> RefOr<Schema> {
    done(email_schema(true))
}

/// An address, or empty (or null) for none.
pub fn email_or_empty() -> RefOr<Schema> {
    done(
        string(true)
            .max_length(Some(254))
            .pattern(Some(format!("^({EMAIL})?$"))),
    )
}

/// A phone number as `validate::check_phone` takes it (at most 40 characters).
pub const PHONE: &str = "[0-9 +()./-]*[0-9][0-9 +()./-]*";

/// A string matching `pattern`, or null.
pub fn pattern_or_null(pattern: &str, max_length: Option<usize>) -> RefOr<Schema> {
    done(string(true).max_length(max_length).pattern(Some(pattern)))
}

/// A canonical IANA time zone name, as the server's time zone database spells it.
fn time_zone_schema(nullable: bool) -> ObjectBuilder {
    let mut names = termin_domain::validate::TimeZoneName::canonical_names();
    names.sort_unstable();
    let values: Vec<serde_json::Value> = names.into_iter().map(Into::into).collect();
    let values = if nullable {
        values
            .into_iter()
            .chain([serde_json::Value::Null])
            .collect()
    } else {
        values
    };
    string(nullable).enum_values(Some(values))
}

pub fn time_zone() -> RefOr<Schema> {
    done(time_zone_schema(false))
}

pub fn time_zone_or_null() -> RefOr<Schema> {
    done(time_zone_schema(true))
}

/// A language tag such as `en` or `de-AT`.
pub fn language_or_null() -> RefOr<Schema> {
    done(
        string(true)
            .max_length(Some(6))
            .pattern(Some("^[A-Za-z]{2,3}(-[A-Za-z]{2})?$")),
    )
}

/// A user's slug: lower-case letters, digits and single dashes, 5 to 64 characters.
pub fn user_slug_or_null() -> RefOr<Schema> {
    done(
        string(true)
            .min_length(Some(5))
            .max_length(Some(64))
            .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$")),
    )
}

/// A meeting type's slug: lower-case letters, digits and single dashes, 1 to 64 characters.
pub fn meeting_type_slug_or_null() -> RefOr<Schema> {
    done(
        string(true)
            .min_length(Some(1))
            .max_length(Some(64))
            .pattern(Some("^[a-z0-9]+(-[a-z0-9]+)*$")),
    )
}

/// A meeting's length in minutes.
pub fn duration_or_null() -> RefOr<Schema> {
    done(integer(
        limits::MIN_DURATION_MINUTES,
        limits::MAX_DURATION_MINUTES,
        true,
    ))
}

pub fn uuid_or_null() -> RefOr<Schema> {
    done(string(true).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))))
}

pub fn uuid() -> RefOr<Schema> {
    done(string(false).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))))
}

/// An instant: RFC 3339 with an offset, year 1 to 9999.
pub fn timestamp() -> RefOr<Schema> {
    done(string(false).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
}

/// A date (`2026-12-01`) or an instant (RFC 3339 with an offset).
pub fn date_or_timestamp() -> RefOr<Schema> {
    use utoipa::openapi::schema::OneOfBuilder;
    RefOr::T(Schema::OneOf(
        OneOfBuilder::new()
            .item(string(false).format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .item(timestamp())
            .build(),
    ))
}

/// One of `values`.
pub fn one_of(values: &[&str], nullable: bool) -> RefOr<Schema> {
    let mut values: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    if nullable {
        values.push(serde_json::Value::Null);
    }
    done(string(nullable).enum_values(Some(values)))
}

/// An array of `items`, `min` to `max` of them.
pub fn array(items: RefOr<Schema>, min: usize, max: usize, nullable: bool) -> RefOr<Schema> {
    let b = ArrayBuilder::new()
        .items(items)
        .min_items(Some(min))
        .max_items(Some(max));
    let b = if nullable {
        b.schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
    } else {
        b
    };
    RefOr::T(Schema::Array(b.build()))
}
