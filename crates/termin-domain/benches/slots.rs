//! How long one booking page's worth of slots takes: one host in Europe/Berlin, Monday to
//! Friday 09:00-17:00, 20 date exceptions, 2,000 existing 30-minute appointments over a 60-day
//! window (across the March DST change), 15-minute grid, 30-minute meetings, 10-minute buffers.
//!
//! Run with `cargo bench -p termin-domain --bench slots`. Plain `Instant` timing, no harness:
//! the number that matters is the median of many calls, printed as one line.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use termin_domain::availability::{
    Availability, DateException, ExceptionKind, HourRange, WeeklySchedule,
};
use termin_domain::slots::{bookable_slots, Busy, Host, Method, SlotQuery};

const WARM_UP: usize = 200;
const RUNS: usize = 2_000;

/// A small deterministic generator (xorshift), so every run measures the same scenario.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn main() {
    let first_day: Date = "2026-03-02".parse().unwrap(); // a Monday
    let window_start: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
    let window_end = window_start + SignedDuration::from_hours(60 * 24);

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let exceptions: Vec<DateException> = (0..20)
        .map(|i| {
            let date = first_day.checked_add((i * 3).days()).unwrap();
            let (kind, hours) = match i % 3 {
                0 => (ExceptionKind::Blocked, vec![]),
                1 => (
                    ExceptionKind::Blocked,
                    vec![HourRange::new(12 * 60, 14 * 60).unwrap()],
                ),
                _ => (
                    ExceptionKind::Available,
                    vec![HourRange::new(10 * 60, 15 * 60).unwrap()],
                ),
            };
            DateException { date, kind, hours }
        })
        .collect();
    let availability = Availability::new(
        TimeZone::get("Europe/Berlin").unwrap(),
        WeeklySchedule::default_business_hours(),
        exceptions,
    );

    // Spread over the 60 days, at any time of day on a 5-minute grid; some overlap.
    let mut busy: Vec<Busy> = (0..2_000)
        .map(|_| {
            let minute = rng.below(60 * 24 * 12) as i64 * 5;
            let start = window_start + SignedDuration::from_mins(minute);
            Busy {
                start,
                end: start + SignedDuration::from_mins(30),
                joinable: false,
            }
        })
        .collect();
    busy.sort_by_key(|b| b.start);

    let query = SlotQuery {
        window_start,
        window_end,
        now: window_start,
        duration: SignedDuration::from_mins(30),
        interval: SignedDuration::from_mins(15),
        buffer_before: SignedDuration::from_mins(10),
        buffer_after: SignedDuration::from_mins(10),
        minimum_notice: SignedDuration::from_hours(4),
        horizon: Some(SignedDuration::from_hours(60 * 24)),
        method: Method::Anyone,
    };
    let hosts = [Host {
        availability: &availability,
        busy: &busy,
    }];

    let mut slots = 0;
    for _ in 0..WARM_UP {
        slots = black_box(bookable_slots(black_box(&query), black_box(&hosts))).len();
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(bookable_slots(black_box(&query), black_box(&hosts)));
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "slot engine: median {:.1} µs, p95 {:.1} µs, slots={slots}",
        micros(times[RUNS / 2]),
        micros(times[RUNS * 95 / 100]),
    );
}
