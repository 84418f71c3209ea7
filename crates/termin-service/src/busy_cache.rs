//! Hosts' busy time, kept between requests for bookable times.
//!
//! A booking page asks for the same weeks again and again, and a team's month is thousands of
//! busy intervals: reading them is most of what listing a team's times costs. So each host's
//! intervals for a window are kept here, stamped with the host's `busy_version`. Every write to
//! a host's appointments counts that version up in the same transaction (a database trigger),
//! and a request reads the versions with the hosts' user rows; a kept copy is used only while
//! its version is the one just read. That holds across nodes, since the version lives in the
//! database: another node's booking changes the version, and the copy here is not used again.
//!
//! Booking never reads from here: it reads busy time inside its write transaction.
//!
//! The cache is bounded by the intervals it holds; when full it starts over (a window nobody
//! asks for again is dropped with the rest, and the next request reads from the database).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use termin_domain::slots::Busy;
use termin_domain::UserId;

/// At most this many intervals are kept (about 20 MiB).
const MAX_INTERVALS: usize = 256 * 1024;

#[derive(Default)]
pub struct BusyCache {
    inner: Mutex<Kept>,
}

/// A host and a window `[from, to)`.
type Key = (UserId, Timestamp, Timestamp);

#[derive(Default)]
struct Kept {
    /// The busy version each copy was read at, and the copy.
    entries: HashMap<Key, (i64, Arc<[Busy]>)>,
    intervals: usize,
}

impl BusyCache {
    /// The kept intervals of `host` for exactly the window `[from, to)`, if kept at `version`.
    pub fn get(
        &self,
        host: UserId,
        version: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> Option<Arc<[Busy]>> {
        let kept = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match kept.entries.get(&(host, from, to)) {
            Some((v, busy)) if *v == version => Some(busy.clone()),
            _ => None,
        }
    }

    /// Keeps `busy` as the intervals of `host` for `[from, to)` at `version`, unless a newer
    /// version is kept already.
    pub fn put(
        &self,
        host: UserId,
        version: i64,
        from: Timestamp,
        to: Timestamp,
        busy: Arc<[Busy]>,
    ) {
        if busy.len() > MAX_INTERVALS {
            return;
        }
        let mut kept = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((v, old)) = kept.entries.get(&(host, from, to)) {
            if *v > version {
                return;
            }
            let old = old.len();
            kept.intervals -= old;
        }
        if kept.intervals + busy.len() > MAX_INTERVALS {
            kept.entries.clear();
            kept.intervals = 0;
        }
        kept.intervals += busy.len();
        kept.entries.insert((host, from, to), (version, busy));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(minute: i64) -> Busy {
        let at = Timestamp::from_second(minute * 60).unwrap();
        Busy {
            start: at,
            end: at + jiff::SignedDuration::from_mins(30),
            joinable: false,
        }
    }

    #[test]
    fn a_copy_is_used_only_at_its_version_and_window() {
        let cache = BusyCache::default();
        let host = UserId::new();
        let (from, to) = (
            Timestamp::UNIX_EPOCH,
            Timestamp::from_second(86_400).unwrap(),
        );
        cache.put(host, 3, from, to, vec![row(60)].into());
        assert_eq!(cache.get(host, 3, from, to).map(|b| b.len()), Some(1));
        assert!(cache.get(host, 4, from, to).is_none(), "a newer version");
        assert!(cache
            .get(host, 3, from, Timestamp::from_second(1).unwrap())
            .is_none());
        assert!(cache.get(UserId::new(), 3, from, to).is_none());
        // An older copy does not replace a newer one.
        cache.put(host, 5, from, to, vec![].into());
        cache.put(host, 4, from, to, vec![row(1), row(2)].into());
        assert_eq!(cache.get(host, 5, from, to).map(|b| b.len()), Some(0));
    }

    #[test]
    fn it_stays_within_its_bound() {
        let cache = BusyCache::default();
        let host = UserId::new();
        let big: Arc<[Busy]> = (0..MAX_INTERVALS as i64 / 2 + 1).map(row).collect();
        for day in 0..4 {
            let from = Timestamp::from_second(day * 86_400).unwrap();
            cache.put(host, 1, from, from, big.clone());
            let kept = cache.inner.lock().unwrap();
            assert!(kept.intervals <= MAX_INTERVALS);
            assert_eq!(
                kept.intervals,
                kept.entries.values().map(|e| e.1.len()).sum::<usize>()
            );
        }
    }
}
