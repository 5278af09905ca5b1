//! `eqlite check` and `eqlite formats`: text in, text out.

use super::{Output, ReadFile};
use crate::input::Format;
use crate::render::describe::describe;
use crate::rules;
use crate::session::{RuleSource, SessionOptions};
use crate::simulate::{lookback_warning, short};

/// Validates and describes a query text, a rule file (`*.toml` that `read` can read) or the
/// built-in rule id, compiled exactly as `eqlite run` would (the rule's field overrides apply).
pub fn check(target: &str, read: ReadFile<'_>) -> Output {
    let source = if target.ends_with(".toml") && !target.contains('\n') {
        match read(target).and_then(|text| rules::from_toml(&text).map_err(|e| e.to_string())) {
            Ok(rule) => RuleSource::Rule(Box::new(rule)),
            Err(e) => return Output::fail(2, format!("eqlite: {target}: {e}\n")),
        }
    } else if target == rules::BUILTIN_ID {
        RuleSource::Builtin
    } else {
        RuleSource::Query(target.to_string())
    };
    let adhoc = matches!(source, RuleSource::Query(_));
    let options = SessionOptions {
        source,
        ..SessionOptions::default()
    };
    let (query, rule, _) = match options.compile() {
        Ok(compiled) => compiled,
        Err(e) => return Output::fail(2, format!("{e}\n")),
    };
    let mut out = Output::default();
    if !adhoc {
        out.stdout
            .push_str(&format!("rule: {} ({})\n", rule.name, rule.id));
        let risk = rule.risk_score.map(|r| r.to_string()).unwrap_or_default();
        out.stdout
            .push_str(&format!("severity: {} risk: {risk}\n", rule.severity));
        let s = &rule.schedule;
        out.stdout.push_str(&format!(
            "schedule: every {} over now-{}, max_signals {}\n",
            short(s.interval_ms),
            short(s.lookback_ms),
            s.max_signals
        ));
    }
    out.stdout.push_str(&describe(&query));
    if !adhoc {
        if let Some(warning) = lookback_warning(query.maxspan_ms(), &rule.schedule) {
            out.stderr
                .push_str(&format!("eqlite: warning: {warning}\n"));
        }
    }
    out
}

/// Lists every input format with what it maps.
pub fn formats() -> Output {
    let all = Format::all();
    let width = all.iter().map(|(f, _)| f.as_str().len()).max().unwrap_or(0);
    let mut out = Output::default();
    for (format, description) in all {
        out.stdout
            .push_str(&format!("{:width$}  {description}\n", format.as_str()));
    }
    out
}
