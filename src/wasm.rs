//! The JavaScript facade: opaque handles over the core library, no logic of its own.
//!
//! JS hands in query text, options and raw input chunks; parsing and correlation stay in Rust and
//! only small results come back, serialized as plain JSON-compatible objects. Every expected
//! failure becomes a JS `Error` named `EqlError` with a stable `code` (see pkg/errors.js), and
//! query positions are converted to UTF-16 offsets here, at the edge, and nowhere else.

use crate::compile::{Query as CoreQuery, QueryBuilder, QueryKind, ResultPosition};
use crate::correlator::{Correlator as CoreCorrelator, Match, DEFAULT_REORDER_WINDOW_MS};
use crate::error::{Error, ErrorKind};
use crate::input::{Format, InputError, Reader, ReaderOptions};
use crate::{output, rules, Event, Provenance};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::Serialize;
use serde_wasm_bindgen::Serializer;
use std::str::FromStr;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Options of `new Query(text, options)`. */
export interface QueryOptions {
  /** Field holding each event's time (default "@timestamp"). */
  timestampField?: string;
  /** Field that orders events with equal timestamps (default none). */
  tiebreakerField?: string | null;
  /** Field holding the event category that `process where` tests (default "event.category"). */
  eventCategoryField?: string;
  /** At most this many results (default unlimited). */
  size?: number | null;
  /** Which results `size` keeps: "head" (first) or "tail" (last, the default, as Elasticsearch). */
  resultPosition?: "head" | "tail";
}
/** Options of `new Correlator(options)`: exactly one of `query` and `rule`. */
export interface CorrelatorOptions extends QueryOptions {
  /** EQL query text. */
  query?: string;
  /** A built-in rule id (see builtinRules()) or the text of an Elastic detection-rules TOML file. */
  rule?: string;
  /** Input format of push() chunks, e.g. "ndjson" (default: detected from the data). */
  format?: string;
  /** How long (ms of event time) to wait for out-of-order events before a result is final. */
  reorderWindow?: number;
}
/** What a query is, as told by parseQuery() and the Query getters. */
export interface QueryInfo {
  kind: "event" | "sequence";
  /** The join key fields (`by`) of the first stage. */
  joinKeys: string[];
  /** `maxspan` in milliseconds, if any. */
  maxspanMs?: number;
  /** Every field the query reads, sorted. */
  fields: string[];
}
/** Where an event came from. */
export interface Provenance { file?: string; line?: number; record?: number; offset?: number }
/** One event of a result (or a missing-event placeholder of a `![...]` stage). */
export interface ResultEvent { _source: Record<string, unknown>; _provenance?: Provenance; missing?: true }
/** One result: a sequence (with its join key values) or a single event. */
export interface EqlResult { join_keys?: unknown[]; events: ResultEvent[] }
/** A record the input reader could not read. */
export interface InputProblem { file?: string; line?: number; record?: number; offset?: number; reason: string }
/** What happened during a run (field names as in the CLI's JSON). */
export interface Summary {
  /** Events read or pushed. */
  events_seen: number;
  /** Per stage, events that matched it. */
  stage_hits: number[];
  /** Events skipped for lack of a usable timestamp (the first ones in skipped_examples). */
  skipped: number;
  skipped_examples: { provenance: Provenance; reason: string }[];
  /** Events that arrived too far out of order to be correlated (see reorderWindow). */
  late: number;
  late_examples: { provenance: Provenance; timestamp_ms: number; behind_ms: number }[];
  open_sequences: number;
  buffered: number;
  /** Results returned. */
  matches: number;
  /** Records the input reader could not read (the first ones are listed in input_errors). */
  input_error_count: number;
  input_errors: InputProblem[];
}
/** A built-in rule. */
export interface RuleInfo { id: string; name: string; description: string; severity: string; risk_score?: number; query: string }
"#;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The eqlite version, as in Cargo.toml.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

// ---- errors -------------------------------------------------------------------------------------

