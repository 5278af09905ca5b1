//! Format recognition from the first bytes, and the chain of layers that follows: containers
//! (gzip, zip members, UTF-16) restart recognition on their decoded bytes; text and binary
//! formats get their own layer (export-formats.md §9).

use super::container::{GzipLayer, Utf16Layer, ZipLayer};
use super::csvin::CsvLayer;
use super::ctx::{Ctx, Loc};
use super::evtx::EvtxLayer;
use super::format::Format;
use super::jsonin::JsonLayer;
use super::prefilter::Prefilter;
use super::splunk::SplunkLayer;
use super::util::{after, before, excerpt};
use super::winxml::XmlLayer;
use crate::event::Event;
use crate::projection::Projection;
use std::sync::Arc;

/// Bytes looked at before deciding (less at end of input).
const SNIFF: usize = 4096;

/// Settings layers are built with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub prefilter: Option<Arc<Prefilter>>,
    /// The fields read from NDJSON lines (`None`: every line is parsed whole).
    pub projection: Option<Arc<Projection>>,
}

#[derive(Debug)]
enum Layer {
    Sniff(Vec<u8>),
    Json(JsonLayer),
    Xml(XmlLayer),
    Csv(Box<CsvLayer>),
    Splunk(SplunkLayer),
    Evtx(Box<EvtxLayer>),
    Gzip(Box<GzipLayer>),
    Zip(Box<ZipLayer>),
    Utf16(Box<Utf16Layer>),
    /// Recognised as unusable (or unrecognised): the reason was reported once; the rest of the
    /// bytes are ignored.
    Rejected,
}

/// A recognising pipeline over one byte stream.
#[derive(Debug)]
pub(crate) struct Pipeline {
    layer: Layer,
    settings: Settings,
    /// Containers nest (zip of gzip ...) at most this deep.
    depth: u8,
}

