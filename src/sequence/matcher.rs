//! The sequence matcher over hits in ascending ordinal order (`eql-semantics.md` §2.2–§2.5, §2.8).
//!
//! Elasticsearch keeps, per key and stage, a *list* of partial sequences, because its tumbling
//! windows feed hits out of order. Fed in order, a stage-k hit always takes the last element of
//! the list and drops the rest (`trimBefore`), so the list behaves exactly like one slot that a
//! newer partial sequence overwrites. That is what makes memory proportional to open sequences.
//!
//! Missing events (`![...]`) are decided in streaming form: per key we remember the timestamps of
//! recent events matching each missing stage (within `maxspan`), check leading and middle
//! windows when the positive stages complete, and wait for the trailing window to pass before
//! deciding the rest. Completed sequences leave in completion order, which is the result order
//! (last ordinal, then key), so a sequence waiting for its trailing window holds back later ones.

use super::{Completed, Hit, Ordinal};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// The shape of a sequence query as far as matching is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherSpec {
    /// One entry per stage in query order: `true` for a missing-event stage `![...]`.
    pub missing: Vec<bool>,
    /// `with maxspan`, in milliseconds (inclusive, from the first event).
    pub maxspan_ms: Option<u64>,
}

#[derive(Debug, Clone)]
struct Partial<P> {
    first_ts: i64,
    last: Ordinal,
    events: Vec<(i64, P)>,
}

#[derive(Debug)]
struct KeyState<P> {
    /// Partial sequences waiting for positive stage `i + 1` (the last positive stage never waits).
    partial: Vec<Option<Partial<P>>>,
    /// The latest `until` hit of this key.
    until: Option<Ordinal>,
    /// Per missing stage, timestamps of recent hits (ascending).
    recent_missing: Vec<VecDeque<i64>>,
    /// Outcome ids of completed sequences of this key that wait for their trailing window.
    pending: Vec<u64>,
}

impl<P> KeyState<P> {
    fn new(positives: usize, missing: usize) -> Self {
        Self {
            partial: (0..positives.saturating_sub(1)).map(|_| None).collect(),
            until: None,
            recent_missing: (0..missing).map(|_| VecDeque::new()).collect(),
            pending: Vec::new(),
        }
    }

    fn is_idle(&self) -> bool {
        self.partial.iter().all(Option::is_none)
            && self.pending.is_empty()
            && self.recent_missing.iter().all(VecDeque::is_empty)
    }
}

#[derive(Debug)]
enum Outcome<K, P> {
    Keep(Completed<K, P>),
    Drop,
    Waiting {
        sequence: Completed<K, P>,
        first_ts: i64,
        last_ts: i64,
        leading: Option<i64>,
        trailing: Option<i64>,
    },
}

/// Assembles sequences from hits given in ascending [`Ordinal`] order. See the module docs.
#[derive(Debug)]
pub struct Matcher<K, P> {
    spec: MatcherSpec,
    /// Stage indexes of the positive stages, in order.
    positives: Vec<usize>,
    /// For each stage, its index among the missing stages (if it is one).
    missing_index: Vec<Option<usize>>,
    keys: HashMap<K, KeyState<P>>,
    outcomes: VecDeque<Outcome<K, P>>,
    /// Id of `outcomes[0]`.
    first_outcome_id: u64,
    last_sweep_ts: Option<i64>,
    now: i64,
    /// Number of `Some` partial slots over all keys (kept so that counting is O(1)).
    open_partials: usize,
    /// Cap on `open_partials` (see [`Matcher::with_max_open`]).
    max_open: Option<usize>,
    /// New partial sequences not started because of the cap.
    refused: u64,
}

