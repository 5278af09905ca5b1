//! JSON framing: NDJSON (one record per line), a top-level array (elements read as they
//! complete), or another JSON document (a pretty-printed `_search` / EQL response, concatenated
//! pretty objects, evtx_dump's `Record N` + object output), buffered until the end because it is
//! only meaningful whole. The first non-blank line decides: a complete JSON value means NDJSON.

use super::ctx::{Ctx, Loc};
use super::prefilter::Prefilter;
use super::shapes::{self, Container};
use super::util::{after, before, between, excerpt};
use crate::event::Event;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Undecided,
    Lines,
    /// Inside a top-level `[...]` spanning lines: elements are read as they complete.
    Array,
    Document,
}

/// The JSON layer.
#[derive(Debug)]
pub(crate) struct JsonLayer {
    mode: Mode,
    /// Unconsumed bytes (a partial line, or the whole document).
    buf: Vec<u8>,
    /// Stream offset of `buf[0]` and its 1-based line.
    offset: u64,
    line: u64,
    prefilter: Option<Prefilter>,
    /// Whether a record has been parsed (the first one always is, for format detection).
    parsed_one: bool,
    /// Reused by the pre-filter (lower-cased line).
    scratch: Vec<u8>,
    /// Array mode: elements read so far, and the buffer length to wait for before retrying an
    /// incomplete element (doubling, so retries cost O(n) overall).
    index: u64,
    retry_at: usize,
    /// Array mode, after a bad element: skipping to the next line that starts an object,
    /// across pushes (so where the chunks fall never changes where reading resumes).
    resyncing: bool,
}

/// `Record 123` lines that evtx_dump prints before each pretty object.
fn record_marker(line: &[u8]) -> Option<u64> {
    let t = std::str::from_utf8(line).ok()?.trim();
    t.strip_prefix("Record ")?.parse().ok()
}

impl JsonLayer {
    pub fn new(prefilter: Option<Prefilter>) -> Self {
        Self {
            mode: Mode::Undecided,
            buf: Vec::new(),
            offset: 0,
            line: 1,
            prefilter,
            parsed_one: false,
            scratch: Vec::new(),
            index: 0,
            retry_at: 0,
            resyncing: false,
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.buf.extend_from_slice(chunk);
        if self.mode == Mode::Undecided
            && self.buf.len() > 65536
            && memchr::memchr(b'\n', &self.buf).is_none()
            && trim(&self.buf).starts_with(b"[")
        {
            // One huge line holding an array: stream its elements.
            let ws = self
                .buf
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.consume(ws + 1);
            self.mode = Mode::Array;
        }
        if matches!(self.mode, Mode::Undecided | Mode::Lines) {
            self.lines(false, ctx, out);
        }
        if self.mode == Mode::Array {
            self.array_step(false, ctx, out);
        }
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if matches!(self.mode, Mode::Undecided | Mode::Lines) {
            self.lines(true, ctx, out);
        }
        if self.mode == Mode::Array {
            self.array_step(true, ctx, out);
        }
        if self.mode == Mode::Document {
            self.document(ctx, out);
        }
        self.buf.clear();
    }

    /// Consumes complete lines in line mode (deciding the mode on the first non-blank one).
    fn lines(&mut self, at_end: bool, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let mut start = 0;
        loop {
            let rest = after(&self.buf, start);
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (before(rest, i), start + i + 1),
                None if at_end && !rest.is_empty() => (rest, self.buf.len()),
                None => break,
            };
            let trimmed = trim(line);
            if !trimmed.is_empty() {
                if self.mode == Mode::Undecided {
                    let whole = trimmed.starts_with(b"{")
                        && serde_json::from_slice::<Value>(trimmed).is_ok();
                    let one_line_array = trimmed.starts_with(b"[")
                        && serde_json::from_slice::<Value>(trimmed).is_ok();
                    if whole || one_line_array {
                        self.mode = Mode::Lines;
                    } else if trimmed.starts_with(b"[") {
                        // A multi-line array: read its elements as they complete.
                        let ws = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
                        self.offset += start as u64;
                        self.buf.drain(..start);
                        self.consume(ws + 1);
                        self.mode = Mode::Array;
                        return;
                    } else if trimmed.starts_with(b"{") || record_marker(trimmed).is_some() {
                        // A pretty-printed document: keep everything from here on.
                        self.mode = Mode::Document;
                        self.advance(start);
                        return;
                    } else {
                        self.mode = Mode::Lines;
                    }
                }
                let loc = Loc {
                    line: Some(self.line),
                    record: None,
                    offset: Some(self.offset + start as u64),
                };
                one_line(
                    &self.prefilter,
                    &mut self.parsed_one,
                    &mut self.scratch,
                    trimmed,
                    loc,
                    ctx,
                    out,
                );
            }
            self.line += 1;
            start = next;
            if start >= self.buf.len() {
                break;
            }
        }
        // Drop consumed bytes (line counter already advanced).
        self.offset += start as u64;
        self.buf.drain(..start.min(self.buf.len()));
    }

