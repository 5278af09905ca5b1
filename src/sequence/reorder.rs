//! Puts a stream back into ordinal order within a bounded time window.
//!
//! Exports are only roughly time-ordered (EVTX record order vs `SystemTime`, several channels or
//! files interleaved, agents batching), while the matcher needs ascending ordinals. Events wait
//! in a min-heap until the newest timestamp seen is more than the window past them; an event
//! whose place is already behind what was released is *late*: it is handed back to the caller
//! to be reported, never silently correlated out of order.

use super::Ordinal;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An event that arrived after events sorting after it had already been released.
#[derive(Debug, Clone)]
pub struct Late<T> {
    /// The rejected item.
    pub item: T,
    /// Its ordinal.
    pub ordinal: Ordinal,
    /// How far (ms) its timestamp lies behind the newest timestamp seen when it arrived: a
    /// reorder window of at least this much would have placed it.
    pub behind_ms: u64,
}

#[derive(Debug)]
struct Entry<T> {
    ordinal: Ordinal,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ordinal == other.ordinal
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    // Reversed: `BinaryHeap` is a max-heap and we want the smallest ordinal on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.ordinal.cmp(&self.ordinal)
    }
}

/// A bounded reorder buffer (see the module docs).
#[derive(Debug)]
pub struct ReorderBuffer<T> {
    window_ms: Option<u64>,
    heap: BinaryHeap<Entry<T>>,
    max_seen: Option<i64>,
    last_released: Option<Ordinal>,
}

impl<T> ReorderBuffer<T> {
    /// A buffer that holds events until the stream is `window_ms` past them; `None` holds
    /// everything until [`ReorderBuffer::finish`] (the exact batch answer, memory = input).
    pub fn new(window_ms: Option<u64>) -> Self {
        Self {
            window_ms,
            heap: BinaryHeap::new(),
            max_seen: None,
            last_released: None,
        }
    }

    /// The window, or `None` when everything is held until the end.
    pub fn window_ms(&self) -> Option<u64> {
        self.window_ms
    }

    /// Number of events currently held.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Notes that the stream reached `timestamp` (also for events that are not buffered, so
    /// that irrelevant events still move time forward) and releases what became certain.
    pub fn advance(&mut self, timestamp: i64, out: &mut Vec<(Ordinal, T)>) {
        self.max_seen = Some(self.max_seen.map_or(timestamp, |m| m.max(timestamp)));
        self.release(out);
    }

    /// Adds an event, appending to `out` every event (in ordinal order) that can no longer be
    /// preceded by a future arrival. A late event comes back as `Err`.
    pub fn push(
        &mut self,
        ordinal: Ordinal,
        item: T,
        out: &mut Vec<(Ordinal, T)>,
    ) -> Result<(), Late<T>> {
        let timestamp = ordinal.timestamp;
        if self
            .last_released
            .as_ref()
            .is_some_and(|last| ordinal < *last)
        {
            let newest = self.max_seen.unwrap_or(timestamp);
            let behind_ms = u64::try_from(i128::from(newest) - i128::from(timestamp)).unwrap_or(0);
            return Err(Late {
                item,
                ordinal,
                behind_ms,
            });
        }
        self.heap.push(Entry { ordinal, item });
        self.advance(timestamp, out);
        Ok(())
    }

    /// Releases everything still held, in ordinal order.
    pub fn finish(&mut self, out: &mut Vec<(Ordinal, T)>) {
        while let Some(entry) = self.heap.pop() {
            self.emit(entry, out);
        }
    }

    fn release(&mut self, out: &mut Vec<(Ordinal, T)>) {
        let (Some(window), Some(max_seen)) = (self.window_ms, self.max_seen) else {
            return;
        };
        let horizon = i128::from(max_seen) - i128::from(window);
        while self
            .heap
            .peek()
            .is_some_and(|top| i128::from(top.ordinal.timestamp) < horizon)
        {
            if let Some(entry) = self.heap.pop() {
                self.emit(entry, out);
            }
        }
    }

    fn emit(&mut self, entry: Entry<T>, out: &mut Vec<(Ordinal, T)>) {
        self.last_released = Some(entry.ordinal.clone());
        out.push((entry.ordinal, entry.item));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ord(timestamp: i64, input: u64) -> Ordinal {
        Ordinal {
            timestamp,
            tiebreaker: None,
            input,
        }
    }

    #[test]
    fn sorts_within_the_window_and_rejects_late_events() {
        let mut buffer = ReorderBuffer::new(Some(10));
        let mut out = Vec::new();
        for (i, ts) in [5, 3, 9, 20, 1, 14, 30].into_iter().enumerate() {
            let r = buffer.push(ord(ts, i as u64), ts, &mut out);
            if ts == 1 {
                let late = r.unwrap_err();
                assert_eq!((late.item, late.behind_ms), (1, 19));
            } else {
                assert!(r.is_ok());
            }
        }
        assert_eq!(out.iter().map(|e| e.1).collect::<Vec<_>>(), [3, 5, 9, 14]);
        buffer.finish(&mut out);
        assert_eq!(
            out.iter().map(|e| e.1).collect::<Vec<_>>(),
            [3, 5, 9, 14, 20, 30]
        );
    }

    #[test]
    fn unbounded_holds_everything() {
        let mut buffer = ReorderBuffer::new(None);
        let mut out = Vec::new();
        for (i, ts) in [50, 3, 1_000_000, -4].into_iter().enumerate() {
            assert!(buffer.push(ord(ts, i as u64), ts, &mut out).is_ok());
        }
        assert!(out.is_empty());
        buffer.finish(&mut out);
        assert_eq!(
            out.iter().map(|e| e.1).collect::<Vec<_>>(),
            [-4, 3, 50, 1_000_000]
        );
    }
}
