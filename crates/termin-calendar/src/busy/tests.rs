use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn read(ics: &str, zone: &str, from: &str, to: &str) -> Vec<(String, String)> {
    let tz = TimeZone::get(zone).unwrap();
    let owners = vec!["host@example.com".to_owned()];
    let own =
        std::collections::HashSet::from(["0191f5c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f@termin".to_owned()]);
    let opts = BusyOptions {
        host_zone: &tz,
        owner_emails: &owners,
        from: ts(from),
        to: ts(to),
        own_uids: &own,
    };
    busy_spans(ics, &opts)
        .unwrap()
        .into_iter()
        .map(|s| (s.start.to_string(), s.end.to_string()))
        .collect()
}

fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_single_event_in_utc_in_a_named_zone_and_floating() {
    let ics = cal("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTART;TZID=Europe/Berlin:20260303T090000\r\nDTEND;TZID=Europe/Berlin:20260303T093000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20260304T090000\r\nDURATION:PT45M\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(
            &ics,
            "America/New_York",
            "2026-03-01T00:00:00Z",
            "2026-03-08T00:00:00Z"
        ),
        pairs(&[
            ("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
            ("2026-03-03T08:00:00Z", "2026-03-03T08:30:00Z"),
            // Floating: the host's wall time (New York, UTC-5 in early March).
            ("2026-03-04T14:00:00Z", "2026-03-04T14:45:00Z"),
        ])
    );
}

#[test]
fn all_day_events_take_the_hosts_whole_day_even_a_short_one() {
    // 2026-03-29 is Berlin's spring-forward day: 23 hours.
    let ics = cal("BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20260329\r\nDTEND;VALUE=DATE:20260330\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:e\r\nDTSTART;VALUE=DATE:20260401\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(
            &ics,
            "Europe/Berlin",
            "2026-03-20T00:00:00Z",
            "2026-04-10T00:00:00Z"
        ),
        pairs(&[
            ("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"),
            ("2026-03-31T22:00:00Z", "2026-04-01T22:00:00Z"),
        ])
    );
}

#[test]
fn transparent_cancelled_declined_and_termins_own_events_are_free() {
    let ics = cal("BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:g\r\nDTSTART:20260302T110000Z\r\nDTEND:20260302T120000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:h\r\nDTSTART:20260302T130000Z\r\nDTEND:20260302T140000Z\r\nATTENDEE;CN=Host;PARTSTAT=DECLINED:mailto:HOST@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:other@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:i\r\nDTSTART:20260302T150000Z\r\nDTEND:20260302T160000Z\r\nATTENDEE;PARTSTAT=DECLINED:mailto:other@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:0191f5c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f@termin\r\nDTSTART:20260302T170000Z\r\nDTEND:20260302T180000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:0191f5c4-0000-7c3d-8e4f-5a6b7c8d9e0f@termin\r\nDTSTART:20260302T190000Z\r\nDTEND:20260302T200000Z\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(&ics, "UTC", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z"),
        // The event someone else declined makes the host busy, and so does another host's
        // termin appointment the host was invited to; the host's own is counted elsewhere.
        pairs(&[
            ("2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z"),
            ("2026-03-02T19:00:00Z", "2026-03-02T20:00:00Z"),
        ])
    );
}

#[test]
fn a_weekly_series_keeps_its_wall_time_across_dst_with_one_moved_and_one_deleted() {
    // Mondays 09:00 Berlin from 2026-03-16; 2026-03-29 is the change to summer time.
    let ics = cal("BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Berlin:20260316T090000\r\nDTEND;TZID=Europe/Berlin:20260316T100000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260413T070000Z\r\nEXDATE;TZID=Europe/Berlin:20260330T090000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260406T090000\r\nDTSTART;TZID=Europe/Berlin:20260407T140000\r\nDTEND;TZID=Europe/Berlin:20260407T143000\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(
            &ics,
            "America/New_York",
            "2026-03-01T00:00:00Z",
            "2026-05-01T00:00:00Z"
        ),
        pairs(&[
            ("2026-03-16T08:00:00Z", "2026-03-16T09:00:00Z"),
            ("2026-03-23T08:00:00Z", "2026-03-23T09:00:00Z"),
            // 03-30 deleted; 04-06 moved to Tuesday 14:00; 04-13 is the last (UNTIL).
            ("2026-04-07T12:00:00Z", "2026-04-07T12:30:00Z"),
            ("2026-04-13T07:00:00Z", "2026-04-13T08:00:00Z"),
        ])
    );
}

#[test]
fn a_cancelled_occurrence_and_an_all_day_series_in_the_hosts_zone() {
    let ics = cal("BEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260302T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID:20260303T090000Z\r\nDTSTART:20260303T090000Z\r\nDURATION:PT1H\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:y\r\nDTSTART;VALUE=DATE:20261024\r\nDTEND;VALUE=DATE:20261025\r\nRRULE:FREQ=DAILY;UNTIL=20261025\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(
            &ics,
            "Europe/Berlin",
            "2026-03-01T00:00:00Z",
            "2026-12-01T00:00:00Z"
        ),
        pairs(&[
            ("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
            ("2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z"),
            ("2026-10-23T22:00:00Z", "2026-10-24T22:00:00Z"),
            // 2026-10-25 is the change back to winter time: a 25-hour day.
            ("2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"),
        ])
    );
}

