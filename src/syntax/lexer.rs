//! Splits query text into tokens with byte spans.
//!
//! The token set mirrors Elasticsearch's `EqlBase.g4` lexer: lowercase keywords, `in~`/`like~`/
//! `regex~` as single tokens, `name~` for case-insensitive function names, backquoted field
//! names, `"..."` and `"""..."""` strings. Single-quoted and `?"..."` strings are lexed only to
//! be rejected with Elasticsearch's message.

use crate::error::{Error, ErrorKind};
use crate::span::Span;

/// One token kind. Literal payloads are already decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare identifier (not a keyword).
    Ident(String),
    /// A backquoted identifier, unescaped.
    Quoted(String),
    /// `name~` (a case-insensitive function name), without the tilde.
    TildeIdent(String),
    /// A keyword (`and`, `where`, `in~`, ...), as written.
    Keyword(&'static str),
    /// An integer literal's digits.
    Int(String),
    /// A decimal literal's text.
    Decimal(String),
    /// A string literal, decoded.
    Str(String),
    /// Punctuation or operator (`==`, `(`, `|`, ...).
    Punct(&'static str),
    /// End of input.
    Eof,
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its bytes in the query.
    pub span: Span,
}

const KEYWORDS: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "maxspan", "not", "null", "of", "or",
    "regex", "sample", "sequence", "true", "until", "where", "with",
];

/// Whether `word` is reserved (so a field with that name needs backquotes).
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

const PUNCT: &[&str] = &[
    "==", "!=", "<=", ">=", "<", ">", "=", ":", "+", "-", "*", "/", "%", ".", ",", "(", ")", "[",
    "]", "|", "!", "?",
];

/// Tokenizes the whole query (the last token is [`Tok::Eof`]).
pub fn tokenize(src: &str) -> Result<Vec<Token>, Error> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        out: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.out)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Vec<Token>,
}

