//! The per-line work of NDJSON reading, apart from the reader's state: for each complete line,
//! whether the pre-filter skips it (checked to be valid JSON all the same) or what parsing it
//! gives. A verdict depends on the line's bytes alone, so natively a large batch is split across
//! the machine's cores; the caller applies the verdicts in line order, so results, counts and
//! error reports are the same whatever the split or the number of threads.

use super::ctx::Loc;
use super::prefilter::Prefilter;
use super::util::between;
use serde_json::Value;

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
    /// Not JSON.
    Invalid(serde_json::Error),
}

/// A batch below this many bytes is read on the calling thread (starting threads costs more).
#[cfg(not(target_arch = "wasm32"))]
const PARALLEL_MIN: usize = 256 * 1024;

/// The verdicts for `lines` of `buf`, in order. `force_first`: the first line is parsed
/// whatever the pre-filter says.
pub(crate) fn verdicts(
    buf: &[u8],
    lines: &[Pending],
    prefilter: Option<&Prefilter>,
    force_first: bool,
) -> Vec<Verdict> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let bytes = match (lines.first(), lines.last()) {
            (Some(first), Some(last)) => last.end.saturating_sub(first.start),
            _ => 0,
        };
        let threads = threads();
        if threads > 1 && bytes >= PARALLEL_MIN && lines.len() >= 2 * threads {
            return parallel(buf, lines, prefilter, force_first, threads, bytes);
        }
    }
    sequential(buf, lines, prefilter, force_first)
}

fn sequential(
    buf: &[u8],
    lines: &[Pending],
    prefilter: Option<&Prefilter>,
    force_first: bool,
) -> Vec<Verdict> {
    let mut scratch = Vec::new();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let text = between(buf, line.start, line.end);
            let filter = prefilter.filter(|_| !(force_first && i == 0));
            verdict(text, filter, &mut scratch)
        })
        .collect()
}

/// One line's verdict. A line the pre-filter skips is still checked to be valid JSON (and when
/// the fast check is not sure, parsed in full), so damaged records are reported whether or not
/// they could have matched, exactly as without the pre-filter.
fn verdict(line: &[u8], prefilter: Option<&Prefilter>, scratch: &mut Vec<u8>) -> Verdict {
    if prefilter.is_some_and(|filter| filter.skips_valid(line, scratch)) {
        return Verdict::Skipped;
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(value) => Verdict::Parsed(value),
        Err(e) => Verdict::Invalid(e),
    }
}

/// The cores to use (at most 4: past that, applying verdicts in order is the bottleneck).
#[cfg(not(target_arch = "wasm32"))]
fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(4)
    })
}

/// Splits `lines` into `threads` runs of about equal bytes and computes each on its own thread.
#[cfg(not(target_arch = "wasm32"))]
fn parallel(
    buf: &[u8],
    lines: &[Pending],
    prefilter: Option<&Prefilter>,
    force_first: bool,
    threads: usize,
    bytes: usize,
) -> Vec<Verdict> {
    let first = lines.first().map_or(0, |l| l.start);
    let share = bytes / threads + 1;
    let mut parts: Vec<&[Pending]> = Vec::with_capacity(threads);
    let mut rest = lines;
    for k in 1..threads {
        let cut = rest
            .iter()
            .position(|l| l.start >= first + k * share)
            .unwrap_or(rest.len());
        let (head, tail) = rest.split_at(cut);
        parts.push(head);
        rest = tail;
    }
    parts.push(rest);
    let results: Vec<Vec<Verdict>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .enumerate()
            .map(|(k, part)| {
                let force = force_first && k == 0;
                scope.spawn(move || sequential(buf, part, prefilter, force))
            })
            .collect();
        handles
            .into_iter()
            .zip(&parts)
            .enumerate()
            .map(|(k, (h, part))| {
                // A thread that died (it cannot: `sequential` does not panic) is redone here.
                h.join()
                    .unwrap_or_else(|_| sequential(buf, part, prefilter, force_first && k == 0))
            })
            .collect()
    });
    results.into_iter().flatten().collect()
}
