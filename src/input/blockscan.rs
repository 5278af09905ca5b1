//! The one pass over an NDJSON line that the pre-filter and the JSON check both start from.
//! Sixteen bytes at a time (the `wide` crate's vectors: SSE2 natively, simd128 in wasm), it
//! writes the line lower-cased (ASCII) for the pre-filter's literal search, and gives the JSON
//! check the quote and backslash masks of every 64-byte block and whether any byte is a control
//! character, is not ASCII, or is `&`, and where the `4`s are (the trigger codes start there).
//!
//! These were five separate passes over every skipped line (a lower-cased copy, a control-byte
//! fold, UTF-8 validation, a search for `&#`, the masks); after the first, each found the line
//! in cache, but each still cost a load and a compare per byte. Fused, every byte is loaded
//! once, and UTF-8 validation and the `&#` search run only for the rare lines that need them.

use wide::u8x16;

/// What the pass found in one line (the vectors are reused from line to line).
#[derive(Debug, Default)]
pub(crate) struct Blocks {
    /// The line with ASCII letters lower-cased (other bytes as they are).
    pub lower: Vec<u8>,
    /// Bit `j` of word `k`: byte `64k + j` is a quote.
    pub quotes: Vec<u64>,
    /// Bit `j` of word `k`: byte `64k + j` is a backslash.
    pub backslashes: Vec<u64>,
    /// Bit `j` of word `k`: byte `64k + j` is `4` (where the pre-filter's trigger codes,
    /// 4697-4702, can start).
    pub fours: Vec<u64>,
    /// Some byte is below 0x20.
    pub control: bool,
    /// Some byte is not ASCII.
    pub high: bool,
    /// Some byte is `&`.
    pub ampersand: bool,
}

/// Vectors of the compared bytes, built once per line.
struct Consts {
    quote: u8x16,
    backslash: u8x16,
    ampersand: u8x16,
    four: u8x16,
    upper3: u8x16,
    zero: u8x16,
    a_upper: u8x16,
    letters: u8x16,
    case: u8x16,
}

/// Accumulated flags (a lane's byte is non-zero where some byte had the property).
struct Flags {
    control: u8x16,
    high: u8x16,
    ampersand: u8x16,
}

/// One 64-byte block: its masks, its flags folded into `flags`, its lower-cased bytes into
/// `lower`.
#[inline]
fn block(bytes: &[u8; 64], c: &Consts, flags: &mut Flags, lower: &mut [u8; 64]) -> [u64; 3] {
    let (mut q, mut b, mut f) = (0u64, 0u64, 0u64);
    for (m, (lane, out)) in bytes
        .chunks_exact(16)
        .zip(lower.chunks_exact_mut(16))
        .enumerate()
    {
        let mut a = [0u8; 16];
        a.copy_from_slice(lane);
        let v = u8x16::from(a);
        q |= u64::from(v.simd_eq(c.quote).to_bitmask()) << (16 * m);
        b |= u64::from(v.simd_eq(c.backslash).to_bitmask()) << (16 * m);
        f |= u64::from(v.simd_eq(c.four).to_bitmask()) << (16 * m);
        flags.control |= (v & c.upper3).simd_eq(c.zero);
        flags.high |= v;
        flags.ampersand |= v.simd_eq(c.ampersand);
        // `v - 'A' < 26` (wrapping) exactly for the upper-case letters.
        let upper = (v - c.a_upper).simd_lt(c.letters);
        out.copy_from_slice(&(v | (upper & c.case)).to_array());
    }
    [q, b, f]
}