#[test]
fn a_zone_known_only_by_its_vtimezone_and_a_prefixed_name() {
    let ics = cal("BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n\
BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:o1\r\nDTSTART;TZID=W. Europe Standard Time:20260327T090000\r\nDTEND;TZID=W. Europe Standard Time:20260327T100000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:o2\r\nDTSTART;TZID=W. Europe Standard Time:20260331T090000\r\nDTEND;TZID=W. Europe Standard Time:20260331T100000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:m\r\nDTSTART;TZID=/mozilla.org/20050126_1/America/New_York:20260331T090000\r\nDTEND;TZID=/mozilla.org/20050126_1/America/New_York:20260331T091500\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(&ics, "UTC", "2026-03-20T00:00:00Z", "2026-04-10T00:00:00Z"),
        pairs(&[
            ("2026-03-27T08:00:00Z", "2026-03-27T09:00:00Z"),
            ("2026-03-31T07:00:00Z", "2026-03-31T08:00:00Z"),
            ("2026-03-31T13:00:00Z", "2026-03-31T13:15:00Z"),
        ])
    );
}

#[test]
fn spans_are_clipped_to_the_window_and_bad_events_are_skipped() {
    let ics = cal("BEGIN:VEVENT\r\nUID:long\r\nDTSTART:20260228T000000Z\r\nDTEND:20260310T000000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:nostart\r\nDTEND:20260302T000000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:badrule\r\nDTSTART:20260303T100000Z\r\nDTEND:20260303T110000Z\r\nRRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(&ics, "UTC", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z"),
        pairs(&[
            ("2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z"),
            // A rule termin cannot read: the first occurrence still counts.
            ("2026-03-03T10:00:00Z", "2026-03-03T11:00:00Z"),
        ])
    );
    let tz = TimeZone::UTC;
    let none = std::collections::HashSet::new();
    let opts = BusyOptions {
        host_zone: &tz,
        owner_emails: &[],
        from: ts("2026-03-01T00:00:00Z"),
        to: ts("2026-03-08T00:00:00Z"),
        own_uids: &none,
    };
    assert!(busy_spans("<html>not a calendar</html>", &opts).is_err());
}

#[test]
fn hostile_data_is_skipped_without_panicking() {
    // A length past any range, a number past i64, a zone rule with a non-ASCII time, and two
    // events without a UID (both count).
    let ics = cal("BEGIN:VTIMEZONE\r\nTZID:Odd\r\n\
BEGIN:STANDARD\r\nDTSTART:16010101T1\u{e9}0000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:huge\r\nDTSTART:20260302T090000Z\r\nDURATION:P9999999D\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:overflow\r\nDTSTART:20260302T090000Z\r\nDURATION:PT99999999999999999H\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weeks\r\nDTSTART:20260302T090000Z\r\nDURATION:P9223372036854775807W\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:odd\r\nDTSTART;TZID=Odd:20260303T090000\r\nDTEND;TZID=Odd:20260303T100000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART:20260304T090000Z\r\nDTEND:20260304T100000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART:20260305T090000Z\r\nDTEND:20260305T100000Z\r\nEND:VEVENT\r\n");
    assert_eq!(
        read(&ics, "UTC", "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z"),
        pairs(&[
            // The zone nobody can read: the host's wall time (UTC here).
            ("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z"),
            ("2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z"),
            ("2026-03-05T09:00:00Z", "2026-03-05T10:00:00Z"),
        ])
    );
}

#[test]
fn a_flood_of_occurrences_is_cut_short() {
    // 300 series every minute since 2000: far more than one read looks at.
    let mut body = String::new();
    for i in 0..300 {
        body.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:m{i}\r\nDTSTART:20000101T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n"
        ));
    }
    let started = std::time::Instant::now();
    read(
        &cal(&body),
        "UTC",
        "2026-03-01T00:00:00Z",
        "2026-03-02T00:00:00Z",
    );
    // Not a timing test: the budget bounds the work; this only catches an unbounded loop.
    assert!(started.elapsed() < std::time::Duration::from_secs(600));
}

#[test]
fn durations_read_as_rfc_5545_writes_them() {
    let d = parse_duration("P1DT2H30M").unwrap();
    assert_eq!((d.days, d.exact), (1, SignedDuration::from_mins(150)));
    assert_eq!(parse_duration("P2W").unwrap().days, 14);
    assert_eq!(
        parse_duration("-PT15M").unwrap().exact,
        SignedDuration::ZERO
    );
    assert!(parse_duration("1H").is_none());
    assert!(parse_duration("PT1").is_none());
}
