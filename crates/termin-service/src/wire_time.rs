//! How instants are written in answers and events: RFC 3339 in UTC with exactly three fractional
//! digits (`2026-11-28T23:21:57.160Z`), as docs/decisions.md promises. jiff's own rendering drops
//! trailing zeros, which clients comparing or parsing fixed widths trip over.

use jiff::Timestamp;
use serde::Serializer;

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// For `#[serde(serialize_with = "wire_time::serialize")]`.
pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*t))
}

/// For `Option<Timestamp>` fields.
pub fn serialize_opt<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn always_three_fractional_digits_in_utc() {
        let cases = [
            ("2026-11-28T23:21:57Z", "2026-11-28T23:21:57.000Z"),
            ("2026-11-28T23:21:57.93Z", "2026-11-28T23:21:57.930Z"),
            ("2026-11-28T23:21:57.162+01:00", "2026-11-28T22:21:57.162Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(super::format(input.parse().unwrap()), expected);
        }
    }
}