    /// Drops `n` consumed bytes, keeping the line count and offset.
    fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.line += count_lines(before(&self.buf, n));
        self.offset += n as u64;
        self.buf.drain(..n);
    }

    /// Array mode: reads every element that is complete; at the end, reports a truncated array.
    /// After the closing `]`, anything else is read as a document.
    fn array_step(&mut self, at_end: bool, ctx: &mut Ctx, out: &mut Vec<Event>) {
        loop {
            if self.resyncing {
                match next_object_line(&self.buf) {
                    Some(at) => {
                        self.consume(at);
                        self.resyncing = false;
                    }
                    None => {
                        // Keep a last line start whose first bytes have not all arrived:
                        // they decide whether reading resumes there.
                        let keep = match memchr::memrchr(b'\n', &self.buf) {
                            Some(i) if !at_end && self.buf.len() - i <= b"Record ".len() => i,
                            _ => self.buf.len(),
                        };
                        self.consume(keep);
                        return;
                    }
                }
            }
            let ws = self
                .buf
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.consume(ws);
            let loc = Loc {
                line: Some(self.line),
                record: Some(self.index + 1),
                offset: Some(self.offset),
            };
            match self.buf.first() {
                None => {
                    if at_end {
                        ctx.records += 1;
                        ctx.error(loc, "JSON array ends early (truncated?): missing ']'");
                    }
                    return;
                }
                Some(b']') => {
                    self.consume(1);
                    self.mode = Mode::Document;
                    return;
                }
                Some(b',') if self.index > 0 => {
                    self.consume(1);
                    continue;
                }
                _ => {}
            }
            if !at_end && self.buf.len() < self.retry_at {
                return;
            }
            let mut stream = serde_json::Deserializer::from_slice(&self.buf).into_iter::<Value>();
            let next = stream.next();
            let used = stream.byte_offset();
            match next {
                // A number at the very end of the buffer may continue in the next chunk.
                Some(Ok(_)) if !at_end && used >= self.buf.len() => {
                    self.retry_at = self.buf.len() + 1;
                    return;
                }
                Some(Ok(value)) => {
                    self.index += 1;
                    self.retry_at = 0;
                    self.consume(used);
                    shapes::record(value, Container::Document, loc, ctx, out);
                }
                Some(Err(e)) if e.is_eof() && !at_end => {
                    self.retry_at = self.buf.len().saturating_mul(2).max(self.buf.len() + 1);
                    return;
                }
                Some(Err(e)) => {
                    self.index += 1;
                    ctx.records += 1;
                    let what = if e.is_eof() {
                        "JSON array element ends early (truncated?)"
                    } else {
                        "invalid JSON array element"
                    };
                    ctx.error(loc, format!("{what}: {e}"));
                    // Resume at the next line that starts an object (or stop at the end).
                    self.retry_at = 0;
                    self.consume(used.max(1));
                    self.resyncing = true;
                }
                None => return,
            }
        }
    }

    fn advance(&mut self, n: usize) {
        self.offset += n as u64;
        self.buf.drain(..n.min(self.buf.len()));
    }

    /// Parses the buffered document: values one after another, with evtx_dump `Record N` lines
    /// between them; after a syntax error, resumes at the next line that starts an object.
    fn document(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0;
        let mut marker: Option<u64> = None;
        while pos < buf.len() {
            // Skip blanks and `Record N` lines.
            let rest = after(&buf, pos);
            let ws = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
            pos += ws;
            if pos >= buf.len() {
                break;
            }
            let line_end = memchr::memchr(b'\n', after(&buf, pos)).map_or(buf.len(), |i| pos + i);
            if let Some(n) = record_marker(between(&buf, pos, line_end)) {
                marker = Some(n);
                pos = line_end;
                continue;
            }
            let loc = Loc {
                line: Some(self.line + count_lines(before(&buf, pos))),
                record: marker.take(),
                offset: Some(self.offset + pos as u64),
            };
            if buf.get(pos) == Some(&b'[') {
                pos = self.array(&buf, pos, ctx, out);
                continue;
            }
            let mut stream =
                serde_json::Deserializer::from_slice(after(&buf, pos)).into_iter::<Value>();
            match stream.next() {
                Some(Ok(value)) => {
                    pos += stream.byte_offset();
                    shapes::record(value, Container::Document, loc, ctx, out);
                }
                Some(Err(e)) => {
                    ctx.records += 1;
                    let err_at = pos + stream.byte_offset();
                    let err_loc = Loc {
                        line: Some(self.line + count_lines(before(&buf, err_at))),
                        ..loc
                    };
                    let what = if e.is_eof() {
                        "JSON document ends early (truncated?)"
                    } else {
                        "invalid JSON"
                    };
                    ctx.error(err_loc, format!("{what}: {e}"));
                    pos = resync(&buf, err_at.max(pos + 1));
                }
                None => break,
            }
        }
    }
}

