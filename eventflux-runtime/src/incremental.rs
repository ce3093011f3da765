//! The bucket store of incremental aggregations (`define aggregation`), generic over the group
//! key and the bucket: every event of the input stream updates one bucket per granularity
//! (second, minute, ... year, aligned to the calendar in UTC) and group; a join with the
//! aggregation reads the buckets of one granularity whose start is within `[from, to)`. The
//! interpreter instantiates it over values, compiled apps over generated structs.

use crate::state::{self, StateError};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use eventflux_codegen::plan::TimeUnit;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// The start (ms since the epoch, UTC) of the bucket of granularity `unit` holding `time`.
pub fn bucket_start(time: i64, unit: TimeUnit) -> i64 {
    let floor = |size: i64| time.div_euclid(size).saturating_mul(size);
    match unit {
        TimeUnit::Millisecond => time,
        TimeUnit::Second => floor(1_000),
        TimeUnit::Minute => floor(60_000),
        TimeUnit::Hour => floor(3_600_000),
        TimeUnit::Day => floor(86_400_000),
        TimeUnit::Week => floor(86_400_000),
        TimeUnit::Month | TimeUnit::Year => {
            let Some(t) = DateTime::<Utc>::from_timestamp_millis(time) else {
                return floor(86_400_000);
            };
            let month = if unit == TimeUnit::Month {
                t.month()
            } else {
                1
            };
            Utc.with_ymd_and_hms(t.year(), month, 1, 0, 0, 0)
                .single()
                .map_or(floor(86_400_000), |d| d.timestamp_millis())
        }
    }
}

/// The granularity a `per` value names (`'seconds'`, `'minutes'`, ...).
pub fn granularity(word: &str) -> Option<TimeUnit> {
    TimeUnit::from_duration_word(word)
}

/// A bound of a join's `within`, as written: milliseconds, or a date as text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound<'a> {
    /// Milliseconds since the epoch.
    Millis(i64),
    /// `yyyy-MM-dd HH:mm:ss[.SSS][ +hh:mm]`, trailing fields possibly `**` (see [`within_text`]).
    Text(&'a str),
}

/// The `[from, to)` of bucket starts a join's `within start[, end]` selects (unbounded where
/// `None`): a text bound is read by [`within_text`]; a single text with wildcards gives its own
/// end (`within "2017-06-** **:**:**"` is June 2017).
pub fn within_range(start: Option<Bound>, end: Option<Bound>) -> (Option<i64>, Option<i64>) {
    let read = |b: Option<Bound>| match b {
        Some(Bound::Millis(ms)) => Some((ms, None)),
        Some(Bound::Text(text)) => within_text(text),
        None => None,
    };
    match (read(start), end) {
        (Some((from, to)), None) => (Some(from), to),
        (from, end) => (from.map(|(f, _)| f), read(end).map(|(t, _)| t)),
    }
}

/// A date written as text, as Siddhi's aggregation `within` reads it: `yyyy-MM-dd HH:mm:ss`
/// with optional milliseconds (`.SSS`) and UTC offset (` +05:30`; UTC otherwise). Returns its
/// instant, and when its trailing fields are wildcards (`2017-06-** **:**:**`) the end of the
/// period it names (the month, here). `None` when the text is no such date.
pub fn within_text(text: &str) -> Option<(i64, Option<i64>)> {
    let text = text.trim();
    let (datetime, offset_ms) = match text.rsplit_once(' ') {
        Some((rest, zone)) if zone.starts_with(['+', '-']) && zone.len() == 6 => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':')?;
            let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
            (rest, sign * minutes * 60_000)
        }
        _ => (text, 0),
    };
    let (date, time) = datetime.split_once(' ')?;
    let mut fields: Vec<&str> = date.split('-').collect();
    let (clock, millis) = match time.split_once('.') {
        Some((clock, ms)) => (clock, Some(ms)),
        None => (time, None),
    };
    fields.extend(clock.split(':'));
    if fields.len() != 6 {
        return None;
    }
    let wild = |f: &str| f.chars().all(|c| c == '*') && !f.is_empty();
    let given = fields.iter().take_while(|f| !wild(f)).count();
    if given == 0 || fields[given..].iter().any(|f| !wild(f)) {
        return None;
    }
    let mut values = [1970i64, 1, 1, 0, 0, 0];
    for (i, f) in fields[..given].iter().enumerate() {
        values[i] = f.parse().ok()?;
    }
    let start = Utc
        .with_ymd_and_hms(
            values[0] as i32,
            values[1] as u32,
            values[2] as u32,
            values[3] as u32,
            values[4] as u32,
            values[5] as u32,
        )
        .single()?;
    let ms = match (given, millis) {
        (6, Some(ms)) => ms.parse::<i64>().ok()?,
        _ => 0,
    };
    let end = match given {
        1 => start.checked_add_months(chrono::Months::new(12)),
        2 => start.checked_add_months(chrono::Months::new(1)),
        3 => Some(start + chrono::Duration::days(1)),
        4 => Some(start + chrono::Duration::hours(1)),
        5 => Some(start + chrono::Duration::minutes(1)),
        _ => None,
    };
    let at = |t: DateTime<Utc>| t.timestamp_millis() - offset_ms;
    Some((at(start) + ms, end.map(at)))
}

