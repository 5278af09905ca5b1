//! Detection rules: the built-in "Temporarily Scheduled Task Creation" rule and Elastic
//! detection-rules TOML files (`[rule]` with `language = "eql"`).
//!
//! A rule is the query plus what an analyst needs around a result: name, severity, risk score,
//! MITRE ATT&CK mapping and the investigation guide. Only the fields that change EQL results are
//! turned into query options (`tiebreaker_field`, `event_category_override`); Kibana uses
//! `timestamp_override` only for its time-range filter, not as the EQL timestamp, so it is kept
//! for display and nothing else (`eql-semantics.md` §5).

use crate::error::{Error, ErrorKind};
use serde::Serialize;

/// One MITRE ATT&CK reference (tactic, technique or sub-technique).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttackRef {
    /// For example `T1053.005`.
    pub id: String,
    /// For example `Scheduled Task`.
    pub name: String,
    /// The ATT&CK page.
    pub reference: String,
}

/// One `[[rule.threat]]` entry: a tactic and the techniques (with sub-techniques) under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Threat {
    /// Usually `MITRE ATT&CK`.
    pub framework: String,
    /// The tactic, when given.
    pub tactic: Option<AttackRef>,
    /// Techniques, each followed by its sub-techniques.
    pub techniques: Vec<(AttackRef, Vec<AttackRef>)>,
}

/// A detection rule with the metadata shown next to its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// A stable identifier (`rule_id` of a TOML rule; a slug for the built-in rule).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the rule detects.
    pub description: String,
    /// The investigation guide (Markdown), when present.
    pub note: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// 0..=100.
    pub risk_score: Option<u32>,
    /// The EQL query text.
    pub query: String,
    /// MITRE ATT&CK mapping.
    pub threat: Vec<Threat>,
    /// Kibana's time-range field override (not the EQL timestamp; see the module docs).
    pub timestamp_override: Option<String>,
    /// The tiebreaker field the rule asks for, if any.
    pub tiebreaker_field: Option<String>,
    /// The event category field the rule asks for, if any.
    pub event_category_override: Option<String>,
    /// How Kibana's detection engine runs the rule (see [`Schedule`]).
    pub schedule: Schedule,
}

/// How Kibana's detection engine runs a rule: every `interval_ms`, over the look-back
/// `now-lookback_ms` to now, keeping at most `max_signals` sequences per run (eql-semantics §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    /// `interval` (detection-rules default `5m`).
    pub interval_ms: u64,
    /// `from = "now-9m"` as milliseconds (detection-rules default `now-6m`).
    pub lookback_ms: u64,
    /// `max_signals` (default 100): Elasticsearch's `size` for each run.
    pub max_signals: usize,
    /// `[rule.alert_suppression]`, when the rule has it.
    pub suppression: Option<Suppression>,
}

/// Alert suppression as detection-rules TOML writes it (`group_by`, `duration`,
/// `missing_fields_strategy`); eql-semantics §8.4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// Fields of the shell alert whose values make the suppression terms.
    pub group_by: Vec<String>,
    /// The window in ms; `None` suppresses per rule execution only.
    pub duration_ms: Option<u64>,
    /// `suppress` (alerts lacking a field are grouped under null) or `doNotSuppress`.
    pub suppress_missing: bool,
}

impl Default for Schedule {
    /// Kibana's defaults for a rule that does not say: every 5m over now-6m, 100 signals.
    fn default() -> Self {
        Schedule {
            interval_ms: 5 * 60_000,
            lookback_ms: 6 * 60_000,
            max_signals: 100,
            suppression: None,
        }
    }
}

/// `30s`, `5m`, `1h`, `2d` (Kibana's interval and duration units) as milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, Error> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => 0,
    };
    match digits.parse::<u64>() {
        Ok(n) if unit_ms > 0 && n > 0 => n
            .checked_mul(unit_ms)
            .ok_or_else(|| Error::new(ErrorKind::Option, format!("duration {text:?} is too long"))),
        _ => Err(Error::new(
            ErrorKind::Option,
            format!(
                "{text:?} is not a duration: write a positive number and s, m, h or d (as in 5m)"
            ),
        )),
    }
}

/// `now-9m` (Kibana's `from` date math) as the look-back in milliseconds.
pub fn parse_lookback_ms(text: &str) -> Result<u64, Error> {
    let rest = text.trim().strip_prefix("now-").ok_or_else(|| {
        Error::new(
            ErrorKind::Option,
            format!("`from` {text:?} is not of the form now-<duration> (as in now-9m)"),
        )
    })?;
    parse_duration_ms(rest)
}

