//! The per-line work of NDJSON reading, apart from the reader's state: a batch of complete
//! lines is framed (split at newlines, trimmed, blank lines left out) and each line gets its
//! verdict: whether the pre-filter skips it (checked to be valid JSON all the same) or what
//! parsing it gives. Both depend on the bytes alone, so natively a large batch is cut at
//! newlines into one run per core and framed and judged there: the reader's own thread only
//! applies the verdicts, in line order, so results, counts and error reports are the same
//! whatever the split or the number of threads.

use super::blockscan::Blocks;
use super::ctx::Loc;
use super::prefilter::Prefilter;
use super::util::between;
use crate::projection::Projection;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A complete, non-blank line and its verdict: its span in the reader's buffer (whitespace
/// trimmed) and where it is in the stream.
#[derive(Debug)]
pub(crate) struct Line {
    pub start: usize,
    pub end: usize,
    pub loc: Loc,
    pub verdict: Verdict,
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

/// Where a batch starts in the stream: the 1-based line of its first byte and the stream
/// offset of the buffer's first byte.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub line: u64,
    pub offset: u64,
}

/// A framed and judged batch.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// The non-blank lines, in order.
    pub lines: Vec<Line>,
    /// How many lines the batch spans, blank ones included.
    pub count: u64,
}

/// The lines of `buf[from..to]` (each ends at a newline or at `to`) with their verdicts.
/// `force_first`: the first line is parsed whatever the pre-filter says. (`buf` is lent to the
/// helper threads for a large batch and is back, unchanged, when this returns: hence the `Vec`,
/// which can be moved out and back.)
#[allow(clippy::ptr_arg)]
pub(crate) fn read(
    buf: &mut Vec<u8>,
    (from, to): (usize, usize),
    origin: Origin,
    readers: Readers<'_>,
    force_first: bool,
) -> Batch {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = super::helpers::threads();
        if threads > 1 && to.saturating_sub(from) >= PARALLEL_MIN {
            return parallel(buf, (from, to), origin, readers, force_first, threads);
        }
    }
    let mut batch = frame_and_judge(
        buf,
        (from, to),
        readers.prefilter.map(|p| &**p),
        readers.projection.map(|p| &**p),
        force_first,
    );
    place(&mut batch.lines, origin);
    batch
}

/// Frames `buf[from..to]` and judges each line; a line's `loc` holds, for now, the count of
/// lines before it in the run and its start in `buf` (made absolute by [`place`]).
fn frame_and_judge(
    buf: &[u8],
    (from, to): (usize, usize),
    prefilter: Option<&Prefilter>,
    projection: Option<&Projection>,
    force_first: bool,
) -> Batch {
    let mut batch = Batch::default();
    let mut scratch = Blocks::default();
    let mut start = from;
    while start < to {
        let end = memchr::memchr(b'\n', between(buf, start, to)).map_or(to, |i| start + i);
        let line = between(buf, start, end);
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty() {
            let lead = line.len() - line.trim_ascii_start().len();
            let filter = prefilter.filter(|_| !(force_first && batch.lines.is_empty()));
            batch.lines.push(Line {
                start: start + lead,
                end: start + lead + trimmed.len(),
                loc: Loc {
                    line: Some(batch.count),
                    record: None,
                    offset: Some(start as u64),
                },
                verdict: verdict(trimmed, filter, projection, &mut scratch),
            });
        }
        batch.count += 1;
        start = end + 1;
    }
    batch
}

/// Turns the run-relative `loc`s of [`frame_and_judge`] into stream positions.
fn place(lines: &mut [Line], origin: Origin) {
    for line in lines {
        line.loc.line = line.loc.line.map(|n| origin.line + n);
        line.loc.offset = line.loc.offset.map(|at| origin.offset + at);
    }
}

/// One line's verdict. A line the pre-filter skips is still checked to be valid JSON (and when
/// the fast check is not sure, parsed in full), so damaged records are reported whether or not
/// they could have matched, exactly as without the pre-filter.
fn verdict(
    line: &[u8],
    prefilter: Option<&Prefilter>,
    projection: Option<&Projection>,
    scratch: &mut Blocks,
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

/// Cuts `buf[from..to]` at newlines into `threads` runs of about equal bytes, frames and
/// judges them on the reader's helper threads and this one (`helpers::run_all`), the buffer
/// shared while they run, and joins the runs in order.
#[cfg(not(target_arch = "wasm32"))]
fn parallel(
    buf: &mut Vec<u8>,
    (from, to): (usize, usize),
    origin: Origin,
    readers: Readers<'_>,
    force_first: bool,
    threads: usize,
) -> Batch {
    let share = (to - from) / threads + 1;
    let mut cuts = vec![from];
    for k in 1..threads {
        let at = (from + k * share).max(cuts.last().copied().unwrap_or(from));
        let cut = memchr::memchr(b'\n', between(buf, at, to)).map_or(to, |i| at + i + 1);
        cuts.push(cut);
    }
    cuts.push(to);
    let data = Arc::new(std::mem::take(buf));
    let jobs: Vec<Box<dyn FnOnce() -> Batch + Send>> = cuts
        .iter()
        .zip(cuts.iter().skip(1))
        .enumerate()
        .map(|(k, (&start, &end))| {
            let (run, data) = ((start, end), Arc::clone(&data));
            let filter = readers.prefilter.cloned();
            let projection = readers.projection.cloned();
            let force = force_first && k == 0;
            Box::new(move || {
                frame_and_judge(&data, run, filter.as_deref(), projection.as_deref(), force)
            }) as Box<dyn FnOnce() -> Batch + Send>
        })
        .collect();
    let mut out = Batch::default();
    for mut run in super::helpers::run_all(jobs) {
        let at = Origin {
            line: origin.line + out.count,
            offset: origin.offset,
        };
        place(&mut run.lines, at);
        out.count += run.count;
        out.lines.append(&mut run.lines);
    }
    // Every job has dropped its handle by now, so this takes the buffer back without a copy.
    *buf = Arc::try_unwrap(data).unwrap_or_else(|shared| (*shared).clone());
    out
}
