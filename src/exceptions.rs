//! Elastic rule exceptions (exception list items), applied to events before matching.
//!
//! Kibana turns a rule's exception items into one Elasticsearch filter that is added, negated, to
//! the rule's EQL request (`buildExceptionFilter`, see `spec/eql-semantics.md` §8.5): items are
//! OR-ed, the entries of one item AND-ed, and an event that satisfies any item is dropped from
//! the candidate stream of *every* stage. Applying them per event before the correlator runs is
//! therefore the only faithful placement: a suppressed create can let a delete pair with an older
//! create, exactly as Elasticsearch would.
//!
//! Input is the JSON Kibana writes when exception items are exported (one item per NDJSON line,
//! plus a list header line and an export-summary line, both skipped), a JSON array of items, or
//! one item object. Each item holds `entries: [{field, operator, type, value}]` with
//! `operator` `included` (the condition) or `excluded` (its negation, `must_not`) and `type`:
//!
//! | type        | UI name      | query            | here                                      |
//! |-------------|--------------|------------------|-------------------------------------------|
//! | `match`     | is           | `match_phrase`   | some value equals `value` exactly         |
//! | `match_any` | is one of    | `match_phrase`s  | some value equals one of `value[]`        |
//! | `wildcard`  | matches      | `wildcard`       | some value matches the pattern (`*`, `?`) |
//! | `exists`    | exists       | `exists`         | the field has a value                     |
//!
//! Comparisons are case-sensitive, as on `keyword` fields (the ECS fields rules use). `excluded`
//! negates the whole clause, so `is not "x"` holds for an event that lacks the field (a `must_not`
//! of a non-match), and `does not exist` holds exactly when the field is missing. Value lists
//! (`list`) and `nested` entries are rejected with a clear error rather than guessed at.

use crate::event::Event;
use serde_json::{Map, Value};
use std::fmt;

/// Why an exception list could not be read. Names the item (0-based, in input order) and entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionsError {
    /// Index of the offending item among the items read, when the error concerns one item.
    pub item: Option<usize>,
    /// Index of the offending entry inside that item.
    pub entry: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl ExceptionsError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            item: None,
            entry: None,
            message: message.into(),
        }
    }

    fn in_item(mut self, item: usize) -> Self {
        self.item = Some(item);
        self
    }
}

impl fmt::Display for ExceptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.item, self.entry) {
            (Some(i), Some(e)) => write!(f, "exception item {}, entry {}: ", i + 1, e + 1)?,
            (Some(i), None) => write!(f, "exception item {}: ", i + 1)?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExceptionsError {}

/// What one entry tests about its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `is`: some value of the field equals this string.
    Is(String),
    /// `is one of`: some value of the field equals one of these strings.
    IsOneOf(Vec<String>),
    /// `matches`: some value of the field matches this wildcard pattern.
    Matches(String),
    /// `exists`: the field has at least one value.
    Exists,
}

/// One condition on one field; `negated` is Kibana's `operator: "excluded"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Dotted field path, as in the event.
    pub field: String,
    /// The test applied to the field's values.
    pub test: Test,
    /// `true` for the "is not" / "does not exist" / "does not match" variants.
    pub negated: bool,
}

impl Entry {
    /// Whether the event satisfies this entry.
    pub fn matches(&self, event: &Event) -> bool {
        let mut hit = false;
        event.for_each_value(&self.field, &mut |v| {
            hit = match &self.test {
                Test::Exists => true,
                Test::Is(s) => value_equals(v, s),
                Test::IsOneOf(list) => list.iter().any(|s| value_equals(v, s)),
                Test::Matches(p) => value_str(v).is_some_and(|t| wildcard_match(p, &t)),
            };
            !hit
        });
        hit != self.negated
    }
}

/// One exception item: all of its entries must hold for the event to be excluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The item's `name` (empty when the input has none), for display and counts.
    pub name: String,
    /// The item's `item_id`, when present.
    pub item_id: Option<String>,
    /// The item's `description`, kept so that an item read and written back is the same item.
    pub description: String,
    /// The AND-ed conditions.
    pub entries: Vec<Entry>,
}

impl Item {
    /// Whether the event satisfies every entry (an item with no entries matches nothing).
    pub fn matches(&self, event: &Event) -> bool {
        !self.entries.is_empty() && self.entries.iter().all(|e| e.matches(event))
    }
}

