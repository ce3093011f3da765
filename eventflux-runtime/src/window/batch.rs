//! `batch([n])`: each input chunk is a batch. When a chunk arrives, the previous chunk's events
//! expire (carrying the arrival time), then each batch follows a `Reset`. With a length `n > 0`
//! the chunk is cut into batches of at most `n` events, each after its own `Reset` (as Siddhi's
//! `BatchWindowProcessor`, the whole previous chunk expires at once, when the next chunk
//! arrives). The window's contents are the last chunk's events.

use super::{Data, Window};
use crate::event::{Chunk, Event};
use crate::state::{self, StateError};
use serde::{Deserialize, Serialize};

/// The batch window.
#[derive(Clone, Debug)]
pub struct BatchWindow<E> {
    length: Option<usize>,
    state: State<E>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct State<E> {
    previous: Vec<Event<E>>,
}

impl<E> BatchWindow<E> {
    /// Each chunk as a batch, cut into batches of at most `length` events when given (0 means
    /// no limit).
    pub fn new(length: Option<usize>) -> Self {
        BatchWindow {
            length: length.filter(|n| *n > 0),
            state: State {
                previous: Vec::new(),
            },
        }
    }
}

impl<E: Data> Window<E> for BatchWindow<E> {
    fn process(&mut self, now: i64, input: Chunk<E>, out: &mut Chunk<E>) {
        if input.is_empty() {
            return;
        }
        for e in self.state.previous.drain(..) {
            out.push(Event::expired(now, e.data));
        }
        let size = self.length.unwrap_or(input.len());
        for batch in input.chunks(size) {
            if let Some(first) = batch.first() {
                out.push(Event::reset(now, first.data.clone()));
            }
            out.extend(batch.iter().cloned());
        }
        self.state.previous = input;
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
        Box::new(BatchWindow::new(self.length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::testing::{Step, at, check_round_trip, cur, drive, exp, rst};

    fn steps() -> Vec<Step<i64>> {
        vec![at(1000, 1), Step::Events(1100, vec![2, 3, 4]), at(1200, 5)]
    }

    #[test]
    fn each_chunk_is_a_batch() {
        let mut w = BatchWindow::new(None);
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                rst(1000, 1),
                cur(1000, 1),
                exp(1100, 1),
                rst(1100, 2),
                cur(1100, 2),
                cur(1100, 3),
                cur(1100, 4),
                exp(1200, 2),
                exp(1200, 3),
                exp(1200, 4),
                rst(1200, 5),
                cur(1200, 5),
            ]
        );
        assert_eq!(w.contents(), vec![&cur(1200, 5)]);
    }

    #[test]
    fn a_length_cuts_a_chunk_into_batches() {
        let mut w = BatchWindow::new(Some(2));
        let out = drive(&mut w, &steps());
        assert_eq!(
            out,
            vec![
                rst(1000, 1),
                cur(1000, 1),
                exp(1100, 1),
                rst(1100, 2),
                cur(1100, 2),
                cur(1100, 3),
                rst(1100, 4),
                cur(1100, 4),
                exp(1200, 2),
                exp(1200, 3),
                exp(1200, 4),
                rst(1200, 5),
                cur(1200, 5),
            ]
        );
    }

    #[test]
    fn snapshot_round_trip() {
        for length in [None, Some(2)] {
            let w = BatchWindow::new(length);
            for split in 0..=steps().len() {
                check_round_trip(&w, &steps(), split);
            }
        }
    }
}
