//! `externalTimeBatch(ts, T[, start.time[, timeout[, replace.with.batchtime]]])`: batches of `T`
//! ms of a long timestamp attribute, as Siddhi's `ExternalTimeBatchWindowProcessor`.
//!
//! - The first batch starts at the first event's `ts` (or is aligned to `start.time`: it ends at
//!   the first `start.time + k*T` after that `ts`, computed with Java's truncating remainder).
//! - An event with `ts` before the batch end joins the batch (also a late one). An event at or
//!   past the end flushes the batch: the previous batch expires, a `Reset` follows, then the
//!   batch is emitted; the next end is aligned to the largest `ts` seen, so empty periods produce
//!   nothing. Expired and `Reset` events carry that largest `ts` (the window's own time).
//! - With a `timeout`, a timer on the app clock flushes the batch when no batch closed for
//!   `timeout` ms. Events that still belong to a batch flushed that way are emitted when the
//!   batch is flushed again: the part already emitted expires, then after a `Reset` the whole
//!   batch is emitted (the earlier part again as current events).
//! - With `replace.with.batchtime`, each event's timestamp attribute is replaced by the end of
//!   the batch it joined.

use super::{Accessor, Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;

/// Writes a batch end time into an event's timestamp attribute (`replace.with.batchtime`).
pub type BatchTimeSetter<E> = Arc<dyn Fn(&mut E, i64) + Send + Sync>;

/// The external-time batch window.
pub struct ExternalTimeBatchWindow<E, A> {
    timestamp: A,
    period: i64,
    start_time: Option<i64>,
    /// An attribute holding the start time, read from the first event (`start.time` given as
    /// an attribute): the first batch ends one period after it.
    start_attribute: Option<A>,
    timeout: Option<i64>,
    replace: Option<BatchTimeSetter<E>>,
    state: State<E>,
    _data: PhantomData<fn(&E)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E> {
    /// End of the batch being filled (`None` before the first event).
    end: Option<i64>,
    /// Start the batch ends are aligned to.
    start: i64,
    /// The largest timestamp attribute seen (Siddhi starts it at 0).
    latest: i64,
    /// App-clock time of the timeout timer.
    scheduled: i64,
    /// Whether the timeout flushed the batch being filled.
    flushed: bool,
    pending: Vec<Event<E>>,
    previous: Vec<Event<E>>,
}

impl<E, A> ExternalTimeBatchWindow<E, A> {
    /// Batches of `period` ms by the attribute `timestamp` reads, aligned to `start_time` when
    /// given, flushed after `timeout` ms of app time without a batch closing when given (and
    /// positive), writing batch ends into the attribute through `replace` when given.
    pub fn new(
        timestamp: A,
        period: i64,
        start_time: Option<i64>,
        timeout: Option<i64>,
        replace: Option<BatchTimeSetter<E>>,
    ) -> Self {
        ExternalTimeBatchWindow {
            timestamp,
            period: period.max(1),
            start_time,
            start_attribute: None,
            timeout: timeout.filter(|t| *t > 0),
            replace,
            state: State {
                end: None,
                start: start_time.unwrap_or(0),
                latest: 0,
                scheduled: 0,
                flushed: false,
                pending: Vec::new(),
                previous: Vec::new(),
            },
            _data: PhantomData,
        }
    }

    /// The window with its start time read from the first event through `start` (Siddhi's
    /// `start.time` given as an attribute).
    pub fn with_start_attribute(mut self, start: A) -> Self {
        self.start_attribute = Some(start);
        self
    }

    /// The first batch end after `ts`, aligned to `start` (Java arithmetic, as Siddhi).
    fn end_after(&self, ts: i64, start: i64) -> i64 {
        let elapsed = ts.wrapping_sub(start).wrapping_rem(self.period);
        ts.wrapping_add(self.period.wrapping_sub(elapsed))
    }

    fn idle(&self) -> bool {
        self.state.flushed && self.state.pending.is_empty()
    }
}

impl<E: Data, A> ExternalTimeBatchWindow<E, A> {
    fn append(&mut self, mut event: Event<E>, end: i64) {
        if let Some(replace) = &self.replace {
            replace(&mut event.data, end);
        }
        self.state.pending.push(event);
    }

    /// Siddhi's `flushToOutputChunk`: the previous batch expires, then the pending one is emitted.
    fn flush(&mut self, out: &mut Chunk<E>) {
        let time = self.state.latest;
        for e in self.state.previous.drain(..) {
            out.push(Event::expired(time, e.data));
        }
        let batch = std::mem::take(&mut self.state.pending);
        if let Some(first) = batch.first() {
            out.push(Event::reset(time, first.data.clone()));
            out.extend(batch.iter().cloned());
        }
        self.state.previous = batch;
    }

    /// Siddhi's `appendToOutputChunk`: after a timeout flush, the part already emitted expires and
    /// is emitted again with the events that joined the batch since.
    fn append_flush(&mut self, out: &mut Chunk<E>) {
        let Some(first) = self.state.pending.first() else {
            return;
        };
        let time = self.state.latest;
        for e in &self.state.previous {
            out.push(Event::expired(time, e.data.clone()));
        }
        out.push(Event::reset(time, first.data.clone()));
        out.extend(self.state.previous.iter().cloned());
        out.extend(self.state.pending.iter().cloned());
        let pending = std::mem::take(&mut self.state.pending);
        self.state.previous.extend(pending);
    }
}

impl<E: Data, A: Accessor<E, i64>> Window<E> for ExternalTimeBatchWindow<E, A> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        let Some(first) = input.first() else {
            return;
        };
        if let Some(timeout) = self.timeout
            && self.state.end.is_some()
            && self.idle()
            && self.state.scheduled <= now
        {
            // The idle timer kept firing (doing nothing) every `timeout` ms until `now`.
            let behind = now.saturating_sub(self.state.scheduled) / timeout;
            self.state.scheduled = self
                .state
                .scheduled
                .saturating_add(behind.saturating_add(1).saturating_mul(timeout));
        }
        if self.state.end.is_none() {
            let ts = self.timestamp.get(&first.data);
            let end = match (&self.start_attribute, self.start_time) {
                (Some(start), _) => {
                    self.state.start = start.get(&first.data);
                    self.state.start.wrapping_add(self.period)
                }
                (None, Some(start)) => self.end_after(ts, start),
                (None, None) => {
                    self.state.start = ts;
                    ts.wrapping_add(self.period)
                }
            };
            self.state.end = Some(end);
            if let Some(timeout) = self.timeout {
                self.state.scheduled = now.saturating_add(timeout);
            }
        }
        for event in input {
            let ts = self.timestamp.get(&event.data);
            self.state.latest = self.state.latest.max(ts);
            let end = self.state.end.unwrap_or(i64::MAX);
            if ts < end {
                self.append(event, end);
                continue;
            }
            if self.state.flushed {
                self.append_flush(out);
                self.state.flushed = false;
            } else {
                self.flush(out);
            }
            let end = self.end_after(self.state.latest, self.state.start);
            self.state.end = Some(end);
            self.append(event, end);
            if let Some(timeout) = self.timeout {
                self.state.scheduled = now.saturating_add(timeout);
            }
        }
    }

    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        let Some(timeout) = self.timeout else {
            return;
        };
        if self.state.end.is_none() || self.state.scheduled > now {
            return;
        }
        if !self.state.flushed {
            self.flush(out);
            self.state.flushed = true;
        } else {
            self.append_flush(out);
        }
        self.state.scheduled = now.saturating_add(timeout);
    }

    fn next_due(&self) -> Option<i64> {
        match self.timeout {
            Some(_)
                if self.state.end.is_some() && !self.idle() && self.state.scheduled < i64::MAX =>
            {
                Some(self.state.scheduled)
            }
            _ => None,
        }
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
        let fresh = ExternalTimeBatchWindow::new(
            self.timestamp.clone(),
            self.period,
            self.start_time,
            self.timeout,
            self.replace.clone(),
        );
        Box::new(match &self.start_attribute {
            Some(start) => fresh.with_start_attribute(start.clone()),
            None => fresh,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, advance, at, check_round_trip, cur, drive, exp, rst};

    type Row = (i64, i32);
    type Acc = fn(&Row) -> i64;

    fn window(start: Option<i64>, timeout: Option<i64>) -> ExternalTimeBatchWindow<Row, Acc> {
        ExternalTimeBatchWindow::new(|r: &Row| r.0, 5000, start, timeout, None)
    }

    fn plain_steps() -> Vec<Step<Row>> {
        vec![
            at(1000, (10000, 1)),
            at(1100, (12000, 2)),
            at(1200, (14999, 3)),
            at(1300, (15000, 4)),
            at(1400, (19999, 5)),
            at(1500, (20000, 6)),
            at(1600, (26000, 7)),
        ]
    }

    #[test]
    fn flushes_when_an_event_reaches_the_batch_end() {
        let mut w = window(None, None);
        let out = drive(&mut w, &plain_steps());
        assert_eq!(
            out,
            vec![
                rst(15000, (10000, 1)),
                cur(1000, (10000, 1)),
                cur(1100, (12000, 2)),
                cur(1200, (14999, 3)),
                exp(20000, (10000, 1)),
                exp(20000, (12000, 2)),
                exp(20000, (14999, 3)),
                rst(20000, (15000, 4)),
                cur(1300, (15000, 4)),
                cur(1400, (19999, 5)),
                exp(26000, (15000, 4)),
                exp(26000, (19999, 5)),
                rst(26000, (20000, 6)),
                cur(1500, (20000, 6)),
            ]
        );
        assert_eq!(w.next_due(), None);
        assert_eq!(w.state.end, Some(30000));
    }

    #[test]
    fn start_time_aligns_batch_ends() {
        let mut w = window(Some(1000), None);
        let out = drive(
            &mut w,
            &[at(1, (3000, 1)), at(2, (6000, 2)), at(3, (6100, 3))],
        );
        assert_eq!(out, vec![rst(6000, (3000, 1)), cur(1, (3000, 1))]);
        assert_eq!(w.state.end, Some(11000));
    }

    #[test]
    fn start_time_after_the_first_event_uses_java_remainder() {
        let w = window(Some(1000), None);
        assert_eq!(w.end_after(200, 1000), 6000);
        assert_eq!(w.end_after(7200, 1000), 11000);
    }

    fn timeout_steps() -> Vec<Step<Row>> {
        vec![
            at(1000, (10000, 1)),
            at(1500, (11000, 2)),
            advance(3500),
            at(4000, (12000, 3)),
            advance(7000),
            advance(9900),
            at(10000, (16000, 4)),
            advance(20000),
        ]
    }

    #[test]
    fn timeout_flushes_and_a_late_part_re_emits_the_batch() {
        let mut w = window(None, Some(2000));
        let out = drive(&mut w, &timeout_steps());
        assert_eq!(
            out,
            vec![
                // timer at 3000: the batch so far
                rst(11000, (10000, 1)),
                cur(1000, (10000, 1)),
                cur(1500, (11000, 2)),
                // timer at 5000 (rescheduled at 3000): the batch again, grown by 3
                exp(12000, (10000, 1)),
                exp(12000, (11000, 2)),
                rst(12000, (12000, 3)),
                cur(1000, (10000, 1)),
                cur(1500, (11000, 2)),
                cur(4000, (12000, 3)),
                // event at 16000 closes the batch; nothing new to emit after the timeout flush
                // timer at 12000: the new batch; the old one expires
                exp(16000, (10000, 1)),
                exp(16000, (11000, 2)),
                exp(16000, (12000, 3)),
                rst(16000, (16000, 4)),
                cur(10000, (16000, 4)),
            ]
        );
        assert_eq!(w.next_due(), None);
    }

    #[test]
    fn replace_with_batch_time_rewrites_the_attribute() {
        let setter: BatchTimeSetter<Row> = Arc::new(|r: &mut Row, t| r.0 = t);
        let mut w: ExternalTimeBatchWindow<Row, Acc> =
            ExternalTimeBatchWindow::new(|r: &Row| r.0, 5000, None, None, Some(setter));
        let out = drive(
            &mut w,
            &[at(1, (10000, 1)), at(2, (12000, 2)), at(3, (15500, 3))],
        );
        assert_eq!(
            out,
            vec![
                rst(15500, (15000, 1)),
                cur(1, (15000, 1)),
                cur(2, (15000, 2)),
            ]
        );
        assert_eq!(w.state.pending, vec![cur(3, (20000, 3))]);
    }

    #[test]
    fn snapshot_round_trip() {
        let w = window(None, None);
        for split in 0..=plain_steps().len() {
            check_round_trip(&w, &plain_steps(), split);
        }
        let w = window(None, Some(2000));
        for split in 0..=timeout_steps().len() {
            check_round_trip(&w, &timeout_steps(), split);
        }
    }
}