impl Entry {
    /// The entry as Kibana exports it: `{field, operator, type, value}`.
    pub fn to_kibana(&self) -> Value {
        let mut out = Map::new();
        out.insert("field".into(), Value::String(self.field.clone()));
        let operator = if self.negated { "excluded" } else { "included" };
        out.insert("operator".into(), Value::String(operator.into()));
        let (kind, value) = match &self.test {
            Test::Is(s) => ("match", Some(Value::String(s.clone()))),
            Test::IsOneOf(list) => (
                "match_any",
                Some(Value::Array(
                    list.iter().cloned().map(Value::String).collect(),
                )),
            ),
            Test::Matches(p) => ("wildcard", Some(Value::String(p.clone()))),
            Test::Exists => ("exists", None),
        };
        out.insert("type".into(), Value::String(kind.into()));
        if let Some(value) = value {
            out.insert("value".into(), value);
        }
        Value::Object(out)
    }
}

/// `user.name is not "x"`: the entry in the words of Kibana's exception builder.
impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let not = self.negated;
        match &self.test {
            Test::Is(s) => write!(
                f,
                "{} {} {}",
                self.field,
                if not { "is not" } else { "is" },
                quoted(s)
            ),
            Test::IsOneOf(list) => {
                let list: Vec<String> = list.iter().map(|s| quoted(s)).collect();
                let verb = if not { "is not one of" } else { "is one of" };
                write!(f, "{} {verb} {}", self.field, list.join(", "))
            }
            Test::Matches(p) => {
                let verb = if not { "does not match" } else { "matches" };
                write!(f, "{} {verb} {}", self.field, quoted(p))
            }
            Test::Exists => {
                let verb = if not { "does not exist" } else { "exists" };
                write!(f, "{} {verb}", self.field)
            }
        }
    }
}

impl Item {
    /// The item as Kibana exports it (`item_id`, `name`, `description`, `type`, `entries`), so
    /// that what a shell stores or exports is what it read.
    pub fn to_kibana(&self) -> Value {
        let mut out = Map::new();
        if let Some(id) = &self.item_id {
            out.insert("item_id".into(), Value::String(id.clone()));
        }
        out.insert("name".into(), Value::String(self.name.clone()));
        out.insert(
            "description".into(),
            Value::String(self.description.clone()),
        );
        out.insert("type".into(), Value::String("simple".into()));
        let entries = self.entries.iter().map(Entry::to_kibana).collect();
        out.insert("entries".into(), Value::Array(entries));
        Value::Object(out)
    }
}

/// The entries joined with ` AND ` (an item excludes an event only when all of them hold).
impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(" AND ")?;
            }
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}

/// A rule's exception items, OR-ed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExceptionList {
    items: Vec<Item>,
}

impl ExceptionList {
    /// Reads Kibana's exported JSON: NDJSON of items, an array of items, or one item.
    pub fn from_json(text: &str) -> Result<Self, ExceptionsError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Self::default());
        }
        let documents: Vec<Value> = match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Array(items)) => items,
            Ok(single) => vec![single],
            Err(whole) => {
                let mut docs = Vec::new();
                for (n, line) in trimmed.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let doc = serde_json::from_str(line).map_err(|e| {
                        ExceptionsError::new(format!(
                            "not JSON, a JSON array or NDJSON (line {}: {e}; as one document: {whole})",
                            n + 1
                        ))
                    })?;
                    docs.push(doc);
                }
                docs
            }
        };
        Self::from_values(&documents)
    }

    /// Builds the list from already-parsed documents (see [`ExceptionList::from_json`]).
    pub fn from_values(documents: &[Value]) -> Result<Self, ExceptionsError> {
        let mut items = Vec::new();
        for doc in documents {
            let Value::Object(obj) = doc else {
                return Err(
                    ExceptionsError::new("an exception item must be a JSON object")
                        .in_item(items.len()),
                );
            };
            if !obj.contains_key("entries") && is_export_bookkeeping(obj) {
                continue;
            }
            let index = items.len();
            items.push(parse_item(obj).map_err(|e| e.in_item(index))?);
        }
        Ok(Self { items })
    }

    /// Builds a list from items made in code.
    pub fn new(items: Vec<Item>) -> Self {
        Self { items }
    }

    /// The items, in input order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Whether there are no items (then nothing is ever excluded).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the event is excluded by any item.
    pub fn matches(&self, event: &Event) -> bool {
        self.items.iter().any(|item| item.matches(event))
    }

    /// Index of the first item that excludes the event, for per-item counts.
    pub fn first_match(&self, event: &Event) -> Option<usize> {
        self.items.iter().position(|item| item.matches(event))
    }
}

