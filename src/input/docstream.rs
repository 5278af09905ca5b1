//! One JSON object read as a stream: a push-based structural scanner (strings, nesting, the keys
//! of the envelope levels) that finds a search response's hit arrays (`hits.hits[]`,
//! `hits.events[]`, `hits.sequences[]`, also under Kibana's `rawResponse`) and hands each
//! element to [`shapes::search_hit`] as soon as its closing byte arrives. Only one element is
//! held at a time; everything else (`took`, `_shards`, `hits.total`, ...) is kept as a small
//! "skeleton" document with the streamed arrays emptied, parsed at the end for the notes.
//! A document that turns out not to be a search response is its skeleton, whole, and is read
//! exactly as before ([`shapes::record`]).
//!
//! Every byte is scanned once (the scan position survives across chunks), so the cost is linear
//! in the document and memory follows the largest hit.

use super::ctx::{Ctx, Loc};
use super::shapes::{self, Container};
use super::util::{after, before, between, excerpt};
use crate::event::Event;
use serde_json::Value;

/// `rawResponse` envelopes followed (shapes.rs follows at most 4 envelopes in all).
const MAX_RAW: u8 = 3;

/// Bytes copied and scanned at a time.
const PIECE: usize = 8192;

/// How an error in the document is worded (the framing it came from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// An NDJSON line: `invalid JSON (reason): excerpt`; a newline ends the object (a damaged
    /// line costs only itself).
    Line,
    /// A JSON document: `invalid JSON: reason` / `JSON document ends early (truncated?): reason`.
    Document,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Elements are hits.
    Hits,
    /// Elements are EQL sequences, whose `events` are hits.
    Sequences,
}

/// What an open container is, for the path that leads to hit arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The document or a `rawResponse` object this many envelopes down.
    Envelope(u8),
    /// The `hits` object of an envelope.
    Hits(u8),
    /// A streamed array of hits or sequences.
    Stream(Kind),
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    None,
    Hits,
    Events,
    Sequences,
    Raw,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    object: bool,
    role: Role,
    /// In an object: the next string is a key.
    expect_key: bool,
    /// The key of the member being read (tracked at envelope and `hits` levels only).
    key: Key,
}

/// One streamed JSON object (see the module docs).
#[derive(Debug)]
pub(crate) struct DocStream {
    /// Unconsumed bytes: from the start of the element being read (or of a key).
    buf: Vec<u8>,
    /// Next byte to scan in `buf`.
    pos: usize,
    /// `buf[..copied]` has been copied to the skeleton or dropped.
    copied: usize,
    /// Document bytes before `buf[0]`.
    base: u64,
    /// Newlines scanned so far (document-relative lines).
    newlines: u64,
    in_str: bool,
    escaped: bool,
    stack: Vec<Frame>,
    /// Start of the key string being read in a tracked object.
    key_start: Option<usize>,
    /// Start of the streamed element being read, and the document line it starts on.
    unit: Option<(usize, u64)>,
    skeleton: Vec<u8>,
    /// `rawResponse` levels down to the search response, once recognised.
    search: Option<u8>,
    /// Hits streamed so far (their record numbers).
    count: u64,
    loc: Loc,
    container: Container,
    style: Style,
    /// A line's object reached the end of its line unfinished.
    line_break: bool,
}

impl DocStream {
    /// A stream for the object starting at `loc` (its first byte is the next one pushed).
    pub fn new(loc: Loc, container: Container, style: Style) -> Self {
        Self {
            buf: Vec::new(),
            pos: 0,
            copied: 0,
            base: 0,
            newlines: 0,
            in_str: false,
            escaped: false,
            stack: Vec::new(),
            key_start: None,
            unit: None,
            skeleton: Vec::new(),
            search: None,
            count: 0,
            loc,
            container,
            style,
            line_break: false,
        }
    }

