//! JSON framing: NDJSON (one record per line), a top-level array (elements read as they
//! complete), or other JSON documents (a pretty-printed `_search` / EQL response, concatenated
//! pretty objects, evtx_dump's `Record N` + object output). Objects in a document, and NDJSON
//! lines longer than [`STREAM_LINE`], are read as streams ([`DocStream`]): a search response's
//! hits are read one by one as they complete, never the whole document. Anything else in a
//! document (a top-level array after an object, stray text) is buffered to the end and read as
//! before. The first non-blank line decides: a complete JSON value means NDJSON.
//!
//! Every byte is scanned for framing once: the scan position of a partial line is kept across
//! chunks (`Ctx::examined` counts the bytes looked at, for the linearity tests).

use super::ctx::{Ctx, Loc};
use super::docstream::{DocStream, Style};
use super::lines::{self, Origin, Readers, Verdict};
use super::prefilter::Prefilter;
use super::shapes::{self, Container};
use super::util::{after, before, between, excerpt};
use crate::event::Event;
use crate::projection::Projection;
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Undecided,
    Lines,
    /// Inside a top-level `[...]` spanning lines: elements are read as they complete.
    Array,
    /// Between documents: objects are streamed, `Record N` lines noted.
    Document,
    /// Something else in a document: buffered to the end.
    Buffered,
}

/// An NDJSON line longer than this (bytes, no newline yet) that opens an object is streamed.
pub(crate) const STREAM_LINE: usize = 1 << 20;

/// The JSON layer.
#[derive(Debug)]
pub(crate) struct JsonLayer {
    mode: Mode,
    /// Unconsumed bytes (a partial line, or the whole document).
    buf: Vec<u8>,
    /// Stream offset of `buf[0]` and its 1-based line.
    offset: u64,
    line: u64,
    prefilter: Option<Arc<Prefilter>>,
    /// NDJSON lines are read through this projection (documents and arrays are read whole).
    projection: Option<Arc<Projection>>,
    /// Whether a record has been parsed (the first one always is, for format detection).
    parsed_one: bool,
    /// Array mode: elements read so far, and the buffer length to wait for before retrying an
    /// incomplete element (doubling, so retries cost O(n) overall).
    index: u64,
    retry_at: usize,
    /// Array mode, after a bad element: skipping to the next line that starts an object,
    /// across pushes (so where the chunks fall never changes where reading resumes).
    resyncing: bool,
    /// Line mode: `buf[..scanned]` holds no newline (a partial line already looked at).
    scanned: usize,
    /// The object being streamed (a document, or a long line).
    stream: Option<Box<DocStream>>,
    /// Document mode: the `Record N` marker for the next object.
    marker: Option<u64>,
}

/// `Record 123` lines that evtx_dump prints before each pretty object.
fn record_marker(line: &[u8]) -> Option<u64> {
    let t = std::str::from_utf8(line).ok()?.trim();
    t.strip_prefix("Record ")?.parse().ok()
}