fn syntax(message: impl Into<String>, span: Span) -> Error {
    Error::new(ErrorKind::Syntax, message).with_span(span)
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '@'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.out.push(Token {
            tok,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) -> Result<(), Error> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if self.rest().starts_with("//") {
                self.pos = self
                    .rest()
                    .find('\n')
                    .map_or(self.src.len(), |i| self.pos + i);
            } else if self.rest().starts_with("/*") {
                let Some(end) = self.rest()[2..].find("*/") else {
                    return Err(syntax(
                        "Unterminated comment",
                        Span::new(start, self.src.len()),
                    ));
                };
                self.pos += end + 4;
            } else if is_ident_start(c) {
                self.word(start);
            } else if c.is_ascii_digit() || (c == '.' && self.decimal_may_start()) {
                self.number(start);
            } else if c == '`' {
                self.quoted(start)?;
            } else if c == '"' {
                self.string(start)?;
            } else if c == '\'' {
                let end = self.rest()[1..]
                    .find('\'')
                    .map_or(self.src.len(), |i| self.pos + i + 2);
                return Err(syntax(
                    "Use double quotes [\"] to define string literals, not single quotes [']",
                    Span::new(start, end),
                ));
            } else if c == '?' && matches!(self.rest()[1..].chars().next(), Some('"' | '\'')) {
                return Err(syntax(
                    "Use triple double quotes [\"\"\"] to define unescaped string literals, not [?]",
                    Span::new(start, start + 2),
                ));
            } else if let Some(p) = PUNCT.iter().find(|p| self.rest().starts_with(**p)) {
                self.pos += p.len();
                self.push(Tok::Punct(p), start);
            } else {
                let end = start + c.len_utf8();
                return Err(syntax(
                    format!("token recognition error at: '{c}'"),
                    Span::new(start, end),
                ));
            }
        }
        let end = self.src.len();
        self.out.push(Token {
            tok: Tok::Eof,
            span: Span::new(end, end),
        });
        Ok(())
    }

    /// A leading-dot decimal (`.5`) only where a value can start, so `a.b` stays a path.
    fn decimal_may_start(&self) -> bool {
        let next_is_digit = self.rest()[1..].starts_with(|c: char| c.is_ascii_digit());
        let after_value = matches!(
            self.out.last().map(|t| &t.tok),
            Some(Tok::Ident(_) | Tok::Quoted(_) | Tok::Punct(")" | "]"))
        );
        next_is_digit && !after_value
    }

    fn word(&mut self, start: usize) {
        // the first char may be `@`, which is not an identifier char after the start
        self.pos += self.peek().map_or(0, char::len_utf8);
        let len = self
            .rest()
            .find(|c: char| !is_ident_char(c))
            .unwrap_or(self.rest().len());
        self.pos += len;
        let word = &self.src[start..self.pos];
        if self.peek() == Some('~') {
            self.pos += 1;
            match word {
                "in" => self.push(Tok::Keyword("in~"), start),
                "like" => self.push(Tok::Keyword("like~"), start),
                "regex" => self.push(Tok::Keyword("regex~"), start),
                _ => self.push(Tok::TildeIdent(word.to_string()), start),
            }
        } else if let Some(k) = KEYWORDS.iter().find(|k| **k == word) {
            self.push(Tok::Keyword(k), start);
        } else {
            self.push(Tok::Ident(word.to_string()), start);
        }
    }

    fn digits(&mut self) -> usize {
        let n = self
            .rest()
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.rest().len());
        self.pos += n;
        n
    }

    fn number(&mut self, start: usize) {
        let mut decimal = false;
        self.digits();
        if self.peek() == Some('.') && !self.rest()[1..].starts_with(is_ident_start) {
            self.pos += 1;
            self.digits();
            decimal = true;
        }
        // exponent only when digits follow, so `5e` stays `5` + identifier
        let rest = self.rest().as_bytes();
        if matches!(rest.first(), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(rest.get(1), Some(b'+' | b'-')));
            if rest.get(1 + sign).is_some_and(u8::is_ascii_digit) {
                self.pos += 1 + sign;
                self.digits();
                decimal = true;
            }
        }
        let text = self.src[start..self.pos].to_string();
        self.push(
            if decimal {
                Tok::Decimal(text)
            } else {
                Tok::Int(text)
            },
            start,
        );
    }

    fn quoted(&mut self, start: usize) -> Result<(), Error> {
        let mut name = String::new();
        self.pos += 1;
        loop {
            match self.peek() {
                None => {
                    return Err(syntax(
                        "Unterminated quoted identifier",
                        Span::new(start, self.pos),
                    ))
                }
                Some('`') if self.rest()[1..].starts_with('`') => {
                    name.push('`');
                    self.pos += 2;
                }
                Some('`') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => {
                    name.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        if name.is_empty() {
            return Err(syntax(
                "Empty quoted identifier",
                Span::new(start, self.pos),
            ));
        }
        self.push(Tok::Quoted(name), start);
        Ok(())
    }

    fn string(&mut self, start: usize) -> Result<(), Error> {
        if self.rest().starts_with("\"\"\"") {
            let body = &self.rest()[3..];
            let Some(end) = body.find("\"\"\"") else {
                return Err(syntax(
                    "Unterminated raw string literal",
                    Span::new(start, self.src.len()),
                ));
            };
            // like the ANTLR rule, up to two quotes directly after the closing `"""` still belong
            // to the string: `"""a""""` is `a"`
            let mut extra = 0;
            while extra < 2 && body[end + 3 + extra..].starts_with('"') {
                extra += 1;
            }
            let value = body[..end + extra].to_string();
            if value.contains(['\r', '\n']) {
                return Err(syntax(
                    "Raw string literals cannot span lines",
                    Span::new(start, self.pos + 6 + end + extra),
                ));
            }
            self.pos += 6 + end + extra;
            self.push(Tok::Str(value), start);
            return Ok(());
        }
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(syntax(
                    "Unterminated string literal",
                    Span::new(start, self.pos),
                ));
            };
            let at = self.pos;
            self.pos += c.len_utf8();
            match c {
                '"' => break,
                '\r' | '\n' => {
                    return Err(syntax("Unterminated string literal", Span::new(start, at)));
                }
                '\\' => value.push(self.escape(at)?),
                c => value.push(c),
            }
        }
        self.push(Tok::Str(value), start);
        Ok(())
    }

    /// Decodes the escape whose backslash is at `at` (the cursor is just after it).
    fn escape(&mut self, at: usize) -> Result<char, Error> {
        let Some(c) = self.peek() else {
            return Err(syntax(
                "Unterminated string literal",
                Span::new(at, self.pos),
            ));
        };
        self.pos += c.len_utf8();
        let simple = match c {
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            '\'' => Some('\''),
            _ => None,
        };
        if let Some(decoded) = simple {
            return Ok(decoded);
        }
        if c != 'u' {
            return Err(syntax(
                format!("Illegal escape sequence [\\{c}]"),
                Span::new(at, self.pos),
            ));
        }
        let bad = |end: usize| {
            syntax(
                "Invalid unicode escape; expected [\\u{XX}] with 2 to 8 hex digits",
                Span::new(at, end),
            )
        };
        if self.peek() != Some('{') {
            return Err(bad(self.pos));
        }
        let body = &self.rest()[1..];
        let Some(close) = body.find('}') else {
            return Err(bad(self.pos));
        };
        let hex = &body[..close];
        let end = self.pos + close + 2;
        if !(2..=8).contains(&hex.len()) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad(end));
        }
        let decoded = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
        let Some(decoded) = decoded else {
            return Err(syntax(
                format!("Invalid unicode character code [{hex}]"),
                Span::new(at, end),
            ));
        };
        self.pos = end;
        Ok(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_operators_and_keywords() {
        assert_eq!(
            toks("a.b in~ (1, 2.5) and startsWith~(x, \"y\")"),
            vec![
                Tok::Ident("a".into()),
                Tok::Punct("."),
                Tok::Ident("b".into()),
                Tok::Keyword("in~"),
                Tok::Punct("("),
                Tok::Int("1".into()),
                Tok::Punct(","),
                Tok::Decimal("2.5".into()),
                Tok::Punct(")"),
                Tok::Keyword("and"),
                Tok::TildeIdent("startsWith".into()),
                Tok::Punct("("),
                Tok::Ident("x".into()),
                Tok::Punct(","),
                Tok::Str("y".into()),
                Tok::Punct(")"),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            toks(r#""a\tb\u{41}\u{1F600}""#)[0],
            Tok::Str("a\tbA😀".into())
        );
        assert_eq!(toks(r#""""a\b"c""""#)[0], Tok::Str("a\\b\"c".into()));
        assert_eq!(toks("`a``b`")[0], Tok::Quoted("a`b".into()));
        assert!(tokenize("'x'").is_err());
        assert!(tokenize("?\"x\"").is_err());
        assert!(tokenize(r#""\u{1}""#).is_err());
        assert!(tokenize(r#""\u{D800}""#).is_err());
        assert!(tokenize("\"abc").is_err());
    }

    #[test]
    fn numbers_and_units() {
        assert_eq!(
            toks("5m")[..2],
            [Tok::Int("5".into()), Tok::Ident("m".into())]
        );
        assert_eq!(
            toks("1.5s")[..2],
            [Tok::Decimal("1.5".into()), Tok::Ident("s".into())]
        );
        assert_eq!(toks("1e5")[0], Tok::Decimal("1e5".into()));
        assert_eq!(toks(".5")[0], Tok::Decimal(".5".into()));
        // regression (found by tests/lang_fuzz.rs): `@` alone made the lexer loop forever
        assert_eq!(
            toks("@ @timestamp")[..2],
            [Tok::Ident("@".into()), Tok::Ident("@timestamp".into())]
        );
        // regression (found by tests/lang_fuzz.rs): `@` alone made the lexer loop forever
        assert_eq!(
            toks("@ @timestamp")[..2],
            [Tok::Ident("@".into()), Tok::Ident("@timestamp".into())]
        );
    }
}
