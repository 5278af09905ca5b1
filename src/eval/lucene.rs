//! Lucene regular expressions (the syntax of Elasticsearch's `regexp` query, which EQL's
//! `regex`/`regex~` become), translated to a `regex-lite` pattern.
//!
//! Lucene differences handled here: the match is anchored at both ends; `^` and `$` are plain
//! characters; `"..."` quotes a literal string; `\` escapes any character; `.` matches any
//! character including newlines; `@` matches any string. The intersection (`&`), complement
//! (`~`), numeric interval (`<n-m>`) and empty-language (`#`) operators are rejected as
//! unsupported rather than silently treated as literals. Case-insensitive matching (`regex~`)
//! folds ASCII letters only, as Lucene's `RegExp` does.

use regex_lite::{Regex, RegexBuilder};
use std::fmt::Write;

/// A compiled Lucene regular expression.
#[derive(Debug, Clone)]
pub struct LuceneRegex {
    source: String,
    regex: Regex,
}

impl PartialEq for LuceneRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Why a pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegexError {
    /// The pattern uses a Lucene operator eqlite does not implement.
    Unsupported(String),
    /// The pattern is not a valid regular expression.
    Invalid(String),
}

impl LuceneRegex {
    /// Compiles `pattern` (Lucene syntax). `ascii_case_insensitive` for `regex~`.
    pub fn new(pattern: &str, ascii_case_insensitive: bool) -> Result<LuceneRegex, RegexError> {
        let translated = translate(pattern, ascii_case_insensitive)?;
        let regex = RegexBuilder::new(&translated).build().map_err(|e| {
            RegexError::Invalid(format!("Invalid regular expression [{pattern}]: {e}"))
        })?;
        Ok(LuceneRegex {
            source: pattern.to_string(),
            regex,
        })
    }

    /// Whether the whole of `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

fn push_literal(out: &mut String, c: char, ci: bool) {
    if ci && c.is_ascii_alphabetic() {
        let _ = write!(
            out,
            "[{}{}]",
            c.to_ascii_lowercase(),
            c.to_ascii_uppercase()
        );
    } else if c.is_ascii_punctuation() {
        out.push('\\');
        out.push(c);
    } else {
        out.push(c);
    }
}

fn push_class_char(out: &mut String, c: char) {
    if c.is_ascii_punctuation() {
        out.push('\\');
    }
    out.push(c);
}

fn shorthand(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => "[ \\t\\n\\r\\x0B\\x0C]",
        'S' => "[^ \\t\\n\\r\\x0B\\x0C]",
        'w' => "[a-zA-Z0-9_]",
        'W' => "[^a-zA-Z0-9_]",
        _ => return None,
    })
}

fn translate(pattern: &str, ci: bool) -> Result<String, RegexError> {
    let mut out = String::from("(?s)^(?:");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '\\' => {
                let Some(&next) = chars.get(i) else {
                    return Err(RegexError::Invalid(format!(
                        "Invalid regular expression [{pattern}]: trailing backslash"
                    )));
                };
                i += 1;
                match shorthand(next) {
                    Some(class) => out.push_str(class),
                    None => push_literal(&mut out, next, ci),
                }
            }
            '"' => {
                let rest = chars.get(i..).unwrap_or_default();
                let Some(len) = rest.iter().position(|&x| x == '"') else {
                    return Err(RegexError::Invalid(format!(
                        "Invalid regular expression [{pattern}]: unterminated quoted string"
                    )));
                };
                out.push_str("(?:");
                for &q in rest.iter().take(len) {
                    push_literal(&mut out, q, ci);
                }
                out.push(')');
                i += len + 1;
            }
            '.' => out.push('.'),
            '@' => out.push_str(".*"),
            '(' => out.push_str("(?:"),
            ')' | '|' | '*' | '+' | '?' => out.push(c),
            '{' => {
                let rest = chars.get(i..).unwrap_or_default();
                let Some(len) = rest.iter().position(|&x| x == '}') else {
                    return Err(RegexError::Invalid(format!(
                        "Invalid regular expression [{pattern}]: unterminated repetition"
                    )));
                };
                let body: String = rest.iter().take(len).collect();
                let valid = !body.is_empty()
                    && body.split(',').count() <= 2
                    && body.split(',').enumerate().all(|(k, part)| {
                        (k == 1 && part.is_empty())
                            || (!part.is_empty() && part.chars().all(|d| d.is_ascii_digit()))
                    });
                if !valid {
                    return Err(RegexError::Invalid(format!(
                        "Invalid regular expression [{pattern}]: bad repetition {{{body}}}"
                    )));
                }
                let _ = write!(out, "{{{body}}}");
                i += len + 1;
            }
            '[' => i = class(&chars, i, &mut out, ci, pattern)?,
            '&' | '~' | '<' | '#' => {
                return Err(RegexError::Unsupported(format!(
                    "The Lucene regular expression operator [{c}] is not supported (in [{pattern}]); escape it as [\\{c}] to match it literally"
                )));
            }
            c => push_literal(&mut out, c, ci),
        }
    }
    out.push_str(")$");
    Ok(out)
}

