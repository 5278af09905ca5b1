//! Required literals: strings a matching event's raw JSON must contain (a pre-filter hint).
//!
//! Soundness rules: only top-level conjuncts count (never under `or` or `not`), only
//! case-sensitive exact string terms with a single value (an `in` list needs only one of its
//! values), and only strings that no common JSON writer escapes.

use crate::eval::value::Val;
use crate::eval::Cond;

/// Characters that some JSON writers escape (`"`, `\`, `/`, HTML-sensitive `<>&'`, controls,
/// non-ASCII as `\uXXXX`): a literal containing one is not emitted.
fn json_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii()
                && !c.is_ascii_control()
                && !matches!(c, '"' | '\\' | '/' | '<' | '>' | '&' | '\'')
        })
}

pub(super) fn push_if_safe(out: &mut Vec<String>, s: &str) {
    if json_safe(s) {
        out.push(s.to_string());
    }
}

pub(super) fn required(cond: &Cond, out: &mut Vec<String>) {
    match cond {
        Cond::And(items) => items.iter().for_each(|c| required(c, out)),
        Cond::Term {
            field,
            values,
            ci: false,
        } if !field.optional => {
            if let [Val::Str(s)] = values.as_slice() {
                push_if_safe(out, s);
            }
        }
        _ => {}
    }
}
