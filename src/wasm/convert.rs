//! Crossing the boundary: Rust errors to `EqlError`s (with UTF-16 positions) and results to plain
//! JSON-compatible JS values.

use crate::error::{Error, ErrorKind};
use crate::{Event, Provenance};
use js_sys::Reflect;
use serde::Serialize;
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::prelude::*;

/// A JS `Error` named `EqlError` with a stable `code` (pkg/errors.js makes `instanceof` work).
pub(super) fn eql_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("EqlError");
    set(&error, "code", &JsValue::from_str(code));
    error.into()
}

/// A query error with its position converted to what JS needs: 1-based line and column (chars),
/// UTF-16 `start`/`end` offsets, and the caret frame rendered by the core.
pub(super) fn query_error(error: &Error, text: &str) -> JsValue {
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
    js
}

pub(super) fn option_error(message: &str) -> JsValue {
    eql_error(ErrorKind::Option.as_str(), message)
}

pub(super) fn input_error(message: &str) -> JsValue {
    eql_error(ErrorKind::Input.as_str(), message)
}

pub(super) fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error or Object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Serializes as plain objects and arrays (never JS `Map`s: toolchain trap 5).
pub(super) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&Serializer::json_compatible())
        .map_err(|e| eql_error("internal", &e.to_string()))
}

/// Event data as JS values exactly as `JSON.parse` would give them. Events carry integers
/// beyond 2^53 (Windows FILETIMEs, 64-bit ids) that serde-wasm-bindgen refuses to turn into JS
/// numbers; JSON text parsed by the JS engine rounds them as every JSON consumer in JS does,
/// and is no slower for documents of this size.
pub(super) fn to_js_json<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| eql_error("internal", &e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| eql_error("internal", "result JSON did not parse"))
}

/// A run error (a budget exceeded, a finished run) as an `EqlError` with its kind as `code`.
pub(super) fn session_error(error: &Error) -> JsValue {
    eql_error(error.kind().as_str(), error.message())
}

/// An event pushed as a JS object (the session numbers it within its file).
pub(super) fn event_from_js(value: JsValue) -> Result<Event, JsValue> {
    let value: serde_json::Value = serde_wasm_bindgen::from_value(value)
        .map_err(|e| input_error(&format!("the event is not JSON-like: {e}")))?;
    Event::from_value(value, Provenance::default())
        .ok_or_else(|| input_error("the event is not an object"))
}
