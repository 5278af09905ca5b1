//! Query text -> parse -> compile: any text is a query or an error with a span inside it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match eqlite::QueryBuilder::new().build(text) {
        Ok(query) => {
            let _ = query.required_literals();
        }
        Err(error) => {
            if let Some(span) = error.span() {
                assert!(span.start <= span.end && span.end <= text.len(), "{error:?}");
            }
            let _ = error.line_column(text);
            let _ = error.with_source(text).to_string();
        }
    }
});