impl<K: Eq + Hash + Ord + Clone, P: Clone> Matcher<K, P> {
    /// A matcher for `spec`. A spec without positive stages never matches anything.
    pub fn new(spec: MatcherSpec) -> Self {
        let positives = (spec.missing.iter().enumerate())
            .filter(|&(_, &missing)| !missing)
            .map(|(i, _)| i)
            .collect();
        let mut next = 0;
        let missing_index = spec
            .missing
            .iter()
            .map(|&m| {
                m.then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Self {
            spec,
            positives,
            missing_index,
            keys: HashMap::new(),
            outcomes: VecDeque::new(),
            first_outcome_id: 0,
            last_sweep_ts: None,
            now: i64::MIN,
            open_partials: 0,
            max_open: None,
            refused: 0,
        }
    }

    /// Caps the number of open partial sequences. At the cap a hit that would open a *new*
    /// partial sequence (rather than advance or replace one) is refused and counted in
    /// [`Matcher::refused`]: Elasticsearch has no such limit, so any refusal means the answer
    /// may be incomplete, and callers must say so. Without `maxspan` partial sequences never
    /// expire, so this is what bounds memory on hostile input.
    pub fn with_max_open(mut self, max_open: Option<usize>) -> Self {
        self.max_open = max_open;
        self
    }

    /// How many new partial sequences the cap refused (0 = the answer is exact).
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Partial sequences still able to complete, plus completed ones waiting for a trailing
    /// missing-event window: the memory the matcher holds on behalf of the stream.
    pub fn open_sequences(&self) -> usize {
        self.open_partials + self.outcomes.len()
    }

    /// Number of join keys with any state (partials, `until`, recent missing-stage hits).
    #[cfg(test)]
    pub fn tracked_keys(&self) -> usize {
        self.keys.len()
    }

    /// Feeds the next hit (its ordinal must not be below the previous hit's) and appends the
    /// sequences that became certain to `out`, in result order.
    pub fn push(&mut self, hit: Hit<K, P>, out: &mut Vec<Completed<K, P>>) {
        let now = hit.ordinal.timestamp;
        self.now = self.now.max(now);
        self.sweep();
        self.release(out, false);
        let missing_count = self.missing_count();
        let positives = self.positives.len();

        // Missing-stage hits: remember them, and close trailing windows of waiting sequences.
        for (stage, keys) in hit.stages.iter().enumerate() {
            let Some(Some(m)) = self.missing_index.get(stage).copied() else {
                continue;
            };
            let trailing = self.positives.last().is_some_and(|&p| stage > p);
            for (i, key) in keys.iter().enumerate() {
                if keys.iter().take(i).any(|k| k == key) {
                    continue;
                }
                let state = self
                    .keys
                    .entry(key.clone())
                    .or_insert_with(|| KeyState::new(positives, missing_count));
                if let Some(recent) = state.recent_missing.get_mut(m) {
                    recent.push_back(now);
                }
                if trailing {
                    for id in &state.pending {
                        // Past usize (32-bit targets) is past the end too.
                        let at = usize::try_from(id.wrapping_sub(self.first_outcome_id))
                            .unwrap_or(usize::MAX);
                        if let Some(Outcome::Waiting {
                            last_ts, trailing, ..
                        }) = self.outcomes.get_mut(at)
                        {
                            if now > *last_ts && trailing.is_none() {
                                *trailing = Some(now);
                            }
                        }
                    }
                }
            }
        }

        // Positive stages, last to first, so an event never extends a partial it just created.
        let mut completed = Vec::new();
        for pos in (0..positives).rev() {
            let Some(keys) = self.positives.get(pos).and_then(|&s| hit.stages.get(s)) else {
                continue;
            };
            for (i, key) in keys.iter().enumerate() {
                if keys.iter().take(i).any(|k| k == key) {
                    continue;
                }
                let partial = if pos == 0 {
                    Partial {
                        first_ts: now,
                        last: hit.ordinal.clone(),
                        events: vec![(now, hit.payload.clone())],
                    }
                } else {
                    let Some(state) = self.keys.get_mut(key) else {
                        continue;
                    };
                    let Some(mut partial) = state.partial.get_mut(pos - 1).and_then(Option::take)
                    else {
                        continue;
                    };
                    self.open_partials = self.open_partials.saturating_sub(1);
                    if exceeds(self.spec.maxspan_ms, partial.first_ts, now) {
                        continue;
                    }
                    if let Some(until) = &state.until {
                        if partial.last <= *until && *until <= hit.ordinal {
                            continue;
                        }
                    }
                    partial.last = hit.ordinal.clone();
                    partial.events.push((now, hit.payload.clone()));
                    partial
                };
                if pos + 1 == positives {
                    completed.push((key.clone(), partial));
                } else {
                    let state = self
                        .keys
                        .entry(key.clone())
                        .or_insert_with(|| KeyState::new(positives, missing_count));
                    if let Some(slot) = state.partial.get_mut(pos) {
                        if slot.is_some() {
                            *slot = Some(partial);
                        } else if self.max_open.is_some_and(|max| self.open_partials >= max) {
                            self.refused += 1;
                        } else {
                            *slot = Some(partial);
                            self.open_partials += 1;
                        }
                    }
                }
            }
        }

        // Until hits count from now on (a document never blocks its own stage hit).
        for key in &hit.until {
            if let Some(state) = self.keys.get_mut(key) {
                if state.partial.iter().any(Option::is_some) {
                    state.until = Some(hit.ordinal.clone());
                }
            }
        }

        completed.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, partial) in completed {
            self.complete(key, partial);
        }
        self.release(out, false);
        for keys in hit.stages.iter().chain(std::iter::once(&hit.until)) {
            for key in keys {
                if self.keys.get(key).is_some_and(KeyState::is_idle) {
                    self.keys.remove(key);
                }
            }
        }
    }

    /// Every open partial sequence: its key, how many positive stages it matched, its events.
    pub fn open_partials(&self) -> Vec<(K, usize, Vec<P>)> {
        let mut out: Vec<(K, usize, Vec<P>)> = Vec::new();
        for (key, state) in &self.keys {
            for (i, partial) in state.partial.iter().enumerate() {
                if let Some(p) = partial {
                    let events = p.events.iter().map(|(_, e)| e.clone()).collect();
                    out.push((key.clone(), i + 1, events));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        out
    }

    /// Ends the stream: decides every waiting sequence (no later event can close its trailing
    /// window) and appends the remaining results to `out`.
    pub fn finish(&mut self, out: &mut Vec<Completed<K, P>>) {
        self.release(out, true);
        self.keys.clear();
        self.open_partials = 0;
    }

    fn exceeds_maxspan(&self, from: i64, to: i64) -> bool {
        exceeds(self.spec.maxspan_ms, from, to)
    }

    fn missing_count(&self) -> usize {
        self.missing_index.iter().flatten().count()
    }

    /// Elasticsearch's keep rule for missing events (`TumblingWindow.doCheckMissingEvents`):
    /// `leading` is the latest leading missing-stage hit before the first positive event,
    /// `trailing` the earliest trailing hit after the last one. Only hits within `maxspan` of the
    /// sequence are ever passed in; older or later ones cannot change the answer.
    fn keep(
        &self,
        leading: Option<i64>,
        trailing: Option<i64>,
        first_ts: i64,
        last_ts: i64,
    ) -> bool {
        let first_missing = self.spec.missing.first().copied().unwrap_or(false);
        let last_missing = self.spec.missing.last().copied().unwrap_or(false);
        match (leading, trailing) {
            (None, None) => true,
            (None, Some(t)) => first_missing || self.exceeds_maxspan(first_ts, t),
            (Some(l), None) => last_missing || self.exceeds_maxspan(l, last_ts),
            (Some(l), Some(t)) => self.exceeds_maxspan(l, t),
        }
    }

    /// Files a sequence whose positive stages are all matched, deciding leading and middle
    /// missing stages now and deferring trailing ones.
    fn complete(&mut self, key: K, partial: Partial<P>) {
        let id = self.first_outcome_id + self.outcomes.len() as u64;
        let first_ts = partial.first_ts;
        let last_ts = partial.events.last().map_or(first_ts, |e| e.0);
        let mut events: Vec<Option<P>> = Vec::with_capacity(self.spec.missing.len());
        let timestamps: Vec<i64> = partial.events.iter().map(|e| e.0).collect();
        let mut positive_ts = timestamps.into_iter();
        let mut positive_payloads = partial.events.into_iter().map(|e| e.1);
        // Timestamp of the positive event before / after each stage.
        let mut previous: Option<i64> = None;
        let mut next_ts = positive_ts.next();
        let mut leading = None;
        let mut has_trailing = false;
        let mut middle_hit = false;
        let window_start = self.spec.maxspan_ms.map_or(i64::MIN, |s| {
            last_ts.saturating_sub(s.min(i64::MAX as u64) as i64)
        });
        let state = self.keys.get(&key);
        for missing in &self.missing_index {
            let Some(m) = missing else {
                events.push(positive_payloads.next());
                previous = next_ts;
                next_ts = positive_ts.next();
                continue;
            };
            events.push(None);
            let recent = state.and_then(|s| s.recent_missing.get(*m));
            let in_range = |lo: i64, hi: i64| -> Option<i64> {
                recent.and_then(|r| r.iter().rev().find(|&&t| lo < t && t < hi).copied())
            };
            match (previous, next_ts) {
                (None, Some(first)) => {
                    let hit = in_range(window_start.saturating_sub(1), first);
                    leading = leading.max(hit);
                }
                (Some(before), Some(after)) => middle_hit |= in_range(before, after).is_some(),
                _ => has_trailing = true,
            }
        }
        let sequence = Completed { key, events };
        let outcome = if middle_hit {
            Outcome::Drop
        } else if has_trailing {
            let (positives, missing) = (self.positives.len(), self.missing_count());
            self.keys
                .entry(sequence.key.clone())
                .or_insert_with(|| KeyState::new(positives, missing))
                .pending
                .push(id);
            Outcome::Waiting {
                sequence,
                first_ts,
                last_ts,
                leading,
                trailing: None,
            }
        } else if self.keep(leading, None, first_ts, last_ts) {
            Outcome::Keep(sequence)
        } else {
            Outcome::Drop
        };
        self.outcomes.push_back(outcome);
    }

    /// Moves decided outcomes from the front of the queue to `out`; waiting ones are decided
    /// once their trailing window (`first + maxspan`) is over, or unconditionally at the end.
    fn release(&mut self, out: &mut Vec<Completed<K, P>>, at_end: bool) {
        let span = self.spec.maxspan_ms.unwrap_or(u64::MAX);
        while let Some(front) = self.outcomes.front() {
            if let Outcome::Waiting { first_ts, .. } = front {
                let deadline = i128::from(*first_ts) + i128::from(span);
                if !at_end && i128::from(self.now) <= deadline {
                    break;
                }
            }
            let Some(outcome) = self.outcomes.pop_front() else {
                break;
            };
            let id = self.first_outcome_id;
            self.first_outcome_id += 1;
            match outcome {
                Outcome::Keep(sequence) => out.push(sequence),
                Outcome::Drop => {}
                Outcome::Waiting {
                    sequence,
                    first_ts,
                    last_ts,
                    leading,
                    trailing,
                } => {
                    if let Some(state) = self.keys.get_mut(&sequence.key) {
                        state.pending.retain(|&p| p != id);
                    }
                    if self.keep(leading, trailing, first_ts, last_ts) {
                        out.push(sequence);
                    }
                }
            }
        }
    }

    /// Forgets what can no longer matter, at most once per `maxspan` of stream time: partial
    /// sequences older than `maxspan` can never be extended (taking one would only consume and
    /// reject it, exactly like finding none), and missing-stage hits older than `maxspan` cannot
    /// change any decision.
    fn sweep(&mut self) {
        let Some(span) = self.spec.maxspan_ms else {
            return;
        };
        let span = span.min(i64::MAX as u64) as i64;
        let now = self.now;
        if self
            .last_sweep_ts
            .is_some_and(|last| now.saturating_sub(last) < span.max(1))
        {
            return;
        }
        self.last_sweep_ts = Some(now);
        let horizon = now.saturating_sub(span);
        let open = &mut self.open_partials;
        self.keys.retain(|_, state| {
            for slot in &mut state.partial {
                if slot.as_ref().is_some_and(|p| p.first_ts < horizon) {
                    *slot = None;
                    *open = open.saturating_sub(1);
                }
            }
            for recent in &mut state.recent_missing {
                while recent.front().is_some_and(|&t| t < horizon) {
                    recent.pop_front();
                }
            }
            if state.partial.iter().all(Option::is_none) {
                state.until = None;
            }
            !state.is_idle()
        });
    }
}

/// `maxspan` is inclusive: only a delta strictly greater than it is rejected (ES PR #59196).
fn exceeds(maxspan_ms: Option<u64>, from: i64, to: i64) -> bool {
    maxspan_ms.is_some_and(|span| i128::from(to) - i128::from(from) > i128::from(span))
}
