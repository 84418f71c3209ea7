//! How instants are written in answers and events: RFC 3339 in UTC with exactly three fractional
//! digits (`2026-11-28T23:21:57.160Z`), as docs/decisions.md promises. jiff's own rendering drops
//! trailing zeros, which clients comparing or parsing fixed widths trip over.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serializer;

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`. Written out digit by digit: every time in every answer
/// goes through here, and `format!` (let alone a general `strftime`) cost several times as much;
/// a list of bookable times renders hundreds.
pub fn format(t: Timestamp) -> String {
    let d = jiff::tz::Offset::UTC.to_datetime(t);
    if !(0..=9999).contains(&d.year()) {
        return t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    }
    let mut out = *b"0000-00-00T00:00:00.000Z";
    put_date_time(&mut out, d);
    put(&mut out, 20, 3, (d.subsec_nanosecond() / 1_000_000) as u32);
    String::from_utf8(out.to_vec()).expect("ASCII digits")
}

/// The instant in `tz` as `2026-12-02T09:00:00+01:00` (how bookable times are shown), and its
/// local date. Written out digit by digit like [`format`]: a 14-day answer renders hundreds, and
/// a `ZonedDateTime` with a strftime format for each was a visible share of the request.
pub fn local(t: Timestamp, tz: &TimeZone) -> (Date, String) {
    let offset = tz.to_offset(t);
    let d = offset.to_datetime(t);
    if !(0..=9999).contains(&d.year()) {
        // Outside four-digit years (never a bookable time); let jiff write it.
        let text = t
            .to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        return (d.date(), text);
    }
    let seconds = offset.seconds();
    let minutes = seconds.unsigned_abs() / 60;
    let mut out = *b"0000-00-00T00:00:00+00:00";
    put_date_time(&mut out, d);
    out[19] = if seconds < 0 { b'-' } else { b'+' };
    put(&mut out, 20, 2, minutes / 60);
    put(&mut out, 23, 2, minutes % 60);
    (
        d.date(),
        String::from_utf8(out.to_vec()).expect("ASCII digits and signs"),
    )
}

/// Writes `YYYY-MM-DDTHH:MM:SS` of `d` (a four-digit year) over the first 19 bytes of `out`.
fn put_date_time(out: &mut [u8], d: DateTime) {
    put(out, 0, 4, d.year() as u32);
    put(out, 5, 2, d.month() as u32);
    put(out, 8, 2, d.day() as u32);
    put(out, 11, 2, d.hour() as u32);
    put(out, 14, 2, d.minute() as u32);
    put(out, 17, 2, d.second() as u32);
}

/// Writes the last `width` decimal digits of `n` at `out[at..]`.
fn put(out: &mut [u8], at: usize, width: usize, mut n: u32) {
    for i in (at..at + width).rev() {
        out[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
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

/// The latest instant termin takes: the start of year 9999, which leaves room for a meeting's
/// length, its buffers and a window of bookable times after any instant taken.
pub const LATEST: Timestamp = Timestamp::constant(253_370_764_800, 0);

/// Reads an instant a client sent: RFC 3339 with an offset, before [`LATEST`]. The error says
/// what is wrong: an instant past that is RFC 3339 all the same, and is told so.
pub fn parse(raw: &str) -> Result<Timestamp, &'static str> {
    const LATE: &str = "is out of range: instants must be before 9999-01-01";
    match raw.parse::<Timestamp>() {
        Ok(t) if t >= LATEST => return Err(LATE),
        Ok(t) => return Ok(t),
        Err(_) => {}
    }
    Err({
        // The same text with the year 2000 parses: only the year was out of range.
        let in_range = raw
            .get(4..)
            .filter(|_| {
                raw.get(..4)
                    .is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()))
            })
            .is_some_and(|rest| format!("2000{rest}").parse::<Timestamp>().is_ok());
        if in_range {
            LATE
        } else {
            "must be an RFC 3339 timestamp with an offset"
        }
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_written_out_format_is_strftimes() {
        for raw in [
            "2026-12-03T09:00:00Z",
            "1970-01-01T00:00:00.001Z",
            "2026-02-28T23:59:59.999Z",
            "1969-12-31T23:59:59.5Z",
            "9999-12-29T23:59:59.999Z",
        ] {
            let t: jiff::Timestamp = raw.parse().unwrap();
            assert_eq!(
                super::format(t),
                t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "{raw}"
            );
        }
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        assert!(super::parse("2026-12-01T10:00:00+01:00").is_ok());
        assert_eq!(
            super::parse("9999-12-31T23:59:59Z"),
            Err("is out of range: instants must be before 9999-01-01")
        );
        assert_eq!(
            super::parse("9999-06-01T00:00:00Z"),
            Err("is out of range: instants must be before 9999-01-01")
        );
        assert_eq!(
            super::parse("2026-12-01 10:00"),
            Err("must be an RFC 3339 timestamp with an offset")
        );
    }

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
