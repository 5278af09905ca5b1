//! Option objects from JS, checked by hand: serde-wasm-bindgen ignores `deny_unknown_fields`
//! (toolchain trap 5), and a misspelt option silently ignored would give wrong answers. Every
//! unknown key and wrong type is an `EqlError` (code "option") naming the key.

use super::convert::{eql_error, option_error, query_error};
use crate::compile::{Mapping, Query, QueryBuilder, ResultPosition};
use crate::exceptions::ExceptionList;
use crate::input::Format;
use crate::rules::{self, Rule};
use crate::session::{RuleSource, SessionOptions};
use js_sys::{Array, Object};
use std::str::FromStr;
use wasm_bindgen::prelude::*;

/// The options object as (key, value) pairs, `undefined` values dropped; `undefined`/`null`
/// options mean none.
fn entries(options: &JsValue, what: &str) -> Result<Vec<(String, JsValue)>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(Vec::new());
    }
    if !options.is_object() || Array::is_array(options) {
        return Err(option_error(&format!("{what} options must be an object")));
    }
    let mut out = Vec::new();
    for entry in Object::entries(options.unchecked_ref()).iter() {
        let pair: Array = entry.unchecked_into();
        let value = pair.get(1);
        if !value.is_undefined() {
            out.push((pair.get(0).as_string().unwrap_or_default(), value));
        }
    }
    Ok(out)
}

fn string(key: &str, value: &JsValue) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| option_error(&format!("option `{key}` must be a string")))
}

fn count(key: &str, value: &JsValue) -> Result<u64, JsValue> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => {
            Ok(crate::num::saturating_u64(n))
        }
        _ => Err(option_error(&format!(
            "option `{key}` must be a non-negative integer"
        ))),
    }
}

fn unknown(key: &str, known: &str) -> JsValue {
    option_error(&format!("unknown option `{key}` (known options: {known})"))
}

/// The query-compiling options shared by `Query` and `Correlator`.
#[derive(Debug, Default)]
pub(super) struct QueryOptions {
    timestamp_field: Option<String>,
    tiebreaker_field: Option<Option<String>>,
    event_category_field: Option<String>,
    size: Option<Option<usize>>,
    result_position: Option<ResultPosition>,
    mapping: Option<Mapping>,
    max_samples_per_key: Option<usize>,
}

impl QueryOptions {
    const KEYS: &'static str = "timestampField, tiebreakerField, eventCategoryField, size, \
                                resultPosition, mapping, maxSamplesPerKey";

    /// Reads the options of `new Query(text, options)`.
    pub(super) fn from_js(options: &JsValue) -> Result<QueryOptions, JsValue> {
        let mut parsed = QueryOptions::default();
        for (key, value) in entries(options, "Query")? {
            if !parsed.take(&key, &value)? {
                return Err(unknown(&key, Self::KEYS));
            }
        }
        Ok(parsed)
    }