/// Translates a character class starting after `[`; returns the index after `]`.
fn class(
    chars: &[char],
    mut i: usize,
    out: &mut String,
    ci: bool,
    pattern: &str,
) -> Result<usize, RegexError> {
    let invalid = || {
        RegexError::Invalid(format!(
            "Invalid regular expression [{pattern}]: unterminated character class"
        ))
    };
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut items = 0;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(invalid());
        };
        i += 1;
        if c == ']' && items > 0 {
            break;
        }
        if c == ']' {
            // `[]` is invalid in Lucene too
            return Err(invalid());
        }
        let lo = if c == '\\' {
            let Some(&e) = chars.get(i) else {
                return Err(invalid());
            };
            i += 1;
            e
        } else {
            c
        };
        items += 1;
        let mut hi = lo;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&x| x != ']') {
            i += 1;
            let Some(&h) = chars.get(i) else {
                return Err(invalid());
            };
            i += 1;
            hi = if h == '\\' {
                let Some(&e) = chars.get(i) else {
                    return Err(invalid());
                };
                i += 1;
                e
            } else {
                h
            };
            if hi < lo {
                return Err(RegexError::Invalid(format!(
                    "Invalid regular expression [{pattern}]: invalid range {lo}-{hi}"
                )));
            }
        }
        push_class_char(out, lo);
        if hi != lo {
            out.push('-');
            push_class_char(out, hi);
        }
        if ci {
            // add the other ASCII case of the letters the range covers
            for (from, to) in [('a', 'z'), ('A', 'Z')] {
                let (a, b) = (lo.max(from), hi.min(to));
                if a <= b {
                    let flip = |x: char| {
                        if x.is_ascii_lowercase() {
                            x.to_ascii_uppercase()
                        } else {
                            x.to_ascii_lowercase()
                        }
                    };
                    let _ = write!(out, "{}-{}", flip(a), flip(b));
                }
            }
        }
    }
    out.push(']');
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        LuceneRegex::new(p, false).unwrap().is_match(t)
    }

    #[test]
    fn lucene_semantics() {
        assert!(m("ab.*", "abc"));
        assert!(!m("b", "abc"), "anchored");
        assert!(m("a^b$", "a^b$"), "^ and $ are literal");
        assert!(m("\"a.b\"", "a.b"));
        assert!(!m("\"a.b\"", "axb"));
        assert!(m("a{2,3}", "aaa"));
        assert!(m("[a-c]+", "cab"));
        assert!(m("[^a-c]", "d"));
        assert!(m("(foo|bar)baz", "barbaz"));
        assert!(m("@", "anything\nat all"));
        assert!(m("a\\.b", "a.b"));
        assert!(m("\\d+", "123"));
        assert!(m(".", "\n"));
        assert!(LuceneRegex::new("ABC[a-c]", true).unwrap().is_match("abcB"));
        assert!(!LuceneRegex::new("Ä", true).unwrap().is_match("ä"));
        assert!(matches!(
            LuceneRegex::new("a&b", false),
            Err(RegexError::Unsupported(_))
        ));
        assert!(matches!(
            LuceneRegex::new("<1-5>", false),
            Err(RegexError::Unsupported(_))
        ));
        assert!(matches!(
            LuceneRegex::new("(a", false),
            Err(RegexError::Invalid(_))
        ));
        assert!(matches!(
            LuceneRegex::new("[a", false),
            Err(RegexError::Invalid(_))
        ));
        assert!(matches!(
            LuceneRegex::new("a{x}", false),
            Err(RegexError::Invalid(_))
        ));
    }
}