impl JsonLayer {
    pub fn new(prefilter: Option<Arc<Prefilter>>, projection: Option<Arc<Projection>>) -> Self {
        Self {
            mode: Mode::Undecided,
            buf: Vec::new(),
            offset: 0,
            line: 1,
            prefilter,
            projection,
            parsed_one: false,
            index: 0,
            retry_at: 0,
            resyncing: false,
            scanned: 0,
            stream: None,
            marker: None,
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.feed(chunk, false, ctx, out);
    }

    /// [`push`](Self::push), taking the bytes out of `chunk` (left empty, perhaps holding a
    /// spare allocation for the caller's next read). Between NDJSON lines the chunk becomes
    /// the layer's buffer and its lines are read where they are: only the line split across
    /// pushes is copied, not the whole chunk.
    pub fn push_buf(&mut self, chunk: &mut Vec<u8>, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let reading_lines = |l: &Self| l.mode == Mode::Lines && l.stream.is_none();
        let first_newline = if reading_lines(self) {
            memchr::memchr(b'\n', chunk)
        } else {
            None
        };
        let Some(i) = first_newline else {
            self.push(chunk, ctx, out);
            chunk.clear();
            return;
        };
        // The line the last push left partial ends at `i`: it is read from the buffer.
        let head = if self.buf.is_empty() {
            0
        } else {
            self.push(before(chunk, i + 1), ctx, out);
            i + 1
        };
        if !(self.buf.is_empty() && reading_lines(self)) {
            self.push(after(chunk, head), ctx, out);
            chunk.clear();
            return;
        }
        std::mem::swap(&mut self.buf, chunk);
        chunk.clear();
        // `buf[..head]` is read already: `offset` is that of `buf[0]`.
        self.offset -= head as u64;
        self.scanned = head;
        self.appended(head, false, ctx, out);
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.feed(&[], true, ctx, out);
        if let Some(stream) = self.stream.take() {
            let marker = stream.marker();
            if let Some(back) = stream.finish(ctx) {
                self.hand_back(back, marker, &[]);
            }
        }
        if self.mode == Mode::Buffered {
            self.document(ctx, out);
        }
        self.buf.clear();
    }

    /// Hands `chunk` to the stream, the document reader, or the buffer and line / array readers.
    fn feed(&mut self, chunk: &[u8], at_end: bool, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let mut chunk = chunk;
        loop {
            if let Some(stream) = &mut self.stream {
                if chunk.is_empty() {
                    return;
                }
                match stream.push(chunk, ctx, out) {
                    None => {
                        self.account(chunk, ctx);
                        return;
                    }
                    Some(ended) => {
                        let n = ended.used;
                        let marker = stream.marker();
                        self.stream = None;
                        self.account(before(chunk, n), ctx);
                        chunk = after(chunk, n);
                        if let Some(back) = ended.back {
                            self.hand_back(back, marker, chunk);
                            return;
                        }
                    }
                }
            }
            match self.mode {
                Mode::Buffered => {
                    self.buf.extend_from_slice(chunk);
                    return;
                }
                Mode::Document if self.buf.is_empty() => {
                    let n = self.document_slice(chunk, at_end, ctx);
                    chunk = after(chunk, n);
                    if self.stream.is_none() {
                        // A partial `Record N` line waits for more; the rest is buffered.
                        self.buf.extend_from_slice(chunk);
                        return;
                    }
                }
                Mode::Document => {
                    let mut data = std::mem::take(&mut self.buf);
                    data.extend_from_slice(chunk);
                    return self.feed(&data, at_end, ctx, out);
                }
                Mode::Undecided | Mode::Lines | Mode::Array => {
                    self.buf.extend_from_slice(chunk);
                    return self.appended(0, at_end, ctx, out);
                }
            }
        }
    }

    /// Reads what the buffer holds from `start` on, after bytes were added to it, in line or
    /// array mode.
    fn appended(&mut self, start: usize, at_end: bool, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if matches!(self.mode, Mode::Undecided | Mode::Lines) {
            self.lines(start, at_end, ctx, out);
        }
        if self.mode == Mode::Array {
            self.array_step(at_end, ctx, out);
        }
        if self.stream.is_some() || self.mode == Mode::Document {
            // A long line became a stream, or an array ended: go on from here.
            let data = std::mem::take(&mut self.buf);
            self.scanned = 0;
            if data.is_empty() && !at_end {
                return;
            }
            self.feed(&data, at_end, ctx, out);
        }
    }

    /// A damaged document handed back by its stream: it and everything after it are read by
    /// the buffered document reader (which reports the damage and resynchronises).
    fn hand_back(&mut self, back: Vec<u8>, marker: Option<u64>, rest: &[u8]) {
        self.offset -= back.len() as u64;
        self.line -= count_lines(&back);
        self.marker = marker;
        self.mode = Mode::Buffered;
        self.buf = back;
        self.buf.extend_from_slice(rest);
    }

    /// Bytes handed to a stream: keeps the line count and offset.
    fn account(&mut self, bytes: &[u8], ctx: &mut Ctx) {
        ctx.examined += bytes.len() as u64;
        self.line += count_lines(bytes);
        self.offset += bytes.len() as u64;
    }

    /// Document mode on `bytes`: skips blanks, notes `Record N` lines, and starts a stream at
    /// the next object (anything else switches to buffering). Returns the bytes consumed.
    fn document_slice(&mut self, bytes: &[u8], at_end: bool, ctx: &mut Ctx) -> usize {
        let mut i = 0;
        loop {
            let ws = after(bytes, i)
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.account(between(bytes, i, i + ws), ctx);
            i += ws;
            let Some(&first) = bytes.get(i) else {
                return i;
            };
            if first == b'{' {
                let loc = Loc {
                    line: Some(self.line),
                    record: self.marker.take(),
                    offset: Some(self.offset),
                };
                self.stream = Some(Box::new(DocStream::new(
                    loc,
                    Container::Document,
                    Style::Document,
                )));
                return i;
            }
            let rest = after(bytes, i);
            let end = memchr::memchr(b'\n', rest);
            ctx.examined += end.map_or(rest.len(), |e| e + 1) as u64;
            match end {
                Some(e) if record_marker(before(rest, e)).is_some() => {
                    self.marker = record_marker(before(rest, e));
                    self.account(before(rest, e), ctx);
                    i += e;
                }
                None if at_end && record_marker(rest).is_some() => {
                    self.marker = record_marker(rest);
                    self.account(rest, ctx);
                    i = bytes.len();
                }
                None if !at_end && first == b'R' && rest.len() < 64 => return i,
                _ => {
                    self.mode = Mode::Buffered;
                    return i;
                }
            }
        }
    }

    /// Consumes complete lines in line mode (deciding the mode on the first non-blank one).
    /// `buf[..start]` is read already.
    fn lines(&mut self, start: usize, at_end: bool, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let mut start = start;
        // Line by line until the first non-blank line decides the mode.
        while self.mode == Mode::Undecided {
            // A partial line is not scanned again when more of it arrives.
            let from = start.max(self.scanned);
            let found = memchr::memchr(b'\n', after(&self.buf, from)).map(|i| from + i);
            ctx.examined += (found.map_or(self.buf.len(), |i| i + 1) - from) as u64;
            let (line, next) = match found {
                Some(i) => (between(&self.buf, start, i), i + 1),
                None if at_end && start < self.buf.len() => {
                    (after(&self.buf, start), self.buf.len())
                }
                None => {
                    self.scanned = self.buf.len();
                    if at_end || !self.long_line(start, ctx) {
                        self.advance_lines(start);
                    }
                    return;
                }
            };
            let trimmed = trim(line);
            if trimmed.is_empty() {
                self.line += 1;
                start = next;
                if start >= self.buf.len() {
                    break;
                }
                continue;
            }
            let valid = |t: &[u8]| serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok();
            ctx.examined += trimmed.len() as u64;
            let whole = trimmed.starts_with(b"{") && valid(trimmed);
            let one_line_array = trimmed.starts_with(b"[") && valid(trimmed);
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
            // The deciding line is the batch's first (scanned again there: it is one line).
            self.scanned = start;
        }
        if self.mode == Mode::Lines {
            // Every complete line from `start` as one batch; the rest has no newline.
            let from = start.max(self.scanned);
            let end = if at_end {
                self.buf.len()
            } else {
                memchr::memrchr(b'\n', after(&self.buf, from)).map_or(start, |i| from + i + 1)
            };
            ctx.examined += self.buf.len().saturating_sub(from) as u64;
            if end > start {
                self.read_lines((start, end), ctx, out);
                start = end;
            }
            self.scanned = self.buf.len();
            if !at_end && self.long_line(start, ctx) {
                return;
            }
        }
        self.advance_lines(start);
    }

    /// Drops the consumed `buf[..start]` (the line counter already advanced past it).
    fn advance_lines(&mut self, start: usize) {
        let start = start.min(self.buf.len());
        self.offset += start as u64;
        self.buf.drain(..start);
        self.scanned = self.scanned.saturating_sub(start);
    }

    /// A partial line from `buf[start..]` with no newline yet: a long one that opens an object
    /// becomes a stream, a long first line that opens an array is read element by element.
    /// Returns whether the line was taken over (consumed bytes are dropped).
    fn long_line(&mut self, start: usize, ctx: &mut Ctx) -> bool {
        let rest = after(&self.buf, start);
        let ws = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let first = rest.get(ws).copied();
        if rest.len() > STREAM_LINE && first == Some(b'{') {
            self.offset += start as u64;
            self.buf.drain(..start);
            self.scanned = 0;
            let loc = Loc {
                line: Some(self.line),
                record: None,
                offset: Some(self.offset),
            };
            let style = if self.mode == Mode::Undecided {
                Style::Document
            } else {
                Style::Line
            };
            self.mode = Mode::Lines;
            self.parsed_one = true;
            ctx.examined += ws as u64;
            self.offset += ws as u64;
            self.buf.drain(..ws);
            self.stream = Some(Box::new(DocStream::new(loc, Container::Lines, style)));
            return true;
        }
        if self.mode == Mode::Undecided
            && start == 0
            && self.buf.len() > 65536
            && first == Some(b'[')
        {
            // One huge line holding an array: stream its elements.
            self.scanned = 0;
            self.consume(ws + 1);
            self.mode = Mode::Array;
            return true;
        }
        false
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
            // A failed attempt (an element not complete yet) looked at everything buffered.
            ctx.examined += match next {
                Some(Ok(_)) => used,
                _ => self.buf.len(),
            } as u64;
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
                // Incomplete, or an error where the buffer ends (a number cut there reads as
                // out of range): what comes next decides, so wait for it.
                Some(Err(e)) if !at_end && (e.is_eof() || ends_at(&self.buf, &e)) => {
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
        let mut marker: Option<u64> = self.marker.take();
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

    /// Reads the complete NDJSON lines of `buf[span]`: framed and judged first (pre-filter,
    /// validity, parsing: no shared state, so in parallel for large batches), then each
    /// verdict applied in line order, so what is reported never depends on the split.
    fn read_lines(&mut self, span: (usize, usize), ctx: &mut Ctx, out: &mut Vec<Event>) {
        // The first record of a stream is always parsed (format detection needs it).
        let force_first = !self.parsed_one;
        self.parsed_one = true;
        let readers = Readers {
            prefilter: self.prefilter.as_ref(),
            projection: self.projection.as_ref(),
        };
        let origin = Origin {
            line: self.line,
            offset: self.offset,
        };
        let batch = lines::read(&mut self.buf, span, origin, readers, force_first);
        self.line += batch.count;
        for line in batch.lines {
            match line.verdict {
                Verdict::Skipped => {
                    ctx.records += 1;
                    ctx.prefiltered += 1;
                }
                Verdict::Parsed(value) => {
                    shapes::record(value, Container::Lines, line.loc, ctx, out);
                }
                Verdict::Projected(fields, text) => match &self.projection {
                    Some(projection) => {
                        shapes::projected(fields, text, projection, line.loc, ctx, out)
                    }
                    None => shapes::record_text(&text, Container::Lines, line.loc, ctx, out),
                },
                Verdict::Invalid(e) => {
                    ctx.records += 1;
                    let text = between(&self.buf, line.start, line.end);
                    ctx.error(line.loc, format!("invalid JSON ({e}): {}", excerpt(text)));
                }
            }
        }
    }
}

/// Whether `error`, from parsing `buf`, lies at its last byte (serde_json gives 1-based lines
/// and the column of the byte it stopped at).
fn ends_at(buf: &[u8], error: &serde_json::Error) -> bool {
    let last_line_start = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
    let lines = memchr::memchr_iter(b'\n', buf).count() + 1;
    error.line() == lines && error.column() + 1 >= buf.len() - last_line_start
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