    /// Feeds the next bytes. Returns how many bytes of `chunk` the document took when it ended
    /// in them (it has then been handled, or is handed back); `None` when it continues.
    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) -> Option<Ended> {
        // In pieces, so a small document at the start of a big chunk copies little of it.
        let mut done = 0;
        for piece in chunk.chunks(PIECE) {
            let before = self.buf.len();
            self.buf.extend_from_slice(piece);
            let start = self.pos;
            let end = self.scan(ctx, out);
            ctx.examined += (self.pos - start) as u64;
            if let Some(at) = end {
                let back = if self.line_break {
                    // The line ended inside the object: report it, go on after the line.
                    self.truncated(at, ctx);
                    None
                } else {
                    self.end(at, ctx, out)
                };
                return Some(Ended {
                    used: done + at - before,
                    back,
                });
            }
            self.compact();
            done += piece.len();
        }
        None
    }

    /// The input ended inside the document: reports it as truncated (hits streamed before the
    /// cut have been read).
    /// A damaged document without streamed hits is handed back instead (its bytes), for the
    /// buffered reader's error report and resynchronisation.
    pub fn finish(mut self, ctx: &mut Ctx) -> Option<Vec<u8>> {
        if self.can_hand_back() {
            let mut whole = std::mem::take(&mut self.skeleton);
            whole.extend_from_slice(after(&self.buf, self.copied));
            return Some(whole);
        }
        let end = self.buf.len();
        self.truncated(end, ctx);
        None
    }

    /// Reports the document as cut before `buf[end]` (counted as one record).
    fn truncated(&mut self, end: usize, ctx: &mut Ctx) {
        ctx.records += 1;
        let tail = match self.unit {
            Some((start, _)) => between(&self.buf, start, end).to_vec(),
            None => {
                let mut whole = std::mem::take(&mut self.skeleton);
                whole.extend_from_slice(between(&self.buf, self.copied.min(end), end));
                whole
            }
        };
        let e = match serde_json::from_slice::<Value>(&tail) {
            Err(e) => e.to_string(),
            Ok(_) => "EOF while parsing an object".to_string(),
        };
        let loc = Loc {
            line: self.loc.line.map(|l| l + self.newlines),
            ..self.loc
        };
        let reason = match self.style {
            Style::Line => format!("invalid JSON ({e}): {}", excerpt(&tail)),
            Style::Document => format!("JSON document ends early (truncated?): {e}"),
        };
        ctx.error(loc, reason);
    }

    /// Whether a damaged document can be handed back whole: nothing was streamed from it, and
    /// its framing (a document) has a reader that resynchronises.
    fn can_hand_back(&self) -> bool {
        self.style == Style::Document && self.search.is_none()
    }

    /// The `Record N` marker the document was given.
    pub fn marker(&self) -> Option<u64> {
        self.loc.record
    }

    /// Scans `buf[pos..]`; returns the position after the document's closing brace, or (an NDJSON
    /// line's object, `line_break` set) of the newline that ended the line first.
    fn scan(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) -> Option<usize> {
        while self.pos < self.buf.len() {
            if self.in_str {
                if self.escaped {
                    self.escaped = false;
                    self.pos += 1;
                    continue;
                }
                let rest = after(&self.buf, self.pos);
                let found = if self.style == Style::Line {
                    memchr::memchr3(b'"', b'\\', b'\n', rest)
                } else {
                    memchr::memchr2(b'"', b'\\', rest)
                };
                match found {
                    None => self.pos = self.buf.len(),
                    Some(i) => {
                        let at = self.pos + i;
                        if self.buf.get(at) == Some(&b'\n') {
                            self.line_break = true;
                            self.pos = at;
                            return Some(at);
                        }
                        self.pos = at + 1;
                        if self.buf.get(at) == Some(&b'\\') {
                            self.escaped = true;
                        } else {
                            self.in_str = false;
                            if let Some(k) = self.key_start.take() {
                                self.key_end(k, at);
                            }
                        }
                    }
                }
                continue;
            }
            let at = self.pos;
            let Some(&b) = self.buf.get(at) else {
                break;
            };
            self.pos += 1;
            match b {
                b'"' => {
                    self.in_str = true;
                    match self.stack.last() {
                        Some(f) if f.object && f.expect_key && f.role != Role::Other => {
                            self.key_start = Some(at);
                        }
                        _ => self.value_start(at),
                    }
                }
                b'{' | b'[' => {
                    self.value_start(at);
                    let role = self.child_role(b);
                    if matches!(role, Role::Stream(_)) {
                        self.skeleton
                            .extend_from_slice(between(&self.buf, self.copied, at + 1));
                        self.copied = at + 1;
                    }
                    self.stack.push(Frame {
                        object: b == b'{',
                        role,
                        expect_key: b == b'{',
                        key: Key::None,
                    });
                }
                b'}' | b']' => {
                    if let Some(Frame {
                        role: Role::Stream(kind),
                        ..
                    }) = self.stack.last().copied()
                    {
                        self.unit_end(kind, at, ctx, out);
                        self.copied = at;
                    }
                    self.stack.pop();
                    if self.stack.is_empty() {
                        return Some(at + 1);
                    }
                }
                b',' => match self.stack.last_mut() {
                    Some(Frame {
                        role: Role::Stream(kind),
                        ..
                    }) => {
                        let kind = *kind;
                        self.unit_end(kind, at, ctx, out);
                        self.copied = at + 1;
                    }
                    Some(f) if f.object => {
                        f.expect_key = true;
                        f.key = Key::None;
                    }
                    _ => {}
                },
                b':' => {
                    if let Some(f) = self.stack.last_mut() {
                        f.expect_key = false;
                    }
                }
                b'\n' if self.style == Style::Line => {
                    self.line_break = true;
                    self.pos = at;
                    return Some(at);
                }
                b'\n' => self.newlines += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => self.value_start(at),
            }
        }
        None
    }

    /// A value starts at `at`: in a streamed array, it is the next element.
    fn value_start(&mut self, at: usize) {
        if let Some(Frame {
            role: Role::Stream(_),
            ..
        }) = self.stack.last()
        {
            if self.unit.is_none() {
                self.unit = Some((at, self.newlines));
                self.copied = at;
            }
        }
    }

    /// What the container opened by `open` is, from its parent and the member's key.
    fn child_role(&mut self, open: u8) -> Role {
        let Some(parent) = self.stack.last() else {
            return if open == b'{' {
                Role::Envelope(0)
            } else {
                Role::Other
            };
        };
        if !parent.object {
            return Role::Other;
        }
        match (parent.role, parent.key, open) {
            (Role::Envelope(n), Key::Raw, b'{') if n < MAX_RAW => Role::Envelope(n + 1),
            (Role::Envelope(n), Key::Hits, b'{') => Role::Hits(n),
            (Role::Hits(n), Key::Hits | Key::Events, b'[') if self.search == Some(n) => {
                Role::Stream(Kind::Hits)
            }
            (Role::Hits(n), Key::Sequences, b'[') if self.search == Some(n) => {
                Role::Stream(Kind::Sequences)
            }
            _ => Role::Other,
        }
    }

    /// A key string `buf[start..=end]` in a tracked object.
    fn key_end(&mut self, start: usize, end: usize) {
        let raw = between(&self.buf, start, end + 1);
        let name: Option<String> = if raw.contains(&b'\\') {
            serde_json::from_slice(raw).ok()
        } else {
            std::str::from_utf8(between(raw, 1, raw.len().saturating_sub(1)))
                .ok()
                .map(str::to_string)
        };
        let key = match name.as_deref() {
            Some("hits") => Key::Hits,
            Some("events") => Key::Events,
            Some("sequences") => Key::Sequences,
            Some("rawResponse") => Key::Raw,
            _ => Key::Other,
        };
        if let Some(f) = self.stack.last_mut() {
            f.key = key;
            if let Role::Hits(n) = f.role {
                if matches!(key, Key::Hits | Key::Events | Key::Sequences) && self.search.is_none()
                {
                    self.search = Some(n);
                }
            }
        }
    }

    /// The element being read (if any) ends before `at`: parse it and hand its hits on.
    fn unit_end(&mut self, kind: Kind, at: usize, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let Some((start, line)) = self.unit.take() else {
            return;
        };
        let depth = usize::from(self.search.unwrap_or(0));
        let bytes = between(&self.buf, start, at);
        ctx.examined += bytes.len() as u64;
        let value = match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => v,
            Err(e) => {
                self.count += 1;
                let loc = Loc {
                    line: self
                        .loc
                        .line
                        .map(|l| l + line + e.line().saturating_sub(1) as u64),
                    record: Some(self.count),
                    offset: self.loc.offset.map(|o| o + self.base + start as u64),
                };
                ctx.error(loc, format!("invalid JSON search hit: {e}"));
                return;
            }
        };
        match kind {
            Kind::Hits => {
                self.count += 1;
                let loc = Loc {
                    record: Some(self.count),
                    ..self.loc
                };
                shapes::search_hit(value, loc, depth, ctx, out);
            }
            Kind::Sequences => {
                if let Value::Object(mut seq) = value {
                    if let Some(Value::Array(events)) = seq.remove("events") {
                        for hit in events {
                            self.count += 1;
                            let loc = Loc {
                                record: Some(self.count),
                                ..self.loc
                            };
                            shapes::search_hit(hit, loc, depth, ctx, out);
                        }
                    }
                }
            }
        }
    }

    /// Drops bytes no longer needed (copied to the skeleton, or streamed), keeping the element
    /// or key being read.
    fn compact(&mut self) {
        let keep = match (self.unit, self.key_start) {
            (Some((u, _)), _) => u,
            (None, Some(k)) => k,
            (None, None) => self.pos,
        };
        let in_stream = matches!(
            self.stack.last(),
            Some(Frame {
                role: Role::Stream(_),
                ..
            })
        );
        if self.unit.is_none() && !in_stream && self.copied < keep {
            self.skeleton
                .extend_from_slice(between(&self.buf, self.copied, keep));
        }
        self.buf.drain(..keep);
        self.base += keep as u64;
        self.pos -= keep;
        self.copied = 0;
        if let Some((u, line)) = self.unit {
            self.unit = Some((u - keep, line));
        }
        if let Some(k) = self.key_start {
            self.key_start = Some(k - keep);
        }
    }

    /// The document ended before `buf[at]`: read the skeleton.
    fn end(&mut self, at: usize, ctx: &mut Ctx, out: &mut Vec<Event>) -> Option<Vec<u8>> {
        self.skeleton
            .extend_from_slice(between(&self.buf, self.copied, at));
        let skeleton = std::mem::take(&mut self.skeleton);
        ctx.examined += skeleton.len() as u64;
        match serde_json::from_slice::<Value>(&skeleton) {
            Err(_) if self.can_hand_back() => return Some(skeleton),
            Ok(value) => match self.search {
                Some(raw) => shapes::streamed_search_end(&value, usize::from(raw), self.count, ctx),
                None => shapes::record(value, self.container, self.loc, ctx, out),
            },
            Err(e) => {
                ctx.records += 1;
                // Without streamed hits the skeleton is the document, byte for byte.
                let err_at = if self.search.is_none() {
                    error_offset(&skeleton, &e)
                } else {
                    0
                };
                let loc = Loc {
                    line: self.loc.line.map(|l| {
                        l + memchr::memchr_iter(b'\n', before(&skeleton, err_at)).count() as u64
                    }),
                    ..self.loc
                };
                let reason = match self.style {
                    Style::Line => format!("invalid JSON ({e}): {}", excerpt(&skeleton)),
                    Style::Document if e.is_eof() => {
                        format!("JSON document ends early (truncated?): {e}")
                    }
                    Style::Document => format!("invalid JSON: {e}"),
                };
                ctx.error(loc, reason);
            }
        }
        None
    }
}

/// A document's end: the bytes it took from the last chunk, and its bytes when it is handed
/// back (damaged, nothing streamed).
#[derive(Debug)]
pub(crate) struct Ended {
    pub used: usize,
    pub back: Option<Vec<u8>>,
}

/// The byte offset of a serde_json error's line and column in `bytes`.
fn error_offset(bytes: &[u8], e: &serde_json::Error) -> usize {
    let mut line = 1;
    let mut at = 0;
    while line < e.line() {
        match memchr::memchr(b'\n', after(bytes, at)) {
            Some(i) => at += i + 1,
            None => return bytes.len(),
        }
        line += 1;
    }
    (at + e.column().saturating_sub(1)).min(bytes.len())
}
