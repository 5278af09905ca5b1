//! Wildcard patterns of `:`, `like` and the prefix/suffix/contains queries that
//! `startsWith`/`endsWith`/`stringContains` on a field become.
//!
//! `*` matches any run of characters and `?` exactly one; there is no escape (as in
//! Elasticsearch's `toLikePattern`); matching is anchored at both ends. Case-insensitive
//! matching folds ASCII letters only, like Lucene's `case_insensitive` automata.

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Literal(String),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<Piece>,
}

impl Pattern {
    /// Parses EQL wildcard syntax (`*`, `?`, everything else literal).
    pub fn parse(text: &str) -> Pattern {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        for c in text.chars() {
            match c {
                '*' | '?' => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    if c == '?' {
                        pieces.push(Piece::AnyOne);
                    } else if pieces.last() != Some(&Piece::AnyRun) {
                        pieces.push(Piece::AnyRun);
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Pattern { pieces }
    }

    /// Builds a pattern from pieces (used for prefix/suffix/contains, where `*` and `?` in the
    /// user's literal stay literal).
    pub fn from_pieces(pieces: Vec<Piece>) -> Pattern {
        Pattern { pieces }
    }

    /// Whether the pattern has any wildcard.
    pub fn has_wildcards(&self) -> bool {
        self.pieces.iter().any(|p| !matches!(p, Piece::Literal(_)))
    }

    /// Whether `text` matches the whole pattern.
    pub fn matches(&self, text: &str, ascii_case_insensitive: bool) -> bool {
        let text: Vec<char> = text.chars().collect();
        // flatten to a char program: Some(c) literal, None = '?', '*' handled by backtracking
        let mut prog: Vec<Tokn> = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(s) => prog.extend(s.chars().map(Tokn::Char)),
                Piece::AnyOne => prog.push(Tokn::One),
                Piece::AnyRun => prog.push(Tokn::Star),
            }
        }
        let eq = |a: char, b: char| {
            if ascii_case_insensitive {
                a.eq_ignore_ascii_case(&b)
            } else {
                a == b
            }
        };
        // classic linear-backtracking glob match (O(n*m) worst case, no recursion)
        let (mut t, mut p) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match prog.get(p) {
                Some(Tokn::Star) => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Some(Tokn::One) => {
                    t += 1;
                    p += 1;
                    continue;
                }
                Some(Tokn::Char(c)) if text.get(t).is_some_and(|&x| eq(x, *c)) => {
                    t += 1;
                    p += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
        prog.get(p..)
            .unwrap_or_default()
            .iter()
            .all(|x| matches!(x, Tokn::Star))
    }
}

#[derive(Clone, Copy)]
enum Tokn {
    Char(char),
    One,
    Star,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_wildcards() {
        let p = Pattern::parse("*$");
        assert!(p.matches("HOST$", false));
        assert!(!p.matches("HOST$x", false));
        assert!(Pattern::parse("a?c").matches("abc", false));
        assert!(!Pattern::parse("a?c").matches("ac", false));
        assert!(Pattern::parse("*").matches("", false));
        assert!(Pattern::parse("a*b*c").matches("aXbYbZc", false));
        assert!(!Pattern::parse("a*b*c").matches("aXbYbZ", false));
        assert!(Pattern::parse("ABC*").matches("abcdef", true));
        assert!(!Pattern::parse("Ä").matches("ä", true));
        assert!(Pattern::parse("é?").matches("éx", false));
        assert!(Pattern::parse("").matches("", false));
        assert!(!Pattern::parse("").matches("a", false));
        assert!(Pattern::parse("%_").matches("%_", false));
    }
}
