//! EQL functions with Elasticsearch's semantics (`eql-semantics.md` §4.3): null propagation,
//! Java arithmetic (`%` takes the dividend's sign, integer `/` truncates), string positions in
//! UTF-16 code units (Java strings), and `between`/`substring`/`indexOf` edge cases.

use super::value::{to_java_string, Val};
use crate::num::saturating_i64;
use std::borrow::Cow;

/// Static types for compile-time checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Unknown (a field, or anything).
    Any,
    /// `null` literal.
    Null,
    /// Boolean.
    Bool,
    /// Integer.
    Int,
    /// Any number.
    Num,
    /// String.
    Str,
}

impl Ty {
    /// Elasticsearch's name for a required type.
    pub fn name(&self) -> &'static str {
        match self {
            Ty::Any => "any",
            Ty::Null => "null",
            Ty::Bool => "boolean",
            Ty::Int => "integer",
            Ty::Num => "numeric",
            Ty::Str => "string",
        }
    }

    /// Whether a value of type `self` can be passed where `want` is required.
    pub fn fits(&self, want: Ty) -> bool {
        match (self, want) {
            (Ty::Any | Ty::Null, _) | (_, Ty::Any) => true,
            (Ty::Int, Ty::Num | Ty::Int) => true,
            (a, b) => *a == b,
        }
    }
}

/// The EQL functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Func {
    Add,
    Between,
    CidrMatch,
    Concat,
    Divide,
    EndsWith,
    IndexOf,
    Length,
    Modulo,
    Multiply,
    Number,
    StartsWith,
    String,
    StringContains,
    Substring,
    Subtract,
}

const ALL: &[(Func, &str)] = &[
    (Func::Add, "add"),
    (Func::Between, "between"),
    (Func::CidrMatch, "cidrMatch"),
    (Func::Concat, "concat"),
    (Func::Divide, "divide"),
    (Func::EndsWith, "endsWith"),
    (Func::IndexOf, "indexOf"),
    (Func::Length, "length"),
    (Func::Modulo, "modulo"),
    (Func::Multiply, "multiply"),
    (Func::Number, "number"),
    (Func::StartsWith, "startsWith"),
    (Func::String, "string"),
    (Func::StringContains, "stringContains"),
    (Func::Substring, "substring"),
    (Func::Subtract, "subtract"),
];

impl Func {
    /// Looks a function up by name, ignoring case (as Elasticsearch's registry does).
    pub fn lookup(name: &str) -> Option<Func> {
        ALL.iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| *f)
    }

    /// The canonical name.
    pub fn name(&self) -> &'static str {
        ALL.iter().find(|(f, _)| f == self).map_or("", |(_, n)| n)
    }

    /// Minimum and maximum argument count (`None` = unbounded).
    pub fn arity(&self) -> (usize, Option<usize>) {
        match self {
            Func::Length | Func::String => (1, Some(1)),
            Func::Number => (1, Some(2)),
            Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo => {
                (2, Some(2))
            }
            Func::EndsWith | Func::StartsWith | Func::StringContains => (2, Some(2)),
            Func::IndexOf | Func::Substring => (2, Some(3)),
            Func::Between => (3, Some(4)),
            Func::Concat => (1, None),
            Func::CidrMatch => (2, None),
        }
    }

    /// Elasticsearch's arity message.
    pub fn arity_message(&self) -> String {
        let words = ["zero", "one", "two", "three", "four"];
        let word = |n: usize| words.get(n.min(4)).copied().unwrap_or("four");
        let expects = match self.arity() {
            (min, None) => format!(
                "expects at least {} argument{}",
                word(min),
                if min == 1 { "" } else { "s" }
            ),
            (1, Some(1)) => "expects exactly one argument".to_string(),
            (min, Some(max)) if min == max => format!("expects exactly {} arguments", word(min)),
            (min, Some(max)) => {
                format!("expects {} or {} arguments", word(min), word(max))
            }
        };
        format!("error building [{}]: {expects}", self.name())
    }

    /// Whether `name~(...)` is allowed (the case-aware string functions).
    pub fn case_aware(&self) -> bool {
        matches!(
            self,
            Func::Between
                | Func::EndsWith
                | Func::IndexOf
                | Func::StartsWith
                | Func::StringContains
        )
    }

    /// Required type of argument `i` (0-based).
    pub fn param(&self, i: usize) -> Ty {
        match self {
            Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo => Ty::Num,
            Func::Between => {
                if i == 3 {
                    Ty::Bool
                } else {
                    Ty::Str
                }
            }
            Func::CidrMatch => Ty::Str,
            Func::Concat | Func::String => Ty::Any,
            Func::EndsWith | Func::StartsWith | Func::StringContains | Func::Length => Ty::Str,
            Func::IndexOf => {
                if i == 2 {
                    Ty::Int
                } else {
                    Ty::Str
                }
            }
            Func::Substring => {
                if i == 0 {
                    Ty::Str
                } else {
                    Ty::Int
                }
            }
            Func::Number => {
                if i == 0 {
                    Ty::Str
                } else {
                    Ty::Int
                }
            }
        }
    }

    /// The result type, given the argument types.
    pub fn result(&self, args: &[Ty]) -> Ty {
        match self {
            Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo => {
                if args.iter().all(|t| *t == Ty::Int) {
                    Ty::Int
                } else {
                    Ty::Num
                }
            }
            Func::Between | Func::Concat | Func::String | Func::Substring => Ty::Str,
            Func::CidrMatch | Func::EndsWith | Func::StartsWith | Func::StringContains => Ty::Bool,
            Func::IndexOf | Func::Length => Ty::Int,
            Func::Number => Ty::Num,
        }
    }
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// Lower-cases UTF-16 units one by one, keeping the length (so positions stay valid), as an
/// approximation of Java's `toLowerCase(Locale.ROOT)` used by the script path.
fn lower16(units: &[u16]) -> Vec<u16> {
    units
        .iter()
        .map(|&u| {
            char::from_u32(u32::from(u))
                .and_then(|c| {
                    let mut l = c.to_lowercase();
                    match (l.next(), l.next()) {
                        (Some(x), None) if x.len_utf16() == 1 => {
                            let mut b = [0u16; 1];
                            x.encode_utf16(&mut b);
                            Some(b[0])
                        }
                        _ => None,
                    }
                })
                .unwrap_or(u)
        })
        .collect()
}

