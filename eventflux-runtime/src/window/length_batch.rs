//! `lengthBatch(n[, stream.current.event])`: batches of `n` events. When a batch fills, the
//! previous batch expires, a `Reset` follows, then the new batch is emitted. With
//! `stream.current.event` true, events are emitted as they arrive; a full batch is held (and
//! findable) until the next arrival, which expires it and resets before it is emitted. `lengthBatch(0)` holds nothing: each arrival comes out current, then
//! expired at once, then a `Reset`.

use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};

/// The length batch window.
#[derive(Clone, Debug)]
pub struct LengthBatchWindow<E> {
    length: usize,
    stream_current: bool,
    state: State<E>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E> {
    pending: Vec<Event<E>>,
    previous: Vec<Event<E>>,
}

impl<E> LengthBatchWindow<E> {
    /// Batches of `length` events; `stream_current` emits arrivals at once.
    pub fn new(length: usize, stream_current: bool) -> Self {
        LengthBatchWindow {
            length,
            stream_current,
            state: State {
                pending: Vec::new(),
                previous: Vec::new(),
            },
        }
    }
}

impl<E: Data> Window<E> for LengthBatchWindow<E> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        for event in input {
            if self.length == 0 {
                super::length::pass_through(now, event, |e| out.push(e));
                continue;
            }
            if self.stream_current {
                // A full batch is held until the next arrival, which expires it and resets.
                if self.state.pending.len() >= self.length {
                    for e in self.state.pending.drain(..) {
                        out.push(Event::expired(now, e.data));
                    }
                    out.push(Event::reset(now, event.data.clone()));
                }
                out.push(event.clone());
                self.state.pending.push(event);
                continue;
            }
            self.state.pending.push(event);
            if self.state.pending.len() < self.length {
                continue;
            }
            let batch = std::mem::take(&mut self.state.pending);
            for e in self.state.previous.drain(..) {
                out.push(Event::expired(now, e.data));
            }
            if let Some(first) = batch.first() {
                out.push(Event::reset(now, first.data.clone()));
            }
            out.extend(batch.iter().cloned());
            self.state.previous = batch;
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
        Box::new(LengthBatchWindow::new(self.length, self.stream_current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn emits_expired_previous_then_reset_then_batch() {
        let mut w = LengthBatchWindow::new(2, false);
        let mut out = Vec::new();
        for t in 1..=4 {
            w.process(t, vec![Event::current(t, t)], &mut out);
        }
        let kinds: Vec<(EventKind, i64)> = out.iter().map(|e| (e.kind, e.data)).collect();
        assert_eq!(
            kinds,
            vec![
                (EventKind::Reset, 1),
                (EventKind::Current, 1),
                (EventKind::Current, 2),
                (EventKind::Expired, 1),
                (EventKind::Expired, 2),
                (EventKind::Reset, 3),
                (EventKind::Current, 3),
                (EventKind::Current, 4),
            ]
        );
    }

    #[test]
    fn snapshots_restore_mid_stream_at_every_point() {
        use crate::window::testing::{at, check_round_trip};
        let w = LengthBatchWindow::new(2, false);
        let steps = vec![at(1, 1), at(2, 2), at(3, 3), at(4, 4), at(5, 5)];
        for split in 0..=steps.len() {
            check_round_trip(&w, &steps, split);
        }
    }
}
