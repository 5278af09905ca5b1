//! The JavaScript facade: opaque handles over the core library, no logic of its own.
//!
//! JS hands in query text, options and raw input chunks; parsing and correlation stay in Rust and
//! only small results come back, serialized as plain JSON-compatible objects. Every expected
//! failure becomes a JS `Error` named `EqlError` with a stable `code` (see pkg/errors.js), and
//! query positions are converted to UTF-16 offsets at this edge and nowhere else (see types.rs
//! for the naming of JS shapes).

mod convert;
mod options;
mod types;

mod cli;

use crate::compile::Query as CoreQuery;
use crate::correlator::Match;
use crate::output::{Mode, Writer};
use crate::render::alerts::RuleInfo;
use crate::session::Session;
use crate::{output, rules};
use convert::{input_error, query_error, session_error, set, to_js, to_js_json};
use js_sys::{Array, Object, Uint8Array};
use options::{CorrelatorOptions, QueryOptions};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The eqlite version, as in Cargo.toml.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// What a query is, for `parseQuery()`.
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
    query.kind().as_str()
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
        let inner = QueryOptions::from_js(&options)?.build(text, None)?;
        Ok(Query { inner })
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

    /// The join keys under which an event object can take part in a result (empty: none); a
    /// pipeline spread over several workers routes each event by these.
    #[wasm_bindgen(js_name = joinKeysOf, unchecked_return_type = "unknown[][]")]
    pub fn join_keys_of(&self, event: JsValue) -> Result<JsValue, JsValue> {
        join_keys_of(&self.inner, event)
    }
}

/// The routing keys of an event object (see `Correlator.joinKeysOf`).
fn join_keys_of(query: &CoreQuery, event: JsValue) -> Result<JsValue, JsValue> {
    let event = convert::event_from_js(event)?;
    let keys: Vec<Vec<serde_json::Value>> = query
        .routing_keys(&event)
        .iter()
        .map(crate::JoinKey::to_json)
        .collect();
    to_js(&keys)
}

/// Compiles `text` and describes it (kind, join keys, maxspan, fields); throws like `new Query`.
#[wasm_bindgen(js_name = parseQuery, unchecked_return_type = "QueryInfo")]
pub fn parse_query(text: &str) -> Result<JsValue, JsValue> {
    let query = CoreQuery::new(text).map_err(|e| query_error(&e, text))?;
    to_js(&QueryInfo {
        kind: kind_name(&query),
        join_keys: query.join_key_names(),
        maxspan_ms: query.maxspan_ms(),
        fields: query.fields(),
    })
}

/// The built-in rules (the first is the default): id, name, description, severity, query, ...
#[wasm_bindgen(js_name = builtinRules, unchecked_return_type = "RuleInfo[]")]
pub fn builtin_rules() -> Result<JsValue, JsValue> {
    to_js(&[rules::builtin()])
}

/// Reads a detection-rules TOML file (or a built-in id) and describes the rule like builtinRules().
#[wasm_bindgen(js_name = parseRule, unchecked_return_type = "RuleInfo")]
pub fn parse_rule(rule: &str) -> Result<JsValue, JsValue> {
    to_js(&options::resolve_rule(rule)?)
}

/// Reads Kibana's exported exception items (NDJSON, an array or one item; list headers and
/// export summaries skipped) exactly as the `exceptions` option does, and returns each item in
/// Kibana's shape with its `text` in words. Throws naming the bad item and entry.
#[wasm_bindgen(js_name = parseExceptions, unchecked_return_type = "ExceptionInfo[]")]
pub fn parse_exceptions(text: &str) -> Result<JsValue, JsValue> {
    let list = crate::exceptions::ExceptionList::from_json(text)
        .map_err(|e| convert::eql_error("exceptions", &e.to_string()))?;
    let out = Array::new();
    for item in list.items() {
        let info = Object::new();
        set(&info, "item", &to_js_json(&item.to_kibana())?);
        set(&info, "text", &JsValue::from_str(&item.to_string()));
        out.push(&info);
    }
    Ok(out.into())
}

/// Streaming state for one run of a query or rule over events: push input, collect results.
/// A thin handle over the library's [`Session`], which owns the run loop for every shell.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Correlator {
    session: Session,
    /// Add each result's `view` (see the `views` option).
    views: bool,
    /// Every result so far as CSV and table rows, for `exportCsv()` / `exportTable()`.
    csv: Writer,
    table: Writer,
    finished: bool,
}

