//! The one source of "now" for every use case and job. Production reads the system clock; tests
//! set a [`ManualClock`] and move it, instead of sleeping or depending on the hour they run at.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System,
    Manual(Arc<Mutex<Timestamp>>),
}

impl Clock {
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// The current time, at the millisecond precision the database keeps, so that what an
    /// answer shows right after a write equals what a later read shows.
    pub fn now(&self) -> Timestamp {
        let t = match &self.0 {
            Source::System => Timestamp::now(),
            Source::Manual(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        };
        Timestamp::from_millisecond(t.as_millisecond()).unwrap_or(t)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Manual(_) => write!(f, "Clock::manual({})", self.now()),
        }
    }
}

/// A clock that stands still until it is set or advanced.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn starting_at(t: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }

    /// The [`Clock`] the service reads; it follows every change made here.
    pub fn clock(&self) -> Clock {
        Clock(Source::Manual(self.0.clone()))
    }

    pub fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start: Timestamp = "2030-03-09T14:00:00.123456Z".parse().unwrap();
        let manual = ManualClock::starting_at(start);
        let clock = manual.clock();
        assert_eq!(clock.now().to_string(), "2030-03-09T14:00:00.123Z");
        manual.advance(SignedDuration::from_mins(90));
        assert_eq!(clock.now().to_string(), "2030-03-09T15:30:00.123Z");
        manual.set("2031-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(clock.now().to_string(), "2031-01-01T00:00:00Z");
    }
}
