//! JSON framing: NDJSON (one record per line, streamed) or one JSON document (an array, a
//! `_search` / EQL response, concatenated pretty-printed objects, evtx_dump's `Record N` + object
//! output). The first non-blank line decides: if it is a complete JSON value the input is read
//! line by line; otherwise it is one document, buffered until the end (a document is only
//! meaningful whole; NDJSON is the streaming form).

use super::ctx::{Ctx, Loc};
use super::prefilter::Prefilter;
use super::shapes::{self, Container};
use super::util::excerpt;
use crate::event::Event;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Undecided,
    Lines,
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
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.buf.extend_from_slice(chunk);
        if self.mode != Mode::Document {
            self.lines(false, ctx, out);
        }
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if self.mode != Mode::Document {
            self.lines(true, ctx, out);
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
            let rest = &self.buf[start..];
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], start + i + 1),
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
                    } else if trimmed.starts_with(b"{")
                        || trimmed.starts_with(b"[")
                        || record_marker(trimmed).is_some()
                    {
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
            let rest = &buf[pos..];
            let ws = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
            pos += ws;
            if pos >= buf.len() {
                break;
            }
            let line_end = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i);
            if let Some(n) = record_marker(&buf[pos..line_end]) {
                marker = Some(n);
                pos = line_end;
                continue;
            }
            let loc = Loc {
                line: Some(self.line + count_lines(&buf[..pos])),
                record: marker.take(),
                offset: Some(self.offset + pos as u64),
            };
            if buf[pos] == b'[' {
                pos = self.array(&buf, pos, ctx, out);
                continue;
            }
            let mut stream = serde_json::Deserializer::from_slice(&buf[pos..]).into_iter::<Value>();
            match stream.next() {
                Some(Ok(value)) => {
                    pos += stream.byte_offset();
                    shapes::record(value, Container::Document, loc, ctx, out);
                }
                Some(Err(e)) => {
                    ctx.records += 1;
                    let err_at = pos + stream.byte_offset();
                    let err_loc = Loc {
                        line: Some(self.line + count_lines(&buf[..err_at.min(buf.len())])),
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
            pos += buf[pos..]
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
            let mut stream = serde_json::Deserializer::from_slice(&buf[pos..]).into_iter::<Value>();
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
            line: Some(self.line + count_lines(&buf[..pos.min(buf.len())])),
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
        if *parsed_one && filter.skips(line, scratch) {
            ctx.records += 1;
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

/// The next line start (after `from`) that begins a new object or `Record N` marker.
fn resync(buf: &[u8], from: usize) -> usize {
    let mut at = from.min(buf.len());
    while let Some(i) = memchr::memchr(b'\n', &buf[at..]) {
        at += i + 1;
        if matches!(buf.get(at), Some(b'{')) || buf[at..].starts_with(b"Record ") {
            return at;
        }
    }
    buf.len()
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &line[start..end.max(start)]
}
