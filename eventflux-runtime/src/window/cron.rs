//! `cron('expression')`: holds events until the cron schedule fires, then the previously emitted
//! batch expires, a `Reset` follows and the held events are emitted as the new batch. A firing
//! with no events held does nothing (as in Siddhi, the previous batch stays). The window's
//! contents are the last emitted batch.
//!
//! Expressions use Quartz's syntax as Siddhi does: six or seven fields, seconds first
//! (`sec min hour day-of-month month day-of-week [year]`), `?` for "no specific value", days of
//! the week `1-7` = `SUN-SAT`, names for months and days, ranges, lists and steps. Quartz's
//! `L`, `W` and `#` are not supported. Times are the app clock in ms since the Unix epoch, in
//! UTC; the schedule fires at whole seconds.

use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::schedule::CronSchedule;
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};

pub use crate::schedule::CronError;

/// The cron window.
#[derive(Clone, Debug)]
pub struct CronWindow<E> {
    schedule: Option<CronSchedule>,
    state: State<E>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E> {
    /// When the schedule fires next (only while events are held).
    next: Option<i64>,
    pending: Vec<Event<E>>,
    previous: Vec<Event<E>>,
}

impl<E> CronWindow<E> {
    /// A window emitting its events whenever the Quartz-style cron `expression` fires.
    pub fn new(expression: &str) -> Result<Self, CronError> {
        Ok(CronWindow::with(Some(CronSchedule::parse(expression)?)))
    }

    /// A window for an expression the checker already accepted (it parses cron expressions
    /// with the same parser), as compiled apps build it; one that still does not parse never
    /// fires.
    pub fn checked(expression: &str) -> Self {
        CronWindow::with(CronSchedule::parse(expression).ok())
    }

    fn with(schedule: Option<CronSchedule>) -> Self {
        CronWindow {
            schedule,
            state: State {
                next: None,
                pending: Vec::new(),
                previous: Vec::new(),
            },
        }
    }

    /// The first time after `time` (ms) at which the schedule fires.
    fn next_after(&self, time: i64) -> Option<i64> {
        self.schedule.as_ref()?.next_after(time)
    }
}

impl<E: Data> CronWindow<E> {
    fn fire(&mut self, now: i64, out: &mut Chunk<E>) {
        let Some(due) = self.state.next.filter(|due| *due <= now) else {
            return;
        };
        self.state.next = None;
        let batch = std::mem::take(&mut self.state.pending);
        let Some(first) = batch.first() else {
            return;
        };
        for e in self.state.previous.drain(..) {
            out.push(Event::expired(due, e.data));
        }
        out.push(Event::reset(due, first.data.clone()));
        out.extend(batch.iter().cloned());
        self.state.previous = batch;
    }
}

impl<E: Data> Window<E> for CronWindow<E> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        self.fire(now, out);
        if input.is_empty() {
            return;
        }
        if self.state.next.is_none() {
            self.state.next = self.next_after(now);
        }
        self.state.pending.extend(input);
    }

    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        self.fire(now, out);
    }

    fn next_due(&self) -> Option<i64> {
        self.state.next
    }

    fn contents(&self) -> Vec<&Event<E>> {
        self.state.previous.iter().collect()
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(CronWindow {
            schedule: self.schedule.clone(),
            state: State {
                next: None,
                pending: Vec::new(),
                previous: Vec::new(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, advance, at, check_round_trip, cur, drive, exp, rst};

    fn steps() -> Vec<Step<i32>> {
        vec![
            at(1000, 1),
            at(2000, 2),
            advance(5000),
            at(6000, 3),
            advance(12000),
            advance(20000),
            at(20000, 4),
        ]
    }

    #[test]
    fn emits_held_events_when_the_schedule_fires() {
        let mut w = CronWindow::new("*/5 * * * * ?").expect("valid");
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                rst(5000, 1),
                cur(1000, 1),
                cur(2000, 2),
                exp(10000, 1),
                exp(10000, 2),
                rst(10000, 3),
                cur(6000, 3),
            ]
        );
        assert_eq!(w.contents(), vec![&cur(6000, 3)]);
        assert_eq!(w.next_due(), Some(25000));
    }

    #[test]
    fn noon_does_not_come_in_the_first_seconds() {
        let mut w = CronWindow::new("0 0 12 * * ?").expect("valid");
        let out = drive(&mut w, &[at(1000, 1), at(2000, 2), advance(3000)]);
        assert!(out.is_empty());
        assert_eq!(w.next_due(), Some(12 * 3_600_000));
    }

    #[test]
    fn quartz_fields() {
        let w: CronWindow<i32> = CronWindow::new("0 0 0 1 1 ? 1971").expect("valid");
        assert_eq!(w.next_after(0), Some(31_536_000_000));
        // Day of week 1 is Sunday; 1970-01-01 was a Thursday.
        let w: CronWindow<i32> = CronWindow::new("0 0 0 ? * 1").expect("valid");
        assert_eq!(w.next_after(0), Some(3 * 86_400_000));
        let w: CronWindow<i32> = CronWindow::new("30 15 10 ? * MON-FRI").expect("valid");
        assert_eq!(w.next_after(0), Some(36_930_000));
        assert_eq!(w.next_after(crate::schedule::LAST_FIRING), None);
        assert_eq!(w.next_after(i64::MIN), None);
    }

    #[test]
    fn a_bad_expression_is_an_error() {
        let e = CronWindow::<i32>::new("every minute").expect_err("invalid");
        assert!(e.to_string().contains("every minute"));
    }

    #[test]
    fn snapshot_round_trip() {
        let w = CronWindow::new("*/5 * * * * ?").expect("valid");
        for split in 0..=steps().len() {
            check_round_trip(&w, &steps(), split);
        }
    }
}