/// An event time written as text in an `aggregate by` attribute, as Siddhi's
/// `timestampInMilliseconds` reads it: `yyyy-MM-dd HH:mm:ss` with optional milliseconds and
/// UTC offset (no wildcards). `None` when the text is no such time.
pub fn timestamp_text(text: &str) -> Option<i64> {
    match within_text(text)? {
        (time, None) => Some(time),
        (_, Some(_)) => None,
    }
}

fn unit_index(unit: TimeUnit) -> u8 {
    TimeUnit::ALL.iter().position(|u| *u == unit).unwrap_or(0) as u8
}

/// A bucket's latest event: the one with the latest event time (the latest to arrive among
/// equal times), as Siddhi keeps a bucket's non-aggregate attributes when events come out of
/// order.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Latest<E> {
    /// The event.
    pub event: E,
    /// Its event time.
    pub time: i64,
}

impl<E> Latest<E> {
    /// The first event of a bucket, at `time`.
    pub fn new(time: i64, event: E) -> Self {
        Latest { event, time }
    }

    /// Takes the event `make` gives when `time` is not before the latest one's.
    pub fn offer(&mut self, time: i64, make: impl FnOnce() -> E) {
        if time >= self.time {
            self.event = make();
            self.time = time;
        }
    }
}

/// The buckets of one aggregation: per granularity, bucket start and group key `K`, a bucket
/// `B` (its aggregates and latest event).
#[derive(Clone, Debug)]
pub struct Buckets<K, B> {
    durations: Vec<TimeUnit>,
    by_unit: BTreeMap<TimeUnit, BTreeMap<i64, BTreeMap<K, B>>>,
    purge: Option<Purge>,
}

/// When and what a store purges (see [`Buckets::with_purge`]).
#[derive(Clone, Debug)]
struct Purge {
    /// Wall-clock ms between purges.
    interval: i64,
    /// Each granularity's retention in ms (`None`: kept).
    retention: Vec<(TimeUnit, Option<i64>)>,
    /// The wall-clock time of the next purge (set at the first event).
    next: Option<i64>,
    /// Events taken since the wall clock was last read.
    since_check: u32,
}

/// How many events a store takes between two readings of the wall clock for its purge.
const PURGE_CHECK_EVERY: u32 = 256;

impl<K: Ord + Clone, B> Buckets<K, B> {
    /// An empty store keeping the granularities `durations`.
    pub fn new(durations: Vec<TimeUnit>) -> Self {
        Buckets {
            durations,
            by_unit: BTreeMap::new(),
            purge: None,
        }
    }

    /// Purges the store every `interval` ms of wall-clock time, as Siddhi's
    /// `IncrementalDataPurger`: each granularity with a retention loses the buckets that start
    /// more than that retention before the wall clock.
    pub fn with_purge(mut self, interval: i64, retention: Vec<(TimeUnit, Option<i64>)>) -> Self {
        self.purge = Some(Purge {
            interval: interval.max(1),
            retention,
            next: None,
            since_check: 0,
        });
        self
    }

