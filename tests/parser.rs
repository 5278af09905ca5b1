//! Parser golden tests.
//!
//! * `tests/data/parser/ok/*.eql` must compile; the printed form (`Display` of the AST) is
//!   pinned in a sibling `.txt`, must re-parse to the same tree (modulo spans), and printing is
//!   idempotent. Every node's span lies inside the query and inside its parent's span.
//! * `tests/data/parser/err/*.eql` must fail; the rendered error (caret frame) and its kind are
//!   pinned in a sibling `.err`.
//!
//! Run with `UPDATE_GOLDEN=1` to (re)write the `.txt` / `.err` files after a deliberate change.

use eqlite::syntax::ast::{Body, Expr, Query as Ast};
use eqlite::syntax::parse;
use eqlite::{Query, Span};
use std::path::{Path, PathBuf};

fn data_dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/parser")
        .join(kind)
}

fn cases(kind: &str) -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(data_dir(kind)).expect("golden dir");
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("eql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read case");
        let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        out.push((name, text, path));
    }
    out.sort();
    assert!(!out.is_empty(), "no golden cases in {kind}");
    out
}

/// Compares `actual` with the golden file (or rewrites it under `UPDATE_GOLDEN=1`).
fn golden(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, actual).expect("write golden");
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => failures.push(format!(
            "{} missing (run with UPDATE_GOLDEN=1); actual:\n{actual}",
            path.display()
        )),
    }
}

fn check_expr_spans(e: &Expr, parent: Span, len: usize, problems: &mut Vec<String>) {
    if e.span.end > len || !parent.contains(e.span) || e.span.is_empty() {
        problems.push(format!(
            "span {:?} of `{e}` not inside parent {parent:?}",
            e.span
        ));
    }
    e.for_each_child(&mut |child| check_expr_spans(child, e.span, len, problems));
}

/// Span invariants: inside the text, nested in parents, never empty.
fn span_problems(ast: &Ast, len: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let whole = ast.span;
    if whole.end > len {
        problems.push("query span past end".into());
    }
    let mut filters = Vec::new();
    let mut keys = Vec::new();
    match &ast.body {
        Body::Event(f) => filters.push((f, whole)),
        Body::Sequence(seq) | Body::Sample(seq) => {
            if !whole.contains(seq.span) {
                problems.push("sequence span outside query".into());
            }
            keys.extend(seq.by.iter().map(|k| (k, seq.span)));
            for stage in seq.stages.iter().chain(seq.until.as_ref()) {
                if !seq.span.contains(stage.span) {
                    problems.push(format!("stage span {:?} outside sequence", stage.span));
                }
                filters.push((&stage.filter, stage.span));
                keys.extend(stage.by.iter().map(|k| (k, stage.span)));
            }
        }
    }
    for (filter, parent) in filters {
        if !parent.contains(filter.span) || !filter.span.contains(filter.category.span) {
            problems.push(format!("filter span {:?} outside {parent:?}", filter.span));
        }
        check_expr_spans(&filter.condition, filter.span, len, &mut problems);
    }
    for (by, parent) in keys {
        if !parent.contains(by.span) {
            problems.push(format!("by span {:?} outside {parent:?}", by.span));
        }
        for k in &by.keys {
            check_expr_spans(k, by.span, len, &mut problems);
        }
    }
    for pipe in &ast.pipes {
        if !whole.contains(pipe.span) {
            problems.push(format!("pipe span {:?} outside query", pipe.span));
        }
    }
    problems
}

#[test]
fn ok_cases_parse_print_and_round_trip() {
    let mut failures = Vec::new();
    for (name, text, path) in cases("ok") {
        if let Err(e) = Query::new(&text) {
            failures.push(format!("{name}: does not compile:\n{e}"));
            continue;
        }
        let ast = parse(&text).expect("parsed above");
        for p in span_problems(&ast, text.len()) {
            failures.push(format!("{name}: {p}"));
        }
        let printed = ast.to_string();
        golden(
            &path.with_extension("txt"),
            &format!("{printed}\n"),
            &mut failures,
        );
        let Ok(mut reparsed) = parse(&printed) else {
            failures.push(format!("{name}: printed form does not parse:\n{printed}"));
            continue;
        };
        assert_eq!(
            reparsed.to_string(),
            printed,
            "{name}: printing is not idempotent"
        );
        let mut original = ast;
        original.strip_spans();
        reparsed.strip_spans();
        if original != reparsed {
            failures.push(format!(
                "{name}: round trip changed the tree\n{original:?}\n{reparsed:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn err_cases_render_pinned_messages() {
    let mut failures = Vec::new();
    for (name, text, path) in cases("err") {
        match Query::new(&text) {
            Ok(_) => failures.push(format!("{name}: compiled but should fail")),
            Err(e) => {
                if let Some(span) = e.span() {
                    assert!(
                        span.end <= text.len() && span.start <= span.end,
                        "{name}: bad span {span:?}"
                    );
                }
                golden(
                    &path.with_extension("err"),
                    &format!("{e}\nkind: {}\n", e.kind().as_str()),
                    &mut failures,
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
