//! Queries of Elastic's detection rules (tests/data/rules/detection-rules.toml: every `sample`
//! rule of elastic/detection-rules and a sample of the others, each with its origin) must
//! parse and compile with the rule's own options, as `eqlite check` does.

use eqlite::{QueryBuilder, QueryKind};
use std::path::PathBuf;

#[test]
fn detection_rules_compile() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rules/detection-rules.toml");
    let table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let rules = table["rule"].as_array().unwrap();
    let (mut samples, mut failures) = (0, Vec::new());
    for rule in rules {
        let get = |k: &str| rule.get(k).and_then(toml::Value::as_str);
        let origin = get("origin").unwrap();
        assert!(origin.starts_with("elastic/detection-rules@"), "{origin}");
        let mut builder = QueryBuilder::new()
            .event_category_field(get("event_category_override").unwrap_or("event.category"))
            .tiebreaker_field(get("tiebreaker_field"));
        if let Some(ts) = get("timestamp_override") {
            builder = builder.timestamp_field(ts);
        }
        match builder.build(get("query").unwrap()) {
            Ok(q) => {
                if get("why") == Some("sample") {
                    assert_eq!(q.kind(), QueryKind::Sample, "{origin}");
                    samples += 1;
                }
            }
            Err(e) => failures.push(format!("{origin}: {e}")),
        }
    }
    println!(
        "detection rules: {} of {} compile",
        rules.len() - failures.len(),
        rules.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(samples, 3, "elastic/detection-rules has 3 sample rules");
    assert!(rules.len() >= 50);
}
