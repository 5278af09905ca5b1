//! Byte ranges into the query text.
//!
//! Spans are byte offsets because that is what the lexer sees and what slicing a `&str` needs;
//! lines and columns (in chars) are computed on demand for messages, and UTF-16 offsets only at
//! the JavaScript edge (see [`Span::to_utf16`]).

/// A half-open byte range `start..end` into the query text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given in the wrong order).
    pub fn new(start: usize, end: usize) -> Self {
        if end < start {
            Span {
                start: end,
                end: start,
            }
        } else {
            Span { start, end }
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Number of bytes covered.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no byte (e.g. "end of input").
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether `other` lies inside `self`.
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The covered text, or `None` if the span does not fit `src` or splits a UTF-8 character.
    pub fn slice<'a>(&self, src: &'a str) -> Option<&'a str> {
        src.get(self.start..self.end)
    }

    /// 1-based line and 1-based column (counted in chars) of `start` in `src`. Offsets past the
    /// end or inside a character are clamped to the nearest preceding character boundary.
    pub fn line_column(&self, src: &str) -> (usize, usize) {
        let at = floor_boundary(src, self.start);
        let before = &src[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = src[line_start..at].chars().count() + 1;
        (line, column)
    }

    /// The span converted to UTF-16 code-unit offsets, the unit of JavaScript strings and
    /// `<textarea>.setSelectionRange`.
    pub fn to_utf16(&self, src: &str) -> (usize, usize) {
        let utf16 = |at: usize| src[..floor_boundary(src, at)].encode_utf16().count();
        (utf16(self.start), utf16(self.end))
    }
}

/// The largest char boundary `<= at` in `src` (so slicing never panics).
pub(crate) fn floor_boundary(src: &str, at: usize) -> usize {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_chars() {
        let src = "ab\nçd é";
        assert_eq!(Span::new(0, 1).line_column(src), (1, 1));
        assert_eq!(Span::new(3, 4).line_column(src), (2, 1));
        let e = src.find('é').unwrap();
        assert_eq!(Span::new(e, e + 2).line_column(src), (2, 4));
        // inside a char and past the end: clamped, never panics
        assert_eq!(Span::new(4, 4).line_column(src), (2, 1));
        assert_eq!(Span::new(100, 100).line_column(src), (2, 5));
    }

    #[test]
    fn utf16_offsets() {
        let src = "a😀b";
        assert_eq!(Span::new(5, 6).to_utf16(src), (3, 4));
    }
}
