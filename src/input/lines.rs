//! The per-line work of NDJSON reading, apart from the reader's state: for each complete line,
//! whether the pre-filter skips it (checked to be valid JSON all the same) or what parsing it
//! gives. A verdict depends on the line's bytes alone, so natively a large batch is split across
//! the machine's cores; the caller applies the verdicts in line order, so results, counts and
//! error reports are the same whatever the split or the number of threads.

use super::ctx::Loc;
use super::prefilter::Prefilter;
use super::util::between;
use crate::projection::Projection;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A complete, non-blank line waiting for its verdict: its span in the reader's buffer
/// (whitespace trimmed) and where it is in the stream.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub start: usize,
    pub end: usize,
    pub loc: Loc,
}

/// What one line gives.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Provably matches no filter of the query, and is valid JSON: counted, not parsed.
    Skipped,
    /// Parsed (an object or not: the normaliser decides what it is).
    Parsed(Value),
    /// An object read through the projection: its projected keys and its text.
    Projected(Map<String, Value>, Box<str>),
    /// Not JSON.
    Invalid(serde_json::Error),
}

/// A batch below this many bytes is read on the calling thread (starting threads costs more).
#[cfg(not(target_arch = "wasm32"))]
const PARALLEL_MIN: usize = 256 * 1024;

/// How lines are read: the pre-filter, if any, and the projection, if any.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Readers<'a> {
    pub prefilter: Option<&'a Arc<Prefilter>>,
    pub projection: Option<&'a Arc<Projection>>,
}

/// The verdicts for `lines` of `buf`, in order. `force_first`: the first line is parsed
/// whatever the pre-filter says. (`buf` is lent to the helper threads for a large batch and
/// is back, unchanged, when this returns: hence the `Vec`, which can be moved out and back.)
#[allow(clippy::ptr_arg)]
pub(crate) fn verdicts(
    buf: &mut Vec<u8>,
    lines: &[Pending],
    readers: Readers<'_>,
    force_first: bool,
) -> Vec<Verdict> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let bytes = match (lines.first(), lines.last()) {
            (Some(first), Some(last)) => last.end.saturating_sub(first.start),
            _ => 0,
        };
        let threads = super::helpers::threads();
        if threads > 1 && bytes >= PARALLEL_MIN && lines.len() >= 2 * threads {
            return parallel(buf, lines, readers, force_first, threads, bytes);
        }
    }
    let projection = readers.projection.map(|p| &**p);
    sequential(
        buf,
        lines,
        readers.prefilter.map(|p| &**p),
        projection,
        force_first,
    )
}

fn sequential(
    buf: &[u8],
    lines: &[Pending],
    prefilter: Option<&Prefilter>,
    projection: Option<&Projection>,
    force_first: bool,
) -> Vec<Verdict> {
    let mut scratch = Vec::new();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let text = between(buf, line.start, line.end);
            let filter = prefilter.filter(|_| !(force_first && i == 0));
            verdict(text, filter, projection, &mut scratch)
        })
        .collect()
}

/// One line's verdict. A line the pre-filter skips is still checked to be valid JSON (and when
/// the fast check is not sure, parsed in full), so damaged records are reported whether or not
/// they could have matched, exactly as without the pre-filter.
fn verdict(
    line: &[u8],
    prefilter: Option<&Prefilter>,
    projection: Option<&Projection>,
    scratch: &mut Vec<u8>,
) -> Verdict {
    if prefilter.is_some_and(|filter| filter.skips_valid(line, scratch)) {
        return Verdict::Skipped;
    }
    if let Some(projection) = projection {
        // A projected parse accepts exactly what a full one does; anything but an object
        // (and the exact error of a bad line) comes from the full parse below.
        if let Ok(Some(fields)) = projection.parse(line) {
            if let Ok(text) = std::str::from_utf8(line) {
                return Verdict::Projected(fields, text.into());
            }
        }
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(value) => Verdict::Parsed(value),
        Err(e) => Verdict::Invalid(e),
    }
}

/// Splits `lines` into `threads` runs of about equal bytes and computes them on the reader's
/// helper threads and this one (`helpers::run_all`), the buffer shared while they run.
#[cfg(not(target_arch = "wasm32"))]
fn parallel(
    buf: &mut Vec<u8>,
    lines: &[Pending],
    readers: Readers<'_>,
    force_first: bool,
    threads: usize,
    bytes: usize,
) -> Vec<Verdict> {
    let first = lines.first().map_or(0, |l| l.start);
    let share = bytes / threads + 1;
    let data = Arc::new(std::mem::take(buf));
    let mut jobs: Vec<Box<dyn FnOnce() -> Vec<Verdict> + Send>> = Vec::with_capacity(threads);
    let mut rest = lines;
    for k in 0..threads {
        let cut = if k + 1 == threads {
            rest.len()
        } else {
            rest.iter()
                .position(|l| l.start >= first + (k + 1) * share)
                .unwrap_or(rest.len())
        };
        let (head, tail) = rest.split_at(cut);
        rest = tail;
        let (part, data) = (head.to_vec(), Arc::clone(&data));
        let filter = readers.prefilter.cloned();
        let projection = readers.projection.cloned();
        let force = force_first && k == 0;
        jobs.push(Box::new(move || {
            sequential(
                &data,
                &part,
                filter.as_deref(),
                projection.as_deref(),
                force,
            )
        }));
    }
    let out = super::helpers::run_all(jobs)
        .into_iter()
        .flatten()
        .collect();
    // Every job has dropped its handle by now, so this takes the buffer back without a copy.
    *buf = Arc::try_unwrap(data).unwrap_or_else(|shared| (*shared).clone());
    out
}