/// One pass over `line` (see the module doc) into `out`.
pub(crate) fn scan(line: &[u8], out: &mut Blocks) {
    let c = Consts {
        quote: u8x16::splat(b'"'),
        backslash: u8x16::splat(b'\\'),
        ampersand: u8x16::splat(b'&'),
        four: u8x16::splat(b'4'),
        upper3: u8x16::splat(0xE0),
        zero: u8x16::splat(0),
        a_upper: u8x16::splat(b'A'),
        letters: u8x16::splat(26),
        case: u8x16::splat(0x20),
    };
    let mut flags = Flags {
        control: c.zero,
        high: c.zero,
        ampersand: c.zero,
    };
    out.quotes.clear();
    out.backslashes.clear();
    out.fours.clear();
    out.lower.clear();
    let words = line.len().div_ceil(64);
    out.quotes.reserve(words);
    out.backslashes.reserve(words);
    out.fours.reserve(words);
    out.lower.reserve(words * 64);
    let mut lower = [0u8; 64];
    let mut blocks = line.chunks_exact(64);
    for bytes in blocks.by_ref() {
        let mut a = [0u8; 64];
        a.copy_from_slice(bytes);
        let [q, b, f] = block(&a, &c, &mut flags, &mut lower);
        out.quotes.push(q);
        out.backslashes.push(b);
        out.fours.push(f);
        out.lower.extend_from_slice(&lower);
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // Padded with spaces: ASCII, not a control character, quote, backslash, `&` or `4`, so the
        // flags and masks need no trimming; only the lower-cased copy is cut back.
        let mut a = [b' '; 64];
        for (to, &from) in a.iter_mut().zip(rest) {
            *to = from;
        }
        let [q, b, f] = block(&a, &c, &mut flags, &mut lower);
        out.quotes.push(q);
        out.backslashes.push(b);
        out.fours.push(f);
        out.lower
            .extend_from_slice(lower.get(..rest.len()).unwrap_or_default());
    }
    out.control = flags.control.any();
    out.high = flags.high.to_bitmask() != 0;
    out.ampersand = flags.ampersand.any();
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The reference: one byte at a time.
    fn reference(line: &[u8]) -> Blocks {
        let mut out = Blocks::default();
        for block in line.chunks(64) {
            let (mut q, mut b, mut f) = (0u64, 0u64, 0u64);
            for (j, &c) in block.iter().enumerate() {
                q |= u64::from(c == b'"') << j;
                b |= u64::from(c == b'\\') << j;
                f |= u64::from(c == b'4') << j;
            }
            out.quotes.push(q);
            out.backslashes.push(b);
            out.fours.push(f);
        }
        out.lower = line.to_ascii_lowercase();
        out.control = line.iter().any(|&b| b < 0x20);
        out.high = !line.is_ascii();
        out.ampersand = line.contains(&b'&');
        out
    }

    #[test]
    fn equals_the_byte_loop() {
        let mut out = Blocks::default();
        // Every byte value at every position of a block, and lines of every length to 300.
        for byte in 0..=255u8 {
            for at in [0, 1, 15, 16, 31, 63, 64, 65, 100] {
                let mut line = vec![b'x'; 101];
                line[at] = byte;
                scan(&line, &mut out);
                let want = reference(&line);
                assert_eq!(out.quotes, want.quotes, "{byte} at {at}");
                assert_eq!(out.backslashes, want.backslashes);
                assert_eq!(out.fours, want.fours);
                assert_eq!(out.lower, want.lower);
                assert_eq!(
                    (out.control, out.high, out.ampersand),
                    (want.control, want.high, want.ampersand),
                    "{byte} at {at}"
                );
            }
        }
        let alphabet = b"aZ@[`{\"\\&#\x01\x1f\x7f\x80\xc3\xa9 094";
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..300 {
            let line: Vec<u8> = (0..len)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    alphabet[(rng % alphabet.len() as u64) as usize]
                })
                .collect();
            scan(&line, &mut out);
            let want = reference(&line);
            assert_eq!(out.quotes, want.quotes);
            assert_eq!(out.backslashes, want.backslashes);
            assert_eq!(out.fours, want.fours);
            assert_eq!(out.lower, want.lower);
            assert_eq!(
                (out.control, out.high, out.ampersand),
                (want.control, want.high, want.ampersand)
            );
        }
    }
}
