//! The clock both paths share: how an event is stamped, how the clock moves through the timers
//! due on the way, and the wall clock. The interpreter's `App` and every compiled app implement
//! [`Timers`] and move their clock with [`advance_to`], so timers fire the same way in both.

use crate::interpreter::SendError;

/// How many timers one move of the clock fires at most: a jump far ahead past a periodic
/// timer that has work each period (a trigger) is spread over the following moves instead of
/// stalling the app. Idle periodic timers skip ahead in one step and do not count.
pub const MAX_TIMER_FIRINGS: usize = 1_000_000;

/// The wall-clock time in ms since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

thread_local! {
    /// The time `currentTimeMillis()` gives on this thread while a playback app processes an
    /// event or moves its clock (see [`PlaybackTime`]); `None`: the wall clock.
    static PLAYBACK_NOW: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// While alive, `currentTimeMillis()` gives `time` on this thread: a playback app holds one
/// while it processes an event (or moves its clock) to `time`, as Siddhi's function gives the
/// last event's time in playback, also to the timers that fire on the way. Dropping it puts
/// back what was there before (an app called from another app's callback).
#[must_use = "the time holds only while the guard is alive"]
pub struct PlaybackTime {
    previous: Option<i64>,
}

impl PlaybackTime {
    /// Makes `currentTimeMillis()` give `time` until the guard is dropped.
    pub fn enter(time: i64) -> Self {
        PlaybackTime {
            previous: PLAYBACK_NOW.replace(Some(time)),
        }
    }
}

impl Drop for PlaybackTime {
    fn drop(&mut self) {
        PLAYBACK_NOW.set(self.previous);
    }
}

/// What `currentTimeMillis()` gives: the time of the event a playback app is processing, the
/// wall clock otherwise.
pub fn current_time_millis() -> i64 {
    PLAYBACK_NOW.get().unwrap_or_else(now_ms)
}

/// The time an event sent to `stream` gets: in playback its own `timestamp` (or the clock),
/// refused when older than the clock; otherwise the wall clock (or `timestamp`), never before
/// the clock.
#[inline]
pub fn stamp(
    stream: &str,
    playback: bool,
    clock: i64,
    timestamp: Option<i64>,
) -> Result<i64, SendError> {
    if playback {
        let ts = timestamp.unwrap_or(clock);
        if ts < clock {
            return Err(SendError::OutOfOrder {
                stream: stream.to_string(),
                timestamp: ts,
                clock,
            });
        }
        Ok(ts)
    } else {
        Ok(timestamp.unwrap_or_else(now_ms).max(clock))
    }
}

/// The earlier of two due times (`None`: no timer).
pub fn earlier(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Finds the earliest of the timers offered to it (each a due time, `None` for no timer, and
/// what to fire), and the horizon after it: the next due time of a timer outside its group.
/// Timers of one group (the instances of one partitioned query, one per key) do not bound
/// each other's horizon, so that idle instances skip a clock jump in one step each instead of
/// taking turns period by period (what one instance emits on a timer goes to its own key's
/// instances, not into another key's window).
pub struct Earliest<T> {
    /// The earliest timer: its due time, itself and its group.
    best: Option<(i64, T, Option<u64>)>,
    /// The earliest due time among timers outside the best one's group.
    second: Option<i64>,
}

impl<T> Default for Earliest<T> {
    #[inline]
    fn default() -> Self {
        Earliest {
            best: None,
            second: None,
        }
    }
}

impl<T> Earliest<T> {
    /// Considers a timer due at `due` (`None`: nothing pending), in a group of its own.
    #[inline]
    pub fn offer(&mut self, due: Option<i64>, timer: T) {
        self.offer_grouped(due, timer, None);
    }

    /// Considers a timer due at `due` (`None`: nothing pending) of group `group` (`None`: a
    /// group of its own).
    #[inline]
    pub fn offer_grouped(&mut self, due: Option<i64>, timer: T, group: Option<u64>) {
        let Some(due) = due else {
            return;
        };
        let other_group = |best: Option<u64>| group.is_none() || group != best;
        match &self.best {
            Some((b, _, g)) if due >= *b => {
                if other_group(*g) {
                    self.second = earlier(self.second, Some(due));
                }
            }
            _ => {
                // A new best of the same group leaves the horizon as it was; of another group,
                // the old best bounds it.
                if let Some((b, _, g)) = &self.best
                    && other_group(*g)
                {
                    self.second = earlier(self.second, Some(*b));
                }
                self.best = Some((due, timer, group));
            }
        }
    }

    /// The earliest timer, its due time and its horizon (the next due time outside its
    /// group).
    #[inline]
    pub fn finish(self) -> Option<(i64, T, Option<i64>)> {
        let second = self.second;
        self.best.map(|(due, timer, _)| (due, timer, second))
    }
}

/// The [`Earliest`] group of the timers of query `query` of partition `partition`, one per key
/// instance.
pub const fn partition_timer_group(partition: usize, query: usize) -> u64 {
    ((partition as u64) << 32) | query as u64
}

/// An app's timers and clock, as [`advance_to`] drives them.
pub trait Timers {
    /// What identifies one timer.
    type Timer;
    /// The earliest timer, and the due time of the next one after it (see [`Earliest`]).
    fn next_timer(&self) -> Option<(i64, Self::Timer, Option<i64>)>;
    /// Fires `timer`, due at `due`; idle periodic timers may skip ahead to `horizon`.
    fn fire(&mut self, timer: Self::Timer, due: i64, horizon: i64);
    /// The clock, in ms.
    fn clock_mut(&mut self) -> &mut i64;
}

/// Moves the clock of `app` to `time`, firing every timer due on the way, in order, each with
/// the clock at its due time.
pub fn advance_to<A: Timers>(app: &mut A, time: i64) {
    let mut firings = 0usize;
    while let Some((due, timer, next_other)) = app.next_timer() {
        if due > time {
            break;
        }
        if firings == MAX_TIMER_FIRINGS {
            eprintln!(
                "error: the clock moved to {time} at once: {MAX_TIMER_FIRINGS} timers fired on the way; the rest fire as the clock moves on"
            );
            break;
        }
        firings += 1;
        let clock = app.clock_mut();
        *clock = (*clock).max(due);
        let horizon = next_other.map_or(time, |other| other.min(time));
        app.fire(timer, due, horizon);
    }
    let clock = app.clock_mut();
    *clock = (*clock).max(time);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_gives_the_first_timer_and_the_next_one() {
        let timers = [
            (Some(30), 'a'),
            (None, 'b'),
            (Some(10), 'c'),
            (Some(20), 'd'),
        ];
        let earliest = |timers: &[(Option<i64>, char)]| {
            let mut e = Earliest::default();
            for (due, timer) in timers {
                e.offer(*due, *timer);
            }
            e.finish()
        };
        assert_eq!(earliest(&timers), Some((10, 'c', Some(20))));
        assert_eq!(earliest(&[(None, 'x')]), None);
    }

    #[test]
    fn the_horizon_skips_timers_of_the_earliest_ones_group() {
        let earliest = |timers: &[(Option<i64>, char, Option<u64>)]| {
            let mut e = Earliest::default();
            for (due, timer, group) in timers {
                e.offer_grouped(*due, *timer, *group);
            }
            e.finish()
        };
        // Three instances of one partitioned query due together, and a trigger later.
        let timers = [
            (Some(10), 'a', Some(1)),
            (Some(10), 'b', Some(1)),
            (Some(50), 't', None),
            (Some(5), 'c', Some(1)),
        ];
        assert_eq!(earliest(&timers), Some((5, 'c', Some(50))));
        // Another group's timer bounds the horizon, whichever comes first.
        let timers = [
            (Some(10), 'a', Some(1)),
            (Some(20), 'x', Some(2)),
            (Some(5), 'c', Some(1)),
        ];
        assert_eq!(earliest(&timers), Some((5, 'c', Some(20))));
        let timers = [
            (Some(20), 'x', Some(2)),
            (Some(10), 'a', Some(1)),
            (Some(30), 'b', Some(1)),
        ];
        assert_eq!(earliest(&timers), Some((10, 'a', Some(20))));
    }

    #[test]
    fn playback_refuses_events_older_than_the_clock() {
        assert_eq!(stamp("S", true, 5, Some(7)).ok(), Some(7));
        assert_eq!(stamp("S", true, 5, None).ok(), Some(5));
        assert!(stamp("S", true, 5, Some(4)).is_err());
        assert_eq!(stamp("S", false, i64::MAX, Some(4)).ok(), Some(i64::MAX));
    }
}
