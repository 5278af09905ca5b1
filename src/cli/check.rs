//! `eqlite check` and `eqlite formats`.

use eqlite::input::Format;
use eqlite::render::describe::describe;
use eqlite::{rules, Query};
use std::path::Path;

/// Validates and describes a query text, a rule file or the built-in rule.
pub(super) fn check(target: &str) -> i32 {
    let is_rule_file = target.ends_with(".toml") && Path::new(target).is_file();
    let (rule, text) = if is_rule_file {
        let loaded = std::fs::read_to_string(target)
            .map_err(|e| e.to_string())
            .and_then(|text| rules::from_toml(&text).map_err(|e| e.to_string()));
        match loaded {
            Ok(rule) => {
                let query = rule.query.clone();
                (Some(rule), query)
            }
            Err(e) => {
                eprintln!("eqlite: {target}: {e}");
                return 2;
            }
        }
    } else if target == rules::BUILTIN_ID {
        let rule = rules::builtin();
        let query = rule.query.clone();
        (Some(rule), query)
    } else {
        (None, target.to_string())
    };
    let query = match Query::new(&text) {
        Ok(query) => query,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    if let Some(rule) = &rule {
        println!("rule: {} ({})", rule.name, rule.id);
        let risk = rule.risk_score.map(|r| r.to_string()).unwrap_or_default();
        println!("severity: {} risk: {risk}", rule.severity);
    }
    print!("{}", describe(&query));
    0
}

/// Lists every input format with what it maps.
pub(super) fn formats() -> i32 {
    let all = Format::all();
    let width = all.iter().map(|(f, _)| f.as_str().len()).max().unwrap_or(0);
    for (format, description) in all {
        println!("{:width$}  {description}", format.as_str());
    }
    0
}
