//! Containers around exports: gzip (elasticdump `--fsCompress`), zip archives (OTRF datasets,
//! mailed exports) and UTF-16 text (Event Viewer XML, PowerShell redirection). Each decodes as
//! bytes arrive and restarts format recognition on what it decodes. Zip members are read from
//! their local headers in order (no central directory, no seeking), with pure-Rust inflate, so
//! archives stream and work in WebAssembly.

use super::ctx::{Ctx, Loc};
use super::pipeline::{Pipeline, Settings};
use crate::event::Event;
use flate2::{Decompress, FlushDecompress, Status};
use std::io::Write;
use std::sync::Arc;

/// gzip: decompress and recognise what is inside.
///
/// The decoder is fed in fixed blocks of the compressed stream, whatever the pushes: what it
/// hands out before a corrupt spot depends on how it was written to, and so would otherwise
/// change with the split of the input.
#[derive(Debug)]
pub(crate) struct GzipLayer {
    decoder: Option<flate2::write::MultiGzDecoder<Vec<u8>>>,
    /// Compressed bytes not yet written to the decoder (less than a block).
    pending: Vec<u8>,
    inner: Pipeline,
}

/// How many compressed bytes the decoder is given at a time.
const GZIP_BLOCK: usize = 16 * 1024;

impl GzipLayer {
    pub fn new(settings: Settings, depth: u8) -> Self {
        Self {
            decoder: Some(flate2::write::MultiGzDecoder::new(Vec::new())),
            pending: Vec::new(),
            inner: Pipeline::new(settings, depth),
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        if self.decoder.is_none() {
            return;
        }
        self.pending.extend_from_slice(chunk);
        let whole = self.pending.len() - self.pending.len() % GZIP_BLOCK;
        if whole == 0 {
            return;
        }
        // Taken out while its blocks are written (`write` needs `self`); a corrupt stream
        // leaves it dropped.
        let mut pending = std::mem::take(&mut self.pending);
        for block in pending.get(..whole).unwrap_or_default().chunks(GZIP_BLOCK) {
            if !self.write(block, ctx, out) {
                return;
            }
        }
        pending.drain(..whole);
        self.pending = pending;
    }

    /// Writes one block; false once the data is corrupt (reported; the rest is skipped).
    fn write(&mut self, block: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) -> bool {
        let Some(dec) = &mut self.decoder else {
            return false;
        };
        let result = dec.write_all(block);
        let data = std::mem::take(dec.get_mut());
        self.inner.push(&data, ctx, out);
        if let Err(e) = result {
            ctx.error(
                Loc::default(),
                format!("corrupt gzip data ({e}); the rest of the file is skipped"),
            );
            self.decoder = None;
            self.pending.clear();
            return false;
        }
        true
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let rest = std::mem::take(&mut self.pending);
        if rest.is_empty() || self.write(&rest, ctx, out) {
            if let Some(dec) = &mut self.decoder {
                let result = dec.try_finish();
                let data = std::mem::take(dec.get_mut());
                self.inner.push(&data, ctx, out);
                if let Err(e) = result {
                    ctx.error(Loc::default(), format!("gzip data ends early ({e})"));
                }
            }
        }
        self.inner.finish(ctx, out);
    }
}

#[derive(Debug)]
enum ZipState {
    /// Waiting for a local file header.
    Header,
    /// Inflating (or copying) one member.
    Member(Box<Member>),
    /// Central directory reached, or unreadable: ignore the rest.
    Done,
}

#[derive(Debug)]
struct Member {
    inflate: Option<Decompress>,
    /// Bytes left for stored members (or compressed size when known).
    remaining: Option<u64>,
    /// The data descriptor follows the data (flag bit 3).
    descriptor: bool,
    skip: bool,
    inner: Pipeline,
}

/// zip: each member in turn, labelled `archive.zip:member`.
#[derive(Debug)]
pub(crate) struct ZipLayer {
    state: ZipState,
    buf: Vec<u8>,
    settings: Settings,
    depth: u8,
    archive: Option<Arc<str>>,
    members: u64,
}

fn u16le(b: &[u8], at: usize) -> usize {
    b.get(at..at + 2)
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .map_or(0, |a| usize::from(u16::from_le_bytes(a)))
}

fn u32le(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, |a| u64::from(u32::from_le_bytes(a)))
}