impl Pipeline {
    pub fn new(settings: Settings, depth: u8) -> Self {
        Self {
            layer: Layer::Sniff(Vec::new()),
            settings,
            depth,
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        if let Layer::Sniff(buf) = &mut self.layer {
            buf.extend_from_slice(chunk);
            if buf.len() < SNIFF && !has_full_line(buf) {
                return;
            }
            let buf = std::mem::take(buf);
            if !self.decide(&buf, false, ctx) {
                self.layer = Layer::Sniff(buf);
                return;
            }
            self.forward(&buf, ctx, out);
            return;
        }
        self.forward(chunk, ctx, out);
    }

    /// [`push`](Self::push), taking the bytes out of `chunk` (left empty, perhaps holding a
    /// spare allocation): the JSON layer reads NDJSON lines in place.
    pub fn push_buf(&mut self, chunk: &mut Vec<u8>, ctx: &mut Ctx, out: &mut Vec<Event>) {
        match &mut self.layer {
            Layer::Json(l) => l.push_buf(chunk, ctx, out),
            _ => {
                self.push(chunk, ctx, out);
                chunk.clear();
            }
        }
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if let Layer::Sniff(buf) = &mut self.layer {
            let buf = std::mem::take(buf);
            if buf.iter().all(|b| b.is_ascii_whitespace()) {
                return;
            }
            self.decide(&buf, true, ctx);
            self.forward(&buf, ctx, out);
        }
        match &mut self.layer {
            Layer::Json(l) => l.finish(ctx, out),
            Layer::Xml(l) => l.finish(ctx, out),
            Layer::Csv(l) => l.finish(ctx, out),
            Layer::Splunk(l) => l.finish(ctx, out),
            Layer::Evtx(l) => l.finish(ctx, out),
            Layer::Gzip(l) => l.finish(ctx, out),
            Layer::Zip(l) => l.finish(ctx, out),
            Layer::Utf16(l) => l.finish(ctx, out),
            Layer::Sniff(_) | Layer::Rejected => {}
        }
    }

    fn forward(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        match &mut self.layer {
            Layer::Json(l) => l.push(chunk, ctx, out),
            Layer::Xml(l) => l.push(chunk, ctx, out),
            Layer::Csv(l) => l.push(chunk, ctx, out),
            Layer::Splunk(l) => l.push(chunk, ctx, out),
            Layer::Evtx(l) => l.push(chunk, ctx, out),
            Layer::Gzip(l) => l.push(chunk, ctx, out),
            Layer::Zip(l) => l.push(chunk, ctx, out),
            Layer::Utf16(l) => l.push(chunk, ctx, out),
            Layer::Sniff(_) | Layer::Rejected => {}
        }
    }

    fn json_layer(&self) -> JsonLayer {
        JsonLayer::new(
            self.settings.prefilter.clone(),
            self.settings.projection.clone(),
        )
    }

    fn reject(&mut self, ctx: &mut Ctx, reason: String) {
        ctx.records += 1;
        ctx.error(
            Loc {
                offset: Some(0),
                ..Loc::default()
            },
            reason,
        );
        self.layer = Layer::Rejected;
    }

    /// Chooses the layer from the first bytes; returns false, choosing nothing, when the
    /// choice needs more of them. The choice reads at most the first `SNIFF` bytes and waits
    /// for all of them (or the end) before any rule that looks past the first line, so that
    /// how the input is split into pushes never changes it.
    fn decide(&mut self, buf: &[u8], complete: bool, ctx: &mut Ctx) -> bool {
        let buf = buf.get(..SNIFF).unwrap_or(buf);
        let need_more = !complete && buf.len() < SNIFF;
        self.choose(buf, need_more, ctx);
        !matches!(self.layer, Layer::Sniff(_))
    }

    fn choose(&mut self, buf: &[u8], need_more: bool, ctx: &mut Ctx) {
        let container_ok = self.depth < 4;
        if buf.starts_with(b"ElfFile\0") || (ctx.forced == Format::Evtx && !buf.starts_with(b"PK"))
        {
            // Records are mapped, so only a mapped-mode pre-filter applies to them.
            let prefilter = self.settings.prefilter.clone().filter(|p| !p.is_exact());
            self.layer = Layer::Evtx(Box::new(EvtxLayer::new(prefilter)));
            return;
        }
        if buf.starts_with(&[0x1f, 0x8b]) && container_ok {
            self.layer = Layer::Gzip(Box::new(GzipLayer::new(
                self.settings.clone(),
                self.depth + 1,
            )));
            return;
        }
        if buf.starts_with(b"PK\x03\x04") && container_ok {
            self.layer = Layer::Zip(Box::new(ZipLayer::new(
                self.settings.clone(),
                self.depth + 1,
            )));
            return;
        }
        if buf.starts_with(b"PK\x05\x06") {
            return self.reject(ctx, "empty zip archive".into());
        }
        let utf16 = if buf.starts_with(&[0xff, 0xfe]) {
            Some(true)
        } else if buf.starts_with(&[0xfe, 0xff]) {
            Some(false)
        } else if let [a, 0, c, 0, ..] = *buf {
            (a != 0 && c != 0).then_some(true) // UTF-16LE without BOM (`<\0E\0`, `{\0"\0`).
        } else if let [0, b, 0, d, ..] = *buf {
            (b != 0 && d != 0).then_some(false)
        } else {
            None
        };
        if let (Some(le), true) = (utf16, container_ok) {
            self.layer = Layer::Utf16(Box::new(Utf16Layer::new(
                le,
                self.settings.clone(),
                self.depth + 1,
            )));
            return;
        }
        let text = buf.strip_prefix(b"\xef\xbb\xbf").unwrap_or(buf);
        let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
        if first.is_none() && need_more {
            // Only blank lines so far: the first real byte decides.
            return;
        }
        let first_line = first_line(text);
        match ctx.forced {
            Format::WindowsXml => return self.layer = Layer::Xml(XmlLayer::new()),
            // A forced JSON-lines format reads line by line even when the first line is garbage:
            // that line is reported, the rest is read.
            Format::Ndjson | Format::WinlogbeatRaw | Format::Nxlog => {
                return self.layer = Layer::Json(self.json_layer());
            }
            Format::KibanaCsv | Format::EvtxECmdCsv
                if first != Some(b'{') && first != Some(b'[') =>
            {
                return self.layer = Layer::Csv(Box::new(CsvLayer::new()));
            }
            Format::SplunkWinEventLog
                if first != Some(b'{') && first != Some(b'[') && first != Some(b'<') =>
            {
                return self.layer = Layer::Splunk(SplunkLayer::new());
            }
            _ => {}
        }
        match first {
            Some(b'<') => self.layer = Layer::Xml(XmlLayer::new()),
            Some(b'{') | Some(b'[') => self.layer = Layer::Json(self.json_layer()),
            _ if first_line.starts_with("Record ") => {
                self.layer = Layer::Json(JsonLayer::new(None, None));
            }
            _ if first_line.starts_with("Log Name:") => {
                self.reject(
                    ctx,
                    "this is an Event Viewer text (.txt) export: it has only rendered messages. In \
                     Event Viewer use \"Save All Events As\" .evtx (or XML) instead"
                        .into(),
                );
            }
            _ if super::splunk::is_date_line(first_line) => {
                self.layer = Layer::Splunk(SplunkLayer::new())
            }
            // What follows looks past the first line: decide on the whole sniff.
            _ if need_more => {}
            _ if looks_binary(text) => {
                let reason = binary_guess(text);
                self.reject(ctx, reason);
            }
            // JSON lines behind a damaged first line: read them, reporting the damage.
            _ if later_line_is_json_object(text) => self.layer = Layer::Json(self.json_layer()),
            _ if first_line.contains(',')
                || first_line.contains(';')
                || first_line.contains('\t') =>
            {
                self.layer = Layer::Csv(Box::new(CsvLayer::new()));
            }
            _ => {
                let reason = format!(
                    "unrecognised input starting {}: not JSON, CSV, XML, EVTX, or Splunk text. Export \
                     the events as NDJSON/JSON from Elasticsearch, a Kibana Discover CSV, an .evtx \
                     file or Windows event XML instead",
                    excerpt(text)
                );
                self.reject(ctx, reason);
            }
        }
    }
}

/// Whether the sniffed text has a line after the first that opens a JSON object, the sign of an
/// NDJSON file whose first record is damaged.
fn later_line_is_json_object(text: &[u8]) -> bool {
    text.split(|&b| b == b'\n')
        .skip(1)
        .take(8)
        .any(|line| line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

fn has_full_line(buf: &[u8]) -> bool {
    memchr::memchr(b'\n', buf).is_some() && buf.len() >= 64
}

fn first_line(text: &[u8]) -> &str {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let rest = after(text, start);
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let line = before(rest, end);
    // A cut multi-byte character at the sniff boundary is fine to lose here.
    match std::str::from_utf8(line) {
        Ok(s) => s.trim_end(),
        Err(e) => std::str::from_utf8(before(line, e.valid_up_to()))
            .unwrap_or("")
            .trim_end(),
    }
}

fn looks_binary(text: &[u8]) -> bool {
    let sample = before(text, 1024);
    let bad = sample
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)))
        .count();
    bad > 0 && (bad * 20 > sample.len() || sample.contains(&0))
}

/// "This looks like X; export Y instead" for binary data that is not EVTX.
fn binary_guess(text: &[u8]) -> String {
    let what = if text.starts_with(b"%PDF") {
        "a PDF document"
    } else if text.starts_with(b"\xd0\xcf\x11\xe0") {
        "an old Office document (.xls)"
    } else if text.starts_with(b"ElfChnk\0") {
        "an EVTX chunk without its file header (a carved fragment)"
    } else if text.starts_with(b"MZ") {
        "a Windows executable"
    } else if text.starts_with(b"\x89PNG") || text.starts_with(b"\xff\xd8\xff") {
        "an image"
    } else if text.starts_with(b"SQLite format 3") {
        "an SQLite database"
    } else if text.starts_with(b"BZh")
        || text.starts_with(b"\xfd7zXZ")
        || text.starts_with(b"7z\xbc\xaf")
    {
        "an archive eqlite does not open (bzip2 / xz / 7z)"
    } else {
        "binary data"
    };
    format!(
        "this looks like {what} (starts {}), not an event export: provide the .evtx file, Windows \
         event XML, or an NDJSON/JSON/CSV export of the events instead (gzip and zip are opened)",
        excerpt(text)
    )
}