/// A JS `Error` named `EqlError` with a stable `code` (pkg/errors.js makes `instanceof` work).
fn eql_error(code: &str, message: &str) -> js_sys::Error {
    let error = js_sys::Error::new(message);
    error.set_name("EqlError");
    set(&error, "code", &JsValue::from_str(code));
    error
}

/// A query error with its position converted to what JS needs: 1-based line and column (chars),
/// UTF-16 `start`/`end` offsets, and the caret frame rendered by the core.
fn query_error(error: &Error, text: &str) -> JsValue {
    let js = eql_error(error.kind().as_str(), error.message());
    if let Some(span) = error.span() {
        let (start, end) = span.to_utf16(text);
        let (line, column) = span.line_column(text);
        set(&js, "start", &JsValue::from(start as f64));
        set(&js, "end", &JsValue::from(end as f64));
        set(&js, "line", &JsValue::from(line as f64));
        set(&js, "column", &JsValue::from(column as f64));
    }
    set(&js, "caret", &JsValue::from_str(&error.to_string()));
    js.into()
}

fn option_error(message: &str) -> JsValue {
    eql_error(ErrorKind::Option.as_str(), message).into()
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error or Object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&Serializer::json_compatible())
        .map_err(|e| eql_error("internal", &e.to_string()).into())
}

// ---- options: checked by hand, since serde-wasm-bindgen ignores deny_unknown_fields ------------

/// The options object as (key, value) pairs; `undefined`/`null` mean no options.
fn option_entries(options: &JsValue, what: &str) -> Result<Vec<(String, JsValue)>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(Vec::new());
    }
    if !options.is_object() || Array::is_array(options) {
        return Err(option_error(&format!("{what} options must be an object")));
    }
    let mut entries = Vec::new();
    for entry in Object::entries(options.unchecked_ref()).iter() {
        let pair: Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        if !value.is_undefined() {
            entries.push((key, value));
        }
    }
    Ok(entries)
}

fn string_option(key: &str, value: &JsValue) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| option_error(&format!("option `{key}` must be a string")))
}

fn count_option(key: &str, value: &JsValue) -> Result<u64, JsValue> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(n as u64),
        _ => Err(option_error(&format!(
            "option `{key}` must be a non-negative integer"
        ))),
    }
}

/// The query-compiling options shared by `Query` and `Correlator`.
#[derive(Debug, Default)]
struct QueryOptions {
    timestamp_field: Option<String>,
    tiebreaker_field: Option<Option<String>>,
    event_category_field: Option<String>,
    size: Option<Option<usize>>,
    result_position: Option<ResultPosition>,
}

impl QueryOptions {
    const KEYS: &'static str =
        "timestampField, tiebreakerField, eventCategoryField, size, resultPosition";