impl ZipLayer {
    pub fn new(settings: Settings, depth: u8) -> Self {
        Self {
            state: ZipState::Header,
            buf: Vec::new(),
            settings,
            depth,
            archive: None,
            members: 0,
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        if self.archive.is_none() {
            self.archive = Some(ctx.file.clone().unwrap_or_else(|| Arc::from("<zip>")));
        }
        self.buf.extend_from_slice(chunk);
        self.run(ctx, out);
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.run(ctx, out);
        if let ZipState::Member(m) = &mut self.state {
            if !m.skip {
                m.inner.finish(ctx, out);
            }
            ctx.error(Loc::default(), "zip member ends early (truncated archive)");
        }
        ctx.file = self.archive.clone();
        if self.members == 0 {
            ctx.error(Loc::default(), "zip archive holds no readable member");
        }
        self.state = ZipState::Done;
    }

    fn run(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        loop {
            match &mut self.state {
                ZipState::Done => {
                    self.buf.clear();
                    return;
                }
                ZipState::Header => {
                    if self.buf.len() < 30 {
                        return;
                    }
                    if !self.buf.starts_with(b"PK\x03\x04") {
                        // Central directory (PK\1\2) or end record: all members seen.
                        if !self.buf.starts_with(b"PK\x01\x02")
                            && !self.buf.starts_with(b"PK\x05\x06")
                        {
                            ctx.error(Loc::default(), "zip archive has unreadable data between members; the rest is skipped");
                        }
                        self.state = ZipState::Done;
                        continue;
                    }
                    let flags = u16le(&self.buf, 6);
                    let method = u16le(&self.buf, 8);
                    let csize = u32le(&self.buf, 18);
                    let (nlen, xlen) = (u16le(&self.buf, 26), u16le(&self.buf, 28));
                    if self.buf.len() < 30 + nlen + xlen {
                        return;
                    }
                    let name =
                        String::from_utf8_lossy(self.buf.get(30..30 + nlen).unwrap_or_default())
                            .into_owned();
                    self.buf.drain(..30 + nlen + xlen);
                    let descriptor = flags & 0x08 != 0;
                    if name == "[Content_Types].xml" && self.members == 0 {
                        ctx.records += 1;
                        ctx.error(Loc::default(), "this looks like an Office document (.xlsx/.docx), not an event export: save the sheet as CSV instead");
                        self.state = ZipState::Done;
                        continue;
                    }
                    let skip = name.ends_with('/')
                        || name.starts_with("__MACOSX/")
                        || name.rsplit('/').next().is_some_and(|n| n.starts_with("._"));
                    if flags & 0x01 != 0
                        || !(method == 0 || method == 8)
                        || (method == 0 && descriptor)
                    {
                        ctx.error(Loc::default(), format!("zip member {name:?} is encrypted or uses an unsupported compression method ({method}); extract it and provide the file"));
                        self.state = ZipState::Done;
                        continue;
                    }
                    if !skip {
                        self.members += 1;
                        let label =
                            format!("{}:{name}", self.archive.as_deref().unwrap_or("<zip>"));
                        ctx.file = Some(Arc::from(label));
                    }
                    self.state = ZipState::Member(Box::new(Member {
                        inflate: (method == 8).then(|| Decompress::new(false)),
                        remaining: (method == 0 || !descriptor).then_some(csize),
                        descriptor,
                        skip,
                        inner: Pipeline::new(self.settings.clone(), self.depth),
                    }));
                }
                ZipState::Member(m) => {
                    let done = match feed(m, &mut self.buf, ctx, out) {
                        Ok(done) => done,
                        Err(e) => {
                            ctx.error(Loc::default(), format!("corrupt zip member data ({e}); the rest of the archive is skipped"));
                            if !m.skip {
                                m.inner.finish(ctx, out);
                            }
                            self.state = ZipState::Done;
                            continue;
                        }
                    };
                    if !done {
                        return;
                    }
                    if m.descriptor {
                        // Optional signature + crc + sizes (32-bit form).
                        let need = if self.buf.starts_with(b"PK\x07\x08") {
                            16
                        } else {
                            12
                        };
                        if self.buf.len() < need {
                            return;
                        }
                        self.buf.drain(..need);
                    }
                    if !m.skip {
                        m.inner.finish(ctx, out);
                    }
                    ctx.file = self.archive.clone();
                    self.state = ZipState::Header;
                }
            }
        }
    }
}

/// Feeds buffered bytes to the member; `Ok(true)` once its data is complete.
fn feed(
    m: &mut Member,
    buf: &mut Vec<u8>,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) -> Result<bool, String> {
    let Some(inflate) = &mut m.inflate else {
        // Stored.
        let left = m.remaining.unwrap_or(0);
        // `left` may exceed usize on 32-bit targets; then the whole buffer is the member's.
        let take = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
        if !m.skip {
            m.inner.push(buf.get(..take).unwrap_or_default(), ctx, out);
        }
        buf.drain(..take);
        m.remaining = Some(left - take as u64);
        return Ok(left - take as u64 == 0);
    };
    let mut outbuf = vec![0u8; 64 * 1024];
    loop {
        let (before_in, before_out) = (inflate.total_in(), inflate.total_out());
        let status = inflate.decompress(buf, &mut outbuf, FlushDecompress::None);
        // Both are bounded by the slices handed to `decompress`, so they fit in usize.
        let used = usize::try_from(inflate.total_in() - before_in).unwrap_or(usize::MAX);
        let made = usize::try_from(inflate.total_out() - before_out).unwrap_or(usize::MAX);
        buf.drain(..used.min(buf.len()));
        // What inflated before a corrupt spot is the member's, in whatever pushes it came:
        // passed on before the error, so the split of the input does not change it.
        if !m.skip && made > 0 {
            m.inner
                .push(outbuf.get(..made).unwrap_or(&outbuf), ctx, out);
        }
        let status = status.map_err(|e| e.to_string())?;
        if status == Status::StreamEnd {
            return Ok(true);
        }
        if used == 0 && made == 0 {
            return Ok(false);
        }
    }
}

/// UTF-16 (LE or BE) text -> UTF-8, then recognition.
#[derive(Debug)]
pub(crate) struct Utf16Layer {
    le: bool,
    pending: Vec<u8>,
    started: bool,
    inner: Pipeline,
}

impl Utf16Layer {
    pub fn new(le: bool, settings: Settings, depth: u8) -> Self {
        Self {
            le,
            pending: Vec::new(),
            started: false,
            inner: Pipeline::new(settings, depth),
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.pending.extend_from_slice(chunk);
        let even = self.pending.len() & !1;
        let mut units: Vec<u16> = self
            .pending
            .chunks_exact(2)
            .filter_map(|p| <[u8; 2]>::try_from(p).ok())
            .map(|p| {
                if self.le {
                    u16::from_le_bytes(p)
                } else {
                    u16::from_be_bytes(p)
                }
            })
            .collect();
        // Keep a trailing high surrogate for the next chunk.
        let mut keep = self.pending.len() - even;
        if units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
            units.pop();
            keep += 2;
        }
        let mut text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{FFFD}'))
            .collect();
        if !self.started && !text.is_empty() {
            self.started = true;
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                text = rest.to_string();
            }
        }
        let cut = self.pending.len() - keep;
        self.pending.drain(..cut);
        if !text.is_empty() {
            self.inner.push(text.as_bytes(), ctx, out);
        }
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if !self.pending.is_empty() {
            self.pending.clear();
            self.inner.push("\u{FFFD}".as_bytes(), ctx, out);
        }
        self.inner.finish(ctx, out);
    }
}