impl JsonLayer {
    /// A top-level array, element by element, so one bad or truncated element costs only itself
    /// (and what follows a truncation). Returns the position after the array.
    fn array(&self, buf: &[u8], start: usize, ctx: &mut Ctx, out: &mut Vec<Event>) -> usize {
        let mut pos = start + 1;
        let mut index = 0u64;
        loop {
            pos += after(buf, pos)
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            match buf.get(pos) {
                None => {
                    ctx.records += 1;
                    let loc = self.loc_at(buf, pos, Some(index + 1));
                    ctx.error(loc, "JSON array ends early (truncated?): missing ']'");
                    return pos;
                }
                Some(b']') => return pos + 1,
                Some(b',') if index > 0 => {
                    pos += 1;
                    continue;
                }
                _ => {}
            }
            index += 1;
            let loc = self.loc_at(buf, pos, Some(index));
            let mut stream =
                serde_json::Deserializer::from_slice(after(buf, pos)).into_iter::<Value>();
            match stream.next() {
                Some(Ok(value)) => {
                    pos += stream.byte_offset();
                    shapes::record(value, Container::Document, loc, ctx, out);
                }
                Some(Err(e)) => {
                    ctx.records += 1;
                    let what = if e.is_eof() {
                        "JSON array element ends early (truncated?)"
                    } else {
                        "invalid JSON array element"
                    };
                    ctx.error(loc, format!("{what}: {e}"));
                    return resync(buf, pos + 1);
                }
                None => return buf.len(),
            }
        }
    }

    fn loc_at(&self, buf: &[u8], pos: usize, record: Option<u64>) -> Loc {
        Loc {
            line: Some(self.line + count_lines(before(buf, pos))),
            record,
            offset: Some(self.offset + pos as u64),
        }
    }
}

/// Parses one NDJSON line (unless the pre-filter proves it cannot match).
fn one_line(
    prefilter: &Option<Prefilter>,
    parsed_one: &mut bool,
    scratch: &mut Vec<u8>,
    line: &[u8],
    loc: Loc,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    if let Some(filter) = prefilter {
        // A skipped line is still checked to be JSON (without building a tree), so damaged
        // records are reported whether or not they could have matched.
        if *parsed_one
            && filter.skips(line, scratch)
            && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
        {
            ctx.records += 1;
            ctx.prefiltered += 1;
            return;
        }
    }
    *parsed_one = true;
    match serde_json::from_slice::<Value>(line) {
        Ok(value) => shapes::record(value, Container::Lines, loc, ctx, out),
        Err(e) => {
            ctx.records += 1;
            ctx.error(loc, format!("invalid JSON ({e}): {}", excerpt(line)));
        }
    }
}

/// The first line start after a newline in `buf` that begins an object or a `Record N`
/// marker; `None` if there is none yet.
fn next_object_line(buf: &[u8]) -> Option<usize> {
    let at = resync(buf, 0);
    (at < buf.len()).then_some(at)
}

/// The next line start (after `from`) that begins a new object or `Record N` marker.
fn resync(buf: &[u8], from: usize) -> usize {
    let mut at = from.min(buf.len());
    while let Some(i) = memchr::memchr(b'\n', after(buf, at)) {
        at += i + 1;
        if matches!(buf.get(at), Some(b'{')) || after(buf, at).starts_with(b"Record ") {
            return at;
        }
    }
    buf.len()
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}