    /// Takes `key` if it is one of these options; `Ok(false)` if it is not.
    fn take(&mut self, key: &str, value: &JsValue) -> Result<bool, JsValue> {
        match key {
            "timestampField" => self.timestamp_field = Some(string_option(key, value)?),
            "eventCategoryField" => self.event_category_field = Some(string_option(key, value)?),
            "tiebreakerField" if value.is_null() => self.tiebreaker_field = Some(None),
            "tiebreakerField" => self.tiebreaker_field = Some(Some(string_option(key, value)?)),
            "size" if value.is_null() => self.size = Some(None),
            "size" => {
                let n = count_option(key, value)?;
                self.size = Some(Some(usize::try_from(n).unwrap_or(usize::MAX)));
            }
            "resultPosition" => {
                self.result_position = Some(match string_option(key, value)?.as_str() {
                    "head" => ResultPosition::Head,
                    "tail" => ResultPosition::Tail,
                    other => {
                        return Err(option_error(&format!(
                            "option `resultPosition` must be \"head\" or \"tail\", not {other:?}"
                        )))
                    }
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Compiles `text`; a rule's own tiebreaker and category fields apply unless overridden.
    fn build(&self, text: &str, rule: Option<&rules::Rule>) -> Result<CoreQuery, JsValue> {
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
            .build(text)
            .map_err(|e| query_error(&e, text))
    }
}

fn unknown_option(key: &str, allowed: &str) -> JsValue {
    option_error(&format!(
        "unknown option `{key}` (known options: {allowed})"
    ))
}

// ---- Query --------------------------------------------------------------------------------------

/// What a query is, for `parseQuery()` and the `Query` getters.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryInfo {
    kind: &'static str,
    join_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maxspan_ms: Option<u64>,
    fields: Vec<String>,
}

fn kind_name(query: &CoreQuery) -> &'static str {
    match query.kind() {
        QueryKind::Event => "event",
        QueryKind::Sequence => "sequence",
    }
}

fn describe(query: &CoreQuery) -> QueryInfo {
    QueryInfo {
        kind: kind_name(query),
        join_keys: query.join_key_names(),
        maxspan_ms: query.maxspan_ms(),
        fields: query.fields(),
    }
}

/// A compiled, immutable EQL query.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Query {
    inner: CoreQuery,
}

#[wasm_bindgen]
impl Query {
    /// Compiles `text`; throws an `EqlError` (code "syntax", "semantic", ...) with its position.
    #[wasm_bindgen(constructor)]
    pub fn new(
        text: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "QueryOptions")] options: JsValue,
    ) -> Result<Query, JsValue> {
        let mut parsed = QueryOptions::default();
        for (key, value) in option_entries(&options, "Query")? {
            if !parsed.take(&key, &value)? {
                return Err(unknown_option(&key, QueryOptions::KEYS));
            }
        }
        Ok(Query {
            inner: parsed.build(text, None)?,
        })
    }

    /// The query text as given.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.inner.text().to_string()
    }

    /// `"event"` or `"sequence"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"event\" | \"sequence\"")]
    pub fn kind(&self) -> String {
        kind_name(&self.inner).to_string()
    }

    /// The join key fields (`by`) of the first stage.
    #[wasm_bindgen(getter, js_name = joinKeys)]
    pub fn join_keys(&self) -> Vec<String> {
        self.inner.join_key_names()
    }

    /// `maxspan` in milliseconds, if any.
    #[wasm_bindgen(getter, js_name = maxspanMs)]
    pub fn maxspan_ms(&self) -> Option<f64> {
        self.inner.maxspan_ms().map(|ms| ms as f64)
    }

    /// Every field the query reads, sorted.
    #[wasm_bindgen(getter)]
    pub fn fields(&self) -> Vec<String> {
        self.inner.fields()
    }
}

/// Compiles `text` and describes it (kind, join keys, maxspan, fields); throws like `new Query`.
#[wasm_bindgen(js_name = parseQuery, unchecked_return_type = "QueryInfo")]
pub fn parse_query(text: &str) -> Result<JsValue, JsValue> {
    let query = CoreQuery::new(text).map_err(|e| query_error(&e, text))?;
    to_js(&describe(&query))
}

/// The built-in rules (the first is the default): id, name, description, severity, query, ...
#[wasm_bindgen(js_name = builtinRules, unchecked_return_type = "RuleInfo[]")]
pub fn builtin_rules() -> Result<JsValue, JsValue> {
    to_js(&[rules::builtin()])
}

/// A rule given as a built-in id or as the text of a detection-rules TOML file.
fn resolve_rule(rule: &str) -> Result<rules::Rule, JsValue> {
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
    rules::from_toml(rule).map_err(|e| option_error(&format!("option `rule`: {e}")))
}

// ---- Correlator ---------------------------------------------------------------------------------

/// How many unreadable records are kept with their details across all files (all are counted).
const INPUT_ERRORS_KEPT: usize = 100;

/// An unreadable record, as JS sees it.
#[derive(Serialize)]
struct InputProblem {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    reason: String,
}