/// The exported list's header line and Kibana's trailing export summary carry no entries.
fn is_export_bookkeeping(obj: &Map<String, Value>) -> bool {
    obj.keys().any(|k| k.starts_with("exported_")) || obj.contains_key("list_id")
}

fn parse_item(obj: &Map<String, Value>) -> Result<Item, ExceptionsError> {
    let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
    let Some(Value::Array(raw)) = obj.get("entries") else {
        return Err(ExceptionsError::new("missing `entries` array"));
    };
    if raw.is_empty() {
        return Err(ExceptionsError::new("`entries` is empty"));
    }
    if let Some(Value::Array(os)) = obj.get("os_types") {
        if !os.is_empty() {
            return Err(ExceptionsError::new(
                "`os_types` (Endpoint exceptions) is not supported; use an entry on host.os.type",
            ));
        }
    }
    let mut entries = Vec::with_capacity(raw.len());
    for (i, entry) in raw.iter().enumerate() {
        entries.push(parse_entry(entry).map_err(|mut e| {
            e.entry = Some(i);
            e
        })?);
    }
    Ok(Item {
        name: text("name").unwrap_or_default(),
        item_id: text("item_id"),
        description: text("description").unwrap_or_default(),
        entries,
    })
}

fn parse_entry(entry: &Value) -> Result<Entry, ExceptionsError> {
    let Value::Object(obj) = entry else {
        return Err(ExceptionsError::new("an entry must be a JSON object"));
    };
    let get = |key: &str| obj.get(key).and_then(Value::as_str);
    if get("type") == Some("nested") {
        return Err(ExceptionsError::new(
            "`nested` entries are not supported (they need a nested mapping); use dotted fields",
        ));
    }
    let field = get("field")
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ExceptionsError::new("missing `field`"))?;
    let negated = match get("operator") {
        Some("included") => false,
        Some("excluded") => true,
        other => {
            return Err(ExceptionsError::new(format!(
                "`operator` must be \"included\" or \"excluded\", not {}",
                describe(other)
            )))
        }
    };
    let value = || match obj.get("value") {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ExceptionsError::new(format!(
            "`value` of `{field}` must be a string"
        ))),
    };
    let test = match get("type") {
        Some("match") => Test::Is(value()?),
        Some("wildcard") => Test::Matches(value()?),
        Some("exists") => Test::Exists,
        Some("match_any") => match obj.get("value") {
            Some(Value::Array(vs)) if !vs.is_empty() => Test::IsOneOf(
                vs.iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| ExceptionsError::new("`value` of `match_any` must hold strings"))?,
            ),
            _ => {
                return Err(ExceptionsError::new(
                    "`value` of `match_any` must be a non-empty array of strings",
                ))
            }
        },
        Some("list") => {
            return Err(ExceptionsError::new(
                "value-list entries (`is in list`) are not supported: Kibana does not apply them to EQL rules either",
            ))
        }
        other => {
            return Err(ExceptionsError::new(format!(
                "unknown entry `type` {}: expected match, match_any, wildcard or exists",
                describe(other)
            )))
        }
    };
    Ok(Entry {
        field: field.to_owned(),
        test,
        negated,
    })
}

fn describe(value: Option<&str>) -> String {
    value.map_or_else(|| "(missing)".to_owned(), |v| format!("{v:?}"))
}

/// A scalar field value as the string a keyword field would index.
fn value_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `match_phrase` on a keyword: exact; on a number, numeric equality with the parsed text.
fn value_equals(v: &Value, s: &str) -> bool {
    match v {
        Value::String(t) => t == s,
        Value::Number(n) => match (n.as_f64(), s.trim().parse::<f64>()) {
            (Some(a), Ok(b)) => a == b,
            _ => n.to_string() == s,
        },
        Value::Bool(b) => s == if *b { "true" } else { "false" },
        _ => false,
    }
}

/// Elasticsearch `wildcard` query syntax: `*` any run of characters, `?` exactly one,
/// `\` escapes the next character. Case-sensitive. Linear backtracking on the last `*`.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Star,
        One,
        Lit(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            '\\' => Tok::Lit(chars.next().unwrap_or('\\')),
            c => Tok::Lit(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Star) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if text.get(t) == Some(c) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((bp, bt)) => {
                    p = bp + 1;
                    t = bt + 1;
                    backtrack = Some((bp, bt + 1));
                }
                None => return false,
            },
        }
    }
    toks.get(p..)
        .unwrap_or_default()
        .iter()
        .all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests;
