//! What went wrong or was left out in a run, in the words the CLI prints on stderr and the page
//! shows under its status line: skipped and late events, refused sequences, exceptions.

use super::view::location;
use super::SessionSummary;
use crate::correlator::DEFAULT_MAX_OPEN_SEQUENCES;
use std::fmt::Write;

impl SessionSummary {
    /// The run's warnings, one per line, each line ending in `\n` (empty when all is well).
    pub fn warnings(&self, timestamp_field: &str) -> String {
        let summary = self;
        let mut out = String::new();
        let c = &summary.correlator;
        if c.skipped > 0 {
            let _ = writeln!(
                out,
                "eqlite: warning: {} event(s) skipped for lack of a usable {timestamp_field}",
                c.skipped
            );
            for skipped in &c.skipped_examples {
                let _ = writeln!(
                    out,
                    "  {}: {}",
                    location(&skipped.provenance),
                    skipped.reason
                );
            }
        }
        if c.refused_sequences > 0 {
            let _ = writeln!(
                out,
                "eqlite: warning: {} partial sequence(s) were not started because {} were already \
                 open; results may be incomplete",
                c.refused_sequences, DEFAULT_MAX_OPEN_SEQUENCES
            );
        }
        if c.late > 0 {
            let _ = writeln!(
                out,
                "eqlite: warning: {} event(s) arrived too far out of order and were not correlated; \
                 raise --reorder-window, or leave it out for the exact batch answer",
                c.late
            );
            for late in &c.late_examples {
                let _ = writeln!(
                    out,
                    "  {}: {} ms behind",
                    location(&late.provenance),
                    late.behind_ms
                );
            }
        }
        if summary.suppressed_matches > 0 || summary.excluded_by_exceptions > 0 {
            let _ = writeln!(
                out,
                "eqlite: exceptions dropped {} event(s) and suppressed {} match(es)",
                summary.excluded_by_exceptions, summary.suppressed_matches
            );
        }
        out
    }
}