impl From<&InputError> for InputProblem {
    fn from(e: &InputError) -> Self {
        InputProblem {
            file: e.file.clone(),
            line: e.line,
            record: e.record,
            offset: e.offset,
            reason: e.reason.clone(),
        }
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    #[serde(flatten)]
    correlator: crate::correlator::Summary,
    input_error_count: u64,
    input_errors: &'a [InputProblem],
}

/// Streaming state for one run of a query or rule over events: push input, collect results.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Correlator {
    inner: CoreCorrelator,
    format: Format,
    fields: Vec<String>,
    /// The reader of the file being pushed (see `startFile`), created on first use.
    reader: Option<Reader>,
    file_name: Option<String>,
    /// Events pushed as objects, numbered for their provenance.
    objects: u64,
    input_error_count: u64,
    input_errors: Vec<InputProblem>,
    scratch: Vec<Event>,
    finished: bool,
}

impl std::fmt::Debug for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

#[wasm_bindgen]
impl Correlator {
    /// Options: `query` (EQL text) or `rule` (built-in id or detection-rules TOML text), plus the
    /// query options, `format` and `reorderWindow`. Unknown keys and wrong types throw.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CorrelatorOptions")] options: JsValue,
    ) -> Result<Correlator, JsValue> {
        const KEYS: &str = "query, rule, format, reorderWindow, timestampField, tiebreakerField, \
                            eventCategoryField, size, resultPosition";
        if options.is_undefined() || options.is_null() {
            return Err(option_error(
                "Correlator needs options naming a `query` or a `rule`",
            ));
        }
        let mut query_options = QueryOptions::default();
        let (mut query, mut rule, mut format) = (None, None, Format::Auto);
        let mut window = Some(DEFAULT_REORDER_WINDOW_MS);
        for (key, value) in option_entries(&options, "Correlator")? {
            match key.as_str() {
                "query" => query = Some(string_option(&key, &value)?),
                "rule" => rule = Some(string_option(&key, &value)?),
                "format" => {
                    format = Format::from_str(&string_option(&key, &value)?)
                        .map_err(|e| option_error(&format!("option `format`: {e}")))?;
                }
                "reorderWindow" if value.is_null() => window = None,
                "reorderWindow" => window = Some(count_option(&key, &value)?),
                _ if query_options.take(&key, &value)? => {}
                _ => return Err(unknown_option(&key, KEYS)),
            }
        }
        let query = match (query, rule) {
            (Some(text), None) => query_options.build(&text, None)?,
            (None, Some(rule)) => {
                let rule = resolve_rule(&rule)?;
                query_options.build(&rule.query, Some(&rule))?
            }
            _ => {
                return Err(option_error(
                    "Correlator options need exactly one of `query` and `rule`",
                ))
            }
        };
        Ok(Correlator {
            fields: query.fields(),
            inner: query.correlator().with_reorder_window(window),
            format,
            reader: None,
            file_name: None,
            objects: 0,
            input_error_count: 0,
            input_errors: Vec::new(),
            scratch: Vec::new(),
            finished: false,
        })
    }

    /// Starts a new input file: its name labels results and input errors. Ends the previous one.
    #[wasm_bindgen(js_name = startFile, unchecked_return_type = "EqlResult[]")]
    pub fn start_file(&mut self, name: String) -> Result<Array, JsValue> {
        let results = self.end_file()?;
        self.file_name = Some(name);
        Ok(results)
    }

    /// Ends the current input file (flushing its last record) and returns the results it completed.
    #[wasm_bindgen(js_name = endFile, unchecked_return_type = "EqlResult[]")]
    pub fn end_file(&mut self) -> Result<Array, JsValue> {
        let Some(mut reader) = self.reader.take() else {
            return Ok(Array::new());
        };
        reader.finish(&mut self.scratch);
        self.input_error_count += reader.error_count();
        let room = INPUT_ERRORS_KEPT.saturating_sub(self.input_errors.len());
        self.input_errors
            .extend(reader.errors().iter().take(room).map(InputProblem::from));
        self.correlate()
    }

    /// Feeds the next chunk of input (bytes or text, any chunking; records may span chunks),
    /// parsed inside WebAssembly. Returns the results that became final.
    #[wasm_bindgen(unchecked_return_type = "EqlResult[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] chunk: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        let reader = self.reader.get_or_insert_with(|| {
            Reader::new(ReaderOptions {
                format: self.format,
                file_name: self.file_name.clone(),
                fields: Some(self.fields.clone()),
                ..ReaderOptions::default()
            })
        });
        if let Some(text) = chunk.as_string() {
            reader.push(text.as_bytes(), &mut self.scratch);
        } else if chunk.is_instance_of::<Uint8Array>() {
            let bytes = Uint8Array::unchecked_from_js(chunk).to_vec();
            reader.push(&bytes, &mut self.scratch);
        } else {
            return Err(eql_error("input", "push() takes a Uint8Array or a string").into());
        }
        self.correlate()
    }

    /// Feeds one event given as an object. Returns the results that became final.
    #[wasm_bindgen(js_name = pushEvent, unchecked_return_type = "EqlResult[]")]
    pub fn push_event(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] event: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        self.take_object(event)?;
        self.correlate()
    }

    /// Feeds an array of events given as objects. Returns the results that became final.
    #[wasm_bindgen(js_name = pushEvents, unchecked_return_type = "EqlResult[]")]
    pub fn push_events(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] events: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        if !Array::is_array(&events) {
            return Err(eql_error("input", "pushEvents() takes an array of objects").into());
        }
        for event in Array::unchecked_from_js(events).iter() {
            self.take_object(event)?;
        }
        self.correlate()
    }

    /// Ends the input and returns `{ results, summary }`: the remaining results (after any
    /// `size`/`head`/`tail` limit) and what happened. The correlator cannot be pushed to after.
    #[wasm_bindgen(unchecked_return_type = "{ results: EqlResult[]; summary: Summary }")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        self.check_open()?;
        let results = self.end_file()?;
        let rest = self.inner.finish();
        self.finished = true;
        for m in &rest {
            results.push(&self.result(m)?);
        }
        let summary = Summary {
            correlator: self.inner.summary(),
            input_error_count: self.input_error_count,
            input_errors: &self.input_errors,
        };
        let out = Object::new();
        set(&out, "results", &results);
        set(&out, "summary", &to_js(&summary)?);
        Ok(out.into())
    }
}