    /// Drops, in each granularity with a retention, the buckets that start more than that
    /// retention before `now`.
    pub fn purge_before(&mut self, now: i64) {
        let Some(purge) = &self.purge else {
            return;
        };
        for (unit, retention) in &purge.retention {
            if let (Some(retention), Some(starts)) = (retention, self.by_unit.get_mut(unit)) {
                *starts = starts.split_off(&now.saturating_sub(*retention));
            }
        }
    }

    /// Runs the purge when its wall-clock time has come (reading the clock every
    /// [`PURGE_CHECK_EVERY`] events).
    fn purge_when_due(&mut self) {
        let Some(purge) = &mut self.purge else {
            return;
        };
        purge.since_check += 1;
        if purge.next.is_some() && purge.since_check < PURGE_CHECK_EVERY {
            return;
        }
        purge.since_check = 0;
        let now = crate::clock::now_ms();
        match purge.next {
            None => purge.next = Some(now.saturating_add(purge.interval)),
            Some(next) if now >= next => {
                purge.next = Some(now.saturating_add(purge.interval));
                self.purge_before(now);
            }
            Some(_) => {}
        }
    }

    /// Takes an event at `time` of group `key`: in each granularity, `add` updates the
    /// bucket holding `time`, which `new` makes when it is missing.
    pub fn add(
        &mut self,
        time: i64,
        key: &K,
        mut new: impl FnMut() -> B,
        mut add: impl FnMut(&mut B),
    ) {
        self.purge_when_due();
        for unit in &self.durations {
            let starts = self.by_unit.entry(*unit).or_default();
            let groups = starts.entry(bucket_start(time, *unit)).or_default();
            let bucket = match groups.get_mut(key) {
                Some(b) => b,
                None => groups.entry(key.clone()).or_insert_with(&mut new),
            };
            add(bucket);
        }
    }

    /// The buckets of granularity `per` starting within `[from, to)` (unbounded where
    /// `None`), with their start, in order of start and then group.
    pub fn range(
        &self,
        per: TimeUnit,
        from: Option<i64>,
        to: Option<i64>,
    ) -> impl Iterator<Item = (i64, &B)> {
        let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
        self.by_unit
            .get(&per)
            .filter(|_| from < to)
            .into_iter()
            .flat_map(move |starts| starts.range(from..to))
            .flat_map(|(start, groups)| groups.values().map(move |b| (*start, b)))
    }

    /// The buckets as bytes.
    pub fn snapshot(&self) -> Result<Vec<u8>, StateError>
    where
        K: Serialize,
        B: Serialize,
    {
        let mut all: Vec<(u8, i64, &K, &B)> = Vec::new();
        for (unit, starts) in &self.by_unit {
            for (start, groups) in starts {
                for (key, bucket) in groups {
                    all.push((unit_index(*unit), *start, key, bucket));
                }
            }
        }
        state::encode(&all)
    }