    /// Takes `key` if it is one of these options; `Ok(false)` if it is not.
    fn take(&mut self, key: &str, value: &JsValue) -> Result<bool, JsValue> {
        match key {
            "timestampField" => self.timestamp_field = Some(string(key, value)?),
            "eventCategoryField" => self.event_category_field = Some(string(key, value)?),
            "tiebreakerField" if value.is_null() => self.tiebreaker_field = Some(None),
            "tiebreakerField" => self.tiebreaker_field = Some(Some(string(key, value)?)),
            "size" if value.is_null() => self.size = Some(None),
            "size" => {
                let n = count(key, value)?;
                self.size = Some(Some(usize::try_from(n).unwrap_or(usize::MAX)));
            }
            "resultPosition" => {
                self.result_position = Some(match string(key, value)?.as_str() {
                    "head" => ResultPosition::Head,
                    "tail" => ResultPosition::Tail,
                    other => {
                        return Err(option_error(&format!(
                            "option `resultPosition` must be \"head\" or \"tail\", not {other:?}"
                        )))
                    }
                });
            }
            "mapping" if value.is_null() => self.mapping = None,
            "mapping" => self.mapping = Some(mapping(value)?),
            "maxSamplesPerKey" => {
                let n = count(key, value)?;
                if n == 0 {
                    return Err(option_error("option `maxSamplesPerKey` must be at least 1"));
                }
                self.max_samples_per_key = Some(usize::try_from(n).unwrap_or(usize::MAX));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Compiles `text`; a rule's own tiebreaker and category fields apply unless overridden
    /// (as in the CLI).
    pub(super) fn build(&self, text: &str, rule: Option<&Rule>) -> Result<Query, JsValue> {
        let tiebreaker = match &self.tiebreaker_field {
            Some(field) => field.clone(),
            None => rule.and_then(|r| r.tiebreaker_field.clone()),
        };
        let category = self
            .event_category_field
            .clone()
            .or_else(|| rule.and_then(|r| r.event_category_override.clone()))
            .unwrap_or_else(|| "event.category".to_string());
        QueryBuilder::new()
            .timestamp_field(self.timestamp_field.as_deref().unwrap_or("@timestamp"))
            .tiebreaker_field(tiebreaker.as_deref())
            .event_category_field(&category)
            .size(self.size.flatten())
            .result_position(self.result_position.unwrap_or(ResultPosition::Tail))
            .max_samples_per_key(
                self.max_samples_per_key
                    .unwrap_or(crate::compile::DEFAULT_MAX_SAMPLES_PER_KEY),
            )
            .mapping(self.mapping.clone())
            .build(text)
            .map_err(|e| query_error(&e, text))
    }
}

/// What `new Correlator(options)` needs: the session's settings, and whether results carry
/// their rendered `view`.
#[derive(Debug)]
pub(super) struct CorrelatorOptions {
    pub(super) session: SessionOptions,
    /// Add `view` (table cells, locations, decoded task) to every result object.
    pub(super) views: bool,
}

impl CorrelatorOptions {
    const KEYS: &'static str = "query, rule, format, reorderWindow, maxCandidates, exceptions, \
                                prefilter, projection, timeZone, views, simulate, explain, \
                                timestampField, tiebreakerField, eventCategoryField, size, \
                                resultPosition, mapping, maxSamplesPerKey";

    pub(super) fn from_js(options: &JsValue) -> Result<CorrelatorOptions, JsValue> {
        let mut q = QueryOptions::default();
        let (mut query, mut rule) = (None, None);
        let mut session = SessionOptions::default();
        let mut views = false;
        for (key, value) in entries(options, "Correlator")? {
            match key.as_str() {
                "query" => query = Some(string(&key, &value)?),
                "rule" => rule = Some(string(&key, &value)?),
                "format" => {
                    session.format = Format::from_str(&string(&key, &value)?)
                        .map_err(|e| option_error(&format!("option `format`: {e}")))?;
                }
                "exceptions" if value.is_null() => session.exceptions = None,
                "exceptions" => session.exceptions = Some(exception_list(&value)?),
                "reorderWindow" if value.is_null() => session.reorder_window_ms = None,
                "reorderWindow" => session.reorder_window_ms = Some(count(&key, &value)?),
                "maxCandidates" if value.is_null() => session.max_candidates = None,
                "maxCandidates" => {
                    let n = count(&key, &value)?;
                    if n == 0 {
                        return Err(option_error("option `maxCandidates` must be at least 1"));
                    }
                    session.max_candidates = Some(usize::try_from(n).unwrap_or(usize::MAX));
                }
                "prefilter" => session.prefilter = boolean(&key, &value)?,
                "projection" => session.projection = boolean(&key, &value)?,
                "views" => views = boolean(&key, &value)?,
                "simulate" => session.simulate = boolean(&key, &value)?,
                "explain" if value.as_bool() == Some(true) => {
                    session.explain = Some(crate::explain::DEFAULT_TOP);
                }
                "explain" if value.as_bool() == Some(false) || value.is_null() => {
                    session.explain = None
                }
                "explain" => {
                    let n = count(&key, &value)?;
                    session.explain = Some(usize::try_from(n).unwrap_or(usize::MAX).max(1));
                }
                "timeZone" => session.time_zone = string(&key, &value)?,
                _ if q.take(&key, &value)? => {}
                _ => return Err(unknown(&key, Self::KEYS)),
            }
        }
        session.source = match (query, rule) {
            (Some(text), None) => RuleSource::Query(text),
            (None, Some(rule)) => {
                let rule = resolve_rule(&rule)?;
                if rule.id == rules::BUILTIN_ID {
                    RuleSource::Builtin
                } else {
                    RuleSource::Rule(Box::new(rule))
                }
            }
            // Like the CLI: no query and no rule runs the built-in rule.
            (None, None) => RuleSource::Builtin,
            (Some(_), Some(_)) => {
                return Err(option_error(
                    "Correlator options take `query` or `rule`, not both",
                ))
            }
        };
        session.timestamp_field = q.timestamp_field;
        session.tiebreaker_field = q.tiebreaker_field;
        session.event_category_field = q.event_category_field;
        session.size = q.size.flatten();
        session.result_position = q.result_position.unwrap_or(ResultPosition::Tail);
        session.mapping = q.mapping;
        session.max_samples_per_key = q.max_samples_per_key;
        Ok(CorrelatorOptions { session, views })
    }
}

fn boolean(key: &str, value: &JsValue) -> Result<bool, JsValue> {
    value
        .as_bool()
        .ok_or_else(|| option_error(&format!("option `{key}` must be a boolean")))
}

/// `exceptions`: the JSON text Kibana exports (NDJSON, an array or one item), or the same as JS
/// values (an array of items or one item).
fn exception_list(value: &JsValue) -> Result<ExceptionList, JsValue> {
    let list = match value.as_string() {
        Some(text) => ExceptionList::from_json(&text),
        None => {
            let json: serde_json::Value = serde_wasm_bindgen::from_value(value.clone())
                .map_err(|e| option_error(&format!("option `exceptions`: {e}")))?;
            match json {
                serde_json::Value::Array(items) => ExceptionList::from_values(&items),
                one => ExceptionList::from_values(&[one]),
            }
        }
    };
    list.map_err(|e| option_error(&format!("option `exceptions`: {e}")))
}

/// `mapping`: the JSON text of a mapping (`GET _mapping` output, `{"mappings": ...}` or
/// `{"properties": ...}`), the same as a JS object, or an array of those (one per index).
fn mapping(value: &JsValue) -> Result<Mapping, JsValue> {
    let bad = |e: &dyn std::fmt::Display| option_error(&format!("option `mapping`: {e}"));
    let one = |v: &JsValue| -> Result<Mapping, JsValue> {
        match v.as_string() {
            Some(text) => Mapping::from_json(&text).map_err(|e| bad(&e.message())),
            None => {
                let json: serde_json::Value =
                    serde_wasm_bindgen::from_value(v.clone()).map_err(|e| bad(&e))?;
                Mapping::from_value(&json).map_err(|e| bad(&e.message()))
            }
        }
    };
    if Array::is_array(value) {
        let mut all = Mapping::default();
        for item in Array::from(value).iter() {
            all.extend(one(&item)?);
        }
        Ok(all)
    } else {
        one(value)
    }
}

/// A rule given as a built-in id or as the text of a detection-rules TOML file.
pub(super) fn resolve_rule(rule: &str) -> Result<Rule, JsValue> {
    let builtin = rules::builtin();
    if rule == builtin.id {
        return Ok(builtin);
    }
    if !rule.contains('\n') && !rule.contains('=') {
        return Err(option_error(&format!(
            "option `rule`: unknown built-in rule {rule:?} (built-in: {:?}); \
             or pass the text of a detection-rules TOML file",
            builtin.id
        )));
    }
    rules::from_toml(rule).map_err(|e| {
        eql_error(
            e.kind().as_str(),
            &format!("option `rule`: {}", e.message()),
        )
    })
}