/// The Rust-only half: helpers the exported methods share.
impl Correlator {
    fn check_open(&self) -> Result<(), JsValue> {
        if self.finished {
            return Err(eql_error("state", "this Correlator is finished; create a new one").into());
        }
        Ok(())
    }

    fn take_object(&mut self, event: JsValue) -> Result<(), JsValue> {
        let value: serde_json::Value = serde_wasm_bindgen::from_value(event)
            .map_err(|e| eql_error("input", &format!("not a JSON-like event: {e}")))?;
        self.objects += 1;
        let provenance = Provenance {
            file: self.file_name.as_deref().map(Arc::from),
            record: Some(self.objects),
            ..Provenance::default()
        };
        let event = Event::from_value(value, provenance).ok_or_else(|| {
            eql_error("input", &format!("event {} is not an object", self.objects))
        })?;
        self.scratch.push(event);
        Ok(())
    }

    /// Correlates the events read so far and serializes the results that became final.
    fn correlate(&mut self) -> Result<Array, JsValue> {
        let mut matches = Vec::new();
        for event in self.scratch.drain(..) {
            self.inner.push_into(event, &mut matches);
        }
        let out = Array::new();
        for m in &matches {
            out.push(&self.result(m)?);
        }
        Ok(out)
    }

    fn result(&self, m: &Match) -> Result<JsValue, JsValue> {
        to_js(&output::match_to_json(m, self.inner.is_sequence()))
    }
}