    /// Replaces the buckets with a snapshot's.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError>
    where
        K: DeserializeOwned,
        B: DeserializeOwned,
    {
        let all: Vec<(u8, i64, K, B)> = state::decode(bytes)?;
        let mut by_unit: BTreeMap<TimeUnit, BTreeMap<i64, BTreeMap<K, B>>> = BTreeMap::new();
        for (u, start, key, bucket) in all {
            let unit = TimeUnit::ALL
                .get(u as usize)
                .copied()
                .ok_or_else(|| StateError::Decode(format!("no time unit {u}")))?;
            by_unit
                .entry(unit)
                .or_default()
                .entry(start)
                .or_default()
                .insert(key, bucket);
        }
        self.by_unit = by_unit;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_to_the_calendar_in_utc() {
        let t = 1_496_289_950_123; // 2017-06-01T04:05:50.123Z
        assert_eq!(bucket_start(t, TimeUnit::Second), 1_496_289_950_000);
        assert_eq!(bucket_start(t, TimeUnit::Minute), 1_496_289_900_000);
        assert_eq!(bucket_start(t, TimeUnit::Hour), 1_496_289_600_000);
        assert_eq!(bucket_start(t, TimeUnit::Day), 1_496_275_200_000);
        assert_eq!(bucket_start(t, TimeUnit::Month), 1_496_275_200_000);
        assert_eq!(bucket_start(t, TimeUnit::Year), 1_483_228_800_000);
    }

    fn counts(
        b: &Buckets<&'static str, u32>,
        per: TimeUnit,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Vec<(i64, u32)> {
        b.range(per, from, to).map(|(s, n)| (s, *n)).collect()
    }

    #[test]
    fn within_text_reads_dates_and_wildcard_periods() {
        assert_eq!(
            within_text("2017-06-01 04:05:50"),
            Some((1_496_289_950_000, None))
        );
        assert_eq!(
            within_text("2017-06-01 09:35:50 +05:30"),
            Some((1_496_289_950_000, None))
        );
        assert_eq!(
            within_text("2017-06-** **:**:**"),
            Some((1_496_275_200_000, Some(1_498_867_200_000)))
        );
        assert_eq!(
            within_text("2017-**-** **:**:**"),
            Some((1_483_228_800_000, Some(1_514_764_800_000)))
        );
        assert_eq!(within_text("2017-06-01 **:05:**"), None);
        assert_eq!(within_text("June 2017"), None);
        assert_eq!(
            within_range(Some(Bound::Text("2017-06-** **:**:**")), None),
            (Some(1_496_275_200_000), Some(1_498_867_200_000))
        );
        assert_eq!(
            within_range(
                Some(Bound::Millis(5)),
                Some(Bound::Text("1970-01-01 00:00:01"))
            ),
            (Some(5), Some(1_000))
        );
    }

    #[test]
    fn each_granularity_counts_its_own_buckets_and_ranges_are_half_open() {
        let mut b: Buckets<&'static str, u32> =
            Buckets::new(vec![TimeUnit::Second, TimeUnit::Minute]);
        for (t, k) in [(1_000, "a"), (1_500, "b"), (2_000, "a"), (61_000, "a")] {
            b.add(t, &k, || 0, |n| *n += 1);
        }
        assert_eq!(
            counts(&b, TimeUnit::Second, None, None),
            vec![(1_000, 1), (1_000, 1), (2_000, 1), (61_000, 1)]
        );
        assert_eq!(
            counts(&b, TimeUnit::Minute, None, None),
            vec![(0, 2), (0, 1), (60_000, 1)]
        );
        assert_eq!(
            counts(&b, TimeUnit::Second, Some(1_000), Some(2_000)),
            vec![(1_000, 1), (1_000, 1)]
        );
        assert_eq!(
            counts(&b, TimeUnit::Second, Some(5_000), Some(1_000)),
            vec![]
        );
        assert_eq!(counts(&b, TimeUnit::Hour, None, None), vec![]);
    }

    #[test]
    fn a_purge_drops_each_granularitys_buckets_older_than_its_retention() {
        let mut b: Buckets<&'static str, u32> =
            Buckets::new(vec![TimeUnit::Second, TimeUnit::Minute]).with_purge(
                1_000,
                vec![(TimeUnit::Second, Some(120_000)), (TimeUnit::Minute, None)],
            );
        for t in [1_000, 59_000, 61_000, 200_000] {
            b.add(t, &"a", || 0, |n| *n += 1);
        }
        b.purge_before(181_000);
        assert_eq!(
            counts(&b, TimeUnit::Second, None, None),
            vec![(61_000, 1), (200_000, 1)]
        );
        assert_eq!(
            counts(&b, TimeUnit::Minute, None, None),
            vec![(0, 2), (60_000, 1), (180_000, 1)]
        );
    }

    #[test]
    fn snapshots_restore_every_bucket() {
        let mut b: Buckets<String, u32> = Buckets::new(vec![TimeUnit::Second, TimeUnit::Hour]);
        for t in [0, 999, 1_000, 3_600_000] {
            b.add(t, &"k".to_string(), || 0, |n| *n += 1);
        }
        let bytes = b.snapshot().expect("encodes");
        let mut restored: Buckets<String, u32> =
            Buckets::new(vec![TimeUnit::Second, TimeUnit::Hour]);
        restored.restore(&bytes).expect("decodes");
        let all = |b: &Buckets<String, u32>, per| {
            b.range(per, None, None)
                .map(|(s, n)| (s, *n))
                .collect::<Vec<_>>()
        };
        assert_eq!(all(&restored, TimeUnit::Second), all(&b, TimeUnit::Second));
        assert_eq!(all(&restored, TimeUnit::Hour), vec![(0, 3), (3_600_000, 1)]);
    }
}