/// Id of the built-in rule.
pub const BUILTIN_ID: &str = "temporarily-scheduled-task-creation";

fn attack(id: &str, name: &str, path: &str) -> AttackRef {
    AttackRef {
        id: id.to_string(),
        name: name.to_string(),
        reference: format!("https://attack.mitre.org/{path}/"),
    }
}

/// The built-in rule, "Temporarily Scheduled Task Creation" (Elastic rule
/// 81ff45f8-f8c2-4e28-992e-5a0e8d98e0fe, the query without the newer `host.os.type` clause so
/// that exports lacking `host.os.type` still match).
pub fn builtin() -> Rule {
    let technique = || {
        (
            attack("T1053", "Scheduled Task/Job", "techniques/T1053"),
            vec![attack(
                "T1053.005",
                "Scheduled Task",
                "techniques/T1053/005",
            )],
        )
    };
    let threat = |id: &str, name: &str| Threat {
        framework: "MITRE ATT&CK".to_string(),
        tactic: Some(attack(id, name, &format!("tactics/{id}"))),
        techniques: vec![technique()],
    };
    let guide = include_str!("rules/temporarily-scheduled-task-creation.md");
    let description = guide
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace('\n', " ");
    Rule {
        id: BUILTIN_ID.to_string(),
        name: "Temporarily Scheduled Task Creation".to_string(),
        description,
        note: Some(guide.to_string()),
        severity: "medium".to_string(),
        risk_score: Some(47),
        query: include_str!("rules/temporarily-scheduled-task-creation.eql").to_string(),
        threat: vec![
            threat("TA0003", "Persistence"),
            threat("TA0002", "Execution"),
        ],
        timestamp_override: None,
        tiebreaker_field: None,
        event_category_override: None,
        // The rule card: runs every 5m, searches from now-9m, at most 100 alerts per execution.
        schedule: Schedule {
            interval_ms: 5 * 60_000,
            lookback_ms: 9 * 60_000,
            max_signals: 100,
            suppression: None,
        },
    }
}

/// A rule file problem: an [`ErrorKind::Input`] error without a span (the span type indexes
/// query text, not the TOML file).
fn input_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Input, message)
}

/// Parses an Elastic detection-rules TOML file. Only EQL rules are accepted.
pub fn from_toml(text: &str) -> Result<Rule, Error> {
    let document: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        input_error(format!("not a valid TOML file: {}", e.message()))
    })?;
    let rule = document
        .get("rule")
        .and_then(toml::Value::as_table)
        .ok_or_else(|| input_error("no [rule] table (is this an Elastic detection rule?)"))?;
    let string = |key: &str| {
        rule.get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_string)
    };
    let language = string("language").or_else(|| string("type"));
    if language.as_deref() != Some("eql") {
        return Err(input_error(format!(
            "the rule's language is {}; only EQL rules (language = \"eql\") can run here",
            language.map_or_else(|| "not given".to_string(), |l| format!("{l:?}"))
        )));
    }
    let query = string("query").ok_or_else(|| input_error("the rule has no `query`"))?;
    let risk_score = match rule.get("risk_score") {
        None => None,
        Some(v) => match v.as_integer().and_then(|i| u32::try_from(i).ok()) {
            Some(score) if score <= 100 => Some(score),
            _ => {
                return Err(input_error(format!(
                    "risk_score {v} is not an integer 0..=100"
                )))
            }
        },
    };
    let threat = rule
        .get("threat")
        .and_then(toml::Value::as_array)
        .map(|entries| entries.iter().filter_map(parse_threat).collect())
        .unwrap_or_default();
    Ok(Rule {
        id: string("rule_id").unwrap_or_default(),
        name: string("name").unwrap_or_else(|| "(unnamed rule)".to_string()),
        description: string("description")
            .map(|d| d.trim().to_string())
            .unwrap_or_default(),
        note: string("note"),
        severity: string("severity").unwrap_or_else(|| "unknown".to_string()),
        risk_score,
        query,
        threat,
        timestamp_override: string("timestamp_override"),
        tiebreaker_field: string("tiebreaker_field").filter(|s| !s.is_empty()),
        event_category_override: string("event_category_override").filter(|s| !s.is_empty()),
        schedule: parse_schedule(rule)?,
    })
}

