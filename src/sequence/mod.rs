//! The sequence matcher: Elasticsearch's `SequenceMatcher` semantics over a stream.
//!
//! This module knows nothing about queries, JSON or events: it takes already-classified hits
//! (which stages an event matches, under which join keys, at which [`Ordinal`]) and assembles
//! sequences. That keeps the algorithm small enough to test exhaustively with hand-built hits,
//! and lets [`crate::correlator`] own the glue to compiled queries.
//!
//! * [`ReorderBuffer`] turns an arbitrarily ordered stream into ordinal order within a bounded
//!   window, reporting what arrived too late.
//! * [`Matcher`] is the reference algorithm of the spec (`eql-semantics.md` §2.8) with missing
//!   events (§2.5) decided in streaming form.
//! * [`ResultLimit`] applies `head`/`tail`/`size` (§2.6).

mod limit;
mod matcher;
mod ordinal;
mod reorder;

pub use limit::{ResultLimit, Then};
pub use matcher::{Matcher, MatcherSpec};
pub use ordinal::{Ordinal, SortValue};
pub use reorder::ReorderBuffer;

/// One event as the matcher sees it: where it sorts, what it carries, and the join keys under
/// which it matches each stage.
#[derive(Debug, Clone)]
pub struct Hit<K, P> {
    /// The event's sort key.
    pub ordinal: Ordinal,
    /// What results carry for this event (for example `Arc<Event>`).
    pub payload: P,
    /// Per stage (same indexes as [`MatcherSpec::missing`]), the join keys under which the event
    /// matches that stage; empty when it does not match it.
    pub stages: Vec<Vec<K>>,
    /// The join keys under which the event matches the `until` clause (empty if none).
    pub until: Vec<K>,
}

/// A finished sequence: its join key and one entry per stage, `None` for a missing-event stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Completed<K, P> {
    /// The shared join key of all events.
    pub key: K,
    /// One entry per stage in query order; `None` is the placeholder of a `![...]` stage.
    pub events: Vec<Option<P>>,
}

#[cfg(test)]
mod tests;