/// Java's `String.indexOf(sub, from)` on UTF-16 units.
fn index_of(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    if needle.is_empty() {
        return Some(from);
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn last_index_of(hay: &[u16], needle: &[u16]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn s16(units: &[u16]) -> Val<'static> {
    Val::Str(Cow::Owned(String::from_utf16_lossy(units)))
}

fn arith(f: Func, a: &Val<'_>, b: &Val<'_>) -> Val<'static> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => {
            let r = match f {
                Func::Add => x.checked_add(*y),
                Func::Subtract => x.checked_sub(*y),
                Func::Multiply => x.checked_mul(*y),
                Func::Divide => x.checked_div(*y),
                _ => x.checked_rem(*y),
            };
            r.map_or(Val::Null, Val::Int)
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Val::Float(match f {
                Func::Add => x + y,
                Func::Subtract => x - y,
                Func::Multiply => x * y,
                Func::Divide => x / y,
                _ => x % y,
            }),
            _ => Val::Null,
        },
    }
}

fn int_arg(v: Option<&Val<'_>>) -> Option<i64> {
    match v {
        Some(Val::Int(i)) => Some(*i),
        Some(Val::Float(f)) if f.is_finite() => Some(saturating_i64(*f)),
        _ => None,
    }
}

/// Applies `f` (not `cidrMatch`, which compile pre-parses) to evaluated arguments.
/// `ci` selects the `name~` variant. Type mismatches and Java exceptions give `null`.
pub fn call(f: Func, ci: bool, args: &[Val<'_>]) -> Val<'static> {
    let arg = |i: usize| args.get(i).unwrap_or(&Val::Null);
    let str_arg = |i: usize| arg(i).as_str();
    match f {
        Func::Add | Func::Subtract | Func::Multiply | Func::Divide | Func::Modulo => {
            arith(f, arg(0), arg(1))
        }
        Func::Concat => {
            let mut out = String::new();
            for a in args {
                match to_java_string(a) {
                    Some(s) => out.push_str(&s),
                    None => return Val::Null,
                }
            }
            Val::Str(Cow::Owned(out))
        }
        Func::String => to_java_string(arg(0)).map_or(Val::Null, |s| Val::Str(Cow::Owned(s))),
        Func::Length => str_arg(0).map_or(Val::Null, |s| Val::Int(s.encode_utf16().count() as i64)),
        Func::StartsWith | Func::EndsWith => {
            let (Some(s), Some(p)) = (str_arg(0), str_arg(1)) else {
                return Val::Null;
            };
            let (s, p) = if ci {
                (lower16(&utf16(s)), lower16(&utf16(p)))
            } else {
                (utf16(s), utf16(p))
            };
            Val::Bool(if f == Func::StartsWith {
                s.starts_with(&p)
            } else {
                s.ends_with(&p)
            })
        }
        Func::StringContains => {
            let (Some(s), Some(p)) = (str_arg(0), str_arg(1)) else {
                return Val::Null;
            };
            if s.is_empty() || p.is_empty() {
                return Val::Bool(false);
            }
            let (s, p) = if ci {
                (lower16(&utf16(s)), lower16(&utf16(p)))
            } else {
                (utf16(s), utf16(p))
            };
            Val::Bool(index_of(&s, &p, 0).is_some())
        }
        Func::IndexOf => {
            let (Some(s), Some(p)) = (str_arg(0), str_arg(1)) else {
                return Val::Null;
            };
            let start = match arg(2) {
                Val::Null => 0,
                other => match int_arg(Some(other)) {
                    Some(i) => i,
                    None => return Val::Null,
                },
            };
            let (s, p) = if ci {
                (lower16(&utf16(s)), lower16(&utf16(p)))
            } else {
                (utf16(s), utf16(p))
            };
            let from = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
            let from = if from >= s.len() && p.is_empty() {
                s.len()
            } else {
                from
            };
            index_of(&s, &p, from).map_or(Val::Null, |i| Val::Int(i as i64))
        }
        Func::Between => {
            let (Some(s), Some(l), Some(r)) = (str_arg(0), str_arg(1), str_arg(2)) else {
                return Val::Null;
            };
            let greedy = match arg(3) {
                Val::Null => false,
                Val::Bool(b) => *b,
                _ => return Val::Null,
            };
            if s.is_empty() || l.is_empty() || r.is_empty() {
                return Val::Str(Cow::Owned(s.to_string()));
            }
            let orig = utf16(s);
            let (m, l, r) = if ci {
                (lower16(&orig), lower16(&utf16(l)), lower16(&utf16(r)))
            } else {
                (orig.clone(), utf16(l), utf16(r))
            };
            let Some(start) = index_of(&m, &l, 0) else {
                return Val::Str(Cow::Borrowed(""));
            };
            let from = start + l.len();
            let end = if greedy {
                last_index_of(&m, &r)
            } else {
                index_of(&m, &r, from)
            };
            match end.and_then(|end| orig.get(from..end)) {
                Some(between) => s16(between),
                None => Val::Str(Cow::Borrowed("")),
            }
        }
        Func::Substring => {
            let Some(s) = str_arg(0) else {
                return Val::Null;
            };
            let Some(start) = int_arg(Some(arg(1))) else {
                return if arg(1).is_null() {
                    Val::Str(Cow::Owned(s.to_string()))
                } else {
                    Val::Null
                };
            };
            let units = utf16(s);
            let len = units.len() as i64;
            let end = match arg(2) {
                Val::Null => len,
                other => match int_arg(Some(other)) {
                    Some(e) => e,
                    None => return Val::Null,
                },
            };
            let clamp = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
            let (a, b) = (clamp(start), clamp(end));
            if a >= b {
                return Val::Str(Cow::Borrowed(""));
            }
            // 0 <= a < b <= len after clamping.
            match (usize::try_from(a), usize::try_from(b)) {
                (Ok(a), Ok(b)) => units.get(a..b).map_or(Val::Str(Cow::Borrowed("")), s16),
                _ => Val::Str(Cow::Borrowed("")),
            }
        }
        Func::Number => {
            let Some(s) = str_arg(0) else {
                return Val::Null;
            };
            let base = match arg(1) {
                Val::Null => None,
                other => match int_arg(Some(other)) {
                    Some(b) if (2..=36).contains(&b) => u32::try_from(b).ok(),
                    _ => return Val::Null,
                },
            };
            number(s.trim(), base)
        }
        Func::CidrMatch => Val::Null,
    }
}

fn number(s: &str, base: Option<u32>) -> Val<'static> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let hex = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"));
    let (base, digits) = match (base, hex) {
        (None | Some(16), Some(h)) => (16, h),
        (Some(b), _) => (b, digits),
        (None, None) => (10, digits),
    };
    if base == 10 {
        if let Ok(i) = s.parse::<i64>() {
            return Val::Int(i);
        }
        let plain = digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        return match s.parse::<f64>() {
            Ok(f) if plain && !digits.is_empty() => Val::Float(f),
            _ => Val::Null,
        };
    }
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return Val::Null;
    }
    match i64::from_str_radix(digits, base) {
        Ok(i) => Val::Int(if neg { -i } else { i }),
        Err(_) => Val::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val<'static> {
        Val::Str(Cow::Owned(x.to_string()))
    }

    #[test]
    fn arithmetic_is_java() {
        assert_eq!(
            call(Func::Modulo, false, &[Val::Int(-10), Val::Int(-6)]),
            Val::Int(-4)
        );
        assert_eq!(
            call(Func::Modulo, false, &[Val::Int(10), Val::Int(-6)]),
            Val::Int(4)
        );
        assert_eq!(
            call(Func::Divide, false, &[Val::Int(-7), Val::Int(2)]),
            Val::Int(-3)
        );
        assert_eq!(
            call(Func::Divide, false, &[Val::Int(1), Val::Int(0)]),
            Val::Null
        );
        assert_eq!(
            call(Func::Modulo, false, &[Val::Int(i64::MIN), Val::Int(-1)]),
            Val::Null
        );
        assert_eq!(
            call(Func::Add, false, &[Val::Int(1), Val::Float(0.5)]),
            Val::Float(1.5)
        );
        assert_eq!(call(Func::Add, false, &[Val::Int(1), Val::Null]), Val::Null);
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            call(Func::Between, false, &[s("a[b]c"), s("["), s("]")]),
            s("b")
        );
        assert_eq!(
            call(Func::Between, false, &[s("abc"), s("x"), s("c")]),
            s("")
        );
        assert_eq!(call(Func::Between, false, &[s(""), s("x"), s("c")]), s(""));
        assert_eq!(
            call(
                Func::Between,
                false,
                &[s("a1b2b"), s("a"), s("b"), Val::Bool(true)]
            ),
            s("1b2")
        );
        assert_eq!(
            call(Func::Between, true, &[s("A1B"), s("a"), s("b")]),
            s("1")
        );
        assert_eq!(
            call(
                Func::Between,
                false,
                &[s("abca"), s("c"), s("a"), Val::Bool(true)]
            ),
            s("")
        );
        assert_eq!(
            call(Func::Substring, false, &[s("hello"), Val::Int(-3)]),
            s("llo")
        );
        assert_eq!(
            call(
                Func::Substring,
                false,
                &[s("hello"), Val::Int(1), Val::Int(-1)]
            ),
            s("ell")
        );
        assert_eq!(
            call(
                Func::Substring,
                false,
                &[s("hello"), Val::Int(4), Val::Int(2)]
            ),
            s("")
        );
        assert_eq!(
            call(Func::IndexOf, false, &[s("abcb"), s("b"), Val::Int(2)]),
            Val::Int(3)
        );
        assert_eq!(call(Func::IndexOf, false, &[s("abc"), s("x")]), Val::Null);
        assert_eq!(
            call(Func::IndexOf, false, &[s("abc"), s("a"), Val::Int(-5)]),
            Val::Int(0)
        );
        assert_eq!(
            call(Func::IndexOf, false, &[s("abc"), s("a"), Val::Int(9)]),
            Val::Null
        );
        assert_eq!(
            call(Func::StringContains, false, &[s("abc"), s("")]),
            Val::Bool(false)
        );
        assert_eq!(
            call(Func::StringContains, false, &[s(""), s("")]),
            Val::Bool(false)
        );
        assert_eq!(
            call(Func::StringContains, true, &[s("ABC"), s("b")]),
            Val::Bool(true)
        );
        assert_eq!(
            call(Func::EndsWith, false, &[s(""), s("")]),
            Val::Bool(true)
        );
        assert_eq!(
            call(Func::StartsWith, false, &[s("Abc"), s("a")]),
            Val::Bool(false)
        );
        assert_eq!(call(Func::Length, false, &[s("😀")]), Val::Int(2));
        assert_eq!(
            call(
                Func::Concat,
                false,
                &[s("a"), Val::Int(1), Val::Float(2.0), Val::Bool(true)]
            ),
            s("a12.0true")
        );
        assert_eq!(call(Func::Concat, false, &[s("a"), Val::Null]), Val::Null);
        assert_eq!(call(Func::String, false, &[Val::Bool(true)]), s("true"));
    }

    #[test]
    fn numbers() {
        assert_eq!(call(Func::Number, false, &[s(" 42 ")]), Val::Int(42));
        assert_eq!(call(Func::Number, false, &[s("0x1F")]), Val::Int(31));
        assert_eq!(
            call(Func::Number, false, &[s("ff"), Val::Int(16)]),
            Val::Int(255)
        );
        assert_eq!(call(Func::Number, false, &[s("1.5")]), Val::Float(1.5));
        assert_eq!(call(Func::Number, false, &[s("abc")]), Val::Null);
        assert_eq!(call(Func::Number, false, &[s("-0x10")]), Val::Int(-16));
    }
}