/// `interval`, `from`, `max_signals` and `[rule.alert_suppression]`, with Kibana's defaults.
fn parse_schedule(rule: &toml::Table) -> Result<Schedule, Error> {
    let mut schedule = Schedule::default();
    let named = |key: &str, e: Error| input_error(format!("rule `{key}`: {}", e.message()));
    if let Some(v) = rule.get("interval").and_then(toml::Value::as_str) {
        schedule.interval_ms = parse_duration_ms(v).map_err(|e| named("interval", e))?;
    }
    if let Some(v) = rule.get("from").and_then(toml::Value::as_str) {
        schedule.lookback_ms = parse_lookback_ms(v).map_err(|e| named("from", e))?;
    }
    if let Some(v) = rule.get("max_signals") {
        schedule.max_signals = v
            .as_integer()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                input_error(format!("rule `max_signals` {v} is not a positive integer"))
            })?;
    }
    if let Some(table) = rule
        .get("alert_suppression")
        .and_then(toml::Value::as_table)
    {
        let group_by: Vec<String> = table
            .get("group_by")
            .and_then(toml::Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if group_by.is_empty() {
            return Err(input_error(
                "rule `alert_suppression` has no `group_by` fields",
            ));
        }
        let duration_ms = match table.get("duration").and_then(toml::Value::as_table) {
            None => None,
            Some(d) => {
                let value = d
                    .get("value")
                    .and_then(toml::Value::as_integer)
                    .unwrap_or(0);
                let unit = d.get("unit").and_then(toml::Value::as_str).unwrap_or("");
                Some(
                    parse_duration_ms(&format!("{value}{unit}"))
                        .map_err(|e| named("alert_suppression.duration", e))?,
                )
            }
        };
        let strategy = table
            .get("missing_fields_strategy")
            .and_then(toml::Value::as_str)
            .unwrap_or("suppress");
        let suppress_missing = match strategy {
            "suppress" => true,
            "doNotSuppress" => false,
            other => {
                return Err(input_error(format!(
                    "rule `alert_suppression.missing_fields_strategy` is {other:?}: expected suppress or doNotSuppress"
                )))
            }
        };
        schedule.suppression = Some(Suppression {
            group_by,
            duration_ms,
            suppress_missing,
        });
    }
    Ok(schedule)
}

fn parse_ref(value: &toml::Value) -> Option<AttackRef> {
    let table = value.as_table()?;
    let get = |k: &str| {
        table
            .get(k)
            .and_then(toml::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(AttackRef {
        id: get("id"),
        name: get("name"),
        reference: get("reference"),
    })
}

fn parse_threat(value: &toml::Value) -> Option<Threat> {
    let table = value.as_table()?;
    let list = |v: Option<&toml::Value>| -> Vec<toml::Value> {
        match v {
            Some(toml::Value::Array(items)) => items.clone(),
            Some(single @ toml::Value::Table(_)) => vec![single.clone()],
            _ => Vec::new(),
        }
    };
    let techniques = list(table.get("technique"))
        .iter()
        .filter_map(|t| {
            let subs = list(t.get("subtechnique"))
                .iter()
                .filter_map(parse_ref)
                .collect();
            Some((parse_ref(t)?, subs))
        })
        .collect();
    Some(Threat {
        framework: table
            .get("framework")
            .and_then(toml::Value::as_str)
            .unwrap_or("MITRE ATT&CK")
            .to_string(),
        tactic: table.get("tactic").and_then(parse_ref),
        techniques,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rule_metadata() {
        let rule = builtin();
        assert_eq!(rule.severity, "medium");
        assert_eq!(rule.risk_score, Some(47));
        assert!(rule.query.starts_with("sequence by winlog.computer_name"));
        assert!(rule.description.starts_with("A scheduled task was created"));
        let subs: Vec<&str> = rule.threat[0].techniques[0]
            .1
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(subs, ["T1053.005"]);
    }

    #[test]
    fn toml_rules() {
        let text = r#"
[rule]
name = "x"
language = "eql"
severity = "high"
risk_score = 73
tiebreaker_field = "event.sequence"
query = 'process where true'
[[rule.threat]]
framework = "MITRE ATT&CK"
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
reference = "r"
"#;
        let rule = from_toml(text).unwrap();
        assert_eq!(
            (rule.risk_score, rule.tiebreaker_field.as_deref()),
            (Some(73), Some("event.sequence"))
        );
        assert_eq!(rule.threat[0].tactic.as_ref().unwrap().id, "TA0002");
        let kql = from_toml("[rule]\nlanguage = \"kuery\"\nquery = \"a:b\"").unwrap_err();
        assert!(kql.message().contains("only EQL"), "{kql}");
        assert!(from_toml("[rule").unwrap_err().message().contains("TOML"));
        assert!(from_toml("a = 1").unwrap_err().message().contains("[rule]"));
    }
}