#[wasm_bindgen]
impl Correlator {
    /// Options: `query` (EQL text) or `rule` (built-in id or detection-rules TOML text), plus the
    /// query options, `format`, `reorderWindow`, `maxCandidates`, `exceptions`, `prefilter`,
    /// `timeZone` and `views`. Unknown keys and wrong types throw.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CorrelatorOptions")] options: JsValue,
    ) -> Result<Correlator, JsValue> {
        let options = CorrelatorOptions::from_js(&options)?;
        let session = Session::new(options.session).map_err(|e| session_error(&e))?;
        let writer = |mode| {
            let rule = session.rule();
            let info = RuleInfo {
                rule_id: rule.id.clone(),
                name: rule.name.clone(),
                severity: rule.severity.clone(),
                risk_score: rule.risk_score.unwrap_or(21),
            };
            Writer::new(
                mode,
                session.is_sequence(),
                session.query().timestamp_field(),
                info,
                String::new(),
            )
        };
        let (csv, table) = (writer(Mode::Csv), writer(Mode::Table));
        Ok(Correlator {
            session,
            views: options.views,
            csv,
            table,
            finished: false,
        })
    }

    /// Starts a new input file: its name labels results and input errors, and its format is
    /// detected on its own. Ends the previous file and returns the results that completed.
    #[wasm_bindgen(js_name = startFile, unchecked_return_type = "EqlResult[]")]
    pub fn start_file(&mut self, name: String) -> Result<Array, JsValue> {
        let mut out = Vec::new();
        let step = self.session.start_file(&name, &mut out);
        self.results(step, out)
    }

    /// Ends the current input file (flushing its last record); returns the results it completed.
    #[wasm_bindgen(js_name = endFile, unchecked_return_type = "EqlResult[]")]
    pub fn end_file(&mut self) -> Result<Array, JsValue> {
        let mut out = Vec::new();
        let step = self.session.end_file(&mut out);
        self.results(step, out)
    }

    /// Feeds the next chunk of input (bytes or text, any chunking; records may span chunks),
    /// parsed inside WebAssembly. Returns the results that became final.
    #[wasm_bindgen(unchecked_return_type = "EqlResult[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] chunk: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        let mut out = Vec::new();
        let step = if let Some(text) = chunk.as_string() {
            self.session.push(text.as_bytes(), &mut out)
        } else if chunk.is_instance_of::<Uint8Array>() {
            // Copied into wasm memory once: the reader takes the copy as its own buffer
            // (`push_buf`) instead of copying it again.
            let mut bytes = Uint8Array::unchecked_from_js(chunk).to_vec();
            self.session.push_buf(&mut bytes, &mut out)
        } else {
            return Err(input_error("push() takes a Uint8Array or a string"));
        };
        self.results(step, out)
    }

    /// Records an input that could not be read at all (say, a `File` whose read failed): it is
    /// counted in the summary and handed out by `takeMessages()`, and the run goes on.
    #[wasm_bindgen(js_name = inputFailed)]
    pub fn input_failed(&mut self, name: &str, reason: &str) {
        self.session.input_failed(name, reason);
    }

    /// Feeds one event given as an object. Returns the results that became final.
    #[wasm_bindgen(js_name = pushEvent, unchecked_return_type = "EqlResult[]")]
    pub fn push_event(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] event: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        let mut out = Vec::new();
        let event = convert::event_from_js(event)?;
        let step = self.session.push_event(event, &mut out);
        self.results(step, out)
    }

    /// Feeds an array of events given as objects. Returns the results that became final.
    #[wasm_bindgen(js_name = pushEvents, unchecked_return_type = "EqlResult[]")]
    pub fn push_events(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] events: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        if !Array::is_array(&events) {
            return Err(input_error("pushEvents() takes an array of objects"));
        }
        let mut out = Vec::new();
        for event in Array::unchecked_from_js(events).iter() {
            let event = convert::event_from_js(event)?;
            if let Err(e) = self.session.push_event(event, &mut out) {
                return self.results(Err(e), out);
            }
        }
        self.results(Ok(()), out)
    }

    /// The join keys under which an event object can take part in a result (see
    /// `Query.joinKeysOf`).
    #[wasm_bindgen(js_name = joinKeysOf, unchecked_return_type = "unknown[][]")]
    pub fn join_keys_of(&self, event: JsValue) -> Result<JsValue, JsValue> {
        join_keys_of(self.session.query(), event)
    }

    /// The unreadable records found since the last call (the first ones of each file; all are
    /// counted in the summary), so a stream can report them as they happen.
    #[wasm_bindgen(js_name = takeInputErrors, unchecked_return_type = "InputProblem[]")]
    pub fn take_input_errors(&mut self) -> Result<JsValue, JsValue> {
        let problems: Vec<_> = self
            .session
            .take_messages()
            .into_iter()
            .filter_map(|m| match m {
                crate::session::Message::InputError(p) => Some(p),
                _ => None,
            })
            .collect();
        to_js(&problems)
    }

    /// Unreadable records, "more errors" counts and the readers' notes since the last call, each
    /// `{kind, ...}` with `text` as the CLI prints it (`takeInputErrors` and this share one
    /// queue: each message is handed out once).
    #[wasm_bindgen(js_name = takeMessages, unchecked_return_type = "RunMessage[]")]
    pub fn take_messages(&mut self) -> Result<JsValue, JsValue> {
        let out = Array::new();
        for message in self.session.take_messages() {
            let js = to_js(&message)?;
            set(&js, "text", &JsValue::from_str(&message.to_string()));
            out.push(&js);
        }
        Ok(out.into())
    }

    /// What happened so far (the shape of `finish().summary`), for progress displays.
    #[wasm_bindgen(unchecked_return_type = "Summary")]
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        to_js(&self.session.summary())
    }

    /// What was left out so far (events without a usable timestamp, late events, refused
    /// sequences, what exceptions dropped), one line each, as the CLI prints them on stderr.
    pub fn warnings(&self) -> Vec<String> {
        let summary = self.session.summary();
        let text = summary.warnings(self.session.query().timestamp_field());
        text.lines().map(str::to_string).collect()
    }

    /// Every result so far as CSV, exactly as `eqlite run --output csv` writes it.
    #[wasm_bindgen(js_name = exportCsv)]
    pub fn export_csv(&mut self) -> String {
        self.csv.finish()
    }

    /// Every result so far as the aligned text table of `eqlite run --output table`.
    #[wasm_bindgen(js_name = exportTable)]
    pub fn export_table(&mut self) -> String {
        self.table.finish()
    }

    /// Replays Kibana's detection engine over the input read so far (the `simulate` option must
    /// be on): the rule's schedule with `options` applied (`interval`, `from`, `maxSignals`,
    /// `suppressBy`, `suppressFor`, `suppressMissing`, `noSuppression`, `firstRun`, `phase`,
    /// `phases`, as the CLI's `simulate` flags). One simulation per phase, each with its runs,
    /// matches, summary and `alerts` (Kibana's documents), as `eqlite simulate --output ndjson`.
    #[wasm_bindgen(unchecked_return_type = "Simulation[]")]
    pub fn simulate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SimulateOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let overrides: crate::simulate::Overrides = if options.is_undefined() || options.is_null() {
            crate::simulate::Overrides::default()
        } else {
            // Through JSON, so that unknown keys are refused (serde-wasm-bindgen only reads the
            // fields a struct names).
            let json: serde_json::Value = serde_wasm_bindgen::from_value(options)
                .map_err(|e| input_error(&format!("simulate() options: {e}")))?;
            serde_json::from_value(json)
                .map_err(|e| input_error(&format!("simulate() options: {e}")))?
        };
        let (schedule, phase) = overrides
            .apply(&self.session.rule().schedule)
            .map_err(|e| {
                input_error(&format!(
                    "simulate() option `{}`: {}",
                    camel(e.name),
                    e.message
                ))
            })?;
        let sims = self
            .session
            .simulate(Some(&schedule), &phase)
            .map_err(|e| session_error(&e))?;
        let out = Array::new();
        for sim in &sims {
            let js = to_js_json(&sim)?;
            let alerts: Vec<serde_json::Value> = sim.alerts.iter().map(|a| a.to_json()).collect();
            set(&js, "alerts", &to_js_json(&alerts)?);
            out.push(&js);
        }
        Ok(out.into())
    }

    /// Why didn't it fire? Near misses and coverage of the input read so far (the `explain`
    /// option must be on), as `eqlite explain --output ndjson`: `{verdict, text, matches,
    /// findings, more}`, each finding with a stable `kind`.
    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(&self) -> Result<JsValue, JsValue> {
        let report = self.session.explain().map_err(|e| session_error(&e))?;
        to_js_json(&report)
    }

    /// Ends the input and returns `{ results, summary }`: the remaining results (after any
    /// `size`/`head`/`tail` limit) and what happened. The correlator takes no input after this.
    #[wasm_bindgen(unchecked_return_type = "{ results: EqlResult[]; summary: Summary }")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        self.check_open()?;
        self.finished = true;
        let mut out = Vec::new();
        let step = self.session.finish(&mut out);
        let results = self.results(step, out)?;
        let done = Object::new();
        set(&done, "results", &results);
        set(&done, "summary", &to_js(&self.session.summary())?);
        Ok(done.into())
    }
}

/// `suppress_for` -> `suppressFor`: an option's name as JS spells it.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The Rust-only half: helpers the exported methods share.
impl Correlator {
    fn check_open(&self) -> Result<(), JsValue> {
        if self.finished {
            return Err(convert::eql_error(
                "state",
                "this Correlator is finished; create a new one",
            ));
        }
        Ok(())
    }

    /// Serializes the results that became final; a budget error is thrown after them is
    /// recorded (the results before it are not lost: they are in the CSV and table exports).
    fn results(
        &mut self,
        step: Result<(), crate::Error>,
        matches: Vec<Match>,
    ) -> Result<Array, JsValue> {
        let _ = self.csv.write(&matches);
        let _ = self.table.write(&matches);
        let out = Array::new();
        for m in &matches {
            out.push(&self.result(m)?);
        }
        step.map_err(|e| session_error(&e))?;
        Ok(out)
    }

    fn result(&self, m: &Match) -> Result<JsValue, JsValue> {
        let js = to_js_json(&output::match_to_json(m, self.session.is_sequence()))?;
        if self.views {
            set(&js, "view", &to_js_json(&self.session.view(m))?);
        }
        Ok(js)
    }
}
