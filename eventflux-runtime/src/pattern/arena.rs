//! The partial matches of a state machine in creation order, addressed by id.
//!
//! Ids grow with creation, so an id is an index from the oldest entry still held: finding a
//! partial, taking it out and putting it back under its id are index operations, and walking the
//! arena visits partials in creation order. Taking an entry out leaves a hole; holes at the front
//! are dropped at once, and [`Arena::sparse`] tells the owner when holes elsewhere outnumber the
//! live entries, so that it renumbers them ([`Arena::drain`] and putting them back).

use std::collections::VecDeque;

/// Entries in creation order, each under the id it was put under.
pub(super) struct Arena<T> {
    entries: VecDeque<Option<T>>,
    /// The id of `entries[0]`.
    base: u64,
    live: usize,
}

impl<T> Arena<T> {
    /// An empty arena whose first id is 0.
    pub(super) fn new() -> Self {
        Arena {
            entries: VecDeque::new(),
            base: 0,
            live: 0,
        }
    }

    /// How many entries are held.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// The id after every entry held: putting an entry there adds it last.
    pub(super) fn next_id(&self) -> u64 {
        self.base + self.entries.len() as u64
    }

    fn index(&self, id: u64) -> Option<usize> {
        usize::try_from(id.checked_sub(self.base)?).ok()
    }

    /// The entry under `id`.
    pub(super) fn get(&self, id: u64) -> Option<&T> {
        self.entries.get(self.index(id)?)?.as_ref()
    }

    /// Takes the entry under `id` out, leaving a hole that [`Arena::put`] may fill again.
    pub(super) fn take(&mut self, id: u64) -> Option<T> {
        let i = self.index(id)?;
        let entry = self.entries.get_mut(i)?.take()?;
        self.live -= 1;
        Some(entry)
    }

    /// Puts `entry` under `id`: an id taken out earlier (its place in creation order is kept),
    /// or [`Arena::next_id`] to add it after every entry held; an entry already there is
    /// replaced.
    pub(super) fn put(&mut self, id: u64, entry: T) {
        while id < self.base {
            self.entries.push_front(None);
            self.base -= 1;
        }
        let i = (id - self.base) as usize;
        if i >= self.entries.len() {
            self.entries.resize_with(i + 1, || None);
        }
        if self.entries[i].replace(entry).is_none() {
            self.live += 1;
        }
    }

    /// Drops the holes at the front.
    pub(super) fn trim(&mut self) {
        while let Some(None) = self.entries.front() {
            self.entries.pop_front();
            self.base += 1;
        }
    }

    /// Whether holes outnumber the live entries (by more than a small slack).
    pub(super) fn sparse(&self) -> bool {
        self.entries.len() > 2 * self.live + 32
    }

    /// Takes every entry out in creation order; ids put later continue after the last one.
    pub(super) fn drain(&mut self) -> Vec<T> {
        self.base = self.next_id();
        self.live = 0;
        self.entries.drain(..).flatten().collect()
    }

    /// Drops every entry; ids start again at 0.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.base = 0;
        self.live = 0;
    }

    /// The entries with their ids, in creation order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        let base = self.base;
        self.entries
            .iter()
            .enumerate()
            .filter_map(move |(i, e)| e.as_ref().map(|e| (base + i as u64, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::Arena;

    fn push<T>(a: &mut Arena<T>, entry: T) -> u64 {
        let id = a.next_id();
        a.put(id, entry);
        id
    }

    #[test]
    fn ids_follow_creation_and_holes_keep_places() {
        let mut a = Arena::new();
        let x = push(&mut a, "x");
        let y = push(&mut a, "y");
        let z = push(&mut a, "z");
        assert_eq!((x, y, z), (0, 1, 2));
        assert_eq!(a.take(y), Some("y"));
        assert_eq!(a.get(y), None);
        assert_eq!(a.len(), 2);
        a.put(y, "y2");
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            vec![(0, &"x"), (1, &"y2"), (2, &"z")]
        );
        a.take(x);
        a.trim();
        assert_eq!(a.get(y), Some(&"y2"));
        assert_eq!(push(&mut a, "w"), 3);
    }

    #[test]
    fn drain_renumbers_after_the_last_id() {
        let mut a = Arena::new();
        for i in 0..100 {
            push(&mut a, i);
        }
        for id in 1..99 {
            a.take(id);
        }
        assert!(a.sparse());
        assert_eq!(a.drain(), vec![0, 99]);
        assert_eq!(a.len(), 0);
        assert_eq!(push(&mut a, 7), 100);
        assert!(!a.sparse());
    }
}
