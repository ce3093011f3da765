//! `timeBatch(T[, start.time][, stream.current.event])`: batches of `T` ms. The first batch
//! starts at the first event (or is aligned to `start.time`); at each batch end the previous
//! batch expires, a `Reset` follows, then the batch is emitted. Batches keep closing at the end
//! of empty periods.

use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};

/// The time batch window.
#[derive(Clone, Debug)]
pub struct TimeBatchWindow<E> {
    period: i64,
    start_time: Option<i64>,
    stream_current: bool,
    state: State<E>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E> {
    /// End of the batch being filled (`None` before the first event).
    end: Option<i64>,
    pending: Vec<Event<E>>,
    previous: Vec<Event<E>>,
}

impl<E> TimeBatchWindow<E> {
    /// Batches of `period` ms, aligned to `start_time` when given.
    pub fn new(period: i64, start_time: Option<i64>, stream_current: bool) -> Self {
        TimeBatchWindow {
            period: period.max(1),
            start_time,
            stream_current,
            state: State {
                end: None,
                pending: Vec::new(),
                previous: Vec::new(),
            },
        }
    }

    fn first_end(&self, now: i64) -> i64 {
        match self.start_time {
            Some(start) => {
                let periods = now.saturating_sub(start).div_euclid(self.period);
                start.saturating_add(periods.saturating_add(1).saturating_mul(self.period))
            }
            None => now.saturating_add(self.period),
        }
    }
}

impl<E: Data> TimeBatchWindow<E> {
    fn close(&mut self, end: i64, out: &mut Chunk<E>) {
        let batch = std::mem::take(&mut self.state.pending);
        if self.stream_current {
            for e in &batch {
                out.push(Event::expired(end, e.data.clone()));
            }
            if let Some(last) = batch.last() {
                out.push(Event::reset(end, last.data.clone()));
            }
        } else {
            let previous = std::mem::take(&mut self.state.previous);
            let marker = batch.first().or(previous.last()).map(|e| e.data.clone());
            for e in previous {
                out.push(Event::expired(end, e.data));
            }
            if let Some(data) = marker {
                out.push(Event::reset(end, data));
            }
            out.extend(batch.iter().cloned());
            self.state.previous = batch;
        }
        self.state.end = crate::event::due_after(end, self.period);
    }
}

impl<E: Data> Window<E> for TimeBatchWindow<E> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        if self.state.end.is_none() {
            self.state.end = Some(self.first_end(now));
        }
        while let Some(end) = self.state.end.filter(|end| *end <= now) {
            self.close(end, out);
        }
        for event in input {
            if self.stream_current {
                out.push(event.clone());
            }
            self.state.pending.push(event);
        }
    }

    fn on_time(&mut self, now: i64, out: &mut Chunk<E>) {
        if let Some(end) = self.state.end.filter(|end| *end <= now) {
            self.close(end, out);
        }
    }

    fn next_due(&self) -> Option<i64> {
        self.state.end
    }

    fn skip_idle(&mut self, horizon: i64) {
        if self.state.pending.is_empty()
            && self.state.previous.is_empty()
            && let Some(end) = self.state.end
        {
            self.state.end = crate::event::first_due_after(end, self.period, horizon);
        }
    }

    fn contents(&self) -> Vec<&Event<E>> {
        if self.stream_current {
            self.state.pending.iter().collect()
        } else {
            self.state.previous.iter().collect()
        }
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        state::encode(&self.state)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.state = state::decode(bytes)?;
        Ok(())
    }

    fn fresh(&self) -> Box<dyn Window<E>> {
        Box::new(TimeBatchWindow::new(
            self.period,
            self.start_time,
            self.stream_current,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn batches_anchor_at_the_first_event_and_close_when_empty() {
        let mut w = TimeBatchWindow::new(1000, None, false);
        let mut out = Vec::new();
        w.process(1500, vec![Event::current(1500, 1)], &mut out);
        w.process(2200, vec![Event::current(2200, 2)], &mut out);
        assert!(out.is_empty());
        assert_eq!(w.next_due(), Some(2500));
        w.on_time(2500, &mut out);
        let kinds: Vec<EventKind> = out.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![EventKind::Reset, EventKind::Current, EventKind::Current]
        );
        out.clear();
        w.on_time(3500, &mut out);
        let kinds: Vec<EventKind> = out.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![EventKind::Expired, EventKind::Expired, EventKind::Reset]
        );
        assert_eq!(w.next_due(), Some(4500));
    }

    #[test]
    fn start_time_aligns_batches() {
        let w: TimeBatchWindow<i32> = TimeBatchWindow::new(1000, Some(0), false);
        assert_eq!(w.first_end(1500), 2000);
    }

    #[test]
    fn snapshots_restore_mid_stream_at_every_point() {
        use crate::window::testing::{advance, at, check_round_trip};
        let w = TimeBatchWindow::new(1000, None, false);
        let steps = vec![
            at(100, 1),
            at(600, 2),
            advance(1200),
            at(1300, 3),
            advance(2300),
            advance(3200),
            at(3300, 4),
        ];
        for split in 0..=steps.len() {
            check_round_trip(&w, &steps, split);
        }
    }
}
